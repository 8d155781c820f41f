//! The device sync API's wire types (`/api/v1`). Serde only, so the `rolo-sync` client and any
//! other device can use them without the server's crates.
//!
//! * **Download**: `GET /api/v1/sync/changes?cursor=…&limit=…` → [`ChangesResponse`].
//! * **Upload**: `POST /api/v1/sync/upload` with [`UploadRequest`] → [`UploadResponse`].
//! * `GET /api/v1/sync/status` → [`SyncStatus`]; `GET /api/v1/contacts/{id}` → [`ContactResponse`].
//! * Errors: [`ApiError`] with a stable `error` code.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::ContactData;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest `limit` of a download page.
pub const MAX_PAGE: usize = 1000;
/// Default `limit` of a download page.
pub const DEFAULT_PAGE: usize = 500;
/// Most items in one upload.
pub const MAX_UPLOAD_ITEMS: usize = 1000;

/// What a change is about: a contact, or a group (membership lives on the contacts, in their
/// `groups` list of group ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    #[default]
    Contact,
    Group,
}

/// One entry of the download feed: the current state of something that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Change {
    /// Created or changed: the full current data (a contact's fields, or a group's `name`).
    Upsert {
        kind: EntityKind,
        id: Uuid,
        revision: i64,
        updated_at: DateTime<Utc>,
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        data: serde_json::Value,
        /// The address book it is in (absent: the account's first book).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        book: Option<Uuid>,
    },
    /// Deleted: remove it on the device.
    Delete {
        kind: EntityKind,
        id: Uuid,
        revision: i64,
        deleted_at: DateTime<Utc>,
        /// The address book it was in (absent: the account's first book).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        book: Option<Uuid>,
    },
}

impl Change {
    /// The book it is in; `None`: the account's first book.
    pub fn book(&self) -> Option<Uuid> {
        match self {
            Change::Upsert { book, .. } | Change::Delete { book, .. } => *book,
        }
    }
    pub fn id(&self) -> Uuid {
        match self {
            Change::Upsert { id, .. } | Change::Delete { id, .. } => *id,
        }
    }
    pub fn kind(&self) -> EntityKind {
        match self {
            Change::Upsert { kind, .. } | Change::Delete { kind, .. } => *kind,
        }
    }
    /// A contact upsert's data.
    pub fn contact(&self) -> Option<Result<ContactData, serde_json::Error>> {
        match self {
            Change::Upsert { kind: EntityKind::Contact, data, .. } => {
                Some(serde_json::from_value(data.clone()))
            }
            _ => None,
        }
    }
    /// A group upsert's data.
    pub fn group(&self) -> Option<Result<domain::GroupData, serde_json::Error>> {
        match self {
            Change::Upsert { kind: EntityKind::Group, data, .. } => {
                Some(serde_json::from_value(data.clone()))
            }
            _ => None,
        }
    }
}

/// An address book the device's account may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookRef {
    pub id: Uuid,
    pub name: String,
    /// `owner`, `read_write` or `read_only`: uploads to a read-only book are rejected.
    pub access: String,
    /// The account's first book: its changes carry no `book`.
    pub first: bool,
}

/// A page of the download feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesResponse {
    /// Pass it back as `cursor` to get what changed after this page. Unchanged when there was
    /// nothing new.
    pub cursor: String,
    /// More changes are waiting: ask again with the new cursor.
    pub more: bool,
    pub changes: Vec<Change>,
    /// Every book the account may read now. The feed covers them all; a book that is no
    /// longer listed (a share withdrawn, a book deleted) is to be forgotten on the device.
    #[serde(default)]
    pub books: Vec<BookRef>,
}

/// What an upload item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Upsert,
    Delete,
}

/// One change made on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadItem {
    #[serde(default)]
    pub kind: EntityKind,
    /// The contact's UUID; the device creates it for a new contact.
    pub id: Uuid,
    pub op: Op,
    /// The address book it goes to (absent: the account's first book). A book the account may
    /// only read rejects the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book: Option<Uuid>,
    /// The server revision the device's copy is based on; absent for a new contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_revision: Option<i64>,
    /// The contact's full data (for `upsert`), checked item by item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub changes: Vec<UploadItem>,
}

