//! SYS-3: spreadsheet files as bytes ↔ a [`Table`] of text cells. Pure functions over bytes
//! (no files, no network), so the web upload, the web download and the CLI share one reader
//! and one writer, and garbage input is a unit test away.
//!
//! Reading accepts:
//! - `.xlsx`: the first sheet; cells as Excel shows them (whole numbers without `.0`).
//! - `.csv`: UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), or GBK/GB18030,
//!   which is what Excel on a Chinese Windows writes for plain "CSV" — refusing it would make
//!   the most common file fail. UTF-16 with a BOM ("Unicode text") is read too. The
//!   delimiter is the one of `,` `;` or tab that the header row uses most.
//!
//! Row numbers are the ones the user sees in Excel: the header is row 1 when the file starts
//! with it, blank rows count, and a quoted CSV cell with line breaks is one row.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::str::FromStr;

use calamine::{DataRef, Reader, Xlsx};

use crate::{Error, Result};

/// Largest file accepted (a 50,000-row customer sheet is a few MiB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most data rows in one file: one import is one transaction, and it must stay short enough
/// not to hold the writers up for long.
pub const MAX_ROWS: usize = 50_000;
/// Most columns; real sheets have about twenty.
pub const MAX_COLUMNS: usize = 100;
/// Largest total an .xlsx may declare for its unpacked parts. A real 50,000-row sheet stays
/// well below it; a zip bomb is refused before anything is unpacked.
const MAX_XLSX_UNPACKED_BYTES: u128 = 512 * 1024 * 1024;
/// Most parts an .xlsx may have (a workbook has a dozen or two).
const MAX_XLSX_PARTS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The format a file name's extension names (`客户.XLSX` → xlsx).
    pub fn of_file_name(name: &str) -> Option<Format> {
        let (_, ext) = name.rsplit_once('.')?;
        ext.parse().ok()
    }

    /// What the bytes are: an .xlsx is a zip archive, anything else is taken for CSV text.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(format!("`{other}` is not a file format; use csv or xlsx")),
        }
    }
}

/// One row of cells as text, with its row number in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
}

impl Row {
    /// The trimmed cell in column `i`; `""` past the end of a short row.
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |c| c.trim())
    }
}

/// A header row and the data rows under it. Rows whose cells are all blank are left out
/// (their numbers are skipped, not reused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The row number of the header (1 unless the sheet starts lower).
    pub header_row: u32,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Columns of whole numbers: written as numbers into .xlsx (ignored when reading).
    pub numeric: Vec<usize>,
    /// The sheet's name when written as .xlsx.
    pub sheet: String,
}

fn file_error(message: impl Into<String>) -> Error {
    Error::invalid("file", message)
}

