//! Broken files, rows that fail, limits and overrides.

use transfer::{
    encoding_for_label, ColumnTarget, Format, ImportOptions, Limits, Outcome, TransferError,
};

use crate::{fixture, Env};

async fn refused(env: &Env, bytes: &[u8], options: &ImportOptions) -> TransferError {
    let e =
        transfer::import(&env.store, env.account, bytes, options, &mut |_| {}).await.unwrap_err();
    assert!(transfer::preview(bytes, options, 5).is_err(), "the preview refuses it too");
    e
}

#[tokio::test]
async fn broken_files_are_errors_not_panics() {
    let env = Env::new().await;
    let default = ImportOptions::default();
    let e = refused(&env, &fixture("junk.bin"), &default).await;
    assert_eq!(e.to_string(), "This is not a CSV text file.");
    let e = refused(&env, &fixture("truncated.xlsx"), &default).await;
    assert!(matches!(e, TransferError::File(interchange::ImportError::Spreadsheet(_))), "{e:?}");
    assert!(e.to_string().contains("The spreadsheet cannot be read"), "{e}");
    let e = refused(&env, b"", &default).await;
    assert_eq!(e.to_string(), "The file is empty.");
    let utf8 = ImportOptions { encoding: Some(encoding_rs::UTF_8), ..Default::default() };
    let e = refused(&env, &fixture("wrong_encoding.csv"), &utf8).await;
    assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    let e = refused(
        &env,
        &fixture("contacts_v21.vcf"),
        &ImportOptions { encoding: Some(encoding_rs::UTF_16BE), ..Default::default() },
    )
    .await;
    assert!(matches!(e, TransferError::Encoding(_) | TransferError::NoCards), "{e:?}");
    let as_vcard = ImportOptions { format: Some(Format::Vcard), ..Default::default() };
    let e = refused(&env, &fixture("google.csv"), &as_vcard).await;
    assert_eq!(e.to_string(), "The file has no vCard in it (no BEGIN:VCARD line).");
    let as_excel = ImportOptions { format: Some(Format::Xlsx), ..Default::default() };
    assert!(matches!(
        refused(&env, &fixture("google.csv"), &as_excel).await,
        TransferError::File(_)
    ));
    // Random bytes of every kind, cut anywhere: never a panic.
    for name in ["google.csv", "contacts_v30.vcf", "chinese_gbk.csv", "utf16.csv", "truncated.xlsx"]
    {
        let bytes = fixture(name);
        for cut in (1..bytes.len()).step_by(37) {
            let _ = transfer::preview(&bytes[..cut], &default, 10);
        }
    }
    assert_eq!(env.store.count_contacts(env.account).await.unwrap(), 0);
}

#[tokio::test]
async fn failed_rows_are_reported_with_lines_and_valid_rows_imported() {
    let env = Env::new().await;
    let csv = "Name,Phone,Email\nAnn,+1 555 0100,ann@example.com\nBob,call me,bob@example.com\nCarl,+1 555 0102,carl@\nDora,+1 555 0103,\n,,\nEve,+1 555 0104,eve@example.com\n";
    let r = env.import(csv.as_bytes(), &ImportOptions::default()).await;
    assert_eq!(r.imported, 3);
    let failed: Vec<usize> = r.failed.iter().map(|f| f.line).collect();
    assert_eq!(failed, [3, 4]);
    assert!(r.failed[0].reason.contains("Phone: “c” is not allowed"), "{}", r.failed[0].reason);
    assert!(
        r.failed[1].reason.contains("Email: An email address looks like name@example.com."),
        "{}",
        r.failed[1].reason
    );
    let names: Vec<String> =
        env.contacts().await.into_iter().map(|c| c.data.display_name).collect();
    assert_eq!(names, ["Ann", "Dora", "Eve"]);
    let report = transfer::report_csv(&r);
    let lines: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Line,Outcome,Contact,Reason");
    assert!(lines[1].starts_with("2,imported,"), "{report}");
    assert!(
        lines[2].starts_with("3,failed,,") && lines[2].contains("not allowed in a phone number"),
        "{report}"
    );
    assert_eq!(lines.len(), 6, "{report}");

    // An unbalanced quote: the rows before it are imported, the rest is one failure.
    let env = Env::new().await;
    let r = env.import(&fixture("unbalanced_quotes.csv"), &ImportOptions::default()).await;
    assert_eq!((r.imported, r.failed.len(), r.failed[0].line), (1, 1, 3));
    assert!(r.failed[0].reason.contains("never closed"));

    // A vCard file with junk, a card without a name and a cut-off card.
    let env = Env::new().await;
    let r = env.import(&fixture("broken.vcf"), &ImportOptions::default()).await;
    assert_eq!(r.imported, 1);
    assert_eq!(r.failed.iter().map(|f| f.line).collect::<Vec<_>>(), [1, 7, 11]);
    assert!(r.failed[2].reason.contains("END:VCARD"), "{}", r.failed[2].reason);
    assert_eq!(env.contacts().await[0].data.display_name, "Good One");
}

