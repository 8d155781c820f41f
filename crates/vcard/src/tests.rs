use domain::{Birthday, Card, CardVersion, ContactData, Label};

use crate::*;

fn one(text: &str) -> ParsedCard {
    let mut cards = parse_vcards(text);
    assert_eq!(cards.len(), 1, "{cards:?}");
    cards.remove(0).unwrap()
}

fn card(lines: &[&str]) -> String {
    let mut s = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
    for l in lines {
        line::push_folded(&mut s, l);
    }
    s.push_str("END:VCARD\r\n");
    s
}

const IOS: &[&str] = &[
    "PRODID:-//Apple Inc.//iPhone OS 17.0//EN",
    "N:Appleseed;John;Q.;Dr.;Jr.",
    "FN:Dr. John Q. Appleseed Jr.",
    "ORG:Acme;Sales;",
    "item1.EMAIL;type=INTERNET;type=HOME;type=pref:john@example.com",
    "TEL;type=CELL;type=VOICE;type=pref:+1 555 0100",
    "TEL;TYPE=FAX:+1 555 0101",
    "item2.TEL:+1 555 0102",
    "item2.X-ABLabel:Grandma's landline",
    "item3.ADR;type=HOME;type=pref:PO 7;Suite 2821\\, 2822;1 Loop;Cupertino;CA;95014;USA",
    "item3.X-ABADR:us",
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-02",
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ==",
    "UID:8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F",
];

#[test]
fn a_card_comes_back_as_written() {
    let text = card(IOS);
    let p = one(&text);
    assert_eq!(p.uid.as_deref(), Some("8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F"));
    assert_eq!(write_vcard("ignored", &p.data, VcardVersion::V3), text);
}

#[test]
fn the_typed_view_keeps_components_apart() {
    let d = one(&card(IOS)).data;
    assert_eq!(
        (d.name.family.as_str(), d.name.given.as_str(), d.name.additional.as_str()),
        ("Appleseed", "John", "Q.")
    );
    assert_eq!((d.name.prefix.as_str(), d.name.suffix.as_str()), ("Dr.", "Jr."));
    assert_eq!(d.organization, "Acme");
    assert_eq!(d.org_units, ["Sales"]);
    let a = &d.addresses[0].value;
    assert_eq!((a.po_box.as_str(), a.extended.as_str()), ("PO 7", "Suite 2821, 2822"));
    assert_eq!((a.street.as_str(), a.locality.as_str()), ("1 Loop", "Cupertino"));
    assert_eq!(d.phones[0].label, Label::Mobile);
    assert_eq!(d.phones[1].label, Label::Custom("fax".into()));
    assert_eq!(d.phones[2].label, Label::Custom("Grandma's landline".into()));
    assert_eq!(d.emails[0].label, Label::Home);
    assert_eq!(d.birthday, Some(Birthday::MonthDay { month: 3, day: 2 }));
    let extra: Vec<&str> = d.extra.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(extra, ["X-ABADR"]);
    let photo = d.photo.expect("the inline photo is typed");
    assert_eq!((photo.media_type(), photo.base64()), ("image/jpeg", "/9j/4AAQSkZJRgABAQ=="));
}

