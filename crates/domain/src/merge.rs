//! Merging contacts that are the same person. The user picks, field by field, whose value to
//! keep; lists (phones, emails, addresses, websites, instant messaging, related people, other
//! fields, groups) are always united, so a merge never loses a phone number or an email address;
//! the photo is the first contact's, or the first one's that has one.

use serde::{Deserialize, Serialize};

use crate::ContactData;

/// The single-valued fields a merge asks about.
pub const MERGE_FIELDS: [&str; 9] = [
    "display_name",
    "family_name",
    "given_name",
    "nickname",
    "organization",
    "title",
    "birthday",
    "anniversary",
    "notes",
];

/// For each field of [`MERGE_FIELDS`], the index of the contact whose value is kept. Fields
/// left out take the first contact's value, or the first non-empty one if that is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergePicks(pub Vec<(String, usize)>);

fn field(d: &ContactData, name: &str) -> String {
    match name {
        "display_name" => d.display_name.clone(),
        "family_name" => d.name.family.clone(),
        "given_name" => d.name.given.clone(),
        "nickname" => d.nickname.clone(),
        "organization" => d.organization.clone(),
        "title" => d.title.clone(),
        "birthday" => d.birthday.map(|b| b.to_string()).unwrap_or_default(),
        "anniversary" => d.anniversary.map(|b| b.to_string()).unwrap_or_default(),
        "notes" => d.notes.clone(),
        _ => String::new(),
    }
}

/// The value each contact has for a field (for the merge dialog).
pub fn field_values(contacts: &[ContactData], name: &str) -> Vec<String> {
    contacts.iter().map(|c| field(c, name)).collect()
}

/// Merges `contacts` (at least one) into one contact's content.
pub fn merge(contacts: &[ContactData], picks: &MergePicks) -> ContactData {
    let Some(first) = contacts.first() else {
        return ContactData::default();
    };
    let mut out = first.clone();
    let picked = |name: &str| {
        picks.0.iter().find(|(f, _)| f == name).map(|(_, i)| *i).filter(|i| *i < contacts.len())
    };
    for name in MERGE_FIELDS {
        let from = match picked(name) {
            Some(i) => &contacts[i],
            None => contacts.iter().find(|c| !field(c, name).is_empty()).unwrap_or(first),
        };
        match name {
            "display_name" => out.display_name = from.display_name.clone(),
            "family_name" => out.name.family = from.name.family.clone(),
            "given_name" => out.name.given = from.name.given.clone(),
            "nickname" => out.nickname = from.nickname.clone(),
            "organization" => out.organization = from.organization.clone(),
            "title" => out.title = from.title.clone(),
            "birthday" => out.birthday = from.birthday,
            "notes" => out.notes = from.notes.clone(),
            _ => {}
        }
    }
    out.phones.clear();
    out.emails.clear();
    out.addresses.clear();
    out.websites.clear();
    out.ims.clear();
    out.related.clear();
    out.extra.clear();
    out.groups.clear();
    for c in contacts {
        out.unite_lists(c);
    }
    // The anniversary: the first one there is (uniting fills an empty one from the others), or
    // the picked contact's, even when it has none.
    if let Some(i) = picked("anniversary") {
        out.anniversary = contacts[i].anniversary;
    }
    if out.display_name.is_empty() {
        out.display_name = contacts
            .iter()
            .map(|c| c.display_name.clone())
            .find(|n| !n.is_empty())
            .unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContactDraft, LabeledDraft};

    fn c(name: &str, org: &str, phones: &[&str], emails: &[&str]) -> ContactData {
        ContactDraft {
            display_name: name.into(),
            organization: org.into(),
            phones: phones
                .iter()
                .map(|p| LabeledDraft { label: "mobile".into(), value: (*p).into() })
                .collect(),
            emails: emails
                .iter()
                .map(|e| LabeledDraft { label: "work".into(), value: (*e).into() })
                .collect(),
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn picks_fields_and_keeps_every_phone_and_email() {
        let a = c("Wei Zhang", "", &["+86 138 0013 8000"], &["wei@example.cn"]);
        let b = c(
            "张伟",
            "华为",
            &["13800138000", "010 1234 5678"],
            &["WEI@example.cn", "zw@example.org"],
        );
        let merged = merge(&[a, b], &MergePicks(vec![("display_name".into(), 1)]));
        assert_eq!(merged.display_name, "张伟");
        // Empty in the first, so the first non-empty value is kept.
        assert_eq!(merged.organization, "华为");
        let phones: Vec<&str> = merged.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, vec!["+86 138 0013 8000", "010 1234 5678"]);
        let emails: Vec<&str> = merged.emails.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(emails, vec!["wei@example.cn", "zw@example.org"]);
    }

    #[test]
    fn an_out_of_range_pick_falls_back() {
        let merged = merge(
            &[c("A", "X", &[], &["a@example.org"]), c("B", "Y", &[], &[])],
            &MergePicks(vec![("organization".into(), 9)]),
        );
        assert_eq!(merged.organization, "X");
    }

    #[test]
    fn the_anniversary_is_picked_like_the_birthday() {
        let mut a = c("Ann Lee", "", &["+1 555 0100"], &[]);
        let mut b = c("Ann Lee", "", &["+1 555 0101"], &[]);
        let day = |y, m, d| crate::Birthday::parse(&format!("{y:04}-{m:02}-{d:02}")).unwrap();
        a.anniversary = Some(day(2001, 6, 2));
        b.anniversary = Some(day(2003, 9, 14));
        let both = [a.clone(), b.clone()];
        assert_eq!(field_values(&both, "anniversary"), vec!["2001-06-02", "2003-09-14"]);
        let picks = |i| MergePicks(vec![("anniversary".to_owned(), i)]);
        assert_eq!(merge(&both, &picks(1)).anniversary, b.anniversary);
        assert_eq!(merge(&both, &MergePicks::default()).anniversary, a.anniversary);
        // Only the second has one: kept when nothing is picked, dropped when the empty one is.
        a.anniversary = None;
        let one = [a, b.clone()];
        assert_eq!(merge(&one, &MergePicks::default()).anniversary, b.anniversary);
        assert_eq!(merge(&one, &picks(0)).anniversary, None);
    }
}
