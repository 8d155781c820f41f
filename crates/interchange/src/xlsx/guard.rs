//! Checks a workbook before anything is unpacked or laid out in memory, so that a small file
//! cannot make the server allocate without bound.
//!
//! * `.xlsx` and `.ods` are zip files: the sizes their directory declares must add up to at most
//!   [`WorkbookLimits::max_unpacked_bytes`] (zip ≥ 9.8 refuses to unpack an entry past its
//!   declared size, so the declaration binds), and no XML part may hold a run of text longer
//!   than [`MAX_TEXT_RUN`] (an Excel cell holds at most 32,767 characters): the parsers buffer a
//!   text node whole. The shared-string table may not hold more strings than
//!   [`WorkbookLimits::max_cells`].
//! * `.xls` and `.ods` are laid out by calamine as dense grids (rows × columns of every sheet's
//!   used area): the area they would take is computed from the cell records first and must stay
//!   within [`WorkbookLimits::max_grid_cells`].
//! * `.xlsx` sheets are streamed cell by cell (see `read`), counting cells and rows as they go.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use crate::ImportError;

/// The longest run of text (or markup) between two `<` in a workbook's XML, in bytes: an Excel
/// cell of 32,767 characters, each escaped as `&amp;`, stays below it.
pub const MAX_TEXT_RUN: usize = 256 * 1024;
/// Files a workbook's zip may hold.
const MAX_ENTRIES: usize = 10_000;
/// Columns a row is read with; cells further right are not imported.
pub const MAX_COLUMNS: usize = 1024;

/// Bounds on reading a workbook, checked before and while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkbookLimits {
    /// Rows after the header rows, all sheets together.
    pub max_rows: usize,
    /// Non-empty cells read, all sheets together (and strings in an `.xlsx`'s shared table).
    pub max_cells: usize,
    /// The used area (rows × columns) of every sheet of an `.xls` or `.ods`, together: these
    /// formats are laid out whole in memory, empty cells included.
    pub max_grid_cells: usize,
    /// What an `.xlsx` or `.ods` (a zip) may unpack to, in bytes.
    pub max_unpacked_bytes: u64,
}

impl WorkbookLimits {
    /// Limits for files of at most `max_rows` rows: 20 cells a row, a grid of 2 million cells,
    /// 256 MiB unpacked (a 200,000-row workbook of 12 columns unpacks to about 160 MB).
    pub fn for_rows(max_rows: usize) -> Self {
        WorkbookLimits {
            max_rows,
            max_cells: max_rows.saturating_mul(20).max(100_000),
            max_grid_cells: 2_000_000,
            max_unpacked_bytes: 256 * 1024 * 1024,
        }
    }
}

impl Default for WorkbookLimits {
    fn default() -> Self {
        WorkbookLimits::for_rows(200_000)
    }
}

pub(crate) fn too_large(why: String) -> ImportError {
    ImportError::TooLarge(why)
}

fn unreadable(e: impl std::fmt::Display) -> ImportError {
    ImportError::Spreadsheet(e.to_string())
}

/// What a zip holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZipKind {
    Xlsx,
    Xlsb,
    Ods,
    Other,
}

