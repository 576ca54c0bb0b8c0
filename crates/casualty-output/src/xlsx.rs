//! XLSX (being written).

use casualty_core::record::Patient;

use crate::{Encoder, Metadata};

/// Files of the FHIR format.
/// Encoder of the FHIR format.
pub struct XlsxEncoder;


impl Encoder for XlsxEncoder {
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
