//! Excel import with `calamine`: `.xlsx` (streamed cell by cell), `.xls` and `.ods`, through
//! the same header dialects and [`ColumnMapping`] as CSV, every sheet that has a header row.
//! Every file is checked first (see `guard`) and read within [`WorkbookLimits`].

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, DataRef, Reader};

use super::guard::{check_xls, check_zip, too_large, WorkbookLimits, ZipKind, MAX_COLUMNS};
use crate::table::RowMapper;
use crate::{ColumnMapping, Dialect, ImportError, RowError, RowResult};

/// One sheet of a workbook, analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetAnalysis {
    pub name: String,
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    /// Rows after the header that hold something.
    pub rows: usize,
    /// The sheet's first used column: cells are placed from it.
    first_col: u32,
}

/// The sheets that have a header row (drop some before [`read_rows`] to skip them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlsxAnalysis {
    pub sheets: Vec<SheetAnalysis>,
}

type Bytes<'a> = Cursor<&'a [u8]>;

/// An opened workbook: `.xlsx` is streamed; `.xls` and `.ods` are laid out by calamine (after
/// `guard` checked the size of what it lays out).
enum Book<'a> {
    Xlsx(calamine::Xlsx<Bytes<'a>>),
    Laid(calamine::Sheets<Bytes<'a>>),
}

fn unreadable(e: impl std::fmt::Display) -> ImportError {
    ImportError::Spreadsheet(e.to_string())
}

fn open<'a>(bytes: &'a [u8], limits: &WorkbookLimits) -> Result<Book<'a>, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(b"PK") {
        return match check_zip(bytes, limits)? {
            ZipKind::Xlsx => {
                calamine::Xlsx::new(Cursor::new(bytes)).map(Book::Xlsx).map_err(unreadable)
            }
            ZipKind::Ods => calamine::Ods::new(Cursor::new(bytes))
                .map(|b| Book::Laid(calamine::Sheets::Ods(b)))
                .map_err(unreadable),
            ZipKind::Xlsb => Err(unreadable("binary workbooks (.xlsb) are not read")),
            ZipKind::Other => Err(unreadable("this zip file is not a workbook")),
        };
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        check_xls(bytes, limits)?;
        return calamine::Xls::new(Cursor::new(bytes))
            .map(|b| Book::Laid(calamine::Sheets::Xls(b)))
            .map_err(unreadable);
    }
    Err(unreadable("this is not an Excel or OpenDocument file"))
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => float_text(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            dt.as_datetime().map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
        }
        Data::Error(_) | Data::Empty => String::new(),
    }
}

fn ref_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::SharedString(s) => s.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Float(f) => float_text(*f),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => {
            dt.as_datetime().map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
        }
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// What is left of the limits while a workbook is read.
struct Budget {
    cells: usize,
}

impl Budget {
    fn new(limits: &WorkbookLimits) -> Self {
        Budget { cells: limits.max_cells }
    }

    fn cell(&mut self, max: usize) -> Result<(), ImportError> {
        self.cells = self
            .cells
            .checked_sub(1)
            .ok_or_else(|| too_large(format!("it holds more than {max} cells")))?;
        Ok(())
    }
}

/// A row's non-empty cells: (column, text).
type RawRow = Vec<(u32, String)>;

/// Calls `on_row(row index, cells)` for each row of a sheet that holds something, in the
/// sheet's order.
fn each_row(
    book: &mut Book<'_>,
    sheet: &str,
    limits: &WorkbookLimits,
    budget: &mut Budget,
    mut on_row: impl FnMut(u32, &RawRow) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut cells: RawRow = Vec::new();
    match book {
        Book::Xlsx(book) => {
            let mut reader = match book.worksheet_cells_reader(sheet) {
                Ok(r) => r,
                // A chart sheet or the like: no rows.
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
                Err(e) => return Err(unreadable(e)),
            };
            let mut current: Option<u32> = None;
            while let Some(cell) = reader.next_cell().map_err(unreadable)? {
                let text = ref_text(cell.get_value());
                if text.is_empty() {
                    continue;
                }
                budget.cell(limits.max_cells)?;
                let (row, col) = cell.get_position();
                if current != Some(row) {
                    if let Some(done) = current {
                        on_row(done, &cells)?;
                    }
                    cells.clear();
                    current = Some(row);
                }
                cells.push((col, text));
            }
            if let Some(done) = current {
                on_row(done, &cells)?;
            }
        }
        Book::Laid(book) => {
            let range = book.worksheet_range(sheet).map_err(unreadable)?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            for (i, row) in range.rows().enumerate() {
                cells.clear();
                for (j, c) in row.iter().enumerate() {
                    let text = cell_text(c);
                    if !text.is_empty() {
                        budget.cell(limits.max_cells)?;
                        cells.push((col0.saturating_add(j as u32), text));
                    }
                }
                if !cells.is_empty() {
                    on_row(row0.saturating_add(i as u32), &cells)?;
                }
            }
        }
    }
    Ok(())
}

/// A row's cells from the sheet's first used column, at most [`MAX_COLUMNS`] of them.
fn place(cells: &RawRow, first_col: u32) -> Vec<String> {
    let width = cells
        .iter()
        .map(|(c, _)| (c.saturating_sub(first_col) as usize) + 1)
        .max()
        .unwrap_or(0)
        .min(MAX_COLUMNS);
    let mut out = vec![String::new(); width];
    for (c, text) in cells {
        if let Some(slot) = out.get_mut(c.saturating_sub(first_col) as usize) {
            slot.clone_from(text);
        }
    }
    out
}

fn sheet_names(book: &Book<'_>) -> Vec<String> {
    match book {
        Book::Xlsx(b) => b.sheet_names(),
        Book::Laid(b) => b.sheet_names(),
    }
}