/// Reads `bytes` as `format` (`None`: decided from the bytes). Refuses, naming the reason,
/// a file that is too big, not a spreadsheet, not text in a known encoding, has no header
/// row, or has more than [`MAX_ROWS`] rows or [`MAX_COLUMNS`] columns. Never panics.
pub fn parse_table(bytes: &[u8], format: Option<Format>) -> Result<Table> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error(format!(
            "the file is larger than {} MiB; split it into smaller files",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let sniffed = Format::sniff(bytes);
    let format = format.unwrap_or(sniffed);
    if format == Format::Csv && sniffed == Format::Xlsx {
        return Err(file_error(
            "this is an Excel (.xlsx) file, not CSV; upload it as xlsx",
        ));
    }
    let table = match format {
        Format::Csv => parse_csv(bytes)?,
        Format::Xlsx => parse_xlsx(bytes)?,
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(file_error(
            "the file is empty: the first row must name the columns",
        ));
    }
    Ok(table)
}

/// Collects rows (by 0-based row index) up to the limits.
#[derive(Default)]
struct Rows {
    rows: BTreeMap<u32, Vec<String>>,
}

impl Rows {
    fn set(&mut self, row: u32, col: usize, value: String) -> Result<()> {
        if col >= MAX_COLUMNS {
            return Err(file_error(format!(
                "the file has more than {MAX_COLUMNS} columns"
            )));
        }
        if !self.rows.contains_key(&row) && self.rows.len() > MAX_ROWS {
            return Err(too_many_rows());
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = value;
        Ok(())
    }

    /// The first row is the header; blank rows are dropped. `number` maps a 0-based index to
    /// the row number shown to the user.
    fn into_table(self) -> Table {
        let mut rows = self
            .rows
            .into_iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
        let Some((header_index, headers)) = rows.next() else {
            return Table::default();
        };
        Table {
            header_row: header_index + 1,
            headers: headers.into_iter().map(|h| h.trim().to_owned()).collect(),
            rows: rows
                .map(|(i, cells)| Row {
                    number: i + 1,
                    cells,
                })
                .collect(),
            ..Table::default()
        }
    }
}

fn too_many_rows() -> Error {
    file_error(format!(
        "the file has more than {MAX_ROWS} rows; split it into smaller files"
    ))
}

fn parse_xlsx(bytes: &[u8]) -> Result<Table> {
    let not_xlsx = || file_error("this is not a readable Excel (.xlsx) file");
    // The central directory says how big every part unpacks to; refuse a bomb up front.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    if archive.len() > MAX_XLSX_PARTS {
        return Err(not_xlsx());
    }
    let mut unpacked: u128 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|_| not_xlsx())?;
        unpacked = unpacked.saturating_add(u128::from(part.size()));
    }
    if unpacked > MAX_XLSX_UNPACKED_BYTES {
        return Err(file_error("the Excel file unpacks to too much data"));
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    let Some(sheet) = book.sheet_names().into_iter().next() else {
        return Err(file_error("the Excel file has no sheet"));
    };
    let mut reader = book
        .worksheet_cells_reader(&sheet)
        .map_err(|_| not_xlsx())?;
    let mut rows = Rows::default();
    // Streams the cells, so a sheet past the limits is refused without being held whole.
    while let Some(cell) = reader.next_cell().map_err(|_| not_xlsx())? {
        let (row, col) = cell.get_position();
        let text = cell_text(cell.get_value());
        if !text.is_empty() {
            rows.set(row, col as usize, text)?;
        }
    }
    let table = rows.into_table();
    check_rows(&table)?;
    Ok(table)
}

/// A cell as Excel displays it in a plain cell: whole numbers without a decimal point (a
/// phone number or bed count typed as a number stays `13800001111`, not `1.38e10`).
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(d) => number_text(d.as_f64()),
        DataRef::Error(e) => e.to_string(),
    }
}

fn number_text(f: f64) -> String {
    // Below 2^53 every whole f64 is exact, so the cast loses nothing.
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn check_rows(table: &Table) -> Result<()> {
    if table.rows.len() > MAX_ROWS {
        return Err(too_many_rows());
    }
    Ok(())
}

/// The text of a CSV file: UTF-8 (BOM dropped), UTF-16 with a BOM, or GBK/GB18030.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| file_error("the file says it is UTF-8 but is not"));
    }
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or_else(|| file_error("the file says it is UTF-16 but is not"));
        }
    }
    if bytes.contains(&0) {
        return Err(file_error(
            "this is not a text file; save it as CSV (UTF-8) or Excel (.xlsx)",
        ));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| {
            file_error("the file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as .xlsx")
        })
}

/// The delimiter the first line uses most: `,` (default), `;` or tab.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .filter(|d| first.bytes().any(|b| b == *d))
        .unwrap_or(b',')
}

/// Undoes the guard the exporter puts before text that Excel would run as a formula.
fn unguard(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

fn parse_csv(bytes: &[u8]) -> Result<Table> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows = Rows::default();
    // The row number Excel shows is one more than the line breaks before the record's first
    // cell: those up to the end of the record, less the ones inside its quoted cells (Excel
    // keeps such a cell in one row) and the one ending it. The reader's own line count
    // cannot be used: it counts a record from before the blank lines it skips.
    let bytes = text.as_bytes();
    let (mut seen_to, mut breaks, mut breaks_inside) = (0usize, 0u64, 0u64);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(file_error(format!("the CSV is malformed near line {line}")));
            }
        }
        let end = usize::try_from(reader.position().byte())
            .unwrap_or(bytes.len())
            .min(bytes.len());
        let read = bytes.get(seen_to..end).unwrap_or_default();
        breaks += read.iter().filter(|b| **b == b'\n').count() as u64;
        seen_to = end.max(seen_to);
        breaks_inside += record
            .iter()
            .map(|c| c.bytes().filter(|b| *b == b'\n').count() as u64)
            .sum::<u64>();
        let ending = u64::from(read.last() == Some(&b'\n'));
        let index = breaks.saturating_sub(breaks_inside).saturating_sub(ending);
        let index = u32::try_from(index).map_err(|_| too_many_rows())?;
        for (col, cell) in record.iter().enumerate() {
            if !cell.trim().is_empty() {
                rows.set(index, col, unguard(cell))?;
            }
        }
    }
    let table = rows.into_table();
    check_rows(&table)?;
    Ok(table)
}

