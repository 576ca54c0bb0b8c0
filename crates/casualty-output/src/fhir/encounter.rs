//! Facility stays: one Encounter and one Location per role of the evacuation chain that the
//! casualty reached, the point of injury included.
//!
//! The stays are read from the movement timeline. A stay starts with the injury (at the point of
//! injury) or with an arrival, and ends with the departure to the next role, death or return to
//! duty. A casualty who remains at Role 4 has an ongoing stay there. A death after departure, in
//! transit, ends no stay, because the casualty had already left; `Patient.deceasedDateTime`
//! records it.

use casualty_core::record::{EventType, TimelineEvent};
use casualty_core::scenario::Role;
use casualty_core::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{CodeableConcept, Coding, Period, Reference, Style};
use super::ids::ResourceId;
use super::terminology::{encounter_class, EXPIRED, OTHER_DISPOSITION, TRANSFERRED};

/// Reason a stay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Left for the next role.
    Transferred,
    /// Died during the stay.
    Died,
    /// Returned to duty.
    ReturnedToDuty,
}

/// One stay at a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stay {
    pub(crate) role: Role,
    pub(crate) start: Timestamp,
    /// When and how the stay ended; `None` while it goes on at the end of the record.
    pub(crate) end: Option<(Timestamp, Disposition)>,
}

/// The stays of a movement timeline, indexed by [`Role::index`]. The engine moves a casualty
/// forward only, so each role has at most one stay; if a timeline listed a role twice, the later
/// stay would win.
pub(crate) fn stays(timeline: &[TimelineEvent]) -> [Option<Stay>; 5] {
    let mut stays: [Option<Stay>; 5] = [None; 5];
    let mut open: Option<Stay> = None;
    for event in timeline {
        let ending = match event.event_type {
            EventType::Injury | EventType::Arrival => {
                // An arrival while a stay is still open (which the engine does not write) closes
                // that stay as a transfer.
                if let Some(mut stay) = open.take() {
                    stay.end = Some((event.timestamp, Disposition::Transferred));
                    stays[stay.role.index()] = Some(stay);
                }
                open = Some(Stay { role: event.facility, start: event.timestamp, end: None });
                None
            }
            EventType::EvacuationStart | EventType::TransitStart => Some(Disposition::Transferred),
            EventType::Kia | EventType::Dow | EventType::DnbiDeath => Some(Disposition::Died),
            EventType::Rtd => Some(Disposition::ReturnedToDuty),
            EventType::RemainsRole4 => None,
        };
        if let Some(disposition) = ending {
            if let Some(mut stay) = open.take() {
                stay.end = Some((event.timestamp, disposition));
                stays[stay.role.index()] = Some(stay);
            }
        }
    }
    if let Some(stay) = open {
        stays[stay.role.index()] = Some(stay);
    }
    stays
}

/// Encounter.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Encounter {
    resource_type: &'static str,
    id: Uuid,
    status: &'static str,
    class: Coding<'static>,
    subject: Reference,
    period: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    hospitalization: Option<Hospitalization>,
    location: [EncounterLocation; 1],
}

/// Encounter.hospitalization, with how the stay ended.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Hospitalization {
    discharge_disposition: CodeableConcept<'static>,
}

/// Encounter.location.
#[derive(Debug, Serialize)]
struct EncounterLocation {
    location: Reference,
    status: &'static str,
    period: Period,
}

/// Builds the Encounter of a stay.
pub(crate) fn encounter(stay: &Stay, id: ResourceId, subject: ResourceId, location: ResourceId, style: Style) -> Encounter {
    let period = Period { start: stay.start, end: stay.end.map(|(end, _)| end) };
    let hospitalization = stay.end.map(|(_, disposition)| Hospitalization {
        discharge_disposition: match disposition {
            Disposition::Transferred => CodeableConcept::coded(TRANSFERRED),
            Disposition::Died => CodeableConcept::coded(EXPIRED),
            Disposition::ReturnedToDuty => CodeableConcept::with_text(OTHER_DISPOSITION, "Returned to duty"),
        },
    });
    Encounter {
        resource_type: "Encounter",
        id: id.id,
        status: if stay.end.is_some() { "finished" } else { "in-progress" },
        class: encounter_class(stay.role),
        subject: Reference { target: subject, style },
        period,
        hospitalization,
        location: [EncounterLocation {
            location: Reference { target: location, style },
            status: if stay.end.is_some() { "completed" } else { "active" },
            period,
        }],
    }
}

/// Location: the place of one role, written per patient because the record does not say which
/// facility of a role treated the casualty.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    resource_type: &'static str,
    id: Uuid,
    status: &'static str,
    name: &'static str,
    description: &'static str,
    mode: &'static str,
}

/// Builds the Location of a role.
pub(crate) fn location(role: Role, id: ResourceId) -> Location {
    let (name, description) = match role {
        Role::Poi => ("Point of injury", "Where the casualty was injured or fell ill: buddy aid and combat medics."),
        Role::Role1 => ("Role 1 medical treatment facility", "Primary care and resuscitation at unit level."),
        Role::Role2 => ("Role 2 medical treatment facility", "Damage-control surgery."),
        Role::Role3 => ("Role 3 medical treatment facility", "Deployed hospital with specialist care."),
        Role::Role4 => ("Role 4 medical treatment facility", "Definitive care in the home nation."),
    };
    Location { resource_type: "Location", id: id.id, status: "active", name, description, mode: "instance" }
}
