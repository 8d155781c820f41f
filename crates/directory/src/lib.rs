//! The console's view of an address book: a per-account index of the decrypted contacts, kept in
//! memory, that sorts (pinyin collation), searches (names with pinyin and initials, phone digits
//! in any format, emails, organization, notes), pages and finds possible duplicates.
//!
//! The database stays the truth: before answering, an index reads the account's change
//! sequence and applies whatever changed since it last looked (from any device or any Rolo
//! instance sharing the database), so several stateless instances each keep a correct index.

pub mod collate;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use domain::{BookId, Contact, ContactData, ContactId, GroupId};
use store::{FeedItem, Scope, Since, Store, StoreError, StoreResult};
use tokio::sync::{Mutex, RwLock};
use views::{ContactPage, ContactSummary, DuplicateSet, ListSort};

use collate::{digits, fold_text, name_forms, phone_identity, phone_matches, sort_key};

/// Field separator in the search text, so a match never spans two fields.
const SEP: char = '\u{1}';

/// One contact as the index holds it.
#[derive(Debug, Clone)]
struct Entry {
    summary: ContactSummary,
    updated_at: DateTime<Utc>,
    sort_key: String,
    letter: char,
    /// Folded text of name (with pinyin forms), nickname, emails, organization, title, notes.
    text: String,
    /// Digits of each phone number.
    phones: Vec<String>,
    /// The phone numbers as written (same order as `phones`).
    phones_shown: Vec<String>,
    emails: Vec<String>,
    /// Folded display name with single spaces, for duplicate detection.
    name_norm: String,
}

impl Entry {
    fn new(id: ContactId, revision: i64, updated_at: DateTime<Utc>, data: &ContactData) -> Entry {
        let name = &data.display_name;
        let (sort_key, letter) = sort_key(name);
        let mut text = fold_text(name);
        for part in [&data.name.family, &data.name.given] {
            if !part.is_empty() {
                text.push(SEP);
                text.push_str(&fold_text(part));
            }
        }
        text.push(SEP);
        text.push_str(&name_forms(name));
        if !data.name.family.is_empty() || !data.name.given.is_empty() {
            // "Wei Zhang" style names typed given-first.
            text.push(SEP);
            text.push_str(&name_forms(&format!("{} {}", data.name.given, data.name.family)));
        }
        let emails: Vec<String> =
            data.emails.iter().map(|e| e.value.as_str().to_lowercase()).collect();
        for e in &emails {
            text.push(SEP);
            text.push_str(e);
        }
        for t in [&data.nickname, &data.organization, &data.title, &data.notes] {
            if !t.is_empty() {
                text.push(SEP);
                text.push_str(&fold_text(t));
            }
        }
        let (phones, phones_shown) = data
            .phones
            .iter()
            .map(|p| (digits(p.value.as_str()), p.value.as_str().to_string()))
            .filter(|(d, _)| !d.is_empty())
            .unzip();
        let name_norm = fold_text(name).split_whitespace().collect::<Vec<_>>().join(" ");
        let summary = ContactSummary {
            id,
            revision,
            display_name: name.clone(),
            phone: data.phones.first().map(|p| p.value.as_str().to_string()),
            email: data.emails.first().map(|e| e.value.as_str().to_string()),
            organization: data.organization.clone(),
            groups: data.groups.clone(),
            photo: data.photo.is_some(),
        };
        Entry {
            summary,
            updated_at,
            sort_key,
            letter,
            text,
            phones,
            phones_shown,
            emails,
            name_norm,
        }
    }
}

/// A search as typed: words that must all appear, or a phone number.
#[derive(Debug, Clone, Default)]
pub struct Query {
    words: Vec<String>,
    /// Set when the query is only digits and phone punctuation (at least 3 digits).
    phone: Option<String>,
}

impl Query {
    pub fn parse(raw: &str) -> Query {
        let raw = raw.trim();
        let phone_like =
            !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let d = digits(raw);
        let phone = (phone_like && d.len() >= 3).then_some(d);
        let words = fold_text(raw).split_whitespace().map(str::to_string).collect();
        Query { words, phone }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phone.is_none()
    }

