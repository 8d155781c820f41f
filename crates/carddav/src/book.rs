//! The account's address book as CardDAV sees it, on top of the store: resource names, UIDs,
//! ETags, group members, and rendering of cards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use domain::{AccountId, BookId, ContactId};
use interchange::vcard::{write_vcard, VcardVersion};
use store::{ContactRow, DavName, EntityKind, FeedItem, Scope, Since, Store};
use uuid::Uuid;

use crate::card;
use crate::error::DavResult;

/// The CardDAV names of some cards; cards without one have the defaults.
#[derive(Debug, Default)]
pub struct Names(pub HashMap<Uuid, DavName>);

/// The UID a stored card has: its card's own `UID` line, else its CardDAV name's, else its id.
pub fn stored_uid(item: &FeedItem, names: &Names, id: &Uuid) -> String {
    if let FeedItem::Contact(c) = item {
        let card = c.data.as_ref().and_then(|d| d.card.as_ref());
        if let Some(uid) = card.and_then(interchange::vcard::uid_of) {
            return uid;
        }
    }
    names.uid(id)
}

impl Names {
    pub fn href(&self, id: &Uuid) -> String {
        self.0.get(id).map(|n| n.href.clone()).unwrap_or_else(|| card::default_href(id))
    }
    pub fn uid(&self, id: &Uuid) -> String {
        self.0.get(id).and_then(|n| n.uid.clone()).unwrap_or_else(|| id.to_string())
    }
}

/// Group id → ids of its live member contacts.
pub type Members = HashMap<Uuid, Vec<Uuid>>;

/// The members of every group, remembered per account at the change sequence they were read at:
/// reading them opens every contact, and a first sync asks for them in many requests.
#[derive(Default)]
pub struct MembersCache(Mutex<HashMap<BookId, (i64, Arc<Members>)>>);

/// Accounts whose members are remembered at once.
const MEMBERS_CACHED: usize = 64;

pub async fn members(
    store: &Store,
    cache: &MembersCache,
    account: Scope,
) -> DavResult<Arc<Members>> {
    // Membership is contact content: any change to it moves the sequence.
    let seq = store.current_seq(account).await?;
    if let Some((at, m)) = cache.0.lock().ok().and_then(|c| c.get(&account.book()).cloned()) {
        if at == seq {
            return Ok(m);
        }
    }
    let mut m: Members = HashMap::new();
    for c in store.list_contacts(account).await? {
        for g in &c.data.groups {
            m.entry(*g.as_uuid()).or_default().push(*c.id.as_uuid());
        }
    }
    let m = Arc::new(m);
    if let Ok(mut c) = cache.0.lock() {
        if c.len() >= MEMBERS_CACHED && !c.contains_key(&account.book()) {
            c.clear();
        }
        c.insert(account.book(), (seq, m.clone()));
    }
    Ok(m)
}

pub fn is_live(item: &FeedItem) -> bool {
    match item {
        FeedItem::Contact(c) => c.data.is_some(),
        FeedItem::Group(g) => g.data.is_some(),
    }
}

pub fn is_group(item: &FeedItem) -> bool {
    matches!(item, FeedItem::Group(_))
}

pub fn revision(item: &FeedItem) -> i64 {
    match item {
        FeedItem::Contact(c) => c.revision,
        FeedItem::Group(g) => g.revision,
    }
}

pub fn updated_at(item: &FeedItem) -> DateTime<Utc> {
    match item {
        FeedItem::Contact(c) => c.updated_at,
        FeedItem::Group(g) => g.updated_at,
    }
}

/// The ETag of a live card (groups need their members).
pub fn etag(item: &FeedItem, members: Option<&Members>) -> String {
    let id = item.id();
    match item {
        FeedItem::Contact(c) => card::contact_etag(&id, c.revision),
        FeedItem::Group(g) => {
            let m = members.and_then(|m| m.get(&id)).map(Vec::as_slice).unwrap_or_default();
            card::group_etag(&id, g.revision, m)
        }
    }
}

