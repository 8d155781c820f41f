//! Exporting an address book's contacts, page by page: memory stays flat whatever the book's
//! size, and a download is sent while it is made.
//!
//! One pass reads the selected contacts a page at a time, keeps what the file's shape needs
//! (the order, the columns, the groups) and writes each contact alone as it goes (a CSV or sheet
//! row against the contact's own columns, a card), keeping that instead of the contact. The rows
//! are then put in order and into the file's columns: the book is read and opened once, and
//! memory holds about the file.

use std::collections::HashMap;
use std::future::Future;
use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

use domain::{Contact, ContactData, ContactId, GroupId};
use interchange::csv::{CsvWriter, LoneRow};
use interchange::vcard::{write_vcard, VcardVersion};
use interchange::xlsx::XlsxWriter;
use interchange::{Columns, Layout, Record};
use store::{ContactState, FeedItem, Scope, Store};

use crate::TransferError;

/// The file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV, UTF-8 with a BOM, in a column layout (Rolo's restorable one, Google's or Outlook's).
    Csv(Layout),
    /// An Excel workbook with Rolo's columns (restorable by import).
    Xlsx,
    /// An Excel workbook with one sheet per group (contacts in no group on a sheet of their
    /// own; a contact in several groups is on each of their sheets; import reads it back once).
    XlsxPerGroup,
    /// One file with every card, UID = contact id.
    Vcard(VcardVersion),
}

impl ExportFormat {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv(_) => "csv",
            ExportFormat::Xlsx | ExportFormat::XlsxPerGroup => "xlsx",
            ExportFormat::Vcard(_) => "vcf",
        }
    }

    /// The MIME type, for downloads.
    pub fn mime_type(self) -> &'static str {
        match self {
            ExportFormat::Csv(_) => "text/csv; charset=utf-8",
            ExportFormat::Xlsx | ExportFormat::XlsxPerGroup => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Vcard(_) => "text/vcard; charset=utf-8",
        }
    }
}

/// Which contacts to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The whole address book, sorted by display name.
    All,
    /// These contacts, in this order (an unknown or deleted id is an error).
    Ids(Vec<ContactId>),
    /// The members of this group, sorted by display name.
    Group(GroupId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub selection: Selection,
}

/// Contacts read, decrypted and written at a time.
pub const PAGE: usize = 2_000;

/// Where an export's bytes go, a piece at a time.
pub trait Sink: Send {
    fn deliver(&mut self, bytes: Vec<u8>)
        -> impl Future<Output = Result<(), TransferError>> + Send;
}

/// A writer (a file) as a [`Sink`].
pub struct WriteSink<W>(pub W);

impl<W: Write + Send> Sink for WriteSink<W> {
    async fn deliver(&mut self, bytes: Vec<u8>) -> Result<(), TransferError> {
        self.0.write_all(&bytes)?;
        Ok(())
    }
}

/// A channel (a download being sent) as a [`Sink`]: the export stops when the receiver is gone.
impl Sink for tokio::sync::mpsc::Sender<Vec<u8>> {
    async fn deliver(&mut self, bytes: Vec<u8>) -> Result<(), TransferError> {
        self.send(bytes).await.map_err(|_| {
            TransferError::Io(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the download was abandoned",
            ))
        })
    }
}

/// Writes the selected contacts to `out`; returns how many were written. Every cell is guarded
/// against formula injection (see `interchange`).
pub async fn export<W: Write + Send>(
    store: &Store,
    account: impl Into<Scope>,
    options: &ExportOptions,
    out: W,
) -> Result<usize, TransferError> {
    let mut sink = WriteSink(out);
    let n = export_to(store, account, options, &mut sink).await?;
    sink.0.flush()?;
    Ok(n)
}

