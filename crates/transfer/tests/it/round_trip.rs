//! Export → import round trips, selections, the change feed, batches and progress.

use std::collections::HashMap;

use domain::{ContactData, ContactId, Origin};
use store::FeedItem;
use transfer::{
    ExportFormat, ExportOptions, ImportOptions, Layout, Progress, Selection, VcardVersion,
};

use crate::{sample, Env};

async fn export(env: &Env, format: ExportFormat, selection: Selection) -> Vec<u8> {
    let mut out = Vec::new();
    let n =
        transfer::export(&env.store, env.account, &ExportOptions { format, selection }, &mut out)
            .await
            .unwrap();
    assert!(n > 0);
    out
}

async fn book(env: &Env, account: domain::AccountId) -> HashMap<ContactId, ContactData> {
    env.store.list_contacts(account).await.unwrap().into_iter().map(|c| (c.id, c.data)).collect()
}

#[tokio::test]
async fn export_then_import_gives_the_same_contacts_and_ids() {
    let env = Env::new().await;
    let items: Vec<_> = sample().into_iter().map(|d| (None, d)).collect();
    env.store.create_contacts(env.account, &items, Origin::Console).await.unwrap();
    let original = book(&env, env.account).await;
    assert_eq!(original.len(), 5);
    for (i, format) in [
        ExportFormat::Csv(Layout::Rolo),
        ExportFormat::Xlsx,
        ExportFormat::Vcard(VcardVersion::V4),
        ExportFormat::Vcard(VcardVersion::V3),
    ]
    .into_iter()
    .enumerate()
    {
        let bytes = export(&env, format, Selection::All).await;
        let target = env.other_account(&format!("copy{i}")).await;
        let r = env.import_into(target, &bytes, &ImportOptions::default()).await;
        assert_eq!((r.imported, r.failed.len()), (5, 0), "{format:?}: {:?}", r.failed);
        assert_eq!(book(&env, target).await, original, "{format:?}");
        // Importing the export into the account it came from: all duplicates (same UIDs).
        let r = env.import(&bytes, &ImportOptions::default()).await;
        assert_eq!((r.imported, r.skipped), (0, 5), "{format:?}");
    }
}

#[tokio::test]
async fn csv_exports_in_every_layout_guard_formulas_and_read_back() {
    let env = Env::new().await;
    let items: Vec<_> = sample().into_iter().map(|d| (None, d)).collect();
    env.store.create_contacts(env.account, &items, Origin::Console).await.unwrap();
    let rolo =
        String::from_utf8(export(&env, ExportFormat::Csv(Layout::Rolo), Selection::All).await)
            .unwrap();
    assert!(rolo.starts_with("\u{feff}UID,Display Name,"), "{}", &rolo[..60]);
    assert!(
        rolo.contains(",'--02-29,")
            && rolo.contains("'+44 20 7946 0000")
            && rolo.contains("''=cmd"),
        "{rolo}"
    );
    let google = export(&env, ExportFormat::Csv(Layout::Google), Selection::All).await;
    assert!(String::from_utf8_lossy(&google).starts_with("\u{feff}File As,First Name"));
    let target = env.other_account("google").await;
    let r = env.import_into(target, &google, &ImportOptions::default()).await;
    assert_eq!((r.dialect, r.imported), (Some(transfer::Dialect::Google), 5));
    let mut back: Vec<ContactData> = book(&env, target).await.into_values().collect();
    let mut original: Vec<ContactData> = book(&env, env.account).await.into_values().collect();
    back.sort_by_key(|d| format!("{d:?}"));
    original.sort_by_key(|d| format!("{d:?}"));
    assert_eq!(back, original, "Google's layout keeps every field too");
    let outlook =
        String::from_utf8(export(&env, ExportFormat::Csv(Layout::Outlook), Selection::All).await)
            .unwrap();
    assert!(outlook.starts_with("\u{feff}First Name,Last Name"), "{outlook}");
}

