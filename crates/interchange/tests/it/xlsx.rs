use std::io::Cursor;

use calamine::{Data, Reader};
use interchange::xlsx::{analyse, read_rows, write_groups, WorkbookLimits, XlsxWriter};
use interchange::{Columns, Dialect, ImportError, Layout, Record};

use crate::{fixture, sample};

#[test]
fn export_then_import_round_trip() {
    let contacts = sample::contacts();
    let groups = vec!["Team".to_string()];
    let mut w = XlsxWriter::new(Layout::Rolo, Columns::default());
    for (i, data) in contacts.iter().enumerate() {
        w.write(&Record { uid: &format!("uid-{i}"), data, groups: &groups }).unwrap();
    }
    let bytes = w.finish(Cursor::new(Vec::new())).unwrap().into_inner();

    // Cells: phones are text, full birthdays are dates, header present.
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(&bytes[..])).unwrap();
    assert_eq!(book.sheet_names(), ["Contacts"]);
    let range = book.worksheet_range("Contacts").unwrap();
    assert_eq!(range.get((0, 0)), Some(&Data::String("UID".into())));
    assert_eq!(range.get((1, 11)), Some(&Data::String("+86 138 0013 8000".into())));
    assert!(matches!(range.get((5, 7)), Some(Data::DateTime(_))), "{:?}", range.get((5, 7)));
    assert_eq!(
        range.get((2, 7)),
        Some(&Data::String("1815-12-10".into())),
        "Excel has no dates before 1900"
    );
    assert_eq!(range.get((1, 7)), Some(&Data::String("--02-29".into())));

    let a = analyse(&bytes, None, &WorkbookLimits::default()).unwrap();
    assert_eq!(a.sheets.len(), 1);
    assert_eq!((a.sheets[0].dialect, a.sheets[0].rows), (Dialect::Rolo, contacts.len()));
    let rows = read_rows(&bytes, &a, &WorkbookLimits::default()).unwrap();
    for (i, (row, data)) in rows.iter().zip(&contacts).enumerate() {
        let row = row.as_ref().unwrap();
        assert_eq!(row.line, i + 2);
        assert_eq!(&row.data, data);
        assert_eq!(row.uid.as_deref(), Some(format!("uid-{i}").as_str()));
        assert_eq!(row.groups, groups);
    }
}

#[test]
fn one_sheet_per_group() {
    let contacts = sample::contacts();
    let both = vec!["Friends".to_string(), "Work/Projects".to_string()];
    let friends = vec!["Friends".to_string()];
    let sheets = vec![
        (
            "Friends",
            vec![
                Record { uid: "a", data: &contacts[0], groups: &both },
                Record { uid: "b", data: &contacts[1], groups: &friends },
            ],
        ),
        ("Work/Projects", vec![Record { uid: "a", data: &contacts[0], groups: &both }]),
    ];
    let bytes =
        write_groups(Cursor::new(Vec::new()), sheets, Layout::Rolo, Columns::fit(&contacts))
            .unwrap()
            .into_inner();
    let a = analyse(&bytes, None, &WorkbookLimits::default()).unwrap();
    let names: Vec<&str> = a.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Friends", "Work_Projects"]);
    let rows = read_rows(&bytes, &a, &WorkbookLimits::default()).unwrap();
    assert_eq!(rows.len(), 2, "the contact on two sheets is read once");
    let first = rows[0].as_ref().unwrap();
    assert_eq!((first.uid.as_deref(), &first.data), (Some("a"), &contacts[0]));
    assert_eq!(first.groups, both);
}

#[test]
fn broken_workbooks() {
    let e = analyse(&fixture("truncated.xlsx"), None, &WorkbookLimits::default()).unwrap_err();
    assert!(matches!(e, ImportError::Spreadsheet(_)), "{e:?}");
    assert!(e.to_string().starts_with("The spreadsheet cannot be read: "), "{e}");
    assert!(matches!(
        analyse(&fixture("junk.bin"), None, &WorkbookLimits::default()),
        Err(ImportError::Spreadsheet(_))
    ));
    assert!(matches!(
        analyse(&fixture("google.csv"), None, &WorkbookLimits::default()),
        Err(ImportError::Spreadsheet(_))
    ));
}

