//! The parallel driver: generate chunks on a thread pool, write them in order.
//!
//! Chunks of up to [`RunOptions::chunk_size`] patients (fewer when the formats' records are large)
//! are generated and encoded in parallel, a batch of two chunks per thread at a time. A writer thread takes finished batches through a channel
//! of capacity one, so generation of the next batch overlaps the write of the last, and at most
//! three batches are in memory at once.

use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use casualty_core::engine::Generator;
use casualty_core::summary::Summary;
use rayon::prelude::*;

use crate::parquet::{ParquetSinkBuilder, ParquetTable};
use crate::xlsx::XlsxSinkBuilder;
use crate::{encoder, Format, Metadata, OutputError, Sink};


/// Typical encoded bytes of one chunk. Chunks are cut smaller than [`RunOptions::chunk_size`] when
/// the formats' patients are large, so memory stays bounded by bytes rather than patients.
const CHUNK_BYTES: usize = 4 << 20;

/// Minimum patients per chunk, so that per-chunk overhead stays small for very large records.
const MIN_CHUNK_PATIENTS: u64 = 16;

/// One chunk's encoded bytes, one buffer per output file, and the summary of its patients.
type EncodedChunk = (Vec<Vec<u8>>, Summary);

/// How to run a generation.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Patients per chunk.
    pub chunk_size: u64,
    /// Patient indexes to write.
    pub range: Range<u64>,
    /// Settings of XLSX workbooks.
    pub xlsx: XlsxSinkBuilder,
}

impl RunOptions {
    /// Options for the patients `range` on `threads` threads, with 512 patients per chunk.
    pub fn new(threads: usize, range: Range<u64>) -> RunOptions {
        RunOptions { threads, chunk_size: 512, range, xlsx: XlsxSinkBuilder::default() }
    }
}

/// Receives progress: patients written so far.
pub trait Progress: Send {
    /// Called after each batch is written.
    fn written(&mut self, patients: u64);

    /// Called after each chunk of a batch is written to every target, with the chunk's
    /// patients, before [`Progress::written`] of its batch. Does nothing unless overridden.
    fn chunk_written(&mut self, _patients: u64) {}
}

impl<F: FnMut(u64) + Send> Progress for F {
    fn written(&mut self, patients: u64) {
        self(patients)
    }
}

/// One format's output: its encoder's files, each written to its own writer.
pub struct Target<'w> {
    /// The format.
    pub format: Format,
    /// Metadata of the format's output.
    pub metadata: Metadata,
    /// One writer per file of the format, in [`Format::file_names`] order.
    pub writers: Vec<Box<dyn Sink + 'w>>,
    /// Name of each writer for error messages.
    pub names: Vec<String>,
}

/// Writes the patients of `options.range` in `format` to `out`, returning their summary and the
/// number of bytes written. For formats that write one file.
///
/// # Errors
/// Write failures, or [`OutputError::Interrupted`] when `cancel` is set.
#[allow(clippy::too_many_arguments)]
pub fn write_patients<W: Sink>(
    generator: &Generator<'_>,
    format: Format,
    metadata: &Metadata,
    out: W,
    destination: &str,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    assert_eq!(format.file_names().len(), 1, "write_patients takes formats that write one file");
    let target = Target { format, metadata: metadata.clone(), writers: vec![Box::new(out)], names: vec![destination.to_string()] };
    let (summary, bytes) = write_targets(generator, vec![target], options, progress, cancel)?;
    Ok((summary, bytes[0]))
}