#[tokio::test]
async fn a_selection_is_exported_in_its_order() {
    let env = Env::new().await;
    let items: Vec<_> = sample().into_iter().map(|d| (None, d)).collect();
    let created = env.store.create_contacts(env.account, &items, Origin::Console).await.unwrap();
    let ids = vec![created[4].id, created[0].id];
    let vcf = String::from_utf8(
        export(&env, ExportFormat::Vcard(VcardVersion::V4), Selection::Ids(ids.clone())).await,
    )
    .unwrap();
    assert_eq!(vcf.matches("BEGIN:VCARD").count(), 2);
    let uids: Vec<&str> = vcf.lines().filter_map(|l| l.strip_prefix("UID:")).collect();
    assert_eq!(uids, [ids[0].to_string(), ids[1].to_string()]);
    env.store.delete_contact(env.account, created[1].id, 1, Origin::Console).await.unwrap();
    let options = ExportOptions {
        format: ExportFormat::Xlsx,
        selection: Selection::Ids(vec![created[1].id]),
    };
    let e = transfer::export(&env.store, env.account, &options, Vec::new()).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("There is no contact {} in this address book.", created[1].id)
    );
    let other = env.other_account("bob").await;
    let e = transfer::export(
        &env.store,
        other,
        &ExportOptions {
            format: ExportFormat::Xlsx,
            selection: Selection::Ids(vec![created[0].id]),
        },
        Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, transfer::TransferError::UnknownContact(_)));
    // An empty address book exports a header (or nothing) without failing.
    let mut out = Vec::new();
    let n = transfer::export(
        &env.store,
        other,
        &ExportOptions { format: ExportFormat::Csv(Layout::Rolo), selection: Selection::All },
        &mut out,
    )
    .await
    .unwrap();
    assert_eq!(n, 0);
    assert!(String::from_utf8(out).unwrap().starts_with("\u{feff}UID,"));
}

