//! vCard (2.1, 3.0, 4.0) ⇄ [`ContactData`], on top of Stalwart's `calcard` parser and writer.
//!
//! Mapped properties: `FN`, `N` (family, given), `NICKNAME`, `TEL`, `EMAIL`, `ADR`, `ORG`, `TITLE`,
//! `BDAY`, `NOTE` and `UID`. Labels come from `TYPE` (`cell`, `work`, `home`, `other`, anything
//! else as a custom label) or from an Apple-style `itemN.X-ABLabel` of the same group, which is
//! also how custom labels are written.
//!
//! Every other property, and every mapped one that does not fit (a second `FN`, an invalid phone
//! number, a birthday without a day…), is kept in [`ContactData::extra`] as
//! `ExtraField { name: "PHOTO", value: "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ…" }`: the property's
//! whole logical line, unfolded, as calcard writes it. [`write_vcard`] writes these lines back.
//! `N` with middle names, prefixes or suffixes and `ORG` with units are kept the same way, and
//! written instead of the generated line while the name or organization is unchanged.
//! Extra fields that did not come from a vCard (a CSV column, say) are written as
//! `X-ROLO-FIELD;X-NAME=<name>:<value>` and read back into the same field.
//! `VERSION`, `PRODID` and `REV` describe a file, not a contact, and are not kept.

use std::collections::{HashMap, HashSet};

use calcard::common::{IanaString, PartialDateTime};
use calcard::vcard::{
    VCard, VCardEntry, VCardParameter, VCardParameterName, VCardParameterValue, VCardProperty,
    VCardType, VCardValue, VCardVersion,
};
use domain::{
    Address, AddressDraft, Birthday, ContactData, ContactDraft, Email, ExtraField, Label,
    LabeledDraft, Phone,
};

/// The vCard version [`write_vcard`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VcardVersion {
    /// vCard 3.0 (RFC 2426): what most phones and older clients read.
    V3,
    /// vCard 4.0 (RFC 6350).
    #[default]
    V4,
}

/// One card read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCard {
    /// The card's `UID`, as written (often `urn:uuid:…`).
    pub uid: Option<String>,
    pub data: ContactData,
}

/// A card (or a stretch of text) that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Card {card} (line {line}): {reason}")]
pub struct CardError {
    /// Position of this result in the file, counting from 1.
    pub card: usize,
    /// Line where the card (or the unreadable text) starts, counting from 1.
    pub line: usize,
    pub reason: String,
}

const ROLO_FIELD: &str = "X-ROLO-FIELD";
/// A Rolo group the contact is in (its UUID), one property per group.
const ROLO_GROUP: &str = "X-ROLO-GROUP";
const ROLO_NAME: &str = "X-NAME";
const AB_LABEL: &str = "X-ABLABEL";
const APPLE_OMIT_YEAR: &str = "X-APPLE-OMIT-YEAR";
const APPLE_NO_YEAR: u16 = 1604;

/// Reads every card of a `.vcf` file, in order: one result per card, and one error per stretch
/// of text outside any card. A card with unusable content (no name, organization, phone or email;
/// a field over the length limits) is an error; an invalid phone number or email address is not —
/// it is kept as an extra field.
pub fn parse_vcards(text: &str) -> Vec<Result<ParsedCard, CardError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    chunks(text)
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let err = |reason: String| CardError { card: i + 1, line: chunk.line, reason };
            let body = &text[chunk.range.clone()];
            match chunk.kind {
                ChunkKind::Junk => Err(err(format!(
                    "this text is not part of a vCard: “{}”",
                    body.lines().next().unwrap_or_default().chars().take(40).collect::<String>()
                ))),
                ChunkKind::Unterminated => {
                    Err(err("the card has no END:VCARD line; the file may be cut short".into()))
                }
                ChunkKind::Card => parse_card(body).map_err(err),
            }
        })
        .collect()
}

enum ChunkKind {
    Card,
    Unterminated,
    Junk,
}

struct Chunk {
    line: usize,
    range: std::ops::Range<usize>,
    kind: ChunkKind,
}

