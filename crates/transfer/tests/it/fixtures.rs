//! Each interchange fixture imported into a store, with concrete values checked.

use domain::{Birthday, ContactId, ExtraField, Label};
use transfer::{Dialect, Format, ImportOptions, Outcome};

use crate::{fixture, Env};

fn phones(c: &domain::Contact) -> Vec<(Label, &str)> {
    c.data.phones.iter().map(|p| (p.label.clone(), p.value.as_str())).collect()
}

#[tokio::test]
async fn google_contacts_csv() {
    let env = Env::new().await;
    let r = env.import(&fixture("google.csv"), &ImportOptions::default()).await;
    assert_eq!(
        (r.format, r.encoding, r.dialect),
        (Format::Csv, Some(encoding_rs::UTF_8), Some(Dialect::Google))
    );
    assert_eq!((r.imported, r.updated, r.skipped, r.failed.len()), (2, 0, 0, 0));
    let g = env.named("Grace Hopper").await;
    assert_eq!(
        (g.data.nickname.as_str(), g.data.organization.as_str(), g.data.title.as_str()),
        ("Amazing Grace", "US Navy", "Rear Admiral")
    );
    assert_eq!(g.data.birthday, Some(Birthday::parse("1906-12-09").unwrap()));
    assert_eq!(
        phones(&g),
        [
            (Label::Mobile, "+1 202 555 0101"),
            (Label::Mobile, "+1 202 555 0102"),
            (Label::Custom("Work Fax".into()), "+1 202 555 0199")
        ]
    );
    assert_eq!(g.data.emails[0].value.as_str(), "grace@navy.example.mil");
    assert_eq!(g.data.addresses[0].value.postal_code, "22201");
    assert!(g
        .data
        .extra
        .contains(&ExtraField { name: "Rank".into(), value: "Rear Admiral (lower half)".into() }));
    let groups: Vec<(ContactId, Vec<String>)> =
        r.group_names().map(|(id, g)| (id, g.to_vec())).collect();
    assert_eq!(groups, [(g.id, vec!["Navy".to_string(), "Pioneers".to_string()])]);
    let ada = env.named("Ada Lovelace").await;
    assert_eq!(ada.data.birthday, Some(Birthday::MonthDay { month: 12, day: 10 }));
    assert_eq!(
        r.rows.iter().map(|r| (r.line, r.outcome)).collect::<Vec<_>>(),
        [(2, Outcome::Imported), (5, Outcome::Imported)]
    );
}

#[tokio::test]
async fn outlook_csv() {
    let env = Env::new().await;
    let r = env.import(&fixture("outlook.csv"), &ImportOptions::default()).await;
    assert_eq!((r.dialect, r.imported, r.failed.len()), (Some(Dialect::Outlook), 2, 0));
    let t = env.named("Alan Turing").await;
    assert_eq!(t.data.title, "Cryptanalyst");
    assert_eq!(phones(&t), [(Label::Work, "01908 640404"), (Label::Mobile, "07700 900123")]);
    assert_eq!(t.data.emails[1].value.as_str(), "turing@home.example.uk");
    assert_eq!(t.data.birthday, Some(Birthday::parse("1912-06-23").unwrap()));
    assert_eq!(t.data.addresses[0].value.street, "Bletchley Park, The Mansion");
    let j = env.named("Joan Clarke").await;
    assert_eq!(j.data.birthday, None);
    assert_eq!(j.data.addresses[0].value.locality, "Cambridge");
}

#[tokio::test]
async fn gbk_csv_with_chinese_headers() {
    let env = Env::new().await;
    let r = env.import(&fixture("chinese_gbk.csv"), &ImportOptions::default()).await;
    assert_eq!(
        (r.encoding, r.dialect, r.imported),
        (Some(encoding_rs::GBK), Some(Dialect::Chinese), 2)
    );
    let z = env.named("张伟").await;
    assert_eq!(phones(&z), [(Label::Mobile, "138 0013 8000"), (Label::Other, "010-6552 9988")]);
    assert_eq!(
        (z.data.organization.as_str(), z.data.title.as_str()),
        ("北京示例科技有限公司", "产品经理")
    );
    assert_eq!(z.data.birthday, Some(Birthday::parse("1985-03-09").unwrap()));
    assert_eq!(z.data.notes, "大学同学，爱打羽毛球");
    assert_eq!(z.data.extra, [ExtraField { name: "部门".into(), value: "产品部".into() }]);
    let row = r.rows.iter().find(|row| row.contact == Some(z.id)).unwrap();
    assert_eq!(row.groups, ["同学", "羽毛球"]);
    assert_eq!(env.named("李娜").await.data.birthday, Some(Birthday::parse("1990-11-02").unwrap()));
}

