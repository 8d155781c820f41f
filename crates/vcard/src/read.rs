//! The typed view of a kept card: the fields the console, search, dedup and sync work on, and
//! which line each came from.

use std::collections::HashMap;

use domain::{
    relation_label, Address, Birthday, Card, ContactData, Email, ExtraField, Im, Label, Labeled,
    Phone, Photo, StructuredName, Website,
};

use crate::line::{components, unescape, Prop};

/// Where each typed field came from: indexes into the card's lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub full_name: Option<usize>,
    pub name: Option<usize>,
    pub nickname: Option<usize>,
    pub org: Option<usize>,
    pub title: Option<usize>,
    pub birthday: Option<usize>,
    pub note: Option<usize>,
    pub photo: Option<usize>,
    pub phones: Vec<usize>,
    pub emails: Vec<usize>,
    pub addresses: Vec<usize>,
    pub websites: Vec<usize>,
    pub ims: Vec<usize>,
    pub related: Vec<usize>,
    pub anniversary: Option<usize>,
    pub extra: Vec<usize>,
    /// The `X-ABLabel` line of each property group (lower-cased) a typed field's label came
    /// from.
    pub labels: HashMap<String, usize>,
}

/// Rolo's own property for a field that is not a vCard property (a CSV column, say).
pub const ROLO_FIELD: &str = "X-ROLO-FIELD";
pub const ROLO_NAME: &str = "X-NAME";
pub const AB_LABEL: &str = "X-ABLabel";
pub const APPLE_OMIT_YEAR: &str = "X-APPLE-OMIT-YEAR";

/// Properties kept in the card but not shown as extra fields: they describe the card itself.
const HIDDEN: [&str; 3] = ["UID", "PRODID", "REV"];

/// Apple's (and older clients') instant messaging properties, each with the URI scheme of its
/// service: `X-JABBER:ann@example.com` reads as `xmpp:ann@example.com`.
pub const IM_PROPS: [(&str, &str); 10] = [
    ("X-JABBER", "xmpp"),
    ("X-GOOGLE-TALK", "xmpp"),
    ("X-SKYPE", "skype"),
    ("X-SKYPE-USERNAME", "skype"),
    ("X-AIM", "aim"),
    ("X-ICQ", "icq"),
    ("X-MSN", "msnim"),
    ("X-YAHOO", "ymsgr"),
    ("X-QQ", "qq"),
    ("X-GADUGADU", "gg"),
];

/// The scheme of an Apple-style instant messaging property (`X-JABBER` → `xmpp`).
pub fn im_scheme(name: &str) -> Option<&'static str> {
    IM_PROPS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| *s)
}

/// The properties whose date is an anniversary (vCard 4.0's, and the 3.0 extensions of
/// Evolution, KAddressBook and Outlook).
pub const ANNIVERSARY_PROPS: [&str; 4] =
    ["ANNIVERSARY", "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY"];

/// Apple's label of an anniversary (`X-ABDATE` in a group with this `X-ABLabel`).
pub const AB_ANNIVERSARY: &str = "_$!<Anniversary>!$_";

/// `TYPE` words that say how, not which: kept on the line, never a label.
pub const HOW: [&str; 8] = ["pref", "voice", "internet", "x400", "msg", "text", "iphone", "main"];

