use interchange::csv::{analyse, read_rows, CsvOptions, CsvWriter};
use interchange::{Columns, Dialect, ExportError, Layout, Record, RowResult};

use crate::sample;

fn export(layout: Layout, columns: Columns, groups: &[String]) -> Vec<u8> {
    let contacts = sample::contacts();
    let mut w = CsvWriter::new(Vec::new(), layout, columns).unwrap();
    for (i, data) in contacts.iter().enumerate() {
        w.write(&Record { uid: &format!("uid-{i}"), data, groups }).unwrap();
    }
    w.finish().unwrap()
}

fn import(bytes: &[u8]) -> (Dialect, Vec<RowResult>) {
    let a = analyse(bytes, &CsvOptions::default()).unwrap();
    (a.dialect, read_rows(bytes, &a).unwrap().collect())
}

#[test]
fn rolo_layout_round_trip() {
    let groups = vec!["Friends, old".to_string(), "同事".to_string()];
    let bytes = export(Layout::Rolo, Columns::default(), &groups);
    assert!(bytes.starts_with("\u{feff}UID,Display Name,Family Name,Given Name,".as_bytes()));
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Formula injection: guarded cells start with an apostrophe.
    assert!(text.contains(",'+86 138 0013 8000,"), "{text}");
    assert!(text.contains(",\"'@mention and +plus;"), "{text}");
    assert!(text.contains("\n=SUM(A1:A2)\""), "only a cell's start matters: {text}");
    assert!(text.contains(",''=cmd,"), "{text}");
    let (dialect, rows) = import(&bytes);
    assert_eq!(dialect, Dialect::Rolo);
    let contacts = sample::contacts();
    assert_eq!(rows.len(), contacts.len());
    for (i, (row, data)) in rows.iter().zip(&contacts).enumerate() {
        let row = row.as_ref().unwrap();
        assert_eq!(row.uid.as_deref(), Some(format!("uid-{i}").as_str()));
        assert_eq!(&row.data, data);
        assert_eq!(row.groups, groups);
    }
}

#[test]
fn google_layout_round_trip() {
    let bytes = export(Layout::Google, Columns::fit(&sample::contacts()), &["VIP".to_string()]);
    let (dialect, rows) = import(&bytes);
    assert_eq!(dialect, Dialect::Google);
    for (row, data) in rows.iter().zip(&sample::contacts()) {
        let row = row.as_ref().unwrap();
        assert_eq!(&row.data, data);
        assert_eq!(row.groups, ["VIP"]);
        assert_eq!(row.uid, None);
    }
}

#[test]
fn outlook_layout_keeps_what_fits_and_notes_the_rest() {
    let bytes = export(Layout::Outlook, Columns::default(), &[]);
    let (dialect, rows) = import(&bytes);
    assert_eq!(dialect, Dialect::Outlook);
    let zhang = rows[0].as_ref().unwrap();
    let contacts = sample::contacts();
    assert_eq!(zhang.data.phones.len(), 3);
    assert_eq!(zhang.data.phones[0].value, contacts[0].phones[0].value);
    assert_eq!(zhang.data.emails.len(), 2);
    assert!(
        zhang.data.notes.ends_with(
            "=SUM(A1:A2)\nBirthday: --02-29\nRelated (老师): 王老师\nWebsite (博客): zw.example.com\n\
             IM (other): skype:zhang.wei\nIM (work): xmpp:zw@example.cn"
        ),
        "{}",
        zhang.data.notes
    );
    // Spouse, Web Page and Anniversary have columns of their own.
    assert_eq!(zhang.data.related[..], contacts[0].related[..1]);
    assert_eq!(zhang.data.websites[0].value, contacts[0].websites[0].value);
    assert_eq!(zhang.data.anniversary, contacts[0].anniversary);
    let labels: Vec<&str> = zhang.data.addresses.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["home", "other"], "Outlook has no custom address labels");
    let ada = rows[1].as_ref().unwrap();
    assert_eq!(ada.data.birthday, contacts[1].birthday);
    assert_eq!(ada.data.phones.len(), 3);
}

#[test]
fn too_many_values_for_the_columns_is_an_error() {
    let contacts = sample::contacts();
    let mut w = CsvWriter::new(Vec::new(), Layout::Rolo, Columns::least()).unwrap();
    let err = w.write(&Record { uid: "u", data: &contacts[0], groups: &[] }).unwrap_err();
    assert!(matches!(err, ExportError::TooMany { count: 3, max: 1, .. }));
    assert_eq!(
        err.to_string(),
        "“张伟” has 3 phone numbers, but the export has columns for 1; export with more columns."
    );
}
