#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use domain::{ContactData, ContactDraft, ContactId, DeviceKind, LabeledDraft, Origin, Username};
use store::Store;
use store_sql::SqliteBackend;

use super::*;

async fn setup() -> (Store, AccountId, Origin, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let store =
        store::contract::store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await;
    let a = store
        .create_account(&Username::parse("alice").unwrap(), "alice-password-1", false)
        .await
        .unwrap();
    let (dev, _) = store.create_device(a.id, "Laptop", DeviceKind::Pc).await.unwrap();
    (store, a.id, Origin::Device(dev.id), dir)
}

fn data(given: &str, org: &str, phones: &[&str]) -> ContactData {
    ContactDraft {
        given_name: given.into(),
        organization: org.into(),
        phones: phones
            .iter()
            .map(|p| LabeledDraft { label: "mobile".into(), value: (*p).into() })
            .collect(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

fn id(n: u8) -> ContactId {
    ContactId::parse(&format!("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f{n:02}")).unwrap()
}

fn upsert(n: u8, base: Option<i64>, d: ContactData) -> PushItem {
    PushItem { id: *id(n).as_uuid(), base_revision: base, op: PushOp::Contact(d) }
}

fn delete(n: u8, base: i64) -> PushItem {
    PushItem { id: *id(n).as_uuid(), base_revision: Some(base), op: PushOp::DeleteContact }
}

fn current_contact(r: &PushResult) -> ContactData {
    match r.current.as_ref().unwrap() {
        store::FeedItem::Contact(c) => c.data.clone().unwrap(),
        other => panic!("{other:?}"),
    }
}

fn statuses(r: &[PushResult]) -> Vec<PushStatus> {
    r.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn uploads_create_update_delete_and_retries_change_nothing() {
    let (store, acc, dev, _d) = setup().await;
    let batch = vec![
        upsert(1, None, data("Ann", "", &["111"])),
        upsert(2, None, data("Bob", "", &["222"])),
    ];
    let r = push(&store, acc, dev, batch.clone()).await.unwrap();
    assert_eq!(statuses(&r), vec![PushStatus::Created, PushStatus::Created]);
    let seq = store.current_seq(acc).await.unwrap();
    // The same batch again (a retry after a lost response): nothing changes.
    let r = push(&store, acc, dev, batch).await.unwrap();
    assert_eq!(statuses(&r), vec![PushStatus::Unchanged, PushStatus::Unchanged]);
    assert_eq!(store.current_seq(acc).await.unwrap(), seq);
    assert_eq!(store.list_contacts(acc).await.unwrap().len(), 2);

    let r = push(&store, acc, dev, vec![upsert(1, Some(1), data("Ann", "Acme", &["111"]))])
        .await
        .unwrap();
    assert_eq!((r[0].status, r[0].revision), (PushStatus::Updated, Some(2)));
    let del = vec![delete(2, 1)];
    let r = push(&store, acc, dev, del.clone()).await.unwrap();
    assert_eq!((r[0].status, r[0].revision), (PushStatus::Deleted, Some(2)));
    let r = push(&store, acc, dev, del).await.unwrap();
    assert_eq!(r[0].status, PushStatus::Unchanged);
    // The change log names the device.
    let h = store.history(acc, id(1)).await.unwrap();
    assert_eq!(h[0].origin, dev);
}

#[tokio::test]
async fn concurrent_edits_merge_and_same_field_keeps_both_values() {
    let (store, acc, dev, _d) = setup().await;
    push(&store, acc, dev, vec![upsert(1, None, data("Ann", "Old Co", &["111"]))]).await.unwrap();
    // The console changes the organization and adds a phone.
    store
        .update_contact(acc, id(1), 1, &data("Ann", "Server Co", &["111", "333"]), Origin::Console)
        .await
        .unwrap();
    // The device, still on revision 1, changes the organization too and adds another phone.
    let r =
        push(&store, acc, dev, vec![upsert(1, Some(1), data("Ann", "Device Co", &["111", "444"]))])
            .await
            .unwrap();
    assert_eq!(r[0].status, PushStatus::Conflict);
    let now = store.get_contact(acc, id(1)).await.unwrap();
    assert_eq!(now.data.organization, "Device Co");
    let phones: Vec<&str> = now.data.phones.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(phones, vec!["111", "333", "444"]);
    assert_eq!(r[0].conflicts.len(), 1);
    assert_eq!(r[0].conflicts[0].replaced, serde_json::json!("Server Co"));
    assert_eq!(current_contact(&r[0]), now.data);
    // The losing value is in the history.
    let h = store.history(acc, id(1)).await.unwrap();
    assert!(h.iter().any(|e| e.data.as_ref().is_some_and(|d| d.organization == "Server Co")));
    // Retrying the same upload changes nothing more.
    let rev = now.revision;
    push(&store, acc, dev, vec![upsert(1, Some(1), data("Ann", "Device Co", &["111", "444"]))])
        .await
        .unwrap();
    assert_eq!(store.get_contact(acc, id(1)).await.unwrap().revision, rev);
}

#[tokio::test]
async fn edits_win_over_deletions_both_ways() {
    let (store, acc, dev, _d) = setup().await;
    push(
        &store,
        acc,
        dev,
        vec![
            upsert(1, None, data("Ann", "", &["111"])),
            upsert(2, None, data("Bob", "", &["222"])),
        ],
    )
    .await
    .unwrap();
    // Server deleted 1; the device edited it: the edit restores it.
    store.delete_contact(acc, id(1), 1, Origin::Console).await.unwrap();
    let r = push(&store, acc, dev, vec![upsert(1, Some(1), data("Ann", "Edited", &["111"]))])
        .await
        .unwrap();
    assert_eq!(r[0].status, PushStatus::Conflict);
    assert_eq!(store.get_contact(acc, id(1)).await.unwrap().data.organization, "Edited");
    // Server edited 2; the device deleted it: the edit survives.
    store
        .update_contact(acc, id(2), 1, &data("Bob", "Edited", &["222"]), Origin::Console)
        .await
        .unwrap();
    let r = push(&store, acc, dev, vec![delete(2, 1)]).await.unwrap();
    assert_eq!(r[0].status, PushStatus::Conflict);
    assert_eq!(current_contact(&r[0]).organization, "Edited");
    assert_eq!(store.get_contact(acc, id(2)).await.unwrap().data.organization, "Edited");
}

#[tokio::test]
async fn invalid_items_are_rejected_alone() {
    let (store, acc, dev, _d) = setup().await;
    let bad = ContactData { display_name: "x".repeat(300), ..Default::default() };
    let r =
        push(&store, acc, dev, vec![upsert(1, None, bad), upsert(2, None, data("Ok", "", &[]))])
            .await
            .unwrap();
    assert_eq!(statuses(&r), vec![PushStatus::Rejected, PushStatus::Created]);
    assert!(r[0].reason.as_deref().unwrap().contains("at most 256"));
    assert!(store.contact_state(acc, id(1)).await.unwrap().is_none());
}

#[tokio::test]
async fn groups_sync_like_contacts() {
    let (store, acc, dev, _d) = setup().await;
    let g = uuid::Uuid::parse_str("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5fa0").unwrap();
    let family = domain::GroupData::parse("Family").unwrap();
    let mut ann = data("Ann", "", &["111"]);
    ann.groups = vec![domain::GroupId::from_uuid(g)];
    // A contact naming a group created earlier in the same batch.
    let r = push(
        &store,
        acc,
        dev,
        vec![
            PushItem { id: g, base_revision: None, op: PushOp::Group(family.clone()) },
            upsert(1, None, ann.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(statuses(&r), vec![PushStatus::Created, PushStatus::Created]);
    assert_eq!(store.get_contact(acc, id(1)).await.unwrap().data.groups, ann.groups);
    // An unknown group is refused for that item only.
    let mut bad = data("Bad", "", &[]);
    bad.groups = vec![domain::GroupId::from_uuid(*id(9).as_uuid())];
    let r = push(&store, acc, dev, vec![upsert(2, None, bad)]).await.unwrap();
    assert_eq!(r[0].status, PushStatus::Rejected);
    assert!(r[0].reason.as_deref().unwrap().contains("no group"), "{:?}", r[0].reason);
    // A group id used as a contact (and back) is refused.
    let r = push(
        &store,
        acc,
        dev,
        vec![PushItem { id: g, base_revision: Some(1), op: PushOp::Contact(data("X", "", &[])) }],
    )
    .await
    .unwrap();
    assert_eq!(r[0].status, PushStatus::Rejected);
    // Renamed on the console and on the device: the upload wins, the loser is reported.
    store
        .rename_group(acc, domain::GroupId::from_uuid(g), 1, "Console name", Origin::Console)
        .await
        .unwrap();
    let r = push(
        &store,
        acc,
        dev,
        vec![PushItem {
            id: g,
            base_revision: Some(1),
            op: PushOp::Group(domain::GroupData::parse("Device name").unwrap()),
        }],
    )
    .await
    .unwrap();
    assert_eq!(r[0].status, PushStatus::Conflict);
    assert_eq!(r[0].conflicts[0].replaced, serde_json::json!("Console name"));
    assert_eq!(store.list_groups(acc).await.unwrap()[0].name, "Device name");
    // Deleting the group from the device removes the membership, keeps the contact.
    let r = push(
        &store,
        acc,
        dev,
        vec![PushItem { id: g, base_revision: Some(3), op: PushOp::DeleteGroup }],
    )
    .await
    .unwrap();
    assert_eq!(r[0].status, PushStatus::Deleted);
    assert!(store.get_contact(acc, id(1)).await.unwrap().data.groups.is_empty());
    // The feed has the group's tombstone.
    let feed = pull(&store, acc, None, 100).await.unwrap();
    assert!(feed
        .items
        .iter()
        .any(|i| matches!(i, store::FeedItem::Group(gs) if gs.data.is_none())));
}

#[tokio::test]
async fn download_pages_follow_the_cursor() {
    let (store, acc, dev, _d) = setup().await;
    let items: Vec<PushItem> =
        (1..=5).map(|n| upsert(n, None, data(&format!("P{n}"), "", &[]))).collect();
    push(&store, acc, dev, items).await.unwrap();
    let p1 = pull(&store, acc, None, 2).await.unwrap();
    assert_eq!((p1.items.len(), p1.more, p1.next), (2, true, 2));
    let p2 = pull(&store, acc, Some(p1.next), 2).await.unwrap();
    let p3 = pull(&store, acc, Some(p2.next), 2).await.unwrap();
    assert_eq!((p3.items.len(), p3.more, p3.next), (1, false, 5));
    // Nothing new: the same cursor comes back.
    let p4 = pull(&store, acc, Some(5), 2).await.unwrap();
    assert_eq!((p4.items.len(), p4.more, p4.next), (0, false, 5));
    // A change appears once, at its latest position; deletions are in the feed.
    store.delete_contact(acc, id(1), 1, Origin::Console).await.unwrap();
    let p5 = pull(&store, acc, Some(5), 10).await.unwrap();
    assert_eq!(p5.items.len(), 1);
    assert!(matches!(&p5.items[0], store::FeedItem::Contact(c) if c.data.is_none()));
    // A cursor from the future (another account, a restored database): refused.
    assert!(matches!(pull(&store, acc, Some(99), 10).await, Err(SyncError::CursorInvalid)));
}

#[tokio::test]
async fn a_mixed_batch_keeps_its_order_and_creates_once() {
    let (store, acc, dev, _d) = setup().await;
    push(&store, acc, dev, vec![upsert(1, None, data("Ann", "", &["111"]))]).await.unwrap();
    let batch = vec![
        upsert(2, None, data("Bob", "", &["222"])),
        upsert(3, None, data("Cem", "", &["333"])),
        upsert(1, Some(1), data("Ann", "Acme", &["111"])),
        upsert(3, None, data("Cem", "", &["333"])),
        upsert(4, None, ContactData::default()),
    ];
    let r = push(&store, acc, dev, batch).await.unwrap();
    assert_eq!(
        statuses(&r),
        vec![
            PushStatus::Created,
            PushStatus::Created,
            PushStatus::Updated,
            PushStatus::Unchanged,
            PushStatus::Rejected
        ]
    );
    assert_eq!(
        r.iter().map(|r| r.id).collect::<Vec<_>>(),
        [2, 3, 1, 3, 4].map(|n| *id(n).as_uuid()).to_vec()
    );
    assert_eq!(store.count_contacts(acc).await.unwrap(), 3);
    // The batch-created contacts are in the feed and the history like any other.
    assert_eq!(store.history(acc, id(2)).await.unwrap()[0].origin, dev);
    let feed = pull(&store, acc, None, 100).await.unwrap();
    assert_eq!(feed.items.len(), 3);
}
