//! Exports read and write a page of contacts at a time: a book larger than a page comes out
//! whole, in name order, handed over in several pieces; a group's export and a selection keep
//! their rules; group cards and per-group sheets span pages.

use std::fmt::Write as _;

use transfer::{
    ExportFormat, ExportOptions, ImportOptions, Layout, Selection, Sink, TransferError,
    VcardVersion, PAGE,
};

use crate::Env;

/// Counts the pieces an export is handed over in.
#[derive(Default)]
struct Pieces {
    bytes: Vec<u8>,
    count: usize,
}

impl Sink for Pieces {
    async fn deliver(&mut self, bytes: Vec<u8>) -> Result<(), TransferError> {
        self.count += 1;
        self.bytes.extend_from_slice(&bytes);
        Ok(())
    }
}

async fn export(env: &Env, format: ExportFormat, selection: Selection) -> (usize, Pieces) {
    let mut sink = Pieces::default();
    let options = ExportOptions { format, selection };
    let n = transfer::export_to(&env.store, env.account, &options, &mut sink).await.unwrap();
    (n, sink)
}

#[tokio::test]
async fn a_book_larger_than_a_page_exports_whole_and_in_order() {
    let env = Env::new().await;
    let n = PAGE * 2 + 345;
    // Names in an order unlike the order they are stored in; every 7th in group "Seven".
    let mut csv = String::from("First Name,Last Name,Phone 1 - Value,Group Membership\n");
    for i in 0..n {
        let key = (i * 7919) % n;
        let group = if i % 7 == 0 { "Seven" } else { "" };
        writeln!(csv, "P{key:05},Paged,+1 555 {i:07},{group}").unwrap();
    }
    let report = env.import(csv.as_bytes(), &ImportOptions::default()).await;
    assert_eq!(report.imported, n, "{:?}", report.failed.first());

    let (written, pieces) = export(&env, ExportFormat::Csv(Layout::Rolo), Selection::All).await;
    assert_eq!(written, n);
    assert!(pieces.count >= 3, "handed over in {} pieces", pieces.count);
    let text = String::from_utf8(pieces.bytes).unwrap();
    let names: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(names.len(), n);
    let mut sorted = names.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(names, sorted, "rows in display-name order");
    assert_eq!(names.first().copied(), Some("P00000 Paged"));

    // A group's members only, sorted too.
    let groups = env.store.list_groups(env.account).await.unwrap();
    let seven = groups.iter().find(|g| g.name == "Seven").unwrap().id;
    let (written, pieces) =
        export(&env, ExportFormat::Csv(Layout::Rolo), Selection::Group(seven)).await;
    assert_eq!(written, n.div_ceil(7));
    let text = String::from_utf8(pieces.bytes).unwrap();
    assert_eq!(text.lines().count() - 1, n.div_ceil(7));
    assert!(text.lines().skip(1).all(|l| l.contains("Seven")), "only the group's members");

    // vCard: every card, then a group card naming every member across pages.
    let (written, pieces) =
        export(&env, ExportFormat::Vcard(VcardVersion::V4), Selection::All).await;
    assert_eq!(written, n);
    let text = String::from_utf8(pieces.bytes).unwrap();
    assert_eq!(text.matches("BEGIN:VCARD").count(), n + 1);
    let group_card = text.split("BEGIN:VCARD").last().unwrap();
    assert!(group_card.contains("KIND:group") && group_card.contains("FN:Seven"), "{group_card}");
    assert_eq!(group_card.matches("MEMBER:").count(), n.div_ceil(7));

    // A selection in its own order; an unknown id is refused before anything is written.
    let all = env.contacts().await;
    let picked = vec![all[10].id, all[3].id, all[2000].id];
    let (written, pieces) =
        export(&env, ExportFormat::Csv(Layout::Rolo), Selection::Ids(picked.clone())).await;
    assert_eq!(written, 3);
    let text = String::from_utf8(pieces.bytes).unwrap();
    let uids: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().trim_start_matches('\u{feff}').to_string())
        .collect();
    assert_eq!(uids, picked.iter().map(|id| id.to_string()).collect::<Vec<_>>());
    let mut sink = Pieces::default();
    let unknown = domain::ContactId::from_uuid(uuid::Uuid::new_v4());
    let options = ExportOptions {
        format: ExportFormat::Csv(Layout::Rolo),
        selection: Selection::Ids(vec![all[0].id, unknown]),
    };
    let e = transfer::export_to(&env.store, env.account, &options, &mut sink).await.unwrap_err();
    assert!(matches!(e, TransferError::UnknownContact(id) if id == unknown), "{e}");
    assert_eq!(sink.count, 0, "nothing handed over");

    // A workbook with a sheet per group: the group's sheet and the rest.
    let (written, pieces) = export(&env, ExportFormat::XlsxPerGroup, Selection::All).await;
    assert_eq!(written, n);
    let back = env.import(&pieces.bytes, &ImportOptions::default()).await;
    assert_eq!(back.imported, 0, "re-importing finds every contact again");
    assert_eq!(back.skipped + back.updated, n);
}
