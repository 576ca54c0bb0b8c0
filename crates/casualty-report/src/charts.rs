//! The report's sections, built from the statistics: headline figures, configured targets, and
//! one figure (chart and table) per view of the run.

use std::fmt::Write;

use casualty_core::record::{FinalStatus, Triage};
use casualty_core::scenario::{Category, Role};
use casualty_core::time::{Timestamp, DAY};

use crate::html::{escape, Figure, Table};
use crate::input::{MetadataSource, Run};
use crate::metadata::RunMetadata;
use crate::statistics::{MinuteHistogram, Statistics, Tally, ARRIVAL_ROLES, DEATHS, PERCENTILES_PER_MILLE};
use crate::svg::{format_count, format_minutes, Bar, BarChart, Column, ColumnChart, DotChart, DotRow, Row, Segment, Series};

/// viewBox width of a figure that spans the page.
const WIDE: f64 = 1180.0;
/// viewBox width of a figure in one of the two columns.
const NARROW: f64 = 560.0;
/// Maximum rows of the mechanism and body-region charts. The rest are summed in one row.
const MAX_CHART_ROWS: usize = 14;
/// Maximum days drawn with the days between them filled in, so that gaps show. A longer span (only
/// possible with hand-made input) draws only the days that have casualties.
const MAX_FILLED_DAYS: i64 = 1000;

/// Colours of Disease, Non-Battle Injury and Battle Injury (Okabe–Ito palette, which readers with
/// colour-vision deficiency can tell apart).
pub(crate) const CATEGORY_COLORS: [&str; 3] = ["#009e73", "#e69f00", "#d55e00"];
/// Colours of T1 to T4, after the usual triage colours red, yellow, green and blue.
const TRIAGE_COLORS: [&str; 4] = ["#d55e00", "#f0e442", "#009e73", "#0072b2"];
/// Colours of KIA, DOW, DNBI death, RTD and remaining at Role 4.
const STATUS_COLORS: [&str; 5] = ["#222222", "#cc79a7", "#8c8c8c", "#009e73", "#56b4e9"];
/// Colours of p50, p90 and p95.
const PERCENTILE_COLORS: [&str; 3] = ["#0072b2", "#56b4e9", "#e69f00"];
const CONFIGURED_COLOR: &str = "#9a9a9a";
const OBSERVED_COLOR: &str = "#0072b2";

/// Returns the label of a final status for readers.
pub(crate) fn status_label(status: FinalStatus) -> &'static str {
    match status {
        FinalStatus::Kia => "KIA",
        FinalStatus::Dow => "DOW",
        FinalStatus::DnbiDeath => "DNBI death",
        FinalStatus::Rtd => "RTD",
        FinalStatus::RemainsRole4 => "In care at Role 4",
    }
}

/// Returns the label of a role for readers, such as `Role 1`.
pub(crate) fn role_label(role: Role) -> &'static str {
    match role {
        Role::Poi => "POI",
        Role::Role1 => "Role 1",
        Role::Role2 => "Role 2",
        Role::Role3 => "Role 3",
        Role::Role4 => "Role 4",
    }
}

/// Formats `part` as a percentage of `whole` with one decimal, or `–` when `whole` is 0.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn duration_or_dash(minutes: Option<u32>) -> String {
    minutes.map_or_else(|| "–".to_string(), format_minutes)
}

fn count(value: u64) -> String {
    format_count(value as f64)
}

fn category_series() -> Vec<Series> {
    Category::ALL.iter().map(|c| Series { name: c.as_str().to_string(), color: CATEGORY_COLORS[c.index()] }).collect()
}

fn status_series() -> Vec<Series> {
    FinalStatus::ALL.iter().map(|s| Series { name: status_label(*s).to_string(), color: STATUS_COLORS[s.index()] }).collect()
}

