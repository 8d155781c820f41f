//! The backend contract: one test suite every backend must pass. Each backend crate runs it
//! with `store::contract_tests!(fresh_backend);` where `fresh_backend()` returns an empty
//! database of its kind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{Duration, Utc};
use crypto::{Keyring, MasterKey};
use domain::{
    Access, AccountId, BookId, BookKind, ContactData, ContactDraft, ContactId, DeviceKind, Grantee,
    LabeledDraft, Origin, Username,
};

use crate::{Backend, FeedItem, KeySource, Scope, Store, StoreError};

/// Expands to one `#[tokio::test]` per contract case.
#[macro_export]
macro_rules! contract_tests {
    ($make:path) => {
        $crate::contract_tests!(@case $make; accounts_and_logins, sessions, contact_lifecycle,
            change_log_and_cursor, account_isolation, stale_writes_are_refused,
            sealed_rows_are_bound_to_their_contact, key_rotation, concurrent_writes_get_distinct_sequence_numbers,
            history_and_feed_for_sync, devices_and_tokens, batch_inserts_are_all_or_nothing, groups, trash_restore_and_purge, language_choice,
            dav_names, attempts_are_counted_before_they_are_checked, parallel_guesses_are_counted_too,
            second_factor_codes_work_once, sign_ins_wait_for_their_second_factor, every_write_refuses_oversized_contacts,
            books_and_shares, teams_and_directories, book_keys_and_trash, copy_and_move_between_books,
            import_jobs_are_shared_and_private, abandoned_and_old_import_jobs, failure_windows_are_shared,
            withdrawn_access_is_seen_by_every_instance, undo_puts_the_book_back_as_it_was,
            undo_checks_its_preview_groups_and_shares);
    };
    (@case $make:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::contract::$name($make().await).await
            }
        )*
    };
}

pub fn test_keyring() -> Keyring {
    Keyring::new(vec![MasterKey::generate().unwrap()]).unwrap()
}

