//! vCard: `parse_vcards` on any text and on generated cards; a card comes back line for line in
//! its own version and with the same typed view in the other; contacts without a card, and
//! typed edits of any card, read back as written.

use fuzz_support::{bounded, run};
use interchange::vcard::{
    parse_vcards, reconcile, same_typed, write_vcard, ParsedCard, VcardVersion,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use crate::gen::{atom, diff, email, phone, text};

const NAMES: &[&str] = &[
    "FN",
    "N",
    "TEL",
    "EMAIL",
    "ADR",
    "ORG",
    "NOTE",
    "PHOTO",
    "TITLE",
    "NICKNAME",
    "BDAY",
    "UID",
    "URL",
    "X-ABLabel",
    "X-ROLO-FIELD",
    "X-ROLO-GROUP",
    "REV",
    "PRODID",
    "VERSION",
    "KIND",
    "CATEGORIES",
    "LABEL",
    "GEO",
    "TZ",
    "LOGO",
    "KEY",
    "X-SKYPE",
    "X-WECHAT",
    "fn",
    "tel",
    "Email",
    "n",
    "adr",
    "BEGIN",
    "END",
    "AGENT",
];
const TYPES: &[&str] = &[
    "cell", "CELL", "work", "home", "HOME", "pref", "voice", "internet", "fax", "x-custom",
    "Mobile", "other", "text", "msg", "JPEG",
];

/// One property line before it is written out (and maybe folded).
#[derive(Debug, Clone)]
struct Line {
    group: Option<String>,
    name: String,
    params: Vec<String>,
    value: String,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(NAMES).prop_map(str::to_string),
        1 => "X-[A-Z0-9-]{1,10}",
        1 => "[A-Za-z0-9-]{1,6}",
    ]
}

fn param() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(select(TYPES), 1..4).prop_map(|t| format!("TYPE={}", t.join(","))),
        1 => vec(select(TYPES), 1..3).prop_map(|t| format!("TYPE=\"{}\"", t.join(","))),
        2 => select(TYPES).prop_map(str::to_string),
        2 => select(&["ENCODING=QUOTED-PRINTABLE", "ENCODING=b", "ENCODING=BASE64", "CHARSET=UTF-8", "CHARSET=GBK",
            "VALUE=uri", "VALUE=text", "VALUE=date", "VALUE=date-and-or-time", "PREF=1", "PREF=999999999999",
            "X-APPLE-OMIT-YEAR=1604", "X-NAME=Shoe size", "LANGUAGE=zh-CN", "SORT-AS=\"a,b\"", "LABEL=\"x\\ny\"",
            "TYPE=", "=", ";"][..]).prop_map(str::to_string),
        1 => "X-[A-Z]{1,6}=\"[^\"\r\n]{0,10}\"",
        1 => "[=;:,\"a-zA-Z^]{0,8}",
    ]
}

/// A value that fits the property, or not.
fn value(name: &str) -> BoxedStrategy<String> {
    let date = prop_oneof![
        Just("19900517".to_string()),
        Just("1990-05-17".to_string()),
        Just("--0517".to_string()),
        Just("--05-17".to_string()),
        Just("1604-03-02".to_string()),
        Just("0000-00-00".to_string()),
        "[0-9T:Z-]{0,16}",
    ];
    let structured = || vec(text(2), 0..9).prop_map(|p| p.join(";"));
    let base64 = "[A-Za-z0-9+/=]{0,60}";
    let any = prop_oneof![3 => text(8), 1 => structured(), 1 => phone(), 1 => email(), 1 => date.clone(), 1 => base64];
    match name.to_ascii_uppercase().as_str() {
        "TEL" => prop_oneof![3 => phone(), 1 => phone().prop_map(|p| format!("tel:{p}")), 1 => any]
            .boxed(),
        "EMAIL" => prop_oneof![3 => email(), 1 => any].boxed(),
        "BDAY" => prop_oneof![3 => date, 1 => any].boxed(),
        "N" | "ADR" | "ORG" => prop_oneof![3 => structured(), 1 => any].boxed(),
        "X-ROLO-GROUP" => {
            prop_oneof!["[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", any]
                .boxed()
        }
        _ => any.boxed(),
    }
}

fn line() -> impl Strategy<Value = Line> {
    let group = prop_oneof![4 => Just(None), 1 => (1u8..4).prop_map(|n| Some(format!("item{n}"))), 1 => "[A-Za-z0-9-]{1,5}".prop_map(Some)];
    (group, name(), vec(param(), 0..3)).prop_flat_map(|(group, name, params)| {
        value(&name).prop_map(move |value| Line {
            group: group.clone(),
            name: name.clone(),
            params: params.clone(),
            value,
        })
    })
}

