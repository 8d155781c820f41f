//! Workbooks: `analyse` and `read_rows` on random sheet XML, on written workbooks with bytes
//! flipped or cut, on `.xls` cells anywhere and on `.ods` rows and cells repeated any number of
//! times, within small limits; contacts written with `XlsxWriter` read back the same.

use std::io::Cursor;

use fuzz_support::{bounded, run};
use interchange::csv::LoneRow;
use interchange::hostile::{ods_with, xls_with_cells, xlsx_with};
use interchange::xlsx::{analyse, read_rows, WorkbookLimits, XlsxWriter, MAX_COLUMNS};
use interchange::{Columns, ImportError, Layout, Record, RowResult};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use crate::gen::{as_tabled, atom, contact, diff, group_name};

/// Small limits, so that no case can take long or much memory, and what they let through fits
/// the allocation bound's fixed 8 MiB: an `.ods` or `.xls` is laid out as a grid of up to
/// `max_grid_cells`, at some 100 bytes a cell at the peak, and an `.ods`'s text (up to
/// `max_unpacked_bytes`, its copies included) is held twice while calamine lays it out. So a
/// grid or text past the limits (a guard that let it through) fails the bound.
const LIMITS: WorkbookLimits = WorkbookLimits {
    max_rows: 1000,
    max_cells: 20_000,
    max_grid_cells: 50_000,
    max_unpacked_bytes: 2 << 20,
};

fn read(bytes: &[u8]) -> Result<Vec<RowResult>, ImportError> {
    let a = analyse(bytes, None, &LIMITS)?;
    for sheet in &a.sheets {
        assert!(sheet.headers.len() <= MAX_COLUMNS, "{} columns", sheet.headers.len());
    }
    assert!(a.sheets.iter().map(|s| s.rows).sum::<usize>() <= LIMITS.max_rows);
    let rows = read_rows(bytes, &a, &LIMITS)?;
    assert!(rows.len() <= LIMITS.max_rows, "{} rows", rows.len());
    Ok(rows)
}

