//! NDJSON: one patient per line, UTF-8, `\n` line ends; metadata goes to a sidecar file.

use casualty_core::record::Patient;

use crate::{Encoder, Metadata};

/// Encoder of the NDJSON format.
pub struct NdjsonEncoder;

impl Encoder for NdjsonEncoder {
    fn begin(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let out = &mut outs[0];
        serde_json::to_writer(&mut *out, patient)?;
        out.push(b'\n');
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}
