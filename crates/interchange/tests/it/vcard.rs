use domain::{Birthday, ExtraField, Label};
use interchange::vcard::{parse_vcards, write_vcard, VcardVersion};

use crate::{fixture, sample};

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

#[test]
fn round_trip_keeps_contact_data() {
    for version in [VcardVersion::V3, VcardVersion::V4] {
        for (i, data) in sample::contacts().into_iter().enumerate() {
            let uid = format!("uid-{i}");
            let card = write_vcard(&uid, &data, version);
            let parsed = parse_vcards(&card);
            assert_eq!(parsed.len(), 1, "{card}");
            let parsed =
                parsed.into_iter().next().unwrap().unwrap_or_else(|e| panic!("{e}\n{card}"));
            assert_eq!(parsed.uid.as_deref(), Some(uid.as_str()));
            assert_eq!(parsed.data, data, "{version:?}\n{card}");
            // And again: a written card reads back and writes the same text.
            assert_eq!(write_vcard(&uid, &parsed.data, version), card);
        }
    }
}

#[test]
fn many_cards_in_one_file() {
    let file: String = sample::contacts()
        .iter()
        .enumerate()
        .map(|(i, d)| write_vcard(&i.to_string(), d, VcardVersion::V3))
        .collect();
    let cards = parse_vcards(&file);
    assert_eq!(cards.len(), 5);
    assert!(cards.iter().all(Result::is_ok));
}

#[test]
fn reads_a_vcard_3_file_with_photo_and_custom_fields() {
    let cards = parse_vcards(&text("contacts_v30.vcf"));
    assert_eq!(cards.len(), 2);
    let c = cards[0].as_ref().unwrap();
    assert_eq!(c.uid.as_deref(), Some("7d1f8a52-2a43-4c55-9a53-0d6c2f3b9e01"));
    let d = &c.data;
    assert_eq!(d.display_name, "王小明");
    assert_eq!((d.name.family.as_str(), d.name.given.as_str()), ("王", "小明"));
    assert_eq!(d.nickname, "明明");
    assert_eq!(d.organization, "示例网络公司");
    assert_eq!(d.title, "工程师");
    let phones: Vec<(Label, &str)> =
        d.phones.iter().map(|p| (p.label.clone(), p.value.as_str())).collect();
    assert_eq!(
        phones,
        [
            (Label::Mobile, "+86 138 0000 1111"),
            (Label::Work, "+86 10 8888 6666"),
            (Label::Custom("上海办公室".into()), "+86 21 5555 0000"),
        ]
    );
    assert_eq!(d.emails[0].label, Label::Home);
    assert_eq!(d.emails[0].value.as_str(), "xiaoming@example.cn");
    let a = &d.addresses[0];
    assert_eq!(a.label, Label::Work);
    assert_eq!(
        [
            &a.value.street,
            &a.value.locality,
            &a.value.region,
            &a.value.postal_code,
            &a.value.country
        ]
        .map(String::as_str),
        ["中关村大街1号", "北京", "北京市", "100080", "中国"]
    );
    assert_eq!(d.birthday, Some(Birthday::parse("1992-08-15").unwrap()));
    assert_eq!(
        (d.organization.as_str(), d.org_units.as_slice()),
        ("示例网络公司", &["研发部".to_string()][..])
    );
    assert_eq!(d.notes, "喜欢爬山\n周末常去香山, 也去长城; 带相机");
    let photo = d.photo.as_ref().expect("the photo is the contact's");
    assert_eq!(photo.media_type(), "image/png");
    assert!(photo.base64().starts_with("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"));
    // The website and the Apple-style Skype name are fields of their own.
    assert_eq!(d.websites[0].value.as_str(), "https://xiaoming.example.cn");
    assert_eq!(d.ims[0].value.as_str(), "skype:xiaoming.skype");
    let extra: Vec<(&str, &str)> =
        d.extra.iter().map(|x| (x.name.as_str(), x.value.as_str())).collect();
    assert_eq!(
        extra,
        [
            ("X-WECHAT-ID", "X-WECHAT-ID;TYPE=personal:wxid_xiaoming"),
            ("CATEGORIES", "CATEGORIES:朋友,同事"),
        ]
    );

    // The second card's invalid phone is kept, not dropped.
    let d = &cards[1].as_ref().unwrap().data;
    assert!(d.phones.is_empty());
    assert_eq!(
        d.extra[0],
        ExtraField { name: "TEL".into(), value: "TEL;TYPE=HOME:not a number".into() }
    );
    assert_eq!(d.extra[1].name, "X-CUSTOM-FIELD");
    assert!(d.extra[1].value.ends_with("more than one line"), "{}", d.extra[1].value);

    // Written back, the kept lines come out again (folded), in either version.
    for version in [VcardVersion::V3, VcardVersion::V4] {
        let card = write_vcard("x", &cards[0].as_ref().unwrap().data, version);
        let unfolded = card.replace("\r\n ", "");
        assert!(unfolded.contains("\r\nX-WECHAT-ID;TYPE=personal:wxid_xiaoming\r\n"), "{card}");
        assert!(
            unfolded.contains("\r\nORG:示例网络公司;研发部\r\n")
                || unfolded.contains("\r\nORG;CHARSET=UTF-8:示例网络公司;研发部\r\n"),
            "{card}"
        );
        assert!(card.lines().all(|l| l.len() <= 76), "{card}");
        let again = parse_vcards(&card).remove(0).unwrap();
        assert_eq!(again.data.phones, cards[0].as_ref().unwrap().data.phones);
        assert_eq!(again.data.organization, "示例网络公司");
    }
    let v4 =
        write_vcard("x", &cards[0].as_ref().unwrap().data, VcardVersion::V4).replace("\r\n ", "");
    // A photo in vCard 4 is a data URI, never text-escaped.
    assert!(v4.contains("PHOTO:data:image/png;base64,iVBORw0KGgo"), "{v4}");
    assert!(!v4.contains("base64\\,"), "{v4}");
    let v3 =
        write_vcard("x", &cards[0].as_ref().unwrap().data, VcardVersion::V3).replace("\r\n ", "");
    assert!(v3.contains("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo"), "{v3}");
}

