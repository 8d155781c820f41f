//! What the console shows: the shapes of lists, pages and admin tables that the server builds
//! (the store, the directory) and the browser renders. Serde only; builds for wasm32.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::{AccountInfo, Contact, ContactId, GroupId};
use serde::{Deserialize, Serialize};

/// A short summary for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub id: ContactId,
    pub revision: i64,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub organization: String,
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// Whether it has a photo (the list then shows its thumbnail).
    #[serde(default)]
    pub photo: bool,
}

impl From<&Contact> for ContactSummary {
    fn from(c: &Contact) -> Self {
        ContactSummary {
            id: c.id,
            revision: c.revision,
            display_name: c.data.display_name.clone(),
            phone: c.first_phone().map(str::to_string),
            email: c.first_email().map(str::to_string),
            organization: c.data.organization.clone(),
            groups: c.data.groups.clone(),
            photo: c.data.photo.is_some(),
        }
    }
}

/// How the contact list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListSort {
    /// By name: Chinese names by their pinyin, mixed with Latin names letter by letter.
    #[default]
    Name,
    /// Recently changed first.
    Recent,
}

impl ListSort {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "recent" => ListSort::Recent,
            _ => ListSort::Name,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ListSort::Name => "name",
            ListSort::Recent => "recent",
        }
    }
}

/// One page of the contact list, searched and filtered on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPage {
    /// How many contacts match (all pages).
    pub total: usize,
    /// How many contacts the account has, in all.
    pub all: usize,
    pub offset: usize,
    pub items: Vec<ContactSummary>,
    /// For the letter index (name order only): each initial ("A"–"Z", "#") present among the
    /// matches and the offset of its first contact.
    pub letters: Vec<(String, usize)>,
    /// Live contacts per group id (string), for the sidebar.
    pub group_counts: Vec<(GroupId, usize)>,
    /// The book these contacts are in (the address of their photos names it).
    #[serde(default)]
    pub book: Option<domain::BookId>,
}

impl ContactSummary {
    /// The address of its thumbnail, in `book` (see the server's photo routes).
    pub fn thumbnail(&self, book: domain::BookId) -> Option<String> {
        self.photo.then(|| format!("/console/photos/{book}/{}/{}/thumb", self.id, self.revision))
    }
}

/// Up to two letters for a name's picture when it has no photo: the first character of a
/// Chinese (or other CJK) name, else the first letters of its first two words, in capitals.
pub fn initials(name: &str) -> String {
    let mut words = name.split_whitespace().filter_map(|w| w.chars().find(|c| c.is_alphanumeric()));
    match words.next() {
        None => "?".into(),
        Some(c) if domain::is_cjk(c) => c.to_string(),
        Some(c) => {
            let mut s: String = c.to_uppercase().collect();
            if let Some(d) = words.next().filter(|d| !domain::is_cjk(*d)) {
                s.extend(d.to_uppercase());
            }
            s
        }
    }
}

/// One of [`AVATAR_COLOURS`] picture colours for a contact, the same on every visit.
pub fn avatar_colour(id: &ContactId) -> usize {
    let b = id.as_uuid().as_bytes();
    usize::from(b[15] ^ b[7]) % AVATAR_COLOURS
}
/// How many picture colours the style sheet has (`.avatar.c0`…).
pub const AVATAR_COLOURS: usize = 8;

/// A contact in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashedContact {
    pub id: ContactId,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub deleted_at: DateTime<Utc>,
    /// Who deleted it ("console", "cli", "device:<uuid>").
    pub deleted_by: String,
    /// When it is purged for good.
    pub purge_at: DateTime<Utc>,
}

/// One contact of an "Undo changes" preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoContact {
    pub id: ContactId,
    /// Its name as it will be (restored, changed back) or as it is (removed).
    pub name: String,
    /// Changed back: its name now, when it differs.
    pub name_now: Option<String>,
    /// The revision it is at now: the undo applies only if it still is.
    pub revision: i64,
}

/// The preview of undoing an address book's (or a group's) changes since `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoPreview {
    pub at: DateTime<Utc>,
    pub group: Option<GroupId>,
    /// Deleted since: they come back.
    pub restored: Vec<UndoContact>,
    /// Edited since: they go back to how they were.
    pub changed_back: Vec<UndoContact>,
    /// Made since: they go to the trash.
    pub removed: Vec<UndoContact>,
    /// Changed since, but their state then was erased with the trash: left as they are.
    pub unknown: usize,
}

impl UndoPreview {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty() && self.changed_back.is_empty() && self.removed.is_empty()
    }
}

/// What an undo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoDone {
    pub restored: usize,
    pub changed_back: usize,
    pub removed: usize,
}

/// Contacts that may be the same person, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateSet {
    /// What they share: "phone", "email" or "name" (the strongest reason found).
    pub reason: String,
    /// The shared value, as one of the contacts has it.
    pub value: String,
    pub contacts: Vec<ContactSummary>,
}

/// An account with the figures the admin page shows (never its contacts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub account: AccountInfo,
    pub contacts: i64,
    pub last_activity: Option<DateTime<Utc>>,
    /// Two-step sign-in is on.
    #[serde(default)]
    pub second_factor: bool,
}

/// One of an account's sign-in sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// An opaque id (not the token).
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session of the request that asked.
    pub current: bool,
}