/// Writes the patients of `options.range` in every target's format at once, generating each
/// patient once. Returns the summary and the bytes written to each writer, targets in order.
///
/// # Errors
/// Write failures, or [`OutputError::Interrupted`] when `cancel` is set.
pub fn write_targets<'w>(
    generator: &Generator<'_>,
    targets: Vec<Target<'w>>,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, Vec<u64>), OutputError> {
    let threads = options.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool can be built");
    let range = options.range.clone();
    let total = range.end - range.start;

    // Each target owns a run of consecutive buffer slots, one per file.
    let encoders: Vec<(Box<dyn crate::Encoder>, std::ops::Range<usize>)> = {
        let mut next = 0;
        targets
            .iter()
            .map(|t| {
                let files = t.format.file_names().len();
                next += files;
                (encoder(t.format, &t.metadata), next - files..next)
            })
            .collect()
    };
    let slots = encoders.last().map_or(0, |(_, r)| r.end);
    let capacities: Vec<usize> = encoders.iter().flat_map(|(encoder, files)| (0..files.len()).map(|file| encoder.bytes_per_patient(file))).collect();
    // Large records (FHIR is about 47 KB per patient) get smaller chunks, so the batches in
    // flight stay near the same number of bytes whatever the formats.
    let bytes_per_patient: usize = capacities.iter().sum::<usize>().max(1);
    let by_bytes = ((CHUNK_BYTES / bytes_per_patient) as u64).max(MIN_CHUNK_PATIENTS);
    let chunk = options.chunk_size.min(by_bytes).max(1);

    let mut writers: Vec<Box<dyn Sink + 'w>> = Vec::with_capacity(slots);
    let mut names: Vec<String> = Vec::with_capacity(slots);
    let mut heads: Vec<Vec<u8>> = Vec::with_capacity(slots);
    let mut tails: Vec<Vec<u8>> = Vec::with_capacity(slots);
    for (target, (encoder, _)) in targets.into_iter().zip(&encoders) {
        for file in 0..target.format.file_names().len() {
            let mut head = Vec::new();
            encoder.begin(file, &mut head, &target.metadata)?;
            heads.push(head);
            let mut tail = Vec::new();
            encoder.end(file, &mut tail, &target.metadata)?;
            tails.push(tail);
        }
        let mut target_writers = target.writers;
        if target.format == Format::Xlsx {
            // The workbook sink turns the encoder's cell stream into worksheets.
            let destination = target_writers.remove(0);
            let workbook = options.xlsx.clone().build(destination, &target.metadata).map_err(|source| OutputError::Io { path: target.names[0].clone(), source })?;
            target_writers.insert(0, Box::new(workbook));
        }
        if target.format == Format::Parquet {
            // Each Parquet sink turns the encoder's cell stream of its table into a file.
            let destinations = std::mem::take(&mut target_writers);
            for (file, destination) in destinations.into_iter().enumerate() {
                let table = ParquetTable::of_file(file);
                let sink = ParquetSinkBuilder::new(table).build(destination, &target.metadata).map_err(|source| OutputError::Io { path: target.names[file].clone(), source })?;
                target_writers.push(Box::new(sink));
            }
        }
        writers.extend(target_writers);
        names.extend(target.names);
    }
    assert_eq!(writers.len(), slots, "one writer per file of each format");

    let chunks: Vec<Range<u64>> = (range.start..range.end)
        .step_by(chunk as usize)
        .map(|start| start..(start + chunk).min(range.end))
        .collect();
    let batch_len = threads * 2;

    std::thread::scope(|scope| -> Result<(Summary, Vec<u64>), OutputError> {
        let (sender, receiver) = mpsc::sync_channel::<Vec<EncodedChunk>>(1);
        // Written buffers come back emptied and are reused, so the same few allocations serve the
        // whole run. Fresh buffers for every chunk let the allocator's heap grow with the count.
        let (recycle, recycled) = mpsc::channel::<Vec<Vec<u8>>>();
        let names = &names;
        let writer = scope.spawn(move || -> Result<(Summary, Vec<u64>), OutputError> {
            let io_error = |slot: usize| move |source| OutputError::Io { path: names[slot].clone(), source };
            let mut summary = Summary::default();
            let mut bytes = vec![0u64; writers.len()];
            for (slot, head) in heads.iter().enumerate() {
                writers[slot].write_all(head).map_err(io_error(slot))?;
                bytes[slot] += head.len() as u64;
            }
            for batch in receiver {
                for (mut buffers, part) in batch {
                    for (slot, buffer) in buffers.iter_mut().enumerate() {
                        writers[slot].write_all(buffer).map_err(io_error(slot))?;
                        bytes[slot] += buffer.len() as u64;
                        buffer.clear();
                    }
                    summary.merge(&part);
                    progress.chunk_written(part.total);
                    // The producer may have stopped already; then the buffers are dropped.
                    let _ = recycle.send(buffers);
                }
                progress.written(summary.total);
            }
            for (slot, (tail, mut writer)) in tails.iter().zip(writers).enumerate() {
                writer.write_all(tail).map_err(io_error(slot))?;
                writer.finish().map_err(io_error(slot))?;
                bytes[slot] += tail.len() as u64;
            }
            Ok((summary, bytes))
        });

        let mut failure = None;
        let mut spare: Vec<Vec<Vec<u8>>> = Vec::new();
        // One batch being encoded, one in the channel and one being written: three batches of
        // buffer sets are all a run ever needs, whatever the speed of the destination.
        let max_sets = 3 * batch_len;
        let mut allocated_sets = 0;
        for batch in chunks.chunks(batch_len) {
            if cancel.load(Ordering::Relaxed) {
                failure = Some(OutputError::Interrupted { written: 0, total });
                break;
            }
            spare.extend(recycled.try_iter());
            let mut buffer_sets: Vec<Vec<Vec<u8>>> = Vec::with_capacity(batch.len());
            for part in batch {
                let set = match spare.pop() {
                    Some(set) => set,
                    None if allocated_sets < max_sets => {
                        allocated_sets += 1;
                        let patients = (part.end - part.start) as usize;
                        capacities.iter().map(|bytes| Vec::with_capacity(patients * bytes)).collect()
                    }
                    // Every set is in use: wait for the writer to return one. If the writer has
                    // stopped, its error is collected below.
                    None => match recycled.recv() {
                        Ok(set) => set,
                        Err(_) => break,
                    },
                };
                buffer_sets.push(set);
            }
            if buffer_sets.len() < batch.len() {
                break;
            }
            let encoded: Result<Vec<EncodedChunk>, serde_json::Error> = pool.install(|| {
                batch
                    .par_iter()
                    .zip(buffer_sets)
                    .map(|(part, mut buffers)| {
                        let mut summary = Summary::default();
                        for index in part.clone() {
                            let patient = generator.patient(index);
                            for (encoder, files) in &encoders {
                                encoder.encode(&mut buffers[files.clone()], &patient, index == range.start)?;
                            }
                            summary.add(&patient);
                        }
                        Ok((buffers, summary))
                    })
                    .collect()
            });
            match encoded {
                Ok(encoded) => {
                    if sender.send(encoded).is_err() {
                        // The writer stopped early; its error is collected below.
                        break;
                    }
                }
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        drop(sender);
        let written = writer.join().expect("the writer thread does not panic");
        if let Some(OutputError::Interrupted { total, .. }) = failure {
            let written = written.as_ref().map_or(0, |(summary, _)| summary.total);
            return Err(OutputError::Interrupted { written, total });
        }
        if let Some(error) = failure {
            return Err(error);
        }
        written
    })
}
