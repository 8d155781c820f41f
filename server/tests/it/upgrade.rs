//! Upgrade: a database written by the release before cards were kept (a fixture made with that
//! release's own CLI, `server/tests/fixtures/upgrade-0.1`) opens with the current code, and every
//! contact reads unchanged (its CSV export is byte for byte the one that release made); an edit
//! of one of them keeps everything else it holds.

use crate::common;
use domain::{ContactDraft, Origin, Username};
use transfer::{ExportFormat, ExportOptions, Layout, Selection};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade-0.1").join(name)
}

#[tokio::test]
async fn a_database_of_the_previous_release_reads_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["rolo.db", "master.key"] {
        std::fs::copy(fixture(f), dir.path().join(f)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path().join(f), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    let store = common::open_store_in(dir.path()).await.unwrap();
    let alice = store.account_by_username(&Username::parse("alice").unwrap()).await.unwrap().id;
    let contacts = store.list_contacts(alice).await.unwrap();
    assert_eq!(contacts.len(), 72);
    assert!(contacts.iter().all(|c| c.data.card.is_none()), "stored before cards were kept");

    let export = |store: std::sync::Arc<store::Store>| async move {
        let mut out = Vec::new();
        let options =
            ExportOptions { format: ExportFormat::Csv(Layout::Rolo), selection: Selection::All };
        transfer::export(&store, alice, &options, &mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    };
    let expected = std::fs::read_to_string(fixture("expected.csv")).unwrap();
    let now = export(store.clone()).await;
    assert_eq!(now, expected, "the book reads as the previous release exported it");

    // An edit of an old contact with kept extra fields: those stay, the edit is made.
    let old = contacts.iter().max_by_key(|c| c.data.extra.len()).unwrap().clone();
    assert!(old.data.extra.len() >= 3, "{:?}", old.data.extra);
    let mut draft = ContactDraft::from_data(&old.data);
    draft.title = "Upgraded".into();
    let data = draft.parse().unwrap();
    store.update_contact(alice, old.id, old.revision, &data, Origin::Console).await.unwrap();
    let new = store.get_contact(alice, old.id).await.unwrap();
    assert_eq!(new.data.title, "Upgraded");
    assert_eq!(new.data.extra, old.data.extra);
    let mut want = old.data.clone();
    want.title = "Upgraded".into();
    assert_eq!(new.data, want);
    assert!(new.data.card.is_none(), "a contact that never came as a card stays its fields");
    // Every other contact still exports as before.
    let after = export(store.clone()).await;
    let changed: Vec<(&str, &str)> =
        expected.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("Upgraded"));
}
