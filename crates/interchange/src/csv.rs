//! CSV import and export.
//!
//! Import: [`analyse`] detects the encoding (BOM, then UTF-8, then `chardetng`'s guess: GBK,
//! Big5, windows-1252, …), the delimiter (comma, semicolon, tab) and the [`Dialect`] of the
//! header row, and suggests a [`ColumnMapping`]; [`read_rows`] then reads the rows lazily, one
//! [`RowResult`] each. Any of these can be overridden with [`CsvOptions`] or by editing the
//! analysis.
//!
//! Export: [`CsvWriter`] writes UTF-8 with a BOM, one contact per row, in a [`Layout`], and
//! guards every cell against formula injection (see [`crate::guard_formula`]); import undoes the guard.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Write};

use encoding_rs::Encoding;

pub use crate::table::Record;
use crate::table::{export_row, header_row, RowMapper};
use crate::{
    guard_formula, ColumnMapping, Columns, Dialect, ExportError, ImportError, Layout, RowError,
    RowResult,
};

/// Choices that override detection.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub dialect: Option<Dialect>,
}

/// What [`analyse`] found; edit `mapping` (or the rest) before [`read_rows`] to change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvAnalysis {
    pub encoding: &'static Encoding,
    pub delimiter: u8,
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
}

/// Reads the header row and detects how the file is written.
pub fn analyse(bytes: &[u8], options: &CsvOptions) -> Result<CsvAnalysis, ImportError> {
    let encoding = options.encoding.unwrap_or_else(|| detect_encoding(bytes));
    let text = decode(bytes, encoding)?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let headers: Vec<String> = reader(text.as_bytes(), delimiter)
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(|h| h.trim().to_string()).collect())
        .filter(|h: &Vec<String>| h.iter().any(|c| !c.is_empty()))
        .ok_or(ImportError::NoHeader)?;
    let (dialect, mapping) = ColumnMapping::suggest(&headers, options.dialect);
    Ok(CsvAnalysis { encoding, delimiter, dialect, headers, mapping })
}

/// Reads the rows after the header, lazily. Rows whose cells are all empty are skipped.
pub fn read_rows<'a>(
    bytes: &'a [u8],
    analysis: &CsvAnalysis,
) -> Result<impl Iterator<Item = RowResult> + 'a, ImportError> {
    let text = decode(bytes, analysis.encoding)?;
    let mapper = RowMapper::new(analysis.dialect, &analysis.headers, &analysis.mapping, true)?;
    let bytes: Cow<'a, [u8]> = match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    };
    let mut rdr = reader(Cursor::new(bytes), analysis.delimiter);
    let mut record = ::csv::StringRecord::new();
    let mut header_skipped = false;
    // Line numbers counted from byte offsets: csv's own count lags by one after a CRLF, whose
    // LF it leaves to the next record.
    let (mut counted_to, mut line) = (0usize, 1usize);
    Ok(std::iter::from_fn(move || loop {
        let input = rdr.get_ref().get_ref();
        let mut start = rdr.position().byte() as usize;
        while matches!(input.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line +=
            input.get(counted_to..start).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
        counted_to = start;
        match rdr.read_record(&mut record) {
            Ok(false) => return None,
            Err(e) => {
                return Some(Err(RowError {
                    line,
                    reason: format!("this line cannot be read ({e})."),
                }))
            }
            Ok(true) if !header_skipped => header_skipped = true,
            Ok(true) => {
                let rest = rdr
                    .get_ref()
                    .get_ref()
                    .get(rdr.position().byte() as usize..)
                    .unwrap_or_default();
                let at_end = rest.iter().all(|b| matches!(b, b'\r' | b'\n'));
                if at_end && unclosed_quote(rdr.get_ref().get_ref(), start) {
                    return Some(Err(RowError {
                        line,
                        reason: "a quote (\") opened on this line is never closed, so the rest of the file was read as one cell.".into(),
                    }));
                }
                if record.len() > mapper.width()
                    && record.iter().skip(mapper.width()).any(|c| !c.trim().is_empty())
                {
                    return Some(Err(RowError {
                        line,
                        reason: format!(
                            "this line has {} cells but the header has {}; check for a missing quote or an extra delimiter.",
                            record.len(),
                            mapper.width()
                        ),
                    }));
                }
                if let Some(row) = mapper.map(line, record.iter()) {
                    return Some(row);
                }
            }
        }
    }))
}

fn reader<R: std::io::Read>(input: R, delimiter: u8) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input)
}