#[tokio::test]
async fn imported_contacts_are_in_the_change_feed_batch_by_batch() {
    let env = Env::new().await;
    let before = env.store.current_seq(env.account).await.unwrap();
    let mut csv = String::from("Name,Phone,Email\n");
    for i in 0..2500 {
        csv.push_str(&format!("Person {i},+1 555 {:04},p{i}@example.com\n", i));
    }
    csv.push_str("Broken,nope,\n");
    let mut seen: Vec<Progress> = Vec::new();
    let options = ImportOptions::default();
    let mut record = |p| seen.push(p);
    let fut = transfer::import(&env.store, env.account, csv.as_bytes(), &options, &mut record);
    fn is_send<T: Send>(_: &T) {}
    is_send(&fut);
    let r = fut.await.unwrap();
    assert_eq!((r.imported, r.failed.len()), (2500, 1));
    let done: Vec<(usize, usize, usize)> =
        seen.iter().map(|p| (p.rows_done, p.rows_total, p.imported)).collect();
    // A batch is written while the next is read: each report counts the batches written.
    assert_eq!(done, [(0, 2501, 0), (1000, 2501, 0), (2000, 2501, 1000), (2501, 2501, 2500)]);
    let feed =
        env.store.feed(env.account, store::Since::After(before), 10_000).await.unwrap().items;
    assert_eq!(feed.len(), 2500);
    let imported: std::collections::HashSet<ContactId> =
        r.rows.iter().filter_map(|r| r.contact).collect();
    for item in &feed {
        match item {
            FeedItem::Contact(c) => {
                assert!(imported.contains(&c.id));
                assert!(c.data.is_some());
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(env.store.current_seq(env.account).await.unwrap(), before + 2500);
    let changes = env.store.changes_since(env.account, before, 10_000).await.unwrap();
    assert_eq!(changes.len(), 2500);
    let first = feed.first().map(|f| match f {
        FeedItem::Contact(c) => c.id,
        FeedItem::Group(g) => ContactId::from_uuid(*g.id.as_uuid()),
    });
    let history = env.store.history(env.account, first.unwrap()).await.unwrap();
    assert_eq!(history[0].origin, Origin::Cli);
}

#[tokio::test]
async fn group_memberships_go_out_by_name_and_come_back_by_id_or_group_card() {
    let env = Env::new().await;
    let items: Vec<_> = sample().into_iter().take(2).map(|d| (None, d)).collect();
    let created = env.store.create_contacts(env.account, &items, Origin::Console).await.unwrap();
    let friends = env.store.create_group(env.account, "Friends", Origin::Console).await.unwrap();
    env.store
        .set_membership(env.account, friends.id, &[created[0].id], true, Origin::Console)
        .await
        .unwrap();
    // CSV: the Groups column has the name; the import hands the names back.
    let csv = export(&env, ExportFormat::Csv(Layout::Rolo), Selection::All).await;
    let target = env.other_account("csv").await;
    let r = env.import_into(target, &csv, &ImportOptions::default()).await;
    let names: Vec<(ContactId, Vec<String>)> =
        r.group_names().map(|(id, g)| (id, g.to_vec())).collect();
    assert_eq!(names, [(created[0].id, vec!["Friends".to_string()])]);
    // vCard into the same account (after deleting the contacts): memberships come back.
    let vcf = export(&env, ExportFormat::Vcard(VcardVersion::V4), Selection::All).await;
    let target = env.other_account("vcf").await;
    let r = env.import_into(target, &vcf, &ImportOptions::default()).await;
    assert_eq!(r.imported, 2, "a group id the account does not have is not an error");
    // The export's group card brings the group along, by name, with its member.
    let groups = env.store.list_groups(target).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Friends"]);
    let copied = env.store.list_contacts(target).await.unwrap();
    assert_eq!(copied.iter().filter(|c| c.data.groups == vec![groups[0].id]).count(), 1);
    for c in env.store.list_contacts(env.account).await.unwrap() {
        env.store.delete_contact(env.account, c.id, c.revision, Origin::Console).await.unwrap();
    }
    let r = env.import(&vcf, &ImportOptions::default()).await;
    assert_eq!(r.imported, 2);
    let back = env.contacts().await;
    let member = back.iter().find(|c| c.data.groups == vec![friends.id]);
    assert!(member.is_some(), "{back:?}");
}

#[tokio::test]
async fn excel_with_one_sheet_per_group_reads_back_each_contact_once() {
    let env = Env::new().await;
    let items: Vec<_> = sample().into_iter().take(3).map(|d| (None, d)).collect();
    let created = env.store.create_contacts(env.account, &items, Origin::Console).await.unwrap();
    let friends = env.store.create_group(env.account, "Friends", Origin::Console).await.unwrap();
    let work = env.store.create_group(env.account, "Work/Office", Origin::Console).await.unwrap();
    // One contact in both groups, one in one, one in none.
    env.store
        .set_membership(
            env.account,
            friends.id,
            &[created[0].id, created[1].id],
            true,
            Origin::Console,
        )
        .await
        .unwrap();
    env.store
        .set_membership(env.account, work.id, &[created[0].id], true, Origin::Console)
        .await
        .unwrap();
    let xlsx = export(&env, ExportFormat::XlsxPerGroup, Selection::All).await;
    let analysis =
        interchange::xlsx::analyse(&xlsx, None, &interchange::xlsx::WorkbookLimits::default())
            .unwrap();
    let sheets: Vec<&str> = analysis.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(sheets, vec!["Friends", "Work_Office", "No group"]);
    let target = env.other_account("sheets").await;
    let r = env.import_into(target, &xlsx, &ImportOptions::default()).await;
    assert_eq!((r.imported, r.failed.len()), (3, 0));
    let mut names: Vec<(ContactId, Vec<String>)> =
        r.group_names().map(|(id, g)| (id, g.to_vec())).collect();
    names.sort();
    let mut expected = vec![
        (created[0].id, vec!["Friends".to_string(), "Work/Office".to_string()]),
        (created[1].id, vec!["Friends".to_string()]),
    ];
    expected.sort();
    assert_eq!(names, expected);
}
