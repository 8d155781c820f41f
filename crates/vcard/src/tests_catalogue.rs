//! Websites, instant messaging, related people and anniversaries: read from 3.0 (Apple) and
//! 4.0 cards, written back line for line, edited and reordered in their lines.

use domain::{Birthday, Card, CardVersion, ContactData, Im, Label, Labeled, Website};

use crate::*;

fn text(version: &str, lines: &[&str]) -> String {
    let mut s = format!("BEGIN:VCARD\r\nVERSION:{version}\r\n");
    for l in lines {
        line::push_folded(&mut s, l);
    }
    s.push_str("END:VCARD\r\n");
    s
}

fn one(t: &str) -> ContactData {
    let mut cards = parse_vcards(t);
    assert_eq!(cards.len(), 1);
    cards.remove(0).unwrap().data
}

/// Writes `d` after an edit, as the store does (the card before it as the base).
fn saved(mut d: ContactData, version: VcardVersion) -> (ContactData, String) {
    let prev = d.card.take();
    reconcile(&mut d, prev.as_ref());
    let out = write_vcard("x", &d, version);
    (d, out)
}

const APPLE: &[&str] = &[
    "PRODID:-//Apple Inc.//macOS 14.0//EN",
    "N:Lee;Ann;;;",
    "FN:Ann Lee",
    "TEL;type=CELL;type=VOICE;type=pref:+1 555 0100",
    "item1.URL;type=pref:https://ann.example.com/",
    "item1.X-ABLabel:_$!<HomePage>!$_",
    "URL;type=WORK:example.org/ann",
    "item2.IMPP;X-SERVICE-TYPE=Skype;type=HOME;type=pref:skype:ann.lee",
    "X-JABBER;type=WORK:ann@jabber.example.com",
    "X-AIM:annlee",
    "item3.X-ABRELATEDNAMES;type=pref:Bo Lee",
    "item3.X-ABLabel:_$!<Spouse>!$_",
    "item4.X-ABRELATEDNAMES:Cy Lee",
    "item4.X-ABLabel:_$!<Child>!$_",
    "item5.X-ABDATE;type=pref:2004-08-15",
    "item5.X-ABLabel:_$!<Anniversary>!$_",
    "item6.X-ABDATE:2010-01-02",
    "item6.X-ABLabel:Moved in",
    "UID:2B1C-APPLE",
];

const V4: &[&str] = &[
    "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
    "FN:Ann Lee",
    "N:Lee;Ann;;;",
    "URL;TYPE=home;PREF=1:https://ann.example.com/",
    "URL:http://blog.example.net/ann?x=1",
    "IMPP;TYPE=work:xmpp:ann@example.com",
    "IMPP;PREF=1:sip:ann@voip.example.com",
    "RELATED;TYPE=spouse;VALUE=text:Bo Lee",
    "RELATED;TYPE=friend:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af",
    "ANNIVERSARY:20040815",
];