/// The last record of a file ran to its end inside quotes: its text has an odd number of `"`.
fn unclosed_quote(bytes: &[u8], start: usize) -> bool {
    bytes.get(start..).is_some_and(|rest| rest.iter().filter(|b| **b == b'"').count() % 2 == 1)
}

/// BOM first, then UTF-8 if the bytes are valid UTF-8, else `chardetng`'s guess.
pub fn detect_encoding(bytes: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    const SAMPLE: usize = 1 << 20;
    detector.feed(&bytes[..bytes.len().min(SAMPLE)], bytes.len() <= SAMPLE);
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

/// Decodes strictly (a byte that is not valid in `encoding` is an error) and refuses binary files.
fn decode<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Result<Cow<'a, str>, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ImportError::NotText {
            hint: ": it looks like an Excel workbook; import it as Excel",
        });
    }
    let (body, bom) = match Encoding::for_bom(bytes) {
        Some((bom, len)) if bom == encoding => (&bytes[len..], true),
        _ => (bytes, false),
    };
    let text = if encoding == encoding_rs::UTF_8 {
        match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let line = body[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                return Err(ImportError::Encoding {
                    encoding: "UTF-8",
                    at: format!(" (line {line})"),
                });
            }
        }
    } else {
        encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or(ImportError::Encoding { encoding: encoding.name(), at: String::new() })?
    };
    // A file that starts with the byte-order mark of its encoding is text (Rolo's own export
    // does), whatever its cells hold; without one, NULs or many control characters mean a binary file (or UTF-16
    // without a BOM, read as UTF-8).
    let controls =
        text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')).count();
    if !bom && (text.contains('\0') || controls * 100 > text.len()) {
        return Err(ImportError::NotText { hint: "" });
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(text)
}

/// The delimiter that splits the first lines into the most columns, consistently.
fn sniff_delimiter(text: &str) -> u8 {
    let sample = &text
        [..text.char_indices().map(|(i, _)| i).find(|i| *i >= 64 * 1024).unwrap_or(text.len())];
    let score = |d: u8| {
        let mut rdr = reader(sample.as_bytes(), d);
        let lens: Vec<usize> =
            rdr.records().take(20).filter_map(Result::ok).map(|r| r.len()).collect();
        let width = lens.first().copied().unwrap_or(0);
        let consistent = lens.iter().filter(|l| **l == width).count();
        if width < 2 {
            (0, 0)
        } else {
            (consistent, width)
        }
    };
    [b',', b';', b'\t']
        .into_iter()
        .fold((b',', (0, 0)), |best, d| {
            let s = score(d);
            if s > best.1 {
                (d, s)
            } else {
                best
            }
        })
        .0
}

/// Writes contacts as CSV, one row each, streaming to any writer: UTF-8 with a BOM, a header row,
/// numbered columns for phones, emails, addresses and extra fields (as many as [`Columns`] says).
pub struct CsvWriter<W: Write> {
    inner: ::csv::Writer<W>,
    layout: Layout,
    columns: Columns,
    /// Where the cells of [`LoneRow`]s go.
    placer: Option<Placer>,
}

/// One contact's row made before the file's columns are known, so that an export reads its book
/// once: laid out against the contact's own columns ([`Columns::least`] grown by the contact),
/// its cells guarded against formulas, only the non-empty ones kept, all in one buffer (a
/// 100,000-contact book's rows take about as much memory as the file). [`CsvWriter::write_lone`]
/// puts each cell under the same header in the file's columns.
#[derive(Debug, Clone)]
pub struct LoneRow {
    /// The shape ([`SHAPE`] bytes, see [`shape_bytes`]), then for each non-empty cell: its place
    /// in the shape's header (u16 LE), its length (u32 LE) and its UTF-8 text.
    bytes: Box<[u8]>,
}

/// Bytes of a row's shape: seven counts (u16 LE) and two flags.
const SHAPE: usize = 16;

fn shape_bytes(c: &Columns) -> Option<[u8; SHAPE]> {
    let mut out = [0u8; SHAPE];
    let counts = [c.phones, c.emails, c.addresses, c.extras, c.websites, c.ims, c.related];
    for (i, n) in counts.into_iter().enumerate() {
        out[2 * i..2 * i + 2].copy_from_slice(&u16::try_from(n).ok()?.to_le_bytes());
    }
    out[14] = u8::from(c.anniversary);
    out[15] = u8::from(c.more);
    Some(out)
}

fn shape_of(b: &[u8; SHAPE]) -> Columns {
    let n = |i: usize| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]) as usize;
    Columns {
        phones: n(0),
        emails: n(1),
        addresses: n(2),
        extras: n(3),
        websites: n(4),
        ims: n(5),
        related: n(6),
        anniversary: b[14] != 0,
        more: b[15] != 0,
    }
}