/// Like [`export`], handing the file to `sink` a page at a time. An xlsx workbook is built in
/// `rust_xlsxwriter`'s constant-memory mode (rows in a RAM-backed directory) and handed over at
/// the end: the zip format needs to seek.
pub async fn export_to<S: Sink>(
    store: &Store,
    account: impl Into<Scope>,
    options: &ExportOptions,
    sink: &mut S,
) -> Result<usize, TransferError> {
    let account: Scope = account.into();
    let group_names: HashMap<GroupId, String> =
        store.list_groups(account).await?.into_iter().map(|g| (g.id, g.name)).collect();
    let names = |data: &ContactData| -> Vec<String> {
        data.groups.iter().filter_map(|g| group_names.get(g).cloned()).collect()
    };
    let make = |c: &Contact| -> Result<Made, TransferError> {
        let uid = c.id.to_string();
        Ok(match options.format {
            ExportFormat::Csv(layout) => {
                let groups = names(&c.data);
                Made::Row(LoneRow::new(
                    layout,
                    &Record { uid: &uid, data: &c.data, groups: &groups },
                )?)
            }
            ExportFormat::Vcard(version) => {
                Made::Card(write_vcard(&uid, &c.data, version).into_boxed_str())
            }
            ExportFormat::Xlsx | ExportFormat::XlsxPerGroup => {
                let groups = names(&c.data);
                let record = Record { uid: &uid, data: &c.data, groups: &groups };
                Made::Row(LoneRow::for_sheet(Layout::Rolo, &record)?)
            }
        })
    };
    let mut plan = plan(store, account, &options.selection, &group_names, &make).await?;
    let mut written = 0;
    match options.format {
        ExportFormat::Csv(layout) => {
            let buf = SharedBuf::default();
            let mut w = CsvWriter::new(buf.clone(), layout, plan.columns)?;
            for page in plan.made.chunks_mut(PAGE) {
                for made in page {
                    // Each row is dropped once written: memory falls as the file goes out.
                    if let Made::Row(row) = std::mem::replace(made, Made::Nothing) {
                        w.write_lone(&row)?;
                        written += 1;
                    }
                }
                w.flush()?;
                sink.deliver(buf.take()).await?;
            }
            w.finish()?;
            sink.deliver(buf.take()).await?;
        }
        ExportFormat::Xlsx => {
            let mut w = XlsxWriter::new(Layout::Rolo, plan.columns);
            for made in &mut plan.made {
                if let Made::Row(row) = std::mem::replace(made, Made::Nothing) {
                    w.write_lone(&row)?;
                    written += 1;
                }
            }
            deliver_whole(sink, w.finish(Cursor::new(Vec::new()))?.into_inner()).await?;
        }
        ExportFormat::XlsxPerGroup => {
            // A contact in several groups is on each of their sheets: rows are kept to the end.
            let mut w = XlsxWriter::new(Layout::Rolo, plan.columns);
            for (name, members) in &plan.sheets {
                w.start_sheet(name)?;
                for i in members {
                    if let Some(Made::Row(row)) = plan.made.get(*i) {
                        w.write_lone(row)?;
                    }
                }
            }
            written = plan.order.len();
            deliver_whole(sink, w.finish(Cursor::new(Vec::new()))?.into_inner()).await?;
        }
        ExportFormat::Vcard(version) => {
            for page in plan.made.chunks_mut(PAGE) {
                let mut out = Vec::with_capacity(page.len() * 512);
                for made in page {
                    if let Made::Card(card) = std::mem::replace(made, Made::Nothing) {
                        out.extend_from_slice(card.as_bytes());
                        written += 1;
                    }
                }
                sink.deliver(out).await?;
            }
            // Each group with members among them as a group card (vCard 4 `KIND:group`, or
            // Apple's form in 3.0), its members by the UIDs their cards carry.
            let mut out = Vec::new();
            for (gid, name, members) in &plan.group_cards {
                let card =
                    interchange::vcard::write_group(&gid.to_string(), name, members, version);
                out.extend_from_slice(card.as_bytes());
            }
            sink.deliver(out).await?;
        }
    }
    Ok(written)
}

/// Hands a finished file over in pieces of a megabyte.
async fn deliver_whole<S: Sink>(sink: &mut S, bytes: Vec<u8>) -> Result<(), TransferError> {
    for piece in bytes.chunks(1 << 20) {
        sink.deliver(piece.to_vec()).await?;
    }
    Ok(())
}

/// What the file's shape needs, from the first pass.
struct Plan {
    /// The contacts, in the file's order.
    order: Vec<ContactId>,
    /// What the pass made of each, in the same order.
    made: Vec<Made>,
    columns: Columns,
    /// For a workbook with a sheet per group: each sheet's name and members (places in `order`).
    sheets: Vec<(String, Vec<usize>)>,
    /// For vCard: each group with members, its name and its members' UIDs.
    group_cards: Vec<(GroupId, String, Vec<String>)>,
}

/// A contact written alone by the first pass: its row (CSV, Excel) or its card; nothing once
/// it is in the file.
enum Made {
    Nothing,
    Row(LoneRow),
    Card(Box<str>),
}

/// One selected contact, as the first pass keeps it.
struct Seen {
    key: String,
    id: ContactId,
    /// The groups it is in (those that exist).
    groups: Vec<GroupId>,
    /// The UID its card carries, when it came as a card.
    uid: Option<String>,
    made: Made,
}