/// Returns statements about the input that a reader should see before the figures, such as a
/// file that contains fewer records than its metadata states.
pub(crate) fn warnings(run: &Run) -> Vec<String> {
    let mut warnings = Vec::new();
    if let MetadataSource::Found { metadata, origin } = &run.metadata {
        let read = run.statistics.total();
        if metadata.patients_in_file != read {
            warnings.push(format!(
                "The metadata ({origin}) states {} patients in this file, but {} records were read: the file may be cut short, or the metadata may belong to another file.",
                count(metadata.patients_in_file),
                count(read)
            ));
        }
    }
    warnings
}

/// Writes the row of headline figures.
pub(crate) fn headline(statistics: &Statistics, out: &mut String) {
    let total = statistics.total();
    let categories = statistics.by_category();
    let triage = statistics.by_triage();
    let status = statistics.by_status();
    let deaths: u64 = DEATHS.iter().map(|s| status[s.index()]).sum();
    let role1 = &statistics.time_to_role()[0];

    out.push_str("<section class=\"cards\" id=\"headline\" aria-label=\"Headline figures\">");
    let mut card = |value: String, label: &str, detail: String| {
        let _ = write!(out, "<div class=\"card\"><span class=\"value\">{}</span><span class=\"label\">{}</span><span class=\"detail\">{}</span></div>", escape(&value), escape(label), escape(&detail));
    };
    card(count(total), "casualties", format!("{} days with casualties", statistics.by_day().len()));
    card(
        percent(categories[Category::BattleInjury.index()], total),
        "Battle Injury",
        format!("Disease {} · NBI {}", percent(categories[Category::Disease.index()], total), percent(categories[Category::NonBattleInjury.index()], total)),
    );
    card(percent(triage[Triage::T1.index()], total), "triage T1", format!("T2 {} · T3 {} · T4 {}", percent(triage[1], total), percent(triage[2], total), percent(triage[3], total)));
    card(
        count(deaths),
        "deaths",
        format!("KIA {} · DOW {} · DNBI {}", count(status[FinalStatus::Kia.index()]), count(status[FinalStatus::Dow.index()]), count(status[FinalStatus::DnbiDeath.index()])),
    );
    card(
        percent(status[FinalStatus::Rtd.index()], total),
        "returned to duty",
        format!("{} in care at Role 4", count(status[FinalStatus::RemainsRole4.index()])),
    );
    card(duration_or_dash(role1.percentile(500)), "injury to Role 1, median", format!("p90 {}", duration_or_dash(role1.percentile(900))));
    out.push_str("</section>\n");
}