/// What a cell may start with that Excel would evaluate as a formula (CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Writes `table` as a file: CSV in UTF-8 with a BOM (so Excel on Windows shows Chinese
/// correctly), or .xlsx with a bold, frozen header row.
pub fn write_table(table: &Table, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Csv => write_csv(table),
        Format::Xlsx => write_xlsx(table),
    }
}

fn write_csv(table: &Table) -> Result<Vec<u8>> {
    let internal = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.headers).map_err(internal)?;
        for row in &table.rows {
            // Text a person typed must never run as a formula when the file is opened.
            let cells = row.cells.iter().enumerate().map(|(i, c)| {
                if !table.numeric.contains(&i) && c.starts_with(FORMULA_STARTS) {
                    Cow::Owned(format!("'{c}"))
                } else {
                    Cow::Borrowed(c.as_str())
                }
            });
            w.write_record(cells.map(|c| c.into_owned()))
                .map_err(internal)?;
        }
        w.flush()
            .map_err(|e| Error::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}

fn write_xlsx(table: &Table) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let internal = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx: {e}"));
    let col = |i: usize| u16::try_from(i).map_err(|_| Error::Internal("too many columns".into()));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name = if table.sheet.is_empty() {
        "Sheet1"
    } else {
        &table.sheet
    };
    sheet.set_name(name).map_err(internal)?;
    let bold = Style::new().set_bold();
    for (i, h) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col(i)?, h, &bold)
            .map_err(internal)?;
        let width = h.chars().count().clamp(8, 30) as f64 * 2.0;
        sheet.set_column_width(col(i)?, width).map_err(internal)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| too_many_rows())?;
        for (i, c) in row.cells.iter().enumerate() {
            if c.is_empty() {
                continue;
            }
            // Whole numbers go in as numbers so Excel can sum and sort them; i64 values of
            // these columns (beds, scores, ids) are far below 2^53, so f64 holds them exactly.
            match c.parse::<i64>() {
                Ok(n) if table.numeric.contains(&i) => {
                    sheet.write_number(r, col(i)?, n as f64).map_err(internal)?
                }
                _ => sheet.write_string(r, col(i)?, c).map_err(internal)?,
            };
        }
    }
    book.save_to_buffer().map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            header_row: 1,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| Row {
                    number: i as u32 + 2,
                    cells: r.iter().map(|c| (*c).to_owned()).collect(),
                })
                .collect(),
            numeric: vec![1],
            sheet: "客户".into(),
        }
    }

    fn file_message(e: Error) -> String {
        match e {
            Error::Invalid(f) => f.get("file").cloned().unwrap_or_default(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sys_3_csv_rows_are_numbered_as_excel_shows_them() {
        let text = "名称,床位数\n甲医院,800\n\n\"乙\n医院\",12\n丙医院,\n";
        let t = parse_table(text.as_bytes(), None).unwrap();
        assert_eq!(t.headers, ["名称", "床位数"]);
        let numbers: Vec<u32> = t.rows.iter().map(|r| r.number).collect();
        // Row 3 is blank; the cell with a line break is one row (4); 丙医院 is row 5.
        assert_eq!(numbers, [2, 4, 5]);
        assert_eq!(t.rows[1].cell(0), "乙\n医院");
        assert_eq!(t.rows[2].cell(1), "");
    }

    #[test]
    fn sys_3_csv_in_utf8_bom_gbk_and_utf16_reads_the_same() {
        let text = "名称,城市\r\n北京协和医院,北京市\r\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [text.as_bytes(), &bom, &gbk, &utf16] {
            let t = parse_table(bytes, Some(Format::Csv)).unwrap();
            assert_eq!(t.headers, ["名称", "城市"]);
            assert_eq!(t.rows[0].cells, ["北京协和医院", "北京市"]);
        }
    }

    #[test]
    fn sys_3_semicolon_and_tab_separated_files_are_read() {
        for text in ["名称;城市\n甲;乙\n", "名称\t城市\n甲\t乙\n"] {
            let t = parse_table(text.as_bytes(), None).unwrap();
            assert_eq!(t.rows[0].cells, ["甲", "乙"], "{text:?}");
        }
    }

    #[test]
    fn sys_3_garbage_is_a_clear_error_never_a_panic() {
        let cases: [(&[u8], Option<Format>, &str); 6] = [
            (
                b"\x00\x01\x02\xff\xfe garbage",
                Some(Format::Csv),
                "not a text file",
            ),
            (
                b"\xff\xff\x81\x30",
                Some(Format::Csv),
                "neither UTF-8 nor GBK",
            ),
            (b"plain text", Some(Format::Xlsx), "not a readable Excel"),
            (b"PK\x03\x04 truncated zip", None, "not a readable Excel"),
            (
                b"PK\x03\x04 truncated zip",
                Some(Format::Csv),
                "upload it as xlsx",
            ),
            (b"\n\n  \n", None, "empty"),
        ];
        for (bytes, format, expected) in cases {
            let message = file_message(parse_table(bytes, format).unwrap_err());
            assert!(message.contains(expected), "{bytes:?}: {message}");
        }
        // Every prefix of a real workbook, and bytes flipped in it: an error, not a panic.
        let xlsx = write_table(&table(&["名称"], &[&["甲医院"]]), Format::Xlsx).unwrap();
        for n in (0..xlsx.len()).step_by(31) {
            let _ = parse_table(&xlsx[..n], Some(Format::Xlsx));
            let mut flipped = xlsx.clone();
            flipped[n] ^= 0x5A;
            let _ = parse_table(&flipped, None);
        }
    }

    #[test]
    fn sys_3_limits_on_rows_columns_and_size() {
        let mut text = String::from("名称\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("医院{i}\n"));
        }
        let e = file_message(parse_table(text.as_bytes(), None).unwrap_err());
        assert!(e.contains("more than 50000 rows"), "{e}");
        let wide = vec!["x"; MAX_COLUMNS + 1].join(",");
        let e = file_message(parse_table(wide.as_bytes(), None).unwrap_err());
        assert!(e.contains("columns"), "{e}");
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        let e = file_message(parse_table(&big, None).unwrap_err());
        assert!(e.contains("larger than 20 MiB"), "{e}");
    }

    #[test]
    fn sys_3_xlsx_round_trip_keeps_text_numbers_and_chinese() {
        let t = table(
            &["名称", "床位数", "电话"],
            &[
                &["复旦大学附属中山医院", "2000", "021-64041990"],
                &["=HYPERLINK(\"x\")", "", "+86 13800001111"],
            ],
        );
        let bytes = write_table(&t, Format::Xlsx).unwrap();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        let back = parse_table(&bytes, None).unwrap();
        assert_eq!(back.headers, t.headers);
        assert_eq!(
            back.rows[0].cells,
            ["复旦大学附属中山医院", "2000", "021-64041990"]
        );
        assert_eq!(
            back.rows[1].cells,
            ["=HYPERLINK(\"x\")", "", "+86 13800001111"]
        );
        assert_eq!(back.rows[1].number, 3);
    }

    #[test]
    fn sys_3_csv_round_trip_guards_formulas_and_keeps_them_as_text() {
        let t = table(
            &["名称", "床位数", "电话"],
            &[&["=1+2", "12", "+86 138"], &["a,\"b\"", "", "-"]],
        );
        let bytes = write_table(&t, Format::Csv).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("'=1+2"), "{text}");
        let back = parse_table(&bytes, Some(Format::Csv)).unwrap();
        assert_eq!(back.rows[0].cells, ["=1+2", "12", "+86 138"]);
        assert_eq!(back.rows[1].cells, ["a,\"b\"", "", "-"]);
    }

    #[test]
    fn formats_by_name_and_content() {
        assert_eq!(Format::of_file_name("客户.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file_name("a.b.csv"), Some(Format::Csv));
        assert_eq!(Format::of_file_name("noext"), None);
        assert!("xls".parse::<Format>().is_err());
    }
}
