//! Apache Parquet: `patients.parquet` with one row per patient and `events.parquet` with one row
//! per timeline event, written with the `parquet` crate's Arrow writer.
//!
//! The columns are those of the CSV format, typed: integers, booleans, dates and UTC timestamps
//! instead of text. Optional text (Latin names, event id, primary diagnosis) is null where CSV
//! has an empty cell. `patients.parquet` adds `diagnoses`, every diagnosis of the patient as a
//! list of structs. The schema is listed in `docs/formats.md`.
//!
//! A Parquet file has one writer, while the parallel driver encodes chunks of patients on many
//! threads. So [`ParquetEncoder`] encodes each row into a compact cell stream, one per file, and
//! [`ParquetSink`], on the writer thread, decodes the stream into Arrow arrays. Every
//! [`BATCH_ROWS`] rows become one record batch, and the writer closes a row group every
//! [`PATIENT_ROW_GROUP_ROWS`] or [`EVENT_ROW_GROUP_ROWS`] rows. Batches and row groups are cut by
//! row count alone, so the bytes are the same for any thread count. Memory contains one batch of
//! Arrow arrays, the encoded pages of one row group, and per column a dictionary and an open page
//! of at most [`PAGE_BYTES`] each.
//!
//! Pages are compressed with Snappy. The run metadata is stored as JSON under the key
//! `casualty.metadata` of the file's key-value metadata, next to the Arrow schema that the writer
//! stores itself.

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use casualty_core::record::Patient;
use casualty_core::time::Timestamp;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::table::{self, Cells, EVENT_COLUMNS, PATIENT_COLUMNS};
use crate::{Encoder, Metadata, Sink};

/// Names of the files of the format, in buffer order.
pub const FILE_NAMES: &[&str] = &["patients.parquet", "events.parquet"];

/// Rows per row group of `patients.parquet`; the last row group may have fewer.
pub const PATIENT_ROW_GROUP_ROWS: usize = 65_536;

/// Rows per row group of `events.parquet`; the last row group may have fewer. A patient has
/// about four events, so a row group of events covers about as many patients as one of patients.
pub const EVENT_ROW_GROUP_ROWS: usize = 262_144;

/// Rows per record batch handed to the Parquet writer. A divisor of both row group sizes, so that
/// no batch is split across row groups.
pub const BATCH_ROWS: usize = 8_192;

/// Limit of a column's dictionary and of a data page, in bytes before compression. Every column
/// keeps a dictionary and a page in memory while its row group is written, so this bounds memory.
const PAGE_BYTES: usize = 128 << 10;

/// Columns whose values are (nearly) all different, so a dictionary would only cost memory.
const UNIQUE_COLUMNS: &[&str] = &["id", "service_number", "patient_id"];

/// Key of the run metadata (JSON) in the key-value metadata of each file.
pub const METADATA_KEY: &str = "casualty.metadata";

/// Time zone of the timestamp columns.
const UTC: &str = "UTC";

/// Encoder of the Parquet format: writes the cell streams that [`ParquetSink`] turns into files.
pub struct ParquetEncoder;

impl Encoder for ParquetEncoder {
    fn begin(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let (patients, events) = outs.split_at_mut(1);
        let id = patient.id.hyphenated().to_string();

        // The table columns end with `Cells::end`, and the diagnoses list follows in the same row.
        let mut row = CellStream::new(&mut patients[0], false);
        table::patient_row(&mut row, patient, &id);
        row.list(patient.injuries.len());
        for injury in &patient.injuries {
            row.plain(injury.code);
            row.text(injury.display);
            row.plain(injury.body_region);
            row.integer(u64::from(injury.ais));
        }
        row.close();

        table::event_rows(&mut CellStream::new(&mut events[0], true), patient, &id);
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn bytes_per_patient(&self, file: usize) -> usize {
        if file == 0 {
            500
        } else {
            400
        }
    }
}

/// Tags of the cell stream. A row is its length in bytes (u32, little-endian, excluding the
/// length itself), then cells: a tag byte and its value.
mod tag {
    pub(super) const TEXT: u8 = 1;
    pub(super) const INTEGER: u8 = 2;
    pub(super) const FLOAT: u8 = 3;
    pub(super) const TIME: u8 = 4;
    pub(super) const BOOLEAN: u8 = 5;
    /// A list: its item count (u32), then the cells of every item.
    pub(super) const LIST: u8 = 6;
}

/// Writes rows of one file into the cell stream.
struct CellStream<'a> {
    out: &'a mut Vec<u8>,
    /// Whether `Cells::end` closes the row, or the row goes on until [`CellStream::close`].
    close_on_end: bool,
    row_start: Option<usize>,
}