#[test]
fn photos_are_typed_set_replaced_and_removed_in_their_line() {
    let text = card(IOS);
    let mut d = one(&text).data;
    let png = domain::Photo::parse("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==").unwrap();
    d.photo = Some(png.clone());
    let previous = d.card.take();
    reconcile(&mut d, previous.as_ref());
    let lines = &d.card.as_ref().unwrap().lines;
    let before = &previous.as_ref().unwrap().lines;
    let at = before.iter().position(|l| l.starts_with("PHOTO")).unwrap();
    assert_eq!(lines[at], "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAAANSUhEUg==");
    assert_eq!(lines.len(), before.len());
    for (i, (a, b)) in lines.iter().zip(before).enumerate() {
        assert!(i == at || a == b, "line {i} changed: {a}");
    }
    // Read back from its own text, and in vCard 4.0 as a data: URL.
    let v3 = write_vcard("u", &d, VcardVersion::V3);
    assert_eq!(one(&v3).data.photo.as_ref(), Some(&png));
    let v4 = write_vcard("u", &d, VcardVersion::V4);
    assert!(v4.contains("PHOTO:data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\r\n"), "{v4}");
    assert_eq!(one(&v4).data.photo.as_ref(), Some(&png));
    // Removed: the line goes, nothing else.
    d.photo = None;
    let previous = d.card.take();
    reconcile(&mut d, previous.as_ref());
    let lines = &d.card.as_ref().unwrap().lines;
    assert_eq!(lines.len(), before.len() - 1);
    assert!(!lines.iter().any(|l| l.starts_with("PHOTO")), "{lines:?}");
    // A contact without a card gets its photo written from its fields.
    let fresh =
        ContactData { display_name: "New".into(), photo: Some(png.clone()), ..Default::default() };
    let v4 = write_vcard("u", &fresh, VcardVersion::V4);
    assert_eq!(one(&v4).data.photo.as_ref(), Some(&png), "{v4}");
}

#[test]
fn photos_by_reference_or_of_other_types_stay_lines() {
    for line in [
        "PHOTO;VALUE=uri:https://example.com/me.jpg",
        "PHOTO:data:image/svg+xml;base64,PHN2Zz4=",
        "PHOTO;ENCODING=b;TYPE=TIFF:SUkqAAgAAAA=",
        "PHOTO;ENCODING=b:AAEC",
    ] {
        let d = one(&card(&["FN:x", line])).data;
        assert_eq!(d.photo, None, "{line}");
        assert_eq!(d.extra.len(), 1, "{line}");
    }
    // Without a type, the bytes tell it.
    let d = one(&card(&["FN:x", "PHOTO;ENCODING=BASE64:/9j/4AAQ"])).data;
    assert_eq!(d.photo.map(|p| p.media_type().to_string()).as_deref(), Some("image/jpeg"));
}

#[test]
fn an_edit_changes_only_its_line() {
    let text = card(IOS);
    let mut d = one(&text).data;
    d.phones[0].value = domain::Phone::parse("+1 555 0199").unwrap();
    d.title = "CEO".into();
    let previous = d.card.clone();
    d.card = None;
    reconcile(&mut d, previous.as_ref());
    let out = write_vcard("x", &d, VcardVersion::V3);
    let mut lines = IOS.to_vec();
    lines[5] = "TEL;type=CELL;type=VOICE;type=pref:+1 555 0199";
    lines.push("TITLE:CEO");
    let want = card(&lines);
    assert_eq!(out, want);
}

#[test]
fn a_relabel_keeps_the_how_types() {
    let mut d = one(&card(IOS)).data;
    d.phones[0].label = Label::Work;
    d.phones[2].label = Label::Home;
    d.card = {
        let prev = d.card.take();
        reconcile(&mut d, prev.as_ref());
        d.card.take()
    };
    let lines = &d.card.as_ref().unwrap().lines;
    assert!(lines.contains(&"TEL;TYPE=work,voice,pref:+1 555 0100".to_string()), "{lines:?}");
    assert!(lines.contains(&"item2.TEL;TYPE=home:+1 555 0102".to_string()), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("Grandma")), "{lines:?}");
    let back = typed(d.card.as_ref().unwrap());
    assert_eq!(back.phones[0].label, Label::Work);
    assert_eq!(back.phones[2].label, Label::Home);
}

#[test]
fn removing_and_adding_entries() {
    let mut d = one(&card(IOS)).data;
    d.phones.remove(2);
    d.phones.push(domain::Labeled {
        pref: false,
        label: Label::Custom("Boat".into()),
        value: domain::Phone::parse("+1 555 0177").unwrap(),
    });
    let prev = d.card.take();
    reconcile(&mut d, prev.as_ref());
    let c = d.card.clone().unwrap();
    let back = typed(&c);
    assert_eq!(back.phones.len(), 3);
    assert_eq!(back.phones[2].label, Label::Custom("Boat".into()));
    assert!(!c.lines.iter().any(|l| l.contains("Grandma") || l.contains("0102")), "{:?}", c.lines);
    let mut again = back.clone();
    again.groups = d.groups.clone();
    assert!(same_typed(&back, &d));
}

