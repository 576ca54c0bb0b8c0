//! The fields of a casualty record that the report reads, and their checks.
//!
//! These types describe what the report accepts, not what the generator writes: unknown fields
//! are skipped, so a record with more fields (or the output of a later version that adds some)
//! is still read. The field names and values are those of docs/record.schema.json.

use std::borrow::Cow;

use casualty_core::record::{FinalStatus, Triage};
use casualty_core::scenario::{Category, Role};
use serde::Deserialize;

use crate::error::Problem;

/// The fields of one record that the report reads. Strings borrow from the input where they can
/// (NDJSON lines without escapes), so most records allocate only their arrays.
#[derive(Debug, Deserialize)]
pub(crate) struct RawRecord<'a> {
    #[serde(borrow)]
    injury_type: Cow<'a, str>,
    #[serde(borrow)]
    mechanism: RawMechanism<'a>,
    #[serde(borrow)]
    injuries: Vec<RawInjury<'a>>,
    #[serde(borrow)]
    triage_category: Cow<'a, str>,
    #[serde(borrow)]
    injury_timestamp: Cow<'a, str>,
    #[serde(borrow)]
    movement_timeline: Vec<RawEvent<'a>>,
    #[serde(borrow)]
    final_status: Cow<'a, str>,
    #[serde(borrow)]
    last_facility: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct RawMechanism<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    display: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct RawInjury<'a> {
    #[serde(borrow)]
    body_region: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(borrow)]
    facility: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
}

/// One record after its checks: what the statistics count.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Casualty<'r> {
    pub(crate) category: Category,
    pub(crate) mechanism_id: &'r str,
    pub(crate) mechanism_display: &'r str,
    pub(crate) body_regions: Vec<&'r str>,
    pub(crate) triage: Triage,
    /// Injury time, seconds since the Unix epoch (UTC).
    pub(crate) injury_time: i64,
    /// Seconds from injury to the first arrival at Role 1, 2, 3 and 4; `None` where the casualty
    /// never arrived.
    pub(crate) seconds_to_role: [Option<i64>; 4],
    pub(crate) status: FinalStatus,
    /// The place of death: the facility of the timeline's death event, or the record's
    /// `last_facility` when the timeline has none. `None` for survivors.
    pub(crate) death_location: Option<Role>,
}

const EXPECTED_CATEGORY: &str = "one of Disease, Non-Battle Injury, Battle Injury";
const EXPECTED_TRIAGE: &str = "one of T1, T2, T3, T4";
const EXPECTED_STATUS: &str = "one of KIA, DOW, DNBI_death, RTD, Remains_Role4";
const EXPECTED_FACILITY: &str = "one of POI, Role1, Role2, Role3, Role4";
const EXPECTED_EVENT: &str = "one of injury, evacuation_start, arrival, transit_start, kia, dow, dnbi_death, rtd, remains_role4";
const EXPECTED_TIMESTAMP: &str = "a UTC time YYYY-MM-DDTHH:MM:SSZ with a year from 1900 to 2200";
const EXPECTED_NAME: &str = "a non-empty string";

/// Timeline event types, as records spell them.
const EVENT_TYPES: [&str; 9] = ["injury", "evacuation_start", "arrival", "transit_start", "kia", "dow", "dnbi_death", "rtd", "remains_role4"];

impl<'a> RawRecord<'a> {
    /// Checks the fields the report reads and returns them in typed form.
    ///
    /// # Errors
    /// Returns the first field whose value is not accepted, with its path and what is accepted.
    pub(crate) fn check(&self) -> Result<Casualty<'_>, Problem> {
        let category = parse_named(&self.injury_type, Category::ALL, Category::as_str).ok_or_else(|| Problem::field("injury_type", &self.injury_type, EXPECTED_CATEGORY))?;
        let triage = parse_named(&self.triage_category, Triage::ALL, Triage::as_str).ok_or_else(|| Problem::field("triage_category", &self.triage_category, EXPECTED_TRIAGE))?;
        let status = parse_named(&self.final_status, FinalStatus::ALL, FinalStatus::as_str).ok_or_else(|| Problem::field("final_status", &self.final_status, EXPECTED_STATUS))?;
        let last_facility = parse_named(&self.last_facility, Role::ALL, Role::as_str).ok_or_else(|| Problem::field("last_facility", &self.last_facility, EXPECTED_FACILITY))?;
        let injury_time = parse_timestamp(&self.injury_timestamp).ok_or_else(|| Problem::field("injury_timestamp", &self.injury_timestamp, EXPECTED_TIMESTAMP))?;

