//! `.vcf` files: cards split off, lines unfolded and kept as written.

use domain::{Card, CardVersion, ContactData, GroupId};

use crate::convert::from_21;
use crate::line::{unescape, Prop};

/// One card read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCard {
    /// The card's first `UID`, as written (often `urn:uuid:…`).
    pub uid: Option<String>,
    /// How many `UID` lines the card has.
    pub uids: usize,
    /// The typed view, with the card kept in `card` and Rolo's groups (`X-ROLO-GROUP`) in
    /// `groups`.
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

/// A Rolo group the contact is in (its UUID), one property per group: written on export, read
/// back into `groups`, never kept in the card.
pub const ROLO_GROUP: &str = "X-ROLO-GROUP";

/// Reads every card of a `.vcf` file, in order: one result per card, and one error per stretch
/// of text outside any card. A card with a line that is not a property, or with unusable content
/// (no name, organization, phone or email; a field over the length limits), is an error.
pub fn parse_vcards(text: &str) -> Vec<Result<ParsedCard, CardError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    chunks(text)
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let err = |line: usize, reason: String| CardError { card: i + 1, line, reason };
            let body = &text[chunk.range.clone()];
            match chunk.kind {
                ChunkKind::Junk => Err(err(
                    chunk.line,
                    format!(
                        "this text is not part of a vCard: “{}”",
                        body.lines()
                            .next()
                            .unwrap_or_default()
                            .chars()
                            .take(40)
                            .collect::<String>()
                    ),
                )),
                ChunkKind::Unterminated => Err(err(
                    chunk.line,
                    "the card has no END:VCARD line; the file may be cut short".into(),
                )),
                ChunkKind::Card => {
                    parse_card(body).map_err(|(offset, reason)| err(chunk.line + offset, reason))
                }
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

/// Splits a file into `BEGIN:VCARD … END:VCARD` stretches.
fn chunks(text: &str) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut current: Option<Chunk> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim();
        // A line that starts with a space or tab continues the one before (folding).
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

/// The logical lines of a card's text (unfolded; quoted-printable soft breaks joined), each
/// with the number of its first physical line (from 0), control characters but tab removed.
pub fn logical_lines(body: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut qp_soft = false;
    for (n, raw) in body.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if qp_soft {
            if let Some((_, last)) = out.last_mut() {
                last.pop(); // the `=` of the soft break
                last.push_str(raw.trim_start());
                qp_soft = last.ends_with('=');
                continue;
            }
        }
        match out.last_mut() {
            Some((_, last)) if raw.starts_with([' ', '\t']) => last.push_str(&raw[1..]),
            _ if raw.trim().is_empty() => {}
            _ => out.push((n, raw.to_string())),
        }
        if let Some((_, last)) = out.last() {
            let upper = last.to_ascii_uppercase();
            qp_soft = upper.contains("QUOTED-PRINTABLE") && last.ends_with('=');
        }
    }
    for (_, l) in &mut out {
        if l.chars().any(|c| c.is_control() && c != '\t') {
            l.retain(|c| !c.is_control() || c == '\t');
        }
    }
    out
}

/// The text of each complete card of a file (`BEGIN:VCARD` to `END:VCARD`), in order.
pub fn card_texts(text: &str) -> Vec<&str> {
    chunks(text)
        .into_iter()
        .filter(|c| matches!(c.kind, ChunkKind::Card))
        .map(|c| &text[c.range])
        .collect()
}

/// A card's content lines (unfolded, control characters removed, without `BEGIN:VCARD` and
/// `END:VCARD`), each with the number of its first physical line: what is compared when a card
/// comes back "as written".
pub fn content_lines(card: &str) -> Vec<(usize, String)> {
    let mut all = logical_lines(card);
    if all.last().is_some_and(|(_, l)| l.trim().eq_ignore_ascii_case("END:VCARD")) {
        all.pop();
    }
    if all.first().is_some_and(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VCARD")) {
        all.remove(0);
    }
    all
}

fn parse_card(body: &str) -> Result<ParsedCard, (usize, String)> {
    let mut version = None;
    let mut lines = Vec::new();
    let mut groups = Vec::new();
    let mut uid = None;
    let mut uids = 0;
    let mut v21 = false;
    for (n, line) in content_lines(body) {
        let Some(p) = Prop::parse(&line) else {
            let shown: String = line.chars().take(40).collect();
            return Err((n, format!("line {} is not a vCard property: “{shown}”", n + 1)));
        };
        if p.is("VERSION") {
            version = Some(p.value.trim().to_string());
            v21 = p.value.trim() == "2.1";
            continue;
        }
        if p.is("BEGIN") || p.is("END") {
            return Err((n, "a card cannot hold another card".into()));
        }
        if p.is(ROLO_GROUP) {
            let g = GroupId::parse(unescape(p.value).trim())
                .map_err(|e| (n, format!("{ROLO_GROUP}: {e}")))?;
            if !groups.contains(&g) {
                groups.push(g);
            }
            continue;
        }
        if p.is("UID") {
            uids += 1;
            if uid.is_none() {
                uid = Some(unescape(p.value).trim().to_string());
            }
        }
        lines.push(line);
    }
    let version = match version.as_deref() {
        Some("4.0") => CardVersion::V4,
        _ => CardVersion::V3,
    };
    if v21 {
        lines = lines.iter().map(|l| from_21(l)).collect();
    }
    let card = Card { version, lines };
    card.check().map_err(|m| (0, m))?;
    let (mut data, _) = crate::read::typed(&card);
    data.groups = groups;
    data.card = Some(card);
    data.check().map_err(|e| (0, e.to_string()))?;
    Ok(ParsedCard { uid: uid.filter(|u| !u.is_empty()), uids, data })
}