#[test]
fn a_new_contact_gets_a_card() {
    let data = ContactData {
        display_name: "Ada".into(),
        name: domain::StructuredName {
            family: "Lovelace".into(),
            given: "Ada".into(),
            ..Default::default()
        },
        birthday: Some(Birthday::MonthDay { month: 12, day: 10 }),
        notes: "a;b,c\nd".into(),
        ..Default::default()
    };
    let v3 = write_vcard("u1", &data, VcardVersion::V3);
    assert_eq!(
        v3,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ada\r\nN:Lovelace;Ada;;;\r\n\
         BDAY;X-APPLE-OMIT-YEAR=1604:1604-12-10\r\nNOTE:a\\;b\\,c\\nd\r\nEND:VCARD\r\n"
    );
    let v4 = write_vcard("u1", &data, VcardVersion::V4);
    assert!(v4.contains("BDAY:--1210\r\n"), "{v4}");
    let back = one(&v4).data;
    assert!(same_typed(&back, &data));
}

#[test]
fn photos_convert_between_versions_without_escaping() {
    let p = one(&card(IOS));
    let v4 = write_vcard("x", &p.data, VcardVersion::V4);
    assert!(v4.contains("PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==\r\n"), "{v4}");
    assert!(v4.contains("BDAY:--0302\r\n"), "{v4}");
    assert!(v4.contains("TEL;TYPE=cell,voice;PREF=1:+1 555 0100"), "{v4}");
    let back = one(&v4);
    let v3 = write_vcard("x", &back.data, VcardVersion::V3);
    assert!(v3.contains("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ==\r\n"), "{v3}");
    assert!(v3.contains("BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-02\r\n"), "{v3}");
    // Bytes that are no image stay bytes.
    let odd = one(&card(&["FN:x", "PHOTO;ENCODING=b:AAEC"]));
    let v4 = write_vcard("x", &odd.data, VcardVersion::V4);
    assert!(v4.contains("PHOTO:data:application/octet-stream;base64,AAEC\r\n"), "{v4}");
    let v3 = write_vcard("x", &one(&v4).data, VcardVersion::V3);
    assert!(v3.contains("PHOTO;ENCODING=b:AAEC\r\n"), "{v3}");
}

#[test]
fn vcard_21_reads_as_30() {
    let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=en-us:M\u{fc}ller;Anna\r\nFN:Anna\r\nTEL;WORK;VOICE:+49 30 1234\r\n\
        NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=utf-8:caf=C3=A9 =\r\nau lait\r\n\
        PHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n /9j/4AAQ\r\n SkZJRg==\r\n\r\nEND:VCARD\r\n";
    let p = one(text);
    let c = p.data.card.as_ref().unwrap();
    assert_eq!(c.version, CardVersion::V3);
    assert_eq!(
        c.lines,
        [
            "N;LANGUAGE=en-us:Müller;Anna",
            "FN:Anna",
            "TEL;TYPE=WORK,VOICE:+49 30 1234",
            "NOTE:café au lait",
            "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg==",
        ]
    );
    assert_eq!(p.data.phones[0].label, Label::Work);
    assert_eq!(p.data.notes, "café au lait");
}

#[test]
fn errors_name_the_card_and_line() {
    let cards = parse_vcards(
        "garbage\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:only a note\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:a\r\nnot a property\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:cut",
    );
    assert_eq!(cards.len(), 4);
    let errs: Vec<(usize, usize)> =
        cards.iter().map(|c| c.as_ref().map_err(|e| (e.card, e.line)).unwrap_err()).collect();
    assert_eq!(errs, [(1, 1), (2, 2), (3, 8), (4, 10)]);
    assert!(cards[1].as_ref().unwrap_err().reason.contains("at least a name"));
    assert!(cards[2].as_ref().unwrap_err().reason.contains("not a vCard property"));
}