        if self.mechanism.id.trim().is_empty() {
            return Err(Problem::field("mechanism.id", &self.mechanism.id, EXPECTED_NAME));
        }
        let mut body_regions = Vec::with_capacity(self.injuries.len());
        for (index, injury) in self.injuries.iter().enumerate() {
            if injury.body_region.trim().is_empty() {
                return Err(Problem::field(format!("injuries[{index}].body_region"), &injury.body_region, EXPECTED_NAME));
            }
            body_regions.push(&*injury.body_region);
        }

        let mut seconds_to_role = [None; 4];
        let mut death_event_location = None;
        for (index, event) in self.movement_timeline.iter().enumerate() {
            if !EVENT_TYPES.contains(&&*event.event_type) {
                return Err(Problem::field(format!("movement_timeline[{index}].event_type"), &event.event_type, EXPECTED_EVENT));
            }
            let facility =
                parse_named(&event.facility, Role::ALL, Role::as_str).ok_or_else(|| Problem::field(format!("movement_timeline[{index}].facility"), &event.facility, EXPECTED_FACILITY))?;
            let time = parse_timestamp(&event.timestamp).ok_or_else(|| Problem::field(format!("movement_timeline[{index}].timestamp"), &event.timestamp, EXPECTED_TIMESTAMP))?;
            if time < injury_time {
                return Err(Problem::field(format!("movement_timeline[{index}].timestamp"), &event.timestamp, "a time at or after injury_timestamp"));
            }

            match &*event.event_type {
                "arrival" if facility != Role::Poi => {
                    let slot = &mut seconds_to_role[facility.index() - 1];
                    if slot.is_none() {
                        *slot = Some(time - injury_time);
                    }
                }
                "kia" | "dow" | "dnbi_death" => death_event_location = Some(facility),
                _ => {}
            }
        }
        let death_location = status.is_death().then(|| death_event_location.unwrap_or(last_facility));

        Ok(Casualty {
            category,
            mechanism_id: &self.mechanism.id,
            mechanism_display: &self.mechanism.display,
            body_regions,
            triage,
            injury_time,
            seconds_to_role,
            status,
            death_location,
        })
    }
}

/// Finds the value of `all` whose record spelling is `text`.
fn parse_named<T: Copy>(text: &str, all: impl IntoIterator<Item = T>, name: fn(T) -> &'static str) -> Option<T> {
    all.into_iter().find(|value| name(*value) == text)
}

/// Parses a record timestamp, `YYYY-MM-DDTHH:MM:SSZ`, into seconds since the Unix epoch.
///
/// The engine's parser also accepts a date alone or a missing `Z`, which records never have, so
/// the form is checked here first.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    casualty_core::time::parse_base_date(text).ok()
}

