//! CardDAV names: the href a client chose for a contact or group and the vCard UID it sent,
//! when they are not the defaults (`<id>.vcf` and the id itself). Sealed like contacts; an href
//! is found through a keyed hash, so the table holds nothing a client wrote in clear.

use std::collections::{HashMap, HashSet};

use crypto::RecordKind;
use domain::{BookId, ContactId};
use serde_json::json;
use uuid::Uuid;

use crate::backend::DavNameRow;
use crate::books::Scope;
use crate::{Store, StoreError, StoreResult};

/// The name a CardDAV client gave a contact or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavName {
    /// The last segment of the resource's path, as the client wrote it (`ABC.vcf`).
    pub href: String,
    /// The card's UID when it is not the id in its usual form.
    pub uid: Option<String>,
}

const HREF_LABEL: &str = "dav-href";

/// What [`Store::dav_resolve`] found.
#[derive(Debug, Default)]
pub struct DavResolved {
    /// The id of each resource name that names a card (that exists or existed).
    pub ids: HashMap<String, Uuid>,
    /// The stored names among them (the others have the defaults).
    pub names: HashMap<Uuid, DavName>,
    /// The states of the ids, when asked for.
    pub states: HashMap<Uuid, crate::FeedItem>,
}

impl Store {
    fn open_dav_name(
        &self,
        book: BookId,
        key: &crypto::DataKey,
        row: &DavNameRow,
    ) -> StoreResult<(Uuid, DavName)> {
        let plain = key.open_record(
            RecordKind::DavName,
            book.as_bytes(),
            row.id.as_bytes(),
            0,
            &row.sealed,
        )?;
        let v: serde_json::Value = serde_json::from_slice(&plain).map_err(|e| {
            StoreError::Backend(format!("CardDAV name of {} does not decode: {e}", row.id))
        })?;
        let href = v["href"].as_str().unwrap_or_default().to_string();
        let uid = v["uid"].as_str().map(str::to_string);
        Ok((*row.id.as_uuid(), DavName { href, uid }))
    }

