//! Integration tests: one binary, one module per concern, a fresh SQLite store per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod duplicates;
mod failures;
mod fidelity;
mod fixtures;
mod paged_export;
mod round_trip;

use std::sync::Arc;

use domain::{
    AccountId, AddressDraft, Contact, ContactData, ContactDraft, ExtraField, LabeledDraft, Username,
};
use store::Store;
use store_sql::SqliteBackend;
use transfer::{ImportOptions, ImportReport};

pub struct Env {
    pub store: Store,
    pub account: AccountId,
    _dir: tempfile::TempDir,
}

impl Env {
    pub async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
        let store =
            store::contract::store_on(Arc::new(SqliteBackend::connect(&url).await.unwrap())).await;
        let account = store
            .create_account(&Username::parse("alice").unwrap(), "alice-password-1", false)
            .await
            .unwrap()
            .id;
        Env { store, account, _dir: dir }
    }

    pub async fn other_account(&self, name: &str) -> AccountId {
        self.store
            .create_account(&Username::parse(name).unwrap(), "other-password-1", false)
            .await
            .unwrap()
            .id
    }

    pub async fn import(&self, bytes: &[u8], options: &ImportOptions) -> ImportReport {
        self.import_into(self.account, bytes, options).await
    }

    pub async fn import_into(
        &self,
        account: AccountId,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> ImportReport {
        transfer::import(&self.store, account, bytes, options, &mut |_| {}).await.unwrap()
    }

    pub async fn contacts(&self) -> Vec<Contact> {
        self.store.list_contacts(self.account).await.unwrap()
    }

    pub async fn named(&self, name: &str) -> Contact {
        let all = self.contacts().await;
        all.into_iter()
            .find(|c| c.data.display_name == name)
            .unwrap_or_else(|| panic!("no contact {name}"))
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../interchange/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
}

pub fn labeled(label: &str, value: &str) -> LabeledDraft {
    LabeledDraft { label: label.into(), value: value.into() }
}

pub fn person(given: &str, phones: &[&str], emails: &[&str]) -> ContactData {
    ContactDraft {
        given_name: given.into(),
        phones: phones.iter().map(|p| labeled("mobile", p)).collect(),
        emails: emails.iter().map(|e| labeled("home", e)).collect(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

/// Varied contacts, every field used, extra fields from vCard lines and from CSV columns.
pub fn sample() -> Vec<ContactData> {
    let drafts = vec![
        ContactDraft {
            family_name: "张".into(),
            given_name: "伟".into(),
            nickname: "伟哥".into(),
            phones: vec![
                labeled("mobile", "+86 138 0013 8000"),
                labeled("work", "010-6552 9988"),
                labeled("深圳办公室", "0755 8888 0000"),
            ],
            emails: vec![
                labeled("work", "zhang.wei@example.cn"),
                labeled("私人", "zw@example.com"),
            ],
            addresses: vec![
                AddressDraft {
                    label: "home".into(),
                    street: "建国路88号 3单元 501".into(),
                    locality: "北京".into(),
                    region: "北京市".into(),
                    postal_code: "100022".into(),
                    country: "中国".into(),
                    ..Default::default()
                },
                AddressDraft {
                    label: "Summer house".into(),
                    street: "1 Beach Rd, Unit 2; rear".into(),
                    locality: "Sanya".into(),
                    ..Default::default()
                },
            ],
            organization: "示例科技, Inc.".into(),
            title: "CTO; founder".into(),
            birthday: "--02-29".into(),
            notes: "Met at the conference.\nLikes tea, not coffee; allergic to nuts.\n=SUM(A1:A2)"
                .into(),
            websites: vec![LabeledDraft { label: "work".into(), value: "example.cn/zw".into() }],
            ims: vec![LabeledDraft { label: "other".into(), value: "skype:zhang.wei".into() }],
            related: vec![LabeledDraft { label: "spouse".into(), value: "李娜".into() }],
            anniversary_day: "1".into(),
            anniversary_month: "10".into(),
            extra: vec![
                ExtraField { name: "X-WECHAT".into(), value: "X-WECHAT:zhang.wei".into() },
                ExtraField { name: "Shoe size".into(), value: "42, EU".into() },
            ],
            ..Default::default()
        },
        ContactDraft {
            display_name: "Dr. Ada King, Countess of Lovelace".into(),
            family_name: "King".into(),
            given_name: "Ada".into(),
            phones: vec![
                labeled("home", "+44 20 7946 0000"),
                labeled("other", "-5 (0) 12"),
                labeled("mobile", "+44 7700 900000"),
            ],
            emails: vec![labeled("home", "ada@example.org")],
            birthday: "1815-12-10".into(),
            notes: "@mention and +plus; \"quoted\", 'single'".into(),
            extra: vec![ExtraField {
                name: "PHOTO".into(),
                value: "PHOTO;TYPE=PNG:data:image/png;base64\\,iVBORw0KGgo=".into(),
            }],
            ..Default::default()
        },
        ContactDraft { organization: "Only An Organization".into(), ..Default::default() },
        ContactDraft { phones: vec![labeled("", "110")], ..Default::default() },
        ContactDraft {
            given_name: "Émile".into(),
            family_name: "Zola".into(),
            emails: vec![
                labeled("work", "emile@example.fr"),
                labeled("home", "zola@example.fr"),
                labeled("Old", "ez@example.fr"),
            ],
            birthday: "1990-04-02".into(),
            title: "'=cmd".into(),
            ..Default::default()
        },
    ];
    drafts.into_iter().map(|d| d.parse().unwrap()).collect()
}
