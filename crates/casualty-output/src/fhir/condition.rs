//! The Condition resource: one per diagnosis of the record.

use std::borrow::Cow;

use casualty_core::record::Injury;
use casualty_core::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{CodeableConcept, Coding, Few, Reference, Style};
use super::ids::ResourceId;
use super::terminology::{severity, CONDITION_ACTIVE, CONDITION_CONFIRMED, ENCOUNTER_DIAGNOSIS, SNOMED_CT};

/// Condition.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Condition<'a> {
    resource_type: &'static str,
    id: Uuid,
    clinical_status: CodeableConcept<'static>,
    verification_status: CodeableConcept<'static>,
    category: [CodeableConcept<'static>; 1],
    severity: CodeableConcept<'static>,
    code: CodeableConcept<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_site: Option<[CodeableConcept<'a>; 1]>,
    subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    encounter: Option<Reference>,
    onset_date_time: Timestamp,
}

/// Builds the Condition of a diagnosis with onset at the injury. `encounter` is the stay at the
/// point of injury, where the record places the onset, when there is one.
pub(crate) fn condition<'a>(injury: &'a Injury<'a>, id: ResourceId, subject: ResourceId, encounter: Option<ResourceId>, onset: Timestamp, style: Style) -> Condition<'a> {
    Condition {
        resource_type: "Condition",
        id: id.id,
        clinical_status: CodeableConcept::coded(CONDITION_ACTIVE),
        verification_status: CodeableConcept::coded(CONDITION_CONFIRMED),
        category: [CodeableConcept::coded(ENCOUNTER_DIAGNOSIS)],
        severity: CodeableConcept::coded(severity(injury.ais)),
        code: CodeableConcept::coded(Coding::new(SNOMED_CT, injury.code, injury.display)),
        body_site: body_site(injury).map(|site| [site]),
        subject: Reference { target: subject, style },
        encounter: encounter.map(|target| Reference { target, style }),
        onset_date_time: onset,
    }
}

/// Returns the body structure of a diagnosis. SNOMED CT has no single code for most pairs of structure and
/// side, and a second coding must mean the same concept, so the side goes into the text.
fn body_site<'a>(injury: &'a Injury<'a>) -> Option<CodeableConcept<'a>> {
    let site = injury.body_site.as_ref()?;
    let coding = Coding::new(SNOMED_CT, site.code, site.display);
    let text = injury.laterality.as_ref().map(|side| Cow::Owned(format!("{}; laterality: {}", site.display, side.display)));
    Some(CodeableConcept { coding: Few([Some(coding), None]), text })
}
