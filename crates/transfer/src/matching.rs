//! Duplicate detection (same UID, phone number or email address) and merging.

use std::collections::{HashMap, HashSet};

use domain::{ContactData, ContactId, Phone};

/// A phone number reduced for matching: its digits without an extension, without a recognised
/// country code after `+`/`00`, and without leading zeros (trunk prefixes). So `+86 138 0013 8000`,
/// `0086 13800138000` and `138-0013-8000` match, and so do `+86 10 6552 9988` and `010 6552 9988`,
/// or `+44 20 7946 0000` and `020 7946 0000`. `None` for fewer than three digits.
pub fn phone_key(phone: &Phone) -> Option<String> {
    phone.key()
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Merges imported data into an existing contact without losing anything: imported non-empty
/// single fields (names, nickname, organization, title, birthday, anniversary, notes) replace
/// the existing ones; phone numbers (by [`phone_key`]), email addresses (case-insensitive),
/// addresses, websites, instant messaging addresses, related people, extra fields and groups are
/// united, existing ones first. Fields this function does not know are kept
/// from `existing`.
pub fn merge(existing: &ContactData, imported: &ContactData) -> ContactData {
    let mut out = existing.clone();
    let replace = |target: &mut String, value: &str| {
        if !value.trim().is_empty() {
            *target = value.to_string();
        }
    };
    replace(&mut out.name.family, &imported.name.family);
    replace(&mut out.name.given, &imported.name.given);
    replace(&mut out.display_name, &imported.display_name);
    replace(&mut out.nickname, &imported.nickname);
    replace(&mut out.organization, &imported.organization);
    replace(&mut out.title, &imported.title);
    replace(&mut out.notes, &imported.notes);
    if imported.birthday.is_some() {
        out.birthday = imported.birthday;
    }
    if imported.anniversary.is_some() {
        out.anniversary = imported.anniversary;
    }
    out.unite_lists(imported);
    out
}

/// Why a row is taken for a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    Uid,
    Phone(String),
    Email(String),
}

/// A contact the import knows of: in the address book, or created by an earlier row.
pub(crate) struct Slot {
    pub id: ContactId,
    /// The file line that created it (`None`: it was in the address book).
    pub line: Option<usize>,
    /// Its position in the batch not yet written.
    pub pending: Option<usize>,
    /// Its id came from the file's UID.
    pub from_uid: bool,
}

/// Lookup of known contacts by id, phone key and email.
#[derive(Default)]
pub(crate) struct Index {
    pub slots: Vec<Slot>,
    pub by_id: HashMap<ContactId, usize>,
    /// Ids of deleted contacts and of groups: they cannot be given to new contacts.
    pub taken: HashSet<ContactId>,
    by_phone: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
}

impl Index {
    pub fn add(&mut self, slot: Slot, data: &ContactData) -> usize {
        let n = self.slots.len();
        self.by_id.insert(slot.id, n);
        self.slots.push(slot);
        self.add_keys(n, data);
        n
    }

    /// Makes `data`'s phones and emails point to `slot` (where no other contact has them).
    pub fn add_keys(&mut self, slot: usize, data: &ContactData) {
        for p in &data.phones {
            if let Some(k) = phone_key(&p.value) {
                self.by_phone.entry(k).or_insert(slot);
            }
        }
        for e in &data.emails {
            self.by_email.entry(email_key(e.value.as_str())).or_insert(slot);
        }
    }

    /// Gives a slot a new id.
    pub fn rename(&mut self, slot: usize, id: ContactId) {
        if let Some(s) = self.slots.get_mut(slot) {
            self.by_id.remove(&s.id);
            s.id = id;
            self.by_id.insert(id, slot);
        }
    }

    /// Whether `id` can be given to a new contact.
    pub fn id_free(&self, id: &ContactId) -> bool {
        !self.by_id.contains_key(id) && !self.taken.contains(id)
    }