    /// Every CardDAV name of the book, by id.
    pub async fn dav_names(&self, scope: impl Into<Scope>) -> StoreResult<HashMap<Uuid, DavName>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let key = self.key_of(book).await?;
        self.backend
            .dav_names(book)
            .await?
            .iter()
            .map(|r| self.open_dav_name(book, &key, r))
            .collect()
    }

    /// The CardDAV names of those of `ids` that have one.
    pub async fn dav_names_of(
        &self,
        scope: impl Into<Scope>,
        ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, DavName>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let key = self.key_of(book).await?;
        let ids: Vec<ContactId> = ids.iter().map(|u| ContactId::from_uuid(*u)).collect();
        self.backend
            .dav_names_by_ids(book, &ids)
            .await?
            .iter()
            .map(|r| self.open_dav_name(book, &key, r))
            .collect()
    }

    /// The ids named by those of `hrefs` that are CardDAV names, by href.
    pub async fn dav_ids_by_href(
        &self,
        scope: impl Into<Scope>,
        hrefs: &[&str],
    ) -> StoreResult<HashMap<String, (Uuid, DavName)>> {
        let scope: Scope = scope.into();
        let book = scope.book();
        if hrefs.is_empty() {
            return Ok(HashMap::new());
        }
        let key = self.key_of(book).await?;
        let hashes: Vec<String> =
            hrefs.iter().map(|h| key.lookup_hash(HREF_LABEL, h.as_bytes())).collect();
        let mut out = HashMap::new();
        for row in self.backend.dav_names_by_hashes(book, &hashes).await? {
            let (id, name) = self.open_dav_name(book, &key, &row)?;
            out.insert(name.href.clone(), (id, name));
        }
        Ok(out)
    }

    /// Resolves CardDAV resource names to ids: by their stored name, or the default `<id>.vcf`
    /// of a card that has no other name; with the names found and, when `load`, the states of
    /// the ids (tombstones included). One query when the book's key is cached.
    pub async fn dav_resolve(
        &self,
        scope: impl Into<Scope>,
        hrefs: &[&str],
        load: bool,
    ) -> StoreResult<DavResolved> {
        let scope: Scope = scope.into();
        let book = scope.book();
        let mut out = DavResolved::default();
        if hrefs.is_empty() {
            return Ok(out);
        }
        let key = self.key_of(book).await?;
        let hashes: Vec<String> =
            hrefs.iter().map(|h| key.lookup_hash(HREF_LABEL, h.as_bytes())).collect();
        let defaults: Vec<(&str, Uuid)> = hrefs
            .iter()
            .filter_map(|h| {
                let id = Uuid::parse_str(h.strip_suffix(".vcf")?).ok()?;
                (format!("{id}.vcf") == *h).then_some((*h, id))
            })
            .collect();
        let ids: Vec<ContactId> =
            defaults.iter().map(|(_, id)| ContactId::from_uuid(*id)).collect();
        let wanted: HashSet<&str> = hashes.iter().map(String::as_str).collect();
        // Ids that have a stored name: they are not also at their default name.
        let mut named = HashSet::new();
        let mut rows = Vec::new();
        if load {
            for found in self.backend.dav_cards(book, &ids, &hashes).await? {
                if let Some(n) = &found.name {
                    named.insert(*n.id.as_uuid());
                    if wanted.contains(n.href_hash.as_str()) {
                        let (id, name) = self.open_dav_name(book, &key, n)?;
                        out.ids.insert(name.href.clone(), id);
                        out.names.insert(id, name);
                    }
                }
                if let Some(row) = found.contact {
                    rows.push(row);
                }
            }
        } else {
            for row in self.backend.dav_names_by_hashes(book, &hashes).await? {
                let (id, name) = self.open_dav_name(book, &key, &row)?;
                out.ids.insert(name.href.clone(), id);
                out.names.insert(id, name);
            }
            let left: Vec<ContactId> = defaults
                .iter()
                .filter(|(h, _)| !out.ids.contains_key(*h))
                .map(|(_, id)| ContactId::from_uuid(*id))
                .collect();
            if !left.is_empty() {
                named.extend(
                    self.backend
                        .dav_names_by_ids(book, &left)
                        .await?
                        .into_iter()
                        .map(|r| *r.id.as_uuid()),
                );
            }
        }
        for (h, id) in defaults {
            if !out.ids.contains_key(h) && !named.contains(&id) {
                out.ids.insert(h.to_string(), id);
            }
        }
        let found: HashSet<Uuid> = out.ids.values().copied().collect();
        rows.retain(|r| found.contains(r.id.as_uuid()));
        for item in crate::par_map(&rows, |row| self.item_of(book, &key, row)) {
            let item = item?;
            out.states.insert(item.id(), item);
        }
        Ok(out)
    }

    /// Names a contact or group for CardDAV (replacing its earlier name). `Conflict` if another
    /// id has that href.
    /// A card's own name is better stored with the card ([`Store::put_contact_named`]).
    pub async fn set_dav_name(
        &self,
        scope: impl Into<Scope>,
        id: Uuid,
        name: &DavName,
    ) -> StoreResult<()> {
        let scope: Scope = scope.into();
        scope.check_write()?;
        let book = scope.book();
        let key = self.key_of(book).await?;
        self.backend.put_dav_name(&self.dav_name_row(book, &key, id, name)?).await
    }

    /// The sealed row of a CardDAV name.
    pub(crate) fn dav_name_row(
        &self,
        book: BookId,
        key: &crypto::DataKey,
        id: Uuid,
        name: &DavName,
    ) -> StoreResult<DavNameRow> {
        let cid = ContactId::from_uuid(id);
        let plain = serde_json::to_vec(&json!({ "href": name.href, "uid": name.uid }))
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let sealed =
            key.seal_record(RecordKind::DavName, book.as_bytes(), cid.as_bytes(), 0, &plain)?;
        Ok(DavNameRow {
            book_id: book,
            id: cid,
            href_hash: key.lookup_hash(HREF_LABEL, name.href.as_bytes()),
            sealed,
        })
    }
}