impl LoneRow {
    /// The row of `record` in `layout` for a CSV file, against the contact's own columns.
    pub fn new(layout: Layout, record: &Record<'_>) -> Result<LoneRow, ExportError> {
        Self::make(layout, record, false)
    }

    /// The same for a workbook ([`crate::xlsx::XlsxWriter::write_lone`]): cells as they are (the
    /// sheet marks those that look like formulas), each checked against Excel's cell size.
    pub fn for_sheet(layout: Layout, record: &Record<'_>) -> Result<LoneRow, ExportError> {
        Self::make(layout, record, true)
    }

    fn make(layout: Layout, record: &Record<'_>, sheet: bool) -> Result<LoneRow, ExportError> {
        let too_wide = || ExportError::Io(std::io::Error::other("a row too wide to export"));
        let shape = Columns::least().grow(record.data);
        let row = export_row(layout, &shape, record)?;
        let mut bytes = Vec::with_capacity(SHAPE + row.iter().map(|c| c.len() + 6).sum::<usize>());
        bytes.extend_from_slice(&shape_bytes(&shape).ok_or_else(too_wide)?);
        for (i, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            if sheet && cell.chars().count() > crate::xlsx::CELL_MAX {
                return Err(ExportError::CellTooLong {
                    contact: record.data.display_name.clone(),
                    column: header_row(layout, &shape).get(i).cloned().unwrap_or_default(),
                });
            }
            let guarded = if sheet { Cow::Borrowed(cell.as_str()) } else { guard_formula(cell) };
            let (Ok(place), Ok(len)) = (u16::try_from(i), u32::try_from(guarded.len())) else {
                return Err(too_wide());
            };
            bytes.extend_from_slice(&place.to_le_bytes());
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(guarded.as_bytes());
        }
        Ok(LoneRow { bytes: bytes.into_boxed_slice() })
    }

    fn shape(&self) -> [u8; SHAPE] {
        let mut out = [0u8; SHAPE];
        out.copy_from_slice(&self.bytes[..SHAPE]);
        out
    }

    /// (place in the shape's header, text) of each non-empty cell.
    fn cells(&self) -> impl Iterator<Item = (usize, &str)> {
        let mut rest: &[u8] = &self.bytes[SHAPE..];
        std::iter::from_fn(move || {
            let (head, tail) = rest.split_at_checked(6)?;
            let place = u16::from_le_bytes([head[0], head[1]]) as usize;
            let len = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
            let (text, tail) = tail.split_at_checked(len)?;
            rest = tail;
            // Written from a `str` by `new` above: always UTF-8.
            Some((place, std::str::from_utf8(text).unwrap_or_default()))
        })
    }
}

/// Lays [`LoneRow`]s into a file's columns: each cell under the header of the same name.
pub(crate) struct Placer {
    layout: Layout,
    /// Where each header of the file's is.
    headers: HashMap<String, usize>,
    /// For each shape of row seen: where each of its header's columns is in the file's.
    shapes: HashMap<[u8; SHAPE], Vec<usize>>,
}

impl Placer {
    pub(crate) fn new(layout: Layout, columns: Columns) -> Placer {
        let headers = header_row(layout, &columns).into_iter().enumerate();
        Placer { layout, headers: headers.map(|(i, h)| (h, i)).collect(), shapes: HashMap::new() }
    }

    /// The number of columns of the file.
    pub(crate) fn width(&self) -> usize {
        self.headers.len()
    }

