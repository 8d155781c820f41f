//! Cards as real clients write them (`tests/corpus/`, one file per client, written from the
//! clients' documented formats): each reads, and written back in its own version gives every
//! line as the client wrote it — under the normalisation the crate documents (unfolded lines,
//! CRLF, `VERSION` after `BEGIN`; vCard 2.1 read as 3.0). In the other version it keeps its
//! typed view; a typed edit of one field changes one line.

#![allow(clippy::panic)]

use vcard::{parse_vcards, reconcile, typed, write_vcard, ParsedCard, VcardVersion};

const FILES: [&str; 7] =
    ["ios", "davx5", "thunderbird-cardbook", "thunderbird", "evolution", "google", "outlook"];

fn corpus(name: &str) -> String {
    let path = format!("{}/tests/corpus/{name}.vcf", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The cards of a file as text, one per card.
fn card_texts(text: &str) -> Vec<String> {
    vcard::card_texts(text).into_iter().map(str::to_string).collect()
}

/// A card's lines under the documented normalisation: unfolded, without `BEGIN`, `END` and
/// `VERSION`.
fn normalised(card: &str) -> Vec<String> {
    let lines = vcard::content_lines(card).into_iter().map(|(_, l)| l);
    lines.filter(|l| !l.to_ascii_uppercase().starts_with("VERSION:")).collect()
}

fn parse_one(text: &str) -> ParsedCard {
    let mut cards = parse_vcards(text);
    assert_eq!(cards.len(), 1, "{text}");
    cards.remove(0).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn every_client_card_comes_back_as_written() {
    let mut total = 0;
    for name in FILES {
        let text = corpus(name);
        let cards = card_texts(&text);
        assert!(cards.len() >= 2, "{name}: {} cards", cards.len());
        for card in &cards {
            let p = parse_one(card);
            let kept = p.data.card.clone().unwrap_or_default();
            let mut out = write_vcard("unused", &p.data, kept.version);
            if p.uids == 0 {
                // A card without a UID is written with the contact's.
                out = out.replace("\r\nUID:unused\r\n", "\r\n");
            }
            assert!(out.split("\r\n").all(|l| l.len() <= 75), "{name}: not folded: {out}");
            let v21 = card.contains("VERSION:2.1");
            if v21 {
                // 2.1 is read as 3.0 once; after that the card is a fixpoint.
                let again = parse_one(&out);
                assert_eq!(again.data, p.data, "{name}");
                let mut twice = write_vcard("unused", &again.data, kept.version);
                if p.uids == 0 {
                    twice = twice.replace("\r\nUID:unused\r\n", "\r\n");
                }
                assert_eq!(twice, out, "{name}");
            } else {
                assert_eq!(normalised(&out), normalised(card), "{name}: {out}");
            }
            total += 1;
        }
    }
    assert!(total >= 14, "{total} cards");
}

#[test]
fn outlook_21_is_read_as_30() {
    let text = corpus("outlook");
    for card in card_texts(&text) {
        let p = parse_one(&card);
        let kept = p.data.card.clone().unwrap_or_default();
        assert_eq!(kept.version, VcardVersion::V3);
        for l in &kept.lines {
            assert!(!l.to_ascii_uppercase().contains("QUOTED-PRINTABLE"), "{l}");
            assert!(!l.to_ascii_uppercase().contains("CHARSET"), "{l}");
            assert!(!l.contains("BASE64"), "{l}");
        }
        assert!(p.data.phones.iter().all(|ph| !ph.value.as_str().is_empty()));
    }
    let all: String = card_texts(&text)
        .iter()
        .map(|c| parse_one(c).data.card.unwrap_or_default().lines.join("\n"))
        .collect();
    assert!(all.contains('é'), "quoted-printable UTF-8 decoded: {all}");
    assert!(all.contains("PHOTO;ENCODING=b;TYPE=JPEG:/9j/"), "{all}");
    assert!(all.contains("TEL;TYPE=WORK,VOICE:"), "{all}");
}

#[test]
fn every_client_card_keeps_its_typed_view_in_the_other_version() {
    for name in FILES {
        for card in card_texts(&corpus(name)) {
            let p = parse_one(&card);
            let own = p.data.card.as_ref().map(|c| c.version).unwrap_or_default();
            let other = match own {
                VcardVersion::V3 => VcardVersion::V4,
                VcardVersion::V4 => VcardVersion::V3,
            };
            let out = write_vcard("unused", &p.data, other);
            let back = parse_one(&out);
            let (mut a, mut b) = (p.data.clone(), back.data.clone());
            for d in [&mut a, &mut b] {
                d.card = None;
                d.extra.clear();
            }
            assert_eq!(a, b, "{name}: {out}");
            if p.uids > 0 {
                assert_eq!(back.uid, p.uid, "{name}");
            }
            // And back again: the card as it was (binary values, preference, dates).
            let home = write_vcard("unused", &back.data, own);
            let original = write_vcard("unused", &p.data, own);
            let (x, y) = (normalised(&home), normalised(&original));
            assert_eq!(x.len(), y.len(), "{name}: {home}");
            for (h, o) in x.iter().zip(&y) {
                let date = |l: &str| l.starts_with("BDAY") || l.starts_with("ANNIVERSARY");
                if h != o && !(date(h) && date(o)) {
                    // Parameter order and case may change in a round trip through the other
                    // version; the property and value may not.
                    let value = |l: &str| l.split_once(':').map(|(_, v)| v.to_string());
                    let prop = |l: &str| l.split([';', ':']).next().map(str::to_ascii_uppercase);
                    assert_eq!(prop(h), prop(o), "{name}");
                    assert_eq!(value(h), value(o), "{name}: {h} vs {o}");
                }
            }
        }
    }
}

#[test]
fn a_console_edit_of_one_field_changes_one_line() {
    for name in FILES {
        for card in card_texts(&corpus(name)) {
            let p = parse_one(&card);
            let before = p.data.card.clone().unwrap_or_default();
            let mut edited = typed(&before);
            edited.title = "Edited title".into();
            reconcile(&mut edited, Some(&before));
            let after = edited.card.clone().unwrap_or_default();
            let changed: Vec<(&String, &String)> =
                before.lines.iter().zip(&after.lines).filter(|(a, b)| a != b).collect();
            if before.lines.len() == after.lines.len() {
                assert_eq!(changed.len(), 1, "{name}: {changed:?}");
                assert!(changed[0].1.contains("Edited title"), "{name}");
            } else {
                // A card without a title gets one line more, at the end.
                assert_eq!(after.lines.len(), before.lines.len() + 1, "{name}");
                assert_eq!(&after.lines[..before.lines.len()], &before.lines[..], "{name}");
            }
            assert_eq!(typed(&after).title, edited.title);
        }
    }
}

#[test]
fn a_form_save_of_any_client_card_without_changes_changes_no_line() {
    for name in FILES {
        for card in card_texts(&corpus(name)) {
            let p = parse_one(&card);
            let own = p.data.card.as_ref().map(|c| c.version).unwrap_or_default();
            // What the console's form sends back for a contact it shows: the typed fields
            // through the draft (websites, instant messaging, related people, anniversary too).
            let mut again = domain::ContactDraft::from_data(&p.data)
                .parse()
                .unwrap_or_else(|e| panic!("{name}: {e}\n{card}"));
            again.photo.clone_from(&p.data.photo);
            let previous = p.data.card.clone();
            reconcile(&mut again, previous.as_ref());
            assert_eq!(
                normalised(&write_vcard("unused", &again, own)),
                normalised(&write_vcard("unused", &p.data, own)),
                "{name}"
            );
        }
    }
}