#[test]
fn reads_vcard_2_1_quoted_printable() {
    let cards = parse_vcards(&text("contacts_v21.vcf"));
    assert_eq!(cards.len(), 2);
    let d = &cards[0].as_ref().unwrap().data;
    assert_eq!(d.display_name, "陈静");
    assert_eq!((d.name.family.as_str(), d.name.given.as_str()), ("陈", "静"));
    assert_eq!(d.phones[0].label, Label::Mobile);
    assert_eq!(d.phones[0].value.as_str(), "13812345678");
    assert_eq!(d.phones[1].label, Label::Home);
    assert_eq!(d.notes, "第一行\n第二行 soft break joined");
    assert_eq!(d.birthday, Some(Birthday::MonthDay { month: 4, day: 17 }));
    assert_eq!(d.extra.len(), 1);
    assert_eq!(d.extra[0].name, "X-ANDROID-CUSTOM");

    let d = &cards[1].as_ref().unwrap().data;
    assert_eq!(d.display_name, "Jane Doe");
    // `WORK;FAX`: the label is "work"; the line keeps `FAX`.
    assert_eq!(d.phones[0].label, Label::Work);
    assert!(d.card.as_ref().unwrap().lines.iter().any(|l| l.starts_with("TEL;TYPE=WORK,FAX:")));
    assert_eq!(d.emails[0].label, Label::Other);
}

#[test]
fn broken_files_give_errors_not_panics() {
    let cards = parse_vcards(&text("broken.vcf"));
    let summary: Vec<Result<&str, (usize, usize)>> = cards
        .iter()
        .map(|c| c.as_ref().map(|c| c.data.display_name.as_str()).map_err(|e| (e.card, e.line)))
        .collect();
    assert_eq!(summary, [Err((1, 1)), Ok("Good One"), Err((3, 7)), Err((4, 11))]);
    let last = cards[3].as_ref().unwrap_err().to_string();
    assert_eq!(last, "Card 4 (line 11): the card has no END:VCARD line; the file may be cut short");

    let junk = String::from_utf8_lossy(&fixture("junk.bin")).into_owned();
    let cards = parse_vcards(&junk);
    assert!(!cards.is_empty() && cards.iter().all(Result::is_err));
    assert!(parse_vcards("").is_empty());
}
