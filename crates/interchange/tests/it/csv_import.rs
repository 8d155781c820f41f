use domain::{Birthday, ExtraField, Label};
use interchange::csv::{analyse, read_rows, CsvOptions};
use interchange::{ColumnTarget, Dialect, ImportError, ImportedRow, RowResult};

use crate::fixture;

fn rows(bytes: &[u8]) -> Vec<RowResult> {
    let a = analyse(bytes, &CsvOptions::default()).unwrap();
    read_rows(bytes, &a).unwrap().collect()
}

fn ok(rows: &[RowResult]) -> Vec<&ImportedRow> {
    rows.iter().map(|r| r.as_ref().unwrap()).collect()
}

fn phones(r: &ImportedRow) -> Vec<(Label, &str)> {
    r.data.phones.iter().map(|p| (p.label.clone(), p.value.as_str())).collect()
}

#[test]
fn google_contacts_csv() {
    let bytes = fixture("google.csv");
    let a = analyse(&bytes, &CsvOptions::default()).unwrap();
    assert_eq!((a.encoding, a.delimiter, a.dialect), (encoding_rs::UTF_8, b',', Dialect::Google));
    let rows = rows(&bytes);
    let r = ok(&rows);
    assert_eq!(r.len(), 2);
    let g = r[0];
    assert_eq!(g.line, 2);
    assert_eq!(g.data.display_name, "Grace Hopper");
    assert_eq!((g.data.name.given.as_str(), g.data.name.family.as_str()), ("Grace", "Hopper"));
    assert_eq!(g.data.nickname, "Amazing Grace");
    assert_eq!((g.data.organization.as_str(), g.data.title.as_str()), ("US Navy", "Rear Admiral"));
    assert_eq!(g.data.birthday, Some(Birthday::parse("1906-12-09").unwrap()));
    assert_eq!(g.data.notes, "Wrote the first compiler.\nLoved nanoseconds, and wire.");
    assert_eq!(g.groups, ["Navy", "Pioneers"]);
    let emails: Vec<(Label, &str)> =
        g.data.emails.iter().map(|e| (e.label.clone(), e.value.as_str())).collect();
    assert_eq!(
        emails,
        [(Label::Work, "grace@navy.example.mil"), (Label::Home, "grace@home.example.net")]
    );
    assert_eq!(
        phones(g),
        [
            (Label::Mobile, "+1 202 555 0101"),
            (Label::Mobile, "+1 202 555 0102"),
            (Label::Custom("Work Fax".into()), "+1 202 555 0199")
        ]
    );
    let addr = &g.data.addresses[0];
    assert_eq!(addr.label, Label::Home);
    assert_eq!(
        [
            &addr.value.street,
            &addr.value.locality,
            &addr.value.region,
            &addr.value.postal_code,
            &addr.value.country
        ]
        .map(String::as_str),
        ["1 Ship Lane", "Arlington", "VA", "22201", "USA"]
    );
    assert_eq!(g.data.name.additional, "Brewster");
    assert_eq!(
        g.data.extra,
        [
            ExtraField {
                name: "Photo".into(),
                value: "https://photos.example.com/grace.jpg".into()
            },
            ExtraField { name: "Rank".into(), value: "Rear Admiral (lower half)".into() },
        ]
    );
    assert_eq!(a.mapping.columns[20], ColumnTarget::Ignore, "Address 1 - Formatted is derived");
    let ada = r[1];
    assert_eq!(ada.data.birthday, Some(Birthday::MonthDay { month: 12, day: 10 }));
    assert_eq!(phones(ada), [(Label::Home, "020 7946 0000")]);
    assert!(ada.groups.is_empty());
}

