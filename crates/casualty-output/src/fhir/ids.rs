//! Resource types of the format and their deterministic ids.
//!
//! The Patient keeps the record's id. Every other resource id is the UUID v5 of a name such as
//! `Encounter/Role2` or `Observation/heart-rate/3`, in the namespace of the record's id. The
//! names carry meaning instead of a running number, so an id stays the same when a later version
//! adds resources of another kind.

use uuid::Uuid;

/// Resource types written to the Bulk Data files, in the order of their files in
/// [`super::FILE_NAMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    Patient,
    Location,
    Encounter,
    Condition,
    AllergyIntolerance,
    Observation,
    Procedure,
    MedicationAdministration,
}

impl ResourceKind {
    /// Every kind, in file order.
    #[cfg(test)]
    pub(crate) const ALL: [ResourceKind; 8] = [
        ResourceKind::Patient,
        ResourceKind::Location,
        ResourceKind::Encounter,
        ResourceKind::Condition,
        ResourceKind::AllergyIntolerance,
        ResourceKind::Observation,
        ResourceKind::Procedure,
        ResourceKind::MedicationAdministration,
    ];

    /// Returns the FHIR resource type name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ResourceKind::Patient => "Patient",
            ResourceKind::Location => "Location",
            ResourceKind::Encounter => "Encounter",
            ResourceKind::Condition => "Condition",
            ResourceKind::AllergyIntolerance => "AllergyIntolerance",
            ResourceKind::Observation => "Observation",
            ResourceKind::Procedure => "Procedure",
            ResourceKind::MedicationAdministration => "MedicationAdministration",
        }
    }

    /// Index of the kind's Bulk Data file among the files after the bundle file.
    pub(crate) fn bulk_index(self) -> usize {
        self as usize
    }
}

/// A resource of one patient: its type and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResourceId {
    pub(crate) kind: ResourceKind,
    pub(crate) id: Uuid,
}

impl ResourceId {
    /// Derives the id of the resource `<type>/<parts joined by />` of the patient whose record id
    /// is `patient`.
    pub(crate) fn derive(patient: Uuid, kind: ResourceKind, parts: &[&str]) -> ResourceId {
        let mut name = NameBuffer::default();
        name.push(kind.name());
        for part in parts {
            name.push("/");
            name.push(part);
        }
        ResourceId { kind, id: Uuid::new_v5(&patient, name.as_bytes()) }
    }

    /// Derives the id of the resource `<type>/<label>/<index>`, for lists such as the conditions
    /// of a patient.
    pub(crate) fn indexed(patient: Uuid, kind: ResourceKind, label: &str, index: usize) -> ResourceId {
        let mut digits = itoa::Buffer::new();
        ResourceId::derive(patient, kind, &[label, digits.format(index)])
    }

    /// Writes `urn:uuid:<id>` into `buffer` and returns it.
    pub(crate) fn urn<'b>(&self, buffer: &'b mut [u8; 64]) -> &'b str {
        let prefix = b"urn:uuid:";
        buffer[..prefix.len()].copy_from_slice(prefix);
        let end = prefix.len() + uuid::fmt::Hyphenated::LENGTH;
        self.id.hyphenated().encode_lower(&mut buffer[prefix.len()..end]);
        std::str::from_utf8(&buffer[..end]).expect("ASCII")
    }

    /// Writes `<ResourceType>/<id>` into `buffer` and returns it.
    pub(crate) fn relative<'b>(&self, buffer: &'b mut [u8; 64]) -> &'b str {
        let name = self.kind.name().as_bytes();
        buffer[..name.len()].copy_from_slice(name);
        buffer[name.len()] = b'/';
        let start = name.len() + 1;
        let end = start + uuid::fmt::Hyphenated::LENGTH;
        self.id.hyphenated().encode_lower(&mut buffer[start..end]);
        std::str::from_utf8(&buffer[..end]).expect("ASCII")
    }
}

/// A stack buffer for id names, which are short ASCII paths.
struct NameBuffer {
    bytes: [u8; 128],
    len: usize,
}

impl Default for NameBuffer {
    fn default() -> NameBuffer {
        NameBuffer { bytes: [0; 128], len: 0 }
    }
}

impl NameBuffer {
    fn push(&mut self, text: &str) {
        let end = self.len + text.len();
        assert!(end <= self.bytes.len(), "resource id name longer than {} bytes: {text}", self.bytes.len());
        self.bytes[self.len..end].copy_from_slice(text.as_bytes());
        self.len = end;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
