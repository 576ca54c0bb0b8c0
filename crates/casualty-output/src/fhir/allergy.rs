//! The AllergyIntolerance resource: one per known allergy of the record.

use casualty_core::record::Coded;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{CodeableConcept, Coding, Reference, Style};
use super::ids::ResourceId;
use super::terminology::{allergy_category, ALLERGY_ACTIVE, ALLERGY_CONFIRMED, SNOMED_CT};

/// AllergyIntolerance.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AllergyIntolerance<'a> {
    resource_type: &'static str,
    id: Uuid,
    clinical_status: CodeableConcept<'static>,
    verification_status: CodeableConcept<'static>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<[&'static str; 1]>,
    code: CodeableConcept<'a>,
    patient: Reference,
}

/// Builds the AllergyIntolerance of an allergy to a SNOMED CT substance. The record lists known
/// allergies without a reaction or a date, so they are active, confirmed allergies.
pub(crate) fn allergy<'a>(substance: &'a Coded<'a>, id: ResourceId, patient: ResourceId, style: Style) -> AllergyIntolerance<'a> {
    AllergyIntolerance {
        resource_type: "AllergyIntolerance",
        id: id.id,
        clinical_status: CodeableConcept::coded(ALLERGY_ACTIVE),
        verification_status: CodeableConcept::coded(ALLERGY_CONFIRMED),
        kind: "allergy",
        category: allergy_category(substance.code).map(|category| [category]),
        code: CodeableConcept::coded(Coding::new(SNOMED_CT, substance.code, substance.display)),
        patient: Reference { target: patient, style },
    }
}