#[test]
fn outlook_csv() {
    let bytes = fixture("outlook.csv");
    let a = analyse(&bytes, &CsvOptions::default()).unwrap();
    assert_eq!(a.dialect, Dialect::Outlook);
    let rows = rows(&bytes);
    let r = ok(&rows);
    let t = r[0];
    assert_eq!(t.data.display_name, "Alan Turing");
    assert_eq!(t.data.organization, "Government Code and Cypher School");
    assert_eq!(t.data.title, "Cryptanalyst");
    assert_eq!(phones(t), [(Label::Work, "01908 640404"), (Label::Mobile, "07700 900123")]);
    assert_eq!(t.data.emails.len(), 2);
    assert_eq!(t.data.emails[1].value.as_str(), "turing@home.example.uk");
    assert_eq!(t.data.birthday, Some(Birthday::parse("1912-06-23").unwrap()));
    assert_eq!(t.groups, ["Colleagues", "Chess club"]);
    assert_eq!(t.data.addresses[0].label, Label::Work);
    assert_eq!(t.data.addresses[0].value.street, "Bletchley Park, The Mansion");
    assert_eq!(t.data.addresses[0].value.country, "United Kingdom");
    let extra: Vec<&str> = t.data.extra.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(extra, ["E-mail Display Name"]);
    // Outlook's "Web Page" is the contact's website.
    assert_eq!(t.data.websites.len(), 1, "{:?}", t.data.websites);
    // Outlook's "Title" is the honorific; middle name and department are fields of their own.
    assert_eq!((t.data.name.prefix.as_str(), t.data.name.additional.as_str()), ("Dr.", "Mathison"));
    assert_eq!(t.data.org_units, ["Hut 8"]);
    let j = r[1];
    assert_eq!(j.data.display_name, "Joan Clarke");
    assert_eq!(j.data.birthday, None, "0/0/00 is Outlook's empty date");
    assert_eq!(phones(j), [(Label::Home, "01223 000111")]);
    assert_eq!(j.data.addresses[0].label, Label::Home);
    assert_eq!(j.data.addresses[0].value.locality, "Cambridge");
}

#[test]
fn gbk_csv_with_chinese_headers() {
    let bytes = fixture("chinese_gbk.csv");
    let a = analyse(&bytes, &CsvOptions::default()).unwrap();
    assert_eq!((a.encoding, a.dialect), (encoding_rs::GBK, Dialect::Chinese));
    assert_eq!(a.headers[0], "姓名");
    let rows = rows(&bytes);
    let r = ok(&rows);
    let z = r[0];
    assert_eq!(z.data.display_name, "张伟");
    assert_eq!(phones(z), [(Label::Mobile, "138 0013 8000"), (Label::Other, "010-6552 9988")]);
    assert_eq!(z.data.emails[0].value.as_str(), "zhangwei@example.cn");
    assert_eq!(
        (z.data.organization.as_str(), z.data.title.as_str()),
        ("北京示例科技有限公司", "产品经理")
    );
    assert_eq!(z.data.addresses[0].value.street, "北京市朝阳区建国路88号");
    assert_eq!(z.data.birthday, Some(Birthday::parse("1985-03-09").unwrap()));
    assert_eq!(z.data.notes, "大学同学，爱打羽毛球");
    assert_eq!(z.groups, ["同学", "羽毛球"]);
    assert_eq!(z.data.extra, [ExtraField { name: "部门".into(), value: "产品部".into() }]);
    assert_eq!(r[1].data.birthday, Some(Birthday::parse("1990-11-02").unwrap()));
}

#[test]
fn utf16_tab_separated() {
    let bytes = fixture("utf16.csv");
    let a = analyse(&bytes, &CsvOptions::default()).unwrap();
    assert_eq!((a.encoding, a.delimiter), (encoding_rs::UTF_16LE, b'\t'));
    let rows = rows(&bytes);
    let r = ok(&rows);
    assert_eq!(r[0].data.display_name, "Maria Skłodowska-Curie");
    assert_eq!(phones(r[0]), [(Label::Mobile, "+33 1 40 46 00 00")]);
    assert_eq!(r[0].data.notes, "Deux prix Nobel");
    assert_eq!(r[1].data.display_name, "Αλέξανδρος Παπαδόπουλος");
    assert_eq!(r[1].data.emails[0].value.as_str(), "alex@example.gr");
}

