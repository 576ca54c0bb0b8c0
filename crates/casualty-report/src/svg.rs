//! Bar and column charts written as inline SVG.
//!
//! The charts are written by hand rather than with a chart crate, because the page must be one
//! self-contained file with no scripts and byte-identical for the same input. So every number
//! is formatted with a fixed number of decimals, and nothing depends on the time or hash order.
//! Axis steps are found by multiplying by ten in a loop instead of with `log10`, and the
//! logarithmic time axis uses the pure-Rust `libm`, because the platform's math library may
//! differ in the last bits between systems.

use std::fmt::Write;

use crate::html::escape;

/// A named colour of a legend and its marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Series {
    pub(crate) name: String,
    /// CSS colour, such as `#0072b2`.
    pub(crate) color: &'static str,
}

/// One stacked column of a [`ColumnChart`]: a value per series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    /// The full label, in tooltips.
    pub(crate) label: String,
    /// The label under the axis, such as `03-01` for the date `2025-03-01`.
    pub(crate) axis_label: String,
    pub(crate) values: Vec<f64>,
}

/// Vertical stacked columns over a category axis, such as casualties per day.
#[derive(Debug, Clone)]
pub(crate) struct ColumnChart<'a> {
    /// The chart's `<title>`.
    pub(crate) title: String,
    /// The text alternative, in `aria-label`.
    pub(crate) summary: String,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) series: &'a [Series],
    pub(crate) columns: Vec<Column>,
    /// Maximum number of labels under the axis. Others are left out at even intervals.
    pub(crate) max_labels: usize,
}

/// One bar of a [`BarChart`] row: stacked segments and the text written after it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    /// Value and colour of each segment, and the text of its tooltip.
    pub(crate) segments: Vec<Segment>,
    pub(crate) annotation: String,
}

/// A part of a [`Bar`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub(crate) value: f64,
    pub(crate) color: &'static str,
    pub(crate) tooltip: String,
}

/// A labelled row of one bar, or of several grouped bars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) label: String,
    pub(crate) bars: Vec<Bar>,
}

/// Horizontal bars, one row per category, such as the triage mix.
#[derive(Debug, Clone)]
pub(crate) struct BarChart {
    /// The chart's `<title>`.
    pub(crate) title: String,
    /// The text alternative, in `aria-label`.
    pub(crate) summary: String,
    pub(crate) width: f64,
    pub(crate) rows: Vec<Row>,
    /// Formats an axis value, such as `1,000` or `40%`.
    pub(crate) axis_format: fn(f64) -> String,
    /// Whether axis steps are whole numbers (counts).
    pub(crate) whole_steps: bool,
}

/// Percentiles of a time for one row of a [`DotChart`], in minutes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DotRow {
    pub(crate) label: String,
    /// Minutes of each dot, in the order of the chart's series; `None` draws nothing.
    pub(crate) minutes: Vec<Option<u32>>,
    pub(crate) annotation: String,
}

/// Dots on a logarithmic time axis, one row per role, with a line from the first to the last
/// dot of a row: percentiles of times that run from minutes to days.
#[derive(Debug, Clone)]
pub(crate) struct DotChart<'a> {
    /// The chart's `<title>`.
    pub(crate) title: String,
    /// The text alternative, in `aria-label`.
    pub(crate) summary: String,
    pub(crate) width: f64,
    pub(crate) series: &'a [Series],
    pub(crate) rows: Vec<DotRow>,
}

/// Candidate ticks of the time axis, in minutes, with their labels.
const TIME_TICKS: [(u32, &str); 19] = [
    (1, "1 min"),
    (2, "2 min"),
    (5, "5 min"),
    (15, "15 min"),
    (30, "30 min"),
    (60, "1 h"),
    (120, "2 h"),
    (240, "4 h"),
    (480, "8 h"),
    (720, "12 h"),
    (1440, "1 d"),
    (2880, "2 d"),
    (5760, "4 d"),
    (10_080, "7 d"),
    (20_160, "14 d"),
    (43_200, "30 d"),
    (86_400, "60 d"),
    (172_800, "120 d"),
    (525_600, "365 d"),
];

