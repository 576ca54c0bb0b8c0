//! HL7 FHIR R4 (being written).

use casualty_core::record::Patient;

use crate::{Encoder, Metadata};

/// Files of the FHIR format.
pub const FILE_NAMES: &[&str] = &["patients.fhir.ndjson"];

/// Encoder of the FHIR format.
pub struct FhirEncoder;

impl FhirEncoder {
    /// An encoder for an output described by `metadata`.
    pub fn new(_metadata: &Metadata) -> FhirEncoder {
        FhirEncoder
    }
}

impl Encoder for FhirEncoder {
    fn begin(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn encode(&self, _outs: &mut [Vec<u8>], _patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}