impl<'a> CellStream<'a> {
    fn new(out: &'a mut Vec<u8>, close_on_end: bool) -> CellStream<'a> {
        CellStream { out, close_on_end, row_start: None }
    }

    /// Starts a row if none is open, leaving room for its length, and writes a cell's tag.
    fn cell(&mut self, tag: u8) {
        if self.row_start.is_none() {
            self.row_start = Some(self.out.len());
            self.out.extend_from_slice(&[0; 4]);
        }
        self.out.push(tag);
    }

    /// Starts a list of `items` items; their cells follow.
    fn list(&mut self, items: usize) {
        self.cell(tag::LIST);
        self.out.extend_from_slice(&(items as u32).to_le_bytes());
    }

    /// Ends the open row by writing its length.
    fn close(&mut self) {
        if let Some(start) = self.row_start.take() {
            let length = (self.out.len() - start - 4) as u32;
            self.out[start..start + 4].copy_from_slice(&length.to_le_bytes());
        }
    }
}

impl Cells for CellStream<'_> {
    fn plain(&mut self, value: &str) {
        self.text(value);
    }

    fn text(&mut self, value: &str) {
        self.cell(tag::TEXT);
        self.out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        self.out.extend_from_slice(value.as_bytes());
    }

    fn integer(&mut self, value: u64) {
        self.cell(tag::INTEGER);
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    fn float(&mut self, value: f64) {
        self.cell(tag::FLOAT);
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    fn time(&mut self, value: Timestamp) {
        self.cell(tag::TIME);
        self.out.extend_from_slice(&value.0.to_le_bytes());
    }

    fn boolean(&mut self, value: bool) {
        self.cell(tag::BOOLEAN);
        self.out.push(u8::from(value));
    }

    fn end(&mut self) {
        if self.close_on_end {
            self.close();
        }
    }
}

/// The files of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetTable {
    /// `patients.parquet`.
    Patients,
    /// `events.parquet`.
    Events,
}

impl ParquetTable {
    /// Returns the table written to file `file` of the format, in [`FILE_NAMES`] order.
    pub fn of_file(file: usize) -> ParquetTable {
        if file == 0 {
            ParquetTable::Patients
        } else {
            ParquetTable::Events
        }
    }

