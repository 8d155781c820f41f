//! CSV and TSV: `analyse` and `read_rows` on any bytes and on generated tables in UTF-8,
//! UTF-16 and the legacy encodings; contacts exported with `CsvWriter` read back the same.

use encoding_rs::Encoding;
use fuzz_support::{bounded, run};
use interchange::csv::{analyse, read_rows, CsvOptions, CsvWriter, LoneRow};
use interchange::{Columns, ImportError, Layout, Record, RowResult};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use crate::gen::{as_tabled, atom, contact, diff, group_name};

/// Headers the dialects recognise, and others.
const HEADERS: &[&str] = &[
    "Name",
    "Phone",
    "Email",
    "E-mail",
    "Mobile Phone",
    "Business Street",
    "First Name",
    "Last Name",
    "Phone 1 - Value",
    "Phone 1 - Label",
    "E-mail 1 - Value",
    "Birthday",
    "Notes",
    "Groups",
    "Labels",
    "Categories",
    "UID",
    "Display Name",
    "Extra 1 Name",
    "Extra 1 Value",
    "Address 1 Street",
    "姓名",
    "手机",
    "电话",
    "邮箱",
    "公司",
    "生日",
    "备注",
    "分组",
    "",
    " ",
    "\u{feff}Name",
];

/// How a generated table is turned into bytes.
#[derive(Debug, Clone, Copy)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16LeBom,
    Utf16BeBom,
    Utf16LeBare,
    Legacy(&'static Encoding),
}

impl Enc {
    fn encode(self, text: &str) -> Vec<u8> {
        let utf16 = |bom: &[u8], be: bool| {
            let mut out = bom.to_vec();
            for u in text.encode_utf16() {
                out.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            out
        };
        match self {
            Enc::Utf8 => text.as_bytes().to_vec(),
            Enc::Utf8Bom => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
            Enc::Utf16LeBom => utf16(b"\xFF\xFE", false),
            Enc::Utf16BeBom => utf16(b"\xFE\xFF", true),
            Enc::Utf16LeBare => utf16(b"", false),
            // Characters the encoding lacks become numeric character references.
            Enc::Legacy(e) => e.encode(text).0.into_owned(),
        }
    }

    /// The encoding detection must find (a BOM decides; valid UTF-8 is UTF-8).
    fn detected(self) -> Option<&'static Encoding> {
        match self {
            Enc::Utf8 | Enc::Utf8Bom => Some(encoding_rs::UTF_8),
            Enc::Utf16LeBom => Some(encoding_rs::UTF_16LE),
            Enc::Utf16BeBom => Some(encoding_rs::UTF_16BE),
            Enc::Utf16LeBare | Enc::Legacy(_) => None,
        }
    }
}

fn enc() -> impl Strategy<Value = Enc> {
    select(vec![
        Enc::Utf8,
        Enc::Utf8Bom,
        Enc::Utf16LeBom,
        Enc::Utf16BeBom,
        Enc::Utf16LeBare,
        Enc::Legacy(encoding_rs::GBK),
        Enc::Legacy(encoding_rs::GB18030),
        Enc::Legacy(encoding_rs::BIG5),
        Enc::Legacy(encoding_rs::WINDOWS_1252),
        Enc::Legacy(encoding_rs::SHIFT_JIS),
    ])
}

/// A cell as written in the file: plain, quoted (inner quotes doubled), or with a stray quote.
fn cell() -> impl Strategy<Value = (String, u8)> {
    let content = prop_oneof![
        3 => vec(atom(), 0..4).prop_map(|v| v.concat()),
        1 => select(HEADERS).prop_map(str::to_string),
        1 => crate::gen::phone(),
        1 => crate::gen::email(),
        1 => "[\"',;\t\r\n =+@-]{0,6}",
    ];
    (content, 0u8..10)
}

fn write_cell(out: &mut String, (content, how): &(String, u8)) {
    match how {
        0..=5 => out.push_str(content),
        6..=8 => {
            out.push('"');
            out.push_str(&content.replace('"', "\"\""));
            out.push('"');
        }
        _ => {
            out.push('"');
            out.push_str(content);
        }
    }
}

/// A table: a header, rows of any width (some very wide), a delimiter, line ends; as text.
fn table() -> impl Strategy<Value = String> {
    let header = vec(select(HEADERS).prop_map(|h| (h.to_string(), 0u8)), 0..12);
    let row = prop_oneof![8 => vec(cell(), 0..14), 1 => vec(cell(), 200..400)];
    let delimiter = select(&[",", ";", "\t", "|", " ", ",,"][..]);
    let eol = select(&["\r\n", "\n", "\r", "\n\n"][..]);
    (header, vec(row, 0..8), delimiter, eol, any::<bool>()).prop_map(
        |(header, rows, delimiter, eol, last_eol)| {
            let mut out = String::new();
            let n = rows.len();
            for (i, cells) in std::iter::once(header).chain(rows).enumerate() {
                for (j, c) in cells.iter().enumerate() {
                    if j > 0 {
                        out.push_str(delimiter);
                    }
                    write_cell(&mut out, c);
                }
                if i < n || last_eol {
                    out.push_str(eol);
                }
            }
            out
        },
    )
}

