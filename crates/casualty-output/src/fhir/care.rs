//! Care given: a Procedure per treatment and a MedicationAdministration per medication of the
//! record, each in the Encounter of the stay where it was given.

use casualty_core::record::CareItem;
use casualty_core::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{CodeableConcept, Coding, Reference, Style};
use super::ids::ResourceId;
use super::terminology::SNOMED_CT;

/// Encounter and Location of the stay where a care item was given, if the record has one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) encounter: Option<ResourceId>,
    pub(crate) location: Option<ResourceId>,
}

/// Procedure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Procedure<'a> {
    resource_type: &'static str,
    id: Uuid,
    status: &'static str,
    code: CodeableConcept<'a>,
    subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    encounter: Option<Reference>,
    performed_date_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Reference>,
}

/// Builds the Procedure of a treatment.
pub(crate) fn procedure<'a>(treatment: &'a CareItem<'a>, id: ResourceId, subject: ResourceId, place: Place, style: Style) -> Procedure<'a> {
    Procedure {
        resource_type: "Procedure",
        id: id.id,
        status: "completed",
        code: CodeableConcept::coded(Coding::new(SNOMED_CT, treatment.code, treatment.display)),
        subject: Reference { target: subject, style },
        encounter: place.encounter.map(|target| Reference { target, style }),
        performed_date_time: treatment.timestamp,
        location: place.location.map(|target| Reference { target, style }),
    }
}

/// MedicationAdministration. The record names the substance given, without dose or route.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MedicationAdministration<'a> {
    resource_type: &'static str,
    id: Uuid,
    status: &'static str,
    medication_codeable_concept: CodeableConcept<'a>,
    subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Reference>,
    effective_date_time: Timestamp,
}

/// Builds the MedicationAdministration of a medication.
pub(crate) fn medication_administration<'a>(medication: &'a CareItem<'a>, id: ResourceId, subject: ResourceId, place: Place, style: Style) -> MedicationAdministration<'a> {
    MedicationAdministration {
        resource_type: "MedicationAdministration",
        id: id.id,
        status: "completed",
        medication_codeable_concept: CodeableConcept::coded(Coding::new(SNOMED_CT, medication.code, medication.display)),
        subject: Reference { target: subject, style },
        context: place.encounter.map(|target| Reference { target, style }),
        effective_date_time: medication.timestamp,
    }
}