/// Writes the section that sets the configured targets beside the observed values, or states
/// that no metadata was found.
pub(crate) fn targets(run: &Run, out: &mut String) {
    let metadata = match &run.metadata {
        MetadataSource::Found { metadata, origin } => (metadata, origin),
        MetadataSource::Missing { searched } => {
            let _ = writeln!(
                out,
                "<section class=\"chart wide\" id=\"targets\" data-metadata=\"missing\"><h2>Configured targets</h2><p class=\"notice\" id=\"no-metadata\">No run metadata was found \
                 beside the input (looked for {}), so the configured targets cannot be compared with the records. Give the metadata file with \
                 <code>--metadata FILE</code>.</p></section>",
                escape(&searched.join(", "))
            );
            return;
        }
    };
    let (metadata, origin) = metadata;
    let _ = write!(
        out,
        "<section class=\"chart run\" id=\"targets\" data-metadata=\"found\"><h2>Run and configured targets</h2><p class=\"note\">From {}.</p>",
        escape(origin)
    );
    run_table(metadata, &run.statistics).render(out, usize::MAX);
    out.push_str("</section>\n");

    let statistics = &run.statistics;
    let total = statistics.total();
    let categories = statistics.by_category();
    let rows: Vec<Row> = Category::ALL
        .iter()
        .map(|category| {
            let configured = metadata.scenario.injury_distribution[category.index()] * 100.0;
            let observed = if total == 0 { 0.0 } else { categories[category.index()] as f64 * 100.0 / total as f64 };
            let bar = |value: f64, color: &'static str, what: &str| Bar {
                segments: vec![Segment { value, color, tooltip: format!("{} {what}: {value:.1}%", category.as_str()) }],
                annotation: format!("{value:.1}% {what}"),
            };
            Row { label: category.as_str().to_string(), bars: vec![bar(configured, CONFIGURED_COLOR, "configured"), bar(observed, OBSERVED_COLOR, "observed")] }
        })
        .collect();
    let summary = Category::ALL
        .iter()
        .map(|c| format!("{} configured {:.1}%, observed {}", c.as_str(), metadata.scenario.injury_distribution[c.index()] * 100.0, percent(categories[c.index()], total)))
        .collect::<Vec<_>>()
        .join("; ");
    let chart = BarChart { title: "Configured and observed category shares".into(), summary, width: NARROW, rows, axis_format: percent_axis, whole_steps: false };
    let mut svg = String::new();
    chart.render(&mut svg);
    let legend = [Series { name: "configured".into(), color: CONFIGURED_COLOR }, Series { name: "observed".into(), color: OBSERVED_COLOR }];
    let mut table = Table { caption: "Category shares".into(), headers: vec!["Category".into(), "Configured".into(), "Observed".into(), "Count".into()], rows: Vec::new() };
    for category in Category::ALL {
        table.rows.push(vec![
            category.as_str().to_string(),
            format!("{:.1}%", metadata.scenario.injury_distribution[category.index()] * 100.0),
            percent(categories[category.index()], total),
            count(categories[category.index()]),
        ]);
    }
    Figure {
        key: "targets",
        heading: "Injury distribution: configured and observed",
        note: "Each casualty's category is drawn, so observed shares vary around the configured ones.",
        wide: false,
        svg,
        legend: legend.to_vec(),
        table,
        visible_rows: usize::MAX,
    }
    .render(out);
    out.push('\n');
}

fn run_table(metadata: &RunMetadata, statistics: &Statistics) -> Table {
    let scenario = &metadata.scenario;
    let observed_days = match statistics.injury_span() {
        Some((first, last)) => format!("{} to {} (UTC dates of injury)", Timestamp(first).date_string(), Timestamp(last).date_string()),
        None => "–".to_string(),
    };
    let shard = match metadata.shard {
        Some(shard) => format!("{} of {} (patients from sequence {})", shard.index, shard.total, count(metadata.first_patient)),
        None => "not sharded".to_string(),
    };
    let warfare = scenario.warfare_types.iter().map(|(name, weight)| format!("{name} {:.0}%", weight * 100.0)).collect::<Vec<_>>().join(", ");
    let conditions = if scenario.environmental_conditions.is_empty() { "none".to_string() } else { scenario.environmental_conditions.join(", ") };
    let fronts = scenario.fronts.iter().map(|front| front.name.as_str()).collect::<Vec<_>>().join(", ");
    let rows = vec![
        vec!["Scenario".to_string(), metadata.scenario_name.clone()],
        vec!["Generator".to_string(), format!("{} {}", metadata.generator, metadata.generator_version)],
        vec!["Scenario SHA-256".to_string(), metadata.scenario_sha256.clone()],
        vec!["Seed".to_string(), metadata.seed.to_string()],
        vec!["Casualties requested".to_string(), count(scenario.count)],
        vec!["Casualties in this file (metadata)".to_string(), count(metadata.patients_in_file)],
        vec!["Casualties read".to_string(), count(statistics.total())],
        vec!["Shard".to_string(), shard],
        vec!["Start (base date)".to_string(), metadata.base_date.clone()],
        vec!["Days of fighting".to_string(), metadata.days_of_fighting.to_string()],
        vec!["Days observed".to_string(), observed_days],
        vec!["Intensity, tempo".to_string(), format!("{}, {}", scenario.intensity, scenario.tempo)],
        vec!["Warfare types".to_string(), warfare],
        vec!["Environmental conditions".to_string(), conditions],
        vec!["Special events".to_string(), scenario.special_events.len().to_string()],
        vec![format!("Fronts ({})", scenario.fronts.len()), fronts],
    ];
    Table { caption: "Run".into(), headers: vec!["Setting".into(), "Value".into()], rows }
}

