//! vCards kept as written.
//!
//! A contact that came in as a vCard (over CardDAV, from a file, from a device) keeps that card
//! ([`domain::Card`]): every property with its group, parameters and order, byte for byte. The
//! typed fields of [`ContactData`] are a view of it ([`typed`]); a write that changes them
//! changes only the lines they came from ([`reconcile`]); the card is written back as it was
//! ([`write_vcard`]), converted line by line when another version is asked for
//! ([`convert::convert`]).
//!
//! What is normalised on the way in (and so not given back byte for byte): line folding and
//! line ends (cards are written with CRLF, folded at 75 octets), `VERSION` (written after
//! `BEGIN`), control characters other than tab (removed), vCard 2.1 (read as 3.0), and Rolo's
//! own `X-ROLO-GROUP` lines (read into the contact's groups).
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod convert;
mod edit;
mod file;
pub mod line;
mod read;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_catalogue;
mod uid;

use domain::{Card, ContactData};

pub use domain::CardVersion as VcardVersion;
pub use edit::{extra_line, generate, reconcile, same_typed};
pub use file::{
    card_texts, content_lines, logical_lines, parse_vcards, CardError, ParsedCard, ROLO_GROUP,
};
pub use read::{birthday_of, uid_of, Sources, AB_LABEL, ROLO_FIELD};
pub use uid::{exact_id_for_uid, group_members, id_for_uid, strip_urn, write_group};

/// The typed view of a card (its `card` and `groups` not set).
pub fn typed(card: &Card) -> ContactData {
    read::typed(card).0
}

/// The typed view and where each field came from.
pub fn typed_with_sources(card: &Card) -> (ContactData, Sources) {
    read::typed(card)
}

/// Sets a contact's typed fields from its card (what the store keeps is the card and the
/// groups).
pub fn fill_typed(data: &mut ContactData) {
    if let Some(card) = data.card.take() {
        let groups = std::mem::take(&mut data.groups);
        *data = typed(&card);
        data.groups = groups;
        data.card = Some(card);
    }
}

/// Writes one contact as a vCard: its kept card (converted when it is in the other version), or
/// the card of its typed fields; `UID:<uid>` when the card has none; `X-ROLO-GROUP` for each
/// of its groups. CRLF line ends, folded at 75 octets.
pub fn write_vcard(uid: &str, data: &ContactData, version: VcardVersion) -> String {
    let generated;
    let card = match &data.card {
        Some(c) => c,
        None => {
            generated = generate(data, version);
            &generated
        }
    };
    let converted;
    let card = if card.version == version {
        card
    } else {
        converted = convert::convert(card, version);
        &converted
    };
    let size: usize = card.lines.iter().map(|l| l.len() + 8).sum();
    let mut out = String::with_capacity(size + 64);
    out.push_str("BEGIN:VCARD\r\n");
    out.push_str(match version {
        VcardVersion::V3 => "VERSION:3.0\r\n",
        VcardVersion::V4 => "VERSION:4.0\r\n",
    });
    if uid_of(card).is_none() {
        line::push_folded(&mut out, &format!("UID:{}", line::escape(uid)));
    }
    for l in &card.lines {
        line::push_folded(&mut out, l);
    }
    for g in &data.groups {
        line::push_folded(&mut out, &format!("{ROLO_GROUP}:{g}"));
    }
    out.push_str("END:VCARD\r\n");
    out
}