    /// Arrow type and nullability of each column, in order.
    fn columns(self) -> Vec<(&'static str, Kind)> {
        match self {
            ParquetTable::Patients => {
                let mut columns: Vec<(&'static str, Kind)> = PATIENT_COLUMNS.iter().copied().zip(PATIENT_KINDS).collect();
                columns.push(("diagnoses", Kind::Diagnoses));
                columns
            }
            ParquetTable::Events => EVENT_COLUMNS.iter().copied().zip(EVENT_KINDS).collect(),
        }
    }

    fn row_group_rows(self) -> usize {
        match self {
            ParquetTable::Patients => PATIENT_ROW_GROUP_ROWS,
            ParquetTable::Events => EVENT_ROW_GROUP_ROWS,
        }
    }

    /// Returns the Arrow schema of the table's file.
    pub fn schema(self) -> Schema {
        Schema::new(self.columns().into_iter().map(|(name, kind)| Field::new(name, kind.data_type(), kind.nullable())).collect::<Vec<_>>())
    }
}

/// Kind of a column: the conversion of its cells in the cell stream into an Arrow column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// UTF-8 text, never null.
    Text,
    /// UTF-8 text; the empty string becomes null.
    OptionalText,
    Int64,
    Int32,
    Float64,
    Boolean,
    /// `YYYY-MM-DD` text as days since 1970-01-01.
    Date,
    /// Seconds since 1970-01-01 UTC as a millisecond timestamp in UTC, the finest unit that every
    /// Parquet reader maps to a timestamp.
    Timestamp,
    /// The list of diagnoses: code, display, body region and AIS of each.
    Diagnoses,
}

/// Kinds of [`PATIENT_COLUMNS`], in the same order.
const PATIENT_KINDS: [Kind; 33] = [
    Kind::Text,         // id
    Kind::Int64,        // sequence
    Kind::Text,         // given_name
    Kind::Text,         // family_name
    Kind::OptionalText, // given_name_latin
    Kind::OptionalText, // family_name_latin
    Kind::Text,         // nationality
    Kind::Text,         // gender
    Kind::Int32,        // age
    Kind::Date,         // date_of_birth
    Kind::Text,         // branch
    Kind::Text,         // rank
    Kind::Text,         // rank_title
    Kind::Text,         // unit
    Kind::Text,         // service_number
    Kind::Text,         // blood_group
    Kind::Text,         // front
    Kind::Text,         // injury_type
    Kind::Text,         // mechanism
    Kind::OptionalText, // event_id
    Kind::Boolean,      // mass_casualty
    Kind::OptionalText, // primary_diagnosis_code
    Kind::OptionalText, // primary_diagnosis
    Kind::OptionalText, // body_region
    Kind::Int32,        // ais
    Kind::Int32,        // iss
    Kind::Int32,        // niss
    Kind::Text,         // triage_category
    Kind::Timestamp,    // injury_timestamp
    Kind::Text,         // last_facility
    Kind::Text,         // final_status
    Kind::Timestamp,    // outcome_timestamp
    Kind::Int32,        // diagnosis_count
];

/// Kinds of [`EVENT_COLUMNS`], in the same order.
const EVENT_KINDS: [Kind; 6] = [Kind::Text, Kind::Int64, Kind::Text, Kind::Text, Kind::Timestamp, Kind::Float64];

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Text | Kind::OptionalText => DataType::Utf8,
            Kind::Int64 => DataType::Int64,
            Kind::Int32 => DataType::Int32,
            Kind::Float64 => DataType::Float64,
            Kind::Boolean => DataType::Boolean,
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
            Kind::Diagnoses => DataType::List(Arc::new(Field::new_list_field(DataType::Struct(diagnosis_fields()), false))),
        }
    }

    fn nullable(self) -> bool {
        self == Kind::OptionalText
    }

    fn builder(self) -> Column {
        match self {
            Kind::Text => Column::Text(StringBuilder::new(), false),
            Kind::OptionalText => Column::Text(StringBuilder::new(), true),
            Kind::Int64 => Column::Int64(Int64Builder::new()),
            Kind::Int32 => Column::Int32(Int32Builder::new()),
            Kind::Float64 => Column::Float64(Float64Builder::new()),
            Kind::Boolean => Column::Boolean(BooleanBuilder::new()),
            Kind::Date => Column::Date(Date32Builder::new()),
            Kind::Timestamp => Column::Timestamp(TimestampMillisecondBuilder::new().with_timezone(UTC)),
            Kind::Diagnoses => Column::Diagnoses(Box::default()),
        }
    }
}

/// Fields of one item of the `diagnoses` list.
fn diagnosis_fields() -> Fields {
    Fields::from(vec![
        Field::new("code", DataType::Utf8, false),
        Field::new("display", DataType::Utf8, false),
        Field::new("body_region", DataType::Utf8, false),
        Field::new("ais", DataType::Int32, false),
    ])
}

/// The arrays of the `diagnoses` column being built.
#[derive(Default)]
struct DiagnosesBuilder {
    /// Start of each row's items, and the end of the last.
    offsets: Vec<i32>,
    code: StringBuilder,
    display: StringBuilder,
    body_region: StringBuilder,
    ais: Int32Builder,
}

/// One column being built.
enum Column {
    /// Text; the flag makes the empty string null.
    Text(StringBuilder, bool),
    Int64(Int64Builder),
    Int32(Int32Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMillisecondBuilder),
    Diagnoses(Box<DiagnosesBuilder>),
}

impl Column {
    /// Reads the column's cell from the front of `cells` and appends it.
    fn append(&mut self, cells: &mut Reader<'_>) -> io::Result<()> {
        match self {
            Column::Text(builder, nullable) => {
                let text = cells.text()?;
                if *nullable && text.is_empty() {
                    builder.append_null();
                } else {
                    builder.append_value(text);
                }
            }
            Column::Int64(builder) => builder.append_value(i64::try_from(cells.integer()?).map_err(|_| corrupt("an integer out of range"))?),
            Column::Int32(builder) => builder.append_value(i32::try_from(cells.integer()?).map_err(|_| corrupt("an integer out of range"))?),
            Column::Float64(builder) => builder.append_value(cells.float()?),
            Column::Boolean(builder) => builder.append_value(cells.boolean()?),
            Column::Date(builder) => builder.append_value(parse_date(cells.text()?)?),
            Column::Timestamp(builder) => builder.append_value(cells.time()?.checked_mul(1000).ok_or_else(|| corrupt("a time out of range"))?),
            Column::Diagnoses(list) => {
                if list.offsets.is_empty() {
                    list.offsets.push(0);
                }
                let items = cells.list()?;
                for _ in 0..items {
                    list.code.append_value(cells.text()?);
                    list.display.append_value(cells.text()?);
                    list.body_region.append_value(cells.text()?);
                    list.ais.append_value(i32::try_from(cells.integer()?).map_err(|_| corrupt("an integer out of range"))?);
                }
                let end = list.offsets.last().copied().unwrap_or(0) + items as i32;
                list.offsets.push(end);
            }
        }
        Ok(())
    }