/// The card of a live contact or group, cleaned for serving; `None` for a tombstone.
pub fn render(
    item: &FeedItem,
    names: &Names,
    members: Option<&Members>,
    version: VcardVersion,
    max: usize,
) -> Option<String> {
    let id = item.id();
    let text = match item {
        FeedItem::Contact(c) => {
            let data = c.data.as_ref()?;
            if data.groups.is_empty() {
                write_vcard(&names.uid(&id), data, version)
            } else {
                // Membership is served on the group cards.
                let mut data = data.clone();
                data.groups.clear();
                write_vcard(&names.uid(&id), &data, version)
            }
        }
        FeedItem::Group(g) => {
            let data = g.data.as_ref()?;
            let m = members.and_then(|m| m.get(&id)).map(Vec::as_slice).unwrap_or_default();
            let uids: Vec<String> = m.iter().map(|c| names.uid(c)).collect();
            card::write_group(&names.uid(&id), data.name(), &uids, version)
        }
    };
    Some(card::sanitize(&text, max))
}

/// The ids of the cards with these resource names (those that exist or existed), by name, and
/// the CardDAV names of those that have one (the others have the defaults).
pub async fn resolve(
    store: &Store,
    account: Scope,
    hrefs: &[String],
) -> DavResult<(HashMap<String, Uuid>, Names)> {
    let refs: Vec<&str> = hrefs.iter().map(String::as_str).collect();
    let r = store.dav_resolve(account, &refs, false).await?;
    Ok((r.ids, Names(r.names)))
}

/// One resource name: its id, stored name (if any) and state (if it exists or existed).
pub async fn lookup(
    store: &Store,
    account: Scope,
    href: &str,
) -> DavResult<(Option<Uuid>, Names, Option<FeedItem>)> {
    let mut r = store.dav_resolve(account, &[href], true).await?;
    let id = r.ids.remove(href);
    let state = id.and_then(|id| r.states.remove(&id));
    Ok((id, Names(r.names), state))
}

/// The ETag of a card from its stored row (no decryption; groups need their members).
pub fn row_etag(row: &ContactRow, members: Option<&Members>) -> String {
    let id = *row.id.as_uuid();
    match row.kind {
        EntityKind::Contact => card::contact_etag(&id, row.revision),
        EntityKind::Group => {
            let m = members.and_then(|m| m.get(&id)).map(Vec::as_slice).unwrap_or_default();
            card::group_etag(&id, row.revision, m)
        }
    }
}

/// Every live contact and group of the account as stored rows (metadata; content sealed).
pub async fn live_rows(store: &Store, account: Scope) -> DavResult<Vec<ContactRow>> {
    Ok(store.live_heads(account).await?)
}

/// The states of these ids, by id.
pub async fn states(
    store: &Store,
    account: Scope,
    ids: &[Uuid],
) -> DavResult<HashMap<Uuid, FeedItem>> {
    Ok(store.entry_states(account, ids).await?)
}

/// Every live contact and group.
pub async fn all_live(store: &Store, account: Scope) -> DavResult<Vec<FeedItem>> {
    Ok(store
        .feed(account, Since::Start, usize::MAX - 1)
        .await?
        .items
        .into_iter()
        .filter(is_live)
        .collect())
}

pub fn contact_id(id: Uuid) -> ContactId {
    ContactId::from_uuid(id)
}

/// Default name of the address book.
/// Before books had names of their own, a name given over CardDAV was kept as the CardDAV name
/// of a reserved id (derived from the account; no card has it).
fn legacy_name_id(account: AccountId) -> Uuid {
    card::id_for_uid(account.as_uuid(), "\u{0}rolo address book")
}

/// The name an account's first book was given over CardDAV before books had names, if any.
pub async fn legacy_book_name(store: &Store, account: AccountId) -> DavResult<Option<String>> {
    let id = legacy_name_id(account);
    Ok(store.dav_names_of(account, &[id]).await?.remove(&id).and_then(|n| n.uid))
}
