//! vCard fidelity through files: every client card of the corpus imported and exported comes
//! back line for line (UIDs as written, in any case or form); re-importing the export finds the
//! same contacts; group cards in a file become groups with their members.

use transfer::{ExportFormat, ExportOptions, ImportOptions, Selection, VcardVersion};

use crate::Env;

const FILES: [&str; 6] =
    ["ios", "davx5", "thunderbird-cardbook", "thunderbird", "evolution", "google"];

fn corpus(name: &str) -> String {
    let path = format!("{}/../vcard/tests/corpus/{name}.vcf", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Each card's lines under the documented normalisation (unfolded; no BEGIN, END, VERSION,
/// and no X-ROLO-GROUP, which carries Rolo's groups), keyed by UID.
fn cards_by_uid(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for p in interchange::vcard::parse_vcards(text).into_iter().flatten() {
        if interchange::vcard::group_members(&p.data.extra).is_some() {
            continue;
        }
        let lines = p.data.card.clone().unwrap_or_default().lines;
        out.push((p.uid.unwrap_or_default(), lines));
    }
    out.sort();
    out
}

async fn export(env: &Env, version: VcardVersion) -> String {
    let mut out = Vec::new();
    let options = ExportOptions { format: ExportFormat::Vcard(version), selection: Selection::All };
    transfer::export(&env.store, env.account, &options, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn client_files_import_and_export_as_written() {
    for name in FILES {
        let env = Env::new().await;
        let text = corpus(name);
        let r = env.import(text.as_bytes(), &ImportOptions::default()).await;
        assert!(r.failed.is_empty(), "{name}: {:?}", r.failed);
        let want: Vec<(String, Vec<String>)> =
            cards_by_uid(&text).into_iter().filter(|(uid, _)| !uid.is_empty()).collect();
        for version in [VcardVersion::V3, VcardVersion::V4] {
            let out = export(&env, version).await;
            let got = cards_by_uid(&out);
            for (uid, lines) in &want {
                let found = got.iter().find(|(u, _)| u == uid);
                let Some((_, got_lines)) = found else {
                    panic!("{name}: UID {uid} not exported as written:\n{out}")
                };
                let own = text.contains("VERSION:4.0") == (version == VcardVersion::V4)
                    && !(text.contains("VERSION:4.0") && text.contains("VERSION:3.0"));
                if own {
                    assert_eq!(got_lines, lines, "{name} {version:?}");
                } else {
                    assert_eq!(got_lines.len(), lines.len(), "{name} {version:?}: {got_lines:?}");
                }
            }
            // The export read back into the same account: every contact is found again.
            let again = env.import(out.as_bytes(), &ImportOptions::default()).await;
            assert_eq!(again.imported, 0, "{name} {version:?}: {again:?}");
        }
    }
}

#[tokio::test]
async fn an_upper_case_uid_is_exported_as_written() {
    let env = Env::new().await;
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F\r\nFN:Upper\r\nEND:VCARD\r\n";
    let r = env.import(card.as_bytes(), &ImportOptions::default()).await;
    assert_eq!(r.imported, 1);
    for version in [VcardVersion::V3, VcardVersion::V4] {
        let out = export(&env, version).await;
        assert!(out.contains("\r\nUID:8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F\r\n"), "{out}");
    }
}

#[tokio::test]
async fn apple_group_cards_in_a_file_become_groups() {
    let env = Env::new().await;
    let text = corpus("ios");
    let r = env.import(text.as_bytes(), &ImportOptions::default()).await;
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let groups = env.store.list_groups(env.account).await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let contacts = env.store.list_contacts(env.account).await.unwrap();
    assert!(
        !contacts.iter().any(|c| c.data.display_name == groups[0].name),
        "no contact for the group"
    );
    let members = contacts.iter().filter(|c| c.data.groups.contains(&groups[0].id)).count();
    assert_eq!(members, 2);
}

#[tokio::test]
async fn vcard_exports_carry_group_cards_that_import_as_groups() {
    let env = Env::new().await;
    let text = corpus("ios");
    let r = env.import(text.as_bytes(), &ImportOptions::default()).await;
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    for version in [VcardVersion::V3, VcardVersion::V4] {
        let out = export(&env, version).await;
        let kind = match version {
            VcardVersion::V3 => "\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n",
            VcardVersion::V4 => "\r\nKIND:group\r\n",
        };
        assert!(out.contains(kind), "{out}");
        assert!(out.contains(":urn:uuid:8C9B5C1E-4F3A-4B2D-9E8F-1A2B3C4D5E6F\r\n"), "{out}");
        // Into another account: the group comes with its members.
        let other = env.other_account(&format!("copy-{version:?}")).await;
        let r = env.import_into(other, out.as_bytes(), &ImportOptions::default()).await;
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        let groups = env.store.list_groups(other).await.unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].name, "Book Club");
        let contacts = env.store.list_contacts(other).await.unwrap();
        let members = contacts.iter().filter(|c| c.data.groups.contains(&groups[0].id)).count();
        assert_eq!(members, 2);
    }
}
