//! Three-way merge of a contact edited on a device and on the server since a common base.
//!
//! The rules (also in the API documentation):
//! * A field only one side changed takes that side's value.
//! * A single-valued field (names, nickname, organization, title, birthday, anniversary,
//!   notes) both sides changed to different values: **the upload wins**; the server's previous
//!   value stays in the contact's history (every revision is kept) and is reported as a
//!   conflict.
//! * Multi-valued fields (phones, emails, addresses, websites, instant messaging, related
//!   people, extra fields, group memberships): a list only one side changed (its entries or
//!   their order) takes that side's list; a list both sides changed merges as a set: an entry
//!   either side added is kept, an entry either side removed is removed, so no added or edited
//!   phone or email is ever lost.
//! * Without a known base (a device creating an id the server already has), entries are united
//!   and a single-valued field left empty on one side takes the other side's value.

use domain::{ContactData, Labeled};
use serde::Serialize;

/// A field both sides changed differently.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConflict {
    pub field: &'static str,
    pub kept: serde_json::Value,
    pub replaced: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub data: ContactData,
    pub conflicts: Vec<FieldConflict>,
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn scalar<T: Clone + PartialEq + Default + Serialize>(
    field: &'static str,
    base: Option<&T>,
    server: &T,
    device: &T,
    conflicts: &mut Vec<FieldConflict>,
) -> T {
    if server == device {
        return server.clone();
    }
    match base {
        Some(b) if device == b => server.clone(),
        Some(b) if server == b => device.clone(),
        None if *server == T::default() => device.clone(),
        None if *device == T::default() => server.clone(),
        _ => {
            conflicts.push(FieldConflict { field, kept: json(device), replaced: json(server) });
            device.clone()
        }
    }
}