    /// Returns the array built so far and starts a new one.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(builder, _) => Arc::new(builder.finish()),
            Column::Int64(builder) => Arc::new(builder.finish()),
            Column::Int32(builder) => Arc::new(builder.finish()),
            Column::Float64(builder) => Arc::new(builder.finish()),
            Column::Boolean(builder) => Arc::new(builder.finish()),
            Column::Date(builder) => Arc::new(builder.finish()),
            Column::Timestamp(builder) => Arc::new(builder.finish()),
            Column::Diagnoses(list) => {
                let mut offsets = std::mem::take(&mut list.offsets);
                if offsets.is_empty() {
                    offsets.push(0);
                }
                let items = StructArray::new(
                    diagnosis_fields(),
                    vec![Arc::new(list.code.finish()), Arc::new(list.display.finish()), Arc::new(list.body_region.finish()), Arc::new(list.ais.finish())],
                    None,
                );
                let field = Arc::new(Field::new_list_field(DataType::Struct(diagnosis_fields()), false));
                Arc::new(ListArray::new(field, OffsetBuffer::new(ScalarBuffer::from(offsets)), Arc::new(items), None))
            }
        }
    }
}

/// Settings of a [`ParquetSink`].
#[derive(Debug, Clone, Copy)]
pub struct ParquetSinkBuilder {
    table: ParquetTable,
}

impl ParquetSinkBuilder {
    /// Settings for the file of `table`.
    pub fn new(table: ParquetTable) -> ParquetSinkBuilder {
        ParquetSinkBuilder { table }
    }

    /// Builds a sink that writes the table's Parquet file, with `metadata` in its key-value
    /// metadata, to `destination`.
    ///
    /// # Errors
    /// Failure to write the file's leading magic bytes to `destination`.
    pub fn build<'w>(self, destination: Box<dyn Sink + 'w>, metadata: &Metadata) -> io::Result<ParquetSink<'w>> {
        let schema: SchemaRef = Arc::new(self.table.schema());
        let metadata = serde_json::to_string(metadata).map_err(io::Error::other)?;
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(self.table.row_group_rows()))
            .set_max_row_group_bytes(None)
            .set_dictionary_page_size_limit(PAGE_BYTES)
            .set_data_page_size_limit(PAGE_BYTES)
            .set_key_value_metadata(Some(vec![KeyValue::new(METADATA_KEY.to_string(), metadata)]));
        for column in UNIQUE_COLUMNS {
            properties = properties.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        let properties = properties.build();
        let writer = ArrowWriter::try_new(destination, Arc::clone(&schema), Some(properties)).map_err(parquet_error)?;
        let columns = self.table.columns().into_iter().map(|(_, kind)| kind.builder()).collect();
        Ok(ParquetSink { writer, schema, columns, rows: 0, pending: Vec::new() })
    }
}

/// Writes the Parquet cell stream of one table as a Parquet file into a destination sink.
pub struct ParquetSink<'w> {
    writer: ArrowWriter<Box<dyn Sink + 'w>>,
    schema: SchemaRef,
    columns: Vec<Column>,
    /// Rows in `columns` that are not yet written.
    rows: usize,
    /// Bytes of a row that has not arrived whole.
    pending: Vec<u8>,
}

