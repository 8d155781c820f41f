//! Import jobs in the database, so that every instance on it answers for them: the job runs on
//! the instance that received the file and writes its progress to its row; a poll for its status
//! or its report reads the row, on whichever instance it lands.
//!
//! A job belongs to the account that started it: to any other it does not exist. Its counters
//! and times are in clear; what came from the file — the chosen group's name, the failed rows
//! shown, the message, the report — is sealed with its book's data key. Jobs are forgotten an
//! hour after they end. A running job whose row was not touched for [`STALE_AFTER`] lost its
//! instance: it is read as failed (and written so).

use chrono::{DateTime, Duration, Utc};
use crypto::{DataKey, RecordKind};
use domain::{AccountId, BookId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::backend::{ImportJobRow, JobCounts};
use crate::store::now_ms;
use crate::{Scope, Store, StoreError, StoreResult};

/// How long an ended job stays known: an hour.
pub const JOB_KEPT: Duration = Duration::hours(1);
/// A running job's instance touches its row at least this often ([`HEARTBEAT`]); a row left
/// alone this long means the instance went away: two minutes.
pub const STALE_AFTER: Duration = Duration::minutes(2);
/// How often a running job's instance touches its row when nothing else changed.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);
/// What a job that lost its instance says.
pub const STALE_MESSAGE: &str =
    "The import stopped: the server running it went away. Import the file again (contacts already imported are found as duplicates).";

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportJobState {
    Running,
    Done,
    Failed,
}

impl ImportJobState {
    fn as_str(self) -> &'static str {
        match self {
            ImportJobState::Running => "running",
            ImportJobState::Done => "done",
            ImportJobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "running" => Ok(ImportJobState::Running),
            "done" => Ok(ImportJobState::Done),
            "failed" => Ok(ImportJobState::Failed),
            other => Err(StoreError::Backend(format!("unknown import job state {other:?}"))),
        }
    }
}

/// A failed row of the file, as the job's status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    pub line: usize,
    pub reason: String,
}

/// A job as its account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub id: Uuid,
    pub book: BookId,
    pub state: ImportJobState,
    pub counts: JobCounts,
    /// The first failed rows (all are in the report).
    pub failures: Vec<JobFailure>,
    /// The group every contact goes into, when one was chosen.
    pub group: Option<String>,
    /// Why the job failed as a whole.
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// It ran through: the failed rows shown and the report (CSV).
    Done { failures: Vec<JobFailure>, report: String },
    /// It stopped as a whole, for this reason.
    Failed(String),
}

/// The sealed parts of a job: each is its own slot of the associated data.
#[derive(Clone, Copy)]
enum Part {
    Group = 0,
    Failures = 1,
    Message = 2,
    Report = 3,
}

fn seal(key: &DataKey, book: BookId, id: Uuid, part: Part, plain: &[u8]) -> StoreResult<Vec<u8>> {
    Ok(key.seal_record(
        RecordKind::ImportJob,
        book.as_bytes(),
        id.as_bytes(),
        part as i64,
        plain,
    )?)
}

fn open(
    key: &DataKey,
    book: BookId,
    id: Uuid,
    part: Part,
    sealed: &Option<Vec<u8>>,
) -> StoreResult<Option<Vec<u8>>> {
    sealed
        .as_ref()
        .map(|s| {
            key.open_record(RecordKind::ImportJob, book.as_bytes(), id.as_bytes(), part as i64, s)
        })
        .transpose()
        .map_err(Into::into)
}

fn text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
}