#[tokio::test]
async fn limits_are_refused_up_front() {
    let env = Env::new().await;
    let bytes = fixture("google.csv");
    let small =
        ImportOptions { limits: Limits { max_bytes: 100, max_rows: 10 }, ..Default::default() };
    let e = refused(&env, &bytes, &small).await;
    assert!(matches!(e, TransferError::TooLarge { max: 100, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "The file is 950 bytes but at most 100 bytes can be imported at once."
    );
    let one_row =
        ImportOptions { limits: Limits { max_bytes: 1 << 20, max_rows: 1 }, ..Default::default() };
    let e = refused(&env, &bytes, &one_row).await;
    assert_eq!(
        e.to_string(),
        "The file has 2 rows but at most 1 can be imported at once; split it into smaller files."
    );
    let e = refused(&env, &fixture("contacts_v30.vcf"), &one_row).await;
    assert!(matches!(e, TransferError::TooManyRows { rows: 2, max: 1 }), "{e:?}");
    assert_eq!(env.store.count_contacts(env.account).await.unwrap(), 0);
    let two_rows =
        ImportOptions { limits: Limits { max_bytes: 1 << 20, max_rows: 2 }, ..Default::default() };
    assert_eq!(env.import(&bytes, &two_rows).await.imported, 2);
}

#[tokio::test]
async fn encoding_dialect_and_mapping_can_be_overridden() {
    let env = Env::new().await;
    let gbk =
        ImportOptions { encoding: Some(encoding_for_label("gbk").unwrap()), ..Default::default() };
    assert_eq!(env.import(&fixture("chinese_gbk.csv"), &gbk).await.imported, 2);
    assert!(matches!(encoding_for_label("klingon"), Err(TransferError::UnknownEncoding(_))));

    let env = Env::new().await;
    let csv = "Name;Phone;Shoe\nAnn;+1 555 0100;42\n";
    let mut p = transfer::preview(csv.as_bytes(), &ImportOptions::default(), 5).unwrap();
    assert_eq!(p.delimiter, Some(b';'));
    let mut mapping = p.mapping.take().unwrap();
    assert_eq!(mapping.columns[2], ColumnTarget::Extra);
    mapping.columns[1] = ColumnTarget::Ignore;
    let options = ImportOptions { mapping: Some(mapping), ..Default::default() };
    let r = env.import(csv.as_bytes(), &options).await;
    assert_eq!(r.imported, 1);
    let ann = env.named("Ann").await;
    assert!(ann.data.phones.is_empty());
    assert_eq!(ann.data.extra[0].value, "42");

    let wrong = ImportOptions {
        mapping: Some(transfer::ColumnMapping { columns: vec![ColumnTarget::Ignore] }),
        ..Default::default()
    };
    let e = refused(&env, csv.as_bytes(), &wrong).await;
    assert_eq!(e.to_string(), "The column mapping has 1 columns but the file has 3.");
    assert!(r.rows.iter().all(|r| r.outcome == Outcome::Imported));
}
