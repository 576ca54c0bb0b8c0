//! XLSX (Office Open XML workbook), written with `rust_xlsxwriter` in constant-memory mode.
//!
//! The workbook has the sheets `patients` and `events` with the columns of the CSV format, then
//! `metadata` with one key and value per row. A sheet holds at most 1,048,576 rows (Excel's
//! limit, header included), so longer tables continue in `patients_2`, `events_2` and so on, each
//! with its own header row. Every text cell is written as a string, never a formula, so a value
//! that begins with `=` stays text. Times are Excel date-times in UTC with the number format
//! `yyyy-mm-dd hh:mm:ss`; numbers are numbers.
//!
//! Workbook assembly needs one writer for the whole file, while the parallel driver encodes chunks
//! of patients on many threads. So [`XlsxEncoder`] encodes each row into a compact cell stream, and
//! [`XlsxSink`], on the writer thread, decodes that stream into worksheet rows. In constant-memory
//! mode each worksheet streams its rows to a temporary file, and [`Sink::finish`] zips them into
//! the destination. Memory stays flat. The temporary files take about the size of the uncompressed
//! sheets, in the system's temporary folder.
//!
//! The workbook's creation time is the scenario's `base_date` and the ZIP entries carry the fixed
//! DOS epoch, so the same scenario and seed give the same bytes.

use std::io::{self, Write};

use casualty_core::record::Patient;
use casualty_core::time::Timestamp;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as CellFormat, Workbook, Worksheet, XlsxError};

use crate::table::{self, Cells, EVENT_COLUMNS, PATIENT_COLUMNS};
use crate::{Encoder, Metadata, Sink};

/// Rows of a worksheet in Excel, header included.
pub const MAX_ROWS_PER_SHEET: u32 = 1_048_576;

/// Characters of a cell in Excel. Longer text is cut to this length, ending with `…`.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Excel's serial day number of 1970-01-01 in its 1900 date system.
const UNIX_EPOCH_SERIAL_DAY: f64 = 25_569.0;

/// Encoder of the XLSX format: writes the cell stream that [`XlsxSink`] turns into a workbook.
pub struct XlsxEncoder;

impl Encoder for XlsxEncoder {
    fn begin(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let out = &mut outs[0];
        let id = patient.id.hyphenated().to_string();
        table::patient_row(&mut CellStream::new(out, Table::Patients), patient, &id);
        table::event_rows(&mut CellStream::new(out, Table::Events), patient, &id);
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// The two tables of the cell stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Patients = 0,
    Events = 1,
}

/// Tags of the cell stream. A row is its length in bytes (u32, little-endian, excluding the
/// length itself), the table byte, then cells: a tag byte and its value.
mod tag {
    pub(super) const TEXT: u8 = 1;
    pub(super) const INTEGER: u8 = 2;
    pub(super) const FLOAT: u8 = 3;
    pub(super) const TIME: u8 = 4;
    pub(super) const BOOLEAN: u8 = 5;
}

/// Writes rows of one table into the cell stream.
struct CellStream<'a> {
    out: &'a mut Vec<u8>,
    table: Table,
    row_start: Option<usize>,
}

impl<'a> CellStream<'a> {
    fn new(out: &'a mut Vec<u8>, table: Table) -> CellStream<'a> {
        CellStream { out, table, row_start: None }
    }

    /// Starts a row if none is open, leaving room for its length.
    fn cell(&mut self, tag: u8) {
        if self.row_start.is_none() {
            self.row_start = Some(self.out.len());
            self.out.extend_from_slice(&[0; 4]);
            self.out.push(self.table as u8);
        }
        self.out.push(tag);
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
        if let Some(start) = self.row_start.take() {
            let length = (self.out.len() - start - 4) as u32;
            self.out[start..start + 4].copy_from_slice(&length.to_le_bytes());
        }
    }
}

/// Settings of an [`XlsxSink`].
#[derive(Debug, Clone)]
pub struct XlsxSinkBuilder {
    max_rows_per_sheet: u32,
}

impl Default for XlsxSinkBuilder {
    fn default() -> XlsxSinkBuilder {
        XlsxSinkBuilder { max_rows_per_sheet: MAX_ROWS_PER_SHEET }
    }
}

impl XlsxSinkBuilder {
    /// Rows per sheet, header included, from 2 to [`MAX_ROWS_PER_SHEET`] (the default). Lower
    /// values make continuation sheets testable with few patients.
    pub fn max_rows_per_sheet(mut self, rows: u32) -> XlsxSinkBuilder {
        self.max_rows_per_sheet = rows.clamp(2, MAX_ROWS_PER_SHEET);
        self
    }

