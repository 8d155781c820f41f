//! Importing a file into an account: duplicates, batches, report.

use std::collections::{HashMap, HashSet};

use domain::{ContactData, ContactId, GroupId, Origin};
use encoding_rs::Encoding;
use interchange::{ColumnMapping, Dialect};
use store::{ContactState, FeedItem, Scope, Store, StoreError};

use crate::matching::{merge, Index, Match, Slot};
use crate::read::{open, Format, RowFailure};
use crate::TransferError;

/// New contacts are written this many at a time, each batch in one transaction.
pub const BATCH_SIZE: usize = 1000;

/// What to do with a row that matches a contact already known (same UID, phone number or email
/// address, in the address book or on an earlier row of the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Duplicates {
    /// Leave the known contact alone and skip the row (re-running a file creates nothing).
    #[default]
    Skip,
    /// Merge the row into the known contact (see [`merge`](crate::merge)).
    Update,
    /// Create a new contact anyway (with a fresh id if its UID is taken).
    CreateAnyway,
}

/// Refusals before anything is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    /// Rows (or vCards) after the header.
    pub max_rows: usize,
}

impl Default for Limits {
    /// 100 MB and 200,000 rows.
    fn default() -> Self {
        Limits { max_bytes: 100 * 1024 * 1024, max_rows: 200_000 }
    }
}

/// How to read a file and what to do with its rows. `Default`: detect everything, skip
/// duplicates, default limits, origin `cli`.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Read the file as this format instead of detecting it.
    pub format: Option<Format>,
    /// Decode CSV or vCard text with this encoding instead of detecting it
    /// ([`encoding_for_label`](crate::encoding_for_label)).
    pub encoding: Option<&'static Encoding>,
    /// CSV delimiter instead of the detected one.
    pub delimiter: Option<u8>,
    /// Read the header row as this dialect.
    pub dialect: Option<Dialect>,
    /// One target per column (CSV, or the first sheet of a workbook), usually the preview's
    /// suggestion edited by the user.
    pub mapping: Option<ColumnMapping>,
    pub duplicates: Duplicates,
    pub limits: Limits,
    /// Recorded in every revision's history.
    pub origin: Origin,
    /// Every contact imported or updated also goes into this group (besides the groups the
    /// file names, which are always applied).
    pub group: Option<GroupId>,
    /// The file's name, for the audit log.
    pub file_name: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            encoding: None,
            delimiter: None,
            dialect: None,
            mapping: None,
            duplicates: Duplicates::Skip,
            limits: Limits::default(),
            origin: Origin::Cli,
            group: None,
            file_name: None,
        }
    }
}

/// How far an import is, reported after every batch and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub rows_done: usize,
    pub rows_total: usize,
    pub imported: usize,
    pub updated: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    Updated,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::Updated => "updated",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    pub line: usize,
    pub outcome: Outcome,
    /// The contact created, updated or (when skipped) matched.
    pub contact: Option<ContactId>,
    /// Why it was skipped or failed, or what it was merged into; empty for a plain import.
    pub reason: String,
    /// Group names the row carried (a Groups/分组/Labels/Categories column, vCard `CATEGORIES`),
    /// for the caller to apply: the import itself does not create groups.
    pub groups: Vec<String>,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub format: Format,
    pub encoding: Option<&'static Encoding>,
    pub dialect: Option<Dialect>,
    /// New contacts written.
    pub imported: usize,
    /// Rows merged into a known contact.
    pub updated: usize,
    /// Duplicates left alone (or with nothing new to merge).
    pub skipped: usize,
    /// Rows that could not be imported, with line numbers and reasons.
    pub failed: Vec<RowFailure>,
    /// Every row, in file order.
    pub rows: Vec<RowOutcome>,
}