    /// The known contact this row duplicates: same UID first, then email, then phone.
    pub fn find(&self, uid: Option<ContactId>, data: &ContactData) -> Option<(usize, Match)> {
        if let Some(slot) = uid.and_then(|u| self.by_id.get(&u)) {
            return Some((*slot, Match::Uid));
        }
        for e in &data.emails {
            if let Some(slot) = self.by_email.get(&email_key(e.value.as_str())) {
                return Some((*slot, Match::Email(e.value.as_str().to_string())));
            }
        }
        for p in &data.phones {
            if let Some(slot) = phone_key(&p.value).and_then(|k| self.by_phone.get(&k)) {
                return Some((*slot, Match::Phone(p.value.as_str().to_string())));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ContactDraft, ExtraField, LabeledDraft};

    fn key(p: &str) -> Option<String> {
        phone_key(&Phone::parse(p).unwrap())
    }

    #[test]
    fn phone_keys_match_numbers_written_differently() {
        let mobile = key("13800138000");
        assert_eq!(mobile.as_deref(), Some("13800138000"));
        for p in
            ["+86 138 0013 8000", "0086 138-0013-8000", "138 0013 8000", "+86 (138) 0013 8000 x5"]
        {
            assert_eq!(key(p), mobile, "{p}");
        }
        assert_eq!(key("+86 10 6552 9988"), key("010-6552 9988"));
        assert_eq!(key("+44 20 7946 0000"), key("020 7946 0000"));
        assert_eq!(key("+39 06 1234 5678"), key("06 1234 5678"));
        assert_eq!(key("+1 (555) 123-4567"), key("555.123.4567"));
        assert_ne!(key("+1 555 123 4567"), key("+1 555 123 4568"));
        assert_eq!(key("12"), None);
        assert_eq!(key("110").as_deref(), Some("110"));
    }

    fn draft(given: &str, phones: &[&str], emails: &[&str]) -> ContactDraft {
        ContactDraft {
            given_name: given.into(),
            phones: phones
                .iter()
                .map(|p| LabeledDraft { label: "mobile".into(), value: (*p).into() })
                .collect(),
            emails: emails
                .iter()
                .map(|e| LabeledDraft { label: "home".into(), value: (*e).into() })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn merge_replaces_single_fields_and_unites_lists() {
        let existing = ContactDraft {
            organization: "Old Org".into(),
            notes: "keep me".into(),
            extra: vec![ExtraField { name: "A".into(), value: "1".into() }],
            ..draft("Ann", &["+86 138 0013 8000"], &["Ann@Example.com"])
        }
        .parse()
        .unwrap();
        let imported = ContactDraft {
            organization: "New Org".into(),
            birthday: "1990-01-02".into(),
            anniversary_day: "3".into(),
            anniversary_month: "4".into(),
            websites: vec![LabeledDraft { label: "work".into(), value: "ann.example.com".into() }],
            extra: vec![
                ExtraField { name: "A".into(), value: "1".into() },
                ExtraField { name: "B".into(), value: "2".into() },
            ],
            ..draft(
                "Annie",
                &["13800138000", "020 1234 5678"],
                &["ann@example.com", "ann@work.example"],
            )
        }
        .parse()
        .unwrap();
        let m = merge(&existing, &imported);
        assert_eq!(m.name.given, "Annie");
        assert_eq!(m.organization, "New Org");
        assert_eq!(m.notes, "keep me", "an empty imported field does not erase");
        assert_eq!(m.birthday, imported.birthday);
        assert_eq!(m.anniversary, imported.anniversary);
        assert_eq!(m.websites, imported.websites);
        let phones: Vec<&str> = m.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, ["+86 138 0013 8000", "020 1234 5678"]);
        let emails: Vec<&str> = m.emails.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(emails, ["Ann@Example.com", "ann@work.example"]);
        assert_eq!(m.extra.len(), 2);
        assert_eq!(merge(&m, &imported), m, "merging again changes nothing");
    }

    #[test]
    fn index_finds_by_uid_then_email_then_phone() {
        let mut index = Index::default();
        let a = draft("A", &["+86 138 0013 8000"], &["a@example.com"]).parse().unwrap();
        let id = ContactId::from_uuid(uuid::Uuid::now_v7());
        let slot = index.add(Slot { id, line: None, pending: None, from_uid: false }, &a);
        let b = draft("B", &["13800138000"], &["A@EXAMPLE.COM"]).parse().unwrap();
        assert_eq!(index.find(Some(id), &b), Some((slot, Match::Uid)));
        assert_eq!(index.find(None, &b), Some((slot, Match::Email("A@EXAMPLE.COM".into()))));
        let c = draft("C", &["138-0013-8000"], &[]).parse().unwrap();
        assert_eq!(index.find(None, &c), Some((slot, Match::Phone("138-0013-8000".into()))));
        let d = draft("D", &["139"], &["d@example.com"]).parse().unwrap();
        assert_eq!(index.find(None, &d), None);
        assert!(!index.id_free(&id));
    }
}
