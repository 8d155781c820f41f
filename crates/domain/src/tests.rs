use super::*;

fn draft() -> ContactDraft {
    ContactDraft { family_name: "张".into(), given_name: "伟".into(), ..Default::default() }
}

#[test]
fn chinese_names_are_family_first_without_space() {
    let data = draft().parse().unwrap();
    assert_eq!(data.display_name, "张伟");
    let latin = ContactDraft {
        family_name: "Lovelace".into(),
        given_name: "Ada".into(),
        ..Default::default()
    };
    assert_eq!(latin.parse().unwrap().display_name, "Ada Lovelace");
}

#[test]
fn explicit_display_name_wins() {
    let d = ContactDraft { display_name: "  Boss ".into(), ..draft() };
    assert_eq!(d.parse().unwrap().display_name, "Boss");
}

#[test]
fn empty_contact_is_rejected_with_a_field_error() {
    let err = ContactDraft::default().parse().unwrap_err();
    assert!(err.for_field("display_name").unwrap().contains("at least a name"));
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let d = ContactDraft {
        phones: vec![
            LabeledDraft { label: "mobile".into(), value: "+86 138-0013-8000".into() },
            LabeledDraft { label: "work".into(), value: "call me".into() },
        ],
        emails: vec![LabeledDraft { label: "home".into(), value: "nobody.example.com".into() }],
        birthday: "1990-02-30".into(),
        ..draft()
    };
    let err = d.parse().unwrap_err();
    assert!(err.for_field("phones[1].value").is_some(), "{err}");
    assert!(err.for_field("emails[0].value").unwrap().contains('@'));
    assert!(err.for_field("birthday").is_some());
    assert!(err.for_field("phones[0].value").is_none());
}

#[test]
fn empty_rows_are_dropped_and_labels_parsed() {
    let d = ContactDraft {
        phones: vec![
            LabeledDraft { label: "".into(), value: "  ".into() },
            LabeledDraft { label: "Cell".into(), value: "138 0013 8000".into() },
            LabeledDraft { label: "Beeper".into(), value: "12345".into() },
        ],
        ..draft()
    };
    let data = d.parse().unwrap();
    assert_eq!(data.phones.len(), 2);
    assert_eq!(data.phones[0].label, Label::Mobile);
    assert_eq!(data.phones[0].value.digits(), "13800138000");
    assert_eq!(data.phones[1].label, Label::Custom("Beeper".into()));
}

#[test]
fn birthdays_with_and_without_year() {
    assert_eq!(Birthday::parse("1990-05-17").unwrap().to_string(), "1990-05-17");
    assert_eq!(Birthday::parse("--02-29").unwrap().to_string(), "--02-29");
    assert!(Birthday::parse("--02-30").is_err());
    assert!(Birthday::parse("17.05.1990").is_err());
}

#[test]
fn draft_round_trips_through_data() {
    let d = ContactDraft {
        nickname: "Wei".into(),
        phones: vec![LabeledDraft { label: "work".into(), value: "+1 (555) 010-9999".into() }],
        emails: vec![LabeledDraft { label: "Private".into(), value: "wei@example.com".into() }],
        addresses: vec![AddressDraft {
            label: "home".into(),
            locality: "北京".into(),
            ..Default::default()
        }],
        organization: "Rolo".into(),
        birthday: "--12-24".into(),
        notes: "line 1\nline 2".into(),
        extra: vec![ExtraField { name: "X-SKYPE".into(), value: "wei.z".into() }],
        ..draft()
    };
    let data = d.parse().unwrap();
    let again = ContactDraft::from_data(&data).parse().unwrap();
    assert_eq!(data, again);
    let json = serde_json::to_string(&data).unwrap();
    let back: ContactData = serde_json::from_str(&json).unwrap();
    assert_eq!(back, data);
}

#[test]
fn deserialising_revalidates() {
    let bad = r#"{"emails":[{"label":"home","value":"not-an-email"}]}"#;
    assert!(serde_json::from_str::<ContactData>(bad).is_err());
}

#[test]
fn usernames_are_normalised_and_checked() {
    assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
    assert!(Username::parse("").is_err());
    assert!(Username::parse("a b").is_err());
    assert!(Username::parse(&"a".repeat(65)).is_err());
}

