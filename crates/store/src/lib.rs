//! Rolo's storage layer.
//!
//! * [`Store`] is the one door: every channel (console, `/api/v1`, CardDAV, import, CLI) reads
//!   and writes through it. It seals and opens content with the account's data key (see the
//!   `crypto` crate), keeps every call scoped to one account, applies every rule of a write in
//!   one place ([`Store::write`]) and serves one change feed ([`Store::feed`]).
//! * The backend traits ([`Backend`]: one per entity) are what a database must do; `store_sql`
//!   implements them for SQLite and PostgreSQL. They see only ids, revisions, sequence numbers,
//!   timestamps and sealed blobs — never a contact's content in clear.
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod backend;
mod books;
mod contacts;
mod dav;
mod devices;
mod error;
mod feed;
mod groups;
mod history;
mod import_jobs;
mod keys;
mod parallel;
mod password;
mod records;
mod second_factor;
mod sessions;
mod store;
mod throttle;
mod undo;

#[cfg(feature = "contract")]
pub mod contract;

pub use accounts::AccountOverview;
pub use backend::*;
pub use books::{AuditEntry, Scope, FIRST_BOOK_NAME};
pub use dav::{DavName, DavResolved};
pub use error::{StoreError, StoreResult};
pub use feed::{Change, FeedPage, Head, Since};
pub use history::{HistoryEntry, TrashEntry};
pub use import_jobs::{
    ImportJob, ImportJobState, JobEnd, JobFailure, HEARTBEAT, JOB_KEPT, STALE_AFTER, STALE_MESSAGE,
};
pub use keys::{KeySource, RotateReport};
pub use parallel::par_map;
pub use password::{hash_password, hashing_peak, hashing_slots, verify_password};
pub use records::{ContactState, Content, FeedItem, GroupState, PreparedWrite, Write, Written};
pub use second_factor::{Enrolment, SecondFactorState, PENDING_MINUTES, RECOVERY_CODES};
pub use sessions::{NewSession, SessionEntry};
pub use store::{Store, ACCESS_EPOCH_CHECK, DEFAULT_MAX_CONTACT_BYTES};
pub use throttle::{
    Attempt, FailureLimit, Secret, FREE_PER_ACCOUNT, FREE_PER_ADDRESS, MAX_DELAY_MS,
};
pub use undo::{RestorePlan, RestoreReport, UndoItem, UNDO_DAYS};
