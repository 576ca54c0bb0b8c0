//! FHIR R4 data types as slim serde structs, with only the elements this format writes.
//!
//! Optional elements are `Option`s or [`Few`] lists that are left out when empty, so the output
//! never has a `null`, an empty array or an empty string. Lists have a fixed maximum length and
//! live on the stack, because every resource is built twice per patient (see [`Style`]).

use std::borrow::Cow;

use casualty_core::time::Timestamp;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::ids::ResourceId;

/// Form of a reference to another resource of the same patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Inside a Bundle: `urn:uuid:<id>`, the `fullUrl` of the target's entry.
    Bundle,
    /// In the Bulk Data files: `<ResourceType>/<id>`.
    Bulk,
}

/// Returns `Some(text)`, or `None` for an empty string, which FHIR does not allow.
pub(crate) fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Up to `N` items, written as a JSON array of the present ones.
#[derive(Debug, Clone)]
pub(crate) struct Few<T, const N: usize>(pub(crate) [Option<T>; N]);

impl<T, const N: usize> Few<T, N> {
    /// Whether no item is present, so the element must be left out.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

impl<T: Serialize, const N: usize> Serialize for Few<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for item in self.0.iter().flatten() {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

/// Coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Coding<'a> {
    pub(crate) system: &'a str,
    pub(crate) code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display: Option<&'a str>,
}

impl<'a> Coding<'a> {
    /// Creates a coding whose display, taken from a record, may be empty.
    pub(crate) fn new(system: &'a str, code: &'a str, display: &'a str) -> Coding<'a> {
        Coding { system, code, display: non_empty(display) }
    }
}

/// CodeableConcept with one or two codings of the same concept.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CodeableConcept<'a> {
    #[serde(skip_serializing_if = "Few::is_empty")]
    pub(crate) coding: Few<Coding<'a>, 2>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<Cow<'a, str>>,
}

impl<'a> CodeableConcept<'a> {
    /// Creates a concept with one coding.
    pub(crate) fn coded(coding: Coding<'a>) -> CodeableConcept<'a> {
        CodeableConcept { coding: Few([Some(coding), None]), text: None }
    }

    /// Creates a concept with one coding and a text.
    pub(crate) fn with_text(coding: Coding<'a>, text: &'a str) -> CodeableConcept<'a> {
        CodeableConcept { coding: Few([Some(coding), None]), text: Some(Cow::Borrowed(text)) }
    }
}

/// Reference to another resource of the same patient, written as `{"reference": "..."}` in the
/// given style.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference {
    pub(crate) target: ResourceId,
    pub(crate) style: Style,
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 64];
        let text = match self.style {
            Style::Bundle => self.target.urn(&mut buffer),
            Style::Bulk => self.target.relative(&mut buffer),
        };
        let mut reference = serializer.serialize_struct("Reference", 1)?;
        reference.serialize_field("reference", text)?;
        reference.end()
    }
}

/// A UUID written as the URI `urn:uuid:<uuid>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UrnUuid(pub(crate) Uuid);

impl Serialize for UrnUuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 45];
        buffer[..9].copy_from_slice(b"urn:uuid:");
        self.0.hyphenated().encode_lower(&mut buffer[9..]);
        serializer.serialize_str(std::str::from_utf8(&buffer).expect("a hyphenated UUID is ASCII"))
    }
}

/// Period. Without `end` it is ongoing.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Period {
    pub(crate) start: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<Timestamp>,
}

/// A decimal that is written as a JSON integer when the record has a whole number.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub(crate) enum Decimal {
    /// A count or a whole-number reading.
    Integer(u32),
    /// A reading with decimals; never NaN or infinite, which JSON cannot hold.
    Fraction(f64),
}

/// Quantity with a UCUM unit.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Quantity {
    pub(crate) value: Decimal,
    pub(crate) unit: &'static str,
    pub(crate) system: &'static str,
    pub(crate) code: &'static str,
}

/// Identifier.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Identifier<'a> {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<CodeableConcept<'static>>,
    pub(crate) system: &'static str,
    pub(crate) value: IdentifierValue<'a>,
}

/// Value of an identifier: text from the record, or a UUID written as a URN.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum IdentifierValue<'a> {
    /// Text, never empty.
    Text(&'a str),
    /// `urn:uuid:<uuid>`.
    Urn(UrnUuid),
}

/// HumanName with one given name.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HumanName<'a> {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) family: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) given: Option<[&'a str; 1]>,
}

impl<'a> HumanName<'a> {
    /// Creates a name from a family and a given name, or returns `None` when both are empty.
    pub(crate) fn new(usage: Option<&'static str>, family: &'a str, given: &'a str) -> Option<HumanName<'a>> {
        let name = HumanName { usage, family: non_empty(family), given: non_empty(given).map(|g| [g]) };
        (name.family.is_some() || name.given.is_some()).then_some(name)
    }
}

/// Extension with a CodeableConcept value, or with nested extensions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Extension<'a> {
    pub(crate) url: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) extension: Option<[NestedExtension<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value_codeable_concept: Option<CodeableConcept<'a>>,
}

/// Extension inside a complex extension, named by a relative `url` such as `code`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NestedExtension<'a> {
    pub(crate) url: &'static str,
    pub(crate) value_codeable_concept: CodeableConcept<'a>,
}

/// Meta with the profiles a resource conforms to.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Meta {
    pub(crate) profile: [&'static str; 1],
}