/// A card's text: BEGIN/END (sometimes missing), a VERSION, properties, folded or not, with
/// CRLF or LF line ends.
fn card() -> impl Strategy<Value = String> {
    let version = prop_oneof![
        Just(Some("2.1")),
        Just(Some("3.0")),
        Just(Some("4.0")),
        Just(None),
        Just(Some("5.0"))
    ];
    let eol = select(&["\r\n", "\n", "\r\n", "\r"][..]);
    // Fold after this many characters (none: no folding).
    let fold = prop_oneof![2 => Just(None), 1 => (1usize..80).prop_map(Some)];
    let ends =
        prop_oneof![8 => Just((true, true)), 1 => Just((false, true)), 1 => Just((true, false))];
    (version, vec(line(), 0..10), eol, fold, ends, select(&[" ", "\t"][..])).prop_map(
        |(version, lines, eol, fold, (begin, end), indent)| {
            let mut out = String::new();
            if begin {
                out.push_str("BEGIN:VCARD");
                out.push_str(eol);
            }
            if let Some(v) = version {
                out.push_str(&format!("VERSION:{v}{eol}"));
            }
            for l in lines {
                let mut head = String::new();
                if let Some(g) = &l.group {
                    head.push_str(g);
                    head.push('.');
                }
                head.push_str(&l.name);
                for p in &l.params {
                    head.push(';');
                    head.push_str(p);
                }
                let whole = format!("{head}:{}", l.value);
                match fold {
                    Some(n) => {
                        let chars: Vec<char> = whole.chars().collect();
                        let parts: Vec<String> =
                            chars.chunks(n).map(|c| c.iter().collect()).collect();
                        out.push_str(&parts.join(&format!("{eol}{indent}")));
                    }
                    None => out.push_str(&whole),
                }
                out.push_str(eol);
            }
            if end {
                out.push_str("END:VCARD");
                out.push_str(eol);
            }
            out
        },
    )
}

/// A file: cards, maybe with a BOM, text between them, or lower-case BEGIN/END.
fn file() -> impl Strategy<Value = String> {
    let junk = prop_oneof![4 => Just(String::new()), 1 => text(4).prop_map(|t| format!("{t}\r\n"))];
    (any::<bool>(), vec((junk, card()), 1..4), any::<bool>()).prop_map(|(bom, cards, lower)| {
        let mut out = if bom { "\u{feff}".to_string() } else { String::new() };
        for (junk, card) in cards {
            out.push_str(&junk);
            if lower {
                out.push_str(&card.replacen("BEGIN:VCARD", "begin:vcard", 1).replacen(
                    "END:VCARD",
                    "End:vCard",
                    1,
                ));
            } else {
                out.push_str(&card);
            }
        }
        out
    })
}

fn parse(
    text: &str,
) -> Result<Vec<Result<ParsedCard, interchange::vcard::CardError>>, TestCaseError> {
    bounded("parse_vcards", text.len(), || parse_vcards(text))
}

#[test]
fn vcard_parsing_never_panics_on_any_text() {
    let input = prop_oneof![
        any::<String>(),
        vec(atom(), 0..40).prop_map(|v| v.concat()),
        vec(
            prop_oneof![
                atom(),
                Just("\r\n".to_string()),
                Just("BEGIN:VCARD\r\n".to_string()),
                Just("END:VCARD\r\n".to_string()),
                Just(":".to_string()),
                Just(";".to_string())
            ],
            0..60
        )
        .prop_map(|v| v.concat()),
    ];
    run("vcard_parsing_never_panics_on_any_text", input, |text| {
        let cards = parse(&text)?;
        prop_assert!(cards.len() <= text.lines().count() + 1, "more results than lines: {cards:?}");
        Ok(())
    });
}

#[test]
fn vcard_parsing_never_panics_on_generated_cards() {
    run("vcard_parsing_never_panics_on_generated_cards", file(), |text| {
        parse(&text)?;
        Ok(())
    });
}

/// What a card parsed into, written in `version` and parsed again.
fn reparse(
    card: &ParsedCard,
    version: VcardVersion,
) -> Result<(String, ParsedCard), TestCaseError> {
    let uid =
        card.uid.clone().unwrap_or_else(|| "urn:uuid:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60".into());
    let written = write_vcard(&uid, &card.data, version);
    let mut again = parse(&written)?;
    prop_assert_eq!(again.len(), 1, "{:?} written as {:?} reads as {:?}", card, written, again);
    match again.remove(0) {
        Ok(back) => Ok((written, back)),
        Err(e) => Err(TestCaseError::fail(format!(
            "{card:?} written as {written:?} does not read back: {e}"
        ))),
    }
}

