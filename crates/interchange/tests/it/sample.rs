//! Varied contacts for round trips.

use domain::{AddressDraft, ContactData, ContactDraft, ExtraField, LabeledDraft};

fn labeled(label: &str, value: &str) -> LabeledDraft {
    LabeledDraft { label: label.into(), value: value.into() }
}

/// Contacts built through `ContactDraft::parse`, as the console would store them.
pub fn contacts() -> Vec<ContactData> {
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
            websites: vec![
                labeled("work", "https://example.cn/zw"),
                labeled("博客", "zw.example.com"),
            ],
            ims: vec![labeled("other", "skype:zhang.wei"), labeled("work", "xmpp:zw@example.cn")],
            related: vec![labeled("spouse", "李娜"), labeled("老师", "王老师")],
            anniversary_day: "1".into(),
            anniversary_month: "10".into(),
            anniversary_year: "2015".into(),
            extra: vec![
                ExtraField { name: "X-WECHAT".into(), value: "X-WECHAT:zhang.wei".into() },
                ExtraField { name: "Shoe size".into(), value: "42, EU".into() },
                ExtraField {
                    name: "X-URL".into(),
                    value: "item5.X-URL:ftp://example.cn/zw".into(),
                },
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