fn percent_axis(value: f64) -> String {
    format!("{value:.0}%")
}

/// Builds every figure of a run with casualties, in page order.
pub(crate) fn figures(statistics: &Statistics) -> Vec<Figure<'static>> {
    vec![
        per_day(statistics),
        per_hour(statistics),
        category_mix(statistics),
        triage_mix(statistics),
        tally_figure(statistics.mechanisms(), "mechanism", "Mechanism of injury or disease group", "Casualties by mechanism, coloured by category. The chart shows the most frequent; the table lists all.", "Mechanism"),
        tally_figure(
            statistics.body_regions(),
            "body-region",
            "Wounds by body region",
            "Every diagnosis counts, not only the primary one, so a casualty with three wounds counts three times.",
            "Body region",
        ),
        outcome_by_triage(statistics),
        deaths_by_location(statistics),
        time_to_role(statistics),
    ]
}

fn per_day(statistics: &Statistics) -> Figure<'static> {
    let by_day = statistics.by_day();
    let days: Vec<i64> = match (by_day.keys().next(), by_day.keys().next_back()) {
        (Some(first), Some(last)) if last - first < MAX_FILLED_DAYS => (*first..=*last).collect(),
        _ => by_day.keys().copied().collect(),
    };

    let series = category_series();
    let mut columns = Vec::with_capacity(days.len());
    let mut table = Table { caption: "Casualties per day".into(), headers: vec!["Date (UTC)".into()], rows: Vec::new() };
    table.headers.extend(Category::ALL.iter().map(|c| c.as_str().to_string()));
    table.headers.push("Total".into());
    let (mut peak_day, mut peak) = (0, 0);
    for day in &days {
        let counts = by_day.get(day).copied().unwrap_or_default();
        let date = Timestamp(day * DAY).date_string();
        let total: u64 = counts.iter().sum();
        if total > peak {
            (peak_day, peak) = (*day, total);
        }
        columns.push(Column { label: date.clone(), axis_label: date[5..].to_string(), values: counts.iter().map(|c| *c as f64).collect() });
        let mut row = vec![date];
        row.extend(counts.iter().map(|c| count(*c)));
        row.push(count(total));
        table.rows.push(row);
    }

    let summary = format!(
        "Casualties per day over {} days from {} to {}; the busiest day is {} with {} casualties.",
        days.len(),
        table.rows.first().map_or("", |row| row[0].as_str()),
        table.rows.last().map_or("", |row| row[0].as_str()),
        Timestamp(peak_day * DAY).date_string(),
        count(peak)
    );

    let chart = ColumnChart { title: "Casualties per day".into(), summary, width: WIDE, height: 280.0, series: &series, columns, max_labels: 20 };
    let mut svg = String::new();
    chart.render(&mut svg);
    Figure {
        key: "per-day",
        heading: "Casualties per day",
        note: "By UTC date of injury, stacked by category.",
        wide: true,
        svg,
        legend: series,
        table,
        visible_rows: 0,
    }
}