#[test]
fn semicolons_and_overrides() {
    let input = "Name;Phone;Email\r\nAnn;+1 555 0100;ann@example.com\r\nBob;not a phone;bob@\r\n";
    let a = analyse(input.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!((a.delimiter, a.dialect), (b';', Dialect::Google));
    let rows = rows(input.as_bytes());
    assert_eq!(rows[0].as_ref().unwrap().data.display_name, "Ann");
    let e = rows[1].as_ref().unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(
        e.to_string(),
        "Line 3: Phone: “n” is not allowed in a phone number. Email: An email address looks like name@example.com."
    );

    // The caller can map a column differently (here: ignore the phone column).
    let mut a = analyse(input.as_bytes(), &CsvOptions::default()).unwrap();
    a.mapping.columns[1] = ColumnTarget::Ignore;
    a.mapping.columns[2] = ColumnTarget::Extra;
    let rows: Vec<RowResult> = read_rows(input.as_bytes(), &a).unwrap().collect();
    assert_eq!(
        rows[1].as_ref().unwrap().data.extra,
        [ExtraField { name: "Email".into(), value: "bob@".into() }]
    );
}

#[test]
fn broken_csv_files() {
    // Unbalanced quote: the rows before it are fine, the rest is one error.
    let rows = rows(&fixture("unbalanced_quotes.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].as_ref().unwrap().data.display_name, "Ann");
    let e = rows[1].as_ref().unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.reason.contains("never closed"), "{}", e.reason);

    let junk = analyse(&fixture("junk.bin"), &CsvOptions::default());
    assert!(matches!(junk, Err(ImportError::NotText { .. })), "{junk:?}");
    assert_eq!(junk.unwrap_err().to_string(), "This is not a CSV text file.");

    let xlsx = analyse(&fixture("truncated.xlsx"), &CsvOptions::default()).unwrap_err();
    assert_eq!(
        xlsx.to_string(),
        "This is not a CSV text file: it looks like an Excel workbook; import it as Excel."
    );

    let forced = CsvOptions { encoding: Some(encoding_rs::UTF_8), ..Default::default() };
    let wrong = analyse(&fixture("wrong_encoding.csv"), &forced).unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "The file is not valid UTF-8 text (line 1). Choose the file's encoding and try again."
    );
    // Detected instead, it reads.
    let bytes = fixture("wrong_encoding.csv");
    let a = analyse(&bytes, &CsvOptions::default()).unwrap();
    assert_eq!(a.encoding, encoding_rs::BIG5);
    let r: Vec<RowResult> = read_rows(&bytes, &a).unwrap().collect();
    assert_eq!(r[0].as_ref().unwrap().data.display_name, "陳大文");
    // GBK bytes read as Shift_JIS are not valid.
    let sjis = CsvOptions { encoding: Some(encoding_rs::SHIFT_JIS), ..Default::default() };
    assert!(matches!(
        analyse(&fixture("chinese_gbk.csv"), &sjis),
        Err(ImportError::Encoding { .. })
    ));
    assert!(matches!(analyse(b"\n\n", &CsvOptions::default()), Err(ImportError::Empty)));
}

#[test]
fn google_catalogue_columns_are_fields_of_their_own() {
    let csv = "Name,Website 1 - Type,Website 1 - Value,IM 1 - Type,IM 1 - Service,IM 1 - Value,\
               IM 2 - Type,IM 2 - Service,IM 2 - Value,Relation 1 - Type,Relation 1 - Value,\
               Event 1 - Type,Event 1 - Value,Event 2 - Type,Event 2 - Value\n\
               Ann Lee,* Work,ann.example.com,Home,Jabber,ann@example.com,Work,,nobody,Spouse,Bo Lee,\
               Anniversary,2004-08-15,Moved in,2010-01-02\n";
    let rows = rows(csv.as_bytes());
    let r = ok(&rows)[0];
    assert_eq!(r.data.websites[0].label, Label::Work);
    assert_eq!(r.data.websites[0].value.as_str(), "ann.example.com");
    assert_eq!(r.data.ims.len(), 1);
    assert_eq!(r.data.ims[0].value.as_str(), "xmpp:ann@example.com");
    assert_eq!(r.data.ims[0].label, Label::Home);
    assert_eq!(r.data.related[0].label, Label::Custom("spouse".into()));
    assert_eq!(r.data.related[0].value, "Bo Lee");
    assert_eq!(r.data.anniversary, Some(Birthday::parse("2004-08-15").unwrap()));
    // What Rolo has no field for is kept as written, by its column.
    let extra: Vec<(&str, &str)> =
        r.data.extra.iter().map(|x| (x.name.as_str(), x.value.as_str())).collect();
    assert_eq!(extra, [("IM 2 - Value", "nobody"), ("Event 2 - Value (Moved in)", "2010-01-02")]);
}

#[test]
fn a_bad_anniversary_or_website_is_reported_at_its_column() {
    let csv = "Name,Anniversary,Website\nAnn,31/31/2020,javascript:alert(1)\n";
    let rows = rows(csv.as_bytes());
    let err = rows[0].as_ref().unwrap_err();
    assert!(err.reason.contains("Anniversary:"), "{}", err.reason);
    assert!(err.reason.contains("Website:"), "{}", err.reason);
}