/// Checks a zip container (`.xlsx`, `.ods`) as described in the module's documentation, and
/// tells which kind of workbook it is.
pub(crate) fn check_zip(bytes: &[u8], limits: &WorkbookLimits) -> Result<ZipKind, ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > MAX_ENTRIES {
        return Err(too_large(format!("it holds {} files", zip.len())));
    }
    let mut total: u64 = 0;
    let mut large = Vec::new();
    let mut kind = ZipKind::Other;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(unreadable)?;
        let name = entry.name().map_err(unreadable)?.into_owned();
        kind = match (kind, name.as_str()) {
            (ZipKind::Other, "xl/workbook.xml") => ZipKind::Xlsx,
            (ZipKind::Other, "xl/workbook.bin") => ZipKind::Xlsb,
            (ZipKind::Other, "content.xml") => ZipKind::Ods,
            (k, _) => k,
        };
        total = total.saturating_add(entry.size());
        // Parts smaller than the longest run cannot hold one; an .ods's content part is always
        // read, for the grid it lays out.
        if entry.size() > MAX_TEXT_RUN as u64 || name == "content.xml" {
            large.push((i, name));
        }
    }
    if total > limits.max_unpacked_bytes {
        return Err(too_large(format!(
            "unpacked it takes {} MB, more than the {} MB a workbook may",
            total.div_ceil(1 << 20),
            limits.max_unpacked_bytes >> 20
        )));
    }
    for (i, name) in large {
        let entry = zip.by_index(i).map_err(unreadable)?;
        let strings = name.ends_with("sharedStrings.xml");
        let count = scan_xml(entry, strings)?;
        if strings && count > limits.max_cells {
            return Err(too_large(format!(
                "its shared-string table holds more than {} strings",
                limits.max_cells
            )));
        }
        if name == "content.xml" {
            let entry = zip.by_index(i).map_err(unreadable)?;
            check_ods_grid(entry, limits)?;
        }
    }
    Ok(kind)
}

/// Reads an XML part in chunks, refusing a run longer than [`MAX_TEXT_RUN`] between two `<`;
/// with `count_si`, returns how many `<si>` elements (shared strings) it holds.
fn scan_xml(mut part: impl Read, count_si: bool) -> Result<usize, ImportError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut run = 0usize;
    // 0: text; 1: after '<'; 2: after "<s"; 3: after "<si".
    let mut state = 0u8;
    let mut strings = 0usize;
    loop {
        let n = part.read(&mut buf).map_err(unreadable)?;
        if n == 0 {
            return Ok(strings);
        }
        for &b in &buf[..n] {
            if b == b'<' {
                run = 0;
                state = 1;
                continue;
            }
            run += 1;
            if run > MAX_TEXT_RUN {
                return Err(too_large(
                    "a cell holds more text than the 32,767 characters Excel allows".into(),
                ));
            }
            if count_si {
                state = match (state, b) {
                    (1, b's') => 2,
                    (2, b'i') => 3,
                    (3, b'>' | b' ' | b'\t' | b'\r' | b'\n') => {
                        strings += 1;
                        0
                    }
                    _ => 0,
                };
            }
        }
    }
}

fn repeat_attr(e: &BytesStart<'_>, name: &str) -> Result<usize, ImportError> {
    for a in e.attributes().flatten() {
        if a.key.as_ref() == name {
            let v = a.value.trim();
            return v.parse::<usize>().map_err(|_| unreadable(format!("bad repeat count {v:?}")));
        }
    }
    Ok(1)
}

fn has_value(e: &BytesStart<'_>) -> bool {
    e.attributes().flatten().any(|a| a.key.as_ref() == "office:value-type")
}