impl ParquetSink<'_> {
    /// Appends every whole row of `self.pending` and keeps the bytes of an incomplete last row.
    fn drain_rows(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let mut offset = 0;
        let mut result = Ok(());
        while pending.len() - offset >= 4 {
            let length = u32::from_le_bytes(pending[offset..offset + 4].try_into().expect("4 bytes")) as usize;
            if pending.len() - offset - 4 < length {
                break;
            }
            result = self.append_row(&pending[offset + 4..offset + 4 + length]);
            if result.is_err() {
                break;
            }
            offset += 4 + length;
        }
        self.pending = pending;
        self.pending.drain(..offset);
        result
    }

    /// Appends one encoded row, and writes a record batch when [`BATCH_ROWS`] rows are waiting.
    fn append_row(&mut self, row: &[u8]) -> io::Result<()> {
        let mut cells = Reader { bytes: row };
        for column in &mut self.columns {
            column.append(&mut cells)?;
        }
        if !cells.bytes.is_empty() {
            return Err(corrupt("more cells than the table has columns"));
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Hands the waiting rows to the Parquet writer, which closes a row group when it is full.
    fn write_batch(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        self.rows = 0;
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(io::Error::other)?;
        self.writer.write(&batch).map_err(parquet_error)
    }
}

impl Write for ParquetSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        self.drain_rows()?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for ParquetSink<'_> {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        if !self.pending.is_empty() {
            return Err(corrupt("a row cut at the end of the stream"));
        }
        self.write_batch()?;
        let ParquetSink { writer, .. } = *self;
        // `into_inner` closes the last row group and writes the footer.
        let destination = writer.into_inner().map_err(parquet_error)?;
        destination.finish()
    }
}

/// Reads cells from the front of one row of the stream.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Takes the tag byte, which must be `expected`.
    fn tag(&mut self, expected: u8) -> io::Result<()> {
        let [tag] = self.take::<1>()?;
        if tag == expected {
            Ok(())
        } else {
            Err(corrupt("a cell whose type does not match its column"))
        }
    }

    fn take<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        if self.bytes.len() < N {
            return Err(corrupt("a cut cell"));
        }
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        Ok(head.try_into().expect("N bytes"))
    }

    fn text(&mut self) -> io::Result<&'a str> {
        self.tag(tag::TEXT)?;
        let length = u32::from_le_bytes(self.take::<4>()?) as usize;
        if self.bytes.len() < length {
            return Err(corrupt("a cut text cell"));
        }
        let (text, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        std::str::from_utf8(text).map_err(|_| corrupt("a text cell that is not UTF-8"))
    }

    fn integer(&mut self) -> io::Result<u64> {
        self.tag(tag::INTEGER)?;
        Ok(u64::from_le_bytes(self.take::<8>()?))
    }

    fn float(&mut self) -> io::Result<f64> {
        self.tag(tag::FLOAT)?;
        Ok(f64::from_le_bytes(self.take::<8>()?))
    }

    fn time(&mut self) -> io::Result<i64> {
        self.tag(tag::TIME)?;
        Ok(i64::from_le_bytes(self.take::<8>()?))
    }

    fn boolean(&mut self) -> io::Result<bool> {
        self.tag(tag::BOOLEAN)?;
        Ok(self.take::<1>()?[0] != 0)
    }

    fn list(&mut self) -> io::Result<usize> {
        self.tag(tag::LIST)?;
        Ok(u32::from_le_bytes(self.take::<4>()?) as usize)
    }
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
fn parse_date(text: &str) -> io::Result<i32> {
    let mut parts = text.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day))) = (parts.next(), parts.next(), parts.next()) else {
        return Err(corrupt("a date that is not YYYY-MM-DD"));
    };
    let days = casualty_core::time::days_from_civil(year, month, day);
    i32::try_from(days).map_err(|_| corrupt("a date out of range"))
}

fn parquet_error(error: ParquetError) -> io::Error {
    match error {
        ParquetError::External(inner) => io::Error::other(inner),
        other => io::Error::other(other),
    }
}

/// Returns the error for a malformed cell stream. [`ParquetEncoder`] writes the stream in this
/// process, so such an error is a defect.
fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("Parquet cell stream contains {what}; this is a defect"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_date_counts_days() {
        assert_eq!(parse_date("1970-01-01").unwrap(), 0);
        assert_eq!(parse_date("2000-03-01").unwrap(), 11_017);
        assert_eq!(parse_date("1969-12-31").unwrap(), -1);
        assert!(parse_date("2000-03").is_err());
    }

    #[test]
    fn batch_divides_row_groups() {
        assert_eq!(PATIENT_ROW_GROUP_ROWS % BATCH_ROWS, 0);
        assert_eq!(EVENT_ROW_GROUP_ROWS % BATCH_ROWS, 0);
    }

    #[test]
    fn schemas_have_every_column() {
        assert_eq!(ParquetTable::Patients.schema().fields().len(), PATIENT_COLUMNS.len() + 1);
        assert_eq!(ParquetTable::Events.schema().fields().len(), EVENT_COLUMNS.len());
    }
}