    /// (column in the file, text) of each non-empty cell of `row`.
    pub(crate) fn place<'r>(
        &mut self,
        row: &'r LoneRow,
    ) -> Result<Vec<(usize, &'r str)>, ExportError> {
        let (layout, headers) = (self.layout, &self.headers);
        let places = self.shapes.entry(row.shape()).or_insert_with_key(|shape| {
            header_row(layout, &shape_of(shape))
                .iter()
                .map(|h| headers.get(h).copied().unwrap_or(usize::MAX))
                .collect()
        });
        row.cells()
            .map(|(place, text)| match places.get(place) {
                Some(p) if *p != usize::MAX => Ok((*p, text)),
                _ => Err(ExportError::Io(std::io::Error::other(
                    "a row wider than the file's columns",
                ))),
            })
            .collect()
    }
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM and the header row.
    pub fn new(mut out: W, layout: Layout, columns: Columns) -> Result<Self, ExportError> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut inner = ::csv::WriterBuilder::new().from_writer(out);
        inner.write_record(header_row(layout, &columns))?;
        Ok(CsvWriter { inner, layout, columns, placer: None })
    }

    /// Writes one contact. Fails (writing nothing) when it has more phones, emails, addresses or
    /// extra fields than the columns allow (Rolo and Google layouts).
    pub fn write(&mut self, record: &Record<'_>) -> Result<(), ExportError> {
        let row = export_row(self.layout, &self.columns, record)?;
        self.inner.write_record(row.iter().map(|c| guard_formula(c).into_owned()))?;
        Ok(())
    }

    /// Writes one contact made as a [`LoneRow`] (in this writer's layout, with columns no wider
    /// than this file's: the file's columns grown by every contact written). A cell whose header
    /// the file lacks is an error, as [`CsvWriter::write`] fails on a contact that does not fit.
    pub fn write_lone(&mut self, row: &LoneRow) -> Result<(), ExportError> {
        let (layout, columns) = (self.layout, self.columns);
        let placer = self.placer.get_or_insert_with(|| Placer::new(layout, columns));
        let mut cells = vec![""; placer.width()];
        for (place, text) in placer.place(row)? {
            if let Some(cell) = cells.get_mut(place) {
                *cell = text;
            }
        }
        self.inner.write_record(cells)?;
        Ok(())
    }

    /// Hands what is written so far to the writer.
    pub fn flush(&mut self) -> Result<(), ExportError> {
        self.inner.flush()?;
        Ok(())
    }

    /// Flushes and gives the writer back.
    pub fn finish(self) -> Result<W, ExportError> {
        self.inner.into_inner().map_err(|e| ExportError::Io(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a,b\n\"x;y\",2\n"), b',');
        assert_eq!(sniff_delimiter("single\nx\n"), b',');
    }

    #[test]
    fn detects_encodings() {
        let (gbk, _, _) = encoding_rs::GBK
            .encode("姓名,手机\n张伟,13800138000\n李娜,13900139000\n王芳,电话号码未知\n");
        assert_eq!(detect_encoding(&gbk), encoding_rs::GBK);
        let (big5, _, _) = encoding_rs::BIG5
            .encode("姓名,電話,備註\n陳大文,0912345678,臺灣朋友\n林小華,0987654321,學校同學\n");
        assert_eq!(detect_encoding(&big5), encoding_rs::BIG5);
        let (latin, _, _) =
            encoding_rs::WINDOWS_1252.encode("Name,Notes\nJosé Müller,Straße à côté, naïve café\n");
        assert_eq!(detect_encoding(&latin), encoding_rs::WINDOWS_1252);
        assert_eq!(detect_encoding("a,b\n".as_bytes()), encoding_rs::UTF_8);
        assert_eq!(detect_encoding(b"\xff\xfea\0"), encoding_rs::UTF_16LE);
    }

    #[test]
    fn refuses_binary_and_empty_files() {
        assert!(matches!(analyse(b"", &CsvOptions::default()), Err(ImportError::Empty)));
        assert!(matches!(
            analyse(b"PK\x03\x04rest", &CsvOptions::default()),
            Err(ImportError::NotText { .. })
        ));
        assert!(matches!(
            analyse(b"a,b\n\x01\x02\x03\0\0", &CsvOptions::default()),
            Err(ImportError::NotText { .. })
        ));
    }

    #[test]
    fn a_file_with_a_bom_is_text_whatever_its_cells_hold() {
        // An export of a contact whose notes hold a NUL and other control characters.
        let input = "\u{feff}Name,Notes\nAnn,\"a\0\u{1}\u{2}\u{3}\"\n";
        let a = analyse(input.as_bytes(), &CsvOptions::default()).unwrap();
        let rows: Vec<RowResult> = read_rows(input.as_bytes(), &a).unwrap().collect();
        assert_eq!(rows[0].as_ref().unwrap().data.notes, "a\0\u{1}\u{2}\u{3}");
        // Without the BOM it is taken for a binary file.
        assert!(matches!(
            analyse(&input.as_bytes()[3..], &CsvOptions::default()),
            Err(ImportError::NotText { .. })
        ));
    }

    #[test]
    fn too_many_cells_is_a_row_error() {
        let input = "Name,Phone\nAnn,123 45\nBob,678 90,surplus\n";
        let a = analyse(input.as_bytes(), &CsvOptions::default()).unwrap();
        let rows: Vec<RowResult> = read_rows(input.as_bytes(), &a).unwrap().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().unwrap().data.display_name, "Ann");
        let err = rows[1].as_ref().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("3 cells but the header has 2"), "{}", err.reason);
    }
}