/// The typed view of a card (with `card` itself not set) and where each field came from.
pub fn typed(card: &Card) -> (ContactData, Sources) {
    let props: Vec<Option<Prop<'_>>> = card.lines.iter().map(|l| Prop::parse(l)).collect();
    let ab_labels: HashMap<String, (usize, &str)> = props
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = p.as_ref()?;
            (p.is(AB_LABEL)).then_some(())?;
            Some((p.group?.to_ascii_lowercase(), (i, p.value)))
        })
        .collect();
    let mut d = ContactData::default();
    let mut s = Sources::default();
    for (i, p) in props.iter().enumerate() {
        let Some(p) = p else {
            s.extra.push(i);
            d.extra.push(ExtraField { name: String::new(), value: card.lines[i].clone() });
            continue;
        };
        let name = p.name.to_ascii_uppercase();
        let mapped = match name.as_str() {
            "FN" if s.full_name.is_none() => {
                d.display_name = unescape(p.value).trim().to_string();
                s.full_name = Some(i);
                true
            }
            "N" if s.name.is_none() => {
                let c = components(p.value);
                let part = |k: usize| c.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
                d.name = StructuredName {
                    family: part(0),
                    given: part(1),
                    additional: part(2),
                    prefix: part(3),
                    suffix: part(4),
                };
                s.name = Some(i);
                true
            }
            "NICKNAME" if s.nickname.is_none() => {
                d.nickname = unescape(p.value).trim().to_string();
                s.nickname = Some(i);
                true
            }
            "ORG" if s.org.is_none() => {
                let mut c: Vec<String> =
                    components(p.value).into_iter().map(|v| v.trim().to_string()).collect();
                while c.len() > 1 && c.last().is_some_and(String::is_empty) {
                    c.pop();
                }
                d.organization = c.first().cloned().unwrap_or_default();
                d.org_units = c.into_iter().skip(1).collect();
                s.org = Some(i);
                true
            }
            "TITLE" if s.title.is_none() => {
                d.title = unescape(p.value).trim().to_string();
                s.title = Some(i);
                true
            }
            "NOTE" if s.note.is_none() => {
                d.notes = unescape(p.value).replace("\r\n", "\n").trim().to_string();
                s.note = Some(i);
                true
            }
            "BDAY" if s.birthday.is_none() => match birthday_of(p) {
                Some(b) => {
                    d.birthday = Some(b);
                    s.birthday = Some(i);
                    true
                }
                None => false,
            },
            "PHOTO" if s.photo.is_none() => match photo_of(p) {
                Some(photo) => {
                    d.photo = Some(photo);
                    s.photo = Some(i);
                    true
                }
                None => false,
            },
            "TEL" => {
                let raw = unescape(p.value);
                let raw = raw.trim();
                let value = raw.strip_prefix("tel:").unwrap_or(raw);
                match Phone::parse(value) {
                    Ok(v) => {
                        let label = label_of(p, &ab_labels, &mut s.labels);
                        d.phones.push(Labeled { label, value: v, pref: is_pref(p) });
                        s.phones.push(i);
                        true
                    }
                    Err(_) => false,
                }
            }
            "EMAIL" => match Email::parse(&unescape(p.value)) {
                Ok(v) => {
                    let label = label_of(p, &ab_labels, &mut s.labels);
                    d.emails.push(Labeled { label, value: v, pref: is_pref(p) });
                    s.emails.push(i);
                    true
                }
                Err(_) => false,
            },
            "ADR" => {
                let c = components(p.value);
                let part = |k: usize| c.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
                let a = Address {
                    po_box: part(0),
                    extended: part(1),
                    street: part(2),
                    locality: part(3),
                    region: part(4),
                    postal_code: part(5),
                    country: part(6),
                };
                if a.is_empty() {
                    false
                } else {
                    let label = label_of(p, &ab_labels, &mut s.labels);
                    d.addresses.push(Labeled { label, value: a, pref: is_pref(p) });
                    s.addresses.push(i);
                    true
                }
            }
            "URL" => match Website::parse(&unescape(p.value)) {
                Ok(v) => {
                    let label = label_of(p, &ab_labels, &mut s.labels);
                    d.websites.push(Labeled { label, value: v, pref: is_pref(p) });
                    s.websites.push(i);
                    true
                }
                Err(_) => false,
            },
            "IMPP" => match Im::parse(&unescape(p.value)) {
                Ok(v) => {
                    let label = label_of(p, &ab_labels, &mut s.labels);
                    d.ims.push(Labeled { label, value: v, pref: is_pref(p) });
                    s.ims.push(i);
                    true
                }
                Err(_) => false,
            },
            n if im_scheme(n).is_some() => {
                let scheme = im_scheme(n).unwrap_or_default();
                let handle = unescape(p.value);
                let handle = handle.trim();
                let handle = match handle.split_once(':') {
                    Some((s, h)) if s.eq_ignore_ascii_case(scheme) => h,
                    _ => handle,
                };
                match Im::from_parts(scheme, handle) {
                    Ok(v) => {
                        let label = label_of(p, &ab_labels, &mut s.labels);
                        d.ims.push(Labeled { label, value: v, pref: is_pref(p) });
                        s.ims.push(i);
                        true
                    }
                    Err(_) => false,
                }
            }
            "RELATED" | "X-ABRELATEDNAMES" => {
                let value = unescape(p.value).trim().to_string();
                if value.is_empty() || value.chars().count() > domain::MAX_SHORT {
                    false
                } else {
                    let label = label_of(p, &ab_labels, &mut s.labels);
                    let label = relation_label(label.as_str());
                    d.related.push(Labeled { label, value, pref: is_pref(p) });
                    s.related.push(i);
                    true
                }
            }
            n if s.anniversary.is_none() && ANNIVERSARY_PROPS.contains(&n) => {
                match birthday_of(p) {
                    Some(b) => {
                        d.anniversary = Some(b);
                        s.anniversary = Some(i);
                        true
                    }
                    None => false,
                }
            }
            "X-ABDATE" if s.anniversary.is_none() && is_ab_anniversary(p, &ab_labels) => {
                match birthday_of(p) {
                    Some(b) => {
                        label_of(p, &ab_labels, &mut s.labels);
                        d.anniversary = Some(b);
                        s.anniversary = Some(i);
                        true
                    }
                    None => false,
                }
            }
            _ if HIDDEN.contains(&name.as_str()) => true,
            _ => false,
        };
        if !mapped {
            s.extra.push(i);
            d.extra.push(extra_of(p, &card.lines[i]));
        }
    }
    // The Apple labels of typed fields are part of those fields.
    let used: Vec<usize> = s.labels.values().copied().collect();
    let keep: Vec<bool> = s.extra.iter().map(|i| !used.contains(i)).collect();
    let mut k = keep.iter();
    d.extra.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    s.extra.retain(|_| *k.next().unwrap_or(&true));
    (d, s)
}

