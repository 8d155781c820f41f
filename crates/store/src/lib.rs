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
mod second_factor;
mod service;
mod throttle;

#[cfg(feature = "contract")]
pub mod contract;

pub use backend::{AccountRow, Backend, ChangeRow, ContactRow, DavCardRow, DavNameRow, DAV_CARDS_BY_HASH, DAV_CARDS_BY_ID, DAV_CARDS_NAMED_ONLY, DeviceRow, EntityKind, NewAccount, RevisionRow, SecondFactorRow, SessionRow, SyncRecord, ThrottleRow, TrashRow};
pub use error::{StoreError, StoreResult};
pub use keys::{KeySource, RotateReport};
pub use parallel::par_map;
pub use password::{hash_password, hashing_peak, hashing_slots, verify_password};
pub use second_factor::{Enrolment, SecondFactorState, PENDING_MINUTES, RECOVERY_CODES};
pub use throttle::{Attempt, Secret, FREE_PER_ACCOUNT, FREE_PER_ADDRESS, MAX_DELAY_MS};
pub use dav::{DavName, DavResolved};
pub use service::{Change, ContactState, FeedItem, GroupState, HistoryEntry, NewSession, Store, DEFAULT_MAX_CONTACT_BYTES};