/// Text as the writer writes it: CR LF and lone CR become LF, a tab a space, other control
/// characters go.
fn cleaned(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' | '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// The typed view as the writer writes it: notes and extra values cleaned.
fn as_written(data: &domain::ContactData) -> domain::ContactData {
    let mut d = data.clone();
    d.notes = cleaned(&d.notes).trim().to_string();
    for x in &mut d.extra {
        x.value = cleaned(&x.value);
        x.name = cleaned(&x.name).replace('\n', "");
    }
    d.card = None;
    d
}

/// The typed view without the extra fields (which a conversion may rewrite) and the card.
fn mapped(data: &domain::ContactData) -> domain::ContactData {
    let mut d = data.clone();
    d.extra.clear();
    d.card = None;
    d
}

#[test]
fn vcard_cards_come_back_line_for_line() {
    run("vcard_cards_come_back_line_for_line", file(), |text| {
        for card in parse(&text)?.into_iter().flatten() {
            let kept = card.data.card.clone();
            let own = kept.as_ref().map(|c| c.version).unwrap_or_default();
            let (written, back) = reparse(&card, own)?;
            // A card without a UID is written with the contact's.
            let mut want = kept.clone();
            if card.uids == 0 {
                if let Some(w) = want.as_mut() {
                    w.lines.insert(0, "UID:urn:uuid:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60".into());
                }
            }
            prop_assert_eq!(&back.data.card, &want, "written as {:?}", written);
            prop_assert!(
                back.data == card.data,
                "{}\nwritten as {:?}",
                diff(&card.data, &back.data),
                written
            );
            if card.uid.is_some() {
                prop_assert_eq!(&back.uid, &card.uid);
            }
            let other = match own {
                VcardVersion::V3 => VcardVersion::V4,
                VcardVersion::V4 => VcardVersion::V3,
            };
            let (written, back) = reparse(&card, other)?;
            let (want, got) = (mapped(&card.data), mapped(&back.data));
            prop_assert!(
                got == want,
                "{:?}: {}\nwritten as {:?}",
                other,
                diff(&want, &got),
                written
            );
            prop_assert_eq!(
                back.data.extra.len(),
                card.data.extra.len(),
                "written as {:?}",
                written
            );
            if card.uid.is_some() {
                prop_assert_eq!(&back.uid, &card.uid);
            }
        }
        Ok(())
    });
}

#[test]
fn vcard_write_then_parse_keeps_generated_contacts() {
    run("vcard_write_then_parse_keeps_generated_contacts", crate::gen::contact(), |data| {
        for version in [VcardVersion::V3, VcardVersion::V4] {
            let card = ParsedCard { uid: Some("u1".into()), uids: 1, data: data.clone() };
            let (written, back) = reparse(&card, version)?;
            let (want, got) = (as_written(&data), as_written(&back.data));
            prop_assert!(
                got == want,
                "{:?}: {}\nwritten as {:?}",
                version,
                diff(&want, &got),
                written
            );
        }
        Ok(())
    });
}

#[test]
fn vcard_typed_edits_of_any_card_read_back() {
    run(
        "vcard_typed_edits_of_any_card_read_back",
        (file(), crate::gen::contact()),
        |(text, data)| {
            for card in parse(&text)?.into_iter().flatten() {
                let mut edited = data.clone();
                edited.card = None;
                reconcile(&mut edited, card.data.card.as_ref());
                let Some(kept) = &edited.card else {
                    return Err(TestCaseError::fail("no card after reconcile"));
                };
                let back = interchange::vcard::typed(kept);
                let want = as_written(&data);
                prop_assert!(
                    same_typed(&as_written(&back), &want),
                    "{}\nedited card {:?}",
                    diff(&want, &as_written(&back)),
                    kept.lines
                );
                // Lines the edit did not need to touch are still there, in order.
                let before = card.data.card.clone().unwrap_or_default();
                let untouched: Vec<&String> =
                    before.lines.iter().filter(|l| kept.lines.contains(l)).collect();
                let order: Vec<&String> =
                    kept.lines.iter().filter(|l| untouched.contains(l)).collect();
                prop_assert!(order.len() >= untouched.len());
            }
            Ok(())
        },
    );
}
