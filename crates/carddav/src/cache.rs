//! Contact cards served recently, per account, ready to send again: a multiget answered from
//! here reads one number from the database (the account's change sequence) instead of opening,
//! decoding and writing every card. A first sync of a large book is 100 such multigets.
//!
//! The database stays the truth, as for the directory index: before answering, the cache
//! reads the account's change sequence and forgets every card that changed since it last looked
//! (from any device or any Rolo instance sharing the database). A card's CardDAV name is written
//! in its card's transaction, so a renamed card moves the sequence too. Group cards are not kept
//! (their text depends on other cards). Entries read from the database are kept only if the
//! sequence has not moved since the request read it. The cards are plaintext in memory, like the
//! directory index; the whole cache is bounded in bytes and drops the least recently used
//! address books first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::BookId;
use interchange::vcard::VcardVersion;
use store::Scope;
use store::{Since, Store};
use tokio::sync::watch;
use uuid::Uuid;

use crate::book::{self, Names};
use crate::error::DavResult;

/// One served card, as sent.
#[derive(Debug)]
pub struct CachedCard {
    /// Its resource name (the stored href, or the default `<id>.vcf`).
    pub name: String,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The vCard, cleaned for serving.
    pub text: String,
}

impl CachedCard {
    fn size(&self) -> usize {
        // The text, the strings, and the maps' share (two keys and an entry).
        self.text.len() + 2 * self.name.len() + self.etag.len() + 160
    }
}

/// A first sync's listing of fewer cards than this is not warmed up.
const WARM_FROM: usize = 200;
/// Cards read and written at once by a warm-up.
const WARM_CHUNK: usize = 200;
/// Longest a multiget waits for a warm-up.
const WARM_WAIT: Duration = Duration::from_secs(5);

/// More changes than this since the cache last looked: the account's cards are dropped instead
/// of forgotten one by one.
const MAX_CHANGES_FOLLOWED: usize = 2000;

#[derive(Default)]
struct Book {
    /// The change sequence the cards are valid at.
    seq: i64,
    /// Resource name → card id.
    by_name: HashMap<String, Uuid>,
    cards: HashMap<(Uuid, bool), Arc<CachedCard>>,
    bytes: usize,
    used: u64,
    /// The version the last multiget asked for (vCard 4.0?): what a warm-up writes.
    v4_last: bool,
    warming: Option<Arc<Warming>>,
}

/// A warm-up under way: the cards of a first sync's listing, read and written ahead of the
/// client's multigets, in the listing's order.
struct Warming {
    v4: bool,
    /// Resource name → place in the listing.
    place: HashMap<String, usize>,
    /// How many of the listing are done; the sender is dropped when the warm-up ends.
    done: watch::Receiver<usize>,
}

impl Book {
    fn forget(&mut self, id: &Uuid) {
        for v4 in [false, true] {
            if let Some(c) = self.cards.remove(&(*id, v4)) {
                self.bytes -= c.size();
                if self.by_name.get(&c.name) == Some(id) {
                    self.by_name.remove(&c.name);
                }
            }
        }
    }
}

#[derive(Default)]
struct Inner {
    books: HashMap<BookId, Book>,
    bytes: usize,
    clock: u64,
}

/// See the module documentation.
pub struct CardCache {
    inner: Mutex<Inner>,
    /// Largest total size in bytes; 0 keeps nothing.
    limit: usize,
}

fn is_v4(v: VcardVersion) -> bool {
    v == VcardVersion::V4
}

impl CardCache {
    pub fn new(limit: usize) -> Self {
        CardCache { inner: Mutex::new(Inner::default()), limit }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // serves a wrong card (each step forgets before it adds), so carry on.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Brings the account's cards up to the database's change sequence (forgetting what
    /// changed) and returns that sequence, for [`CardCache::get`] and [`CardCache::put`].
    pub async fn validate(&self, store: &Store, account: Scope) -> DavResult<i64> {
        let seq = store.current_seq(account).await?;
        if self.limit == 0 {
            return Ok(seq);
        }
        let known = {
            let mut inner = self.lock();
            match inner.books.get(&account.book()).map(|b| b.seq) {
                Some(s) if s == seq => return Ok(seq),
                Some(s) if s < seq && !inner.books[&account.book()].cards.is_empty() => s,
                _ => {
                    // Nothing kept, or the sequence went back (a restored database): start over.
                    let old = inner.books.insert(account.book(), Book { seq, ..Book::default() });
                    inner.bytes -= old.map_or(0, |b| b.bytes);
                    return Ok(seq);
                }
            }
        };
        // Too many changes to follow, or changes forgotten: start over.
        let changed =
            match store.feed_heads(account, Since::After(known), MAX_CHANGES_FOLLOWED).await {
                Ok(page) if !page.more => Some(page.items),
                Ok(_) | Err(store::StoreError::CursorInvalid) => None,
                Err(e) => return Err(e.into()),
            };
        let mut inner = self.lock();
        let Inner { books, bytes, .. } = &mut *inner;
        if let Some(book) = books.get_mut(&account.book()).filter(|b| b.seq == known) {
            let before = book.bytes;
            match &changed {
                None => *book = Book::default(),
                Some(rows) => {
                    for row in rows {
                        book.forget(row.id.as_uuid());
                    }
                }
            }
            // The rows read may go past `seq`: forgetting them is still right.
            book.seq = seq;
            *bytes -= before - book.bytes;
        }
        Ok(seq)
    }

    /// The kept cards of these resource names, as of `seq` (none if the cache is elsewhere).
    pub fn get(
        &self,
        account: Scope,
        seq: i64,
        names: &[&str],
        version: VcardVersion,
    ) -> Vec<Option<Arc<CachedCard>>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        match inner.books.get_mut(&account.book()).filter(|b| b.seq == seq) {
            Some(book) => {
                book.used = clock;
                book.v4_last = is_v4(version);
                let find = |n: &str| {
                    book.by_name
                        .get(n)
                        .and_then(|id| book.cards.get(&(*id, is_v4(version))))
                        .filter(|c| c.name == n)
                        .cloned()
                };
                names.iter().map(|n| find(n)).collect()
            }
            None => vec![None; names.len()],
        }
    }