    fn matches(&self, e: &Entry) -> bool {
        if let Some(p) = &self.phone {
            if e.phones.iter().any(|s| phone_matches(s, p)) {
                return true;
            }
        }
        !self.words.is_empty()
            && self.words.iter().all(|w| {
                e.text.contains(w.as_str()) || {
                    // A part of a phone number ("138", "+86", "(555)").
                    let d = digits(w);
                    !d.is_empty()
                        && w.chars().all(|c| c.is_ascii_digit() || "+-().".contains(c))
                        && e.phones.iter().any(|s| s.contains(&d))
                }
            })
    }
}

/// What the list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub q: String,
    pub group: Option<GroupId>,
    pub sort: ListSort,
    pub offset: usize,
    pub limit: usize,
}

/// The index of one account.
#[derive(Debug, Default)]
pub struct Index {
    /// Change sequence number the index reflects.
    seq: i64,
    entries: HashMap<ContactId, Entry>,
    by_name: Option<Vec<ContactId>>,
    by_recent: Option<Vec<ContactId>>,
}

impl Index {
    /// An index of these contacts, as of change `seq`.
    pub fn build(seq: i64, contacts: &[Contact]) -> Index {
        let entries = contacts
            .iter()
            .map(|c| (c.id, Entry::new(c.id, c.revision, c.updated_at, &c.data)))
            .collect();
        Index { seq, entries, by_name: None, by_recent: None }
    }

