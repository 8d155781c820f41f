//! Duplicates: skip, update, create anyway; matching by UID, phone number and email address.

use domain::{ContactId, Origin};
use transfer::{Duplicates, ImportOptions, Outcome};

use crate::{fixture, person, Env};

fn policy(duplicates: Duplicates) -> ImportOptions {
    ImportOptions { duplicates, ..Default::default() }
}

#[tokio::test]
async fn running_the_same_file_again_with_skip_creates_nothing() {
    for name in ["google.csv", "chinese_gbk.csv", "contacts_v30.vcf", "contacts_v21.vcf"] {
        let env = Env::new().await;
        let bytes = fixture(name);
        let first = env.import(&bytes, &ImportOptions::default()).await;
        assert_eq!(first.imported, 2, "{name}");
        let seq = env.store.current_seq(env.account).await.unwrap();
        let again = env.import(&bytes, &ImportOptions::default()).await;
        assert_eq!((again.imported, again.skipped, again.updated), (0, 2, 0), "{name}");
        assert!(
            again.rows.iter().all(|r| r.outcome == Outcome::Skipped
                && r.reason.contains("already in the address book")),
            "{:?}",
            again.rows
        );
        assert_eq!(
            env.store.current_seq(env.account).await.unwrap(),
            seq,
            "{name}: nothing written"
        );
        assert_eq!(env.store.count_contacts(env.account).await.unwrap(), 2);
    }
}

#[tokio::test]
async fn duplicates_are_matched_by_uid_phone_and_email() {
    let env = Env::new().await;
    let existing = env
        .store
        .create_contact(
            env.account,
            None,
            &person("Ann", &["+86 138 0013 8000"], &["Ann@Example.com"]),
            Origin::Console,
        )
        .await
        .unwrap();
    let csv = format!(
        "UID,Given Name,Phone 1,Email 1\n\
         ,Phone twin,13800138000,\n\
         ,Mail twin,,ann@example.COM\n\
         {},Uid twin,,\n\
         ,New person,+1 555 0100,new@example.com\n\
         ,Same as line 5,,NEW@example.com\n\
         ,Same phone as line 5,(555) 0100,\n",
        existing.id
    );
    let r = env.import(csv.as_bytes(), &ImportOptions::default()).await;
    assert_eq!((r.imported, r.skipped, r.failed.len()), (1, 5, 0));
    let reasons: Vec<(usize, &str)> = r
        .rows
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, "Duplicate: same phone number (13800138000) as a contact already in the address book."),
            (3, "Duplicate: same email address (ann@example.COM) as a contact already in the address book."),
            (4, "Duplicate: same UID as a contact already in the address book."),
            (6, "Duplicate: same email address (NEW@example.com) as the contact of line 5."),
            (7, "Duplicate: same phone number ((555) 0100) as the contact of line 5."),
        ]
    );
    assert!(r.rows.iter().filter(|r| r.line <= 4).all(|r| r.contact == Some(existing.id)));
    assert_eq!(env.store.count_contacts(env.account).await.unwrap(), 2);
}

#[tokio::test]
async fn update_merges_without_losing_anything() {
    let env = Env::new().await;
    let mut ann = person("Ann", &["+86 138 0013 8000"], &["ann@example.com"]);
    ann.notes = "met in Beijing".into();
    ann.organization = "Old Org".into();
    let existing =
        env.store.create_contact(env.account, None, &ann, Origin::Console).await.unwrap();
    let csv = "Name,Phone,Email,Company\nAnnie,13800138000,ann@work.example,New Org\n";
    let r = env.import(csv.as_bytes(), &policy(Duplicates::Update)).await;
    assert_eq!((r.imported, r.updated, r.skipped), (0, 1, 0));
    assert!(r.rows[0].reason.contains("same phone number"), "{}", r.rows[0].reason);
    let c = env.store.get_contact(env.account, existing.id).await.unwrap();
    assert_eq!(c.revision, 2);
    assert_eq!((c.data.display_name.as_str(), c.data.organization.as_str()), ("Annie", "New Org"));
    assert_eq!(c.data.notes, "met in Beijing", "an empty cell does not erase");
    assert_eq!(
        c.data.phones.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(),
        ["+86 138 0013 8000"]
    );
    assert_eq!(
        c.data.emails.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(),
        ["ann@example.com", "ann@work.example"]
    );
    let history = env.store.history(env.account, existing.id).await.unwrap();
    assert_eq!(history[0].origin, Origin::Cli);

    // Again: nothing new, nothing written.
    let r = env.import(csv.as_bytes(), &policy(Duplicates::Update)).await;
    assert_eq!((r.updated, r.skipped), (0, 1));
    assert!(r.rows[0].reason.starts_with("Duplicate with nothing new"), "{}", r.rows[0].reason);
    assert_eq!(env.store.get_contact(env.account, existing.id).await.unwrap().revision, 2);

    // The origin is the caller's.
    let csv = "Name,Phone,Title\nAnnie,13800138000,Boss\n";
    let console = ImportOptions {
        duplicates: Duplicates::Update,
        origin: Origin::Console,
        ..Default::default()
    };
    env.import(csv.as_bytes(), &console).await;
    assert_eq!(
        env.store.history(env.account, existing.id).await.unwrap()[0].origin,
        Origin::Console
    );
}

