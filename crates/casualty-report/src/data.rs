//! The headline figures in machine-readable form: one JSON object embedded in the page as
//! `<script type="application/json" id="report-data">`, so that tests and other programs can
//! read the numbers without parsing the charts.
//!
//! Keys are record spellings (`Battle Injury`, `T1`, `KIA`, `Role1`), so a reader can compare
//! them with counts of the records themselves. Times are whole minutes.

use casualty_core::record::{FinalStatus, Triage};
use casualty_core::scenario::{Category, Role};
use casualty_core::time::{Timestamp, DAY};
use serde_json::{json, Map, Value};

use crate::input::{MetadataSource, Run};
use crate::statistics::{Statistics, ARRIVAL_ROLES, DEATHS, PERCENTILES_PER_MILLE};

/// Version of the layout of the embedded object; raised when a key changes meaning or goes away.
pub const REPORT_DATA_VERSION: u32 = 1;

/// Builds the embedded object.
pub fn report_data(run: &Run) -> Value {
    let statistics = &run.statistics;
    let mut data = Map::new();
    data.insert("report_data_version".into(), json!(REPORT_DATA_VERSION));
    data.insert("input".into(), json!(run.input_name));
    data.insert("format".into(), json!(run.format.as_str()));
    data.insert("count".into(), json!(statistics.total()));
    data.insert("by_category".into(), named(Category::ALL.iter().map(|c| (c.as_str(), statistics.by_category()[c.index()]))));
    data.insert("by_triage".into(), named(Triage::ALL.iter().map(|t| (t.as_str(), statistics.by_triage()[t.index()]))));
    data.insert("by_final_status".into(), named(FinalStatus::ALL.iter().map(|s| (s.as_str(), statistics.by_status()[s.index()]))));
    data.insert("outcome_by_triage".into(), outcome_by_triage(statistics));
    data.insert("deaths_by_location".into(), deaths_by_location(statistics));
    data.insert("by_day".into(), by_day(statistics));
    data.insert("by_hour".into(), json!(statistics.by_hour().iter().map(|counts| counts.iter().sum::<u64>()).collect::<Vec<_>>()));
    data.insert("by_mechanism".into(), named_owned(statistics.mechanisms().by_count().into_iter().map(|(id, entry)| (id.to_string(), entry.total()))));
    data.insert("by_body_region".into(), named_owned(statistics.body_regions().by_count().into_iter().map(|(id, entry)| (id.to_string(), entry.total()))));
    data.insert("minutes_to_role".into(), minutes_to_role(statistics));
    data.insert("metadata".into(), metadata(run));
    Value::Object(data)
}

/// Returns the embedded object as JSON text that is safe inside a `<script>` element. `<`, `>`
/// and `&` occur only inside JSON strings, where they are written `\u003c`, `\u003e` and
/// `\u0026`, so no `</script>` or comment opener can end the element early.
pub(crate) fn script_json(run: &Run) -> String {
    let text = report_data(run).to_string();
    text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn named<'a>(pairs: impl Iterator<Item = (&'a str, u64)>) -> Value {
    named_owned(pairs.map(|(key, value)| (key.to_string(), value)))
}

fn named_owned(pairs: impl Iterator<Item = (String, u64)>) -> Value {
    Value::Object(pairs.map(|(key, value)| (key, json!(value))).collect())
}

fn outcome_by_triage(statistics: &Statistics) -> Value {
    let matrix = statistics.outcome_by_triage();
    Value::Object(Triage::ALL.iter().map(|t| (t.as_str().to_string(), named(FinalStatus::ALL.iter().map(|s| (s.as_str(), matrix[t.index()][s.index()]))))).collect())
}

fn deaths_by_location(statistics: &Statistics) -> Value {
    let matrix = statistics.deaths_by_location();
    Value::Object(DEATHS.iter().enumerate().map(|(d, s)| (s.as_str().to_string(), named(Role::ALL.iter().map(|r| (r.as_str(), matrix[d][r.index()]))))).collect())
}

fn by_day(statistics: &Statistics) -> Value {
    Value::Array(statistics.by_day().iter().map(|(day, counts)| json!({"date": Timestamp(day * DAY).date_string(), "count": counts.iter().sum::<u64>()})).collect())
}

fn minutes_to_role(statistics: &Statistics) -> Value {
    let mut roles = Map::new();
    for (role, histogram) in ARRIVAL_ROLES.iter().zip(statistics.time_to_role()) {
        let mut entry = Map::new();
        entry.insert("count".into(), json!(histogram.count()));
        for per_mille in PERCENTILES_PER_MILLE {
            entry.insert(format!("p{}", per_mille / 10), json!(histogram.percentile(per_mille)));
        }
        entry.insert("max".into(), json!(histogram.max()));
        roles.insert(role.as_str().to_string(), Value::Object(entry));
    }
    Value::Object(roles)
}

fn metadata(run: &Run) -> Value {
    match &run.metadata {
        MetadataSource::Missing { searched } => json!({"found": false, "searched": searched}),
        MetadataSource::Found { origin, metadata } => json!({
            "found": true,
            "origin": origin,
            "scenario_name": metadata.scenario_name,
            "scenario_sha256": metadata.scenario_sha256,
            "generator_version": metadata.generator_version,
            "seed": metadata.seed,
            "count_requested": metadata.scenario.count,
            "patients_in_file": metadata.patients_in_file,
            "days_of_fighting": metadata.days_of_fighting,
            "base_date": metadata.base_date,
            "injury_distribution": {
                "Disease": metadata.scenario.injury_distribution[0],
                "Non-Battle Injury": metadata.scenario.injury_distribution[1],
                "Battle Injury": metadata.scenario.injury_distribution[2],
            },
        }),
    }
}