impl ImportReport {
    /// The group names of each contact imported or updated (the import applies them).
    pub fn group_names(&self) -> impl Iterator<Item = (ContactId, &[String])> + '_ {
        self.rows
            .iter()
            .filter(|r| {
                matches!(r.outcome, Outcome::Imported | Outcome::Updated) && !r.groups.is_empty()
            })
            .filter_map(|r| Some((r.contact?, r.groups.as_slice())))
    }

    fn progress(&self, rows_done: usize, rows_total: usize) -> Progress {
        Progress {
            rows_done,
            rows_total,
            imported: self.imported,
            updated: self.updated,
            skipped: self.skipped,
            failed: self.failed.len(),
        }
    }
}

fn fresh_id() -> ContactId {
    ContactId::from_uuid(uuid::Uuid::now_v7())
}

fn describe(why: &Match, slot: &Slot) -> String {
    let whom = match slot.line {
        Some(line) => format!("the contact of line {line}"),
        None => "a contact already in the address book".to_string(),
    };
    match why {
        Match::Uid => format!("same UID as {whom}"),
        Match::Phone(p) => format!("same phone number ({p}) as {whom}"),
        Match::Email(e) => format!("same email address ({e}) as {whom}"),
    }
}

/// A batch being written (on the database's side) while the next is read from the file.
struct InFlight {
    batch: Batch,
    write: tokio::task::JoinHandle<Result<Vec<store::Written>, StoreError>>,
}

/// Rows waiting to be written.
#[derive(Default)]
struct Batch {
    items: Vec<(Option<ContactId>, ContactData)>,
    /// For each item: its slot in the index and its row in the report.
    meta: Vec<(usize, usize)>,
}