impl Seen {
    fn of(c: &Contact, group_names: &HashMap<GroupId, String>, made: Made) -> Seen {
        Seen {
            key: c.data.display_name.to_lowercase(),
            id: c.id,
            groups: c.data.groups.iter().copied().filter(|g| group_names.contains_key(g)).collect(),
            uid: c.data.card.as_ref().and_then(interchange::vcard::uid_of),
            made,
        }
    }
}

async fn plan(
    store: &Store,
    account: Scope,
    selection: &Selection,
    group_names: &HashMap<GroupId, String>,
    make: &(dyn Fn(&Contact) -> Result<Made, TransferError> + Sync),
) -> Result<Plan, TransferError> {
    let mut columns = Columns::least();
    // Sized once: grown by doubling, the list would hold two copies at a time.
    let expected = match selection {
        Selection::Ids(ids) => ids.len(),
        Selection::All => usize::try_from(store.count_contacts(account).await?).unwrap_or(0),
        Selection::Group(_) => 0,
    };
    let mut seen: Vec<Seen> = Vec::with_capacity(expected);
    match selection {
        Selection::Ids(ids) => {
            for chunk in ids.chunks(PAGE) {
                let found = fetch(store, account, chunk).await?;
                if found.len() != chunk.len() {
                    let missing = chunk.iter().find(|id| !found.iter().any(|c| c.id == **id));
                    if let Some(id) = missing {
                        return Err(TransferError::UnknownContact(*id));
                    }
                }
                for c in &found {
                    columns = columns.grow(&c.data);
                    seen.push(Seen::of(c, group_names, make(c)?));
                }
            }
        }
        Selection::All | Selection::Group(_) => {
            let wanted = match selection {
                Selection::Group(g) => Some(*g),
                _ => None,
            };
            // The book read through its change feed, a page at a time.
            let mut since = store::Since::Start;
            loop {
                let page = store.feed(account, since, PAGE).await?;
                for item in page.items {
                    let FeedItem::Contact(ContactState {
                        id,
                        data: Some(data),
                        revision,
                        created_at,
                        updated_at,
                        ..
                    }) = item
                    else {
                        continue;
                    };
                    if wanted.is_some_and(|g| !data.groups.contains(&g)) {
                        continue;
                    }
                    let c = Contact { id, revision, created_at, updated_at, data };
                    columns = columns.grow(&c.data);
                    seen.push(Seen::of(&c, group_names, make(&c)?));
                }
                if !page.more {
                    break;
                }
                since = store::Since::After(page.next);
            }
            seen.sort_by(|a, b| a.key.cmp(&b.key).then(a.id.cmp(&b.id)));
        }
    }
    let mut ordered: Vec<(&GroupId, &String)> = group_names.iter().collect();
    ordered.sort_by_key(|(_, name)| name.to_lowercase());
    let mut sheets = Vec::new();
    let mut group_cards = Vec::new();
    for (gid, name) in ordered {
        let members: Vec<usize> =
            (0..seen.len()).filter(|i| seen[*i].groups.contains(gid)).collect();
        if members.is_empty() {
            continue;
        }
        let uids = members
            .iter()
            .map(|i| seen[*i].uid.clone().unwrap_or_else(|| seen[*i].id.to_string()))
            .collect();
        group_cards.push((*gid, name.clone(), uids));
        sheets.push((name.clone(), members));
    }
    let ungrouped: Vec<usize> = (0..seen.len()).filter(|i| seen[*i].groups.is_empty()).collect();
    if !ungrouped.is_empty() || sheets.is_empty() {
        sheets.push(("No group".to_string(), ungrouped));
    }
    let (order, made) = seen.into_iter().map(|s| (s.id, s.made)).unzip();
    Ok(Plan { order, made, columns, sheets, group_cards })
}

/// These contacts as they are now, in this order; those deleted since are left out.
async fn fetch(
    store: &Store,
    account: Scope,
    ids: &[ContactId],
) -> Result<Vec<Contact>, TransferError> {
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| *id.as_uuid()).collect();
    let mut states = store.entry_states(account, &uuids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| match states.remove(id.as_uuid()) {
            Some(FeedItem::Contact(ContactState {
                data: Some(data),
                revision,
                created_at,
                updated_at,
                ..
            })) => Some(Contact { id: *id, revision, created_at, updated_at, data }),
            _ => None,
        })
        .collect())
}

/// A writer whose bytes are taken out as they come (the CSV writer writes into it).
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
