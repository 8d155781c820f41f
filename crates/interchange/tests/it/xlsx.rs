use std::io::Cursor;

use calamine::{Data, Reader};
use interchange::xlsx::{analyse, read_rows, write_groups, XlsxWriter};
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
    assert_eq!(range.get((2, 7)), Some(&Data::String("1815-12-10".into())), "Excel has no dates before 1900");
    assert_eq!(range.get((1, 7)), Some(&Data::String("--02-29".into())));

    let a = analyse(&bytes, None).unwrap();
    assert_eq!(a.sheets.len(), 1);
    assert_eq!((a.sheets[0].dialect, a.sheets[0].rows), (Dialect::Rolo, contacts.len()));
    let rows = read_rows(&bytes, &a).unwrap();
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
        ("Friends", vec![Record { uid: "a", data: &contacts[0], groups: &both }, Record { uid: "b", data: &contacts[1], groups: &friends }]),
        ("Work/Projects", vec![Record { uid: "a", data: &contacts[0], groups: &both }]),
    ];
    let bytes = write_groups(Cursor::new(Vec::new()), sheets, Layout::Rolo, Columns::fit(&contacts)).unwrap().into_inner();
    let a = analyse(&bytes, None).unwrap();
    let names: Vec<&str> = a.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Friends", "Work_Projects"]);
    let rows = read_rows(&bytes, &a).unwrap();
    assert_eq!(rows.len(), 2, "the contact on two sheets is read once");
    let first = rows[0].as_ref().unwrap();
    assert_eq!((first.uid.as_deref(), &first.data), (Some("a"), &contacts[0]));
    assert_eq!(first.groups, both);
}

#[test]
fn broken_workbooks() {
    let e = analyse(&fixture("truncated.xlsx"), None).unwrap_err();
    assert!(matches!(e, ImportError::Spreadsheet(_)), "{e:?}");
    assert!(e.to_string().starts_with("The spreadsheet cannot be read: "), "{e}");
    assert!(matches!(analyse(&fixture("junk.bin"), None), Err(ImportError::Spreadsheet(_))));
    assert!(matches!(analyse(&fixture("google.csv"), None), Err(ImportError::Spreadsheet(_))));
}