const FONT_SIZE: f64 = 12.0;
const BAR_HEIGHT: f64 = 16.0;
const GROUPED_BAR_HEIGHT: f64 = 11.0;
const BAR_GAP: f64 = 2.0;
const ROW_GAP: f64 = 8.0;
const LABEL_WIDTH: f64 = 190.0;
const ANNOTATION_WIDTH: f64 = 110.0;
const AXIS_HEIGHT: f64 = 22.0;
const MAX_LABEL_CHARS: usize = 26;

impl ColumnChart<'_> {
    /// Writes the chart as one `<svg>` element.
    pub(crate) fn render(&self, out: &mut String) {
        let (left, right, top, bottom) = (56.0, 8.0, 10.0, 40.0);
        let plot_width = self.width - left - right;
        let plot_height = self.height - top - bottom;
        let max_total = self.columns.iter().map(|column| column.values.iter().sum::<f64>()).fold(0.0, f64::max);
        let (axis_max, step) = nice_axis(max_total, true);
        let y = |value: f64| top + plot_height - value / axis_max * plot_height;

        open_svg(out, self.width, self.height, &self.title, &self.summary);
        out.push_str("<g class=\"grid\">");
        for tick in ticks(axis_max, step) {
            let _ = write!(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(left), num(y(tick)), num(left + plot_width), num(y(tick)));
            let _ = write!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>", num(left - 6.0), num(y(tick)), escape(&format_count(tick)));
        }
        out.push_str("</g>");

        let count = self.columns.len().max(1) as f64;
        let slot = plot_width / count;
        let gap = if slot >= 4.0 { (slot * 0.15).min(6.0) } else { 0.0 };
        out.push_str("<g class=\"marks\">");
        for (index, column) in self.columns.iter().enumerate() {
            let x = left + index as f64 * slot + gap / 2.0;
            let mut stacked = 0.0;
            for (value, series) in column.values.iter().zip(self.series) {
                if *value <= 0.0 {
                    continue;
                }
                let top_y = y(stacked + value);
                let height = y(stacked) - top_y;
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                    num(x),
                    num(top_y),
                    num(slot - gap),
                    num(height),
                    series.color,
                    escape(&column.label),
                    escape(&format_count(*value)),
                    escape(&series.name)
                );
                stacked += value;
            }
        }
        out.push_str("</g>");

        let every = self.columns.len().div_ceil(self.max_labels.max(1)).max(1);
        out.push_str("<g class=\"axis\">");
        let _ = write!(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(left), num(top + plot_height), num(left + plot_width), num(top + plot_height));
        for (index, column) in self.columns.iter().enumerate().filter(|(index, _)| index % every == 0) {
            let x = left + (index as f64 + 0.5) * slot;
            let _ = write!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x), num(top + plot_height + 16.0), escape(&shorten(&column.axis_label)));
        }
        out.push_str("</g></svg>");
    }
}

impl BarChart {
    /// Returns the height the rows need, in SVG units.
    pub(crate) fn height(&self) -> f64 {
        let rows: f64 = self.rows.iter().map(row_height).sum();
        rows + ROW_GAP * self.rows.len().saturating_sub(1) as f64 + AXIS_HEIGHT + 8.0
    }