/// Imports a file into `account`.
///
/// Rows that cannot be read are reported with their line and never hold the others back. New
/// contacts are written [`BATCH_SIZE`] at a time with [`Store::create_contacts`], each batch in
/// one transaction: an interrupted import leaves whole batches, and running it again with
/// [`Duplicates::Skip`] adds only what is missing. A UID that is a UUID the account has not used
/// becomes the contact's id. Duplicates (same UID, phone number or email address as a contact
/// in the address book or on an earlier row) are handled by [`ImportOptions::duplicates`];
/// updates go through [`Store::update_contact`] with [`ImportOptions::origin`].
///
/// `progress` is called after each batch and once at the end.
pub async fn import(
    store: &Store,
    account: impl Into<Scope>,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, TransferError> {
    let result = import_rows(store, account.into(), bytes, options, progress).await;
    match &result {
        Ok(r) => {
            metrics::counter!("rolo_imports_total", "outcome" => "done").increment(1);
            for (outcome, n) in [
                ("imported", r.imported),
                ("updated", r.updated),
                ("skipped", r.skipped),
                ("failed", r.failed.len()),
            ] {
                metrics::counter!("rolo_import_rows_total", "outcome" => outcome)
                    .increment(n as u64);
            }
        }
        Err(_) => metrics::counter!("rolo_imports_total", "outcome" => "failed").increment(1),
    }
    result
}

async fn import_rows(
    store: &Store,
    account: Scope,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, TransferError> {
    let source = open(bytes, options)?;
    let total = source.total;
    let mut report = ImportReport {
        format: source.format,
        encoding: source.encoding,
        dialect: source.dialect,
        imported: 0,
        updated: 0,
        skipped: 0,
        failed: Vec::new(),
        rows: Vec::with_capacity(total),
    };
    let mut index = Index::default();
    for item in store.feed(account, store::Since::Start, usize::MAX - 1).await?.items {
        match item {
            FeedItem::Contact(ContactState { id, data: Some(data), .. }) => {
                index.add(Slot { id, line: None, pending: None, from_uid: false }, &data);
            }
            FeedItem::Contact(ContactState { id, data: None, .. }) => {
                index.taken.insert(id);
            }
            // Groups share the id space.
            FeedItem::Group(g) => {
                index.taken.insert(ContactId::from_uuid(*g.id.as_uuid()));
            }
        }
    }
    // Group memberships read from a file (a vCard's X-ROLO-GROUP) are kept only for groups the
    // account has.
    let groups: HashSet<GroupId> =
        store.list_groups(account).await?.into_iter().map(|g| g.id).collect();
    progress(report.progress(0, total));

    let origin = options.origin;
    let mut batch = Batch::default();
    let mut in_flight: Option<InFlight> = None;
    let mut done = 0;
    for row in source.rows {
        done += 1;
        let row = match row {
            Ok(row) => row,
            Err(failure) => {
                report.rows.push(RowOutcome {
                    line: failure.line,
                    outcome: Outcome::Failed,
                    contact: None,
                    reason: failure.reason.clone(),
                    groups: Vec::new(),
                });
                report.failed.push(failure);
                continue;
            }
        };
        let mut row = row;
        row.data.groups.retain(|g| groups.contains(g));
        // The size limit every channel shares: an oversized row is reported, not written.
        if let Err(StoreError::Invalid(v)) = store.check_contact(&row.data) {
            let reason = v.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            let failure = RowFailure { line: row.line, reason };
            report.rows.push(RowOutcome {
                line: failure.line,
                outcome: Outcome::Failed,
                contact: None,
                reason: failure.reason.clone(),
                groups: Vec::new(),
            });
            report.failed.push(failure);
            continue;
        }
        // The id of the row's UID (a card keeps the UID itself, as written).
        let uid = row.uid.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(|u| {
            ContactId::from_uuid(interchange::vcard::id_for_uid(account.book().as_uuid(), u))
        });
        let found = match options.duplicates {
            Duplicates::CreateAnyway => None,
            Duplicates::Skip | Duplicates::Update => index.find(uid, &row.data),
        };
        let (line, groups) = (row.line, row.groups);
        let Some((slot, why)) = found else {
            let id = uid.filter(|u| index.id_free(u)).unwrap_or_else(fresh_id);
            let slot = index.add(
                Slot {
                    id,
                    line: Some(line),
                    pending: Some(batch.items.len()),
                    from_uid: uid == Some(id),
                },
                &row.data,
            );
            report.rows.push(RowOutcome {
                line,
                outcome: Outcome::Imported,
                contact: Some(id),
                reason: String::new(),
                groups,
            });
            batch.items.push((Some(id), row.data));
            batch.meta.push((slot, report.rows.len() - 1));
            if batch.items.len() >= BATCH_SIZE {
                flush(store, account, origin, &mut batch, &mut in_flight, &mut index, &mut report)
                    .await?;
                progress(report.progress(done, total));
            }
            continue;
        };
        let reason = describe(&why, &index.slots[slot]);
        let id = index.slots[slot].id;
        let skip = |reason: String| RowOutcome {
            line,
            outcome: Outcome::Skipped,
            contact: Some(id),
            reason,
            groups: Vec::new(),
        };
        let outcome = if options.duplicates == Duplicates::Skip {
            skip(format!("Duplicate: {reason}."))
        } else if let Some(pos) = index.slots[slot].pending {
            // Still in the batch being gathered: merge in memory.
            match batch.items.get_mut(pos) {
                Some((_, pending)) if store.check_contact(&merge(pending, &row.data)).is_err() => RowOutcome {
                    line,
                    outcome: Outcome::Failed,
                    contact: None,
                    reason: format!("Merged with the row it duplicates ({reason}), the contact would be too large."),
                    groups: Vec::new(),
                },
                Some((_, pending)) => {
                    let merged = merge(pending, &row.data);
                    index.add_keys(slot, &merged);
                    *pending = merged;
                    if let Some(r) = batch.meta.get(pos).and_then(|(_, r)| report.rows.get_mut(*r)) {
                        r.groups.extend(groups.iter().filter(|g| !r.groups.contains(g)).cloned().collect::<Vec<_>>());
                    }
                    RowOutcome { line, outcome: Outcome::Updated, contact: Some(id), reason: format!("Merged: {reason}."), groups }
                }
                None => skip(format!("Duplicate: {reason}.")),
            }
        } else {
            // The contact may be in the batch being written: it is in the book once that ends.
            settle(store, account, origin, &mut in_flight, &mut index, &mut report).await?;
            match update_existing(store, account, id, &row.data, origin).await? {
                Updated::Yes(merged) => {
                    index.add_keys(slot, &merged);
                    RowOutcome {
                        line,
                        outcome: Outcome::Updated,
                        contact: Some(id),
                        reason: format!("Merged: {reason}."),
                        groups,
                    }
                }
                Updated::Unchanged => skip(format!("Duplicate with nothing new: {reason}.")),
                Updated::Refused(why) => RowOutcome {
                    line,
                    outcome: Outcome::Failed,
                    contact: None,
                    reason: format!("The matching contact ({reason}) cannot take this row: {why}"),
                    groups: Vec::new(),
                },
                Updated::Gone => RowOutcome {
                    line,
                    outcome: Outcome::Failed,
                    contact: None,
                    reason: format!(
                        "The matching contact ({reason}) was deleted during the import."
                    ),
                    groups: Vec::new(),
                },
            }
        };
        match outcome.outcome {
            Outcome::Updated => report.updated += 1,
            Outcome::Skipped => report.skipped += 1,
            Outcome::Failed => {
                report.failed.push(RowFailure { line, reason: outcome.reason.clone() })
            }
            Outcome::Imported => {}
        }
        report.rows.push(outcome);
    }
    flush(store, account, origin, &mut batch, &mut in_flight, &mut index, &mut report).await?;
    settle(store, account, origin, &mut in_flight, &mut index, &mut report).await?;
    assign_groups(store, account, &report, options.group, origin).await?;
    audit(store, account, options, &report).await?;
    progress(report.progress(done, total));
    Ok(report)
}

/// An import into a book that is not the importing account's own (a company directory, a book
/// shared with it) is recorded in the audit log: who, when, which file, what it did.
async fn audit(
    store: &Store,
    book: Scope,
    options: &ImportOptions,
    report: &ImportReport,
) -> Result<(), TransferError> {
    let info = store.book(book).await?;
    if info.kind == domain::BookKind::Personal && info.owner == Some(book.actor()) {
        return Ok(());
    }
    let detail = format!(
        "{} into “{}”: {} added, {} updated, {} skipped, {} failed",
        options.file_name.as_deref().unwrap_or("a file"),
        info.name,
        report.imported,
        report.updated,
        report.skipped,
        report.failed.len()
    );
    store.record_audit(book, "import", &detail).await?;
    Ok(())
}

/// The group of this name (the same ignoring case), created if the account has none.
pub async fn group_named(
    store: &Store,
    account: impl Into<Scope>,
    name: &str,
    origin: Origin,
) -> Result<GroupId, TransferError> {
    let account: Scope = account.into();
    let key = name.trim().to_lowercase();
    match store.list_groups(account).await?.into_iter().find(|g| g.name.to_lowercase() == key) {
        Some(g) => Ok(g.id),
        None => Ok(store.create_group(account, name, origin).await?.id),
    }
}

/// Puts the imported and updated contacts in `chosen` and in the groups the file names for
/// them (by name, ignoring case; created when missing).
async fn assign_groups(
    store: &Store,
    account: Scope,
    report: &ImportReport,
    chosen: Option<GroupId>,
    origin: Origin,
) -> Result<(), TransferError> {
    let touched: Vec<ContactId> = report
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Imported | Outcome::Updated))
        .filter_map(|r| r.contact)
        .collect();
    if let (Some(g), false) = (chosen, touched.is_empty()) {
        store.set_membership(account, g, &touched, true, origin).await?;
    }
    let mut by_name: HashMap<String, GroupId> = store
        .list_groups(account)
        .await?
        .into_iter()
        .map(|g| (g.name.to_lowercase(), g.id))
        .collect();
    // In the order the file names them, so a contact's groups come out in that order.
    let mut members: Vec<(GroupId, Vec<ContactId>)> = Vec::new();
    for (contact, names) in report.group_names() {
        for name in names {
            let key = name.trim().to_lowercase();
            if key.is_empty() {
                continue;
            }
            let id = match by_name.get(&key) {
                Some(id) => *id,
                None => {
                    let g = store.create_group(account, name, origin).await?;
                    by_name.insert(key, g.id);
                    g.id
                }
            };
            match members.iter_mut().find(|(g, _)| *g == id) {
                Some((_, ids)) => ids.push(contact),
                None => members.push((id, vec![contact])),
            }
        }
    }
    for (g, ids) in members {
        store.set_membership(account, g, &ids, true, origin).await?;
    }
    Ok(())
}