/// Splits a file into `BEGIN:VCARD … END:VCARD` stretches (for line numbers and per-card errors;
/// the content of each card is parsed by calcard).
fn chunks(text: &str) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut current: Option<Chunk> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim();
        // A line that starts with a space or tab continues the one before (folding): a value
        // folded just before `BEGIN:VCARD` does not begin a card.
        let folded = raw.starts_with([' ', '\t']);
        let is = |tag: &str| !folded && line.eq_ignore_ascii_case(tag);
        match &mut current {
            Some(c) if matches!(c.kind, ChunkKind::Card) => {
                if is("BEGIN:VCARD") {
                    c.kind = ChunkKind::Unterminated;
                    out.extend(current.take());
                    current =
                        Some(Chunk { line: n + 1, range: start..offset, kind: ChunkKind::Card });
                } else {
                    c.range.end = offset;
                    if is("END:VCARD") {
                        out.extend(current.take());
                    }
                }
            }
            _ if is("BEGIN:VCARD") => {
                out.extend(current.take());
                current = Some(Chunk { line: n + 1, range: start..offset, kind: ChunkKind::Card });
            }
            Some(junk) if !line.is_empty() => junk.range.end = offset,
            None if !line.is_empty() => {
                current = Some(Chunk { line: n + 1, range: start..offset, kind: ChunkKind::Junk })
            }
            _ => {}
        }
    }
    if let Some(mut c) = current {
        if matches!(c.kind, ChunkKind::Card) {
            c.kind = ChunkKind::Unterminated;
        }
        out.push(c);
    }
    out
}

fn parse_card(body: &str) -> Result<ParsedCard, String> {
    let card = VCard::parse(body).map_err(|e| format!("the card cannot be read ({e:?})"))?;
    card_to_data(&card, body)
}