    pub fn seq(&self) -> i64 {
        self.seq
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Applies one change from the feed (groups are not indexed).
    pub fn apply(&mut self, item: &FeedItem) {
        if let FeedItem::Contact(c) = item {
            match &c.data {
                Some(data) => {
                    self.entries.insert(c.id, Entry::new(c.id, c.revision, c.updated_at, data));
                }
                None => {
                    self.entries.remove(&c.id);
                }
            }
            self.by_name = None;
            self.by_recent = None;
        }
        self.seq = self.seq.max(item.seq());
    }

    fn order(&mut self, sort: ListSort) -> &[ContactId] {
        let entries = &self.entries;
        let slot = match sort {
            ListSort::Name => &mut self.by_name,
            ListSort::Recent => &mut self.by_recent,
        };
        slot.get_or_insert_with(|| {
            let mut ids: Vec<&Entry> = entries.values().collect();
            match sort {
                ListSort::Name => ids.sort_unstable_by(|a, b| {
                    a.sort_key
                        .cmp(&b.sort_key)
                        .then_with(|| a.summary.display_name.cmp(&b.summary.display_name))
                        .then(a.summary.id.cmp(&b.summary.id))
                }),
                ListSort::Recent => ids.sort_unstable_by(|a, b| {
                    b.updated_at.cmp(&a.updated_at).then(a.summary.id.cmp(&b.summary.id))
                }),
            }
            ids.into_iter().map(|e| e.summary.id).collect()
        })
    }

    /// The ids that match, in list order.
    pub fn matching(&mut self, q: &str, group: Option<GroupId>, sort: ListSort) -> Vec<ContactId> {
        let query = Query::parse(q);
        let order = self.order(sort).to_vec();
        order
            .into_iter()
            .filter(|id| {
                let e = &self.entries[id];
                group.is_none_or(|g| e.summary.groups.contains(&g))
                    && (query.is_empty() || query.matches(e))
            })
            .collect()
    }

    /// One page of the list.
    pub fn page(&mut self, q: &ListQuery) -> ContactPage {
        let ids = self.matching(&q.q, q.group, q.sort);
        let mut letters: Vec<(String, usize)> = Vec::new();
        if q.sort == ListSort::Name {
            for (i, id) in ids.iter().enumerate() {
                let l = self.entries[id].letter;
                if letters.last().is_none_or(|(last, _)| !last.starts_with(l)) {
                    letters.push((l.to_string(), i));
                }
            }
        }
        let limit = q.limit.clamp(1, 500);
        let offset = q.offset.min(ids.len());
        let items =
            ids[offset..].iter().take(limit).map(|id| self.entries[id].summary.clone()).collect();
        ContactPage {
            total: ids.len(),
            all: self.entries.len(),
            offset,
            items,
            letters,
            group_counts: self.group_counts(),
            book: None,
        }
    }

    /// Live contacts per group.
    pub fn group_counts(&self) -> Vec<(GroupId, usize)> {
        let mut counts: BTreeMap<GroupId, usize> = BTreeMap::new();
        for e in self.entries.values() {
            for g in &e.summary.groups {
                *counts.entry(*g).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }

    pub fn summary(&self, id: ContactId) -> Option<&ContactSummary> {
        self.entries.get(&id).map(|e| &e.summary)
    }

    /// Sets of contacts that share a phone number, an email address or their whole name.
    /// Sets are ordered by the name of their first contact; contacts in a set by name.
    pub fn duplicates(&mut self) -> Vec<DuplicateSet> {
        let order: Vec<ContactId> = self.order(ListSort::Name).to_vec();
        let mut parent: Vec<usize> = (0..order.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        // Strength of the strongest reason joining a set: 3 phone, 2 email, 1 name.
        let mut reason: HashMap<usize, (u8, String)> = HashMap::new();
        let mut seen: HashMap<(u8, String), usize> = HashMap::new();
        for (i, id) in order.iter().enumerate() {
            let e = &self.entries[id];
            let mut keys: Vec<(u8, String, String)> = Vec::new();
            for shown in &e.phones_shown {
                if let Some(k) = phone_identity(shown) {
                    keys.push((3, k, shown.clone()));
                }
            }
            for m in &e.emails {
                keys.push((2, m.clone(), m.clone()));
            }
            if !e.name_norm.is_empty() {
                keys.push((1, e.name_norm.clone(), e.summary.display_name.clone()));
            }
            for (strength, key, shown) in keys {
                match seen.get(&(strength, key.clone())) {
                    Some(&j) => {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        let root = a.min(b);
                        let other = a.max(b);
                        parent[other] = root;
                        let best = [reason.remove(&a), reason.remove(&b), Some((strength, shown))]
                            .into_iter()
                            .flatten()
                            .max_by_key(|(s, _)| *s);
                        if let Some(best) = best {
                            reason.insert(root, best);
                        }
                    }
                    None => {
                        seen.insert((strength, key), i);
                    }
                }
            }
        }
        let mut sets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..order.len() {
            let r = find(&mut parent, i);
            sets.entry(r).or_default().push(i);
        }
        sets.into_iter()
            .filter(|(_, members)| members.len() > 1)
            .map(|(root, members)| {
                let (strength, value) = reason.get(&root).cloned().unwrap_or((1, String::new()));
                DuplicateSet {
                    reason: match strength {
                        3 => "phone",
                        2 => "email",
                        _ => "name",
                    }
                    .to_string(),
                    value,
                    contacts: members
                        .into_iter()
                        .map(|i| self.entries[&order[i]].summary.clone())
                        .collect(),
                }
            })
            .collect()
    }
}

/// Figures about a directory, for logs and benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadStats {
    pub contacts: usize,
    pub millis: u128,
}

struct Slot {
    index: Arc<RwLock<Option<Index>>>,
    last_used: Instant,
}

/// The indexes of the books in use, loaded on first use and kept up to date from the change
/// log; at most `capacity` books are kept (the least recently used is dropped). A book read by
/// many accounts (a shared book, a directory) is held once.
pub struct Directory {
    store: Arc<Store>,
    slots: Mutex<HashMap<BookId, Slot>>,
    capacity: usize,
}

impl Directory {
    pub fn new(store: Arc<Store>, capacity: usize) -> Directory {
        Directory { store, slots: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    async fn slot(&self, account: BookId) -> Arc<RwLock<Option<Index>>> {
        let mut slots = self.slots.lock().await;
        if !slots.contains_key(&account) && slots.len() >= self.capacity {
            if let Some(oldest) = slots.iter().min_by_key(|(_, s)| s.last_used).map(|(a, _)| *a) {
                slots.remove(&oldest);
            }
        }
        let slot = slots.entry(account).or_insert_with(|| Slot {
            index: Arc::new(RwLock::new(None)),
            last_used: Instant::now(),
        });
        slot.last_used = Instant::now();
        slot.index.clone()
    }

    /// Runs `f` on the account's index, brought up to date first.
    pub async fn with<T>(
        &self,
        scope: impl Into<Scope>,
        f: impl FnOnce(&mut Index) -> T,
    ) -> StoreResult<T> {
        let account: Scope = scope.into();
        let slot = self.slot(account.book()).await;
        let mut guard = slot.write().await;
        let current = self.store.current_seq(account).await?;
        let hit = if guard.is_some() { "hit" } else { "miss" };
        metrics::counter!("rolo_index_cache_total", "result" => hit).increment(1);
        let index = match guard.as_mut() {
            Some(index) => index,
            None => {
                // Read a page at a time: the book's decrypted contacts (photos among them) are
                // never all in memory at once; only the index's entries stay.
                let mut index = Index::build(0, &[]);
                self.read_changes(account, &mut index, Since::Start).await?;
                guard.insert(index)
            }
        };
        // Changes made since (or while the book was being read).
        if index.seq < current {
            self.catch_up(account, index).await?;
        }
        Ok(f(index))
    }

    /// Applies the changes made since the index was read, from the store's feed.
    async fn catch_up(&self, account: Scope, index: &mut Index) -> StoreResult<()> {
        self.read_changes(account, index, Since::After(index.seq)).await
    }

    /// Applies the store's feed from `since` to its end, a page at a time.
    async fn read_changes(
        &self,
        account: Scope,
        index: &mut Index,
        mut since: Since,
    ) -> StoreResult<()> {
        const BATCH: usize = 2_000;
        loop {
            let page = match self.store.feed(account, since, BATCH).await {
                Ok(page) => page,
                // Changes forgotten since the index was read: read the book again.
                Err(StoreError::CursorInvalid) if since != Since::Start => {
                    *index = Index::build(0, &[]);
                    since = Since::Start;
                    continue;
                }
                Err(e) => return Err(e),
            };
            for item in &page.items {
                index.apply(item);
            }
            index.seq = index.seq.max(page.next);
            if !page.more {
                return Ok(());
            }
            since = Since::After(index.seq);
        }
    }

    /// One page of the list.
    pub async fn page(
        &self,
        account: impl Into<Scope> + Copy,
        q: &ListQuery,
    ) -> StoreResult<ContactPage> {
        self.with(account, |i| i.page(q)).await
    }

    /// Every id that matches, in list order (for "select all matching").
    pub async fn matching(
        &self,
        account: impl Into<Scope> + Copy,
        q: &str,
        group: Option<GroupId>,
    ) -> StoreResult<Vec<ContactId>> {
        self.with(account, |i| i.matching(q, group, ListSort::Name)).await
    }

    pub async fn duplicates(
        &self,
        account: impl Into<Scope> + Copy,
    ) -> StoreResult<Vec<DuplicateSet>> {
        self.with(account, |i| i.duplicates()).await
    }

    /// Loads (or refreshes) the account's index and says how big it is and how long it took.
    pub async fn warm(&self, account: impl Into<Scope> + Copy) -> StoreResult<LoadStats> {
        let start = Instant::now();
        let contacts = self.with(account, |i| i.len()).await?;
        Ok(LoadStats { contacts, millis: start.elapsed().as_millis() })
    }

    /// Forgets a book's index (e.g. after its key was rotated or it was removed).
    pub async fn forget(&self, book: BookId) {
        self.slots.lock().await.remove(&book);
    }
}

#[cfg(test)]
mod tests;
