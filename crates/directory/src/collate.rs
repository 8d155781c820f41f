//! Name collation and search forms: Chinese characters are read as pinyin, so 阿明, Bob, 陈静,
//! David and 张伟 sort as a, b, c, d, z and "zw" or "zhangwei" find 张伟.

use pinyin::{ToPinyin, ToPinyinMulti};

/// Readings of characters that are surnames, where the usual reading (first in the dictionary)
/// is not the one a name uses. Applied to the first character of a name only.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('仇', "qiu"),
    ('解', "xie"),
    ('区', "ou"),
    ('查', "zha"),
    ('朴', "piao"),
    ('乐', "yue"),
    ('秘', "bi"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('翟', "zhai"),
    ('盖', "ge"),
    ('种', "chong"),
    ('重', "chong"),
    ('藏', "zang"),
    ('薄', "bo"),
    ('折', "she"),
    ('员', "yun"),
    ('长', "chang"),
    ('沈', "shen"),
    ('尉', "yu"),
    ('黑', "he"),
    ('任', "ren"),
    ('华', "hua"),
    ('纪', "ji"),
];

/// One unit of a name as read: a Chinese character's pinyin or a run of other letters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    text: String,
    /// Other readings of a Chinese character (heteronyms), for search.
    alternatives: Vec<String>,
}

/// Folds Latin letters with diacritics to their base letter (é → e, ü → u) and lowercases.
fn fold(c: char) -> Option<char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ǎ' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' => {
            'a'
        }
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ǐ' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'ń' | 'ň' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ǒ' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
            'o'
        }
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ǔ' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ù' | 'Ú' | 'Û' | 'Ü' => {
            'u'
        }
        'ý' | 'ÿ' | 'Ý' => 'y',
        'š' | 'ś' | 'Š' => 's',
        'ž' | 'ź' | 'ż' | 'Ž' => 'z',
        'ß' => 's',
        c if c.is_alphanumeric() => return c.to_lowercase().next(),
        _ => return None,
    };
    Some(base)
}

fn words(name: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<Word>| {
        if !run.is_empty() {
            out.push(Word { text: std::mem::take(run), alternatives: Vec::new() });
        }
    };
    for (i, c) in name.chars().enumerate() {
        if let Some(p) = c.to_pinyin() {
            flush(&mut run, &mut out);
            let surname = (i == 0)
                .then(|| SURNAME_READINGS.iter().find(|(s, _)| *s == c).map(|(_, r)| *r))
                .flatten();
            let main = surname.unwrap_or(p.plain()).to_string();
            let alternatives = c
                .to_pinyin_multi()
                .map(|m| {
                    m.into_iter()
                        .map(|p| p.plain().to_string())
                        .filter(|r| *r != main)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let mut alternatives = alternatives;
            alternatives.dedup();
            out.push(Word { text: main, alternatives });
        } else if let Some(f) = fold(c) {
            run.push(f);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The key a name sorts by, and the letter of the index it belongs to ("A"–"Z", or "#" for
/// names that start with anything else; those sort after Z).
pub fn sort_key(name: &str) -> (String, char) {
    let ws = words(name);
    let mut key = ws.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let letter = match key.chars().next() {
        Some(c) if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
        _ => '#',
    };
    if letter == '#' {
        // After every letter.
        key.insert(0, '\u{10FFFF}');
    }
    (key, letter)
}

/// What a name is searched by: its folded text, the pinyin spelled out (with and without
/// spaces), the initials of each word and other readings of its characters.
pub fn name_forms(name: &str) -> String {
    let ws = words(name);
    let joined: String = ws.iter().map(|w| w.text.as_str()).collect();
    let spaced = ws.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let initials: String = ws.iter().filter_map(|w| w.text.chars().next()).collect();
    let mut out = format!("{spaced}\u{1}{joined}\u{1}{initials}");
    for w in &ws {
        for alt in &w.alternatives {
            out.push('\u{1}');
            out.push_str(alt);
        }
    }
    out
}

/// The digits of a phone number.
pub fn digits(phone: &str) -> String {
    phone.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Whether `query` (digits) names the number `stored` (digits): one contains the other, so
/// "+86 138-0013-8000" and "13800138000" match each other; a short query matches a part.
pub fn phone_matches(stored: &str, query: &str) -> bool {
    if query.is_empty() {
        return false;
    }
    stored.contains(query)
        || (stored.len() >= 6 && query.len() > stored.len() && query.ends_with(stored))
}

/// A phone number's identity for duplicate detection: the key the rest of Rolo matches numbers
/// by ([`domain::Phone::key`]: no country code, trunk prefix or extension).
pub fn phone_identity(phone: &str) -> Option<String> {
    domain::Phone::parse(phone).ok()?.key()
}

/// Lowercased words of a text, for matching (diacritics folded, punctuation kept as spaces).
pub fn fold_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match fold(c) {
            Some(f) => out.push(f),
            None if c.is_whitespace() => out.push(' '),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_latin_names_sort_by_initial_letter() {
        let mut names = vec!["张伟", "David", "陈静", "Bob", "阿明", "Émile", "123 Taxi", "bob"];
        names.sort_by_key(|n| sort_key(n).0);
        assert_eq!(names, vec!["阿明", "Bob", "bob", "陈静", "David", "Émile", "张伟", "123 Taxi"]);
    }

    #[test]
    fn letters_for_the_index() {
        assert_eq!(sort_key("张伟").1, 'Z');
        assert_eq!(sort_key("阿明").1, 'A');
        assert_eq!(sort_key("Émile").1, 'E');
        assert_eq!(sort_key("123 Taxi").1, '#');
        assert_eq!(sort_key("").1, '#');
    }

    #[test]
    fn surnames_use_their_name_reading() {
        assert_eq!(sort_key("曾小贤").0, "zeng xiao xian");
        assert_eq!(sort_key("单田芳").0, "shan tian fang");
        // Only the first character is read as a surname.
        assert!(sort_key("王曾").0.starts_with("wang "));
    }

    #[test]
    fn pinyin_full_and_initials_are_searchable() {
        let f = name_forms("张伟");
        assert!(f.contains("zhangwei"));
        assert!(f.contains("zhang wei"));
        assert!(f.contains("zw"));
        let f = name_forms("John Smith");
        assert!(f.contains("john smith"));
        assert!(f.contains("js"));
    }

    #[test]
    fn phone_formats_match_each_other() {
        let stored = digits("+86 138-0013-8000");
        for q in ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0013"] {
            assert!(phone_matches(&stored, &digits(q)), "{q}");
        }
        let stored = digits("13800138000");
        assert!(phone_matches(&stored, &digits("+86 138-0013-8000")));
        assert!(!phone_matches(&stored, &digits("13800138001")));
        assert_eq!(phone_identity("+86 138-0013-8000"), phone_identity("138 0013 8000"));
    }
}
