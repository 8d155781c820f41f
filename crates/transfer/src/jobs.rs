//! Import jobs: an import run in the background, polled for its progress and its report. A job
//! belongs to the account that started it: to any other it does not exist. Jobs live in this
//! instance's memory for an hour after they end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::AccountId;
use store::Store;
use uuid::Uuid;

use crate::{import, report_csv, ImportOptions, Pass, Progress, RowFailure};

/// How long an ended job stays known.
const KEPT: Duration = Duration::from_secs(3600);

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

struct Job {
    account: AccountId,
    status: JobStatus,
    report_csv: Option<String>,
    ended: Option<Instant>,
}

/// The jobs of this instance.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<Uuid, Job>>,
}

/// How many failed rows a job's status lists.
const FAILURES_SHOWN: usize = 200;

impl Jobs {
    fn update(&self, id: Uuid, f: impl FnOnce(&mut Job)) {
        if let Some(j) = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id) {
            f(j);
        }
    }

    /// Starts importing `bytes` into `book` (for the account acting in it) in the background, holding `pass` (the right to
    /// read one file) until it ends; `group` names the chosen group for the status.
    pub fn start(
        self: &Arc<Self>,
        store: Arc<Store>,
        book: store::Scope,
        bytes: Arc<Vec<u8>>,
        options: ImportOptions,
        group: Option<String>,
        pass: Pass,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let status = JobStatus {
            state: JobState::Running,
            progress: Progress::default(),
            failures: Vec::new(),
            group,
            message: None,
        };
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            jobs.retain(|_, j| j.ended.is_none_or(|t| t.elapsed() < KEPT));
            jobs.insert(id, Job { account: book.actor(), status, report_csv: None, ended: None });
        }
        let jobs = self.clone();
        tokio::spawn(async move {
            let _pass = pass;
            let mut progress = |p: Progress| jobs.update(id, |j| j.status.progress = p);
            let result = import(&store, book, &bytes, &options, &mut progress).await;
            jobs.update(id, |j| {
                match result {
                    Ok(report) => {
                        j.status.progress.rows_done = j.status.progress.rows_total.max(j.status.progress.rows_done);
                        j.status.progress.imported = report.imported;
                        j.status.progress.updated = report.updated;
                        j.status.progress.skipped = report.skipped;
                        j.status.progress.failed = report.failed.len();
                        j.status.failures = report.failed.iter().take(FAILURES_SHOWN).cloned().collect();
                        j.status.state = JobState::Done;
                        j.report_csv = Some(report_csv(&report));
                        tracing::info!(job = %id, imported = report.imported, failed = report.failed.len(), "import finished");
                    }
                    Err(e) => {
                        tracing::warn!(job = %id, error = %e, "import failed");
                        j.status.state = JobState::Failed;
                        j.status.message = Some(e.to_string());
                    }
                }
                j.ended = Some(Instant::now());
            });
        });
        id
    }

    /// The job's status, if `account` started it.
    pub fn status(&self, account: AccountId, id: Uuid) -> Option<JobStatus> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.get(&id).filter(|j| j.account == account).map(|j| j.status.clone())
    }

    /// The job's report as CSV once it is done (`Some(None)` while it runs), if `account`
    /// started it.
    pub fn report(&self, account: AccountId, id: Uuid) -> Option<Option<String>> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.get(&id).filter(|j| j.account == account).map(|j| j.report_csv.clone())
    }
}
