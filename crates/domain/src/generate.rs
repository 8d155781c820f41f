//! Generated address books for benchmarks and trials: mixed Chinese and Latin names, realistic
//! phone numbers and emails. Deterministic for a given seed.

use crate::{ContactData, ContactDraft, LabeledDraft};

pub const CN_FAMILY: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳",
    "诸葛",
];
pub const CN_GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "晓明", "志强", "海燕", "建华", "子涵", "雨欣", "浩然",
    "梓萱",
];
const CN_PINYIN: &[&str] = &[
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
    "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "xu",
    "han", "feng", "deng", "cao", "ouyang", "zhuge",
];
pub const LATIN_GIVEN: &[&str] = &[
    "Ada", "Alan", "Grace", "Linus", "Ken", "Barbara", "Dennis", "Margaret", "Edsger", "Donald",
    "Frances", "John", "Radia", "Tim", "Hedy", "Claude", "Sophie", "Lucas", "Emma", "Noah",
    "Olivia", "Mateo", "Amelia", "Hugo", "Chloé", "Jörg", "Zoë", "Yusuf", "Priya", "Kenji",
];
pub const LATIN_FAMILY: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Hamilton",
    "Dijkstra",
    "Knuth",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Shannon",
    "Martin",
    "Bernard",
    "Müller",
    "Schmidt",
    "García",
    "Rossi",
    "Dubois",
    "Nakamura",
    "Kowalski",
    "Andersen",
    "O'Brien",
    "Smith",
    "Johnson",
    "Brown",
];
pub const ORGS: &[&str] = &[
    "",
    "",
    "Acme",
    "Initech",
    "华为",
    "腾讯",
    "Globex",
    "阿里巴巴",
    "Umbrella",
    "小米",
    "Stark Industries",
    "",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "example.cn"];

/// A small deterministic generator (xorshift64*), so generated books are reproducible.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// One item of `list`.
    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
    /// `n` random digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    /// One contact; `i` makes names and numbers distinct across a book.
    pub fn contact(&mut self, i: usize) -> ContactData {
        let chinese = self.below(10) < 6;
        let (family, given, email_user) = if chinese {
            let f = self.below(CN_FAMILY.len());
            let given = self.pick(CN_GIVEN);
            (CN_FAMILY[f].to_string(), given.to_string(), format!("{}.{i}", CN_PINYIN[f]))
        } else {
            let g = self.pick(LATIN_GIVEN);
            let f = self.pick(LATIN_FAMILY);
            (
                f.to_string(),
                g.to_string(),
                format!("{}.{}{i}", g.to_lowercase(), f.to_lowercase().replace(['\'', ' '], "")),
            )
        };
        let phone = if chinese {
            format!(
                "+86 1{}{} {} {}",
                3 + self.below(7),
                self.digits(1),
                self.digits(4),
                self.digits(4)
            )
        } else {
            format!("+1 (555) {}-{}", self.digits(3), self.digits(4))
        };
        let mut phones = vec![LabeledDraft { label: "mobile".into(), value: phone }];
        if self.below(4) == 0 {
            phones.push(LabeledDraft {
                label: "work".into(),
                value: format!("010 {} {}", self.digits(4), self.digits(4)),
            });
        }
        let email = format!(
            "{}@{}",
            email_user.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', ""),
            self.pick(DOMAINS)
        );
        ContactDraft {
            family_name: family,
            given_name: given,
            phones,
            emails: vec![LabeledDraft { label: "home".into(), value: email }],
            organization: self.pick(ORGS).to_string(),
            notes: if self.below(5) == 0 {
                format!("Generated contact #{i}")
            } else {
                String::new()
            },
            ..Default::default()
        }
        .parse()
        .unwrap_or_default()
    }

    pub fn book(&mut self, n: usize) -> Vec<ContactData> {
        (0..n).map(|i| self.contact(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_contacts_are_valid_varied_and_reproducible() {
        let a = Gen::new(7).book(500);
        assert_eq!(a, Gen::new(7).book(500));
        assert!(a
            .iter()
            .all(|c| !c.display_name.is_empty() && !c.phones.is_empty() && c.emails.len() == 1));
        let chinese = a.iter().filter(|c| c.display_name.chars().any(crate::is_cjk)).count();
        assert!((200..400).contains(&chinese), "{chinese}");
        let emails: std::collections::HashSet<_> =
            a.iter().map(|c| c.emails[0].value.as_str().to_string()).collect();
        assert_eq!(emails.len(), 500);
    }
}