/// The grid an `.ods` content part lays out (calamine expands repeated rows and columns): per
/// table, the rows from the first to the last with content times its widest row, and every
/// row's cells up to its last non-empty one. A table inside a cell counts towards the table
/// around it.
///
/// And the text it lays out: calamine copies a cell's text into every column and row it is
/// repeated on, and expands `<text:s text:c="n"/>` to n spaces. A cell may hold at most
/// [`MAX_TEXT_RUN`] bytes of text, and the copies together at most
/// [`WorkbookLimits::max_unpacked_bytes`].
fn check_ods_grid(part: impl Read, limits: &WorkbookLimits) -> Result<(), ImportError> {
    // calamine caps a row at 16,384 columns and a table at 1,048,576 rows.
    const ODS_MAX_COLUMNS: usize = 16_384;
    const ODS_MAX_ROWS: usize = 1_048_576;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    let mut grid: usize = 0;
    let mut pushed: usize = 0;
    // Tables open; the counts below are the outermost one's.
    let mut depth = 0usize;
    // The table being read: rows so far, rows up to the last with content, widest row.
    let (mut rows, mut used_rows, mut width) = (0usize, 0usize, 0usize);
    let mut first_used: Option<usize> = None;
    // The row being read: its repeat count, columns so far, columns up to the last value.
    let (mut row_repeat, mut col, mut used_cols) = (1usize, 0usize, 0usize);
    let mut in_row = false;
    // Text: of the cell being read (its markup included, for attribute values and formulas)
    // and its repeat count; of the row so far; laid out in all.
    let (mut cell_text, mut cell_repeat, mut in_cell) = (0usize, 0usize, false);
    let (mut row_text, mut laid_text) = (0usize, 0usize);
    loop {
        let event = reader.read_event_into(&mut buf).map_err(unreadable)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.name().as_ref() {
                "table:table" => {
                    if depth == 0 {
                        (rows, used_rows, width, first_used) = (0, 0, 0, None);
                    }
                    if !empty {
                        depth += 1;
                    }
                }
                "table:table-row" => {
                    row_repeat = repeat_attr(e, "table:number-rows-repeated")?.min(ODS_MAX_ROWS);
                    (col, used_cols, row_text) = (0, 0, 0);
                    in_row = !empty;
                    if empty {
                        rows = rows.saturating_add(row_repeat).min(ODS_MAX_ROWS);
                    }
                }
                "table:table-cell" | "table:covered-table-cell" if in_row => {
                    let n = repeat_attr(e, "table:number-columns-repeated")?;
                    col = col.saturating_add(n).min(ODS_MAX_COLUMNS);
                    let valued = has_value(e)
                        || e.attributes().flatten().any(|a| a.key.as_ref() == "table:formula");
                    if valued || !empty {
                        used_cols = col;
                    }
                    cell_repeat = n.min(ODS_MAX_COLUMNS);
                    cell_text = if valued { e.len() } else { 0 };
                    in_cell = !empty;
                    if empty {
                        row_text = row_text.saturating_add(cell_text.saturating_mul(cell_repeat));
                    }
                }
                "text:s" if in_cell => {
                    cell_text = cell_text.saturating_add(repeat_attr(e, "text:c")?)
                }
                "text:p" | "text:tab" | "text:line-break" if in_cell => {
                    cell_text = cell_text.saturating_add(1)
                }
                _ => {}
            }
        }
        match &event {
            Event::Text(t) if in_cell => cell_text = cell_text.saturating_add(t.len()),
            Event::GeneralRef(_) if in_cell => cell_text = cell_text.saturating_add(4),
            Event::End(e)
                if matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell") =>
            {
                if in_cell {
                    row_text = row_text.saturating_add(cell_text.saturating_mul(cell_repeat));
                }
                in_cell = false;
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                in_row = false;
                in_cell = false;
                pushed = pushed.saturating_add(used_cols);
                // calamine reads a row's cells before it repeats them, even zero times.
                laid_text = laid_text.saturating_add(row_text.saturating_mul(row_repeat.max(1)));
                if used_cols > 0 {
                    first_used.get_or_insert(rows);
                    rows = rows.saturating_add(row_repeat).min(ODS_MAX_ROWS);
                    used_rows = rows;
                    width = width.max(used_cols);
                } else {
                    rows = rows.saturating_add(row_repeat).min(ODS_MAX_ROWS);
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let area = used_rows
                        .saturating_sub(first_used.unwrap_or(used_rows))
                        .saturating_mul(width);
                    grid = grid.saturating_add(area);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if in_cell && cell_text > MAX_TEXT_RUN {
            return Err(too_large(
                "a cell holds more text than the 32,767 characters Excel allows".into(),
            ));
        }
        if grid > limits.max_grid_cells || pushed > limits.max_grid_cells {
            return Err(too_large(format!(
                "its sheets span more than {} cells (rows × columns, empty ones included); save it as .xlsx or CSV",
                limits.max_grid_cells
            )));
        }
        buf.clear();
    }
    // Counted to the end (nothing is laid out here), so that a grid too large is reported as such.
    if laid_text > limits.max_unpacked_bytes.try_into().unwrap_or(usize::MAX) {
        return Err(too_large(format!(
            "its repeated cells hold more than the {} MB of text a workbook may",
            limits.max_unpacked_bytes >> 20
        )));
    }
    Ok(())
}

/// The BIFF records of an `.xls` that place cells: (row, first column, last column).
fn cell_span(kind: u16, data: &[u8]) -> Option<(u16, u16, u16)> {
    let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    match kind {
        // FORMULA, NUMBER, LABEL, BOOLERR, RK, LABELSST, BLANK, RSTRING, and BIFF2-4 cells.
        0x0006
        | 0x0203
        | 0x0204
        | 0x0205
        | 0x027E
        | 0x00FD
        | 0x0201
        | 0x00D6
        | 0x0001..=0x0005
        | 0x0206
        | 0x0406 => {
            let (row, col) = (u16_at(0)?, u16_at(2)?);
            Some((row, col, col))
        }
        // MULRK, MULBLANK: row, first column, …, last column.
        0x00BD | 0x00BE => {
            let (row, first) = (u16_at(0)?, u16_at(2)?);
            let last = u16_at(data.len().checked_sub(2)?)?;
            Some((row, first, last.max(first)))
        }
        _ => None,
    }
}

/// Checks an `.xls` (an OLE container with a BIFF workbook stream): every sheet's used area
/// together stays within [`WorkbookLimits::max_grid_cells`], and its cells within
/// [`WorkbookLimits::max_cells`].
pub(crate) fn check_xls(bytes: &[u8], limits: &WorkbookLimits) -> Result<(), ImportError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(unreadable)?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| file.is_stream(n))
        .ok_or_else(|| unreadable("no workbook stream"))?;
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(unreadable)?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(unreadable)?;
    let mut grid: usize = 0;
    let mut cells: usize = 0;
    // The used area of the substream being read: rows and columns, min and max.
    let mut area: Option<(u16, u16, u16, u16)> = None;
    let close = |area: &mut Option<(u16, u16, u16, u16)>, grid: &mut usize| {
        if let Some((r0, r1, c0, c1)) = area.take() {
            let a = (usize::from(r1 - r0) + 1).saturating_mul(usize::from(c1 - c0) + 1);
            *grid = grid.saturating_add(a);
        }
    };
    let mut pos = 0;
    while let Some(head) = stream.get(pos..pos + 4) {
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(pos + 4..pos + 4 + len).unwrap_or(&[]);
        pos += 4 + len;
        match kind {
            // BOF and EOF: a sheet's substream begins or ends.
            0x0809 | 0x0409 | 0x0209 | 0x0009 | 0x000A => close(&mut area, &mut grid),
            _ => {
                if let Some((row, c0, c1)) = cell_span(kind, data) {
                    cells = cells.saturating_add(usize::from(c1 - c0) + 1);
                    area = Some(match area {
                        None => (row, row, c0, c1),
                        Some((r0, r1, a0, a1)) => {
                            (r0.min(row), r1.max(row), a0.min(c0), a1.max(c1))
                        }
                    });
                }
            }
        }
        if cells > limits.max_cells {
            return Err(too_large(format!("it holds more than {} cells", limits.max_cells)));
        }
    }
    close(&mut area, &mut grid);
    if grid > limits.max_grid_cells {
        return Err(too_large(format!(
            "its sheets span {grid} cells (rows × columns, empty ones included), more than {}; save it as .xlsx or CSV",
            limits.max_grid_cells
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_shared_strings_are_counted() {
        let xml = b"<sst><si><t>a</t></si><si ><t>b</t></si><sig/></sst>";
        assert_eq!(scan_xml(&xml[..], true).unwrap(), 2);
        let long = format!("<t>{}</t>", "x".repeat(MAX_TEXT_RUN + 1));
        assert!(matches!(scan_xml(long.as_bytes(), false), Err(ImportError::TooLarge(_))));
        let ok = format!("<t>{}</t>", "x".repeat(MAX_TEXT_RUN - 10));
        assert!(scan_xml(ok.as_bytes(), false).is_ok());
    }

    #[test]
    fn ods_grids_count_repeats() {
        let limits = WorkbookLimits { max_grid_cells: 1000, ..WorkbookLimits::default() };
        let table = |rows: &str| {
            format!("<office:document-content><table:table>{rows}</table:table></office:document-content>")
        };
        let cell =
            r#"<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>"#;
        // Two rows of ten cells, then a million empty rows (as LibreOffice writes them).
        let fine = table(&format!(
            r#"<table:table-row>{c}</table:table-row><table:table-row>{c}</table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#,
            c = cell.repeat(10)
        ));
        assert!(check_ods_grid(fine.as_bytes(), &limits).is_ok());
        // One row with content, repeated a million times.
        let bomb = table(&format!(
            r#"<table:table-row table:number-rows-repeated="1000000">{cell}</table:table-row>"#
        ));
        assert!(matches!(check_ods_grid(bomb.as_bytes(), &limits), Err(ImportError::TooLarge(_))));
        // Content at row 1 and row 1,000,000.
        let far = table(&format!(
            r#"<table:table-row>{cell}</table:table-row><table:table-row table:number-rows-repeated="999998"/><table:table-row>{cell}</table:table-row>"#
        ));
        assert!(matches!(check_ods_grid(far.as_bytes(), &limits), Err(ImportError::TooLarge(_))));
        // One cell repeated across 16,384 columns.
        let wide = table(
            r#"<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="float"/></table:table-row>"#,
        );
        assert!(matches!(check_ods_grid(wide.as_bytes(), &limits), Err(ImportError::TooLarge(_))));
    }

    #[test]
    fn ods_text_is_counted_as_laid_out() {
        let limits = WorkbookLimits { max_unpacked_bytes: 1 << 20, ..WorkbookLimits::default() };
        let table = |rows: &str| {
            format!("<office:document-content><table:table>{rows}</table:table></office:document-content>")
        };
        let too_large = |xml: &str| {
            matches!(check_ods_grid(xml.as_bytes(), &limits), Err(ImportError::TooLarge(_)))
        };
        // A few hundred bytes that calamine expands to 100 million spaces.
        let spaces = table(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="99999999"/>b</text:p></table:table-cell></table:table-row>"#,
        );
        assert!(too_large(&spaces));
        // A cell of 10 KB copied into 1,000 columns of 1,000 rows: 10 GB, in a million cells.
        let copies = table(&format!(
            r#"<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="1000" office:value-type="string"><text:p>{}</text:p></table:table-cell></table:table-row>"#,
            "x".repeat(10_000)
        ));
        assert!(too_large(&copies));
        // A table inside a cell does not start the count of the table around it again.
        let small_grid = WorkbookLimits { max_grid_cells: 1000, ..WorkbookLimits::default() };
        let nested = table(
            r#"<table:table-row table:number-rows-repeated="2000"><table:table-cell office:value-type="float" office:value="1"/></table:table-row><table:table-row><table:table-cell><table:table/></table:table-cell></table:table-row>"#,
        );
        assert!(matches!(
            check_ods_grid(nested.as_bytes(), &small_grid),
            Err(ImportError::TooLarge(_))
        ));
        // A row repeated zero times is still read.
        let zero = table(&format!(
            r#"<table:table-row table:number-rows-repeated="0"><table:table-cell table:number-columns-repeated="1000" office:value-type="string"><text:p>{}</text:p></table:table-cell></table:table-row>"#,
            "x".repeat(2000)
        ));
        assert!(too_large(&zero));
        // Ordinary text, spaces and empty repeated cells are fine.
        let fine = table(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="3"/>b</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1000"/></table:table-row>"#,
        );
        assert!(check_ods_grid(fine.as_bytes(), &limits).is_ok());
    }

    #[test]
    fn xls_cell_records_give_spans() {
        assert_eq!(cell_span(0x00FD, &[5, 0, 3, 0, 0, 0, 1, 0, 0, 0]), Some((5, 3, 3)));
        assert_eq!(cell_span(0x00BE, &[1, 0, 2, 0, 0, 0, 0, 0, 9, 0]), Some((1, 2, 9)));
        assert_eq!(cell_span(0x00FD, &[5]), None);
        assert_eq!(cell_span(0x0085, &[0; 10]), None);
    }
}
