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