enum Updated {
    Yes(Box<ContactData>),
    Unchanged,
    Gone,
    /// The merged contact breaks a rule (too large): the row fails, the import goes on.
    Refused(String),
}

/// Merges `imported` into a stored contact, re-reading it if it changed meanwhile.
async fn update_existing(
    store: &Store,
    account: Scope,
    id: ContactId,
    imported: &ContactData,
    origin: Origin,
) -> Result<Updated, TransferError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let current = match store.get_contact(account, id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Ok(Updated::Gone),
            Err(e) => return Err(e.into()),
        };
        let merged = merge(&current.data, imported);
        if merged == current.data {
            return Ok(Updated::Unchanged);
        }
        match store.update_contact(account, id, current.revision, &merged, origin).await {
            Ok(_) => return Ok(Updated::Yes(Box::new(merged))),
            Err(StoreError::Stale { .. }) if attempts < 5 => continue,
            Err(StoreError::NotFound) => return Ok(Updated::Gone),
            Err(StoreError::Invalid(v)) => {
                return Ok(Updated::Refused(
                    v.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends the gathered batch to be written, after the one before it has been: the batch is
/// checked and sealed here ([`Store::prepare_write`], the one write path), and its database
/// write runs while the caller reads the next rows from the file.
async fn flush(
    store: &Store,
    account: Scope,
    origin: Origin,
    batch: &mut Batch,
    in_flight: &mut Option<InFlight>,
    index: &mut Index,
    report: &mut ImportReport,
) -> Result<(), TransferError> {
    if batch.items.is_empty() {
        return Ok(());
    }
    let prepared = store.prepare_create_contacts(account, &batch.items, origin).await?;
    settle(store, account, origin, in_flight, index, report).await?;
    // Rows that repeat one of these from now on find it in the book, not in the batch.
    for (slot, _) in &batch.meta {
        index.slots[*slot].pending = None;
    }
    *in_flight =
        Some(InFlight { batch: std::mem::take(batch), write: tokio::spawn(prepared.commit()) });
    Ok(())
}

/// Waits for the batch being written, if any, and counts it in.
async fn settle(
    store: &Store,
    account: Scope,
    origin: Origin,
    in_flight: &mut Option<InFlight>,
    index: &mut Index,
    report: &mut ImportReport,
) -> Result<(), TransferError> {
    let Some(InFlight { mut batch, write }) = in_flight.take() else {
        return Ok(());
    };
    let written = write.await.map_err(|e| {
        TransferError::Store(StoreError::Backend(format!("the import's write stopped: {e}")))
    })?;
    match written {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            // A device created one of the file's UIDs meanwhile: give those fresh ids, retry.
            let from_uid: Vec<uuid::Uuid> = batch
                .meta
                .iter()
                .filter(|(s, _)| index.slots[*s].from_uid)
                .map(|(s, _)| *index.slots[*s].id.as_uuid())
                .collect();
            let taken = store.entry_states(account, &from_uid).await?;
            for (item, (slot, row)) in batch.items.iter_mut().zip(&batch.meta) {
                if taken.contains_key(index.slots[*slot].id.as_uuid()) {
                    let id = fresh_id();
                    item.0 = Some(id);
                    index.rename(*slot, id);
                    index.slots[*slot].from_uid = false;
                    if let Some(r) = report.rows.get_mut(*row) {
                        r.contact = Some(id);
                    }
                }
            }
            store.create_contacts(account, &batch.items, origin).await?;
        }
        Err(e) => return Err(e.into()),
    }
    report.imported += batch.items.len();
    Ok(())
}
