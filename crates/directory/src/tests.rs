use std::sync::Arc;

use domain::{ContactDraft, LabeledDraft, Origin, Username};
use store::contract::store_on;
use store_sql::SqliteBackend;

use super::*;

fn data(display: &str, phones: &[&str], emails: &[&str]) -> ContactData {
    ContactDraft {
        display_name: display.into(),
        phones: phones
            .iter()
            .map(|p| LabeledDraft { label: "mobile".into(), value: (*p).into() })
            .collect(),
        emails: emails
            .iter()
            .map(|e| LabeledDraft { label: "home".into(), value: (*e).into() })
            .collect(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

fn contact(display: &str, phones: &[&str], emails: &[&str]) -> Contact {
    Contact {
        id: ContactId::from_uuid(uuid::Uuid::now_v7()),
        revision: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        data: data(display, phones, emails),
    }
}

fn names(page: &ContactPage) -> Vec<&str> {
    page.items.iter().map(|s| s.display_name.as_str()).collect()
}

fn list(q: &str) -> ListQuery {
    ListQuery { q: q.into(), limit: 100, ..Default::default() }
}

fn sample() -> Index {
    Index::build(
        0,
        &[
            contact("张伟", &["+86 138-0013-8000"], &["zhang.wei@example.cn"]),
            contact("David", &["555 0100"], &["david@example.org"]),
            contact("陈静", &["13912345678"], &[]),
            contact("Bob", &[], &["bob@example.org"]),
            contact("阿明", &[], &[]),
        ],
    )
}

#[test]
fn name_order_mixes_pinyin_and_latin_with_a_letter_index() {
    let mut index = sample();
    let page = index.page(&list(""));
    assert_eq!(names(&page), vec!["阿明", "Bob", "陈静", "David", "张伟"]);
    let letters: Vec<(&str, usize)> = page.letters.iter().map(|(l, o)| (l.as_str(), *o)).collect();
    assert_eq!(letters, vec![("A", 0), ("B", 1), ("C", 2), ("D", 3), ("Z", 4)]);
    assert_eq!((page.total, page.all), (5, 5));
}

#[test]
fn pinyin_initials_and_full_pinyin_find_chinese_names() {
    let mut index = sample();
    for q in ["zw", "zhangwei", "zhang wei", "张", "ZW"] {
        assert_eq!(names(&index.page(&list(q))), vec!["张伟"], "query {q}");
    }
    assert_eq!(names(&index.page(&list("cj"))), vec!["陈静"]);
}

#[test]
fn phones_match_in_any_format() {
    let mut index = sample();
    for q in ["13800138000", "+86 138-0013-8000", "138 0013 8000", "0013 8000"] {
        assert_eq!(names(&index.page(&list(q))), vec!["张伟"], "query {q}");
    }
    assert!(index.page(&list("13800138009")).items.is_empty());
    // A country code alone, or a name with part of a number.
    assert_eq!(names(&index.page(&list("+86"))), vec!["张伟"]);
    assert_eq!(names(&index.page(&list("david 555"))), vec!["David"]);
}

#[test]
fn email_and_several_words_must_all_match() {
    let mut index = sample();
    assert_eq!(names(&index.page(&list("example.org"))), vec!["Bob", "David"]);
    assert_eq!(names(&index.page(&list("david example"))), vec!["David"]);
    assert!(index.page(&list("david nobody")).items.is_empty());
}

#[test]
fn paging_and_group_filter() {
    let g = GroupId::from_uuid(uuid::Uuid::now_v7());
    let mut cs: Vec<Contact> =
        (0..250).map(|i| contact(&format!("Person {i:03}"), &[], &[])).collect();
    for c in cs.iter_mut().take(10) {
        c.data.groups.push(g);
    }
    let mut index = Index::build(0, &cs);
    let page = index.page(&ListQuery { offset: 200, limit: 100, ..Default::default() });
    assert_eq!(page.items.len(), 50);
    assert_eq!(page.items[0].display_name, "Person 200");
    let page = index.page(&ListQuery { group: Some(g), limit: 100, ..Default::default() });
    assert_eq!(page.total, 10);
    assert_eq!(page.group_counts, vec![(g, 10)]);
}

#[test]
fn changes_from_the_feed_update_the_index() {
    let mut index = sample();
    let bob = index.page(&list("bob")).items[0].id;
    index.apply(&FeedItem::Contact(store::ContactState {
        id: bob,
        revision: 2,
        seq: 7,
        data: Some(data("Robert", &[], &["bob@example.org"])),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }));
    assert_eq!(names(&index.page(&list("example.org"))), vec!["David", "Robert"]);
    index.apply(&FeedItem::Contact(store::ContactState {
        id: bob,
        revision: 3,
        seq: 8,
        data: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }));
    assert_eq!(names(&index.page(&list("example.org"))), vec!["David"]);
    assert_eq!(index.seq(), 8);
}

#[test]
fn duplicates_by_phone_email_and_name() {
    let mut index = Index::build(
        0,
        &[
            contact("Wei Zhang", &["+86 138 0013 8000"], &[]),
            contact("张伟", &["13800138000"], &[]),
            contact("Anna", &[], &["anna@example.org"]),
            contact("Anna K.", &[], &["ANNA@example.org"]),
            contact("Tom Hill", &[], &[]),
            contact("tom  hill", &[], &[]),
            contact("Unique", &["555 0199"], &["u@example.org"]),
        ],
    );
    let sets = index.duplicates();
    let summary: Vec<(String, Vec<&str>)> = sets
        .iter()
        .map(|s| (s.reason.clone(), s.contacts.iter().map(|c| c.display_name.as_str()).collect()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("email".to_string(), vec!["Anna", "Anna K."]),
            ("name".to_string(), vec!["Tom Hill", "tom  hill"]),
            ("phone".to_string(), vec!["Wei Zhang", "张伟"]),
        ]
    );
}

#[tokio::test]
async fn the_directory_follows_writes_made_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
    let store = Arc::new(store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await);
    let alice = store
        .create_account(&Username::parse("alice").unwrap(), "password-alice-1", false)
        .await
        .unwrap()
        .id;
    let bob = store
        .create_account(&Username::parse("bob").unwrap(), "password-bob-12", false)
        .await
        .unwrap()
        .id;
    store
        .create_contact(alice, None, &data("张伟", &["13800138000"], &[]), Origin::Console)
        .await
        .unwrap();
    store
        .create_contact(bob, None, &data("Bob's secret friend", &[], &[]), Origin::Console)
        .await
        .unwrap();
    let directory = Directory::new(store.clone(), 8);
    let page = directory.page(alice, &list("")).await.unwrap();
    assert_eq!(names(&page), vec!["张伟"]);
    // Another account's contacts are never in this account's index.
    assert!(directory.page(alice, &list("secret")).await.unwrap().items.is_empty());

    // A write after the index was built (as another instance or a device would make it).
    let c =
        store.create_contact(alice, None, &data("阿明", &[], &[]), Origin::Console).await.unwrap();
    assert_eq!(names(&directory.page(alice, &list("")).await.unwrap()), vec!["阿明", "张伟"]);
    store.delete_contact(alice, c.id, c.revision, Origin::Console).await.unwrap();
    assert_eq!(names(&directory.page(alice, &list("")).await.unwrap()), vec!["张伟"]);
    assert_eq!(directory.matching(alice, "zw", None).await.unwrap().len(), 1);
}
