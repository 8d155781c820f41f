//! Exporting an account's contacts.

use std::collections::HashMap;
use std::io::{BufWriter, Cursor, Write};

use domain::{Contact, ContactData, ContactId, GroupId};
use interchange::csv::CsvWriter;
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub selection: Selection,
}

/// Writes the selected contacts to `out`; returns how many were written.
///
/// CSV and vCard are written contact by contact as they are encoded; xlsx is built with
/// `rust_xlsxwriter`'s constant-memory mode and copied to `out` at the end (the zip format needs
/// to seek). Apart from the decrypted contacts, memory stays flat. Every cell is guarded against
/// formula injection (see `interchange`).
pub async fn export<W: Write>(
    store: &Store,
    account: impl Into<Scope>,
    options: &ExportOptions,
    out: W,
) -> Result<usize, TransferError> {
    let account: Scope = account.into();
    let contacts = select(store, account, &options.selection).await?;
    let groups: HashMap<GroupId, String> =
        store.list_groups(account).await?.into_iter().map(|g| (g.id, g.name)).collect();
    write_contacts(&contacts, &groups, options.format, out)
}

async fn select(
    store: &Store,
    account: Scope,
    selection: &Selection,
) -> Result<Vec<Contact>, TransferError> {
    match selection {
        Selection::All => Ok(store.list_contacts(account).await?),
        Selection::Ids(ids) => {
            let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| *id.as_uuid()).collect();
            let mut states = store.entry_states(account, &uuids).await?;
            ids.iter()
                .map(|id| match states.remove(id.as_uuid()) {
                    Some(FeedItem::Contact(ContactState {
                        data: Some(data),
                        revision,
                        created_at,
                        updated_at,
                        ..
                    })) => Ok(Contact { id: *id, revision, created_at, updated_at, data }),
                    _ => Err(TransferError::UnknownContact(*id)),
                })
                .collect()
        }
    }
}

/// Writes contacts in a format: the part of [`export`] after reading the store.
/// `group_names` names the groups the contacts are in (CSV and Excel write names; vCard writes
/// the group ids as `X-ROLO-GROUP` on each contact, and a group card for each group).
pub fn write_contacts<W: Write>(
    contacts: &[Contact],
    group_names: &HashMap<GroupId, String>,
    format: ExportFormat,
    out: W,
) -> Result<usize, TransferError> {
    let names = |data: &ContactData| -> Vec<String> {
        data.groups.iter().filter_map(|g| group_names.get(g).cloned()).collect()
    };
    match format {
        ExportFormat::Csv(layout) => {
            let columns = Columns::fit(contacts.iter().map(|c| &c.data));
            let mut w = CsvWriter::new(out, layout, columns)?;
            for Contact { id, data, .. } in contacts {
                w.write(&Record { uid: &id.to_string(), data, groups: &names(data) })?;
            }
            w.finish()?.flush()?;
        }
        ExportFormat::Xlsx => {
            let columns = Columns::fit(contacts.iter().map(|c| &c.data));
            let mut w = XlsxWriter::new(Layout::Rolo, columns);
            for Contact { id, data, .. } in contacts {
                w.write(&Record { uid: &id.to_string(), data, groups: &names(data) })?;
            }
            let bytes = w.finish(Cursor::new(Vec::new()))?.into_inner();
            let mut out = out;
            out.write_all(&bytes)?;
            out.flush()?;
        }
        ExportFormat::XlsxPerGroup => {
            let columns = Columns::fit(contacts.iter().map(|c| &c.data));
            let uids: Vec<String> = contacts.iter().map(|c| c.id.to_string()).collect();
            let groups_of: Vec<Vec<String>> = contacts.iter().map(|c| names(&c.data)).collect();
            let mut sheets: Vec<(String, Vec<usize>)> = Vec::new();
            let mut ordered: Vec<(&GroupId, &String)> = group_names.iter().collect();
            ordered.sort_by_key(|a| a.1.to_lowercase());
            for (gid, name) in ordered {
                let members: Vec<usize> = (0..contacts.len())
                    .filter(|i| contacts[*i].data.groups.contains(gid))
                    .collect();
                if !members.is_empty() {
                    sheets.push((name.clone(), members));
                }
            }
            let ungrouped: Vec<usize> = (0..contacts.len())
                .filter(|i| !contacts[*i].data.groups.iter().any(|g| group_names.contains_key(g)))
                .collect();
            if !ungrouped.is_empty() || sheets.is_empty() {
                sheets.push(("No group".to_string(), ungrouped));
            }
            let book = sheets.iter().map(|(name, members)| {
                (
                    name.as_str(),
                    members.iter().map(|i| Record {
                        uid: &uids[*i],
                        data: &contacts[*i].data,
                        groups: &groups_of[*i],
                    }),
                )
            });
            let bytes = interchange::xlsx::write_groups(
                Cursor::new(Vec::new()),
                book,
                Layout::Rolo,
                columns,
            )?
            .into_inner();
            let mut out = out;
            out.write_all(&bytes)?;
            out.flush()?;
        }
        ExportFormat::Vcard(version) => {
            let mut out = BufWriter::new(out);
            for Contact { id, data, .. } in contacts {
                out.write_all(write_vcard(&id.to_string(), data, version).as_bytes())?;
            }
            // Each group with members among them as a group card (vCard 4 `KIND:group`, or
            // Apple's form in 3.0), its members by the UIDs their cards carry.
            let mut ordered: Vec<(&GroupId, &String)> = group_names.iter().collect();
            ordered.sort_by_key(|(_, name)| name.to_lowercase());
            for (gid, name) in ordered {
                let members: Vec<String> = contacts
                    .iter()
                    .filter(|c| c.data.groups.contains(gid))
                    .map(|c| {
                        c.data
                            .card
                            .as_ref()
                            .and_then(interchange::vcard::uid_of)
                            .unwrap_or_else(|| c.id.to_string())
                    })
                    .collect();
                if !members.is_empty() {
                    let card =
                        interchange::vcard::write_group(&gid.to_string(), name, &members, version);
                    out.write_all(card.as_bytes())?;
                }
            }
            out.flush()?;
        }
    }
    Ok(contacts.len())
}
