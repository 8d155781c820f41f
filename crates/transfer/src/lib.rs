//! Import into and export from an account: files in, contacts out, with reports.
//!
//! * [`preview`]: what a file holds (format, encoding, delimiter, column dialect, suggested
//!   mapping) and its first rows exactly as [`import`] would take them, writing nothing.
//! * [`import`]: every row through the same store path as any edit (sealed, change-logged,
//!   visible to device sync), in batches of [`BATCH_SIZE`], one transaction each; duplicates
//!   (same UID, phone number or email address) skipped, merged or created anyway; the groups
//!   the file names (and a chosen one) applied; an [`ImportReport`] with every row's outcome,
//!   also as CSV ([`report_csv`]). The console's import page and `rolo import` both call it.
//! * [`Jobs`]: imports run in the background for the console, each known only to its account.
//! * [`export`]: the whole address book or a selection as CSV (Rolo, Google or Outlook columns),
//!   Excel or vCard 3/4, streamed.
//!
//! The file formats themselves are `interchange`'s; this crate adds the store, the limits, the
//! duplicates and the report.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod export;
mod gate;
mod import;
mod jobs;
mod matching;
mod read;
mod report;

pub use encoding_rs::Encoding;
pub use error::TransferError;
pub use export::{
    export, export_to, ExportFormat, ExportOptions, Selection, Sink, WriteSink, PAGE,
};
pub use gate::{Busy, Gate, Pass, FILES_AT_ONCE};
pub use import::{
    group_named, import, Duplicates, ImportOptions, ImportReport, Limits, Outcome, Progress,
    RowOutcome, BATCH_SIZE,
};
pub use interchange::vcard::VcardVersion;
pub use interchange::{ColumnMapping, ColumnTarget, Dialect, Field, ImportedRow, Layout};
pub use jobs::{JobState, JobStatus, Jobs};
pub use matching::{merge, phone_key};
pub use read::{detect_format, encoding_for_label, preview, Format, Preview, RowFailure};
pub use report::report_csv;