fn read(bytes: &[u8], options: &CsvOptions) -> Result<Vec<RowResult>, ImportError> {
    let a = analyse(bytes, options)?;
    Ok(read_rows(bytes, &a)?.collect())
}

fn options() -> impl Strategy<Value = CsvOptions> {
    let encoding = prop_oneof![
        6 => Just(None),
        1 => select(vec![encoding_rs::UTF_8, encoding_rs::UTF_16LE, encoding_rs::UTF_16BE, encoding_rs::GBK, encoding_rs::BIG5, encoding_rs::WINDOWS_1252, encoding_rs::ISO_2022_JP, encoding_rs::REPLACEMENT]).prop_map(Some),
    ];
    let delimiter = prop_oneof![6 => Just(None), 1 => select(&b",;\t|"[..]).prop_map(Some)];
    (encoding, delimiter).prop_map(|(encoding, delimiter)| CsvOptions {
        encoding,
        delimiter,
        dialect: None,
    })
}

#[test]
fn csv_reading_never_panics_on_any_bytes() {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..2048),
        vec(select(&b"\",;\t\r\n a\xEF\xBB\xBF\xFF\xFE\x00\x80\xE4"[..]), 0..512),
    ];
    run("csv_reading_never_panics_on_any_bytes", (bytes, options()), |(bytes, options)| {
        let _ = bounded("csv import", bytes.len(), || read(&bytes, &options))?;
        Ok(())
    });
}

#[test]
fn csv_reading_never_panics_on_generated_tables_in_any_encoding() {
    run(
        "csv_reading_never_panics_on_generated_tables_in_any_encoding",
        (table(), enc(), options()),
        |(text, enc, options)| {
            let bytes = enc.encode(&text);
            let rows = bounded("csv import", bytes.len(), || read(&bytes, &options))?;
            if let (Some(want), Ok(_), None) = (enc.detected(), &rows, options.encoding) {
                let got = analyse(&bytes, &options)
                    .map(|a| a.encoding)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(got, want, "{:?}", text);
            }
            // Read in the encoding it was written in, a file has no more rows than lines.
            if let (Some(_), Ok(rows), None) = (enc.detected(), &rows, options.encoding) {
                prop_assert!(
                    rows.len() <= text.split(['\r', '\n']).count(),
                    "more rows than lines"
                );
            }
            Ok(())
        },
    );
}

/// Contacts (without group ids: the CSV columns carry group names, see [`Record::groups`]) and
/// the group names of each.
fn contacts() -> impl Strategy<Value = Vec<(domain::ContactData, Vec<String>)>> {
    vec(
        (
            contact().prop_map(|mut c| {
                c.groups.clear();
                c
            }),
            vec(group_name(), 0..3),
        ),
        1..5,
    )
}

#[test]
fn csv_export_then_import_gives_the_same_contacts() {
    run("csv_export_then_import_gives_the_same_contacts", contacts(), |contacts| {
        let columns = Columns::fit(contacts.iter().map(|(c, _)| c));
        let mut w = CsvWriter::new(Vec::new(), Layout::Rolo, columns)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, (data, groups)) in contacts.iter().enumerate() {
            w.write(&Record { uid: &format!("uid-{i}"), data, groups })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let bytes = w.finish().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let rows = bounded("csv import", bytes.len(), || read(&bytes, &CsvOptions::default()))?
            .map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
        prop_assert_eq!(rows.len(), contacts.len(), "{:?}", text);
        for (i, (row, (data, groups))) in rows.iter().zip(&contacts).enumerate() {
            let row = row.as_ref().map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
            prop_assert_eq!(row.uid.clone(), Some(format!("uid-{i}")));
            let want = as_tabled(data);
            prop_assert!(row.data == want, "{}\nin {:?}", diff(&want, &row.data), text);
            prop_assert_eq!(&row.groups, groups, "{:?}", text);
        }
        Ok(())
    });
}

/// A file written from rows made before the columns were known (`LoneRow`, one reading of the
/// book) is the file `write` makes, byte for byte, in every layout.
#[test]
fn lone_rows_make_the_same_file() {
    run("lone_rows_make_the_same_file", contacts(), |contacts| {
        let columns = Columns::fit(contacts.iter().map(|(c, _)| c));
        for layout in [Layout::Rolo, Layout::Google, Layout::Outlook] {
            let fail = |e: interchange::ExportError| TestCaseError::fail(e.to_string());
            let mut direct = CsvWriter::new(Vec::new(), layout, columns).map_err(fail)?;
            let mut lone = CsvWriter::new(Vec::new(), layout, columns).map_err(fail)?;
            for (i, (data, groups)) in contacts.iter().enumerate() {
                let uid = format!("uid-{i}");
                let record = Record { uid: &uid, data, groups };
                direct.write(&record).map_err(fail)?;
                let row = LoneRow::new(layout, &record).map_err(fail)?;
                lone.write_lone(&row).map_err(fail)?;
            }
            let (direct, lone) = (direct.finish().map_err(fail)?, lone.finish().map_err(fail)?);
            prop_assert_eq!(
                String::from_utf8_lossy(&lone),
                String::from_utf8_lossy(&direct),
                "{:?}",
                layout
            );
        }
        Ok(())
    });
}