#[test]
fn an_apple_card_reads_every_catalogue_field_and_comes_back_as_written() {
    let t = text("3.0", APPLE);
    let d = one(&t);
    assert_eq!(d.websites.len(), 2);
    assert_eq!(d.websites[0].value.as_str(), "https://ann.example.com/");
    assert!(d.websites[0].pref);
    assert_eq!(d.websites[0].label, Label::Custom("HomePage".into()));
    assert_eq!(d.websites[1].label, Label::Work);
    let ims: Vec<&str> = d.ims.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(ims, ["skype:ann.lee", "xmpp:ann@jabber.example.com", "aim:annlee"]);
    assert_eq!(d.ims[0].label, Label::Home);
    assert_eq!(d.ims[1].label, Label::Work);
    let related: Vec<(&str, &str)> =
        d.related.iter().map(|r| (r.label.as_str(), r.value.as_str())).collect();
    assert_eq!(related, [("spouse", "Bo Lee"), ("child", "Cy Lee")]);
    assert_eq!(d.anniversary, Some(Birthday::parse("2004-08-15").unwrap()));
    // The other Apple date is no anniversary: it stays an extra line, with its label.
    assert!(d.extra.iter().any(|x| x.value == "item6.X-ABDATE:2010-01-02"), "{:?}", d.extra);
    assert!(d.extra.iter().any(|x| x.value == "item6.X-ABLabel:Moved in"), "{:?}", d.extra);
    assert!(!d.extra.iter().any(|x| x.value.contains("Spouse") || x.value.contains("HomePage")));
    assert_eq!(write_vcard("x", &d, VcardVersion::V3), t);
    // Saved again untouched, through the form's draft and back: the same card.
    let again = domain::ContactDraft::from_data(&d).parse().unwrap();
    let mut again = ContactData { card: d.card.clone(), ..again };
    let prev = again.card.take();
    reconcile(&mut again, prev.as_ref());
    assert_eq!(write_vcard("x", &again, VcardVersion::V3), t);
}

#[test]
fn a_4_0_card_reads_every_catalogue_field_and_comes_back_as_written() {
    let t = text("4.0", V4);
    let d = one(&t);
    assert_eq!(d.websites.len(), 2);
    assert_eq!(d.websites[0].label, Label::Home);
    assert!(d.websites[0].pref);
    assert_eq!(d.ims[0].value.service(), "XMPP");
    assert_eq!(d.ims[1].value.scheme(), "sip");
    assert!(d.ims[1].pref);
    assert_eq!(d.related[0].label, Label::Custom("spouse".into()));
    assert_eq!(d.related[1].value, "urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af");
    assert_eq!(d.anniversary, Some(Birthday::parse("2004-08-15").unwrap()));
    assert!(d.extra.is_empty(), "{:?}", d.extra);
    assert_eq!(write_vcard("x", &d, VcardVersion::V4), t);
    let again = domain::ContactDraft::from_data(&d).parse().unwrap();
    let (_, out) = saved(ContactData { card: d.card.clone(), ..again }, VcardVersion::V4);
    assert_eq!(out, t);
}

#[test]
fn editing_one_website_changes_only_its_line() {
    let mut d = one(&text("3.0", APPLE));
    d.websites[1].value = Website::parse("https://example.org/ann-lee").unwrap();
    let (_, out) = saved(d, VcardVersion::V3);
    let mut want = APPLE.to_vec();
    want[6] = "URL;type=WORK:https://example.org/ann-lee";
    assert_eq!(out, text("3.0", &want));
}

#[test]
fn an_apple_im_keeps_its_form_for_its_own_service_and_becomes_impp_for_another() {
    let mut d = one(&text("3.0", APPLE));
    d.ims[1].value = Im::parse("xmpp:ann@chat.example.com").unwrap();
    d.ims[2].value = Im::parse("skype:ann.work").unwrap();
    let (d2, out) = saved(d, VcardVersion::V3);
    let mut want = APPLE.to_vec();
    want[8] = "X-JABBER;type=WORK:ann@chat.example.com";
    want[9] = "IMPP:skype:ann.work";
    assert_eq!(out, text("3.0", &want));
    assert_eq!(typed(d2.card.as_ref().unwrap()).ims, d2.ims);
}

#[test]
fn reordering_moves_the_lines_and_nothing_else() {
    let mut d = one(&text("3.0", APPLE));
    d.websites.swap(0, 1);
    d.related.swap(0, 1);
    d.ims.rotate_left(1);
    let (d2, out) = saved(d, VcardVersion::V3);
    let mut want = APPLE.to_vec();
    want.swap(4, 6); // the grouped URL line moves; its label line stays, tied by its group
    want.swap(10, 12);
    let ims = [want[8], want[9], want[7]];
    want[7..10].copy_from_slice(&ims);
    assert_eq!(out, text("3.0", &want));
    let back = typed(d2.card.as_ref().unwrap());
    assert_eq!(back.websites, d2.websites);
    assert_eq!(back.related, d2.related);
    assert_eq!(back.ims, d2.ims);
}

