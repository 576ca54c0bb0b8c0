//! Observations: one per vital sign of each set of vital signs, and the blood group.

use casualty_core::record::{BloodGroup, VitalSigns};
use casualty_core::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{CodeableConcept, Coding, Decimal, Few, Meta, Quantity, Reference, Style};
use super::ids::ResourceId;
use super::terminology::{abo_group, rhd_type, VitalSign, ABO, ABO_AND_RH, GCS, HEART_RATE, LABORATORY, RESPIRATORY_RATE, RH, SNOMED_CT, SPO2, SYSTOLIC_BP, TEMPERATURE, UCUM};

/// Observation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Observation<'a> {
    resource_type: &'static str,
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
    status: &'static str,
    category: [CodeableConcept<'static>; 1],
    code: CodeableConcept<'static>,
    subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    encounter: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_date_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_codeable_concept: Option<CodeableConcept<'a>>,
    #[serde(skip_serializing_if = "Few::is_empty")]
    component: Few<Component, 2>,
}

/// Observation.component with a coded value.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    code: CodeableConcept<'static>,
    value_codeable_concept: CodeableConcept<'static>,
}

/// Returns the vital signs of a set with their values, in the order they are written.
pub(crate) fn vital_sign_values(set: &VitalSigns) -> [(VitalSign, Option<Decimal>); 6] {
    // A temperature that JSON cannot hold is left out rather than written as null.
    let temperature = set.temperature.is_finite().then_some(Decimal::Fraction(set.temperature));
    [
        (HEART_RATE, Some(Decimal::Integer(set.heart_rate.into()))),
        (SYSTOLIC_BP, Some(Decimal::Integer(set.systolic_bp.into()))),
        (RESPIRATORY_RATE, Some(Decimal::Integer(set.respiratory_rate.into()))),
        (SPO2, Some(Decimal::Integer(set.spo2.into()))),
        (TEMPERATURE, temperature),
        (GCS, Some(Decimal::Integer(set.gcs.into()))),
    ]
}

/// Builds the Observation of one vital sign taken at `effective`, during the stay `encounter`.
pub(crate) fn vital_sign(sign: &VitalSign, value: Decimal, effective: Timestamp, id: ResourceId, subject: ResourceId, encounter: Option<ResourceId>, style: Style) -> Observation<'static> {
    Observation {
        resource_type: "Observation",
        id: id.id,
        meta: sign.profile.map(|profile| Meta { profile: [profile] }),
        status: "final",
        category: [CodeableConcept::coded(sign.category)],
        code: CodeableConcept { coding: Few([Some(sign.code), sign.specific]), text: None },
        subject: Reference { target: subject, style },
        encounter: encounter.map(|target| Reference { target, style }),
        effective_date_time: Some(effective),
        value_quantity: Some(Quantity { value, unit: sign.unit, system: UCUM, code: sign.unit_code }),
        value_codeable_concept: None,
        component: Few([None, None]),
    }
}

/// Builds the blood group Observation: the combined ABO and RhD group of the record as its value,
/// and the ABO group and RhD type as components. The record does not say when the group was
/// determined, so the observation has no effective time.
pub(crate) fn blood_group<'a>(group: &'a BloodGroup<'a>, id: ResourceId, subject: ResourceId, style: Style) -> Observation<'a> {
    let component = |code: Coding<'static>, value: Option<Coding<'static>>| {
        value.map(|value| Component { code: CodeableConcept::coded(code), value_codeable_concept: CodeableConcept::coded(value) })
    };
    Observation {
        resource_type: "Observation",
        id: id.id,
        meta: None,
        status: "final",
        category: [CodeableConcept::coded(LABORATORY)],
        code: CodeableConcept::coded(ABO_AND_RH),
        subject: Reference { target: subject, style },
        encounter: None,
        effective_date_time: None,
        value_quantity: None,
        value_codeable_concept: (!group.code.is_empty()).then(|| CodeableConcept::coded(Coding::new(SNOMED_CT, group.code, group.display))),
        component: Few([component(ABO, abo_group(group.abo)), component(RH, rhd_type(group.rh))]),
    }
}
