//! Large sweeps in charts: a heat map of 200 cells has no room for its values, so it shows the
//! rows and columns that hold the cheapest settings (and the recommended one); the CSV files
//! keep every setting.

use super::charts::HeatCell;

/// Rows and columns a heat map shows at most, each.
pub const MAX_HEAT_SIDE: usize = 8;

/// The cells, row values and column values to draw: all of them when both sides fit, else the
/// `MAX_HEAT_SIDE` rows and columns whose cheapest cell is cheapest (the recommended cell's row
/// and column always among them), cells re-indexed, in the sweep's order. The note says what
/// was left out.
pub fn heat_top(
    cells: &[HeatCell],
    rows: &[String],
    cols: &[String],
) -> (Vec<HeatCell>, Vec<String>, Vec<String>, Option<String>) {
    if rows.len() <= MAX_HEAT_SIDE && cols.len() <= MAX_HEAT_SIDE {
        return (cells.to_vec(), rows.to_vec(), cols.to_vec(), None);
    }
    let pick = |n: usize, key: &dyn Fn(&HeatCell) -> usize| -> Vec<usize> {
        if n <= MAX_HEAT_SIDE {
            return (0..n).collect();
        }
        let best = |k: usize| {
            cells
                .iter()
                .filter(|c| key(c) == k)
                .filter_map(|c| c.cost)
                .fold(f64::INFINITY, f64::min)
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| best(a).total_cmp(&best(b)));
        let mut keep: Vec<usize> = cells
            .iter()
            .filter(|c| c.recommended)
            .map(key)
            .take(1)
            .collect();
        for k in order {
            if keep.len() >= MAX_HEAT_SIDE {
                break;
            }
            if !keep.contains(&k) {
                keep.push(k);
            }
        }
        keep.sort_unstable();
        keep
    };
    let kr = pick(rows.len(), &|c| c.row);
    let kc = pick(cols.len(), &|c| c.col);
    let shown: Vec<HeatCell> = cells
        .iter()
        .filter_map(|c| {
            let row = kr.iter().position(|&r| r == c.row)?;
            let col = kc.iter().position(|&k| k == c.col)?;
            Some(HeatCell { row, col, ..*c })
        })
        .collect();
    let note = format!(
        "Showing {} of {} values of the rows and {} of {} of the columns: those holding the cheapest settings and the recommended one; summary.csv and tradeoff.csv have every setting.",
        kr.len(),
        rows.len(),
        kc.len(),
        cols.len()
    );
    (
        shown,
        kr.iter().map(|&r| rows[r].clone()).collect(),
        kc.iter().map(|&c| cols[c].clone()).collect(),
        Some(note),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_20_by_10_sweep_shows_the_cheapest_8_by_8_with_the_recommendation() {
        // Cost = 100 * row + col: rows 0-7 and columns 0-7 are the cheapest; the recommended
        // cell sits at row 15, column 9 and keeps its row and column.
        let mut cells = vec![];
        for row in 0..20 {
            for col in 0..10 {
                cells.push(HeatCell {
                    row,
                    col,
                    cost: Some(100.0 * row as f64 + col as f64),
                    wait_p95_s: Some(1.0),
                    recommended: row == 15 && col == 9,
                });
            }
        }
        let rows: Vec<String> = (0..20).map(|r| format!("r{r}")).collect();
        let cols: Vec<String> = (0..10).map(|c| format!("c{c}")).collect();
        let (shown, r, c, note) = heat_top(&cells, &rows, &cols);
        assert_eq!(r, ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r15"]);
        assert_eq!(c, ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c9"]);
        assert_eq!(shown.len(), 64);
        let rec = shown.iter().find(|x| x.recommended).unwrap();
        assert_eq!((rec.row, rec.col), (7, 7));
        assert!(note.unwrap().starts_with("Showing 8 of 20"));
        // A small sweep is drawn whole.
        let small: Vec<HeatCell> = cells
            .iter()
            .copied()
            .filter(|c| c.row < 2 && c.col < 8)
            .collect();
        let (all, _, _, none) = heat_top(&small, &rows[..2], &cols[..8]);
        assert_eq!(all.len(), 16);
        assert!(none.is_none());
    }
}