#[test]
fn reordering_phones_moves_their_lines() {
    let lines = [
        "UID:u1",
        "FN:Ann",
        "TEL;TYPE=cell:111 111",
        "EMAIL:ann@example.com",
        "item1.TEL:222 222",
        "item1.X-ABLabel:Boat",
        "TEL;TYPE=work:333 333",
    ];
    let mut d = one(&text("3.0", &lines));
    d.phones.swap(0, 2);
    // A new phone between the two others goes between their lines.
    d.phones.insert(
        1,
        Labeled {
            label: Label::Home,
            value: domain::Phone::parse("444 444").unwrap(),
            pref: false,
        },
    );
    let (d2, out) = saved(d, VcardVersion::V3);
    let want = [
        "UID:u1",
        "FN:Ann",
        "TEL;TYPE=work:333 333",
        "TEL;TYPE=home:444 444",
        "EMAIL:ann@example.com",
        "item1.TEL:222 222",
        "item1.X-ABLabel:Boat",
        "TEL;TYPE=cell:111 111",
    ];
    assert_eq!(out, text("3.0", &want));
    assert_eq!(typed(d2.card.as_ref().unwrap()).phones, d2.phones);
}

#[test]
fn new_catalogue_fields_are_written_for_each_version() {
    let mut draft = domain::ContactDraft {
        display_name: "Ann".into(),
        anniversary_day: "15".into(),
        anniversary_month: "8".into(),
        ..Default::default()
    };
    draft
        .websites
        .push(domain::LabeledDraft { label: "work".into(), value: "ann.example.com".into() });
    draft.ims.push(domain::LabeledDraft {
        label: "home".into(),
        value: "matrix:@ann:example.org".into(),
    });
    draft.related.push(domain::LabeledDraft { label: "Spouse".into(), value: "Bo; Lee".into() });
    draft.related.push(domain::LabeledDraft { label: "godmother".into(), value: "Di".into() });
    let d = draft.parse().unwrap();
    let v3 = generate(&d, CardVersion::V3);
    assert_eq!(
        v3.lines[2..],
        [
            "URL;TYPE=work:ann.example.com",
            "IMPP;TYPE=home:matrix:@ann:example.org",
            "item1.X-ABRELATEDNAMES:Bo\\; Lee",
            "item1.X-ABLabel:_$!<Spouse>!$_",
            "item2.X-ABRELATEDNAMES:Di",
            "item2.X-ABLabel:godmother",
            "item3.X-ABDATE;X-APPLE-OMIT-YEAR=1604:1604-08-15",
            "item3.X-ABLabel:_$!<Anniversary>!$_",
        ]
    );
    let v4 = generate(&d, CardVersion::V4);
    assert_eq!(
        v4.lines[2..],
        [
            "URL;TYPE=work:ann.example.com",
            "IMPP;TYPE=home:matrix:@ann:example.org",
            "RELATED;TYPE=spouse;VALUE=text:Bo\\; Lee",
            "RELATED;TYPE=godmother;VALUE=text:Di",
            "ANNIVERSARY:--0815",
        ]
    );
    for card in [v3, v4] {
        let back = typed(&card);
        assert_eq!((&back.websites, &back.ims, &back.related), (&d.websites, &d.ims, &d.related));
        assert_eq!(back.anniversary, d.anniversary);
    }
}

