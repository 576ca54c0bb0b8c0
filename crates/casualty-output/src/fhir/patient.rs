//! The Patient resource: identity, names, gender, birth date, death, nationality and religion.

use casualty_core::record::Patient;
use casualty_core::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::datatypes::{non_empty, CodeableConcept, Coding, Extension, Few, HumanName, Identifier, IdentifierValue, NestedExtension, UrnUuid};
use super::terminology::{ISO_3166, NATIONALITY_EXTENSION, RELIGION_EXTENSION, RELIGIOUS_AFFILIATION, SERVICE_NUMBER_SYSTEM, URI_IDENTIFIER};

/// Patient.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatientResource<'a> {
    resource_type: &'static str,
    id: Uuid,
    #[serde(skip_serializing_if = "Few::is_empty")]
    extension: Few<Extension<'a>, 2>,
    identifier: Few<Identifier<'a>, 2>,
    #[serde(skip_serializing_if = "Few::is_empty")]
    name: Few<HumanName<'a>, 2>,
    gender: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deceased_date_time: Option<Timestamp>,
}

/// Builds the Patient of a record. Its id is the record's id.
pub(crate) fn patient<'a>(record: &'a Patient<'a>) -> PatientResource<'a> {
    let service_number = non_empty(&record.service.service_number).map(|number| Identifier {
        usage: Some("official"),
        kind: Some(CodeableConcept { coding: Few([None, None]), text: Some("Service number".into()) }),
        system: SERVICE_NUMBER_SYSTEM,
        value: IdentifierValue::Text(number),
    });
    let record_id = Identifier { usage: None, kind: None, system: URI_IDENTIFIER, value: IdentifierValue::Urn(UrnUuid(record.id)) };

    // The name in the nation's own script comes first and is the official one. Greek and
    // Cyrillic names add their Latin transliteration as a second name without `use`, because
    // FHIR R4 has no `use` code for a transliteration.
    let native = HumanName::new(Some("official"), record.name.family, record.name.given);
    let latin = match (record.name.family_latin, record.name.given_latin) {
        (None, None) => None,
        (family, given) => HumanName::new(None, family.unwrap_or(""), given.unwrap_or("")),
    };

    PatientResource {
        resource_type: "Patient",
        id: record.id,
        extension: Few([nationality(record.nationality), religion(record)]),
        identifier: Few([service_number, Some(record_id)]),
        name: Few([native, latin]),
        gender: gender(record.gender),
        birth_date: non_empty(&record.date_of_birth),
        deceased_date_time: record.final_status.is_death().then_some(record.outcome_timestamp),
    }
}

/// Returns the administrative gender code of the record's `male` or `female`, and `unknown` for
/// anything else.
fn gender(record_gender: &str) -> &'static str {
    match record_gender {
        "male" => "male",
        "female" => "female",
        _ => "unknown",
    }
}

/// Builds the nationality extension with the ISO 3166-1 alpha-3 code, or returns `None` for a code
/// of another shape.
fn nationality(code: &str) -> Option<Extension<'_>> {
    let alpha3 = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
    alpha3.then(|| Extension {
        url: NATIONALITY_EXTENSION,
        extension: Some([NestedExtension { url: "code", value_codeable_concept: CodeableConcept::coded(Coding { system: ISO_3166, code, display: None }) }]),
        value_codeable_concept: None,
    })
}

/// Builds the religion extension, when the record has a religion.
fn religion<'a>(record: &'a Patient<'a>) -> Option<Extension<'a>> {
    let religion = record.religion.as_ref()?;
    Some(Extension {
        url: RELIGION_EXTENSION,
        extension: None,
        value_codeable_concept: Some(CodeableConcept::coded(Coding::new(RELIGIOUS_AFFILIATION, religion.code, religion.display))),
    })
}