#[tokio::test]
async fn utf16_tab_separated_csv() {
    let env = Env::new().await;
    let r = env.import(&fixture("utf16.csv"), &ImportOptions::default()).await;
    assert_eq!((r.encoding, r.imported), (Some(encoding_rs::UTF_16LE), 2));
    let m = env.named("Maria Skłodowska-Curie").await;
    assert_eq!(phones(&m), [(Label::Mobile, "+33 1 40 46 00 00")]);
    assert_eq!(m.data.notes, "Deux prix Nobel");
    assert_eq!(
        env.named("Αλέξανδρος Παπαδόπουλος").await.data.emails[0].value.as_str(),
        "alex@example.gr"
    );
}

#[tokio::test]
async fn vcard_3_with_photo_custom_fields_and_uid() {
    let env = Env::new().await;
    let bytes = fixture("contacts_v30.vcf");
    let r = env.import(&bytes, &ImportOptions::default()).await;
    assert_eq!((r.format, r.imported, r.failed.len()), (Format::Vcard, 2, 0));
    let w = env.named("王小明").await;
    assert_eq!(
        w.id,
        ContactId::parse("7d1f8a52-2a43-4c55-9a53-0d6c2f3b9e01").unwrap(),
        "the UUID UID is the id"
    );
    assert_eq!(w.data.nickname, "明明");
    assert_eq!(phones(&w)[2], (Label::Custom("上海办公室".into()), "+86 21 5555 0000"));
    assert_eq!(w.data.notes, "喜欢爬山\n周末常去香山, 也去长城; 带相机");
    let extra: Vec<&str> = w.data.extra.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(extra, ["X-WECHAT-ID", "CATEGORIES"]);
    // The website and the Skype name are fields of their own.
    assert_eq!(w.data.websites.len(), 1);
    assert_eq!(w.data.ims[0].value.as_str(), "skype:xiaoming.skype");
    assert_eq!(
        w.data.photo.as_ref().map(|p| p.media_type()),
        Some("image/png"),
        "the photo is typed"
    );
    assert_eq!(w.data.org_units.len(), 1, "ORG units are typed");
    let first = &r.rows[0];
    assert_eq!(
        (first.line, first.groups.as_slice()),
        (1, ["朋友".to_string(), "同事".to_string()].as_slice())
    );
    let second_begin = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "BEGIN:VCARD")
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert_eq!(r.rows[1].line, second_begin);
    let l = env.named("Linus Example").await;
    assert!(l.data.phones.is_empty());
    assert!(
        l.data.extra.iter().any(|x| x.name == "TEL" && x.value.contains("not a number")),
        "{:?}",
        l.data.extra
    );
}

#[tokio::test]
async fn vcard_2_1_quoted_printable() {
    let env = Env::new().await;
    let r = env.import(&fixture("contacts_v21.vcf"), &ImportOptions::default()).await;
    assert_eq!((r.imported, r.failed.len()), (2, 0));
    let c = env.named("陈静").await;
    assert_eq!(phones(&c), [(Label::Mobile, "13812345678"), (Label::Home, "0755-8888 9999")]);
    assert_eq!(c.data.birthday, Some(Birthday::MonthDay { month: 4, day: 17 }));
    assert!(c.data.notes.starts_with("第一行\n第二行"), "{:?}", c.data.notes);
    let j = env.named("Jane Doe").await;
    assert_eq!(j.data.emails[0].value.as_str(), "jane@example.com");
}

#[tokio::test]
async fn preview_shows_what_will_be_imported_and_writes_nothing() {
    let env = Env::new().await;
    let p = transfer::preview(&fixture("chinese_gbk.csv"), &ImportOptions::default(), 1).unwrap();
    assert_eq!(
        (p.format, p.encoding, p.delimiter, p.dialect),
        (Format::Csv, Some(encoding_rs::GBK), Some(b','), Some(Dialect::Chinese))
    );
    assert_eq!(p.headers[..3], ["姓名", "手机", "电话"]);
    assert_eq!(p.mapping.as_ref().unwrap().columns.len(), p.headers.len());
    assert_eq!((p.total_rows, p.rows.len()), (2, 1));
    let row = p.rows[0].as_ref().unwrap();
    assert_eq!((row.line, row.data.display_name.as_str()), (2, "张伟"));

    let p = transfer::preview(&fixture("broken.vcf"), &ImportOptions::default(), 10).unwrap();
    assert_eq!((p.format, p.total_rows), (Format::Vcard, 3));
    let lines: Vec<(usize, bool)> = p
        .rows
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| (e.line, false), |r| (r.line, true)))
        .collect();
    assert_eq!(lines, [(1, false), (2, true), (7, false), (11, false)]);
    assert_eq!(env.store.count_contacts(env.account).await.unwrap(), 0);
}