    /// Writes the chart as one `<svg>` element.
    pub(crate) fn render(&self, out: &mut String) {
        let height = self.height();
        let left = LABEL_WIDTH;
        let plot_width = self.width - LABEL_WIDTH - ANNOTATION_WIDTH;
        let plot_bottom = height - AXIS_HEIGHT;
        let max_total = self.rows.iter().flat_map(|row| &row.bars).map(|bar| bar.segments.iter().map(|s| s.value.max(0.0)).sum::<f64>()).fold(0.0, f64::max);
        let (axis_max, step) = nice_axis(max_total, self.whole_steps);
        let x = |value: f64| left + value / axis_max * plot_width;

        open_svg(out, self.width, height, &self.title, &self.summary);
        out.push_str("<g class=\"grid\">");
        for tick in ticks(axis_max, step) {
            let _ = write!(out, "<line x1=\"{}\" y1=\"4\" x2=\"{}\" y2=\"{}\"/>", num(x(tick)), num(x(tick)), num(plot_bottom));
            let _ = write!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x(tick)), num(plot_bottom + 15.0), escape(&(self.axis_format)(tick)));
        }
        out.push_str("</g>");

        let mut marks = String::new();
        let mut labels = String::new();
        let mut row_top = 4.0;
        for row in &self.rows {
            let height = row_height(row);
            let bar_height = if row.bars.len() > 1 { GROUPED_BAR_HEIGHT } else { BAR_HEIGHT };
            let _ = write!(
                labels,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}<title>{}</title></text>",
                num(LABEL_WIDTH - 8.0),
                num(row_top + height / 2.0),
                escape(&shorten(&row.label)),
                escape(&row.label)
            );
            for (index, bar) in row.bars.iter().enumerate() {
                let bar_top = row_top + index as f64 * (bar_height + BAR_GAP);
                let mut stacked = 0.0;
                for segment in &bar.segments {
                    if segment.value <= 0.0 {
                        continue;
                    }
                    let _ = write!(
                        marks,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                        num(x(stacked)),
                        num(bar_top),
                        num(x(stacked + segment.value) - x(stacked)),
                        num(bar_height),
                        segment.color,
                        escape(&segment.tooltip)
                    );
                    stacked += segment.value;
                }
                let _ = write!(
                    labels,
                    "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{}</text>",
                    num(x(stacked) + 5.0),
                    num(bar_top + bar_height / 2.0),
                    escape(&bar.annotation)
                );
            }
            row_top += height + ROW_GAP;
        }
        let _ = write!(out, "<g class=\"marks\">{marks}</g><g class=\"labels\">{labels}</g>");
        let _ = write!(out, "<g class=\"axis\"><line x1=\"{}\" y1=\"4\" x2=\"{}\" y2=\"{}\"/></g></svg>", num(left), num(left), num(plot_bottom));
    }
}

impl DotChart<'_> {
    const ROW_HEIGHT: f64 = 30.0;
    const DOT_RADIUS: f64 = 6.0;

    /// Returns the height the rows need, in SVG units.
    pub(crate) fn height(&self) -> f64 {
        self.rows.len() as f64 * Self::ROW_HEIGHT + AXIS_HEIGHT + 8.0
    }

    /// Writes the chart as one `<svg>` element.
    pub(crate) fn render(&self, out: &mut String) {
        let height = self.height();
        let left = LABEL_WIDTH;
        let annotation_width = 400.0;
        let plot_width = self.width - LABEL_WIDTH - annotation_width;
        let plot_bottom = height - AXIS_HEIGHT;
        let values: Vec<u32> = self.rows.iter().flat_map(|row| row.minutes.iter().flatten().copied()).collect();
        let (low, high) = time_axis(values.iter().copied().min().unwrap_or(1), values.iter().copied().max().unwrap_or(60));
        let (log_low, log_high) = (libm::log(f64::from(low)), libm::log(f64::from(high)));
        let x = |minutes: u32| left + (libm::log(f64::from(minutes.clamp(low, high))) - log_low) / (log_high - log_low) * plot_width;

        open_svg(out, self.width, height, &self.title, &self.summary);
        out.push_str("<g class=\"grid\">");
        for (minutes, label) in TIME_TICKS.iter().filter(|(minutes, _)| (low..=high).contains(minutes)) {
            let _ = write!(out, "<line x1=\"{}\" y1=\"4\" x2=\"{}\" y2=\"{}\"/>", num(x(*minutes)), num(x(*minutes)), num(plot_bottom));
            let _ = write!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x(*minutes)), num(plot_bottom + 15.0), label);
        }
        out.push_str("</g>");

        let mut marks = String::new();
        let mut labels = String::new();
        for (index, row) in self.rows.iter().enumerate() {
            let middle = 4.0 + (index as f64 + 0.5) * Self::ROW_HEIGHT;
            let _ = write!(
                labels,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}<title>{}</title></text>",
                num(LABEL_WIDTH - 8.0),
                num(middle),
                escape(&shorten(&row.label)),
                escape(&row.label)
            );
            let drawn: Vec<u32> = row.minutes.iter().flatten().copied().collect();
            if let (Some(first), Some(last)) = (drawn.iter().min(), drawn.iter().max()) {
                let _ = write!(marks, "<line class=\"range\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#6b7079\" stroke-width=\"2\"/>", num(x(*first)), num(middle), num(x(*last)), num(middle));
            }
            for (minutes, series) in row.minutes.iter().zip(self.series) {
                if let Some(minutes) = minutes {
                    let _ = write!(
                        marks,
                        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"#30343a\" stroke-width=\"0.75\"><title>{}, {}: {}</title></circle>",
                        num(x(*minutes)),
                        num(middle),
                        num(Self::DOT_RADIUS),
                        series.color,
                        escape(&row.label),
                        escape(&series.name),
                        escape(&format_minutes(*minutes))
                    );
                }
            }
            let _ = write!(labels, "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{}</text>", num(left + plot_width + 14.0), num(middle), escape(&row.annotation));
        }
        let _ = write!(out, "<g class=\"marks\">{marks}</g><g class=\"labels\">{labels}</g>");
        let _ = write!(out, "<g class=\"axis\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/></g></svg>", num(left), num(plot_bottom), num(left + plot_width), num(plot_bottom));
    }
}