    /// Keeps cards read from the database after [`CardCache::validate`] returned `seq`: only if
    /// nothing changed since. False when they were not all kept (changes, or no room).
    pub fn put(
        &self,
        account: Scope,
        seq: i64,
        version: VcardVersion,
        cards: Vec<(Uuid, CachedCard)>,
    ) -> bool {
        if self.limit == 0 {
            return false;
        }
        if cards.is_empty() {
            return true;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        let Inner { books, bytes, .. } = &mut *inner;
        if books.get(&account.book()).is_none_or(|b| b.seq != seq) {
            return false;
        }
        // Make room: drop the least recently used other books first.
        let incoming: usize = cards.iter().map(|(_, c)| c.size()).sum();
        while *bytes + incoming > self.limit {
            let Some((&lru, _)) =
                books.iter().filter(|(a, _)| **a != account.book()).min_by_key(|(_, b)| b.used)
            else {
                break;
            };
            if let Some(b) = books.remove(&lru) {
                *bytes -= b.bytes;
            }
        }
        let Some(book) = books.get_mut(&account.book()) else { return false };
        book.used = clock;
        for (id, card) in cards {
            let size = card.size();
            if *bytes + size > self.limit {
                return false;
            }
            let before = book.bytes;
            // The same card in the other version stays, unless it is under another name.
            let key = (id, is_v4(version));
            let renamed = [key, (id, !key.1)]
                .iter()
                .any(|k| book.cards.get(k).is_some_and(|c| c.name != card.name));
            match renamed {
                true => book.forget(&id),
                false => {
                    if let Some(old) = book.cards.remove(&key) {
                        book.bytes -= old.size();
                    }
                }
            }
            *bytes -= before - book.bytes;
            book.by_name.insert(card.name.clone(), id);
            book.cards.insert(key, Arc::new(card));
            book.bytes += size;
            *bytes += size;
        }
        true
    }

    /// After a first sync's listing of `cards` (live contacts, in order, with their resource
    /// names), reads and writes them ahead of the client's multigets, in the version the
    /// account's last multiget asked for (3.0 when none did). One warm-up per account at a time;
    /// it stops when the account changes or the memory is full.
    pub async fn warm(
        self: &Arc<Self>,
        store: Arc<Store>,
        account: Scope,
        cards: Vec<(Uuid, String)>,
        names: Names,
        max: usize,
    ) -> DavResult<()> {
        if cards.len() < WARM_FROM || cards.len() * 600 > self.limit / 2 {
            return Ok(());
        }
        let seq = self.validate(&store, account).await?;
        let (tx, rx) = watch::channel(0);
        let mut cards = cards;
        let (v4, warming) = {
            let mut inner = self.lock();
            let Some(book) = inner
                .books
                .get_mut(&account.book())
                .filter(|b| b.seq == seq && b.warming.is_none())
            else {
                return Ok(());
            };
            // Only what is not kept already.
            let v4 = book.v4_last;
            cards.retain(|(id, name)| book.cards.get(&(*id, v4)).is_none_or(|c| c.name != *name));
            if cards.len() < WARM_FROM {
                return Ok(());
            }
            let place = cards.iter().enumerate().map(|(i, (_, name))| (name.clone(), i)).collect();
            let warming = Arc::new(Warming { v4, place, done: rx });
            book.warming = Some(warming.clone());
            (v4, warming)
        };
        let version = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let cache = self.clone();
        tokio::spawn(async move {
            let mut done = 0;
            for chunk in cards.chunks(WARM_CHUNK) {
                let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
                let states = match store.entry_states(account, &ids).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "CardDAV: making cards ready ahead stopped");
                        break;
                    }
                };
                let written = store::par_map(chunk, |(id, name)| {
                    let item = states.get(id).filter(|i| book::is_live(i) && !book::is_group(i))?;
                    let text = book::render(item, &names, None, version, max)?;
                    let last_modified = book::updated_at(item);
                    Some((
                        *id,
                        CachedCard {
                            name: name.clone(),
                            etag: book::etag(item, None),
                            last_modified,
                            text,
                        },
                    ))
                });
                if !cache.put(account, seq, version, written.into_iter().flatten().collect()) {
                    break;
                }
                done += chunk.len();
                tx.send_replace(done);
            }
            // Unless another warm-up has taken its place meanwhile.
            if let Some(book) = cache
                .lock()
                .books
                .get_mut(&account.book())
                .filter(|b| b.warming.as_ref().is_some_and(|w| Arc::ptr_eq(w, &warming)))
            {
                book.warming = None;
            }
        });
        Ok(())
    }

    /// Waits (a few seconds at most) until a warm-up under way for this version has written
    /// those of `names` it will write.
    pub async fn wait_for_warm_up(&self, account: Scope, names: &[&str], version: VcardVersion) {
        let Some(w) = self.lock().books.get(&account.book()).and_then(|b| b.warming.clone()) else {
            return;
        };
        if w.v4 != is_v4(version) {
            return;
        }
        let mut done = w.done.clone();
        let Some(last) = names
            .iter()
            .filter_map(|n| w.place.get(*n))
            .copied()
            .filter(|p| *p >= *done.borrow())
            .max()
        else {
            return;
        };
        let _ = tokio::time::timeout(WARM_WAIT, done.wait_for(|d| *d > last)).await;
    }

    /// Bytes kept, for tests and figures.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str, text: &str) -> CachedCard {
        CachedCard {
            name: name.into(),
            etag: format!("\"{name}\""),
            last_modified: Utc::now(),
            text: text.into(),
        }
    }

    #[test]
    fn kept_only_at_its_sequence_and_version() {
        let cache = CardCache::new(1 << 20);
        let a = Scope::from(domain::AccountId::from_uuid(Uuid::now_v7()));
        let id = Uuid::now_v7();
        // No book yet: nothing is kept.
        cache.put(a, 5, VcardVersion::V3, vec![(id, card("x.vcf", "BEGIN:VCARD"))]);
        assert_eq!(cache.bytes(), 0);
        cache.lock().books.insert(a.book(), Book { seq: 5, ..Book::default() });
        cache.put(a, 4, VcardVersion::V3, vec![(id, card("x.vcf", "old"))]);
        assert_eq!(cache.bytes(), 0, "read at another sequence");
        cache.put(a, 5, VcardVersion::V3, vec![(id, card("x.vcf", "BEGIN:VCARD"))]);
        assert!(cache.bytes() > 0);
        assert_eq!(
            cache.get(a, 5, &["x.vcf"], VcardVersion::V3)[0].as_ref().map(|c| c.text.as_str()),
            Some("BEGIN:VCARD")
        );
        assert!(cache.get(a, 5, &["x.vcf"], VcardVersion::V4)[0].is_none());
        assert!(cache.get(a, 6, &["x.vcf"], VcardVersion::V3)[0].is_none());
        assert!(cache.get(a, 5, &["y.vcf"], VcardVersion::V3)[0].is_none());
        // Renamed: the old name no longer finds it.
        cache.put(a, 5, VcardVersion::V3, vec![(id, card("y.vcf", "BEGIN:VCARD"))]);
        assert!(cache.get(a, 5, &["x.vcf"], VcardVersion::V3)[0].is_none());
        assert!(cache.get(a, 5, &["y.vcf"], VcardVersion::V3)[0].is_some());
        let mut inner = cache.lock();
        let book = &inner.books[&a.book()];
        assert_eq!(inner.bytes, book.bytes);
        assert_eq!(book.bytes, card("y.vcf", "BEGIN:VCARD").size());
        inner.books.get_mut(&a.book()).unwrap().forget(&id);
    }

    #[test]
    fn bounded_by_dropping_the_least_recently_used_books() {
        let one = card("0000.vcf", &"x".repeat(1000)).size();
        let cache = CardCache::new(one * 10);
        let accounts: Vec<Scope> =
            (0..3).map(|_| Scope::from(domain::AccountId::from_uuid(Uuid::now_v7()))).collect();
        for a in &accounts {
            cache.lock().books.insert(a.book(), Book { seq: 1, ..Book::default() });
            let cards = (0..4)
                .map(|i| (Uuid::now_v7(), card(&format!("{i:04}.vcf"), &"x".repeat(1000))))
                .collect();
            cache.put(*a, 1, VcardVersion::V3, cards);
            assert!(cache.bytes() <= one * 10);
        }
        let inner = cache.lock();
        // The first account's book went to make room; the last one is whole.
        assert!(!inner.books.contains_key(&accounts[0].book()));
        assert_eq!(inner.books[&accounts[2].book()].cards.len(), 4);
        assert_eq!(inner.bytes, inner.books.values().map(|b| b.bytes).sum::<usize>());
        drop(inner);
        // Nothing is kept with no room.
        let none = CardCache::new(0);
        none.put(accounts[0], 1, VcardVersion::V3, vec![(Uuid::now_v7(), card("a.vcf", "x"))]);
        assert_eq!(none.bytes(), 0);
    }
}