#[test]
fn anniversaries_from_each_kind_of_line_change_and_go_in_their_line() {
    for (version, line, year_changed) in [
        ("3.0", "X-ANNIVERSARY;X-KEEP=1:2004-08-15", "X-ANNIVERSARY;X-KEEP=1:2005-08-15"),
        ("3.0", "X-EVOLUTION-ANNIVERSARY:2004-08-15", "X-EVOLUTION-ANNIVERSARY:2005-08-15"),
        ("4.0", "ANNIVERSARY:20040815", "ANNIVERSARY:20050815"),
    ] {
        let lines = ["UID:u1", "FN:Ann", line, "NOTE:x"];
        let mut d = one(&text(version, &lines));
        assert_eq!(d.anniversary, Some(Birthday::parse("2004-08-15").unwrap()), "{line}");
        d.anniversary = Some(Birthday::parse("2005-08-15").unwrap());
        let v = if version == "4.0" { VcardVersion::V4 } else { VcardVersion::V3 };
        let (mut d, out) = saved(d, v);
        assert_eq!(out, text(version, &["UID:u1", "FN:Ann", year_changed, "NOTE:x"]));
        d.anniversary = None;
        let (_, out) = saved(d, v);
        assert_eq!(out, text(version, &["UID:u1", "FN:Ann", "NOTE:x"]));
    }
    // Apple's: the label line goes with it.
    let mut d = one(&text("3.0", APPLE));
    d.anniversary = Some(Birthday::MonthDay { month: 8, day: 16 });
    let (mut d, out) = saved(d, VcardVersion::V3);
    assert!(
        out.contains("item5.X-ABDATE;X-APPLE-OMIT-YEAR=1604;type=pref:1604-08-16\r\n"),
        "{out}"
    );
    assert_eq!(typed(d.card.as_ref().unwrap()).anniversary, d.anniversary);
    d.anniversary = None;
    let (_, out) = saved(d, VcardVersion::V3);
    assert!(!out.contains("item5."), "{out}");
    assert!(out.contains("item6.X-ABLabel:Moved in"), "{out}");
}

#[test]
fn relabelling_a_relation_or_a_website() {
    let mut d = one(&text("3.0", APPLE));
    d.related[1].label = Label::Custom("friend".into());
    d.websites[1].label = Label::Home;
    let (_, out) = saved(d, VcardVersion::V3);
    assert!(out.contains("item4.X-ABLabel:_$!<Friend>!$_\r\n"), "{out}");
    assert!(out.contains("URL;TYPE=home:example.org/ann\r\n"), "{out}");
    let mut d = one(&text("4.0", V4));
    d.related[0].label = Label::Custom("child".into());
    d.related[0].value = "Cy Lee".into();
    d.related[1].value = "Di Lee".into();
    let (_, out) = saved(d, VcardVersion::V4);
    assert!(out.contains("RELATED;VALUE=text;TYPE=child:Cy Lee\r\n"), "{out}");
    assert!(out.contains("RELATED;TYPE=friend;VALUE=text:Di Lee\r\n"), "{out}");
}

#[test]
fn values_that_are_not_catalogue_values_stay_lines() {
    let lines =
        ["UID:u1", "FN:Ann", "URL:ftp://files.example.com/", "IMPP:no scheme here", "RELATED:"];
    let t = text("3.0", &lines);
    let d = one(&t);
    assert!(d.websites.is_empty() && d.ims.is_empty() && d.related.is_empty());
    assert_eq!(d.extra.len(), 3, "{:?}", d.extra);
    assert_eq!(write_vcard("x", &d, VcardVersion::V3), t);
    let _ = Card::default();
}

#[test]
fn a_new_entry_follows_the_one_before_it_and_its_apple_label() {
    let mut d = one(&text("3.0", APPLE));
    d.related.insert(
        1,
        Labeled { label: Label::Custom("friend".into()), value: "Di".into(), pref: false },
    );
    let (_, out) = saved(d, VcardVersion::V3);
    let mut want = APPLE.to_vec();
    want.splice(12..12, ["item7.X-ABRELATEDNAMES:Di", "item7.X-ABLabel:_$!<Friend>!$_"]);
    assert_eq!(out, text("3.0", &want));
}