/// Returns the ticks of [`TIME_TICKS`] just below `min` and just above `max` (in minutes), at
/// least a factor of four apart so that the axis has a few ticks.
fn time_axis(min: u32, max: u32) -> (u32, u32) {
    let low = TIME_TICKS.iter().rev().map(|(minutes, _)| *minutes).find(|minutes| *minutes <= min.max(1)).unwrap_or(1);
    let high = TIME_TICKS.iter().map(|(minutes, _)| *minutes).find(|minutes| *minutes >= max && *minutes >= low * 4).unwrap_or(TIME_TICKS[TIME_TICKS.len() - 1].0);
    (low, high.max(low * 4))
}

/// Formats minutes as `45 min` or `3 h 05 min`.
pub(crate) fn format_minutes(minutes: u32) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

fn row_height(row: &Row) -> f64 {
    let bars = row.bars.len().max(1) as f64;
    if bars > 1.0 {
        bars * GROUPED_BAR_HEIGHT + (bars - 1.0) * BAR_GAP
    } else {
        BAR_HEIGHT
    }
}

fn open_svg(out: &mut String, width: f64, height: f64, title: &str, summary: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\" font-size=\"{}\"><title>{}</title>",
        num(width),
        num(height),
        num(width),
        num(height),
        escape(summary),
        num(FONT_SIZE),
        escape(title)
    );
}

/// Returns a round axis maximum at or above `max` and its step, about four steps in all. With
/// `whole_steps` the step is at least 1. An empty chart gets the axis 0 to 1.
pub(crate) fn nice_axis(max: f64, whole_steps: bool) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, if whole_steps { 1.0 } else { 0.25 });
    }
    let raw_step = max / 4.0;
    let mut magnitude = 1.0;
    while magnitude * 10.0 <= raw_step {
        magnitude *= 10.0;
    }
    while magnitude > raw_step {
        magnitude /= 10.0;
    }
    let mut step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|factor| factor * magnitude).find(|step| *step >= raw_step).unwrap_or(10.0 * magnitude);
    if whole_steps {
        step = step.max(1.0).ceil();
    }
    ((max / step).ceil() * step, step)
}

fn ticks(axis_max: f64, step: f64) -> impl Iterator<Item = f64> {
    let count = (axis_max / step).round() as usize;
    (0..=count).map(move |index| index as f64 * step)
}

/// Formats an SVG coordinate with one decimal, never as `-0.0`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".to_string()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

fn shorten(label: &str) -> String {
    if label.chars().count() > MAX_LABEL_CHARS {
        format!("{}…", label.chars().take(MAX_LABEL_CHARS - 1).collect::<String>())
    } else {
        label.to_string()
    }
}

