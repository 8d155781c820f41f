//! Import jobs: an import run in the background, polled for its progress and its report. A job
//! belongs to the account that started it: to any other it does not exist.
//!
//! A job runs on the instance that received the file, and its state lives in the database
//! (`store`'s import jobs): the job writes its progress there at most every
//! [`PROGRESS_EVERY`] (and at least every [`store::HEARTBEAT`], so that it is not taken for
//! one whose instance went away), then its result. Status and report are read from there, so
//! a poll or a download answered by any instance on the database sees the same job. Jobs are
//! forgotten an hour after they end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::AccountId;
use store::{ImportJob, ImportJobState, JobCounts, JobEnd, JobFailure, Store};
use uuid::Uuid;

use crate::{import, report_csv, ImportOptions, Pass, Progress, RowFailure, TransferError};

/// How often, at most, a running job writes its progress to the database.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done,
    Failed,
}

/// A job as its account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub state: JobState,
    pub progress: Progress,
    /// The first failed rows (all are in the report).
    pub failures: Vec<RowFailure>,
    /// The group every contact goes into, when one was chosen.
    pub group: Option<String>,
    /// Why the job failed as a whole.
    pub message: Option<String>,
}

/// The console's import jobs, kept in the store's database.
pub struct Jobs {
    store: Arc<Store>,
}

/// How many failed rows a job's status lists.
const FAILURES_SHOWN: usize = 200;

fn counts(p: &Progress) -> JobCounts {
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    JobCounts {
        rows_done: n(p.rows_done),
        rows_total: n(p.rows_total),
        imported: n(p.imported),
        updated: n(p.updated),
        skipped: n(p.skipped),
        failed: n(p.failed),
    }
}

fn progress(c: &JobCounts) -> Progress {
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    Progress {
        rows_done: n(c.rows_done),
        rows_total: n(c.rows_total),
        imported: n(c.imported),
        updated: n(c.updated),
        skipped: n(c.skipped),
        failed: n(c.failed),
    }
}

fn status(job: ImportJob) -> JobStatus {
    JobStatus {
        state: match job.state {
            ImportJobState::Running => JobState::Running,
            ImportJobState::Done => JobState::Done,
            ImportJobState::Failed => JobState::Failed,
        },
        progress: progress(&job.counts),
        failures: job
            .failures
            .into_iter()
            .map(|f| RowFailure { line: f.line, reason: f.reason })
            .collect(),
        group: job.group,
        message: job.message,
    }
}

impl Jobs {
    pub fn new(store: Arc<Store>) -> Self {
        Jobs { store }
    }

    /// Starts importing `bytes` into `book` (for the account acting in it) in the background on
    /// this instance, holding `pass` (the right to read one file) until it ends; `group` names
    /// the chosen group for the status. The job is in the database when this returns.
    pub async fn start(
        &self,
        book: store::Scope,
        bytes: Arc<Vec<u8>>,
        options: ImportOptions,
        group: Option<String>,
        pass: Pass,
    ) -> Result<Uuid, TransferError> {
        let store = self.store.clone();
        let id = store.create_import_job(book, group.as_deref(), 0).await?;
        tokio::spawn(async move {
            let _pass = pass;
            let (tx, rx) = tokio::sync::watch::channel(Progress::default());
            let writer = tokio::spawn(write_progress(store.clone(), id, rx));
            let mut on_progress = move |p: Progress| {
                tx.send_replace(p);
            };
            let result = import(&store, book, &bytes, &options, &mut on_progress).await;
            // The sender goes with the closure: the writer writes what it has not yet and ends.
            drop(on_progress);
            let last = writer.await.unwrap_or_default();
            let mut done = last;
            let end = match result {
                Ok(report) => {
                    done.rows_done = done.rows_total.max(done.rows_done);
                    done.imported = report.imported;
                    done.updated = report.updated;
                    done.skipped = report.skipped;
                    done.failed = report.failed.len();
                    tracing::info!(job = %id, imported = report.imported, failed = report.failed.len(), "import finished");
                    let failures = report
                        .failed
                        .iter()
                        .take(FAILURES_SHOWN)
                        .map(|f| JobFailure { line: f.line, reason: f.reason.clone() })
                        .collect();
                    JobEnd::Done { failures, report: report_csv(&report) }
                }
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "import failed");
                    JobEnd::Failed(e.to_string())
                }
            };
            // A database that does not answer for a moment should not lose the result.
            for attempt in 1..=3 {
                match store.end_import_job(id, &counts(&done), end.clone()).await {
                    Ok(true) => break,
                    Ok(false) => {
                        tracing::warn!(job = %id, "import job ended elsewhere (taken for abandoned)");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(job = %id, error = %e, attempt, "could not record the end of an import job");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(id)
    }

    /// The job's status, if `account` started it.
    pub async fn status(
        &self,
        account: AccountId,
        id: Uuid,
    ) -> Result<Option<JobStatus>, TransferError> {
        Ok(self.store.import_job(account, id).await?.map(status))
    }

    /// The job's report as CSV once it is done (`Some(None)` while it runs, or when it failed),
    /// if `account` started it.
    pub async fn report(
        &self,
        account: AccountId,
        id: Uuid,
    ) -> Result<Option<Option<String>>, TransferError> {
        Ok(self.store.import_job_report(account, id).await?)
    }
}

/// Writes a running job's progress as it changes, at most every [`PROGRESS_EVERY`], and at
/// least every [`store::HEARTBEAT`]; ends when the import does (its sender is dropped) or the
/// job stops running, returning the last progress.
async fn write_progress(
    store: Arc<Store>,
    id: Uuid,
    mut rx: tokio::sync::watch::Receiver<Progress>,
) -> Progress {
    let mut last_write: Option<Instant> = None;
    loop {
        let ended =
            matches!(tokio::time::timeout(store::HEARTBEAT, rx.changed()).await, Ok(Err(_)));
        if let Some(since) = last_write.map(|t| t.elapsed()).filter(|s| *s < PROGRESS_EVERY) {
            if !ended {
                tokio::time::sleep(PROGRESS_EVERY - since).await;
            }
        }
        let p = *rx.borrow_and_update();
        if ended {
            return p;
        }
        match store.set_import_job_progress(id, &counts(&p)).await {
            Ok(true) => {}
            Ok(false) => return p,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "could not record an import's progress")
            }
        }
        last_write = Some(Instant::now());
    }
}