#[tokio::test]
async fn update_merges_rows_of_the_same_file() {
    let env = Env::new().await;
    // Line 2 and 4 are the same person: merged before writing. Line 3 is written in the first
    // batch and matched by a row after it (batch size 1,000: line 1,004 is in the second batch).
    let mut csv = String::from("Name,Phone,Email\nAnn,+1 555 0100,ann@example.com\nBob,+1 555 0200,bob@example.com\nAnn,+1 555 0101,ann@example.com\n");
    for i in 0..1000 {
        csv.push_str(&format!("Filler {i},,filler{i}@example.com\n"));
    }
    csv.push_str("Bob,+1 555 0201,BOB@example.com\n");
    let r = env.import(csv.as_bytes(), &policy(Duplicates::Update)).await;
    assert_eq!((r.imported, r.updated, r.skipped), (1002, 2, 0));
    let ann = env.named("Ann").await;
    assert_eq!(ann.revision, 1, "merged in memory before the first write");
    assert_eq!(ann.data.phones.len(), 2);
    assert!(r.rows[2].reason.contains("the contact of line 2"), "{}", r.rows[2].reason);
    let bob = env.named("Bob").await;
    assert_eq!((bob.revision, bob.data.phones.len()), (2, 2));
}

#[tokio::test]
async fn create_anyway_creates_duplicates() {
    let env = Env::new().await;
    let bytes = fixture("contacts_v30.vcf");
    env.import(&bytes, &ImportOptions::default()).await;
    let r = env.import(&bytes, &policy(Duplicates::CreateAnyway)).await;
    assert_eq!((r.imported, r.skipped), (2, 0));
    let contacts = env.contacts().await;
    assert_eq!(contacts.len(), 4);
    let uid = ContactId::parse("7d1f8a52-2a43-4c55-9a53-0d6c2f3b9e01").unwrap();
    let wang: Vec<_> = contacts.iter().filter(|c| c.data.display_name == "王小明").collect();
    assert_eq!(wang.len(), 2);
    assert_eq!(wang.iter().filter(|c| c.id == uid).count(), 1, "the copy gets a fresh id");
}

#[tokio::test]
async fn a_uid_is_the_id_only_when_free() {
    let env = Env::new().await;
    let uid = ContactId::parse("7d1f8a52-2a43-4c55-9a53-0d6c2f3b9e01").unwrap();
    // The id belonged to a contact that was deleted: the imported card gets a new id.
    let c = env
        .store
        .create_contact(
            env.account,
            Some(uid),
            &person("Gone", &["+1 555 0999"], &[]),
            Origin::Console,
        )
        .await
        .unwrap();
    env.store.delete_contact(env.account, uid, c.revision, Origin::Console).await.unwrap();
    let r = env.import(&fixture("contacts_v30.vcf"), &ImportOptions::default()).await;
    assert_eq!((r.imported, r.failed.len()), (2, 0));
    let w = env.named("王小明").await;
    assert_ne!(w.id, uid);
    // Another account's ids do not matter.
    let bob = env.other_account("bob").await;
    env.import_into(bob, &fixture("contacts_v30.vcf"), &ImportOptions::default()).await;
    assert!(env.store.get_contact(bob, uid).await.is_ok());
    // A UID that is not a UUID is not an id, and matches nothing.
    let card =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:not-a-uuid@example.com\r\nFN:Odd Uid\r\nEND:VCARD\r\n";
    let r = env.import(card.as_bytes(), &ImportOptions::default()).await;
    assert_eq!(r.imported, 1);
}