fn card_to_data(card: &VCard, body: &str) -> Result<ParsedCard, String> {
    let ab_labels: HashMap<String, &str> = card
        .entries
        .iter()
        .filter(|e| e.name.as_str().eq_ignore_ascii_case(AB_LABEL))
        .filter_map(|e| {
            Some((e.group.as_deref()?.to_ascii_lowercase(), e.values.first()?.as_text()?))
        })
        .collect();
    let mut used_groups = HashSet::new();
    let mut draft = ContactDraft::default();
    let mut uid = None;
    let (mut seen_fn, mut seen_n, mut seen_nick, mut seen_org, mut seen_title, mut seen_note) =
        (false, false, false, false, false, false);
    let mut seen_bday = false;
    // A property is kept under its name without control characters; one whose name is nothing
    // else (calcard reads a line `\0;` as a property named `\0`) has no name to be kept under.
    let keep = |draft: &mut ContactDraft, entry: &VCardEntry| {
        let name = clean(entry.name.as_str()).trim().to_uppercase();
        if !name.is_empty() {
            draft.extra.push(ExtraField { name, value: line_of(entry) })
        }
    };
    let first = |seen: &mut bool| !std::mem::replace(seen, true);

    for entry in &card.entries {
        let text = || entry.values.iter().map(value_text).collect::<Vec<_>>();
        match &entry.name {
            VCardProperty::Begin | VCardProperty::End | VCardProperty::Version => {}
            VCardProperty::Prodid | VCardProperty::Rev => {}
            VCardProperty::Uid if uid.is_none() => uid = entry.values.first().map(value_text),
            VCardProperty::Fn if first(&mut seen_fn) => draft.display_name = text().join(" "),
            VCardProperty::N if first(&mut seen_n) => {
                let parts = text();
                draft.family_name = parts.first().cloned().unwrap_or_default();
                draft.given_name = parts.get(1).cloned().unwrap_or_default();
                if parts.iter().skip(2).any(|p| !p.trim().is_empty()) {
                    keep(&mut draft, entry);
                }
            }
            VCardProperty::Nickname if first(&mut seen_nick) => draft.nickname = text().join(", "),
            VCardProperty::Org if first(&mut seen_org) => {
                let parts = text();
                draft.organization = parts.first().cloned().unwrap_or_default();
                if parts.iter().skip(1).any(|p| !p.trim().is_empty()) {
                    keep(&mut draft, entry);
                }
            }
            VCardProperty::Title if first(&mut seen_title) => draft.title = text().join(" "),
            VCardProperty::Note if first(&mut seen_note) => {
                draft.notes = text().join(" ").replace("\r\n", "\n")
            }
            VCardProperty::Bday if !seen_bday => match birthday_of(entry, body) {
                Some(b) => {
                    seen_bday = true;
                    draft.birthday = b.to_string();
                }
                None => keep(&mut draft, entry),
            },
            VCardProperty::Tel | VCardProperty::Email => {
                let raw = text().join(" ");
                let value = raw.trim().strip_prefix("tel:").unwrap_or(raw.trim()).to_string();
                let ok = if entry.name == VCardProperty::Tel {
                    Phone::parse(&value).is_ok()
                } else {
                    Email::parse(&value).is_ok()
                };
                if !ok {
                    keep(&mut draft, entry);
                    continue;
                }
                let label = label_of(entry, &ab_labels, &mut used_groups).as_str().to_string();
                let list = if entry.name == VCardProperty::Tel {
                    &mut draft.phones
                } else {
                    &mut draft.emails
                };
                list.push(LabeledDraft { label, value });
            }
            VCardProperty::Adr => {
                let p = text();
                let part = |i: usize| p.get(i).cloned().unwrap_or_default();
                let street = [part(2), part(1), part(0)]
                    .into_iter()
                    .filter(|s| !s.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                draft.addresses.push(AddressDraft {
                    label: label_of(entry, &ab_labels, &mut used_groups).as_str().to_string(),
                    street,
                    locality: part(3),
                    region: part(4),
                    postal_code: part(5),
                    country: part(6),
                });
            }
            VCardProperty::Other(name) if name.eq_ignore_ascii_case(ROLO_FIELD) => {
                let field_name = entry
                    .parameters(&VCardParameterName::Other(ROLO_NAME.into()))
                    .find_map(|p| match p {
                        VCardParameterValue::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                draft.extra.push(ExtraField { name: field_name, value: text().join(",") });
            }
            VCardProperty::Other(name) if name.eq_ignore_ascii_case(ROLO_GROUP) => {
                draft.groups.extend(text());
            }
            _ => keep(&mut draft, entry),
        }
    }
    // Apple labels attached to a mapped phone, email or address are part of its label.
    draft.extra.retain(|x| {
        !(x.name == AB_LABEL
            && x.value
                .split_once('.')
                .is_some_and(|(g, _)| used_groups.contains(&g.to_ascii_lowercase())))
    });
    let data = draft.parse().map_err(|e| e.to_string())?;
    Ok(ParsedCard { uid, data })
}

fn value_text(v: &VCardValue) -> String {
    match v {
        VCardValue::Component(parts) => parts.join(","),
        other => other.as_text().unwrap_or_default().to_string(),
    }
}

/// The property as one unfolded vCard 4 line, without the line break (whatever the card's
/// version, so a contact's extra fields do not change with the version it was last written in).
fn line_of(entry: &VCardEntry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = entry.write_to(&mut out, true);
    out.replace("\r\n ", "").replace("\r\n\t", "").trim_end_matches(['\r', '\n']).to_string()
}

fn birthday_of(entry: &VCardEntry, body: &str) -> Option<Birthday> {
    match entry.values.first()? {
        // calcard drops the day of extended dates (`--05-17`, and `1990-05-17` in vCard 4):
        // read those from the card's text.
        VCardValue::PartialDateTime(d) if d.day.is_none() => raw_birthday(body),
        VCardValue::PartialDateTime(d) => {
            let omit_year = entry
                .parameters(&VCardParameterName::Other(APPLE_OMIT_YEAR.into()))
                .any(|p| matches!(p, VCardParameterValue::Text(y) if y.parse().ok() == d.year));
            let text = match (d.year, d.month, d.day) {
                (Some(y), Some(m), Some(d)) if !omit_year => format!("{y:04}-{m:02}-{d:02}"),
                (_, Some(m), Some(d)) => format!("--{m:02}-{d:02}"),
                _ => return None,
            };
            Birthday::parse(&text).ok()
        }
        VCardValue::Text(t) => Birthday::parse(t).ok(),
        _ => None,
    }
}

/// The first `BDAY` value of a card's text, when it is a date with or without a year.
fn raw_birthday(body: &str) -> Option<Birthday> {
    let unfolded = body.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "");
    let value = unfolded.lines().find_map(|line| {
        let (head, value) = line.split_once(':')?;
        let name = head.split(';').next()?;
        let name = name.rsplit('.').next()?;
        name.eq_ignore_ascii_case("BDAY").then_some(value)
    })?;
    let date = value.split('T').next()?.trim();
    let text = match date.strip_prefix("--") {
        Some(md) if md.len() == 4 => format!("--{}-{}", md.get(..2)?, md.get(2..)?),
        Some(_) => date.to_string(),
        None => chrono::NaiveDate::parse_from_str(date, "%Y%m%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d"))
            .ok()?
            .format("%Y-%m-%d")
            .to_string(),
    };
    Birthday::parse(&text).ok()
}

/// `TYPE` words that say nothing about which phone or address this is.
const NOISE: [&str; 6] = ["pref", "voice", "internet", "x400", "msg", "text"];

fn label_of(
    entry: &VCardEntry,
    ab_labels: &HashMap<String, &str>,
    used: &mut HashSet<String>,
) -> Label {
    if let Some(group) = entry.group.as_deref().map(str::to_ascii_lowercase) {
        if let Some(label) = ab_labels.get(&group) {
            used.insert(group);
            // Apple writes its standard labels as `_$!<Mobile>!$_`.
            let inner =
                label.strip_prefix("_$!<").and_then(|l| l.strip_suffix(">!$_")).unwrap_or(label);
            return Label::parse(inner);
        }
    }
    let types: Vec<String> = entry
        .parameters(&VCardParameterName::Type)
        .filter_map(|p| match p {
            VCardParameterValue::Type(t) => Some(t.as_str().to_lowercase()),
            VCardParameterValue::Text(t) => Some(t.to_lowercase()),
            _ => None,
        })
        .flat_map(|t| t.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty() && !NOISE.contains(&t.as_str()))
        .collect();
    Label::parse(&types.join(" "))
}

/// Writes one contact as a vCard (with `\r\n` line ends and folding). Control characters are
/// removed (a tab becomes a space, line breaks in notes and streets become `\n`).
pub fn write_vcard(uid: &str, data: &ContactData, version: VcardVersion) -> String {
    let mut entries = vec![
        text_entry(VCardProperty::Uid, &[uid]),
        text_entry(VCardProperty::Fn, &[&data.display_name]),
    ];
    // Lines kept from an imported card replace the generated N and ORG while they still agree.
    let extras: Vec<(&ExtraField, Option<VCardEntry>)> =
        data.extra.iter().map(|x| (x, extra_entry(x))).collect();
    let shadow = |prop: VCardProperty, expect: &[&str]| {
        extras.iter().find_map(|(_, e)| {
            let e = e.as_ref().filter(|e| e.name == prop)?;
            let parts: Vec<String> = e.values.iter().map(value_text).collect();
            let agrees = expect
                .iter()
                .enumerate()
                .all(|(i, want)| parts.get(i).map_or(want.is_empty(), |p| p.trim() == *want));
            agrees.then(|| e.clone())
        })
    };
    let (family, given) = (data.name.family.as_str(), data.name.given.as_str());
    entries.push(
        shadow(VCardProperty::N, &[family, given])
            .unwrap_or_else(|| text_entry(VCardProperty::N, &[family, given, "", "", ""])),
    );
    let org = shadow(VCardProperty::Org, &[&data.organization]);
    for (prop, value) in [
        (VCardProperty::Nickname, &data.nickname),
        (VCardProperty::Org, &data.organization),
        (VCardProperty::Title, &data.title),
    ] {
        match (&prop, &org) {
            (VCardProperty::Org, Some(org)) => entries.push(org.clone()),
            _ if !value.is_empty() => entries.push(text_entry(prop, &[value])),
            _ => {}
        }
    }
    if let Some(b) = data.birthday {
        let (year, month, day, omit_year) = match b {
            Birthday::Date(d) => {
                use chrono::Datelike;
                (u16::try_from(d.year()).ok(), d.month(), d.day(), false)
            }
            // vCard 3 has no date without a year: write it the way Apple does (year 1604, flagged).
            Birthday::MonthDay { month, day } if version == VcardVersion::V3 => {
                (Some(APPLE_NO_YEAR), month, day, true)
            }
            Birthday::MonthDay { month, day } => (None, month, day, false),
        };
        let date = PartialDateTime {
            year,
            month: u8::try_from(month).ok(),
            day: u8::try_from(day).ok(),
            ..Default::default()
        };
        let mut bday =
            VCardEntry::new(VCardProperty::Bday).with_value(VCardValue::PartialDateTime(date));
        if omit_year {
            bday.add_param(VCardParameter {
                name: VCardParameterName::Other(APPLE_OMIT_YEAR.into()),
                value: VCardParameterValue::Text(APPLE_NO_YEAR.to_string()),
            });
        }
        entries.push(bday);
    }
    if !data.notes.is_empty() {
        entries.push(text_entry(VCardProperty::Note, &[&data.notes]));
    }

    // Custom labels go into Apple-style groups; skip group names the kept lines already use.
    let taken: HashSet<String> = extras
        .iter()
        .filter_map(|(_, e)| e.as_ref()?.group.as_ref().map(|g| g.to_ascii_lowercase()))
        .collect();
    let mut groups = (1..).map(|i| format!("item{i}")).filter(|g| !taken.contains(g));
    let mut labeled = |entries: &mut Vec<VCardEntry>, mut entry: VCardEntry, label: &Label| {
        let standard = match label {
            Label::Mobile if entry.name == VCardProperty::Tel => Some(VCardType::Cell),
            Label::Work => Some(VCardType::Work),
            Label::Home => Some(VCardType::Home),
            Label::Other => None,
            _ => {
                let group = groups.next();
                entry.group.clone_from(&group);
                entries.push(entry);
                entries.push(
                    text_entry(VCardProperty::Other("X-ABLabel".into()), &[label.as_str()])
                        .with_group(group),
                );
                return;
            }
        };
        if let Some(t) = standard {
            entry.add_param(VCardParameter { name: VCardParameterName::Type, value: t.into() });
        }
        entries.push(entry);
    };
    for p in &data.phones {
        labeled(&mut entries, text_entry(VCardProperty::Tel, &[p.value.as_str()]), &p.label);
    }
    for e in &data.emails {
        labeled(&mut entries, text_entry(VCardProperty::Email, &[e.value.as_str()]), &e.label);
    }
    for a in &data.addresses {
        let Address { street, locality, region, postal_code, country } = &a.value;
        let parts: [&str; 7] = ["", "", street, locality, region, postal_code, country];
        labeled(&mut entries, text_entry(VCardProperty::Adr, &parts), &a.label);
    }
    for (x, entry) in extras {
        match entry {
            Some(e) if matches!(e.name, VCardProperty::N | VCardProperty::Org) => {} // written above, or stale
            Some(e) => entries.push(e),
            None => entries.push(
                text_entry(VCardProperty::Other(ROLO_FIELD.into()), &[&x.value]).with_param(
                    VCardParameter {
                        name: VCardParameterName::Other(ROLO_NAME.into()),
                        value: VCardParameterValue::Text(field_name(&x.name)),
                    },
                ),
            ),
        }
    }
    for g in &data.groups {
        entries.push(text_entry(VCardProperty::Other(ROLO_GROUP.into()), &[&g.to_string()]));
    }
    let version = match version {
        VcardVersion::V3 => VCardVersion::V3_0,
        VcardVersion::V4 => VCardVersion::V4_0,
    };
    let mut out = String::new();
    let _ = VCard { entries }.write_to(&mut out, version); // writing to a String cannot fail
    out
}

/// An extra field's name for `X-NAME`: without control characters, or U+FFFD for each when it
/// has nothing else (an empty `X-NAME` would not read back).
fn field_name(name: &str) -> String {
    let cleaned = clean(name).replace('\n', " ");
    if cleaned.trim().is_empty() {
        return name.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    }
    cleaned
}

/// A property with text values, cleaned of control characters.
fn text_entry(name: VCardProperty, values: &[&str]) -> VCardEntry {
    VCardEntry::new(name).with_values(values.iter().map(|v| VCardValue::Text(clean(v))).collect())
}

/// The property an extra field holds, when its value is one vCard line of the property it names
/// that calcard writes so that it reads back the same. (Some malformed lines, with a stray quote
/// among the parameters, read back with one more `:` each time they are written: those are
/// written as `X-ROLO-FIELD`, which reads back exactly.)
fn extra_entry(x: &ExtraField) -> Option<VCardEntry> {
    let line = clean(&x.value);
    if line.contains('\n') || x.name.is_empty() {
        return None;
    }
    let entry = one_entry(&line)?;
    let stable = one_entry(&line_of(&entry)).is_some_and(|again| again == entry);
    (stable && entry.name.as_str().eq_ignore_ascii_case(&x.name)).then_some(entry)
}

/// The one property of a vCard line.
fn one_entry(line: &str) -> Option<VCardEntry> {
    let card =
        VCard::parse(format!("BEGIN:VCARD\r\nVERSION:4.0\r\n{line}\r\nEND:VCARD\r\n")).ok()?;
    let mut entries = card.entries.into_iter().filter(|e| {
        !matches!(e.name, VCardProperty::Begin | VCardProperty::End | VCardProperty::Version)
    });
    let entry = entries.next()?;
    entries.next().is_none().then_some(entry)
}

/// Removes control characters: CR LF and lone CR become LF, a tab a space, the rest go.
fn clean(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> ParsedCard {
        let mut cards = parse_vcards(text);
        assert_eq!(cards.len(), 1, "{cards:?}");
        cards.remove(0).unwrap()
    }

    #[test]
    fn reads_a_simple_v4_card() {
        let c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n\
             TEL;TYPE=cell:+44 20 7946 0000\r\nEMAIL;TYPE=work:ada@example.com\r\nBDAY:--1210\r\nEND:VCARD\r\n");
        assert_eq!(c.uid.as_deref(), Some("urn:uuid:1"));
        assert_eq!(c.data.display_name, "Ada Lovelace");
        assert_eq!((c.data.name.family.as_str(), c.data.name.given.as_str()), ("Lovelace", "Ada"));
        assert_eq!(c.data.phones[0].label, Label::Mobile);
        assert_eq!(c.data.phones[0].value.as_str(), "+44 20 7946 0000");
        assert_eq!(c.data.emails[0].label, Label::Work);
        assert_eq!(c.data.birthday, Some(Birthday::MonthDay { month: 12, day: 10 }));
        assert!(c.data.extra.is_empty(), "{:?}", c.data.extra);
    }

    #[test]
    fn extended_dates_in_v4_keep_their_day() {
        let c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nBDAY:1990-05-17\r\nEND:VCARD\r\n");
        assert_eq!(c.data.birthday.map(|b| b.to_string()).as_deref(), Some("1990-05-17"));
        let c = one("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nBDAY:--05-17\r\nEND:VCARD\r\n");
        assert_eq!(c.data.birthday, Some(Birthday::MonthDay { month: 5, day: 17 }));
    }

    #[test]
    fn apple_omitted_year_and_labels() {
        let c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-03-02\r\n\
             item1.TEL:123 456\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\nitem2.EMAIL:a@b.cn\r\nitem2.X-ABLabel:学校\r\n\
             item3.URL:https://example.com\r\nitem3.X-ABLabel:blog\r\nEND:VCARD\r\n");
        assert_eq!(c.data.birthday, Some(Birthday::MonthDay { month: 3, day: 2 }));
        assert_eq!(c.data.phones[0].label, Label::Mobile);
        assert_eq!(c.data.emails[0].label, Label::Custom("学校".into()));
        let names: Vec<&str> = c.data.extra.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["URL", "X-ABLABEL"]);
        assert_eq!(c.data.extra[0].value, "item3.URL:https://example.com");
    }

    #[test]
    fn invalid_phone_and_email_become_extra_fields() {
        let c =
            one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL:call me\r\nEMAIL:nope\r\nEND:VCARD\r\n");
        assert!(c.data.phones.is_empty() && c.data.emails.is_empty());
        assert_eq!(
            c.data.extra,
            vec![
                ExtraField { name: "TEL".into(), value: "TEL:call me".into() },
                ExtraField { name: "EMAIL".into(), value: "EMAIL:nope".into() },
            ]
        );
    }

    #[test]
    fn errors_name_the_card_and_line() {
        let cards = parse_vcards("garbage\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:only a note\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:cut");
        assert_eq!(cards.len(), 3);
        let errs: Vec<(usize, usize)> =
            cards.iter().map(|c| c.as_ref().map_err(|e| (e.card, e.line)).unwrap_err()).collect();
        assert_eq!(errs, [(1, 1), (2, 2), (3, 6)]);
        let reason = cards[1].as_ref().unwrap_err().reason.clone();
        assert!(reason.contains("at least a name"), "{reason}");
        assert!(cards[2].as_ref().unwrap_err().reason.contains("END:VCARD"));
    }

    #[test]
    fn writer_removes_control_characters() {
        let data = ContactData {
            display_name: "Bell\u{7}Tab\tEsc\u{1b}".into(),
            notes: "line1\r\nline2\rline3".into(),
            ..Default::default()
        };
        let out = write_vcard("u1", &data, VcardVersion::V4);
        assert!(!out.replace("\r\n", "").chars().any(|c| c.is_control()), "{out:?}");
        assert!(out.contains("FN:BellTab Esc\r\n"), "{out}");
        assert!(out.contains("NOTE:line1\\nline2\\nline3\r\n"), "{out}");
        assert!(out.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
        assert!(out.contains("UID:u1\r\n"));
    }

    #[test]
    fn group_memberships_round_trip() {
        let g = domain::GroupId::parse("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f99")
            .unwrap_or_else(|e| panic!("{e}"));
        let data = ContactData { display_name: "A".into(), groups: vec![g], ..Default::default() };
        for v in [VcardVersion::V3, VcardVersion::V4] {
            let out = write_vcard("u", &data, v);
            assert!(out.contains("X-ROLO-GROUP:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f99\r\n"), "{out}");
            let back = one(&out).data;
            assert_eq!(back.groups, vec![g]);
            assert!(back.extra.is_empty());
        }
    }

    #[test]
    fn a_folded_line_that_reads_begin_vcard_does_not_start_a_card() {
        // The writer folds long lines; a fold can put `BEGIN:VCARD` (of a value) at a line start.
        let c = one("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nNOTE:x\r\n BEGIN:VCARD\r\n END:VCARD\r\nEND:VCARD\r\n");
        assert_eq!(c.data.notes, "xBEGIN:VCARDEND:VCARD");
    }

    #[test]
    fn a_birthday_in_1604_keeps_its_year() {
        let data = ContactData {
            display_name: "A".into(),
            birthday: Some(Birthday::parse("1604-03-02").unwrap()),
            ..Default::default()
        };
        let out = write_vcard("u", &data, VcardVersion::V3);
        assert!(!out.contains(APPLE_OMIT_YEAR), "{out}");
        assert_eq!(one(&out).data.birthday, data.birthday);
    }

    #[test]
    fn a_kept_name_line_is_written_though_its_parts_had_spaces() {
        let c = one("BEGIN:VCARD\r\nVERSION:2.1\r\nN: ;一;a\r\nEND:VCARD\r\n");
        assert_eq!(c.data.name.given, "一");
        let back = one(&write_vcard("u", &c.data, VcardVersion::V4));
        assert_eq!(back.data, c.data, "the middle name is kept");
    }

    #[test]
    fn a_malformed_kept_line_reads_back_the_same_every_time() {
        // calcard writes this line so that it reads back with one more `:` each time.
        let c = one("BEGIN:VCARD\r\nVERSION:2.1\r\nTEL;E\"C^:00\r\nFN:x\r\nEND:VCARD\r\n");
        let mut data = c.data.clone();
        for _ in 0..3 {
            data = one(&write_vcard("u", &data, VcardVersion::V3)).data;
            assert_eq!(data, c.data);
        }
    }

    #[test]
    fn names_made_of_control_characters_still_read_back() {
        // A line `\0;` reads as a property named `\0`: it has no name to be kept under.
        let c = one("BEGIN:VCARD\r\nVERSION:2.1\r\nADR:\r\n\0;\r\nFN:0\r\nEND:VCARD\r\n");
        assert!(c.data.extra.is_empty(), "{:?}", c.data.extra);
        // An extra field named so by another client is written under U+FFFD.
        let data = ContactData {
            display_name: "A".into(),
            extra: vec![ExtraField { name: "\u{1}".into(), value: "v".into() }],
            ..Default::default()
        };
        let back = one(&write_vcard("u", &data, VcardVersion::V4)).data;
        assert_eq!(back.extra, vec![ExtraField { name: "\u{fffd}".into(), value: "v".into() }]);
    }

    #[test]
    fn unknown_extra_fields_are_tagged() {
        let data = ContactData {
            display_name: "A".into(),
            extra: vec![ExtraField { name: "Website \"main\"".into(), value: "x;y,z\nw".into() }],
            ..Default::default()
        };
        let out = write_vcard("u", &data, VcardVersion::V3);
        assert!(out.contains("X-ROLO-FIELD;X-NAME="), "{out}");
        assert_eq!(one(&out).data.extra, data.extra);
    }
}