    /// Builds a sink that writes the workbook of `metadata`'s output to `destination`.
    ///
    /// # Errors
    /// Failure to create a worksheet's temporary file.
    pub fn build<'w>(self, destination: Box<dyn Sink + 'w>, metadata: &Metadata) -> io::Result<XlsxSink<'w>> {
        let mut workbook = Workbook::new();
        let (year, month, day) = casualty_core::time::civil_from_days(metadata.base_date.0.div_euclid(casualty_core::time::DAY));
        let seconds = metadata.base_date.0.rem_euclid(casualty_core::time::DAY);
        let created = ExcelDateTime::from_ymd(year as u16, month as u8, day as u8)
            .and_then(|date| date.and_hms((seconds / 3600) as u16, ((seconds / 60) % 60) as u8, (seconds % 60) as f64))
            .map_err(xlsx_error)?;
        let properties = DocProperties::new()
            .set_creation_datetime(&created)
            .set_title(format!("Casualties: {}", metadata.scenario_name))
            .set_author(metadata.generator);
        workbook.set_properties(&properties);

        let metadata = serde_json::to_value(metadata).map_err(io::Error::other)?;
        let mut sink = XlsxSink {
            destination,
            workbook,
            time_format: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            header_format: CellFormat::new().set_bold(),
            max_rows: self.max_rows_per_sheet,
            tables: [SheetSeries::new("patients", &PATIENT_COLUMNS), SheetSeries::new("events", &EVENT_COLUMNS)],
            metadata,
            pending: Vec::new(),
        };
        for table in 0..sink.tables.len() {
            sink.start_sheet(table)?;
        }
        Ok(sink)
    }
}

/// The sheets of one table: the full ones and the one being written.
struct SheetSeries {
    name: &'static str,
    columns: &'static [&'static str],
    sheets: Vec<Worksheet>,
    /// Next row of the last sheet.
    row: u32,
}

impl SheetSeries {
    fn new(name: &'static str, columns: &'static [&'static str]) -> SheetSeries {
        SheetSeries { name, columns, sheets: Vec::new(), row: 0 }
    }
}

/// Writes the XLSX cell stream as a workbook into a destination sink.
pub struct XlsxSink<'w> {
    destination: Box<dyn Sink + 'w>,
    workbook: Workbook,
    time_format: CellFormat,
    header_format: CellFormat,
    max_rows: u32,
    tables: [SheetSeries; 2],
    metadata: serde_json::Value,
    /// Bytes of a row that has not arrived whole.
    pending: Vec<u8>,
}

impl XlsxSink<'_> {
    /// Adds the next sheet of a table and writes its header row.
    fn start_sheet(&mut self, table: usize) -> io::Result<()> {
        let series = &mut self.tables[table];
        let mut sheet = self.workbook.new_worksheet_with_constant_memory().map_err(xlsx_error)?;
        let name = match series.sheets.len() {
            0 => series.name.to_string(),
            n => format!("{}_{}", series.name, n + 1),
        };
        sheet.set_name(name).map_err(xlsx_error)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        for (column, title) in series.columns.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, *title, &self.header_format).map_err(xlsx_error)?;
        }
        series.sheets.push(sheet);
        series.row = 1;
        Ok(())
    }

    /// Writes every whole row of `self.pending` and keeps the bytes of an incomplete last row.
    fn drain_rows(&mut self) -> io::Result<()> {
        let mut offset = 0;
        while self.pending.len() - offset >= 4 {
            let length = u32::from_le_bytes(self.pending[offset..offset + 4].try_into().expect("4 bytes")) as usize;
            if self.pending.len() - offset - 4 < length {
                break;
            }
            let row = std::mem::take(&mut self.pending);
            let result = self.write_row(&row[offset + 4..offset + 4 + length]);
            self.pending = row;
            result?;
            offset += 4 + length;
        }
        self.pending.drain(..offset);
        Ok(())
    }

    /// Writes one encoded row into the current sheet of its table.
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        let (&table, mut cells) = row.split_first().ok_or_else(|| corrupt("an empty row"))?;
        let table = usize::from(table);
        if table >= self.tables.len() {
            return Err(corrupt("an unknown table"));
        }
        if self.tables[table].row >= self.max_rows {
            self.start_sheet(table)?;
        }
        let series = &mut self.tables[table];
        let row_number = series.row;
        let sheet = series.sheets.last_mut().expect("every table has a sheet");
        let mut column: u16 = 0;
        while let Some((&tag, rest)) = cells.split_first() {
            let (value, rest) = match tag {
                tag::TEXT => {
                    let (length, rest) = take::<4>(rest)?;
                    let length = u32::from_le_bytes(length) as usize;
                    if rest.len() < length {
                        return Err(corrupt("a cut text cell"));
                    }
                    let text = std::str::from_utf8(&rest[..length]).map_err(|_| corrupt("a text cell that is not UTF-8"))?;
                    if !text.is_empty() {
                        sheet.write_string(row_number, column, fit_cell(text)).map_err(xlsx_error)?;
                    }
                    ((), &rest[length..])
                }
                tag::INTEGER => {
                    let (bytes, rest) = take::<8>(rest)?;
                    sheet.write_number(row_number, column, u64::from_le_bytes(bytes) as f64).map_err(xlsx_error)?;
                    ((), rest)
                }
                tag::FLOAT => {
                    let (bytes, rest) = take::<8>(rest)?;
                    sheet.write_number(row_number, column, f64::from_le_bytes(bytes)).map_err(xlsx_error)?;
                    ((), rest)
                }
                tag::TIME => {
                    let (bytes, rest) = take::<8>(rest)?;
                    let serial = i64::from_le_bytes(bytes) as f64 / casualty_core::time::DAY as f64 + UNIX_EPOCH_SERIAL_DAY;
                    sheet.write_number_with_format(row_number, column, serial, &self.time_format).map_err(xlsx_error)?;
                    ((), rest)
                }
                tag::BOOLEAN => {
                    let (bytes, rest) = take::<1>(rest)?;
                    sheet.write_boolean(row_number, column, bytes[0] != 0).map_err(xlsx_error)?;
                    ((), rest)
                }
                _ => return Err(corrupt("an unknown cell tag")),
            };
            let () = value;
            cells = rest;
            column += 1;
        }
        series.row += 1;
        Ok(())
    }

    /// Adds the `metadata` sheet: one row per top-level key, objects and arrays as JSON text.
    /// A value longer than a cell continues in the rows below, named `key (part 2)` and so on.
    fn metadata_sheet(&mut self) -> io::Result<Worksheet> {
        let mut sheet = self.workbook.new_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name("metadata").map_err(xlsx_error)?;
        sheet.write_string_with_format(0, 0, "key", &self.header_format).map_err(xlsx_error)?;
        sheet.write_string_with_format(0, 1, "value", &self.header_format).map_err(xlsx_error)?;
        let mut row = 1;
        let entries = self.metadata.as_object().cloned().unwrap_or_default();
        for (key, value) in entries {
            let text = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            let parts = split_cell(&text);
            for (index, part) in parts.iter().enumerate() {
                let label = if index == 0 { key.clone() } else { format!("{key} (part {})", index + 1) };
                sheet.write_string(row, 0, label).map_err(xlsx_error)?;
                if !part.is_empty() {
                    sheet.write_string(row, 1, *part).map_err(xlsx_error)?;
                }
                row += 1;
            }
        }
        Ok(sheet)
    }
}

