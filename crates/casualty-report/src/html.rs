//! The HTML page: layout, inline style, tables, and escaping of every string that enters it.

use std::borrow::Cow;
use std::fmt::Write;

use crate::charts;
use crate::data;
use crate::input::{MetadataSource, Run};
use crate::svg::{format_count, Series};

/// Escapes text for HTML element content and quoted attribute values.
///
/// # Example
/// ```
/// assert_eq!(casualty_report::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// A table of text cells; every cell is escaped when written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) caption: String,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    /// Writes the table. Columns after the first are numbers and aligned right. A table of more
    /// than `visible_rows` rows is folded into a `<details>` element.
    pub(crate) fn render(&self, out: &mut String, visible_rows: usize) {
        let folded = self.rows.len() > visible_rows;
        if folded {
            let _ = write!(out, "<details><summary>{} ({} rows)</summary>", escape(&self.caption), self.rows.len());
        }
        let _ = write!(out, "<table><caption>{}</caption><thead><tr>", escape(&self.caption));
        for header in &self.headers {
            let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for (index, cell) in row.iter().enumerate() {
                if index == 0 {
                    let _ = write!(out, "<th scope=\"row\">{}</th>", escape(cell));
                } else {
                    let _ = write!(out, "<td>{}</td>", escape(cell));
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        if folded {
            out.push_str("</details>");
        }
    }
}

/// One chart section: heading, note, SVG, legend and table.
pub(crate) struct Figure<'a> {
    /// Element id, `chart-<key>`.
    pub(crate) key: &'a str,
    pub(crate) heading: &'a str,
    /// The method behind the figure, in one or two sentences.
    pub(crate) note: &'a str,
    /// Whether the figure spans both columns of the page.
    pub(crate) wide: bool,
    pub(crate) svg: String,
    pub(crate) legend: Vec<Series>,
    pub(crate) table: Table,
    /// Rows shown before the table is folded.
    pub(crate) visible_rows: usize,
}

impl Figure<'_> {
    pub(crate) fn render(&self, out: &mut String) {
        let class = if self.wide { "chart wide" } else { "chart" };
        let _ = write!(out, "<section class=\"{class}\" id=\"chart-{key}\" data-chart=\"{key}\"><h2>{}</h2>", escape(self.heading), key = escape(self.key));
        if !self.note.is_empty() {
            let _ = write!(out, "<p class=\"note\">{}</p>", escape(self.note));
        }
        out.push_str(&self.svg);
        if !self.legend.is_empty() {
            out.push_str("<ul class=\"legend\">");
            for series in &self.legend {
                let _ = write!(out, "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>", series.color, escape(&series.name));
            }
            out.push_str("</ul>");
        }
        self.table.render(out, self.visible_rows);
        out.push_str("</section>");
    }
}

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;background:#f4f5f7;color:#1c1e21;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
main{max-width:1240px;margin:0 auto;padding:20px}\
h1{font-size:24px;margin:0 0 4px}\
h2{font-size:16px;margin:0 0 4px}\
.subtitle{margin:0 0 16px;color:#4a4f57}\
.notice{background:#fff4d6;border:1px solid #e6c35c;border-radius:6px;padding:10px 14px;margin:0 0 16px}\
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin:0 0 16px}\
.card{background:#fff;border:1px solid #dde0e4;border-radius:6px;padding:10px 12px}\
.card .value{font-size:22px;font-weight:600;display:block}\
.card .label{color:#4a4f57;font-size:12px}\
.card .detail{font-size:12px;display:block;color:#4a4f57}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}\
.chart{background:#fff;border:1px solid #dde0e4;border-radius:6px;padding:14px 16px;min-width:0}\
.wide{grid-column:1/-1}\
.note{margin:0 0 8px;color:#4a4f57;font-size:12px}\
svg{display:block;max-width:100%;height:auto;font-family:inherit}\
svg .grid line{stroke:#e3e5e8}\
svg .axis line{stroke:#6b7079}\
svg text{fill:#30343a}\
.legend{list-style:none;margin:6px 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px}\
.swatch{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border:1px solid rgba(0,0,0,.25)}\
table{border-collapse:collapse;font-size:12px;margin-top:8px;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding-bottom:2px}\
th,td{padding:2px 10px 2px 0;text-align:right;border-bottom:1px solid #eceef0}\
th[scope=row],thead th:first-child{text-align:left}\
details{margin-top:8px;font-size:12px}\
summary{cursor:pointer;color:#2458a6}\
.run th,.run td{text-align:left}\
.run td{overflow-wrap:anywhere}\
.run th[scope=row]{white-space:nowrap}\
code{font-size:12px;word-break:break-all}\
";

/// Renders the whole page.
pub(crate) fn render_page(run: &Run) -> String {
    let statistics = &run.statistics;
    let mut out = String::with_capacity(256 * 1024);
    let scenario_name = match &run.metadata {
        MetadataSource::Found { metadata, .. } => Some(metadata.scenario_name.as_str()),
        MetadataSource::Missing { .. } => None,
    };
    let title = match scenario_name {
        Some(name) => format!("Casualty report: {name}"),
        None => format!("Casualty report: {}", run.input_name),
    };

    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // The policy blocks every fetch, so the page cannot load anything from the network even if a
    // browser were asked to.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");

    let _ = write!(out, "<header><h1>{}</h1>", escape(&title));
    let compression = if run.compressed { ", gzip" } else { "" };
    let _ = writeln!(
        out,
        "<p class=\"subtitle\">{} casualties read from <code>{}</code> ({}{compression}).</p></header>",
        format_count(statistics.total() as f64),
        escape(&run.input_name),
        run.format.as_str()
    );

    if statistics.total() == 0 {
        out.push_str("<p class=\"notice\" id=\"no-casualties\">The input contains no casualties, so there is nothing to chart.</p>\n");
    }
    for warning in charts::warnings(run) {
        let _ = writeln!(out, "<p class=\"notice\">{}</p>", escape(&warning));
    }
    if statistics.total() > 0 {
        charts::headline(statistics, &mut out);
    }

    out.push_str("<div class=\"grid\">\n");
    charts::targets(run, &mut out);
    if statistics.total() > 0 {
        for figure in charts::figures(statistics) {
            figure.render(&mut out);
            out.push('\n');
        }
    }
    out.push_str("</div>\n</main>\n");

    let _ = writeln!(out, "<script type=\"application/json\" id=\"report-data\">{}</script>", data::script_json(run));
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_markup() {
        assert_eq!(escape("plain text"), "plain text");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(escape("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(escape("Ωmega &amp;"), "Ωmega &amp;amp;");
    }

    #[test]
    fn table_escapes_and_folds() {
        let table = Table { caption: "<c>".into(), headers: vec!["h".into(), "n".into()], rows: vec![vec!["<r>".into(), "1".into()], vec!["s".into(), "2".into()]] };
        let mut out = String::new();
        table.render(&mut out, 5);
        assert!(out.contains("<caption>&lt;c&gt;</caption>"), "{out}");
        assert!(out.contains("<th scope=\"row\">&lt;r&gt;</th>"), "{out}");
        assert!(!out.contains("<details>"));
        let mut folded = String::new();
        table.render(&mut folded, 1);
        assert!(folded.starts_with("<details><summary>&lt;c&gt; (2 rows)</summary>"), "{folded}");
    }
}