fn per_hour(statistics: &Statistics) -> Figure<'static> {
    let by_hour = statistics.by_hour();
    let series = category_series();
    let mut table = Table { caption: "Casualties by hour of day".into(), headers: vec!["Hour (UTC)".into()], rows: Vec::new() };
    table.headers.extend(Category::ALL.iter().map(|c| c.as_str().to_string()));
    table.headers.push("Total".into());
    let mut columns = Vec::with_capacity(24);
    for (hour, counts) in by_hour.iter().enumerate() {
        let label = format!("{hour:02}:00");
        columns.push(Column { label: label.clone(), axis_label: format!("{hour:02}"), values: counts.iter().map(|c| *c as f64).collect() });
        let mut row = vec![label];
        row.extend(counts.iter().map(|c| count(*c)));
        row.push(count(counts.iter().sum()));
        table.rows.push(row);
    }

    let totals: Vec<u64> = by_hour.iter().map(|counts| counts.iter().sum()).collect();
    let busiest = (0..24).max_by(|a, b| totals[*a].cmp(&totals[*b]).then_with(|| b.cmp(a))).unwrap_or(0);
    let quietest = (0..24).min_by(|a, b| totals[*a].cmp(&totals[*b]).then_with(|| a.cmp(b))).unwrap_or(0);
    let summary = format!(
        "Casualties by UTC hour of injury; the busiest hour is {busiest:02}:00 with {}, the quietest {quietest:02}:00 with {}.",
        count(totals[busiest]),
        count(totals[quietest])
    );

    let chart = ColumnChart { title: "Casualties by hour of day".into(), summary, width: NARROW, height: 240.0, series: &series, columns, max_labels: 12 };
    let mut svg = String::new();
    chart.render(&mut svg);
    Figure {
        key: "per-hour",
        heading: "Casualties by hour of day",
        note: "By UTC hour of injury over the whole run, stacked by category.",
        wide: false,
        svg,
        legend: series,
        table,
        visible_rows: 0,
    }
}

fn category_mix(statistics: &Statistics) -> Figure<'static> {
    let total = statistics.total();
    let categories = statistics.by_category();
    let rows = Category::ALL
        .iter()
        .map(|category| {
            let n = categories[category.index()];
            single_bar_row(category.as_str(), n as f64, CATEGORY_COLORS[category.index()], format!("{} ({})", count(n), percent(n, total)))
        })
        .collect();
    let summary = Category::ALL.iter().map(|c| format!("{} {} ({})", c.as_str(), count(categories[c.index()]), percent(categories[c.index()], total))).collect::<Vec<_>>().join(", ");
    let chart = BarChart { title: "Casualties by category".into(), summary, width: NARROW, rows, axis_format: format_count, whole_steps: true };
    let mut table = count_table("Casualties by category", "Category");
    for category in Category::ALL {
        table.rows.push(vec![category.as_str().to_string(), count(categories[category.index()]), percent(categories[category.index()], total)]);
    }
    figure("category", "Category mix", "Disease and Non-Battle Injury together are DNBI.", chart, table)
}

fn triage_mix(statistics: &Statistics) -> Figure<'static> {
    let total = statistics.total();
    let triage = statistics.by_triage();
    let rows = Triage::ALL
        .iter()
        .map(|t| single_bar_row(triage_label(*t), triage[t.index()] as f64, TRIAGE_COLORS[t.index()], format!("{} ({})", count(triage[t.index()]), percent(triage[t.index()], total))))
        .collect();
    let summary = Triage::ALL.iter().map(|t| format!("{} {} ({})", t.as_str(), count(triage[t.index()]), percent(triage[t.index()], total))).collect::<Vec<_>>().join(", ");
    let chart = BarChart { title: "Casualties by triage category".into(), summary, width: NARROW, rows, axis_format: format_count, whole_steps: true };
    let mut table = count_table("Casualties by triage category", "Triage");
    for t in Triage::ALL {
        table.rows.push(vec![triage_label(t).to_string(), count(triage[t.index()]), percent(triage[t.index()], total)]);
    }
    figure("triage", "Triage mix", "Triage category at the point of injury.", chart, table)
}

fn triage_label(triage: Triage) -> &'static str {
    match triage {
        Triage::T1 => "T1 immediate",
        Triage::T2 => "T2 delayed",
        Triage::T3 => "T3 minimal",
        Triage::T4 => "T4 expectant",
    }
}