fn too_large(r: Result<impl std::fmt::Debug, ImportError>) -> String {
    match r {
        Err(e @ ImportError::TooLarge(_)) => e.to_string(),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn a_sheet_from_a1_to_xfd1048576_is_read_as_its_cells() {
    // calamine's dense range would be 17 billion cells; the streaming reader reads two.
    let bytes = interchange::hostile::xlsx_corner_cells();
    let l = WorkbookLimits::default();
    let a = analyse(&bytes, None, &l).unwrap();
    assert_eq!(a.sheets[0].headers, ["Name"]);
    assert_eq!(a.sheets[0].rows, 1);
    let rows = read_rows(&bytes, &a, &l).unwrap();
    assert!(rows.is_empty(), "the far cell is beyond the columns read: {rows:?}");
}

#[test]
fn a_workbook_that_unpacks_past_the_limit_is_refused_unopened() {
    let bytes = interchange::hostile::xlsx_huge_cell(3 << 20);
    assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
    let l = WorkbookLimits { max_unpacked_bytes: 2 << 20, ..WorkbookLimits::default() };
    let e = too_large(analyse(&bytes, None, &l));
    assert!(e.contains("unpacked it takes 4 MB"), "{e}");
}

#[test]
fn a_cell_longer_than_excel_allows_is_refused() {
    let bytes = interchange::hostile::xlsx_huge_cell(interchange::xlsx::MAX_TEXT_RUN + 1);
    let e = too_large(analyse(&bytes, None, &WorkbookLimits::default()));
    assert!(e.contains("32,767"), "{e}");
    // One that fits is read.
    let bytes = interchange::hostile::xlsx_huge_cell(32_767);
    let l = WorkbookLimits::default();
    let a = analyse(&bytes, None, &l).unwrap();
    assert_eq!(a.sheets[0].rows, 1);
}

#[test]
fn rows_and_cells_are_counted_while_reading() {
    let bytes = interchange::hostile::xlsx_with(|w| {
        write!(
            w,
            "<row r=\"1\">{}{}</row>",
            interchange::hostile::cell("A1", "Name"),
            interchange::hostile::cell("B1", "Phone")
        )
        .unwrap();
        for r in 2..=101 {
            write!(
                w,
                "<row r=\"{r}\">{}{}</row>",
                interchange::hostile::cell(&format!("A{r}"), "x"),
                interchange::hostile::cell(&format!("B{r}"), "1")
            )
            .unwrap();
        }
    });
    let fits = WorkbookLimits { max_rows: 100, ..WorkbookLimits::default() };
    assert_eq!(analyse(&bytes, None, &fits).unwrap().sheets[0].rows, 100);
    let e = too_large(analyse(&bytes, None, &WorkbookLimits { max_rows: 99, ..fits }));
    assert!(e.contains("more than 99 rows"), "{e}");
    let e = too_large(analyse(&bytes, None, &WorkbookLimits { max_cells: 150, ..fits }));
    assert!(e.contains("more than 150 cells"), "{e}");
}

#[test]
fn an_xls_spanning_four_billion_cells_is_refused_before_calamine_lays_it_out() {
    let bytes = interchange::hostile::xls_with_cells(&[(0, 0), (65535, 65535)]);
    let e = too_large(analyse(&bytes, None, &WorkbookLimits::default()));
    assert!(e.contains("4294967296 cells"), "{e}");
}

#[test]
fn an_ods_repeating_a_row_a_million_times_is_refused() {
    let bytes = interchange::hostile::ods_repeated_rows();
    let e = too_large(analyse(&bytes, None, &WorkbookLimits::default()));
    assert!(e.contains("more than 2000000 cells"), "{e}");
    // A small one reads.
    let cell = |t: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let ok = interchange::hostile::ods_with(&format!(
        "<table:table-row>{}</table:table-row><table:table-row>{}</table:table-row>",
        cell("Name"),
        cell("Ada")
    ));
    let l = WorkbookLimits::default();
    let a = analyse(&ok, None, &l).unwrap();
    let rows = read_rows(&ok, &a, &l).unwrap();
    assert_eq!(rows[0].as_ref().unwrap().data.display_name, "Ada");
}

#[test]
fn cell_references_past_a_sheets_edge_make_a_malformed_workbook() {
    // calamine overflows on these; a panic while reading is an unreadable workbook.
    for sheet in [
        r#"<row r="99999999999999999999"></row>"#,
        r#"<row r="1"><c r="AAAAAAAAA1" t="inlineStr"><is><t>Name</t></is></c></row>"#,
    ] {
        let bytes = interchange::hostile::xlsx_with(|w| w.write_all(sheet.as_bytes()).unwrap());
        let e = analyse(&bytes, None, &WorkbookLimits::default()).unwrap_err();
        assert!(matches!(e, ImportError::Spreadsheet(_)), "{sheet}: {e:?}");
    }
}