/// Runs `read`, taking a panic in it for an unreadable workbook. calamine's arithmetic on cell
/// references is unchecked: one past a sheet's edge (`<row r="99999999999999999999">`, a
/// dimension from B2 to A1) overflows, which panics where overflow is checked (debug builds,
/// and calamine in release builds: see the workspace's `Cargo.toml`).
fn contained<T>(read: impl FnOnce() -> Result<T, ImportError>) -> Result<T, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(unreadable("it is malformed (a cell reference is out of range, or the like)"))
    })
}

/// Reads every sheet's header row and suggests a mapping for each, counting rows and cells
/// within `limits`.
pub fn analyse(
    bytes: &[u8],
    dialect: Option<Dialect>,
    limits: &WorkbookLimits,
) -> Result<XlsxAnalysis, ImportError> {
    contained(|| analyse_book(bytes, dialect, limits))
}

fn analyse_book(
    bytes: &[u8],
    dialect: Option<Dialect>,
    limits: &WorkbookLimits,
) -> Result<XlsxAnalysis, ImportError> {
    let mut book = open(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let mut sheets = Vec::new();
    let mut total_rows = 0usize;
    for name in sheet_names(&book) {
        let mut header: Option<(u32, RawRow)> = None;
        let mut first_col = u32::MAX;
        let mut rows = 0usize;
        each_row(&mut book, &name, limits, &mut budget, |row, cells| {
            first_col = cells.iter().map(|(c, _)| *c).fold(first_col, u32::min);
            match &header {
                None => header = Some((row, cells.clone())),
                Some(_) => {
                    rows += 1;
                    if total_rows + rows > limits.max_rows {
                        return Err(too_large(format!(
                            "it has more than {} rows",
                            limits.max_rows
                        )));
                    }
                }
            }
            Ok(())
        })?;
        let Some((_, header)) = header else { continue };
        total_rows += rows;
        let headers: Vec<String> =
            place(&header, first_col).iter().map(|h| h.trim().to_string()).collect();
        if headers.iter().all(String::is_empty) {
            continue;
        }
        let (dialect, mapping) = ColumnMapping::suggest(&headers, dialect);
        sheets.push(SheetAnalysis { name, dialect, headers, mapping, rows, first_col });
    }
    if sheets.is_empty() {
        return Err(ImportError::NoSheet);
    }
    Ok(XlsxAnalysis { sheets })
}

/// Reads the rows of the analysed sheets. A contact whose UID appeared on an earlier sheet (one
/// sheet per group) is read once, with the groups of every sheet it is on. With several sheets,
/// row errors name the sheet.
pub fn read_rows(
    bytes: &[u8],
    analysis: &XlsxAnalysis,
    limits: &WorkbookLimits,
) -> Result<Vec<RowResult>, ImportError> {
    contained(|| read_book(bytes, analysis, limits))
}

fn read_book(
    bytes: &[u8],
    analysis: &XlsxAnalysis,
    limits: &WorkbookLimits,
) -> Result<Vec<RowResult>, ImportError> {
    let mut book = open(bytes, limits)?;
    let mut budget = Budget::new(limits);
    let mut out: Vec<RowResult> = Vec::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    let many = analysis.sheets.len() > 1;
    let mut rows = 0usize;
    for sheet in &analysis.sheets {
        let mapper = RowMapper::new(sheet.dialect, &sheet.headers, &sheet.mapping, false)?;
        let mut seen_header = false;
        each_row(&mut book, &sheet.name, limits, &mut budget, |row, cells| {
            if !seen_header {
                seen_header = true;
                return Ok(());
            }
            rows += 1;
            if rows > limits.max_rows {
                return Err(too_large(format!("it has more than {} rows", limits.max_rows)));
            }
            let line = row as usize + 1;
            let cells = place(cells, sheet.first_col);
            let Some(result) = mapper.map(line, cells.iter().map(String::as_str)) else {
                return Ok(());
            };
            match result {
                Ok(row) => {
                    let first =
                        row.uid.clone().filter(|u| !u.is_empty()).and_then(|u| {
                            match by_uid.get(&u) {
                                Some(first) => Some(*first),
                                None => {
                                    by_uid.insert(u, out.len());
                                    None
                                }
                            }
                        });
                    match first {
                        Some(first) => {
                            if let Some(Ok(earlier)) = out.get_mut(first) {
                                for g in row.groups {
                                    if !earlier.groups.contains(&g) {
                                        earlier.groups.push(g);
                                    }
                                }
                            }
                        }
                        None => out.push(Ok(row)),
                    }
                }
                Err(e) if many => out.push(Err(RowError {
                    line,
                    reason: format!("sheet “{}”: {}", sheet.name, e.reason),
                })),
                Err(e) => out.push(Err(e)),
            }
            Ok(())
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_foreign_bytes_are_errors() {
        let l = WorkbookLimits::default();
        assert!(matches!(analyse(b"", None, &l), Err(ImportError::Empty)));
        assert!(matches!(
            analyse(b"PK\x03\x04 truncated", None, &l),
            Err(ImportError::Spreadsheet(_))
        ));
        assert!(matches!(
            analyse(b"Name,Phone\nA,1\n", None, &l),
            Err(ImportError::Spreadsheet(_))
        ));
        assert!(matches!(
            analyse(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], None, &l),
            Err(ImportError::Spreadsheet(_))
        ));
    }

    #[test]
    fn rows_are_placed_from_the_first_column() {
        let row = vec![(3, "c".to_string()), (5, "e".to_string())];
        assert_eq!(place(&row, 2), ["", "c", "", "e"]);
        let wide = vec![(0, "a".to_string()), (100_000, "far".to_string())];
        assert_eq!(place(&wide, 0).len(), MAX_COLUMNS);
    }
}