pub async fn store_on(backend: Arc<dyn Backend>) -> Store {
    Store::new(backend, KeySource::Fixed(test_keyring())).await.unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

pub fn contact(given: &str, family: &str, phone: &str, email: &str) -> ContactData {
    ContactDraft {
        given_name: given.into(),
        family_name: family.into(),
        phones: vec![LabeledDraft { label: "mobile".into(), value: phone.into() }],
        emails: vec![LabeledDraft { label: "work".into(), value: email.into() }],
        notes: format!("notes about {given}"),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

/// Writes contacts with these known strings; backends then assert none appears in their files.
pub const SECRET_STRINGS: [&str; 7] = [
    "Wilhelmina",
    "Quackenbush",
    "13912345678",
    "wilhelmina.q@example.org",
    "诸葛孔明",
    "Zhuge-Secret-Note",
    "Quokka-Secret-Book",
];

pub async fn write_known_contacts(store: &Store) -> AccountId {
    let acc =
        store.create_account(&user("secret-owner"), "correct horse battery", false).await.unwrap();
    let mut data =
        contact(SECRET_STRINGS[0], SECRET_STRINGS[1], SECRET_STRINGS[2], SECRET_STRINGS[3]);
    let c = store.create_contact(acc.id, None, &data, Origin::Console).await.unwrap();
    data.notes = "edited once".into();
    store.update_contact(acc.id, c.id, c.revision, &data, Origin::Console).await.unwrap();
    let mut zh = contact("孔明", "诸葛", "+86 139 1234 5678", "kongming@example.cn");
    zh.notes = SECRET_STRINGS[5].into();
    zh.display_name = SECRET_STRINGS[4].into();
    let z = store.create_contact(acc.id, None, &zh, Origin::Console).await.unwrap();
    // A deleted contact must not leave its content behind either.
    let gone = store
        .create_contact(
            acc.id,
            None,
            &contact("Deleted", "Person", "555 0100", "deleted@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    store.delete_contact(acc.id, gone.id, 1, Origin::Console).await.unwrap();
    assert_eq!(store.list_contacts(acc.id).await.unwrap().len(), 2);
    assert_eq!(store.get_contact(acc.id, z.id).await.unwrap().data.notes, SECRET_STRINGS[5]);
    // A book's name and description are sealed too.
    store.create_book(acc.id, SECRET_STRINGS[6], SECRET_STRINGS[6]).await.unwrap();
    // So is what an import job keeps of its file: group, failed rows, report, message.
    let job = store.create_import_job(acc.id.into(), Some(SECRET_STRINGS[1]), 2).await.unwrap();
    let failures = vec![crate::JobFailure {
        line: 2,
        reason: format!("{} is not a phone number", SECRET_STRINGS[2]),
    }];
    let report = format!("Line,Outcome,Contact,Reason\r\n1,imported,,{}\r\n", SECRET_STRINGS[0]);
    let counts = crate::JobCounts::default();
    store.end_import_job(job, &counts, crate::JobEnd::Done { failures, report }).await.unwrap();
    let job = store.create_import_job(acc.id.into(), None, 2).await.unwrap();
    let message = format!("{} broke the file", SECRET_STRINGS[3]);
    store.end_import_job(job, &counts, crate::JobEnd::Failed(message)).await.unwrap();
    acc.id
}

pub async fn accounts_and_logins(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    let a = store.create_account(&user("alice"), "correct horse battery", true).await.unwrap();
    assert!(a.is_admin);
    let dup = store.create_account(&user("alice"), "another password", false).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let short = store.create_account(&user("bob"), "short", false).await;
    assert!(matches!(short, Err(StoreError::Invalid(_))));
    store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 2);
    let names: Vec<String> =
        store.list_accounts().await.unwrap().into_iter().map(|a| a.username.to_string()).collect();
    assert_eq!(names, vec!["alice", "bob"]);

    assert_eq!(
        store.verify_login(&user("alice"), "correct horse battery").await.unwrap().unwrap().id,
        a.id
    );
    assert!(store.verify_login(&user("alice"), "wrong password").await.unwrap().is_none());
    assert!(store.verify_login(&user("nobody"), "correct horse battery").await.unwrap().is_none());

    store.set_password(a.id, "a brand new secret").await.unwrap();
    assert!(store.verify_login(&user("alice"), "correct horse battery").await.unwrap().is_none());
    assert!(store.verify_login(&user("alice"), "a brand new secret").await.unwrap().is_some());

    store.set_disabled(a.id, true).await.unwrap();
    assert!(store.verify_login(&user("alice"), "a brand new secret").await.unwrap().is_none());
    assert!(store.account(a.id).await.unwrap().disabled);
    store.set_disabled(a.id, false).await.unwrap();
    assert!(store.verify_login(&user("alice"), "a brand new secret").await.unwrap().is_some());
    store.set_admin(a.id, false).await.unwrap();
    assert!(!store.account(a.id).await.unwrap().is_admin);
    // The overview counts contacts and knows the last change, per account.
    store
        .create_contact(
            a.id,
            None,
            &contact("Ann", "A", "555 0001", "ann@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let overview = store.account_overview().await.unwrap();
    let alice = overview.iter().find(|o| o.account.id == a.id).unwrap();
    assert_eq!(alice.contacts, 1);
    assert!(alice.last_activity.is_some());
    let bob = overview.iter().find(|o| o.account.username.as_str() == "bob").unwrap();
    assert_eq!((bob.contacts, bob.last_activity), (0, None));
    let missing = AccountId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(store.set_disabled(missing, true).await, Err(StoreError::NotFound)));
}

pub async fn sessions(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let s = store.create_session(a.id, Duration::hours(1)).await.unwrap();
    assert!(s.token.len() >= 40);
    assert_eq!(store.session_account(&s.token).await.unwrap().unwrap().id, a.id);
    assert!(store.session_account("not-a-token").await.unwrap().is_none());
    assert!(store.session_account("").await.unwrap().is_none());

    // The token is stored only as a hash.
    let stored = backend.session(&s.token).await.unwrap();
    assert!(stored.is_none(), "raw token must not be a key in the database");

    // Logout.
    store.delete_session(&s.token).await.unwrap();
    assert!(store.session_account(&s.token).await.unwrap().is_none());

    // Expiry.
    let expired = store.create_session(a.id, Duration::seconds(-1)).await.unwrap();
    assert!(store.session_account(&expired.token).await.unwrap().is_none());
    let _e2 = store.create_session(a.id, Duration::seconds(-5)).await.unwrap();
    let live = store.create_session(a.id, Duration::hours(1)).await.unwrap();
    assert_eq!(store.purge_expired_sessions().await.unwrap(), 1);
    assert!(store.session_account(&live.token).await.unwrap().is_some());

    // An account lists its sessions (the asking one marked) and can end one.
    let other = store.create_session(a.id, Duration::hours(1)).await.unwrap();
    let list = store.sessions(a.id, Some(&live.token)).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s.current).count(), 1);
    assert!(list.iter().all(|s| !s.id.contains(&live.token) && s.id.len() == 24));
    let other_id = list.iter().find(|s| !s.current).unwrap().id.clone();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    assert!(matches!(store.end_session(b.id, &other_id).await, Err(StoreError::NotFound)));
    store.end_session(a.id, &other_id).await.unwrap();
    assert!(store.session_account(&other.token).await.unwrap().is_none());
    assert!(store.session_account(&live.token).await.unwrap().is_some());

    // Disabling the account or changing its password ends its sessions.
    store.set_disabled(a.id, true).await.unwrap();
    assert!(store.session_account(&live.token).await.unwrap().is_none());
    store.set_disabled(a.id, false).await.unwrap();
    let again = store.create_session(a.id, Duration::hours(1)).await.unwrap();
    store.set_password(a.id, "fresh password 1").await.unwrap();
    assert!(store.session_account(&again.token).await.unwrap().is_none());
}

pub async fn contact_lifecycle(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let data = contact("伟", "张", "+86 138-0013-8000", "zhang.wei@example.cn");
    let c = store.create_contact(a.id, None, &data, Origin::Console).await.unwrap();
    assert_eq!(c.revision, 1);
    assert_eq!(c.data.display_name, "张伟");
    let got = store.get_contact(a.id, c.id).await.unwrap();
    assert_eq!(got, c);

    // A device-chosen id is kept; reusing it is a conflict, not a duplicate.
    let dev_id = ContactId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60").unwrap();
    let d = store
        .create_contact(
            a.id,
            Some(dev_id),
            &contact("Ada", "Lovelace", "555 0101", "ada@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    assert_eq!(d.id, dev_id);
    assert!(matches!(
        store.create_contact(a.id, Some(dev_id), &data, Origin::Console).await,
        Err(StoreError::Conflict(_))
    ));

    let mut edited = c.data.clone();
    edited.organization = "Rolo".into();
    assert_eq!(store.update_contact(a.id, c.id, 1, &edited, Origin::Console).await.unwrap(), 2);
    let e = store.get_contact(a.id, c.id).await.unwrap();
    assert_eq!(e.data.organization, "Rolo");
    assert!(e.updated_at >= c.updated_at);
    assert_eq!(e.created_at, c.created_at);

    let list = store.list_contacts(a.id).await.unwrap();
    assert_eq!(
        list.iter().map(|c| c.data.display_name.as_str()).collect::<Vec<_>>(),
        vec!["Ada Lovelace", "张伟"]
    );

    store.delete_contact(a.id, c.id, 2, Origin::Console).await.unwrap();
    assert!(matches!(store.get_contact(a.id, c.id).await, Err(StoreError::NotFound)));
    // One rule for every channel: a write is based on the current revision. An edit of what was
    // opened before the deletion is stale; deleting again finds nothing; a write based on the
    // tombstone itself brings the contact back (as restoring from the trash does).
    assert!(matches!(
        store.update_contact(a.id, c.id, 2, &edited, Origin::Console).await,
        Err(StoreError::Stale { current: 3 })
    ));
    assert!(matches!(
        store.delete_contact(a.id, c.id, 3, Origin::Console).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_contacts(a.id).await.unwrap().len(), 1);
    assert_eq!(store.update_contact(a.id, c.id, 3, &edited, Origin::Console).await.unwrap(), 4);
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap().data.organization, "Rolo");
    store.delete_contact(a.id, c.id, 4, Origin::Console).await.unwrap();
    // Deleting twice is NotFound, not a second tombstone.
    assert!(matches!(
        store.delete_contact(a.id, c.id, 3, Origin::Console).await,
        Err(StoreError::NotFound)
    ));
    // The tombstone keeps its id: it cannot be re-created as a new contact.
    assert!(matches!(
        store.create_contact(a.id, Some(c.id), &data, Origin::Console).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn change_log_and_cursor(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    assert_eq!(store.current_seq(a.id).await.unwrap(), 0);
    assert!(store.changes_since(a.id, 0, 100).await.unwrap().is_empty());
    let c1 = store
        .create_contact(
            a.id,
            None,
            &contact("One", "A", "555 0001", "one@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let c2 = store
        .create_contact(
            a.id,
            None,
            &contact("Two", "B", "555 0002", "two@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    store
        .update_contact(
            a.id,
            c1.id,
            1,
            &contact("Uno", "A", "555 0001", "one@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    store.delete_contact(a.id, c2.id, 1, Origin::Console).await.unwrap();
    assert_eq!(store.current_seq(a.id).await.unwrap(), 4);

    let all = store.changes_since(a.id, 0, 100).await.unwrap();
    let summary: Vec<(i64, ContactId, i64, bool)> =
        all.iter().map(|c| (c.seq, c.id, c.revision, c.deleted)).collect();
    assert_eq!(
        summary,
        vec![(1, c1.id, 1, false), (2, c2.id, 1, false), (3, c1.id, 2, false), (4, c2.id, 2, true)]
    );
    let page = store.changes_since(a.id, 1, 2).await.unwrap();
    assert_eq!(page.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![2, 3]);
    // Nothing new: nothing returned, and the cursor stays where it is.
    assert!(store.changes_since(a.id, 4, 100).await.unwrap().is_empty());
    assert_eq!(store.current_seq(a.id).await.unwrap(), 4);
    // A refused write does not move the sequence.
    let _ = store
        .update_contact(
            a.id,
            c1.id,
            1,
            &contact("Stale", "A", "555 0001", "one@example.org"),
            Origin::Console,
        )
        .await;
    assert_eq!(store.current_seq(a.id).await.unwrap(), 4);
}

pub async fn account_isolation(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let c = store
        .create_contact(
            a.id,
            None,
            &contact("Private", "Person", "555 0199", "p@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    assert!(matches!(store.get_contact(b.id, c.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.update_contact(b.id, c.id, 1, &c.data, Origin::Console).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_contact(b.id, c.id, 1, Origin::Console).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.list_contacts(b.id).await.unwrap().is_empty());
    assert!(store.changes_since(b.id, 0, 100).await.unwrap().is_empty());
    assert_eq!(store.current_seq(b.id).await.unwrap(), 0);
    // Alice's contact is untouched.
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap(), c);
    // Bob may use the same UUID for his own contact without touching Alice's.
    let bc = store
        .create_contact(
            b.id,
            Some(c.id),
            &contact("Bobs", "Own", "555 0200", "own@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap().data.display_name, "Private Person");
    assert_eq!(store.get_contact(b.id, bc.id).await.unwrap().data.display_name, "Bobs Own");
}

pub async fn stale_writes_are_refused(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let c = store
        .create_contact(
            a.id,
            None,
            &contact("Edit", "Race", "555 0300", "race@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    store
        .update_contact(
            a.id,
            c.id,
            1,
            &contact("First", "Edit", "555 0300", "race@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let second = store
        .update_contact(
            a.id,
            c.id,
            1,
            &contact("Second", "Edit", "555 0300", "race@example.org"),
            Origin::Console,
        )
        .await;
    assert!(matches!(second, Err(StoreError::Stale { current: 2 })), "{second:?}");
    assert!(matches!(
        store.delete_contact(a.id, c.id, 1, Origin::Console).await,
        Err(StoreError::Stale { current: 2 })
    ));
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap().data.display_name, "First Edit");
    // The backend itself refuses a stale base revision (two servers racing), and another kind of
    // record under the same id.
    let row = store.backend.record(BookId::first_of(a.id), c.id).await.unwrap().unwrap();
    let racing = crate::RecordWrite {
        kind: row.kind,
        id: c.id,
        base: Some(1),
        sealed: row.sealed.clone(),
        at: Utc::now(),
        name: None,
    };
    assert!(matches!(
        store
            .backend
            .write_records(BookId::first_of(a.id), std::slice::from_ref(&racing), "console", a.id)
            .await,
        Err(StoreError::Stale { current: 2 })
    ));
    let group = crate::RecordWrite { kind: crate::EntityKind::Group, base: Some(2), ..racing };
    assert!(matches!(
        store.backend.write_records(BookId::first_of(a.id), &[group], "console", a.id).await,
        Err(StoreError::WrongKind)
    ));
}

pub async fn sealed_rows_are_bound_to_their_contact(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let c1 = store
        .create_contact(
            a.id,
            None,
            &contact("Real", "One", "555 0401", "one@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let c2 = store
        .create_contact(
            a.id,
            None,
            &contact("Other", "Two", "555 0402", "two@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    // Copy c1's sealed content onto c2 as a new revision, as an attacker with database access might.
    let r1 = backend.record(BookId::first_of(a.id), c1.id).await.unwrap().unwrap();
    let moved = crate::RecordWrite {
        kind: r1.kind,
        id: c2.id,
        base: Some(1),
        sealed: r1.sealed.clone(),
        at: Utc::now(),
        name: None,
    };
    backend.write_records(BookId::first_of(a.id), &[moved], "console", a.id).await.unwrap();
    let err = store.get_contact(a.id, c2.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err:?}");
    assert!(store.get_contact(a.id, c1.id).await.is_ok());
}

pub async fn key_rotation(backend: Arc<dyn Backend>) {
    let old = test_keyring();
    let store = Store::new(backend.clone(), KeySource::Fixed(old.clone())).await.unwrap();
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let c = store
        .create_contact(
            a.id,
            None,
            &contact("Kept", "Across", "555 0500", "kept@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let new_key = MasterKey::generate().unwrap();
    let rotated = old.rotated(new_key.clone());
    let report = store.rotate_to(rotated.clone()).await.unwrap();
    assert_eq!(report.rewrapped, 2);
    assert!(report.still_in_use.is_empty());
    assert_eq!(backend.key_ids_in_use().await.unwrap(), vec![(new_key.id().to_string(), 2)]);
    // A fresh process holding only the new key reads everything.
    let only_new = rotated.without(&[old.active().id().clone()]);
    let fresh = Store::new(backend.clone(), KeySource::Fixed(only_new)).await.unwrap();
    assert_eq!(fresh.get_contact(a.id, c.id).await.unwrap().data.display_name, "Kept Across");
    assert!(fresh.list_contacts(b.id).await.unwrap().is_empty());
    // One holding only the old key cannot, and says which key is missing.
    let stale = Store::new(backend, KeySource::Fixed(old)).await.unwrap();
    assert_eq!(stale.missing_key_ids().await.unwrap(), vec![(new_key.id().to_string(), 2)]);
    assert!(matches!(stale.get_contact(a.id, c.id).await, Err(StoreError::Crypto(_))));
}

pub async fn concurrent_writes_get_distinct_sequence_numbers(backend: Arc<dyn Backend>) {
    let store = Arc::new(store_on(backend).await);
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_contact(
                    a.id,
                    None,
                    &contact(&format!("Person{i}"), "Load", "555 0600", "load@example.org"),
                    Origin::Console,
                )
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let seqs: Vec<i64> =
        store.changes_since(a.id, 0, 1000).await.unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=24).collect::<Vec<_>>());
    assert_eq!(store.list_contacts(a.id).await.unwrap().len(), 24);
    let _ = Utc::now();
}

pub async fn history_and_feed_for_sync(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let (dev, _) = store.create_device(a.id, "Laptop", DeviceKind::Pc).await.unwrap();
    let v1 = contact("One", "A", "555 0001", "one@example.org");
    let c = store.create_contact(a.id, None, &v1, Origin::Console).await.unwrap();
    let v2 = contact("Uno", "A", "555 0001", "one@example.org");
    assert_eq!(
        store.put_contact(a.id, c.id, Some(1), &v2, Origin::Device(dev.id)).await.unwrap(),
        2
    );
    let other = store
        .create_contact(
            a.id,
            None,
            &contact("Two", "B", "555 0002", "two@example.org"),
            Origin::Cli,
        )
        .await
        .unwrap();
    store.delete_contact(a.id, c.id, 2, Origin::Console).await.unwrap();

    // Every revision is kept, with who made it.
    let h = store.history(a.id, c.id).await.unwrap();
    let summary: Vec<(i64, Origin, Option<String>)> = h
        .iter()
        .map(|e| (e.revision, e.origin, e.data.as_ref().map(|d| d.display_name.clone())))
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, Origin::Console, None),
            (2, Origin::Device(dev.id), Some("Uno A".into())),
            (1, Origin::Console, Some("One A".into()))
        ]
    );
    assert_eq!(store.revision_data(a.id, c.id, 1).await.unwrap(), Some(Some(v1.clone())));
    assert_eq!(store.revision_data(a.id, c.id, 3).await.unwrap(), Some(None));
    assert_eq!(store.revision_data(a.id, c.id, 9).await.unwrap(), None);

    // The feed has each contact once, at its last change, tombstones included.
    let feed = store.feed(a.id, crate::Since::Start, 100).await.unwrap().items;
    let ids: Vec<(ContactId, i64, bool)> = feed
        .iter()
        .map(|i| match i {
            FeedItem::Contact(s) => (s.id, s.seq, s.data.is_none()),
            FeedItem::Group(_) => panic!("no groups here"),
        })
        .collect();
    assert_eq!(ids, vec![(other.id, 3, false), (c.id, 4, true)]);
    assert_eq!(store.feed(a.id, crate::Since::After(3), 100).await.unwrap().items.len(), 1);
    assert!(store.feed(a.id, crate::Since::After(4), 100).await.unwrap().items.is_empty());

    // An edit can replace a tombstone (the edit wins over the deletion).
    assert_eq!(
        store.put_contact(a.id, c.id, Some(3), &v2, Origin::Device(dev.id)).await.unwrap(),
        4
    );
    let st = store.contact_state(a.id, c.id).await.unwrap().unwrap();
    assert_eq!((st.revision, st.data), (4, Some(v2.clone())));
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap().data, v2);
    // A stale base and a duplicate id are refused.
    assert!(matches!(
        store.put_contact(a.id, c.id, Some(3), &v1, Origin::Console).await,
        Err(StoreError::Stale { current: 4 })
    ));
    assert!(matches!(
        store.put_contact(a.id, c.id, None, &v1, Origin::Console).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.backend.purged_seq(BookId::first_of(a.id)).await.unwrap(), 0);
    assert_eq!(store.count_contacts(a.id).await.unwrap(), 2);
}

pub async fn devices_and_tokens(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let (phone, token) =
        store.create_device(a.id, "Alice's phone", DeviceKind::Phone).await.unwrap();
    assert!(token.starts_with("rolo_") && token.len() > 40);
    assert!(matches!(
        store.create_device(a.id, " ", DeviceKind::Pc).await,
        Err(StoreError::Invalid(_))
    ));
    let (d, acc) = store.device_by_token(&token).await.unwrap().unwrap();
    assert_eq!((d.id, acc.id), (phone.id, a.id));
    assert!(store.device_by_token("rolo_nope").await.unwrap().is_none());
    assert!(backend.device_by_token(&token).await.unwrap().is_none(), "tokens are stored hashed");

    store.record_sync(phone.id, Some(7), Some("127.0.0.1".into()), 3, 2).await.unwrap();
    store.record_sync(phone.id, None, None, 1, 0).await.unwrap();
    let d = store.device(a.id, phone.id).await.unwrap();
    assert_eq!(
        (d.last_cursor, d.last_addr.as_deref(), d.changes_sent, d.changes_received),
        (Some(7), Some("127.0.0.1"), 4, 2)
    );
    assert!(d.last_sync_at.is_some());

    // Another account can neither see, rename nor revoke it.
    assert!(store.devices(b.id).await.unwrap().is_empty());
    assert!(matches!(store.rename_device(b.id, phone.id, "mine").await, Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_device(b.id, phone.id).await, Err(StoreError::NotFound)));

    store.rename_device(a.id, phone.id, "Work phone").await.unwrap();
    assert_eq!(store.devices(a.id).await.unwrap()[0].name, "Work phone");
    store.revoke_device(a.id, phone.id).await.unwrap();
    assert!(store.device_by_token(&token).await.unwrap().is_none());
    assert!(store.devices(a.id).await.unwrap()[0].revoked_at.is_some());
    assert!(matches!(store.revoke_device(a.id, phone.id).await, Err(StoreError::NotFound)));

    // A disabled account's devices stop working too.
    let (_, t2) = store.create_device(a.id, "Tablet", DeviceKind::Tablet).await.unwrap();
    store.set_disabled(a.id, true).await.unwrap();
    assert!(store.device_by_token(&t2).await.unwrap().is_none());
}

pub async fn batch_inserts_are_all_or_nothing(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let first = store
        .create_contact(
            a.id,
            None,
            &contact("First", "One", "555 0001", "f@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let items: Vec<(Option<ContactId>, ContactData)> = (0..250)
        .map(|i| (None, contact(&format!("Bulk{i}"), "Person", "555 0100", "bulk@example.org")))
        .collect();
    let made = store.create_contacts(a.id, &items, Origin::Cli).await.unwrap();
    assert_eq!(made.len(), 250);
    assert_eq!(store.current_seq(a.id).await.unwrap(), 251);
    let seqs: Vec<i64> =
        store.changes_since(a.id, 0, 1000).await.unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=251).collect::<Vec<_>>());
    let feed = store.feed(a.id, crate::Since::After(1), 1000).await.unwrap().items;
    assert_eq!(feed.len(), 250);
    assert!(
        matches!(&feed[249], FeedItem::Contact(c) if c.data.as_ref().unwrap().display_name == "Bulk249 Person")
    );
    assert_eq!(
        store.get_contact(a.id, made[7].id).await.unwrap().data.display_name,
        "Bulk7 Person"
    );
    let unknown = ContactId::from_uuid(uuid::Uuid::now_v7());
    let states = store
        .entry_states(a.id, &[*made[0].id.as_uuid(), *made[249].id.as_uuid(), *unknown.as_uuid()])
        .await
        .unwrap();
    assert_eq!(states.len(), 2);
    assert!(
        matches!(&states[made[249].id.as_uuid()], FeedItem::Contact(c) if c.data.as_ref().unwrap().display_name == "Bulk249 Person")
    );
    assert_eq!(store.history(a.id, made[7].id).await.unwrap()[0].origin, Origin::Cli);
    // One existing id: nothing of the batch is written.
    let clash = vec![
        (None, contact("New", "One", "555 0002", "n@example.org")),
        (Some(first.id), contact("Dup", "Two", "555 0003", "d@example.org")),
    ];
    assert!(matches!(
        store.create_contacts(a.id, &clash, Origin::Cli).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_contacts(a.id).await.unwrap(), 251);
    assert_eq!(store.current_seq(a.id).await.unwrap(), 251);
}

pub async fn groups(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let family = store.create_group(a.id, "Family", Origin::Console).await.unwrap();
    let work = store.create_group(a.id, "Work", Origin::Console).await.unwrap();
    assert!(matches!(
        store.create_group(a.id, "  ", Origin::Console).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.list_groups(a.id).await.unwrap().iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        vec!["Family", "Work"]
    );
    assert!(store.list_groups(b.id).await.unwrap().is_empty());

    let mut d = contact("Ann", "A", "555 0001", "ann@example.org");
    d.groups = vec![family.id];
    let ann = store.create_contact(a.id, None, &d, Origin::Console).await.unwrap();
    let bob_c = store
        .create_contact(
            a.id,
            None,
            &contact("Bob", "B", "555 0002", "bob@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    // A group of another account (or none at all) cannot be used.
    let bobs = store.create_group(b.id, "Bob's", Origin::Console).await.unwrap();
    let mut bad = contact("X", "Y", "555 0003", "x@example.org");
    bad.groups = vec![bobs.id];
    assert!(matches!(
        store.create_contact(a.id, None, &bad, Origin::Console).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.set_membership(a.id, bobs.id, &[bob_c.id], true, Origin::Console).await,
        Err(StoreError::NotFound)
    ));

    // Bulk membership, as new revisions of the contacts.
    assert_eq!(
        store
            .set_membership(a.id, work.id, &[ann.id, bob_c.id], true, Origin::Console)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.set_membership(a.id, work.id, &[ann.id], true, Origin::Console).await.unwrap(),
        0
    );
    assert_eq!(
        store.get_contact(a.id, ann.id).await.unwrap().data.groups,
        vec![family.id, work.id]
    );

    // Rename with a base revision; group ids are not contacts and back.
    let renamed = store.rename_group(a.id, family.id, 1, "家人", Origin::Console).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.revision), ("家人", 2));
    assert!(matches!(
        store.rename_group(a.id, family.id, 1, "Stale", Origin::Console).await,
        Err(StoreError::Stale { current: 2 })
    ));
    let as_contact = ContactId::from_uuid(*family.id.as_uuid());
    assert!(matches!(store.get_contact(a.id, as_contact).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.delete_contact(a.id, as_contact, 2, Origin::Console).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.group(a.id, domain::GroupId::from_uuid(*ann.id.as_uuid())).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_contacts(a.id).await.unwrap(), 2);

    // Deleting a group keeps its contacts and takes them out of it.
    let seq_before = store.current_seq(a.id).await.unwrap();
    assert_eq!(store.delete_group(a.id, work.id, 1, Origin::Console).await.unwrap(), 2);
    assert_eq!(store.list_contacts(a.id).await.unwrap().len(), 2);
    assert_eq!(store.get_contact(a.id, ann.id).await.unwrap().data.groups, vec![family.id]);
    assert_eq!(store.list_groups(a.id).await.unwrap().len(), 1);

    // The feed carries groups and membership changes in change order.
    let feed = store.feed(a.id, crate::Since::After(seq_before), 100).await.unwrap().items;
    let kinds: Vec<&str> = feed
        .iter()
        .map(|i| match i {
            FeedItem::Contact(c) if c.data.is_some() => "contact",
            FeedItem::Group(g) if g.data.is_none() => "group deleted",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, vec!["contact", "contact", "group deleted"]);
    // Group names are sealed like contacts.
    let row = backend.record(BookId::first_of(a.id), as_contact).await.unwrap().unwrap();
    assert!(!row.sealed.as_ref().unwrap().windows("家人".len()).any(|w| w == "家人".as_bytes()));
}

pub async fn dav_names(backend: Arc<dyn Backend>) {
    use crate::DavName;
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob-password-12", false).await.unwrap();
    let (x, y) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let name =
        |href: &str, uid: Option<&str>| DavName { href: href.into(), uid: uid.map(str::to_string) };
    store.set_dav_name(a.id, x, &name("Secret-Href.vcf", Some("not-a-uuid"))).await.unwrap();
    store.set_dav_name(a.id, y, &name("other.vcf", None)).await.unwrap();
    // One href names one card per account; another account may use it.
    assert!(matches!(
        store.set_dav_name(a.id, y, &name("Secret-Href.vcf", None)).await,
        Err(StoreError::Conflict(_))
    ));
    store.set_dav_name(b.id, x, &name("Secret-Href.vcf", None)).await.unwrap();

    let found = store.dav_ids_by_href(a.id, &["Secret-Href.vcf", "missing.vcf"]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found["Secret-Href.vcf"], (x, name("Secret-Href.vcf", Some("not-a-uuid"))));
    assert_eq!(store.dav_names(a.id).await.unwrap().len(), 2);
    assert_eq!(store.dav_names_of(a.id, &[y]).await.unwrap()[&y], name("other.vcf", None));
    assert_eq!(store.dav_names(b.id).await.unwrap()[&x].uid, None);

    // Renaming replaces the old name, which frees its href.
    store.set_dav_name(a.id, x, &name("renamed.vcf", None)).await.unwrap();
    assert!(store.dav_ids_by_href(a.id, &["Secret-Href.vcf"]).await.unwrap().is_empty());
    store.set_dav_name(a.id, y, &name("Secret-Href.vcf", None)).await.unwrap();
    assert_eq!(
        store.dav_ids_by_href(a.id, &["Secret-Href.vcf"]).await.unwrap()["Secret-Href.vcf"].0,
        y
    );

    // One-pass resolution: stored names, default names of cards without one, states.
    let c = store
        .create_contact(
            a.id,
            None,
            &contact("Res", "Olve", "+1 555 0100", "r@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let default = format!("{}.vcf", c.id);
    let named_default = format!("{x}.vcf");
    let r = store
        .dav_resolve(a.id, &["renamed.vcf", &default, &named_default, "nope.vcf"], true)
        .await
        .unwrap();
    assert_eq!(r.ids.len(), 2, "{:?}", r.ids);
    assert_eq!((r.ids["renamed.vcf"], r.ids[&default]), (x, *c.id.as_uuid()));
    assert_eq!(r.names.len(), 1);
    assert!(matches!(&r.states[c.id.as_uuid()], FeedItem::Contact(s) if s.data.is_some()));
    // Without loading, the same names resolve the same way.
    let r2 = store
        .dav_resolve(a.id, &["renamed.vcf", &default, &named_default, "nope.vcf"], false)
        .await
        .unwrap();
    assert_eq!(r2.ids, r.ids);
    assert!(r2.states.is_empty());

    // Heads: rows without their sealed content.
    let heads = backend.heads_since(BookId::first_of(a.id), 0, 100).await.unwrap();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].sealed.is_none()
            && heads[0].id == c.id
            && heads[0].revision == 1
            && !heads[0].deleted
    );
    store.delete_contact(a.id, c.id, 1, Origin::Console).await.unwrap();
    let heads = backend.heads_since(BookId::first_of(a.id), 0, 100).await.unwrap();
    assert!(heads[0].deleted && heads[0].revision == 2);
    assert!(backend.live_heads(BookId::first_of(a.id)).await.unwrap().is_empty());
    let g = store.create_group(a.id, "G", Origin::Console).await.unwrap();
    let live = backend.live_heads(BookId::first_of(a.id)).await.unwrap();
    assert_eq!(live.len(), 1);
    assert!(
        live[0].kind == crate::EntityKind::Group
            && live[0].id.as_uuid() == g.id.as_uuid()
            && live[0].sealed.is_none()
    );

    // A card found by its stored name comes with its state; its default name no longer finds it.
    let n = store
        .create_contact(
            a.id,
            None,
            &contact("Na", "Med", "+1 555 0101", "n@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    store
        .set_dav_name(a.id, *n.id.as_uuid(), &name("Client Name.vcf", Some("client-uid")))
        .await
        .unwrap();
    let n_default = format!("{}.vcf", n.id);
    let r =
        store.dav_resolve(a.id, &["Client Name.vcf", &n_default, &default], true).await.unwrap();
    assert_eq!(r.ids.len(), 2, "{:?}", r.ids); // `default` is a tombstone now: found, with its state
    assert_eq!(r.ids["Client Name.vcf"], *n.id.as_uuid());
    assert!(
        matches!(&r.states[n.id.as_uuid()], FeedItem::Contact(s) if s.data.as_ref().unwrap().name.given == "Na")
    );
    assert_eq!(r.names[n.id.as_uuid()].uid.as_deref(), Some("client-uid"));
    assert_eq!(r.states.len(), 2);
    // Another account resolves nothing of these.
    let r = store
        .dav_resolve(b.id, &["Client Name.vcf", &n_default, &default, "renamed.vcf"], true)
        .await
        .unwrap();
    assert!(r.states.is_empty() && r.names.is_empty());
    assert_eq!(r.ids.len(), 2, "defaults name ids in any account, with no state: {:?}", r.ids);
    // Many hrefs at once (more than one query's worth).
    let many: Vec<String> = (0..600)
        .map(|i| format!("{}.vcf", uuid::Uuid::from_u128(i)))
        .chain([default.clone()])
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = store.dav_resolve(a.id, &refs, true).await.unwrap();
    assert_eq!(r.ids.len(), 601);
    assert_eq!(r.states.len(), 1);
    // A card written with its name: both in one transaction, under one change sequence. An
    // href another card has refuses the write whole.
    let seq = store.current_seq(a.id).await.unwrap();
    let fresh = ContactId::from_uuid(uuid::Uuid::now_v7());
    let data = contact("With", "Name", "+1 555 0102", "w@example.org");
    let taken = store
        .put_contact_named(
            a.id,
            fresh,
            None,
            &data,
            Some(&name("Client Name.vcf", None)),
            Origin::Console,
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(
        store.contact_state(a.id, fresh).await.unwrap().is_none(),
        "the card was not written without its name"
    );
    assert_eq!(store.current_seq(a.id).await.unwrap(), seq);
    store
        .put_contact_named(
            a.id,
            fresh,
            None,
            &data,
            Some(&name("with-name.vcf", Some("w-uid"))),
            Origin::Console,
        )
        .await
        .unwrap();
    assert_eq!(store.current_seq(a.id).await.unwrap(), seq + 1);
    assert_eq!(
        store.dav_ids_by_href(a.id, &["with-name.vcf"]).await.unwrap()["with-name.vcf"],
        (*fresh.as_uuid(), name("with-name.vcf", Some("w-uid")))
    );
    store
        .put_contact_named(
            a.id,
            fresh,
            Some(1),
            &data,
            Some(&name("with-name.vcf", None)),
            Origin::Console,
        )
        .await
        .unwrap();
    assert_eq!(
        store.dav_names_of(a.id, &[*fresh.as_uuid()]).await.unwrap()[fresh.as_uuid()].uid,
        None
    );
    let gid = domain::GroupId::from_uuid(uuid::Uuid::now_v7());
    let named = domain::GroupData::parse("Named").unwrap();
    store
        .write(
            a.id,
            &[crate::Write::group(gid, None, &named).named(Some(&name("group.vcf", None)))],
            Origin::Console,
        )
        .await
        .unwrap();
    assert_eq!(
        store.dav_ids_by_href(a.id, &["group.vcf"]).await.unwrap()["group.vcf"].0,
        *gid.as_uuid()
    );

    // The backend gives sealed values back byte for byte, whatever bytes they hold (spaces, NULs,
    // bytes that are not UTF-8, empty), rows and names alike, with each row's head.
    let odd: Vec<Vec<u8>> =
        vec![vec![0, b' ', 0xff, 0xfe, b'\n', 0], Vec::new(), (0..=255).collect(), vec![b' '; 3]];
    let rows: Vec<crate::RecordWrite> = odd
        .iter()
        .enumerate()
        .map(|(i, sealed)| crate::RecordWrite {
            kind: if i == 1 { crate::EntityKind::Group } else { crate::EntityKind::Contact },
            id: ContactId::from_uuid(uuid::Uuid::now_v7()),
            base: None,
            sealed: Some(sealed.clone()),
            at: Utc::now(),
            name: None,
        })
        .collect();
    backend.write_records(BookId::first_of(a.id), &rows, "console", a.id).await.unwrap();
    let name_row = |i: usize, sealed: Vec<u8>| crate::DavNameRow {
        book_id: BookId::first_of(a.id),
        id: rows[i].id,
        href_hash: format!("odd-hash-{i}"),
        sealed,
    };
    backend.put_dav_name(&name_row(0, vec![b' ', 0, 0x80])).await.unwrap();
    backend.put_dav_name(&name_row(2, Vec::new())).await.unwrap();
    let ids: Vec<ContactId> = rows.iter().map(|r| r.id).collect();
    let found = backend
        .dav_cards(
            BookId::first_of(a.id),
            &ids,
            &["odd-hash-0".to_string(), "odd-hash-2".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 6, "four rows by id, two by name");
    for f in &found {
        let c = f.contact.as_ref().expect("every name here has its row");
        let i = rows.iter().position(|r| r.id == c.id).unwrap();
        assert_eq!(c.sealed.as_deref(), Some(odd[i].as_slice()), "row {i}");
        assert_eq!(
            (c.kind, c.revision, c.deleted, c.book_id),
            (rows[i].kind, 1, false, BookId::first_of(a.id))
        );
        assert_eq!(c.created_at.timestamp_millis(), rows[i].at.timestamp_millis());
        match (i, &f.name) {
            (0, Some(n)) => assert_eq!(
                (n.id, n.href_hash.as_str(), n.sealed.as_slice()),
                (c.id, "odd-hash-0", &[b' ', 0, 0x80][..])
            ),
            (2, Some(n)) => {
                assert_eq!((n.id, n.href_hash.as_str(), n.sealed.len()), (c.id, "odd-hash-2", 0))
            }
            (_, n) => assert!(n.is_none(), "row {i} has no name"),
        }
    }
    // Names are sealed: no href or UID in clear.
    for row in backend.dav_names(BookId::first_of(a.id)).await.unwrap() {
        let text = String::from_utf8_lossy(&row.sealed);
        assert!(
            !text.contains("Secret-Href")
                && !text.contains("renamed")
                && !row.href_hash.contains("vcf")
        );
    }
}

pub async fn trash_restore_and_purge(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let family = store.create_group(a.id, "Family", Origin::Console).await.unwrap();
    let gone = store.create_group(a.id, "Gone", Origin::Console).await.unwrap();
    let mut d = contact("Ann", "A", "555 0001", "ann@example.org");
    d.groups = vec![family.id, gone.id];
    let ann = store.create_contact(a.id, None, &d, Origin::Console).await.unwrap();
    let ben = store
        .create_contact(
            a.id,
            None,
            &contact("Ben", "B", "555 0002", "ben@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let keep = store
        .create_contact(
            a.id,
            None,
            &contact("Kim", "K", "555 0003", "kim@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let (device, _) = store.create_device(a.id, "Phone", DeviceKind::Phone).await.unwrap();
    let device = device.id;
    store.delete_contact(a.id, ann.id, ann.revision, Origin::Console).await.unwrap();
    store.delete_contact(a.id, ben.id, ben.revision, Origin::Device(device)).await.unwrap();
    let retention = Duration::days(30);

    // Both deletions are in the trash, newest first, with who deleted them; Bob sees nothing.
    let trash = store.trash(a.id).await.unwrap();
    let seen: Vec<(ContactId, Origin)> = trash.iter().map(|t| (t.id, t.deleted_by)).collect();
    assert_eq!(seen, vec![(ben.id, Origin::Device(device)), (ann.id, Origin::Console)]);
    assert_eq!(trash[1].data, ann.data);
    assert!(store.trash(b.id).await.unwrap().is_empty());
    // A tombstone is still recorded for sync.
    assert!(store.contact_state(a.id, ann.id).await.unwrap().unwrap().data.is_none());

    // Restoring brings the last content back as a new revision, without deleted groups;
    // another account cannot restore it.
    store.delete_group(a.id, gone.id, 1, Origin::Console).await.unwrap();
    assert_eq!(store.restore_from_trash(b.id, &[ann.id], Origin::Console).await.unwrap(), 0);
    assert_eq!(store.restore_from_trash(a.id, &[ann.id], Origin::Console).await.unwrap(), 1);
    let back = store.get_contact(a.id, ann.id).await.unwrap();
    assert_eq!(back.revision, 3);
    assert_eq!(back.data.groups, vec![family.id]);
    assert_eq!(back.data.phones, d.phones);
    assert_eq!(store.trash(a.id).await.unwrap().len(), 1);

    // The purge erases the content of old deletions only; emptying erases all.
    assert_eq!(store.purge_trash(retention).await.unwrap(), 0);
    assert_eq!(store.purge_trash(Duration::milliseconds(-10)).await.unwrap(), 1);
    assert!(store.trash(a.id).await.unwrap().is_empty());
    assert!(store.history(a.id, ben.id).await.unwrap().is_empty());
    assert!(store.contact_state(a.id, ben.id).await.unwrap().unwrap().data.is_none());
    store.delete_contact(a.id, keep.id, keep.revision, Origin::Console).await.unwrap();
    assert_eq!(store.empty_trash(b.id).await.unwrap(), 0);
    assert_eq!(store.trash(a.id).await.unwrap().len(), 1);
    assert_eq!(store.empty_trash(a.id).await.unwrap(), 1);
    assert!(store.trash(a.id).await.unwrap().is_empty());
    assert_eq!(store.get_contact(a.id, ann.id).await.unwrap().revision, 3);
}

pub async fn language_choice(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    assert_eq!(store.account(a.id).await.unwrap().lang, None);
    store.set_lang(a.id, Some("zh")).await.unwrap();
    assert_eq!(store.account(a.id).await.unwrap().lang.as_deref(), Some("zh"));
    store.set_lang(a.id, None).await.unwrap();
    assert_eq!(store.account(a.id).await.unwrap().lang, None);
}

pub async fn attempts_are_counted_before_they_are_checked(backend: Arc<dyn Backend>) {
    use crate::Secret;
    let store = store_on(backend).await;
    let alice = user("alice");

    for _ in 0..crate::throttle::FREE_PER_ACCOUNT {
        store.begin_attempt(&alice, "192.0.2.1", Secret::Password).await.unwrap().unwrap();
    }
    // The next one comes too soon: refused before the password is checked.
    let wait =
        store.begin_attempt(&alice, "192.0.2.1", Secret::Password).await.unwrap().unwrap_err();
    assert!((1..=2).contains(&wait), "{wait}");
    // From another address, or for another secret, the owner is not slowed down.
    let other =
        store.begin_attempt(&alice, "198.51.100.7", Secret::Password).await.unwrap().unwrap();
    store.begin_attempt(&alice, "192.0.2.1", Secret::SecondFactor).await.unwrap().unwrap();
    // A success starts the (username, address) count again.
    store.attempt_succeeded(other).await.unwrap();
    assert!(store.begin_attempt(&alice, "192.0.2.1", Secret::Password).await.unwrap().is_err());
    // One address trying many usernames is spaced out too.
    for i in 0..(crate::throttle::FREE_PER_ADDRESS - crate::throttle::FREE_PER_ACCOUNT - 1) {
        store
            .begin_attempt(&user(&format!("u{i}")), "192.0.2.1", Secret::Password)
            .await
            .unwrap()
            .unwrap();
    }
    assert!(store
        .begin_attempt(&user("zed"), "192.0.2.1", Secret::Password)
        .await
        .unwrap()
        .is_err());
    assert!(store
        .begin_attempt(&user("zed"), "203.0.113.9", Secret::Password)
        .await
        .unwrap()
        .is_ok());
    // Counts are forgotten a day after their last attempt.
    assert_eq!(store.purge_attempts().await.unwrap(), 0);
}

pub async fn parallel_guesses_are_counted_too(backend: Arc<dyn Backend>) {
    use crate::Secret;
    let store = Arc::new(store_on(backend).await);
    let tries: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .begin_attempt(&user("alice"), "192.0.2.1", Secret::Password)
                    .await
                    .unwrap()
                    .is_ok()
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tries {
        allowed += usize::from(t.await.unwrap());
    }
    assert_eq!(allowed as i64, crate::throttle::FREE_PER_ACCOUNT, "of 40 parallel attempts");
}

fn totp_code(secret_base32: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(at).to_string()
}

pub async fn second_factor_codes_work_once(backend: Arc<dyn Backend>) {
    use crate::SecondFactorState;
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "correct horse battery", false).await.unwrap();
    assert_eq!(store.second_factor_state(a.id).await.unwrap(), SecondFactorState::Off);
    let e = store.begin_second_factor(a.id).await.unwrap();
    assert!(e.otpauth_url.starts_with("otpauth://totp/Rolo%3Aalice?secret="), "{}", e.otpauth_url);
    assert_eq!(e.secret.len(), 32);
    assert_eq!(store.second_factor_state(a.id).await.unwrap(), SecondFactorState::Enrolling);
    // Not on until a code confirms it: a sign-in does not ask for it, nor accept it.
    let now = Utc::now().timestamp() as u64;
    assert!(!store.check_second_factor(a.id, &totp_code(&e.secret, now)).await.unwrap());
    let bad = store.confirm_second_factor(a.id, "000000").await;
    assert!(
        matches!(bad, Err(StoreError::Invalid(_))) || totp_code(&e.secret, now) == "000000",
        "{bad:?}"
    );
    let codes = store.confirm_second_factor(a.id, &totp_code(&e.secret, now)).await.unwrap();
    assert_eq!(codes.len(), crate::RECOVERY_CODES);
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    assert_eq!(
        store.second_factor_state(a.id).await.unwrap(),
        SecondFactorState::On { recovery_codes_left: 10 }
    );
    assert!(matches!(store.begin_second_factor(a.id).await, Err(StoreError::Conflict(_))));
    // The code that confirmed cannot sign in; the next step's can, once; an older one cannot.
    assert!(!store.check_second_factor(a.id, &totp_code(&e.secret, now)).await.unwrap());
    assert!(store.check_second_factor(a.id, &totp_code(&e.secret, now + 30)).await.unwrap());
    assert!(!store.check_second_factor(a.id, &totp_code(&e.secret, now + 30)).await.unwrap());
    assert!(!store
        .check_second_factor(a.id, &totp_code(&e.secret, now.saturating_sub(300)))
        .await
        .unwrap());
    // Another account's codes are not this one's.
    assert!(!store.check_second_factor(b.id, &codes[0]).await.unwrap());
    // Recovery codes work once each, typed loosely.
    assert!(store
        .check_second_factor(a.id, &format!(" {} ", codes[0].to_uppercase()))
        .await
        .unwrap());
    assert!(!store.check_second_factor(a.id, &codes[0]).await.unwrap());
    assert!(store.check_second_factor(a.id, &codes[1].replace('-', "")).await.unwrap());
    assert!(!store.check_second_factor(a.id, "abcde-fghjk").await.unwrap());
    assert_eq!(
        store.second_factor_state(a.id).await.unwrap(),
        SecondFactorState::On { recovery_codes_left: 8 }
    );
    // The secret is stored sealed under the account's key.
    let row = store.backend.second_factor(a.id).await.unwrap().unwrap();
    let raw = totp_rs::Secret::try_from_base32(&e.secret).unwrap();
    assert!(!row.sealed.windows(20).any(|w| raw.as_bytes() == w));
    // Turned off (by the owner, an administrator or the CLI): sign-in needs the password only.
    assert!(store.remove_second_factor(a.id).await.unwrap());
    assert_eq!(store.second_factor_state(a.id).await.unwrap(), SecondFactorState::Off);
    assert!(!store.remove_second_factor(a.id).await.unwrap());
    // Administrators can require it for everyone.
    assert!(!store.second_factor_required().await.unwrap());
    store.set_second_factor_required(true).await.unwrap();
    assert!(store.second_factor_required().await.unwrap());
    store.set_second_factor_required(false).await.unwrap();
    assert!(!store.second_factor_required().await.unwrap());
}

pub async fn sign_ins_wait_for_their_second_factor(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let pending = store.create_pending_signin(a.id).await.unwrap();
    assert!(pending.expires_at <= Utc::now() + Duration::minutes(crate::PENDING_MINUTES));
    assert_eq!(store.pending_signin_account(&pending.token).await.unwrap().unwrap().id, a.id);
    // A pending sign-in is not a session.
    assert!(store.session_account(&pending.token).await.unwrap().is_none());
    assert!(store.pending_signin_account("nope").await.unwrap().is_none());
    store.set_disabled(a.id, true).await.unwrap();
    assert!(store.pending_signin_account(&pending.token).await.unwrap().is_none());
    store.set_disabled(a.id, false).await.unwrap();
    store.end_pending_signin(&pending.token).await.unwrap();
    assert!(store.pending_signin_account(&pending.token).await.unwrap().is_none());
}

pub async fn every_write_refuses_oversized_contacts(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await.with_max_contact_bytes(16 * 1024);
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let fits = contact("Ada", "Lovelace", "555 0100", "ada@example.org");
    let mut big = fits.clone();
    big.extra.push(domain::ExtraField {
        name: "PHOTO;ENCODING=b;TYPE=JPEG".into(),
        value: "A".repeat(20 * 1024),
    });
    assert!(store.check_contact(&fits).is_ok());
    fn too_big<T>(r: Result<T, StoreError>) {
        match r {
            Err(StoreError::Invalid(v)) => {
                assert!(v.0[0].message.contains("at most 16 KB"), "{v:?}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    too_big(store.check_contact(&big));
    too_big(store.create_contact(a.id, None, &big, Origin::Console).await);
    too_big(
        store
            .create_contacts(a.id, &[(None, fits.clone()), (None, big.clone())], Origin::Console)
            .await,
    );
    assert_eq!(store.count_contacts(a.id).await.unwrap(), 0, "a batch is all or nothing");
    let c = store.create_contact(a.id, None, &fits, Origin::Console).await.unwrap();
    too_big(store.update_contact(a.id, c.id, c.revision, &big, Origin::Console).await);
    too_big(store.put_contact(a.id, c.id, Some(c.revision), &big, Origin::Console).await);
    assert_eq!(store.get_contact(a.id, c.id).await.unwrap().data, fits);
}

pub async fn books_and_shares(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let alice = store.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let bob = store.create_account(&user("bob"), "bob-password-12", false).await.unwrap();
    // Every account starts with its first book, "Contacts", which is the one an account id
    // stands for.
    let books = store.books(alice.id).await.unwrap();
    assert_eq!(books.len(), 1);
    assert_eq!((books[0].name.as_str(), books[0].is_first), (crate::FIRST_BOOK_NAME, true));
    assert_eq!(books[0].id, BookId::first_of(alice.id));

    let work = store.create_book(alice.id, "  Work  ", "Clients").await.unwrap();
    assert_eq!((work.name.as_str(), work.description.as_str()), ("Work", "Clients"));
    assert!(matches!(store.create_book(alice.id, " ", "").await, Err(StoreError::Invalid(_))));
    let w = store.open_book(alice.id, work.id).await.unwrap();
    assert_eq!(w.access(), Access::Owner);
    let c = store
        .create_contact(
            w,
            None,
            &contact("Carla", "Client", "555 0101", "c@x.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    // Books are apart: the contact is in Work only.
    assert_eq!(store.count_contacts(alice.id).await.unwrap(), 0);
    assert_eq!(store.count_contacts(w).await.unwrap(), 1);
    assert!(matches!(store.get_contact(alice.id, c.id).await, Err(StoreError::NotFound)));

    // A stranger learns nothing.
    assert!(matches!(store.open_book(bob.id, work.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.books(bob.id).await.unwrap().len(), 1);

    // Shared read-only: bob reads, cannot write.
    store.share_book(w, &Grantee::Account(bob.id), false).await.unwrap();
    let seen = store.books(bob.id).await.unwrap();
    let shared = seen.iter().find(|b| b.id == work.id).expect("shared book listed");
    assert_eq!((shared.access, shared.owner_name.as_deref()), (Access::ReadOnly, Some("alice")));
    let b = store.open_book(bob.id, work.id).await.unwrap();
    assert_eq!(store.get_contact(b, c.id).await.unwrap().data.name.given, "Carla");
    let mut edit = contact("Carla", "Changed", "555 0101", "c@x.org");
    assert!(matches!(
        store.update_contact(b, c.id, 1, &edit, Origin::Console).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(
        store.create_contact(b, None, &edit, Origin::Console).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(
        store.delete_contact(b, c.id, 1, Origin::Console).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(store.empty_trash(b).await, Err(StoreError::ReadOnly)));
    assert!(matches!(store.update_book(b, "Mine", "").await, Err(StoreError::NotOwner)));
    assert!(matches!(
        store.share_book(b, &Grantee::Everyone, true).await,
        Err(StoreError::NotOwner)
    ));
    assert!(matches!(store.delete_book(b).await, Err(StoreError::NotOwner)));
    assert!(matches!(store.shares(b).await, Err(StoreError::NotOwner)));

    // Changed to read-write: bob's edit lands, and the history says it was bob.
    store.share_book(w, &Grantee::Account(bob.id), true).await.unwrap();
    let shares = store.shares(w).await.unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!((shares[0].grantee_name.as_str(), shares[0].can_write), ("bob", true));
    let b = store.open_book(bob.id, work.id).await.unwrap();
    assert_eq!(b.access(), Access::ReadWrite);
    edit.notes = "bob was here".into();
    store.update_contact(b, c.id, 1, &edit, Origin::Console).await.unwrap();
    let history = store.history(w, c.id).await.unwrap();
    assert_eq!(history[0].actor_name.as_deref(), Some("bob"));
    assert_eq!(history[1].actor_name.as_deref(), Some("alice"));
    // Never shared with the owner.
    assert!(matches!(
        store.share_book(w, &Grantee::Account(alice.id), true).await,
        Err(StoreError::Conflict(_))
    ));

    // Withdrawn: gone at once, and a scope opened before cannot be reopened.
    assert!(store.unshare_book(w, &Grantee::Account(bob.id)).await.unwrap());
    assert!(matches!(store.open_book(bob.id, work.id).await, Err(StoreError::NotFound)));
    assert!(store.books(bob.id).await.unwrap().iter().all(|x| x.id != work.id));

    // Renamed by its owner.
    let renamed = store.update_book(w, "Clients", "All of them").await.unwrap();
    assert_eq!(renamed.name, "Clients");
    assert_eq!(store.book(w).await.unwrap().description, "All of them");
    // A disabled account sees no books.
    store.share_book(w, &Grantee::Account(bob.id), false).await.unwrap();
    store.set_disabled(bob.id, true).await.unwrap();
    assert!(matches!(store.open_book(bob.id, work.id).await, Err(StoreError::NotFound)));
    assert!(store.books(bob.id).await.unwrap().is_empty());
}

pub async fn teams_and_directories(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let admin = store.create_account(&user("root"), "root-password-1", true).await.unwrap();
    let alice = store.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let carol = store.create_account(&user("carol"), "carol-password-1", false).await.unwrap();

    // Only admins create directories; every admin owns them.
    assert!(matches!(
        store.create_directory(alice.id, "Company", "").await,
        Err(StoreError::NotOwner)
    ));
    let dir = store.create_directory(admin.id, "Company", "Everyone at work").await.unwrap();
    assert_eq!((dir.kind, dir.owner), (BookKind::Directory, None));
    let d = store.open_book(admin.id, dir.id).await.unwrap();
    assert_eq!(d.access(), Access::Owner);
    store
        .create_contact(
            d,
            None,
            &contact("Reception", "Desk", "555 0000", "desk@x.org"),
            Origin::Cli,
        )
        .await
        .unwrap();
    // Not shared yet: nobody else reads it.
    assert!(matches!(store.open_book(alice.id, dir.id).await, Err(StoreError::NotFound)));
    store.share_book(d, &Grantee::Everyone, false).await.unwrap();
    for who in [alice.id, carol.id] {
        let s = store.open_book(who, dir.id).await.unwrap();
        assert_eq!(s.access(), Access::ReadOnly);
        assert_eq!(store.list_contacts(s).await.unwrap()[0].data.name.given, "Reception");
    }
    store.unshare_book(d, &Grantee::Everyone).await.unwrap();

    // Teams.
    let sales = store.create_team("Sales").await.unwrap();
    assert!(matches!(store.create_team("Sales").await, Err(StoreError::Conflict(_))));
    store.set_team_member(sales.id, carol.id, true).await.unwrap();
    store.share_book(d, &Grantee::Team(sales.id), false).await.unwrap();
    assert!(store.open_book(carol.id, dir.id).await.is_ok());
    assert!(matches!(store.open_book(alice.id, dir.id).await, Err(StoreError::NotFound)));
    let teams = store.teams().await.unwrap();
    assert_eq!(teams[0].members.iter().map(|m| m.1.as_str()).collect::<Vec<_>>(), ["carol"]);
    assert_eq!(store.shares(d).await.unwrap()[0].grantee_name, "Sales");
    // A team's share and a direct one: the larger wins.
    let pb = store.create_book(alice.id, "Projects", "").await.unwrap();
    let p = store.open_book(alice.id, pb.id).await.unwrap();
    store.share_book(p, &Grantee::Team(sales.id), false).await.unwrap();
    store.share_book(p, &Grantee::Account(carol.id), true).await.unwrap();
    assert_eq!(store.open_book(carol.id, pb.id).await.unwrap().access(), Access::ReadWrite);
    // Leaving the team ends the team's shares at once.
    store.set_team_member(sales.id, carol.id, false).await.unwrap();
    assert!(matches!(store.open_book(carol.id, dir.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.open_book(carol.id, pb.id).await.unwrap().access(), Access::ReadWrite);
    // Deleting a team deletes its shares.
    store.set_team_member(sales.id, carol.id, true).await.unwrap();
    store.rename_team(sales.id, "Sales EMEA").await.unwrap();
    store.delete_team(sales.id).await.unwrap();
    assert!(matches!(store.open_book(carol.id, dir.id).await, Err(StoreError::NotFound)));
    assert!(store.shares(d).await.unwrap().is_empty());

    // The audit log: who, when, what.
    store.record_audit(d, "import", "company.csv: 1 added").await.unwrap();
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].actor.as_deref(), log[0].action.as_str()), (Some("root"), "import"));
    assert_eq!(log[0].detail, "company.csv: 1 added");
}

pub async fn book_keys_and_trash(backend: Arc<dyn Backend>) {
    let store = store_on(backend.clone()).await;
    let alice = store.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let bob = store.create_account(&user("bob"), "bob-password-12", false).await.unwrap();
    let work = store.create_book(alice.id, "Work", "").await.unwrap();
    let w = store.open_book(alice.id, work.id).await.unwrap();
    let c = store
        .create_contact(w, None, &contact("Kim", "Key", "555 0102", "k@x.org"), Origin::Console)
        .await
        .unwrap();

    // Each book has its own key: the row of Work does not open with the first book's key,
    // nor is it readable as another book's record.
    let row = backend.record(work.id, c.id).await.unwrap().unwrap();
    let sealed = row.sealed.clone().unwrap();
    let own = store.key_of(work.id).await.unwrap();
    let first = store.key_of(BookId::first_of(alice.id)).await.unwrap();
    assert!(own.open_contact(work.id.as_bytes(), c.id.as_bytes(), 1, &sealed).is_ok());
    assert!(first.open_contact(work.id.as_bytes(), c.id.as_bytes(), 1, &sealed).is_err());
    assert!(first
        .open_contact(BookId::first_of(alice.id).as_bytes(), c.id.as_bytes(), 1, &sealed)
        .is_err());

    // The first book cannot be deleted; another goes to the trash and comes back.
    assert!(matches!(store.delete_book(Scope::from(alice.id)).await, Err(StoreError::Conflict(_))));
    store.share_book(w, &Grantee::Account(bob.id), false).await.unwrap();
    store.delete_book(w).await.unwrap();
    assert!(store.books(alice.id).await.unwrap().iter().all(|b| b.id != work.id));
    assert!(matches!(store.open_book(alice.id, work.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.open_book(bob.id, work.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.restore_book(bob.id, work.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.trashed_books(alice.id).await.unwrap()[0].name, "Work");
    store.restore_book(alice.id, work.id).await.unwrap();
    let w = store.open_book(alice.id, work.id).await.unwrap();
    assert_eq!(store.count_contacts(w).await.unwrap(), 1);
    assert!(store.open_book(bob.id, work.id).await.is_ok(), "shares come back with the book");

    // Emptied from the trash after the retention: the book and all it held are gone.
    store.delete_book(w).await.unwrap();
    store.purge_trash(Duration::milliseconds(-10)).await.unwrap();
    assert!(backend.book(work.id).await.unwrap().is_none());
    assert!(backend.record(work.id, c.id).await.unwrap().is_none());
    assert!(store.trashed_books(alice.id).await.unwrap().is_empty());

    // A CardDAV collection name deleted and given again: the old book, restored, gives it up.
    let g0 = BookId::from_uuid(uuid::Uuid::now_v7());
    let g1 = BookId::from_uuid(uuid::Uuid::now_v7());
    let made = store.create_dav_book(alice.id, g0, "family", "Family", "").await.unwrap();
    assert_eq!(made.dav_segment.as_deref(), Some("family"));
    store.delete_book(store.open_book(alice.id, g0).await.unwrap()).await.unwrap();
    assert!(store.book_exists(g0).await.unwrap());
    assert!(matches!(
        store.create_dav_book(alice.id, g0, "family", "Family", "").await,
        Err(StoreError::Conflict(_))
    ));
    store.create_dav_book(alice.id, g1, "family", "Family again", "").await.unwrap();
    store.restore_book(alice.id, g0).await.unwrap();
    let back = store.book(store.open_book(alice.id, g0).await.unwrap()).await.unwrap();
    assert_eq!((back.name.as_str(), back.dav_segment), ("Family", None));
    let again = store.book(store.open_book(alice.id, g1).await.unwrap()).await.unwrap();
    assert_eq!(again.dav_segment.as_deref(), Some("family"));
    // Bob never sees Alice's collection names.
    let fs = store.open_book(alice.id, g1).await.unwrap();
    store.share_book(fs, &Grantee::Account(bob.id), false).await.unwrap();
    let seen = store.books(bob.id).await.unwrap();
    assert_eq!(seen.iter().find(|b| b.id == g1).unwrap().dav_segment, None);
    store.delete_book(fs).await.unwrap();
    store.delete_book(store.open_book(alice.id, g0).await.unwrap()).await.unwrap();

    // Key rotation re-wraps every book's key.
    let extra = store.create_book(alice.id, "Extra", "").await.unwrap();
    let before: i64 = store.key_ids_in_use().await.unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(before, 5, "two first books, the two Family books (in the trash) and Extra");
    let ring = store.keyring().rotated(MasterKey::generate().unwrap());
    let report = store.rotate_to(ring).await.unwrap();
    assert_eq!(report.rewrapped, 5);
    let e = store.open_book(alice.id, extra.id).await.unwrap();
    assert_eq!(store.book(e).await.unwrap().name, "Extra");
}

pub async fn copy_and_move_between_books(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let alice = store.create_account(&user("alice"), "alice-password-1", false).await.unwrap();
    let bob = store.create_account(&user("bob"), "bob-password-12", false).await.unwrap();
    let first = Scope::from(alice.id);
    let work_book = store.create_book(alice.id, "Work", "").await.unwrap();
    let work = store.open_book(alice.id, work_book.id).await.unwrap();
    let group = store.create_group(first, "Friends", Origin::Console).await.unwrap();
    let mut data = contact("Mia", "Mover", "555 0110", "mia@x.org");
    data.groups = vec![group.id];
    let a = store.create_contact(first, None, &data, Origin::Console).await.unwrap();
    let b = store
        .create_contact(
            first,
            None,
            &contact("Cy", "Copy", "555 0111", "cy@x.org"),
            Origin::Console,
        )
        .await
        .unwrap();

    // A copy: in both books, the copy without the first book's groups.
    assert_eq!(store.copy_contacts(first, work, &[b.id], false, Origin::Console).await.unwrap(), 1);
    assert_eq!(store.count_contacts(first).await.unwrap(), 2);
    assert_eq!(store.get_contact(work, b.id).await.unwrap().data.name.given, "Cy");
    // Copied again: the id is taken there, so it gets a new one.
    assert_eq!(store.copy_contacts(first, work, &[b.id], false, Origin::Console).await.unwrap(), 1);
    assert_eq!(store.count_contacts(work).await.unwrap(), 2);

    // A move: gone from the first book (to its trash), in Work without its groups.
    assert_eq!(store.copy_contacts(first, work, &[a.id], true, Origin::Console).await.unwrap(), 1);
    let moved = store.get_contact(work, a.id).await.unwrap();
    assert!(moved.data.groups.is_empty());
    assert_eq!(moved.data.phones[0].value.as_str(), "555 0110");
    assert!(matches!(store.get_contact(first, a.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.trash(first).await.unwrap()[0].id, a.id);

    // Only where the account may write: a read-only book neither gives (by moving) nor takes.
    store.share_book(work, &Grantee::Account(bob.id), false).await.unwrap();
    let bw = store.open_book(bob.id, work_book.id).await.unwrap();
    let bob_first = Scope::from(bob.id);
    assert!(matches!(
        store.copy_contacts(bob_first, bw, &[a.id], false, Origin::Console).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(
        store.copy_contacts(bw, bob_first, &[a.id], true, Origin::Console).await,
        Err(StoreError::ReadOnly)
    ));
    // Copying out of a book shared read-only is reading it.
    assert_eq!(
        store.copy_contacts(bw, bob_first, &[a.id], false, Origin::Console).await.unwrap(),
        1
    );
    assert_eq!(store.count_contacts(work).await.unwrap(), 3);
}

/// Two stores on one database with the same master key: two instances of a deployment.
async fn two_instances(backend: Arc<dyn Backend>) -> (Store, Store) {
    let ring = test_keyring();
    let a = Store::new(backend.clone(), KeySource::Fixed(ring.clone())).await.unwrap();
    let b = Store::new(backend, KeySource::Fixed(ring)).await.unwrap();
    (a, b)
}

pub async fn import_jobs_are_shared_and_private(backend: Arc<dyn Backend>) {
    use crate::{ImportJobState, JobCounts, JobEnd, JobFailure};
    let (here, there) = two_instances(backend.clone()).await;
    let alice = here.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let bob = here.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let scope = Scope::from(alice.id);

    // Started on one instance, read on the other at once.
    let id = here.create_import_job(scope, Some("Friends"), 3).await.unwrap();
    let job = there.import_job(alice.id, id).await.unwrap().unwrap();
    assert_eq!(job.state, ImportJobState::Running);
    assert_eq!(job.book, BookId::first_of(alice.id));
    assert_eq!(job.group.as_deref(), Some("Friends"));
    assert_eq!((job.counts.rows_done, job.counts.rows_total), (0, 3));
    assert!(job.failures.is_empty() && job.message.is_none() && job.ended_at.is_none());
    assert_eq!(there.import_job_report(alice.id, id).await.unwrap(), Some(None));

    // Progress written here is read there.
    let counts =
        JobCounts { rows_done: 2, rows_total: 3, imported: 1, failed: 1, ..JobCounts::default() };
    assert!(here.set_import_job_progress(id, &counts).await.unwrap());
    assert_eq!(there.import_job(alice.id, id).await.unwrap().unwrap().counts, counts);

    // To another account the job does not exist, nor its report.
    assert_eq!(there.import_job(bob.id, id).await.unwrap(), None);
    assert_eq!(there.import_job_report(bob.id, id).await.unwrap(), None);
    assert_eq!(there.import_job(alice.id, uuid::Uuid::new_v4()).await.unwrap(), None);

    // It ends with its failures and report, read on the other instance.
    let done = JobCounts { rows_done: 3, imported: 2, ..counts };
    let failures = vec![JobFailure { line: 3, reason: "no name, phone or email".into() }];
    let report = "\u{feff}Line,Outcome,Contact,Reason\r\n2,imported,,\r\n".to_string();
    assert!(here
        .end_import_job(
            id,
            &done,
            JobEnd::Done { failures: failures.clone(), report: report.clone() }
        )
        .await
        .unwrap());
    let job = there.import_job(alice.id, id).await.unwrap().unwrap();
    assert_eq!(job.state, ImportJobState::Done);
    assert_eq!((job.counts, &job.failures), (done, &failures));
    assert!(job.ended_at.is_some());
    assert_eq!(there.import_job_report(alice.id, id).await.unwrap(), Some(Some(report)));
    // An ended job takes no more progress, and ends once.
    assert!(!here.set_import_job_progress(id, &counts).await.unwrap());
    assert!(!here.end_import_job(id, &done, JobEnd::Failed("again".into())).await.unwrap());
    assert_eq!(there.import_job(alice.id, id).await.unwrap().unwrap().state, ImportJobState::Done);

    // A job that fails as a whole says why, and has no report.
    let failed = here.create_import_job(scope, None, 0).await.unwrap();
    here.end_import_job(failed, &JobCounts::default(), JobEnd::Failed("The file is empty.".into()))
        .await
        .unwrap();
    let job = there.import_job(alice.id, failed).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.message.as_deref()),
        (ImportJobState::Failed, Some("The file is empty."))
    );
    assert_eq!(there.import_job_report(alice.id, failed).await.unwrap(), Some(None));

    // The group's name, failures, message and report are sealed: the row holds none in clear.
    let row = backend.import_job(id).await.unwrap().unwrap();
    // (A status read leaves the report, which can be large, in the database.)
    assert_eq!(row.sealed_report, None);
    let report = backend.import_job_report(id).await.unwrap();
    for sealed in [&row.sealed_group, &row.sealed_failures, &report] {
        let bytes = sealed.as_ref().unwrap();
        assert!(!String::from_utf8_lossy(bytes).contains("Friends"));
        assert!(!String::from_utf8_lossy(bytes).contains("no name"));
        assert!(!String::from_utf8_lossy(bytes).contains("Outcome"));
    }
    // A sealed part moved to another job does not open.
    let mut moved = backend.import_job(failed).await.unwrap().unwrap();
    moved.state = "running".into();
    let other = here.create_import_job(scope, None, 0).await.unwrap();
    let mut forged = backend.import_job(other).await.unwrap().unwrap();
    forged.state = "failed".into();
    forged.sealed_message = moved.sealed_message.take();
    forged.ended_at = Some(crate::store::now_ms());
    assert!(backend.end_import_job(&forged, None).await.unwrap());
    assert!(
        there.import_job(alice.id, other).await.is_err(),
        "a part sealed for another job opened"
    );
}

pub async fn abandoned_and_old_import_jobs(backend: Arc<dyn Backend>) {
    use crate::{ImportJobState, JobCounts, STALE_AFTER, STALE_MESSAGE};
    let (here, there) = two_instances(backend.clone()).await;
    let alice = here.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let scope = Scope::from(alice.id);
    let counts = JobCounts { rows_done: 5, rows_total: 10, imported: 5, ..JobCounts::default() };

    // A running job touched a moment ago is still running.
    let live = here.create_import_job(scope, None, 10).await.unwrap();
    backend.set_import_job_counts(live, &counts, Utc::now() - Duration::seconds(30)).await.unwrap();
    assert_eq!(
        there.import_job(alice.id, live).await.unwrap().unwrap().state,
        ImportJobState::Running
    );

    // One its instance stopped touching is read as failed, with the reason, and stays so.
    let lost = here.create_import_job(scope, None, 10).await.unwrap();
    backend
        .set_import_job_counts(lost, &counts, Utc::now() - STALE_AFTER - Duration::seconds(5))
        .await
        .unwrap();
    let job = there.import_job(alice.id, lost).await.unwrap().unwrap();
    assert_eq!(job.state, ImportJobState::Failed);
    assert_eq!(job.message.as_deref(), Some(STALE_MESSAGE));
    assert_eq!(job.counts, counts, "what it had done stays");
    let row = backend.import_job(lost).await.unwrap().unwrap();
    assert_eq!(row.state, "failed");
    assert!(row.ended_at.is_some());
    // The instance, were it only slow, can no longer write over that.
    assert!(!here.set_import_job_progress(lost, &counts).await.unwrap());
    assert_eq!(
        there.import_job_report(alice.id, lost).await.unwrap(),
        Some(None),
        "a failed job has no report"
    );

    // Ended jobs are forgotten after an hour: not read, then purged; newer ones stay.
    let ended = Utc::now() - Duration::minutes(61);
    let old = uuid::Uuid::new_v4();
    backend
        .create_import_job(&crate::ImportJobRow {
            id: old,
            book_id: scope.book(),
            account_id: alice.id,
            state: "done".into(),
            counts,
            sealed_group: None,
            sealed_failures: None,
            sealed_message: None,
            sealed_report: None,
            created_at: ended - Duration::minutes(1),
            updated_at: ended,
            ended_at: Some(ended),
        })
        .await
        .unwrap();
    assert_eq!(there.import_job(alice.id, old).await.unwrap(), None);
    // A running job nobody touched for an hour goes too.
    let forgotten = here.create_import_job(scope, None, 1).await.unwrap();
    backend
        .set_import_job_counts(forgotten, &counts, Utc::now() - Duration::minutes(61))
        .await
        .unwrap();
    assert_eq!(there.purge_import_jobs().await.unwrap(), 2);
    assert!(backend.import_job(old).await.unwrap().is_none());
    assert!(backend.import_job(forgotten).await.unwrap().is_none());
    assert!(backend.import_job(live).await.unwrap().is_some());
    assert!(backend.import_job(lost).await.unwrap().is_some(), "ended a moment ago");
}

pub async fn failure_windows_are_shared(backend: Arc<dyn Backend>) {
    use crate::FailureLimit;
    let (here, there) = two_instances(backend).await;
    let limit = FailureLimit { name: "test", max: 3, window: std::time::Duration::from_secs(60) };
    let other = FailureLimit { name: "other", ..limit };
    for _ in 0..limit.max {
        assert_eq!(there.failures_wait(&limit, &["alice", "192.0.2.1"]).await.unwrap(), None);
        here.count_failure(&limit, &["alice", "192.0.2.1"]).await.unwrap();
    }
    // Counted on one instance, blocked on the other until the window ends.
    let wait = there.failures_wait(&limit, &["alice", "192.0.2.1"]).await.unwrap().unwrap();
    assert!((55..=60).contains(&wait), "{wait}");
    // Other keys and other limits are apart.
    assert_eq!(there.failures_wait(&limit, &["alice", "192.0.2.2"]).await.unwrap(), None);
    assert_eq!(there.failures_wait(&other, &["alice", "192.0.2.1"]).await.unwrap(), None);
    // Failures racing on both instances are all counted.
    let (here, there) = (Arc::new(here), Arc::new(there));
    let tries: Vec<_> = (0..20)
        .map(|i| {
            let s = if i % 2 == 0 { here.clone() } else { there.clone() };
            tokio::spawn(async move { s.count_failure(&other, &["bob"]).await.unwrap() })
        })
        .collect();
    for t in tries {
        t.await.unwrap();
    }
    assert!(here
        .failures_wait(&FailureLimit { max: 20, ..other }, &["bob"])
        .await
        .unwrap()
        .is_some());
    assert!(here
        .failures_wait(&FailureLimit { max: 21, ..other }, &["bob"])
        .await
        .unwrap()
        .is_none());
    // Cleared on one, free on the other.
    here.clear_failures(&limit, &["alice", "192.0.2.1"]).await.unwrap();
    assert_eq!(there.failures_wait(&limit, &["alice", "192.0.2.1"]).await.unwrap(), None);
    // A window that ended starts again from one.
    let short =
        FailureLimit { name: "short", max: 2, window: std::time::Duration::from_millis(300) };
    here.count_failure(&short, &["carol"]).await.unwrap();
    here.count_failure(&short, &["carol"]).await.unwrap();
    assert!(there.failures_wait(&short, &["carol"]).await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert_eq!(there.failures_wait(&short, &["carol"]).await.unwrap(), None);
    here.count_failure(&short, &["carol"]).await.unwrap();
    assert_eq!(there.failures_wait(&short, &["carol"]).await.unwrap(), None);
}

pub async fn withdrawn_access_is_seen_by_every_instance(backend: Arc<dyn Backend>) {
    let (here, there) = two_instances(backend).await;
    let a = here.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let (phone, _) = here.create_device(a.id, "Phone", DeviceKind::Phone).await.unwrap();
    let (here_before, there_before) =
        (here.access_epoch().await.unwrap(), there.access_epoch().await.unwrap());
    here.revoke_device(a.id, phone.id).await.unwrap();
    // At once here; there within the check interval.
    assert_ne!(here.access_epoch().await.unwrap(), here_before);
    let deadline = std::time::Instant::now() + crate::ACCESS_EPOCH_CHECK * 2;
    while there.access_epoch().await.unwrap() == there_before {
        assert!(std::time::Instant::now() < deadline, "the other instance never saw it");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Disabling an account and a new password move it too.
    for step in 0..2 {
        let before = there.access_epoch().await.unwrap();
        if step == 0 {
            here.set_disabled(a.id, true).await.unwrap();
        } else {
            here.set_password(a.id, "another good password").await.unwrap();
        }
        tokio::time::sleep(crate::ACCESS_EPOCH_CHECK + std::time::Duration::from_millis(50)).await;
        assert_ne!(there.access_epoch().await.unwrap(), before, "step {step}");
    }
}

/// A pause long enough that writes before and after it have different millisecond times.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
}

/// Notes the time between two pauses: writes before it are at or before it, writes after it
/// are after it.
async fn moment() -> chrono::DateTime<Utc> {
    tick().await;
    // Milliseconds, as times are stored (and as the console sends them).
    let at = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    tick().await;
    at
}

fn names(items: &[crate::UndoItem]) -> Vec<&str> {
    items.iter().map(|i| i.name.as_str()).collect()
}

pub async fn undo_puts_the_book_back_as_it_was(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let family = store.create_group(a.id, "Family", Origin::Console).await.unwrap();
    let mut ann_then = contact("Ann", "A", "555 0001", "ann@example.org");
    ann_then.groups = vec![family.id];
    let ann = store.create_contact(a.id, None, &ann_then, Origin::Console).await.unwrap();
    let new =
        |g: &str, f: &str, p: &str| contact(g, f, p, &format!("{}@example.org", g.to_lowercase()));
    let ben = store
        .create_contact(a.id, None, &new("Ben", "B", "555 0002"), Origin::Console)
        .await
        .unwrap();
    let cat = store
        .create_contact(a.id, None, &new("Cat", "C", "555 0003"), Origin::Console)
        .await
        .unwrap();
    let dan = store
        .create_contact(a.id, None, &new("Dan", "D", "555 0004"), Origin::Console)
        .await
        .unwrap();
    let eve = store
        .create_contact(a.id, None, &new("Eve", "E", "555 0005"), Origin::Console)
        .await
        .unwrap();
    let gia = store
        .create_contact(a.id, None, &new("Gia", "G", "555 0007"), Origin::Console)
        .await
        .unwrap();
    store.delete_contact(a.id, gia.id, gia.revision, Origin::Console).await.unwrap();
    let at = moment().await;

    // After `at`: Gia comes back from the trash; Eve is deleted and the trash emptied (her
    // history is gone); Ben is deleted, Ann renamed and taken out of Family, Fay made, Cat
    // edited and edited back, Dan left alone.
    assert_eq!(store.restore_from_trash(a.id, &[gia.id], Origin::Console).await.unwrap(), 1);
    store.delete_contact(a.id, eve.id, eve.revision, Origin::Console).await.unwrap();
    store.empty_trash(a.id).await.unwrap();
    store.delete_contact(a.id, ben.id, ben.revision, Origin::Console).await.unwrap();
    let mut ann_now = ann_then.clone();
    ann_now.display_name = "Ann Edited".into();
    ann_now.groups.clear();
    store.update_contact(a.id, ann.id, ann.revision, &ann_now, Origin::Console).await.unwrap();
    let fay = store
        .create_contact(a.id, None, &new("Fay", "F", "555 0006"), Origin::Console)
        .await
        .unwrap();
    let mut cat_edit = cat.data.clone();
    cat_edit.notes = "changed for a moment".into();
    store.update_contact(a.id, cat.id, cat.revision, &cat_edit, Origin::Console).await.unwrap();
    store.update_contact(a.id, cat.id, cat.revision + 1, &cat.data, Origin::Console).await.unwrap();
    let cursor = store.feed(a.id, crate::Since::Start, 1000).await.unwrap().next;

    // The preview: three lists, by name, with the names they will have; Eve's state then is
    // no longer known, so she is counted apart and left alone.
    let plan = store.restore_plan(a.id, at, None).await.unwrap();
    assert_eq!(names(&plan.restored), vec!["Ben B"]);
    assert_eq!(names(&plan.changed_back), vec!["Ann A"]);
    assert_eq!(plan.changed_back[0].name_now.as_deref(), Some("Ann Edited"));
    assert_eq!(names(&plan.removed), vec!["Fay F", "Gia G"]);
    assert_eq!((plan.unknown, plan.len()), (1, 4));
    assert!(!plan.expected().iter().any(|(id, _)| *id == cat.id || *id == dan.id));

    // Only the last 30 days, and not the future.
    for wrong in [Utc::now() + Duration::minutes(5), Utc::now() - Duration::days(31)] {
        match store.restore_plan(a.id, wrong, None).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "at"),
            other => panic!("expected an invalid time, got {other:?}"),
        }
        assert!(matches!(
            store.restore_to(a.id, wrong, None, &[]).await,
            Err(StoreError::Invalid(_))
        ));
    }

    // Applied: the book is as it was (Eve excepted), in one step.
    let report = store.restore_to(a.id, at, None, &plan.expected()).await.unwrap();
    assert_eq!((report.restored, report.changed_back, report.removed), (1, 1, 2));
    let live: Vec<String> =
        store.list_contacts(a.id).await.unwrap().into_iter().map(|c| c.data.display_name).collect();
    assert_eq!(live, vec!["Ann A", "Ben B", "Cat C", "Dan D"]);
    assert_eq!(store.get_contact(a.id, ann.id).await.unwrap().data, ann_then);
    assert_eq!(store.get_contact(a.id, ben.id).await.unwrap().data, ben.data);
    assert_eq!(store.get_contact(a.id, dan.id).await.unwrap().revision, dan.revision);
    let trashed: Vec<ContactId> = store.trash(a.id).await.unwrap().iter().map(|t| t.id).collect();
    assert!(trashed.contains(&fay.id) && trashed.contains(&gia.id));
    // Every revision it wrote has the same origin and time.
    let mut steps = Vec::new();
    for id in [ann.id, ben.id, fay.id, gia.id] {
        let h = store.history(a.id, id).await.unwrap();
        steps.push((h[0].origin, h[0].changed_at));
    }
    assert!(steps.iter().all(|s| *s == (Origin::Undo(at), report.written_at)), "{steps:?}");
    assert_ne!(store.history(a.id, cat.id).await.unwrap()[0].origin, Origin::Undo(at));
    // Devices get it through the feed like any other change.
    let page = store.feed(a.id, crate::Since::After(cursor), 1000).await.unwrap();
    let mut seen: Vec<(ContactId, bool)> =
        page.items.iter().map(|i| (ContactId::from_uuid(i.id()), i.is_live())).collect();
    seen.sort();
    let mut want = vec![(ann.id, true), (ben.id, true), (fay.id, false), (gia.id, false)];
    want.sort();
    assert_eq!(seen, want);
    // Nothing is left to undo.
    assert!(store.restore_plan(a.id, at, None).await.unwrap().is_empty());
}

pub async fn undo_checks_its_preview_groups_and_shares(backend: Arc<dyn Backend>) {
    let store = store_on(backend).await;
    let a = store.create_account(&user("alice"), "correct horse battery", false).await.unwrap();
    let b = store.create_account(&user("bob"), "bob's password", false).await.unwrap();
    let family = store.create_group(a.id, "Family", Origin::Console).await.unwrap();
    let work = store.create_group(a.id, "Work", Origin::Console).await.unwrap();
    let mut d = contact("Ann", "A", "555 0001", "ann@example.org");
    d.groups = vec![family.id];
    let ann = store.create_contact(a.id, None, &d, Origin::Console).await.unwrap();
    let mut d = contact("Bob", "B", "555 0002", "bob@example.org");
    d.groups = vec![work.id];
    let bob = store.create_contact(a.id, None, &d, Origin::Console).await.unwrap();
    let cid = store
        .create_contact(
            a.id,
            None,
            &contact("Cid", "C", "555 0003", "cid@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let at = moment().await;
    // Ann leaves Family, Bob joins it, Cid (never in it) is edited, Dee is made in it.
    assert_eq!(
        store.set_membership(a.id, family.id, &[ann.id], false, Origin::Console).await.unwrap(),
        1
    );
    assert_eq!(
        store.set_membership(a.id, family.id, &[bob.id], true, Origin::Console).await.unwrap(),
        1
    );
    let mut cid_now = cid.data.clone();
    cid_now.notes = "edited".into();
    store.update_contact(a.id, cid.id, cid.revision, &cid_now, Origin::Console).await.unwrap();
    let mut d = contact("Dee", "D", "555 0004", "dee@example.org");
    d.groups = vec![family.id];
    store.create_contact(a.id, None, &d, Origin::Console).await.unwrap();

    // A group: contacts in it then or now.
    let plan = store.restore_plan(a.id, at, Some(family.id)).await.unwrap();
    assert_eq!(names(&plan.changed_back), vec!["Ann A", "Bob B"]);
    assert_eq!(names(&plan.removed), vec!["Dee D"]);
    assert!(plan.restored.is_empty());
    assert_eq!(store.restore_plan(a.id, at, None).await.unwrap().len(), 4);

    // Bob edited after the preview: nothing is written, and the edit is kept.
    let bob_now = store.get_contact(a.id, bob.id).await.unwrap();
    let mut edit = bob_now.data.clone();
    edit.notes = "edited after the preview".into();
    store.update_contact(a.id, bob.id, bob_now.revision, &edit, Origin::Console).await.unwrap();
    match store.restore_to(a.id, at, Some(family.id), &plan.expected()).await {
        Err(StoreError::Conflict(m)) => {
            assert!(m.contains("1 contact changed since the preview"), "{m}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(!store.get_contact(a.id, ann.id).await.unwrap().data.groups.contains(&family.id));
    // Previewed again, it applies; Cid (not in the group) stays as edited.
    let plan = store
        .restore_to(
            a.id,
            at,
            Some(family.id),
            &store.restore_plan(a.id, at, Some(family.id)).await.unwrap().expected(),
        )
        .await
        .unwrap();
    assert_eq!((plan.restored, plan.changed_back, plan.removed), (0, 2, 1));
    assert_eq!(store.get_contact(a.id, ann.id).await.unwrap().data.groups, vec![family.id]);
    let bob_back = store.get_contact(a.id, bob.id).await.unwrap().data;
    assert_eq!((bob_back.groups, bob_back.notes), (vec![work.id], bob.data.notes));
    assert_eq!(store.get_contact(a.id, cid.id).await.unwrap().data.notes, "edited");

    // A read-only share may preview but not undo; another account's book is not reachable.
    let book = store.create_book(a.id, "Shared", "").await.unwrap();
    let mine = store.open_book(a.id, book.id).await.unwrap();
    let x = store
        .create_contact(
            mine,
            None,
            &contact("Xia", "X", "555 0009", "x@example.org"),
            Origin::Console,
        )
        .await
        .unwrap();
    let at = moment().await;
    store.delete_contact(mine, x.id, x.revision, Origin::Console).await.unwrap();
    store.share_book(mine, &Grantee::Account(b.id), false).await.unwrap();
    let theirs = store.open_book(b.id, book.id).await.unwrap();
    let plan = store.restore_plan(theirs, at, None).await.unwrap();
    assert_eq!(names(&plan.restored), vec!["Xia X"]);
    assert!(matches!(
        store.restore_to(theirs, at, None, &plan.expected()).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(store.restore_plan(b.id, at, None).await.unwrap().is_empty());
    assert!(store.get_contact(mine, x.id).await.is_err());
    store.restore_to(mine, at, None, &plan.expected()).await.unwrap();
    assert_eq!(store.get_contact(mine, x.id).await.unwrap().data.display_name, "Xia X");
}