fn set<T: Clone + PartialEq>(base: Option<&Vec<T>>, server: &[T], device: &[T]) -> Vec<T> {
    // A list only one side changed is that side's, in its order (a reorder is an edit too).
    match base {
        Some(b) if b.as_slice() == server => return device.to_vec(),
        Some(b) if b.as_slice() == device => return server.to_vec(),
        _ => {}
    }
    let empty = Vec::new();
    let base = base.unwrap_or(&empty);
    let mut out: Vec<T> =
        server.iter().filter(|s| !base.contains(s) || device.contains(s)).cloned().collect();
    for d in device {
        if !base.contains(d) && !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

fn labeled<T: Clone + PartialEq>(
    base: Option<&Vec<Labeled<T>>>,
    server: &[Labeled<T>],
    device: &[Labeled<T>],
) -> Vec<Labeled<T>> {
    set(base, server, device)
}

/// Merges `device` into `server`, both derived from `base` (if known).
pub fn merge(base: Option<&ContactData>, server: &ContactData, device: &ContactData) -> Merged {
    let mut c = Vec::new();
    let b = base;
    let data = ContactData {
        name: domain::StructuredName {
            family: scalar(
                "name.family",
                b.map(|b| &b.name.family),
                &server.name.family,
                &device.name.family,
                &mut c,
            ),
            given: scalar(
                "name.given",
                b.map(|b| &b.name.given),
                &server.name.given,
                &device.name.given,
                &mut c,
            ),
            additional: scalar(
                "name.additional",
                b.map(|b| &b.name.additional),
                &server.name.additional,
                &device.name.additional,
                &mut c,
            ),
            prefix: scalar(
                "name.prefix",
                b.map(|b| &b.name.prefix),
                &server.name.prefix,
                &device.name.prefix,
                &mut c,
            ),
            suffix: scalar(
                "name.suffix",
                b.map(|b| &b.name.suffix),
                &server.name.suffix,
                &device.name.suffix,
                &mut c,
            ),
        },
        display_name: scalar(
            "display_name",
            b.map(|b| &b.display_name),
            &server.display_name,
            &device.display_name,
            &mut c,
        ),
        nickname: scalar(
            "nickname",
            b.map(|b| &b.nickname),
            &server.nickname,
            &device.nickname,
            &mut c,
        ),
        phones: labeled(b.map(|b| &b.phones), &server.phones, &device.phones),
        emails: labeled(b.map(|b| &b.emails), &server.emails, &device.emails),
        addresses: labeled(b.map(|b| &b.addresses), &server.addresses, &device.addresses),
        websites: labeled(b.map(|b| &b.websites), &server.websites, &device.websites),
        ims: labeled(b.map(|b| &b.ims), &server.ims, &device.ims),
        related: labeled(b.map(|b| &b.related), &server.related, &device.related),
        anniversary: scalar(
            "anniversary",
            b.map(|b| &b.anniversary),
            &server.anniversary,
            &device.anniversary,
            &mut c,
        ),
        organization: scalar(
            "organization",
            b.map(|b| &b.organization),
            &server.organization,
            &device.organization,
            &mut c,
        ),
        org_units: scalar(
            "org_units",
            b.map(|b| &b.org_units),
            &server.org_units,
            &device.org_units,
            &mut c,
        ),
        title: scalar("title", b.map(|b| &b.title), &server.title, &device.title, &mut c),
        birthday: scalar(
            "birthday",
            b.map(|b| &b.birthday),
            &server.birthday,
            &device.birthday,
            &mut c,
        ),
        notes: scalar("notes", b.map(|b| &b.notes), &server.notes, &device.notes, &mut c),
        photo: scalar("photo", b.map(|b| &b.photo), &server.photo, &device.photo, &mut c),
        extra: set(b.map(|b| &b.extra), &server.extra, &device.extra),
        groups: set(b.map(|b| &b.groups), &server.groups, &device.groups),
        // The server's card, edited to the merged fields by the store's write.
        card: server.card.clone().or_else(|| device.card.clone()),
    };
    Merged { data, conflicts: c }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ContactDraft, LabeledDraft};

    fn data(given: &str, org: &str, phones: &[&str], notes: &str) -> ContactData {
        ContactDraft {
            given_name: given.into(),
            organization: org.into(),
            phones: phones
                .iter()
                .map(|p| LabeledDraft { label: "mobile".into(), value: (*p).into() })
                .collect(),
            notes: notes.into(),
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn different_fields_merge_without_conflict() {
        let base = data("Ann", "", &["111"], "");
        let server = data("Ann", "Acme", &["111"], "");
        let device = data("Ann", "", &["111"], "met at the fair");
        let m = merge(Some(&base), &server, &device);
        assert_eq!(m.data.organization, "Acme");
        assert_eq!(m.data.notes, "met at the fair");
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn same_field_upload_wins_and_the_loser_is_reported() {
        let base = data("Ann", "Old Co", &["111"], "");
        let server = data("Ann", "Server Co", &["111"], "");
        let device = data("Ann", "Device Co", &["111"], "");
        let m = merge(Some(&base), &server, &device);
        assert_eq!(m.data.organization, "Device Co");
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].field, "organization");
        assert_eq!(m.conflicts[0].replaced, serde_json::json!("Server Co"));
    }

    #[test]
    fn phones_added_on_both_sides_are_all_kept_and_removals_apply() {
        let base = data("Ann", "", &["111", "222"], "");
        let server = data("Ann", "", &["111", "222", "333"], "");
        let device = data("Ann", "", &["111", "444"], "");
        let m = merge(Some(&base), &server, &device);
        let phones: Vec<&str> = m.data.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, vec!["111", "333", "444"]);
    }

    #[test]
    fn both_editing_one_phone_keeps_both_new_values() {
        let base = data("Ann", "", &["111"], "");
        let server = data("Ann", "", &["112"], "");
        let device = data("Ann", "", &["113"], "");
        let m = merge(Some(&base), &server, &device);
        let phones: Vec<&str> = m.data.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, vec!["112", "113"]);
    }

    #[test]
    fn without_a_base_nothing_is_dropped() {
        let server = data("Ann", "Acme", &["111"], "");
        let device = data("Ann", "", &["222"], "note");
        let m = merge(None, &server, &device);
        assert_eq!(m.data.organization, "Acme");
        assert_eq!(m.data.notes, "note");
        assert_eq!(m.data.phones.len(), 2);
        assert!(m.conflicts.is_empty());
    }

    fn with_catalogue(d: &ContactData, sites: &[&str], related: &[&str]) -> ContactData {
        let mut d = d.clone();
        d.websites = sites
            .iter()
            .map(|w| Labeled {
                label: domain::Label::Work,
                value: domain::Website::parse(w).unwrap(),
                pref: false,
            })
            .collect();
        d.related = related
            .iter()
            .map(|r| Labeled { label: domain::Label::Other, value: (*r).into(), pref: false })
            .collect();
        d
    }

    #[test]
    fn a_reorder_on_one_side_and_additions_on_the_other_are_both_kept() {
        let plain = data("Ann", "", &["111", "222"], "");
        let base = with_catalogue(&plain, &["a.example.com", "b.example.com"], &["Bo"]);
        // The device moves its phones and websites; the server adds a website and a relation.
        let mut device = base.clone();
        device.phones.swap(0, 1);
        device.websites.swap(0, 1);
        let server = with_catalogue(
            &plain,
            &["a.example.com", "b.example.com", "c.example.com"],
            &["Bo", "Cy"],
        );
        let m = merge(Some(&base), &server, &device);
        assert!(m.conflicts.is_empty());
        let phones: Vec<&str> = m.data.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, ["222", "111"], "the device's order, as only it changed the phones");
        let sites: Vec<&str> = m.data.websites.iter().map(|w| w.value.as_str()).collect();
        // Both changed the websites: every entry either side has is kept.
        assert_eq!(sites.len(), 3, "{sites:?}");
        let related: Vec<&str> = m.data.related.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(related, ["Bo", "Cy"]);
    }

    #[test]
    fn an_anniversary_both_sides_changed_is_a_conflict_the_upload_wins() {
        let base = data("Ann", "", &[], "");
        let mut server = base.clone();
        server.anniversary = Some(domain::Birthday::MonthDay { month: 1, day: 2 });
        let mut device = base.clone();
        device.anniversary = Some(domain::Birthday::MonthDay { month: 3, day: 4 });
        let m = merge(Some(&base), &server, &device);
        assert_eq!(m.data.anniversary, device.anniversary);
        assert_eq!(m.conflicts[0].field, "anniversary");
        // Only the server set one: it stays.
        let m = merge(Some(&base), &server, &base);
        assert_eq!(m.data.anniversary, server.anniversary);
        assert!(m.conflicts.is_empty());
    }
}