#[test]
fn group_memberships_round_trip_outside_the_card() {
    let g = domain::GroupId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f99").unwrap();
    let data = ContactData { display_name: "A".into(), groups: vec![g], ..Default::default() };
    for v in [VcardVersion::V3, VcardVersion::V4] {
        let out = write_vcard("u", &data, v);
        assert!(out.contains("X-ROLO-GROUP:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f99\r\n"), "{out}");
        let back = one(&out).data;
        assert_eq!(back.groups, vec![g]);
        assert!(!back.card.unwrap().lines.iter().any(|l| l.contains("ROLO-GROUP")));
    }
}

#[test]
fn extra_fields_without_a_property_are_rolo_fields() {
    let data = ContactData {
        display_name: "A".into(),
        extra: vec![domain::ExtraField {
            name: "Website \"main\"".into(),
            value: "x;y,z\nw".into(),
        }],
        ..Default::default()
    };
    let out = write_vcard("u", &data, VcardVersion::V3);
    assert!(out.contains("X-ROLO-FIELD;X-NAME=\"Website ^'main^'\":x\\;y\\,z\\nw"), "{out}");
    assert_eq!(one(&out).data.extra, data.extra);
}

#[test]
fn long_lines_fold_on_characters() {
    let data = ContactData { display_name: "诸葛".repeat(40), ..Default::default() };
    let out = write_vcard("u", &data, VcardVersion::V4);
    assert!(out.split("\r\n").all(|l| l.len() <= 75), "{out}");
    assert_eq!(one(&out).data.display_name, data.display_name);
}

#[test]
fn card_rules() {
    let ok = Card { version: CardVersion::V3, lines: vec!["FN:a".into()] };
    assert!(ok.check().is_ok());
    for bad in ["no colon", "VERSION:4.0", "FN:a\nb", "FN:\u{0}", ":x"] {
        let c = Card { version: CardVersion::V3, lines: vec![bad.into()] };
        assert!(c.check().is_err(), "{bad:?}");
    }
}

#[test]
fn a_fold_never_ends_a_physical_line_with_an_equals_sign() {
    // A quoted-printable value whose `=` falls at the 75th octet: folded after it, the `=`
    // would read back as a soft break and be lost.
    for pad in 0..4 {
        for run in 1..4 {
            let value = format!("{}{}A", "a".repeat(50 + pad), "=".repeat(run));
            let line = format!("NOTE;ENCODING=QUOTED-PRINTABLE:{value}");
            let lines = vec!["UID:u".to_string(), line, "FN:x".to_string()];
            let kept = Card { version: CardVersion::V3, lines };
            let data = ContactData { card: Some(kept.clone()), ..Default::default() };
            let out = write_vcard("u", &data, VcardVersion::V3);
            assert!(out.split("\r\n").all(|l| l.len() <= 75 && !l.ends_with('=')), "{out}");
            assert_eq!(one(&out).data.card.as_ref(), Some(&kept), "{out}");
        }
    }
    // A line of nothing but `=` still folds (and cannot avoid it).
    let mut s = String::new();
    line::push_folded(&mut s, &"=".repeat(200));
    assert!(s.split("\r\n").all(|l| l.len() <= 75), "{s}");
}

