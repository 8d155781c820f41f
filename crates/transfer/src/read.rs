//! Reading a file: format and encoding detection, limits, and the rows as they will be imported.

use std::borrow::Cow;
use std::ops::Range;

use encoding_rs::Encoding;
use interchange::csv::CsvOptions;
use interchange::vcard::{parse_vcards, ParsedCard};
use interchange::{ColumnMapping, Dialect, ImportError, ImportedRow, RowError};

use crate::{ImportOptions, TransferError};

/// The kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CSV (comma, semicolon or tab separated), any encoding.
    Csv,
    /// An Excel workbook (.xlsx, .xls) or OpenDocument spreadsheet (.ods).
    Xlsx,
    /// vCard 2.1, 3.0 or 4.0, one or many cards.
    Vcard,
}

impl Format {
    /// `csv`/`tsv`/`txt`, `xlsx`/`xls`/`ods`/`excel`, `vcf`/`vcard` (case-insensitive).
    pub fn parse(raw: &str) -> Result<Format, TransferError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Ok(Format::Csv),
            "xlsx" | "xls" | "ods" | "excel" => Ok(Format::Xlsx),
            "vcf" | "vcard" => Ok(Format::Vcard),
            _ => Err(TransferError::UnknownFormat(raw.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Xlsx => "Excel",
            Format::Vcard => "vCard",
        }
    }
}

/// The encoding a label names (`utf-8`, `gbk`, `gb18030`, `big5`, `utf-16le`, `windows-1252`, …,
/// as the WHATWG Encoding Standard spells them).
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, TransferError> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| TransferError::UnknownEncoding(label.to_string()))
}

/// A row that cannot be imported: its line (CSV, vCard) or row (Excel) number, counting from 1,
/// and a reason a person understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFailure {
    pub line: usize,
    pub reason: String,
}

impl From<RowError> for RowFailure {
    fn from(e: RowError) -> Self {
        RowFailure { line: e.line, reason: e.reason }
    }
}

/// What [`preview`] shows before anything is written.
#[derive(Debug, Clone)]
pub struct Preview {
    pub format: Format,
    /// The text encoding (CSV, vCard), detected or chosen.
    pub encoding: Option<&'static Encoding>,
    /// The CSV delimiter, detected or chosen.
    pub delimiter: Option<u8>,
    /// The header dialect (CSV, Excel: of the first sheet).
    pub dialect: Option<Dialect>,
    /// The header row (CSV, Excel: of the first sheet).
    pub headers: Vec<String>,
    /// The suggested (or given) column mapping, one target per header; pass an edited copy as
    /// [`ImportOptions::mapping`].
    pub mapping: Option<ColumnMapping>,
    /// Names of the sheets that will be read (Excel).
    pub sheets: Vec<String>,
    /// Rows (or cards) in the file, not counting the header.
    pub total_rows: usize,
    /// The first rows as they will be imported, or why one cannot be.
    pub rows: Vec<Result<ImportedRow, RowFailure>>,
}

/// Reads the first `rows` rows of a file exactly as [`import`](crate::import) would, writing
/// nothing. Fails as the import would (too large, too many rows, unreadable file).
pub fn preview(
    bytes: &[u8],
    options: &ImportOptions,
    rows: usize,
) -> Result<Preview, TransferError> {
    let source = open(bytes, options)?;
    Ok(Preview {
        format: source.format,
        encoding: source.encoding,
        delimiter: source.delimiter,
        dialect: source.dialect,
        headers: source.headers,
        mapping: source.mapping,
        sheets: source.sheets,
        total_rows: source.total,
        rows: source.rows.take(rows).collect(),
    })
}

pub(crate) type Rows<'a> = Box<dyn Iterator<Item = Result<ImportedRow, RowFailure>> + Send + 'a>;

/// An opened file: what was detected, and its rows, read lazily where the format allows.
pub(crate) struct Source<'a> {
    pub format: Format,
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub dialect: Option<Dialect>,
    pub headers: Vec<String>,
    pub mapping: Option<ColumnMapping>,
    pub sheets: Vec<String>,
    pub total: usize,
    pub rows: Rows<'a>,
}

/// Excel (zip or OLE container), vCard (a `BEGIN:VCARD` line in the first 4 KB), or else CSV.
pub fn detect_format(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Format::Xlsx;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text: Cow<'_, str> = match Encoding::for_bom(head) {
        Some((enc, len)) => enc.decode_without_bom_handling(&head[len..]).0,
        None => String::from_utf8_lossy(head),
    };
    // A line of its own (junk may come before the first card).
    let card = text.lines().any(|l| {
        l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .eq_ignore_ascii_case("BEGIN:VCARD")
    });
    if card {
        Format::Vcard
    } else {
        Format::Csv
    }
}

fn check_rows(total: usize, options: &ImportOptions) -> Result<(), TransferError> {
    if total > options.limits.max_rows {
        return Err(TransferError::TooManyRows { rows: total, max: options.limits.max_rows });
    }
    Ok(())
}