/// A record with the fields the report reads and one the report skips (`id`), for tests.
#[cfg(test)]
pub(crate) const SAMPLE_RECORD: &str = r#"{"id":"x","injury_type":"Battle Injury","mechanism":{"id":"explosive","display":"Explosive"},
        "injuries":[{"body_region":"lower_limb","ais":3},{"body_region":"head","ais":2}],"triage_category":"T1",
        "injury_timestamp":"2025-03-01T10:00:00Z","movement_timeline":[
        {"event_type":"injury","facility":"POI","timestamp":"2025-03-01T10:00:00Z","hours_since_injury":0},
        {"event_type":"arrival","facility":"Role1","timestamp":"2025-03-01T10:45:29Z","hours_since_injury":0.76},
        {"event_type":"transit_start","facility":"Role1","timestamp":"2025-03-01T12:00:00Z","hours_since_injury":2},
        {"event_type":"arrival","facility":"Role2","timestamp":"2025-03-01T13:00:00Z","hours_since_injury":3},
        {"event_type":"dow","facility":"Role2","timestamp":"2025-03-01T14:00:00Z","hours_since_injury":4}],
        "final_status":"DOW","last_facility":"Role2"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = SAMPLE_RECORD;

    fn check(text: &str) -> Result<(), Problem> {
        let raw: RawRecord<'_> = serde_json::from_str(text).map_err(|e| Problem::Json(e.to_string()))?;
        raw.check().map(|_| ())
    }

    #[test]
    fn check_reads_every_field() {
        let raw: RawRecord<'_> = serde_json::from_str(RECORD).expect("the sample parses");
        let casualty = raw.check().expect("the sample is valid");
        assert_eq!(casualty.category, Category::BattleInjury);
        assert_eq!(casualty.triage, Triage::T1);
        assert_eq!(casualty.status, FinalStatus::Dow);
        assert_eq!(casualty.mechanism_id, "explosive");
        assert_eq!(casualty.body_regions, vec!["lower_limb", "head"]);
        assert_eq!(casualty.seconds_to_role, [Some(45 * 60 + 29), Some(3 * 3600), None, None]);
        assert_eq!(casualty.death_location, Some(Role::Role2));
    }

    #[test]
    fn check_names_field_and_accepted_values() {
        let cases = [
            ("\"T1\"", "\"T5\"", "triage_category", EXPECTED_TRIAGE),
            ("\"DOW\"", "\"dead\"", "final_status", EXPECTED_STATUS),
            ("\"Battle Injury\"", "\"Battle\"", "injury_type", EXPECTED_CATEGORY),
            ("\"facility\":\"Role2\",\"timestamp\":\"2025-03-01T13", "\"facility\":\"Role9\",\"timestamp\":\"2025-03-01T13", "movement_timeline[3].facility", EXPECTED_FACILITY),
            ("\"injury_timestamp\":\"2025-03-01T10:00:00Z\"", "\"injury_timestamp\":\"2025-03-01 10:00\"", "injury_timestamp", EXPECTED_TIMESTAMP),
            ("\"event_type\":\"dow\"", "\"event_type\":\"died\"", "movement_timeline[4].event_type", EXPECTED_EVENT),
            ("\"lower_limb\"", "\"\"", "injuries[0].body_region", EXPECTED_NAME),
        ];
        for (from, to, field, expected) in cases {
            let text = RECORD.replacen(from, to, 1);
            match check(&text) {
                Err(Problem::Field { field: found, expected: accepted, .. }) => {
                    assert_eq!(found, field, "replacing {from} with {to}");
                    assert_eq!(accepted, expected, "replacing {from} with {to}");
                }
                other => panic!("replacing {from} with {to} gave {other:?}"),
            }
        }
    }

    #[test]
    fn check_rejects_arrival_before_injury() {
        let text = RECORD.replace("2025-03-01T10:45:29Z", "2025-03-01T09:45:29Z");
        let problem = check(&text).expect_err("an arrival before the injury is invalid");
        assert!(matches!(problem, Problem::Field { ref field, .. } if field == "movement_timeline[1].timestamp"), "{problem:?}");
    }

    #[test]
    fn check_falls_back_to_last_facility() {
        let text = RECORD.replace("\"event_type\":\"dow\"", "\"event_type\":\"transit_start\"");
        let raw: RawRecord<'_> = serde_json::from_str(&text).expect("parses");
        assert_eq!(raw.check().expect("valid").death_location, Some(Role::Role2));
    }

    #[test]
    fn missing_field_is_json_error() {
        let text = RECORD.replace("\"triage_category\":\"T1\",", "");
        let error = serde_json::from_str::<RawRecord<'_>>(&text).expect_err("a required field is missing");
        assert!(error.to_string().contains("missing field `triage_category`"), "{error}");
    }

    #[test]
    fn parse_timestamp_accepts_only_record_form() {
        assert_eq!(parse_timestamp("1970-01-02T00:00:01Z"), Some(86_401));
        for text in ["1970-01-02", "1970-01-02T00:00:01", "1970-01-02 00:00:01Z", "1970-13-02T00:00:01Z", "1970-01-02T24:00:00Z", "2500-01-01T00:00:00Z", "１970-01-02T00:00:01Z"] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