/// What happened to one upload item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Created,
    Updated,
    Deleted,
    /// Nothing to do: the server already had exactly this (e.g. a retried upload).
    Unchanged,
    /// The server's copy had moved on since `base_revision`; see `current` and `conflicts`.
    Conflict,
    /// Not accepted; see `reason`. Nothing was changed.
    Rejected,
}

/// The server's version of a contact (or group) after an upload item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Current {
    pub revision: i64,
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<serde_json::Value>,
}

impl Current {
    pub fn contact(&self) -> Option<ContactData> {
        self.data.as_ref().and_then(|d| serde_json::from_value(d.clone()).ok())
    }
}

/// A field both sides changed differently. `kept` is in the contact now; `replaced` is kept in
/// the contact's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldConflict {
    pub field: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub kept: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub replaced: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    pub id: Uuid,
    pub status: ItemStatus,
    /// The contact's revision on the server after this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `conflict`: the version the device must now hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Current>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<FieldConflict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadResponse {
    /// One result per item, in order.
    pub results: Vec<ItemResult>,
    /// The account's cursor after the batch (for status; keep downloading from your own cursor).
    pub cursor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    /// The account's current cursor.
    pub cursor: String,
    /// Live contacts in the account.
    pub contacts: i64,
    pub device: DeviceSummary,
    pub server_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactResponse {
    pub id: Uuid,
    pub revision: i64,
    pub updated_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: ContactData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupResponse {
    pub id: Uuid,
    pub revision: i64,
    pub name: String,
}

/// Every error body. `error` is stable; `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// `unauthorized`, `bad_request`, `not_found`, `payload_too_large`, `cursor_invalid`
    /// (do a full resync: download without a cursor), `server_error`.
    pub error: String,
    pub message: String,
}

/// Cursors are opaque to devices; this is their text form.
pub fn encode_cursor(seq: i64) -> String {
    format!("v1.{seq}")
}

/// Reads a cursor; `None` if it is not one this server issues.
pub fn decode_cursor(s: &str) -> Option<i64> {
    s.strip_prefix("v1.")?.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// The cursor of a feed over several books: each book's position.
pub fn encode_books_cursor(books: &[(Uuid, i64)]) -> String {
    let parts: Vec<String> =
        books.iter().map(|(id, seq)| format!("{}:{seq}", id.simple())).collect();
    format!("v2.{}", parts.join(","))
}

/// Reads a cursor of either form (a `v1` one is the position in `first`, the account's first
/// book); `None` if it is not one this server issues.
pub fn decode_books_cursor(s: &str, first: Uuid) -> Option<Vec<(Uuid, i64)>> {
    if let Some(seq) = decode_cursor(s) {
        return Some(vec![(first, seq)]);
    }
    let rest = s.strip_prefix("v2.")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    rest.split(',')
        .map(|part| {
            let (id, seq) = part.split_once(':')?;
            let seq = seq.parse::<i64>().ok().filter(|n| *n >= 0)?;
            Some((Uuid::try_parse(id).ok()?, seq))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor("v1.-1"), None);
        assert_eq!(decode_cursor("v1.x"), None);
    }

    #[test]
    fn book_cursors_round_trip_and_read_v1() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let c = encode_books_cursor(&[(a, 5), (b, 0)]);
        assert_eq!(decode_books_cursor(&c, a), Some(vec![(a, 5), (b, 0)]));
        assert_eq!(decode_books_cursor("v1.7", a), Some(vec![(a, 7)]));
        assert_eq!(decode_books_cursor("v2.", a), Some(vec![]));
        assert_eq!(decode_books_cursor("v2.x:1", a), None);
        assert_eq!(decode_books_cursor(&format!("v2.{}:-1", a.simple()), a), None);
    }

    #[test]
    fn wire_format_is_stable() {
        let c = Change::Delete {
            kind: EntityKind::Contact,
            id: Uuid::nil(),
            revision: 3,
            deleted_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            book: None,
        };
        let json = serde_json::to_value(&c).unwrap_or_default();
        assert_eq!(json["op"], "delete");
        assert_eq!(json["kind"], "contact");
        let item: UploadItem = serde_json::from_str(
            r#"{"id":"00000000-0000-0000-0000-000000000000","op":"upsert","data":{}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(item.op, Op::Upsert);
        assert!(serde_json::from_str::<UploadItem>(
            r#"{"id":"00000000-0000-0000-0000-000000000000","op":"upsert","extra":1}"#
        )
        .is_err());
    }
}