pub(crate) fn open<'a>(
    bytes: &'a [u8],
    options: &ImportOptions,
) -> Result<Source<'a>, TransferError> {
    if bytes.len() > options.limits.max_bytes {
        return Err(TransferError::TooLarge { size: bytes.len(), max: options.limits.max_bytes });
    }
    if bytes.is_empty() {
        return Err(ImportError::Empty.into());
    }
    match options.format.unwrap_or_else(|| detect_format(bytes)) {
        Format::Csv => open_csv(bytes, options),
        Format::Xlsx => open_xlsx(bytes, options),
        Format::Vcard => open_vcard(bytes, options),
    }
}

fn open_csv<'a>(bytes: &'a [u8], options: &ImportOptions) -> Result<Source<'a>, TransferError> {
    let csv_options = CsvOptions {
        encoding: options.encoding,
        delimiter: options.delimiter,
        dialect: options.dialect,
    };
    let mut analysis = interchange::csv::analyse(bytes, &csv_options)?;
    if let Some(mapping) = &options.mapping {
        if mapping.columns.len() != analysis.headers.len() {
            return Err(ImportError::MappingMismatch {
                mapping: mapping.columns.len(),
                file: analysis.headers.len(),
            }
            .into());
        }
        analysis.mapping = mapping.clone();
    }
    let total = count_csv_rows(bytes, analysis.encoding, analysis.delimiter);
    check_rows(total, options)?;
    let rows = interchange::csv::read_rows(bytes, &analysis)?.map(|r| r.map_err(RowFailure::from));
    Ok(Source {
        format: Format::Csv,
        encoding: Some(analysis.encoding),
        delimiter: Some(analysis.delimiter),
        dialect: Some(analysis.dialect),
        headers: analysis.headers,
        mapping: Some(analysis.mapping),
        sheets: Vec::new(),
        total,
        rows: Box::new(rows),
    })
}

/// Records after the header that have a non-blank cell (what `read_rows` yields), counted fast.
fn count_csv_rows(bytes: &[u8], encoding: &'static Encoding, delimiter: u8) -> usize {
    let body = match Encoding::for_bom(bytes) {
        Some((bom, len)) if bom == encoding => &bytes[len..],
        _ => bytes,
    };
    let text: Cow<'_, str> = if encoding == encoding_rs::UTF_8 {
        String::from_utf8_lossy(body)
    } else {
        encoding.decode_without_bom_handling(body).0
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let mut n = 0usize;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {
                if record.iter().any(|c| !c.iter().all(u8::is_ascii_whitespace)) {
                    n += 1;
                }
            }
            Ok(false) => break,
            Err(_) => {
                n += 1;
                break;
            }
        }
    }
    n.saturating_sub(1)
}

fn open_xlsx<'a>(bytes: &'a [u8], options: &ImportOptions) -> Result<Source<'a>, TransferError> {
    let limits = interchange::xlsx::WorkbookLimits::for_rows(options.limits.max_rows);
    let mut analysis = interchange::xlsx::analyse(bytes, options.dialect, &limits)?;
    if let (Some(mapping), Some(first)) = (&options.mapping, analysis.sheets.first_mut()) {
        if mapping.columns.len() != first.headers.len() {
            return Err(ImportError::MappingMismatch {
                mapping: mapping.columns.len(),
                file: first.headers.len(),
            }
            .into());
        }
        first.mapping = mapping.clone();
    }
    let total = analysis.sheets.iter().map(|s| s.rows).sum();
    check_rows(total, options)?;
    let rows = interchange::xlsx::read_rows(bytes, &analysis, &limits)?;
    let first = analysis.sheets.first();
    Ok(Source {
        format: Format::Xlsx,
        encoding: None,
        delimiter: None,
        dialect: first.map(|s| s.dialect),
        headers: first.map(|s| s.headers.clone()).unwrap_or_default(),
        mapping: first.map(|s| s.mapping.clone()),
        sheets: analysis.sheets.iter().map(|s| s.name.clone()).collect(),
        total,
        rows: Box::new(rows.into_iter().map(|r| r.map_err(RowFailure::from))),
    })
}

/// Decodes strictly: a byte sequence not valid in `encoding` is an error.
fn decode<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Result<Cow<'a, str>, TransferError> {
    let body = match Encoding::for_bom(bytes) {
        Some((bom, len)) if bom == encoding => &bytes[len..],
        _ => bytes,
    };
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(body)
            .map(Cow::Borrowed)
            .map_err(|_| TransferError::Encoding("UTF-8"));
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .ok_or(TransferError::Encoding(encoding.name()))
}

