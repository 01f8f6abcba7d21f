//! Daily bar charts drawn on the server as SVG: no script, nothing for the page's CSP to
//! allow, readable without JavaScript; each chart's figures are also in the page's table.

use std::fmt::Write;

/// Width of a chart's drawing area (the SVG scales to its box).
const W: i64 = 720;
/// Its height.
const H: i64 = 120;

/// An SVG bar chart of `values` (one bar per day), titled `title` for assistive technology.
pub fn bars(title: &str, values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let n = i64::try_from(values.len()).unwrap_or(1).max(1);
    let slot = W / n;
    let bar = (slot * 3 / 4).max(1);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" preserveAspectRatio="none"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    for (i, v) in (0..).zip(values) {
        let h = if *v > 0 { (v * (H - 4) / max).max(2) } else { 0 };
        let _ = write!(svg, r#"<rect x="{}" y="{}" width="{bar}" height="{h}"></rect>"#, i * slot, H - h);
    }
    svg.push_str(&format!(r#"<line x1="0" y1="{H}" x2="{W}" y2="{H}"></line></svg>"#));
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_day_and_escape_their_title() {
        let svg = bars("Clicks <per> day", &[0, 5, 10]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Clicks &lt;per&gt; day"));
        assert!(svg.contains(r#"<rect x="0" y="120" width="180" height="0">"#), "an empty day has no bar");
        assert!(svg.contains(r#"<rect x="480" y="4" width="180" height="116">"#), "the largest day fills the height");
        assert!(svg.contains(r#"<rect x="240" y="62" width="180" height="58">"#));
        assert_eq!(bars("none", &[]).matches("<rect").count(), 0);
    }
}
