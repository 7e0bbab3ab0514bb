//! PNG copies of the SVG charts, for slides and tools that do not take SVG.
//!
//! The charts are drawn once, as SVG; a PNG is that SVG rasterised by resvg at twice its size
//! (sharp on high-density screens and in slides). Text is set in DejaVu Sans, compiled into
//! capsim (see `fonts/LICENSE.txt`), never in a system font, so the same chart gives the same
//! pixels on every machine, with or without fonts installed.

use anyhow::Context;
use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const FAMILY: &str = "DejaVu Sans";
/// Pixels per SVG unit.
const SCALE: f32 = 2.0;

fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        // Every generic family the charts may name resolves to the bundled face.
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Rasterises one chart's SVG text to PNG bytes.
pub fn svg_to_png(svg: &str) -> anyhow::Result<Vec<u8>> {
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: FAMILY.to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).context("reading the chart's SVG")?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * SCALE).ceil() as u32,
        (size.height() * SCALE).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))
        .with_context(|| format!("a {w} x {h} pixel image is too large"))?;
    // An opaque white background: a transparent PNG turns black in some viewers.
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("encoding the PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_with_the_bundled_font() {
        // The same label with and without text: if no font were found, the text would draw
        // nothing and both images would be equal.
        let svg = |label: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">
                   <text x="10" y="25" font-family="sans-serif" font-size="16">{label}</text></svg>"#
            )
        };
        let with = svg_to_png(&svg("$1,234 / month")).unwrap();
        let without = svg_to_png(&svg("")).unwrap();
        assert_ne!(with, without);
        assert_eq!(&with[1..4], b"PNG");
        // 2x scale: the IHDR width and height are 240 x 80.
        assert_eq!(u32::from_be_bytes(with[16..20].try_into().unwrap()), 240);
        assert_eq!(u32::from_be_bytes(with[20..24].try_into().unwrap()), 80);
    }
}