#[test]
fn preferred_marks_are_read_and_set_in_their_line() {
    let d = one(&card(IOS)).data;
    assert_eq!(d.phones.iter().map(|p| p.pref).collect::<Vec<_>>(), [true, false, false]);
    assert!(d.emails[0].pref && d.addresses[0].pref);
    // The mark moves from the first phone to the second: only those two lines change.
    let mut e = d.clone();
    e.phones[0].pref = false;
    e.phones[1].pref = true;
    let previous = e.card.take();
    reconcile(&mut e, previous.as_ref());
    let before = &previous.as_ref().unwrap().lines;
    let lines = &e.card.as_ref().unwrap().lines;
    let changed: Vec<(&String, &String)> =
        before.iter().zip(lines).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(changed[0].1, "TEL;TYPE=cell,voice:+1 555 0100");
    assert_eq!(changed[1].1, "TEL;TYPE=fax,pref:+1 555 0101");
    let back = one(&write_vcard("u", &e, VcardVersion::V3)).data;
    assert_eq!(back.phones.iter().map(|p| p.pref).collect::<Vec<_>>(), [false, true, false]);
    // In vCard 4.0 the mark is PREF=1, read back the same.
    let v4 = write_vcard("u", &e, VcardVersion::V4);
    let back = one(&v4).data;
    assert_eq!(
        back.phones.iter().map(|p| p.pref).collect::<Vec<_>>(),
        [false, true, false],
        "{v4}"
    );
    // A new preferred email in a 4.0 card gets PREF=1.
    let mut f = one(&card(&["FN:x"])).data;
    f.card = Some(Card { version: CardVersion::V4, lines: vec!["FN:x".into()] });
    let previous = f.card.take();
    f.emails.push(domain::Labeled {
        label: Label::Work,
        value: domain::Email::parse("a@b.c").unwrap(),
        pref: true,
    });
    reconcile(&mut f, previous.as_ref());
    assert!(
        f.card.as_ref().unwrap().lines.contains(&"EMAIL;PREF=1;TYPE=work:a@b.c".to_string()),
        "{:?}",
        f.card
    );
}

#[test]
fn a_photo_value_of_any_text_is_read_without_panicking() {
    for line in ["PHOTO:dat€:x", "PHOTO:ñata:image/png;base64,AAAA", "PHOTO;ENCODING=b;TYPE=€:AAAA"]
    {
        assert_eq!(one(&card(&["FN:x", line])).data.photo, None, "{line}");
    }
}

#[test]
fn a_relabel_leaves_the_labels_of_a_shared_property_group_alone() {
    // Two properties in one group with one Apple label: relabelling the address must not
    // relabel the email.
    let mut d = one(&card(&[
        "FN:x",
        "item1.ADR:;;1 St;;;;",
        "item1.EMAIL:a@b.c",
        "item1.X-ABLabel:Office",
    ]))
    .data;
    assert_eq!(
        (d.addresses[0].label.clone(), d.emails[0].label.clone()),
        (Label::Custom("Office".into()), Label::Custom("Office".into()))
    );
    d.addresses[0].label = Label::Custom("Cabin".into());
    let previous = d.card.take();
    reconcile(&mut d, previous.as_ref());
    let back = crate::typed(d.card.as_ref().unwrap());
    assert_eq!(back.addresses[0].label, Label::Custom("Cabin".into()), "{:?}", d.card);
    assert_eq!(back.emails[0].label, Label::Custom("Office".into()), "{:?}", d.card);
    // Relabelled to a vCard type, it leaves the group whose Apple label named it.
    let mut d =
        one(&card(&["FN:x", "item1.ORG:Acme", "item1.TEL:+1 555 0100", "item1.X-ABLabel:"])).data;
    assert_eq!(d.phones[0].label, Label::Other);
    d.phones[0].label = Label::Home;
    let previous = d.card.take();
    reconcile(&mut d, previous.as_ref());
    assert_eq!(crate::typed(d.card.as_ref().unwrap()).phones[0].label, Label::Home, "{:?}", d.card);
    // Marks set and cleared on lines of any form.
    for line in [
        "ADR;TYPE=home,pref:;;1 St;;;;",
        "ADR;TYPE=home;TYPE=pref:;;1 St;;;;",
        "ADR;HOME;PREF:;;1 St;;;;",
        "ADR;PREF=1;TYPE=home:;;1 St;;;;",
    ] {
        let mut d = one(&card(&["FN:x", line])).data;
        assert!(d.addresses[0].pref, "{line}");
        d.addresses[0].label = Label::Work;
        d.addresses[0].pref = false;
        let previous = d.card.take();
        reconcile(&mut d, previous.as_ref());
        let back = crate::typed(d.card.as_ref().unwrap());
        assert_eq!(
            (back.addresses[0].label.clone(), back.addresses[0].pref),
            (Label::Work, false),
            "{line}: {:?}",
            d.card
        );
    }
}