/// Whether an `X-ABDATE` line is labelled (by its group's Apple label) as the anniversary.
fn is_ab_anniversary(p: &Prop<'_>, ab_labels: &HashMap<String, (usize, &str)>) -> bool {
    p.group
        .and_then(|g| ab_labels.get(&g.to_ascii_lowercase()))
        .is_some_and(|(_, l)| unescape(l).trim().eq_ignore_ascii_case(AB_ANNIVERSARY))
}

/// The photo of an inline `PHOTO` line: vCard 4.0's `data:` URL, or 3.0's `ENCODING=b` (or
/// `BASE64`) bytes with their `TYPE` (or, without one, told by their first bytes). A photo by
/// reference (a URL) or of another type is not one: its line stays an extra field.
pub fn photo_of(p: &Prop<'_>) -> Option<Photo> {
    let value = p.value.trim();
    if value.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return Photo::parse(value).ok();
    }
    let inline = p
        .param("ENCODING")
        .any(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("BASE64"));
    if !inline {
        return None;
    }
    let kind = p.param("TYPE").flat_map(|t| t.split(',')).find(|t| !t.eq_ignore_ascii_case("pref"));
    match kind {
        Some(t) => Photo::from_parts(t, value).ok(),
        None => Photo::sniff(value).ok(),
    }
}

/// The `PHOTO` line of `photo` in a card of `version`.
pub fn photo_line(photo: &Photo, version: domain::CardVersion) -> String {
    match version {
        domain::CardVersion::V4 => format!("PHOTO:{}", photo.as_str()),
        domain::CardVersion::V3 => {
            let kind = photo.media_type().trim_start_matches("image/").to_ascii_uppercase();
            format!("PHOTO;ENCODING=b;TYPE={kind}:{}", photo.base64())
        }
    }
}