impl Store {
    /// Records a new running job importing into `scope`'s book for its account; `group` names
    /// the chosen group for the status.
    pub async fn create_import_job(
        &self,
        scope: Scope,
        group: Option<&str>,
        rows_total: usize,
    ) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        let book = scope.book();
        let key = self.key_of(book).await?;
        let now = now_ms();
        let row = ImportJobRow {
            id,
            book_id: book,
            account_id: scope.actor(),
            state: ImportJobState::Running.as_str().into(),
            counts: JobCounts { rows_total: rows_total as i64, ..JobCounts::default() },
            sealed_group: group
                .map(|g| seal(&key, book, id, Part::Group, g.as_bytes()))
                .transpose()?,
            sealed_failures: None,
            sealed_message: None,
            sealed_report: None,
            created_at: now,
            updated_at: now,
            ended_at: None,
        };
        self.backend.create_import_job(&row).await?;
        Ok(id)
    }

    /// A running job's progress (also what keeps it from looking abandoned); false when the job
    /// is not running any more.
    pub async fn set_import_job_progress(&self, id: Uuid, counts: &JobCounts) -> StoreResult<bool> {
        self.backend.set_import_job_counts(id, counts, now_ms()).await
    }

    /// Ends a running job; false when it was not running any more.
    pub async fn end_import_job(
        &self,
        id: Uuid,
        counts: &JobCounts,
        end: JobEnd,
    ) -> StoreResult<bool> {
        let Some(mut row) = self.backend.import_job(id).await? else {
            return Ok(false);
        };
        let key = self.key_of(row.book_id).await?;
        let book = row.book_id;
        match end {
            JobEnd::Done { failures, report } => {
                let failures = serde_json::to_vec(&failures)
                    .map_err(|e| StoreError::Backend(format!("import failures: {e}")))?;
                row.state = ImportJobState::Done.as_str().into();
                row.sealed_failures = Some(seal(&key, book, id, Part::Failures, &failures)?);
                row.sealed_report = Some(seal(&key, book, id, Part::Report, report.as_bytes())?);
            }
            JobEnd::Failed(message) => {
                row.state = ImportJobState::Failed.as_str().into();
                row.sealed_message = Some(seal(&key, book, id, Part::Message, message.as_bytes())?);
            }
        }
        row.counts = *counts;
        let now = now_ms();
        row.updated_at = now;
        row.ended_at = Some(now);
        self.backend.end_import_job(&row, None).await
    }

    /// The job's row if `account` started it and it is still kept; a running job whose
    /// instance went away is ended as failed first.
    async fn own_job(&self, account: AccountId, id: Uuid) -> StoreResult<Option<ImportJobRow>> {
        let Some(row) = self.backend.import_job(id).await? else { return Ok(None) };
        if row.account_id != account {
            return Ok(None);
        }
        let now = Utc::now();
        if row.ended_at.is_some_and(|t| t < now - JOB_KEPT) {
            return Ok(None);
        }
        if row.ended_at.is_none() && row.updated_at < now - STALE_AFTER {
            let key = self.key_of(row.book_id).await?;
            let mut ended = row.clone();
            ended.state = ImportJobState::Failed.as_str().into();
            ended.sealed_message =
                Some(seal(&key, row.book_id, id, Part::Message, STALE_MESSAGE.as_bytes())?);
            let at = now_ms();
            ended.updated_at = at;
            ended.ended_at = Some(at);
            if self.backend.end_import_job(&ended, Some(row.updated_at)).await? {
                tracing::warn!(job = %id, "an import job lost its server: marked failed");
            }
            // Whoever won (this read, another one, or the job itself), the row now says.
            return Ok(self.backend.import_job(id).await?.filter(|r| r.account_id == account));
        }
        Ok(Some(row))
    }

    /// The job, if `account` started it (to any other account it does not exist).
    pub async fn import_job(&self, account: AccountId, id: Uuid) -> StoreResult<Option<ImportJob>> {
        let Some(row) = self.own_job(account, id).await? else { return Ok(None) };
        let key = self.key_of(row.book_id).await?;
        let (book, id) = (row.book_id, row.id);
        let failures = match open(&key, book, id, Part::Failures, &row.sealed_failures)? {
            Some(json) => serde_json::from_slice(&json)
                .map_err(|e| StoreError::Backend(format!("import failures: {e}")))?,
            None => Vec::new(),
        };
        Ok(Some(ImportJob {
            id,
            book,
            state: ImportJobState::parse(&row.state)?,
            counts: row.counts,
            failures,
            group: text(open(&key, book, id, Part::Group, &row.sealed_group)?),
            message: text(open(&key, book, id, Part::Message, &row.sealed_message)?),
            created_at: row.created_at,
            updated_at: row.updated_at,
            ended_at: row.ended_at,
        }))
    }

    /// The job's report (CSV) once it is done (`Some(None)` before, or when it failed), if
    /// `account` started it.
    pub async fn import_job_report(
        &self,
        account: AccountId,
        id: Uuid,
    ) -> StoreResult<Option<Option<String>>> {
        let Some(row) = self.own_job(account, id).await? else { return Ok(None) };
        let sealed = self.backend.import_job_report(id).await?;
        let key = self.key_of(row.book_id).await?;
        Ok(Some(text(open(&key, row.book_id, row.id, Part::Report, &sealed)?)))
    }

    /// Forgets jobs that ended more than [`JOB_KEPT`] ago, and running jobs nobody touched for
    /// as long.
    pub async fn purge_import_jobs(&self) -> StoreResult<u64> {
        self.backend.purge_import_jobs(Utc::now() - JOB_KEPT).await
    }
}
