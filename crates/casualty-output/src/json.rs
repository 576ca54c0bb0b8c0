//! JSON: one document, `{"metadata": {...}, "patients": [ ... ]}`, one patient per line.

use casualty_core::record::Patient;

use crate::{Encoder, Metadata};

/// Encoder of the JSON format.
pub struct JsonEncoder;

impl Encoder for JsonEncoder {
    fn begin(&self, _file: usize, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"{\"metadata\":");
        serde_json::to_writer(&mut *out, metadata)?;
        out.extend_from_slice(b",\n\"patients\":[");
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, first: bool) -> Result<(), serde_json::Error> {
        let out = &mut outs[0];
        out.extend_from_slice(if first { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut *out, patient)
    }

    fn end(&self, _file: usize, out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"\n]}\n");
        Ok(())
    }
}