#[test]
fn ids_parse_with_a_clear_error() {
    let id = ContactId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60").unwrap();
    assert_eq!(id.to_string(), "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60");
    let err = ContactId::parse("nope").unwrap_err();
    assert!(err.to_string().contains("not a valid id"));
}

#[test]
fn control_characters_are_refused() {
    let d = ContactDraft { given_name: "A\u{0}B".into(), ..draft() };
    assert!(d.parse().unwrap_err().for_field("given_name").is_some());
}

#[test]
fn device_kinds_names_and_origins() {
    assert_eq!(DeviceKind::parse("PC").unwrap(), DeviceKind::Pc);
    assert!(DeviceKind::parse("toaster").unwrap_err().contains("phone, tablet, pc or other"));
    assert_eq!(parse_device_name("  My phone ").unwrap(), "My phone");
    assert!(parse_device_name(" ").is_err());
    assert!(parse_device_name(&"x".repeat(65)).is_err());
    let id = DeviceId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60").unwrap();
    let at = chrono::DateTime::from_timestamp_millis(1_800_000_000_123).unwrap();
    for o in [Origin::Console, Origin::Cli, Origin::Device(id), Origin::Undo(at)] {
        assert_eq!(Origin::from_db(&o.to_db()), o);
    }
}

#[test]
fn groups_on_contacts_and_group_names() {
    let g = "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f99";
    let d = ContactDraft { groups: vec![g.into(), g.into(), "".into()], ..draft() };
    let data = d.parse().unwrap();
    assert_eq!(data.groups, vec![GroupId::parse(g).unwrap()]);
    assert_eq!(ContactDraft::from_data(&data).groups, vec![g.to_string()]);
    let bad = ContactDraft { groups: vec!["family".into()], ..draft() };
    assert!(bad.parse().unwrap_err().for_field("groups[0]").is_some());
    // Contacts without groups serialise as before.
    assert!(!serde_json::to_string(&draft().parse().unwrap()).unwrap().contains("groups"));

    assert_eq!(GroupData::parse("  Family ").unwrap().name(), "Family");
    assert!(GroupData::parse(" ").is_err());
    assert!(GroupData::parse(&"x".repeat(101)).is_err());
    assert!(serde_json::from_str::<GroupData>(r#"{"name":""}"#).is_err());
    let gd: GroupData = serde_json::from_str(r#"{"name":"家人"}"#).unwrap();
    assert_eq!(gd.name(), "家人");
}

#[test]
fn photos_are_images_in_base64() {
    let p = Photo::parse("data:image/JPEG;base64,/9j/4AAQ\n SkZJRg==").unwrap();
    assert_eq!(p.as_str(), "data:image/jpeg;base64,/9j/4AAQSkZJRg==");
    assert_eq!((p.media_type(), p.base64()), ("image/jpeg", "/9j/4AAQSkZJRg=="));
    assert_eq!(Photo::from_parts("JPG", "/9j/").unwrap().media_type(), "image/jpeg");
    assert_eq!(Photo::sniff("iVBORw0KGgoAAAA").unwrap().media_type(), "image/png");
    for bad in [
        "",
        "/9j/4AAQ",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "data:text/html;base64,PGI+",
        "data:image/png,rawbytes",
        "data:image/png;base64,<script>",
        "data:image/png;base64,====",
        "data:image/png;base64,",
        "javascript:alert(1)",
    ] {
        assert!(Photo::parse(bad).is_err(), "{bad:?}");
    }
    // A form's photo: a data: URL, empty for none, `keep` for the one it has.
    let draft = |photo: &str| ContactDraft {
        display_name: "A".into(),
        photo: photo.into(),
        ..Default::default()
    };
    assert_eq!(draft("").parse().unwrap().photo, None);
    assert_eq!(draft(PHOTO_KEEP).parse().unwrap().photo, None);
    assert_eq!(
        draft("data:image/gif;base64,R0lGODlh").parse().unwrap().photo.unwrap().media_type(),
        "image/gif"
    );
    let err = draft("data:image/svg+xml;base64,PHN2Zz4=").parse().unwrap_err();
    assert!(err.for_field("photo").is_some(), "{err:?}");
    // Stored and read back as its data: URL; a stored photo that is not one does not read.
    let data =
        ContactData { display_name: "A".into(), photo: Some(p.clone()), ..Default::default() };
    let json = serde_json::to_string(&data).unwrap();
    assert!(json.contains("\"photo\":\"data:image/jpeg;base64,/9j/4AAQSkZJRg==\""), "{json}");
    assert_eq!(serde_json::from_str::<ContactData>(&json).unwrap().photo, Some(p));
    assert!(
        serde_json::from_str::<ContactData>(r#"{"photo":"data:text/html;base64,PGI+"}"#).is_err()
    );
    // A draft of a contact carries its photo (devices' writes go through one).
    assert_eq!(ContactDraft::from_data(&data).parse().unwrap().photo, data.photo);
}

#[test]
fn the_form_sets_birthdays_by_parts_and_preferred_entries_by_position() {
    let base = || ContactDraft {
        display_name: "A".into(),
        phones: vec![
            LabeledDraft { label: "mobile".into(), value: "".into() },
            LabeledDraft { label: "fax".into(), value: "+1 555 0101".into() },
            LabeledDraft { label: "work".into(), value: "+1 555 0102".into() },
        ],
        ..Default::default()
    };
    let mut d = base();
    (d.birthday_day, d.birthday_month) = ("2".into(), "3".into());
    d.preferred_phone = "2".into();
    let c = d.parse().unwrap();
    assert_eq!(c.birthday, Some(Birthday::MonthDay { month: 3, day: 2 }));
    // The empty first row is skipped; the mark stays with the row it was set on.
    assert_eq!(c.phones.iter().map(|p| p.pref).collect::<Vec<_>>(), [false, true]);
    assert_eq!(c.phones[0].label, Label::Custom("fax".into()));
    d.birthday_year = "1984".into();
    let c = d.parse().unwrap();
    assert_eq!(
        c.birthday,
        Some(Birthday::Date(chrono::NaiveDate::from_ymd_opt(1984, 3, 2).unwrap()))
    );
    // The form shows it back in parts, and the mark on the same entry.
    let shown = ContactDraft::from_data(&c);
    assert_eq!(
        (shown.birthday_day.as_str(), shown.birthday_month.as_str(), shown.birthday_year.as_str()),
        ("2", "3", "1984")
    );
    assert_eq!(shown.preferred_phone, "1");
    assert_eq!(shown.parse().unwrap(), c);
    // A day that does not exist, or a year without day and month: a message on the birthday.
    for (day, month, year) in
        [("31", "2", ""), ("", "", "1984"), ("5", "", ""), ("29", "2", "2023"), ("1", "1", "84")]
    {
        let mut d = base();
        (d.birthday_day, d.birthday_month, d.birthday_year) =
            (day.into(), month.into(), year.into());
        let e = d.parse().unwrap_err();
        assert!(e.for_field("birthday").is_some(), "{day}/{month}/{year}: {e:?}");
    }
}

#[test]
fn websites_are_http_urls_or_bare_domains() {
    for ok in
        ["https://example.com", "http://example.com:8080/a?b#c", "example.com/me", "例子.中国"]
    {
        assert!(Website::parse(ok).is_ok(), "{ok}");
    }
    for bad in
        ["javascript:alert(1)", "ftp://example.com", "example", "a b.com", "https://", ".com"]
    {
        let err = Website::parse(bad).unwrap_err();
        assert!(err.contains("website") || err.contains("spaces"), "{bad}: {err}");
    }
    assert_eq!(Website::parse("example.com").unwrap().href(), "https://example.com");
    assert_eq!(Website::parse("HTTP://x.org").unwrap().href(), "HTTP://x.org");
}

#[test]
fn instant_messaging_addresses_name_their_service() {
    let im = Im::parse("xmpp:ann@example.com").unwrap();
    assert_eq!(
        (im.scheme().as_str(), im.handle(), im.service().as_str()),
        ("xmpp", "ann@example.com", "XMPP")
    );
    assert_eq!(Im::from_parts("skype", "ann.lee").unwrap().as_str(), "skype:ann.lee");
    for bad in ["ann@example.com", ":ann", "xmpp:", "1x:ann", "xmpp:a b"] {
        assert!(Im::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_catalogue_fields_are_parsed_in_the_draft_each_error_at_its_field() {
    let draft = ContactDraft {
        display_name: "Ann".into(),
        websites: vec![
            LabeledDraft { label: "work".into(), value: "javascript:alert(1)".into() },
            LabeledDraft { label: "home".into(), value: "ann.example.com".into() },
        ],
        ims: vec![LabeledDraft { label: "".into(), value: "ann@example.com".into() }],
        anniversary_day: "31".into(),
        anniversary_month: "4".into(),
        ..Default::default()
    };
    let err = draft.parse().unwrap_err();
    assert!(err.for_field("websites[0].value").is_some(), "{err}");
    assert!(err.for_field("websites[1].value").is_none(), "{err}");
    assert!(err.for_field("ims[0].value").is_some(), "{err}");
    assert_eq!(err.for_field("anniversary"), Some("That day does not exist."), "{err}");

    let draft = ContactDraft {
        display_name: "Ann".into(),
        websites: vec![LabeledDraft { label: "Blog".into(), value: " ann.example.com ".into() }],
        ims: vec![LabeledDraft { label: "work".into(), value: "sip:ann@example.com".into() }],
        related: vec![
            LabeledDraft { label: "Spouse".into(), value: " Bo ".into() },
            LabeledDraft { label: "godmother".into(), value: "Di".into() },
            LabeledDraft { label: "child".into(), value: "  ".into() },
        ],
        preferred_im: "0".into(),
        anniversary_day: "29".into(),
        anniversary_month: "2".into(),
        ..Default::default()
    };
    let d = draft.parse().unwrap();
    assert_eq!(d.websites[0].label, Label::Custom("Blog".into()));
    assert_eq!(d.websites[0].value.as_str(), "ann.example.com");
    assert!(d.ims[0].pref);
    assert_eq!(d.related.len(), 2);
    assert_eq!(d.related[0].label, Label::Custom("spouse".into()));
    assert_eq!(d.related[0].value, "Bo");
    assert_eq!(d.anniversary, Some(Birthday::MonthDay { month: 2, day: 29 }));
    // And back into a form: the same draft's values.
    let back = ContactDraft::from_data(&d);
    assert_eq!((back.anniversary_day.as_str(), back.anniversary_month.as_str()), ("29", "2"));
    assert_eq!(back.parse().unwrap(), d);
}

#[test]
fn contacts_stored_before_the_catalogue_still_read_and_new_fields_are_left_out_when_empty() {
    let old = r#"{"name":{"family":"","given":"Ann"},"display_name":"Ann","nickname":"","phones":[],"emails":[],"addresses":[],"organization":"","title":"","birthday":null,"notes":"","extra":[]}"#;
    let d: ContactData = serde_json::from_str(old).unwrap();
    assert!(d.websites.is_empty() && d.ims.is_empty() && d.related.is_empty());
    assert_eq!(d.anniversary, None);
    let json = serde_json::to_string(&d).unwrap();
    for key in ["websites", "ims", "related", "anniversary"] {
        assert!(!json.contains(key), "{json}");
    }
}

#[test]
fn merging_duplicates_unites_the_catalogue_lists() {
    let mut a = ContactDraft { display_name: "Ann".into(), ..Default::default() };
    a.websites.push(LabeledDraft { label: "work".into(), value: "a.example.com".into() });
    a.ims.push(LabeledDraft { label: "".into(), value: "XMPP:ann@example.com".into() });
    let mut b = a.clone();
    b.websites.push(LabeledDraft { label: "home".into(), value: "b.example.com".into() });
    b.ims = vec![LabeledDraft { label: "".into(), value: "xmpp:ann@example.com".into() }];
    b.related.push(LabeledDraft { label: "spouse".into(), value: "Bo".into() });
    b.anniversary_day = "1".into();
    b.anniversary_month = "5".into();
    let (a, b) = (a.parse().unwrap(), b.parse().unwrap());
    let m = crate::merge::merge(&[a, b], &crate::merge::MergePicks::default());
    assert_eq!(m.websites.len(), 2);
    assert_eq!(m.ims.len(), 1);
    assert_eq!(m.related.len(), 1);
    assert_eq!(m.anniversary, Some(Birthday::MonthDay { month: 5, day: 1 }));
}
