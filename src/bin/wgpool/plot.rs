//! The benchmark's bar chart: ratio_to_copy per row, as SVG or PNG (plotters).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

/// Where the plot's font comes from (plotters measures text with it): the first that exists.
const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

fn register_font() -> Result<(), String> {
    let bytes = FONT_PATHS
        .iter()
        .find_map(|path| std::fs::read(path).ok())
        .ok_or_else(|| {
            format!(
                "a plot needs a TrueType font at one of {FONT_PATHS:?} (Debian: apt-get \
                 install fonts-dejavu-core)"
            )
        })?;
    // plotters keeps fonts for the life of the process; every generic family uses this one.
    let bytes: &'static [u8] = Box::leak(bytes.into());
    for family in ["sans-serif", "serif", "monospace"] {
        plotters::style::register_font(family, FontStyle::Normal, bytes)
            .map_err(|_| "the font could not be read".to_string())?;
    }
    Ok(())
}

/// Draws one horizontal bar per `(label, ratio)`, with the 0.7 target marked.
pub fn ratio_chart(path: &Path, title: &str, bars: &[(String, f64)]) -> Result<(), String> {
    let size = (1100, 120 + 34 * bars.len() as u32);
    let extension = path.extension().and_then(|e| e.to_str());
    if !matches!(extension, Some("svg" | "png")) {
        return Err(format!(
            "{}: the plot must be a .svg or .png file",
            path.display()
        ));
    }
    register_font()?;
    if extension == Some("svg") {
        draw(SVGBackend::new(path, size).into_drawing_area(), title, bars)
    } else {
        draw(
            BitMapBackend::new(path, size).into_drawing_area(),
            title,
            bars,
        )
    }
}

fn draw<B: DrawingBackend>(
    root: DrawingArea<B, Shift>,
    title: &str,
    bars: &[(String, f64)],
) -> Result<(), String> {
    let fail = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(fail)?;
    let top = bars.iter().map(|(_, r)| *r).fold(1.0f64, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("ratio to copy bandwidth: {title}"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(420)
        .build_cartesian_2d(0.0..top, (0..bars.len()).into_segmented())
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        })
        .x_desc("effective GB/s / copy GB/s (target 0.7)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, ratio))| {
            let color = if *ratio >= 0.7 {
                GREEN.mix(0.7)
            } else {
                RED.mix(0.6)
            };
            Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (*ratio, SegmentValue::Exact(i + 1)),
                ],
                color.filled(),
            )
        }))
        .map_err(fail)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.7, SegmentValue::Exact(0)), (0.7, SegmentValue::Last)],
            BLACK.stroke_width(2),
        )))
        .map_err(fail)?;
    root.present().map_err(fail)
}