/// Reads a workbook within the allocation bound; any error is fine, a panic is not.
fn read_bounded(bytes: &[u8]) -> Result<Result<Vec<RowResult>, ImportError>, TestCaseError> {
    bounded("workbook import", bytes.len(), || read(bytes))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `A`, `Z`, `AA`, … `XFD` for columns 0, 25, 26, … 16383.
fn column_name(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A cell reference: in range, at the edges (`XFD1048576`), past them, or nonsense.
fn reference() -> impl Strategy<Value = Option<String>> {
    let edge_col = prop_oneof![0u32..30, 16_350u32..16_400, Just(u32::MAX / 26)];
    let edge_row = prop_oneof![1u32..100, 1_048_570u32..1_048_600, Just(0u32), Just(u32::MAX)];
    prop_oneof![
        6 => (edge_col, edge_row).prop_map(|(c, r)| Some(format!("{}{r}", column_name(c)))),
        1 => Just(None),
        1 => "[A-Z]{0,5}[0-9]{0,12}".prop_map(Some),
        1 => "[^\"<&]{0,6}".prop_map(Some),
    ]
}

/// One cell element of any type, its value well-formed or not.
fn cell() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        8 => atom().prop_map(|t| xml_escape(&t)),
        2 => "[<>&;/a-z\"]{0,8}",
        1 => (1usize..40_000).prop_map(|n| "x".repeat(n)),
    ];
    let number = prop_oneof![
        "-?[0-9]{1,20}(\\.[0-9]{1,5})?(E[+-]?[0-9]{1,4})?",
        Just("NaN".to_string()),
        Just("1e999".to_string()),
        "[^<]{0,6}"
    ];
    (reference(), 0u8..9, text, number).prop_map(|(r, kind, text, number)| {
        let r = r.map(|r| format!(r#" r="{r}""#)).unwrap_or_default();
        match kind {
            0 | 1 => format!(r#"<c{r} t="inlineStr"><is><t>{text}</t></is></c>"#),
            2 => format!(r#"<c{r} t="s"><v>{number}</v></c>"#),
            3 => format!(r#"<c{r}><v>{number}</v></c>"#),
            4 => format!(r#"<c{r} t="b"><v>{number}</v></c>"#),
            5 => format!(r#"<c{r} t="e"><v>{text}</v></c>"#),
            6 => format!(r#"<c{r} t="str"><f>SUM(A1)</f><v>{text}</v></c>"#),
            7 => format!(r#"<c{r} t="d"><v>{number}</v></c>"#),
            _ => format!(r#"<c{r} t="inlineStr" s="{number}"><is><r><t>{text}</t></r><r><t xml:space="preserve"> {text} </t></r></is></c>"#),
        }
    })
}

/// Sheet data: rows of cells (row numbers anywhere or missing), and garbage.
fn sheet_data() -> impl Strategy<Value = Vec<String>> {
    let row_number = prop_oneof![
        4 => (1u64..50).prop_map(|n| format!(r#" r="{n}""#)),
        1 => Just(String::new()),
        1 => select(&[r#" r="1048576""#, r#" r="1048577""#, r#" r="0""#, r#" r="-1""#, r#" r="99999999999999999999""#, r#" r="x""#][..]).prop_map(str::to_string),
    ];
    let row = (row_number, vec(cell(), 0..8), "( spans=\"[0-9:]{0,6}\")?")
        .prop_map(|(r, cells, spans)| format!("<row{r}{spans}>{}</row>", cells.concat()));
    let garbage = prop_oneof![
        "[<>/a-z=\" &;:]{0,30}",
        select(
            &[
                "<row>",
                "</row>",
                "<c r=\"A1\">",
                "</sheetData><sheetData>",
                "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
                "&a;",
                "<![CDATA[<row>]]>",
                "<?pi x?>",
                "<!-- <row r=\"1\"> -->",
                "</worksheet>",
                "<dimension ref=\"A1:XFD1048576\"/>",
                "<mergeCell ref=\"A1:XFD1048576\"/>",
                "\u{0}",
                "<c r=\"A1\" t=\"inlineStr\"><is><t>x"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    vec(prop_oneof![6 => row, 1 => garbage], 0..12)
}

#[test]
fn xlsx_reading_never_panics_on_random_sheets() {
    run("xlsx_reading_never_panics_on_random_sheets", sheet_data(), |pieces| {
        let bytes = xlsx_with(|w| {
            for p in &pieces {
                let _ = w.write_all(p.as_bytes());
            }
        });
        let _ = read_bounded(&bytes)?;
        Ok(())
    });
}

/// Contacts and the group names each is in (group ids are not part of the columns).
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

fn write_xlsx(contacts: &[(domain::ContactData, Vec<String>)]) -> Result<Vec<u8>, TestCaseError> {
    let fail = |e: interchange::ExportError| TestCaseError::fail(e.to_string());
    let mut w = XlsxWriter::new(Layout::Rolo, Columns::fit(contacts.iter().map(|(c, _)| c)));
    for (i, (data, groups)) in contacts.iter().enumerate() {
        w.write(&Record { uid: &format!("uid-{i}"), data, groups }).map_err(fail)?;
    }
    Ok(w.finish(Cursor::new(Vec::new())).map_err(fail)?.into_inner())
}

/// Changes to a file: bytes flipped (at a position given as a fraction of its length), and
/// maybe a cut.
#[derive(Debug, Clone)]
struct Damage {
    flips: Vec<(proptest::sample::Index, u8)>,
    cut: Option<proptest::sample::Index>,
}

fn damage() -> impl Strategy<Value = Damage> {
    let flips = vec((any::<proptest::sample::Index>(), 1u8..=255), 0..6);
    let cut = prop_oneof![3 => Just(None), 1 => any::<proptest::sample::Index>().prop_map(Some)];
    (flips, cut).prop_map(|(flips, cut)| Damage { flips, cut })
}

#[test]
fn xlsx_reading_never_panics_on_damaged_workbooks() {
    let contacts = vec((contact(), vec(group_name(), 0..2)), 1..3);
    run(
        "xlsx_reading_never_panics_on_damaged_workbooks",
        (contacts, damage()),
        |(contacts, damage)| {
            let mut bytes = write_xlsx(&contacts)?;
            for (at, xor) in &damage.flips {
                let i = at.index(bytes.len());
                bytes[i] ^= xor;
            }
            if let Some(cut) = damage.cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            let _ = read_bounded(&bytes)?;
            Ok(())
        },
    );
}

#[test]
fn xls_reading_never_panics_on_cells_anywhere() {
    let position = prop_oneof![
        3 => (0u16..50, 0u16..20),
        1 => (any::<u16>(), any::<u16>()),
        1 => (prop_oneof![Just(0u16), Just(65535u16), 65_000u16..], prop_oneof![Just(0u16), Just(255u16), Just(256u16), Just(16_383u16), Just(65535u16)]),
    ];
    run("xls_reading_never_panics_on_cells_anywhere", vec(position, 0..20), |cells| {
        let bytes = xls_with_cells(&cells);
        let rows = read_bounded(&bytes)?;
        // The cells' used area decides whether the workbook is laid out.
        let area = |v: Vec<u16>| {
            v.iter().max().map_or(0, |max| usize::from(max - v.iter().min().unwrap_or(max)) + 1)
        };
        let span =
            area(cells.iter().map(|c| c.0).collect()) * area(cells.iter().map(|c| c.1).collect());
        if span > LIMITS.max_grid_cells {
            prop_assert!(
                matches!(rows, Err(ImportError::TooLarge(_))),
                "{} cells laid out: {:?}",
                span,
                rows
            );
        }
        Ok(())
    });
}

/// A repeat count: none, small, large, past the format's limits, or not a number.
fn repeat() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(None),
        3 => (0u64..5).prop_map(|n| Some(n.to_string())),
        2 => select(&["100", "1000", "16384", "16385", "65536", "1048576", "1048577", "4294967296", "99999999999999999999999", "-1", "1e3", "", " 7 ", "x"][..])
            .prop_map(|s| Some(s.to_string())),
        1 => any::<u32>().prop_map(|n| Some(n.to_string())),
    ]
}

fn ods_cell() -> impl Strategy<Value = String> {
    let kind = select(&["table:table-cell", "table:table-cell", "table:covered-table-cell"][..]);
    let value = prop_oneof![
        Just(String::new()),
        Just(r#" office:value-type="string""#.to_string()),
        Just(r#" office:value-type="float" office:value="1.5""#.to_string()),
        Just(r#" office:value-type="date" office:date-value="1990-05-17""#.to_string()),
        Just(r#" office:value-type="boolean" office:boolean-value="true""#.to_string()),
        Just(r#" office:value-type="float" office:value="NaN""#.to_string()),
    ];
    let content = prop_oneof![
        2 => Just(None),
        3 => atom().prop_map(|t| Some(format!("<text:p>{}</text:p>", xml_escape(&t)))),
        1 => Just(Some("<text:p>a<text:s text:c=\"99999999\"/>b</text:p>".to_string())),
        1 => Just(Some("<table:table><table:table-row table:number-rows-repeated=\"1048576\"><table:table-cell office:value-type=\"string\"><text:p>x</text:p></table:table-cell></table:table-row></table:table>".to_string())),
        1 => Just(Some("<table:table/>".to_string())),
        1 => (1usize..40_000).prop_map(|n| Some(format!("<text:p>{}</text:p>", "x".repeat(n)))),
        1 => (1usize..300_000).prop_map(|n| Some(format!("<text:p><text:s text:c=\"{n}\"/></text:p>"))),
    ];
    (kind, repeat(), value, content).prop_map(|(kind, repeat, value, content)| {
        let repeat =
            repeat.map(|n| format!(r#" table:number-columns-repeated="{n}""#)).unwrap_or_default();
        match content {
            Some(c) => format!("<{kind}{repeat}{value}>{c}</{kind}>"),
            None => format!("<{kind}{repeat}{value}/>"),
        }
    })
}

fn ods_rows() -> impl Strategy<Value = String> {
    let row =
        (repeat(), vec(ods_cell(), 0..6), any::<bool>()).prop_map(|(repeat, cells, empty)| {
            let repeat =
                repeat.map(|n| format!(r#" table:number-rows-repeated="{n}""#)).unwrap_or_default();
            if empty && cells.is_empty() {
                format!("<table:table-row{repeat}/>")
            } else {
                format!("<table:table-row{repeat}>{}</table:table-row>", cells.concat())
            }
        });
    let other = select(
        &[
            "<table:table-column table:number-columns-repeated=\"16384\"/>",
            "<table:table-header-rows>",
            "</table:table-header-rows>",
            "<table:table-row-group>",
            "</table:table-row-group>",
            "</table:table><table:table table:name=\"Two\">",
            "<table:table/>",
            "<text:p>stray</text:p>",
        ][..],
    )
    .prop_map(str::to_string);
    // The header row first, most of the time.
    let header = prop_oneof![
        3 => Just(r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Phone</text:p></table:table-cell></table:table-row>"#.to_string()),
        1 => Just(String::new()),
    ];
    (header, vec(prop_oneof![5 => row, 1 => other], 0..10))
        .prop_map(|(header, rows)| format!("{header}{}", rows.concat()))
}

#[test]
fn ods_reading_never_panics_on_repeated_rows_and_columns() {
    run("ods_reading_never_panics_on_repeated_rows_and_columns", ods_rows(), |rows| {
        let bytes = ods_with(&rows);
        let _ = read_bounded(&bytes)?;
        Ok(())
    });
}

#[test]
fn xlsx_export_then_import_gives_the_same_contacts() {
    run("xlsx_export_then_import_gives_the_same_contacts", contacts(), |contacts| {
        let bytes = write_xlsx(&contacts)?;
        let rows = read_bounded(&bytes)?.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(rows.len(), contacts.len());
        for (i, (row, (data, groups))) in rows.iter().zip(&contacts).enumerate() {
            let row = row.as_ref().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(row.uid.clone(), Some(format!("uid-{i}")));
            let want = as_tabled(data);
            prop_assert!(row.data == want, "{}", diff(&want, &row.data));
            prop_assert_eq!(&row.groups, groups);
        }
        Ok(())
    });
}

/// Every part of a workbook but its creation time (`docProps/core.xml`), by name.
fn parts(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, TestCaseError> {
    use std::io::Read;
    let fail = |e: zip::result::ZipError| TestCaseError::fail(e.to_string());
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(fail)?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(fail)?;
        let name = f.name().map_err(fail)?.to_string();
        if name == "docProps/core.xml" {
            continue;
        }
        let mut content = Vec::new();
        f.read_to_end(&mut content).map_err(|e| TestCaseError::fail(e.to_string()))?;
        out.push((name, content));
    }
    Ok(out)
}

/// A workbook written from rows made before the columns were known (`LoneRow::for_sheet`, one
/// reading of the book) has the sheets `write` makes, byte for byte (dates and quoted cells too).
#[test]
fn lone_rows_make_the_same_workbook() {
    run("lone_rows_make_the_same_workbook", contacts(), |contacts| {
        let fail = |e: interchange::ExportError| TestCaseError::fail(e.to_string());
        let columns = Columns::fit(contacts.iter().map(|(c, _)| c));
        let mut lone = XlsxWriter::new(Layout::Rolo, columns);
        for (i, (data, groups)) in contacts.iter().enumerate() {
            let uid = format!("uid-{i}");
            let row = LoneRow::for_sheet(Layout::Rolo, &Record { uid: &uid, data, groups });
            lone.write_lone(&row.map_err(fail)?).map_err(fail)?;
        }
        let lone = lone.finish(Cursor::new(Vec::new())).map_err(fail)?.into_inner();
        let direct = write_xlsx(&contacts)?;
        let (lone, direct) = (parts(&lone)?, parts(&direct)?);
        prop_assert_eq!(lone.len(), direct.len());
        for ((name, a), (_, b)) in lone.iter().zip(&direct) {
            prop_assert!(
                a == b,
                "{}:\n{}\n{}",
                name,
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
        Ok(())
    });
}