fn open_vcard<'a>(bytes: &'a [u8], options: &ImportOptions) -> Result<Source<'a>, TransferError> {
    let encoding = options.encoding.unwrap_or_else(|| interchange::csv::detect_encoding(bytes));
    let text = decode(bytes, encoding)?;
    let segments = card_segments(&text);
    let total = segments.iter().filter(|s| s.card).count();
    if total == 0 {
        return Err(TransferError::NoCards);
    }
    check_rows(total, options)?;
    // Group cards (Apple's `X-ADDRESSBOOKSERVER-KIND:group`, vCard 4's `KIND:group`) are not
    // contacts: their members join a group of the card's name.
    let mut results: Vec<Result<ImportedRow, RowFailure>> = Vec::with_capacity(total);
    let mut member_of: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut group_cards = 0;
    for segment in segments {
        let offset = segment.line;
        for r in parse_vcards(&text[segment.range]) {
            match r {
                Ok(card) => match interchange::vcard::group_members(&card.data.extra) {
                    Some(members) => {
                        group_cards += 1;
                        let name = card.data.display_name.trim().to_string();
                        for m in members {
                            let groups = member_of.entry(m).or_default();
                            if !name.is_empty() && !groups.contains(&name) {
                                groups.push(name.clone());
                            }
                        }
                    }
                    None => results.push(Ok(card_row(offset, card))),
                },
                Err(e) => results.push(Err(RowFailure {
                    line: offset + e.line.saturating_sub(1),
                    reason: e.reason,
                })),
            }
        }
    }
    for row in results.iter_mut().flatten() {
        let uid = row.uid.as_deref().map(interchange::vcard::strip_urn);
        if let Some(groups) = uid.and_then(|u| member_of.get(u)) {
            for g in groups {
                if !row.groups.contains(g) {
                    row.groups.push(g.clone());
                }
            }
        }
    }
    let total = total - group_cards;
    let rows = results.into_iter();
    Ok(Source {
        format: Format::Vcard,
        encoding: Some(encoding),
        delimiter: None,
        dialect: None,
        headers: Vec::new(),
        mapping: None,
        sheets: Vec::new(),
        total,
        rows: Box::new(rows),
    })
}

/// A stretch of a vCard file from one `BEGIN:VCARD` line to the next (or text before the first).
struct Segment {
    line: usize,
    range: Range<usize>,
    card: bool,
}

/// Splits the file at `BEGIN:VCARD` lines, so that each card is parsed alone and its line is known.
fn card_segments(text: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let begins = raw.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case("BEGIN:VCARD");
        match out.last_mut() {
            Some(last) if !begins => last.range.end = offset,
            _ => out.push(Segment { line: n + 1, range: start..offset, card: begins }),
        }
    }
    out
}

fn card_row(line: usize, card: ParsedCard) -> ImportedRow {
    let groups = card
        .data
        .extra
        .iter()
        .filter(|x| x.name.eq_ignore_ascii_case("CATEGORIES"))
        .flat_map(|x| categories(&x.value))
        .fold(Vec::new(), |mut acc: Vec<String>, g| {
            if !acc.contains(&g) {
                acc.push(g);
            }
            acc
        });
    ImportedRow { line, uid: card.uid, data: card.data, groups }
}

/// The names in a kept `CATEGORIES:a,b\,c` line.
fn categories(line: &str) -> Vec<String> {
    let Some((_, value)) = line.split_once(':') else { return Vec::new() };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => current.push(' '),
                Some(other) => current.push(other),
                None => {}
            },
            ',' => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out.into_iter().map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected() {
        assert_eq!(detect_format(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(detect_format(b"\xef\xbb\xbf\r\nbegin:vcard\r\n"), Format::Vcard);
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend("BEGIN:VCARD\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(detect_format(&with_bom), Format::Vcard);
        assert_eq!(detect_format(b"Name,Phone\nBEGIN:VCARD,1\n"), Format::Csv);
        assert_eq!(detect_format(b"junk first\n BEGIN:VCARD \r\nFN:x\r\n"), Format::Vcard);
        assert_eq!(detect_format(b""), Format::Csv);
    }

    #[test]
    fn categories_are_split() {
        assert_eq!(categories("CATEGORIES:朋友,同事"), ["朋友", "同事"]);
        assert_eq!(categories("item1.CATEGORIES;X=1:a\\,b, c ,"), ["a,b", "c"]);
        assert!(categories("CATEGORIES").is_empty());
    }

    #[test]
    fn csv_rows_are_counted() {
        assert_eq!(count_csv_rows(b"a,b\n1,2\n\n,\n\"x\ny\",3\n", encoding_rs::UTF_8, b','), 2);
        assert_eq!(count_csv_rows(b"a,b\n", encoding_rs::UTF_8, b','), 0);
    }

    #[test]
    fn segments_follow_begin_lines() {
        let s = card_segments("junk\nBEGIN:VCARD\nFN:a\nEND:VCARD\n\nbegin:vcard\nFN:b\n");
        let v: Vec<(usize, bool)> = s.iter().map(|s| (s.line, s.card)).collect();
        assert_eq!(v, [(1, false), (2, true), (6, true)]);
    }
}