/// Formats a count with thousands separators, such as `12,345`. Fractions are rounded.
pub(crate) fn format_count(value: f64) -> String {
    let whole = value.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the attributes x, y, width and height of each `<rect>`.
    fn rects(svg: &str) -> Vec<[f64; 4]> {
        svg.split("<rect ")
            .skip(1)
            .map(|rest| {
                let rest = &rest[..rest.find('>').expect("the tag ends")];
                let attribute = |name: &str| -> f64 {
                    let start = rest.find(&format!(" {name}=\"")).map(|i| i + name.len() + 3).or_else(|| rest.starts_with(&format!("{name}=\"")).then_some(name.len() + 2)).expect(name);
                    let end = rest[start..].find('"').expect("a closing quote") + start;
                    rest[start..end].parse().expect("a number")
                };
                [attribute("x"), attribute("y"), attribute("width"), attribute("height")]
            })
            .collect()
    }

    fn view_box(svg: &str) -> (f64, f64) {
        let start = svg.find("viewBox=\"0 0 ").expect("a viewBox") + 13;
        let end = svg[start..].find('"').unwrap() + start;
        let mut parts = svg[start..end].split(' ').map(|part| part.parse::<f64>().unwrap());
        (parts.next().unwrap(), parts.next().unwrap())
    }

    fn series() -> Vec<Series> {
        vec![Series { name: "a".into(), color: "#000" }, Series { name: "b".into(), color: "#111" }]
    }

    #[test]
    fn nice_axis_rounds_up() {
        assert_eq!(nice_axis(0.0, true), (1.0, 1.0));
        assert_eq!(nice_axis(3.0, true), (3.0, 1.0));
        assert_eq!(nice_axis(97.0, true), (100.0, 25.0));
        assert_eq!(nice_axis(1234.0, true), (1500.0, 500.0));
        assert_eq!(nice_axis(0.62, false), (0.8, 0.2));
        assert_eq!(nice_axis(f64::NAN, false), (1.0, 0.25));
        for max in [1.0, 7.0, 19.0, 250.0, 999.0, 20_000.0, 123_456_789.0] {
            let (axis_max, step) = nice_axis(max, true);
            assert!(axis_max >= max, "{max}: axis up to {axis_max}");
            assert!(axis_max / step <= 10.0, "{max}: {axis_max} in steps of {step}");
        }
    }

    #[test]
    fn column_geometry_stays_inside() {
        let columns = (0..30).map(|day| Column { label: format!("day {day}"), axis_label: format!("{day}"), values: vec![day as f64, 2.0 * day as f64] }).collect();
        let chart = ColumnChart { title: "t".into(), summary: "s".into(), width: 600.0, height: 200.0, series: &series(), columns, max_labels: 10 };
        let mut svg = String::new();
        chart.render(&mut svg);
        let (width, height) = view_box(&svg);
        let found = rects(&svg);
        assert_eq!(found.len(), 58, "day 0 has no marks, so 29 days of two segments");
        for [x, y, w, h] in found {
            assert!(w > 0.0, "a mark has a width: {w}");
            assert!(h > 0.0, "a mark has a height: {h}");
            assert!(x >= 0.0, "x {x} is inside");
            assert!(x + w <= width + 0.1, "x {x} + {w} within {width}");
            assert!(y >= 0.0, "y {y} is inside");
            assert!(y + h <= height + 0.1, "y {y} + {h} within {height}");
        }
        assert_eq!(svg.matches("text-anchor=\"middle\"").count(), 10, "every third label of 30");
    }

    #[test]
    fn column_heights_are_proportional() {
        let columns = vec![Column { label: "x".into(), axis_label: "x".into(), values: vec![10.0, 30.0] }, Column { label: "y".into(), axis_label: "y".into(), values: vec![20.0, 0.0] }];
        let chart = ColumnChart { title: "t".into(), summary: "s".into(), width: 300.0, height: 200.0, series: &series(), columns, max_labels: 10 };
        let mut svg = String::new();
        chart.render(&mut svg);
        let found = rects(&svg);
        assert_eq!(found.len(), 3);
        let ratio = found[1][3] / found[0][3];
        assert!((ratio - 3.0).abs() < 0.05, "30 is three times 10: {ratio}");
        assert!((found[0][1] - (found[1][1] + found[1][3])).abs() < 0.11, "the second segment sits on the first");
        assert!((found[2][3] - found[0][3] * 2.0).abs() < 0.11, "20 is twice 10");
    }

    #[test]
    fn bar_geometry_and_empty_chart() {
        let bar = |value: f64| Bar { segments: vec![Segment { value, color: "#000", tooltip: "v".into() }], annotation: format!("{value}") };
        let rows = vec![Row { label: "one".into(), bars: vec![bar(5.0)] }, Row { label: "two".into(), bars: vec![bar(10.0), bar(0.0)] }];
        let chart = BarChart { title: "t".into(), summary: "s".into(), width: 560.0, rows, axis_format: format_count, whole_steps: true };
        let mut svg = String::new();
        chart.render(&mut svg);
        let (width, height) = view_box(&svg);
        assert_eq!(height, chart.height());
        let found = rects(&svg);
        assert_eq!(found.len(), 2, "a zero bar draws no mark");
        assert!((found[1][2] / found[0][2] - 2.0).abs() < 0.05, "10 is twice 5");
        for [x, y, w, h] in &found {
            assert!(*x >= LABEL_WIDTH - 0.1, "x {x} right of the labels");
            assert!(x + w <= width - ANNOTATION_WIDTH + 0.1, "x {x} + {w} left of the annotations");
            assert!(*y >= 0.0, "y {y} is inside");
            assert!(y + h <= height, "y {y} + {h} within {height}");
        }

        let empty = BarChart { title: "t".into(), summary: "s".into(), width: 560.0, rows: Vec::new(), axis_format: format_count, whole_steps: true };
        let mut svg = String::new();
        empty.render(&mut svg);
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
    }

    #[test]
    fn labels_are_escaped() {
        let columns = vec![Column { label: "<b>&".into(), axis_label: "<b>&".into(), values: vec![1.0, 0.0] }];
        let chart = ColumnChart { title: "a\"b".into(), summary: "<s>".into(), width: 300.0, height: 200.0, series: &series(), columns, max_labels: 10 };
        let mut svg = String::new();
        chart.render(&mut svg);
        assert!(svg.contains("&lt;b&gt;&amp;"), "{svg}");
        assert!(svg.contains("aria-label=\"&lt;s&gt;\""), "{svg}");
        assert!(svg.contains("<title>a&quot;b</title>"), "{svg}");
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn dot_geometry_on_log_axis() {
        let rows = vec![
            DotRow { label: "Role 1".into(), minutes: vec![Some(60), Some(120), Some(240)], annotation: "a".into() },
            DotRow { label: "Role 4".into(), minutes: vec![Some(2880), None, Some(0)], annotation: "b".into() },
        ];
        let three = [series(), series()].concat();
        let chart = DotChart { title: "t".into(), summary: "s".into(), width: 1180.0, series: &three[..3], rows };
        let mut svg = String::new();
        chart.render(&mut svg);
        let centres: Vec<f64> = svg
            .split("<circle cx=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
            .collect();
        assert_eq!(centres.len(), 5, "a missing percentile draws no dot");
        let (one_hour, two_hours, four_hours) = (centres[0], centres[1], centres[2]);
        assert!(((two_hours - one_hour) - (four_hours - two_hours)).abs() < 0.2, "doubling is one equal step on a log axis");
        assert!(centres.iter().all(|x| *x >= LABEL_WIDTH - 0.1 && *x <= 1180.0), "{centres:?}");
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
    }

    #[test]
    fn time_axis_brackets_values() {
        assert_eq!(time_axis(45, 400), (30, 480));
        assert_eq!(time_axis(0, 0), (1, 5));
        assert_eq!(time_axis(60, 60), (60, 240));
        assert_eq!(time_axis(1, u32::MAX), (1, 525_600));
    }

    #[test]
    fn count_and_number_formats() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(999.0), "999");
        assert_eq!(format_count(1000.0), "1,000");
        assert_eq!(format_count(1_234_567.0), "1,234,567");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(40.0), "40");
    }
}
