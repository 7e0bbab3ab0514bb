//! Allocated node time per clock hour of the observed window: what reservations and savings
//! plans are applied to. Azure applies both hour by hour ("use it or lose it": a reservation's
//! hour unused is gone; a savings plan's commitment is used up each hour, the rest billed at
//! pay-as-you-go), so the cost of a commitment depends on each hour's usage, not on the total.

use crate::engine::SimTime;
use crate::engine::time::MICROS_PER_HOUR;

/// Node-hours in each hour `[from + h, from + h + 1)` of `[from, to)` (the last may be short).
#[derive(Clone, Debug, Default)]
pub struct HourlyUsage {
    from: SimTime,
    to: SimTime,
    last: SimTime,
    nodes: u64,
    /// Node × microseconds per hour.
    area: Vec<u128>,
}

impl HourlyUsage {
    pub fn new(from: SimTime, to: SimTime) -> Self {
        let hours = to.saturating_sub(from).div_ceil(MICROS_PER_HOUR) as usize;
        HourlyUsage {
            from,
            to,
            last: 0,
            nodes: 0,
            area: vec![0; hours],
        }
    }

    /// `nodes` allocated from `now` on (the previous count held until `now`).
    #[inline]
    pub fn set(&mut self, now: SimTime, nodes: u64) {
        let (a, b) = (self.last.max(self.from), now.min(self.to));
        if self.nodes > 0 && b > a {
            let mut t = a;
            while t < b {
                let h = ((t - self.from) / MICROS_PER_HOUR) as usize;
                let end = (self.from + (h as u64 + 1) * MICROS_PER_HOUR).min(b);
                self.area[h] += u128::from(self.nodes) * u128::from(end - t);
                t = end;
            }
        }
        self.last = self.last.max(now);
        self.nodes = nodes;
    }

    /// Node-hours per hour of the window.
    pub fn node_hours(&self) -> Vec<f64> {
        self.area
            .iter()
            .map(|&a| a as f64 / MICROS_PER_HOUR as f64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const H: u64 = MICROS_PER_HOUR;

    #[test]
    fn node_time_is_split_at_hour_boundaries() {
        // Window [1 h, 3.5 h): 2 nodes from 0.5 h to 1.5 h, then 3 to 3.25 h, then none.
        let mut u = HourlyUsage::new(H, 3 * H + H / 2);
        u.set(H / 2, 2);
        u.set(H + H / 2, 3);
        u.set(3 * H + H / 4, 0);
        u.set(4 * H, 0);
        // Hour 1-2: 2 x 0.5 + 3 x 0.5 = 2.5; hour 2-3: 3; hour 3-3.5: 3 x 0.25 = 0.75.
        assert_eq!(u.node_hours(), vec![2.5, 3.0, 0.75]);
    }
}