fn tally_figure(tally: &Tally, key: &'static str, heading: &'static str, note: &'static str, kind: &str) -> Figure<'static> {
    let total = tally.total();
    let sorted = tally.by_count();
    let series = category_series();
    let segments = |by_category: [u64; 3], label: &str| -> Vec<Segment> {
        Category::ALL
            .iter()
            .map(|c| Segment { value: by_category[c.index()] as f64, color: CATEGORY_COLORS[c.index()], tooltip: format!("{label}, {}: {}", c.as_str(), count(by_category[c.index()])) })
            .collect()
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut rest = [0u64; 3];
    let mut rest_kinds = 0;
    for (index, (_, entry)) in sorted.iter().enumerate() {
        if index < MAX_CHART_ROWS {
            let n = entry.total();
            rows.push(Row { label: entry.display.clone(), bars: vec![Bar { segments: segments(entry.by_category, &entry.display), annotation: format!("{} ({})", count(n), percent(n, total)) }] });
        } else {
            rest_kinds += 1;
            for (sum, n) in rest.iter_mut().zip(entry.by_category) {
                *sum += n;
            }
        }
    }
    let other = tally.other();
    if other.iter().sum::<u64>() > 0 {
        rest_kinds += 1;
        for (sum, n) in rest.iter_mut().zip(other) {
            *sum += n;
        }
    }
    if rest_kinds > 0 {
        let label = format!("{rest_kinds} more");
        let n: u64 = rest.iter().sum();
        rows.push(Row { label: label.clone(), bars: vec![Bar { segments: segments(rest, &label), annotation: format!("{} ({})", count(n), percent(n, total)) }] });
    }

    let summary = {
        let top: Vec<String> = sorted.iter().take(3).map(|(_, e)| format!("{} {}", e.display, percent(e.total(), total))).collect();
        format!("{} of {} kinds; the most frequent are {}.", heading, sorted.len(), top.join(", "))
    };
    let chart = BarChart { title: heading.to_string(), summary, width: NARROW, rows, axis_format: format_count, whole_steps: true };
    let mut table = Table { caption: heading.to_string(), headers: vec![kind.to_string()], rows: Vec::new() };
    table.headers.extend(Category::ALL.iter().map(|c| c.as_str().to_string()));
    table.headers.extend(["Total".to_string(), "Share".to_string()]);
    for (_, entry) in &sorted {
        let mut row = vec![entry.display.clone()];
        row.extend(entry.by_category.iter().map(|n| count(*n)));
        row.extend([count(entry.total()), percent(entry.total(), total)]);
        table.rows.push(row);
    }
    if other.iter().sum::<u64>() > 0 {
        let mut row = vec!["other kinds".to_string()];
        row.extend(other.iter().map(|n| count(*n)));
        row.extend([count(other.iter().sum()), percent(other.iter().sum(), total)]);
        table.rows.push(row);
    }
    let mut svg = String::new();
    chart.render(&mut svg);
    Figure { key, heading, note, wide: false, svg, legend: series, table, visible_rows: 0 }
}

fn outcome_by_triage(statistics: &Statistics) -> Figure<'static> {
    let matrix = statistics.outcome_by_triage();
    let series = status_series();
    let rows = Triage::ALL
        .iter()
        .map(|t| {
            let counts = matrix[t.index()];
            let n: u64 = counts.iter().sum();
            let segments = FinalStatus::ALL
                .iter()
                .map(|s| {
                    let share = if n == 0 { 0.0 } else { counts[s.index()] as f64 * 100.0 / n as f64 };
                    Segment { value: share, color: STATUS_COLORS[s.index()], tooltip: format!("{}, {}: {} ({})", t.as_str(), status_label(*s), count(counts[s.index()]), percent(counts[s.index()], n)) }
                })
                .collect();
            Row { label: triage_label(*t).to_string(), bars: vec![Bar { segments, annotation: format!("n = {}", count(n)) }] }
        })
        .collect();

    let summary = Triage::ALL
        .iter()
        .map(|t| {
            let counts = matrix[t.index()];
            let n: u64 = counts.iter().sum();
            let deaths: u64 = DEATHS.iter().map(|s| counts[s.index()]).sum();
            format!("{} died {} and returned to duty {}", t.as_str(), percent(deaths, n), percent(counts[FinalStatus::Rtd.index()], n))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let chart = BarChart { title: "Outcome by triage category".into(), summary, width: NARROW, rows, axis_format: percent_axis, whole_steps: false };

    let mut table = Table { caption: "Outcome by triage category (counts)".into(), headers: vec!["Triage".into()], rows: Vec::new() };
    table.headers.extend(FinalStatus::ALL.iter().map(|s| status_label(*s).to_string()));
    table.headers.push("Total".into());
    for t in Triage::ALL {
        let mut row = vec![t.as_str().to_string()];
        row.extend(matrix[t.index()].iter().map(|n| count(*n)));
        row.push(count(matrix[t.index()].iter().sum()));
        table.rows.push(row);
    }
    let mut totals = vec!["All".to_string()];
    totals.extend(statistics.by_status().iter().map(|n| count(*n)));
    totals.push(count(statistics.total()));
    table.rows.push(totals);

    let mut svg = String::new();
    chart.render(&mut svg);
    Figure {
        key: "outcome-by-triage",
        heading: "Outcome by triage category",
        note: "Share of each triage category by final status. In care at Role 4 means evacuated home and still there when the record ends.",
        wide: false,
        svg,
        legend: series,
        table,
        visible_rows: usize::MAX,
    }
}

fn deaths_by_location(statistics: &Statistics) -> Figure<'static> {
    let matrix = statistics.deaths_by_location();
    let series: Vec<Series> = DEATHS.iter().map(|s| Series { name: status_label(*s).to_string(), color: STATUS_COLORS[s.index()] }).collect();
    let total: u64 = matrix.iter().flatten().sum();
    let rows = Role::ALL
        .iter()
        .map(|role| {
            let n: u64 = matrix.iter().map(|row| row[role.index()]).sum();
            let segments = DEATHS
                .iter()
                .enumerate()
                .map(|(d, s)| Segment { value: matrix[d][role.index()] as f64, color: STATUS_COLORS[s.index()], tooltip: format!("{} at {}: {}", status_label(*s), role_label(*role), count(matrix[d][role.index()])) })
                .collect();
            Row { label: role_label(*role).to_string(), bars: vec![Bar { segments, annotation: format!("{} ({})", count(n), percent(n, total)) }] }
        })
        .collect();

    let summary = if total == 0 {
        "No casualty died.".to_string()
    } else {
        let parts: Vec<String> = Role::ALL.iter().map(|r| format!("{} {}", role_label(*r), count(matrix.iter().map(|row| row[r.index()]).sum()))).collect();
        format!("{} deaths by place: {}.", count(total), parts.join(", "))
    };
    let chart = BarChart { title: "Deaths by location".into(), summary, width: NARROW, rows, axis_format: format_count, whole_steps: true };

    let mut table = Table { caption: "Deaths by location".into(), headers: vec!["Location".into()], rows: Vec::new() };
    table.headers.extend(DEATHS.iter().map(|s| status_label(*s).to_string()));
    table.headers.push("Total".into());
    for role in Role::ALL {
        let mut row = vec![role_label(role).to_string()];
        row.extend(matrix.iter().map(|r| count(r[role.index()])));
        row.push(count(matrix.iter().map(|r| r[role.index()]).sum()));
        table.rows.push(row);
    }

    let mut svg = String::new();
    chart.render(&mut svg);
    Figure {
        key: "deaths-by-location",
        heading: "Deaths by location",
        note: "Where the death happened: the facility of the kia, dow or dnbi_death event. A death in transit counts at the facility left.",
        wide: false,
        svg,
        legend: series,
        table,
        visible_rows: usize::MAX,
    }
}

fn time_to_role(statistics: &Statistics) -> Figure<'static> {
    let histograms = statistics.time_to_role();
    let charted = &PERCENTILES_PER_MILLE[..3];
    let series: Vec<Series> = charted.iter().zip(PERCENTILE_COLORS).map(|(per_mille, color)| Series { name: format!("p{}", per_mille / 10), color }).collect();
    let rows = ARRIVAL_ROLES
        .iter()
        .zip(histograms)
        .map(|(role, histogram)| {
            let minutes: Vec<Option<u32>> = charted.iter().map(|per_mille| histogram.percentile(*per_mille)).collect();
            let annotation = if histogram.count() == 0 {
                "no arrivals".to_string()
            } else {
                series.iter().zip(&minutes).map(|(s, m)| format!("{} {}", s.name, duration_or_dash(*m))).collect::<Vec<_>>().join(" · ")
            };
            DotRow { label: format!("{} (n = {})", role_label(*role), count(histogram.count())), minutes, annotation }
        })
        .collect();
    let summary = ARRIVAL_ROLES
        .iter()
        .zip(histograms)
        .map(|(role, h)| format!("{}: median {}, p90 {}, p95 {}", role_label(*role), duration_or_dash(h.percentile(500)), duration_or_dash(h.percentile(900)), duration_or_dash(h.percentile(950))))
        .collect::<Vec<_>>()
        .join("; ");
    let chart = DotChart { title: "Time from injury to arrival at each role".into(), summary, width: WIDE, series: &series, rows };
    let mut svg = String::new();
    chart.render(&mut svg);
    Figure {
        key: "time-to-role",
        heading: "Time from injury to arrival at each role",
        note: "Nearest-rank percentiles of the minutes from injury to the first arrival at the role; only casualties who reached that role count (n). \
               The time axis is logarithmic, so that minutes to Role 1 and days to Role 4 both show.",
        wide: true,
        svg,
        legend: series,
        table: percentile_table(histograms),
        visible_rows: usize::MAX,
    }
}

fn percentile_table(histograms: &[MinuteHistogram; 4]) -> Table {
    let mut table = Table { caption: "Time from injury to arrival".into(), headers: vec!["Role".into(), "Arrivals".into()], rows: Vec::new() };
    table.headers.extend(PERCENTILES_PER_MILLE.iter().map(|p| format!("p{}", p / 10)));
    table.headers.push("Longest".into());
    for (role, histogram) in ARRIVAL_ROLES.iter().zip(histograms) {
        let mut row = vec![role_label(*role).to_string(), count(histogram.count())];
        row.extend(PERCENTILES_PER_MILLE.iter().map(|p| duration_or_dash(histogram.percentile(*p))));
        row.push(duration_or_dash(histogram.max()));
        table.rows.push(row);
    }
    table
}

fn single_bar_row(label: &str, value: f64, color: &'static str, annotation: String) -> Row {
    Row { label: label.to_string(), bars: vec![Bar { segments: vec![Segment { value, color, tooltip: format!("{label}: {annotation}") }], annotation }] }
}

fn count_table(caption: &str, kind: &str) -> Table {
    Table { caption: caption.to_string(), headers: vec![kind.to_string(), "Count".into(), "Share".into()], rows: Vec::new() }
}

fn figure(key: &'static str, heading: &'static str, note: &'static str, chart: BarChart, table: Table) -> Figure<'static> {
    let mut svg = String::new();
    chart.render(&mut svg);
    Figure { key, heading, note, wide: false, svg, legend: Vec::new(), table, visible_rows: usize::MAX }
}
