//! Rolo's storage layer.
//!
//! * [`Backend`] is the narrow trait each database implements (`store_sqlite`,
//!   `store_postgres`). It sees only ids, revisions, sequence numbers, timestamps and sealed
//!   blobs — never a contact's content in clear.
//! * [`Store`] is what the rest of Rolo uses: it seals and opens contact content with the
//!   account's data key (see the `crypto` crate), hashes passwords and session tokens, and keeps
//!   every call scoped to one account.
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod backend;
mod dav;
mod error;
mod keys;
mod parallel;
mod password;
mod service;

#[cfg(feature = "contract")]
pub mod contract;

pub use backend::{AccountRow, Backend, ChangeRow, ContactRow, DavCardRow, DavNameRow, DAV_CARDS_BY_HASH, DAV_CARDS_BY_ID, DAV_CARDS_NAMED_ONLY, DeviceRow, EntityKind, NewAccount, RevisionRow, SessionRow, SyncRecord, TrashRow};
pub use error::{StoreError, StoreResult};
pub use keys::{KeySource, RotateReport};
pub use parallel::par_map;
pub use password::{hash_password, verify_password};
pub use dav::{DavName, DavResolved};
pub use service::{Change, ContactState, FeedItem, GroupState, HistoryEntry, NewSession, Store};