impl Write for XlsxSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        self.drain_rows()?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for XlsxSink<'_> {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        if !self.pending.is_empty() {
            return Err(corrupt("a row cut at the end of the stream"));
        }
        let metadata = self.metadata_sheet()?;
        let tables = std::mem::replace(&mut self.tables, [SheetSeries::new("", &[]), SheetSeries::new("", &[])]);
        for series in tables {
            for sheet in series.sheets {
                self.workbook.push_worksheet(sheet);
            }
        }
        self.workbook.push_worksheet(metadata);
        let XlsxSink { mut workbook, mut destination, .. } = *self;
        workbook.save_to_writer(&mut destination).map_err(xlsx_error)?;
        destination.finish()
    }
}

/// Splits the first `N` bytes off a cell value.
fn take<const N: usize>(bytes: &[u8]) -> io::Result<([u8; N], &[u8])> {
    if bytes.len() < N {
        return Err(corrupt("a cut cell"));
    }
    let (head, rest) = bytes.split_at(N);
    Ok((head.try_into().expect("N bytes"), rest))
}

/// Cuts text to [`MAX_CELL_CHARS`] characters, the last one `…`.
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        None => text.into(),
        Some(_) => {
            let cut = text.char_indices().nth(MAX_CELL_CHARS - 1).map_or(text.len(), |(index, _)| index);
            format!("{}…", &text[..cut]).into()
        }
    }
}

/// Splits text into parts of at most [`MAX_CELL_CHARS`] characters.
fn split_cell(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        match rest.char_indices().nth(MAX_CELL_CHARS) {
            None => {
                parts.push(rest);
                return parts;
            }
            Some((index, _)) => {
                parts.push(&rest[..index]);
                rest = &rest[index..];
            }
        }
    }
}

fn xlsx_error(error: XlsxError) -> io::Error {
    io::Error::other(error)
}

/// Returns the error for a malformed cell stream. [`XlsxEncoder`] writes the stream in this
/// process, so such an error is a defect.
fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("XLSX cell stream contains {what}; this is a defect"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cell_cuts_long_text() {
        let long = "é".repeat(MAX_CELL_CHARS + 10);
        let fitted = fit_cell(&long);
        assert_eq!(fitted.chars().count(), MAX_CELL_CHARS);
        assert!(fitted.ends_with('…'));
        assert_eq!(fit_cell("short"), "short");
    }

    #[test]
    fn split_cell_keeps_every_character() {
        let long = "ß".repeat(MAX_CELL_CHARS * 2 + 5);
        let parts = split_cell(&long);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_CELL_CHARS));
        assert_eq!(parts.concat(), long);
    }
}