/// An extra field for a line: Rolo's own fields by their name and value, the rest as the line.
fn extra_of(p: &Prop<'_>, line: &str) -> ExtraField {
    if p.is(ROLO_FIELD) {
        let name = p.param(ROLO_NAME).next().map(decode_param).unwrap_or_default();
        return ExtraField { name, value: unescape(p.value) };
    }
    ExtraField { name: p.name.to_ascii_uppercase(), value: line.to_string() }
}

/// RFC 6868 parameter value decoding (`^n`, `^^`, `^'`).
pub fn decode_param(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('^', Some('n')) => {
                chars.next();
                out.push('\n');
            }
            ('^', Some('^')) => {
                chars.next();
                out.push('^');
            }
            ('^', Some('\'')) => {
                chars.next();
                out.push('"');
            }
            _ => out.push(c),
        }
    }
    out
}

/// RFC 6868 parameter value encoding.
pub fn encode_param(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '^' => out.push_str("^^"),
            '\n' => out.push_str("^n"),
            '"' => out.push_str("^'"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The label of a phone, email or address: its Apple label, or its `TYPE` words.
fn label_of(
    p: &Prop<'_>,
    ab_labels: &HashMap<String, (usize, &str)>,
    used: &mut HashMap<String, usize>,
) -> Label {
    if let Some(g) = p.group.map(str::to_ascii_lowercase) {
        if let Some((line, label)) = ab_labels.get(&g) {
            used.insert(g, *line);
            let label = unescape(label);
            let inner = label
                .strip_prefix("_$!<")
                .and_then(|l| l.strip_suffix(">!$_"))
                .unwrap_or(&label)
                .to_string();
            return Label::parse(&inner);
        }
    }
    label_of_types(&p.types())
}

/// Whether a line is marked preferred: `TYPE=pref` (3.0, 2.1) or a `PREF` parameter (4.0).
pub fn is_pref(p: &Prop<'_>) -> bool {
    p.types().iter().any(|t| t == "pref") || p.param("PREF").next().is_some()
}

pub fn label_of_types(types: &[String]) -> Label {
    let has = |w: &str| types.iter().any(|t| t == w);
    if has("cell") || has("mobile") {
        return Label::Mobile;
    }
    if has("work") {
        return Label::Work;
    }
    if has("home") {
        return Label::Home;
    }
    let mut rest: Vec<&str> = Vec::new();
    for t in types.iter().map(String::as_str) {
        if !HOW.contains(&t) && t != "other" && !rest.contains(&t) {
            rest.push(t);
        }
    }
    if rest.is_empty() {
        Label::Other
    } else {
        Label::parse(&rest.join(" "))
    }
}

/// A birthday from a `BDAY` line: `YYYY-MM-DD`, `YYYYMMDD`, `--MMDD`, `--MM-DD` (a time after
/// `T` ignored), and Apple's year 1604 with `X-APPLE-OMIT-YEAR` for a date without a year.
pub fn birthday_of(p: &Prop<'_>) -> Option<Birthday> {
    let value = unescape(p.value);
    let date = value.trim().split('T').next()?.trim();
    let text = if let Some(md) = date.strip_prefix("--") {
        let md = md.replace('-', "");
        if md.len() != 4 {
            return None;
        }
        format!("--{}-{}", md.get(..2)?, md.get(2..)?)
    } else {
        let digits = date.replace('-', "");
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (y, m, d) = (digits.get(..4)?, digits.get(4..6)?, digits.get(6..)?);
        let omit = p.param(APPLE_OMIT_YEAR).any(|v| v.trim() == y);
        if omit {
            format!("--{m}-{d}")
        } else {
            format!("{y}-{m}-{d}")
        }
    };
    Birthday::parse(&text).ok()
}

/// The card's first `UID`, as written (unescaped, trimmed).
pub fn uid_of(card: &Card) -> Option<String> {
    card.lines
        .iter()
        .filter_map(|l| Prop::parse(l))
        .find(|p| p.is("UID"))
        .map(|p| unescape(p.value).trim().to_string())
}
