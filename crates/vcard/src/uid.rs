//! Rolo's ids for vCard UIDs, and the members of group cards.

use domain::ExtraField;
use uuid::Uuid;

use crate::line::Prop;

/// Namespace of the UUIDs Rolo derives from UIDs that are not UUIDs (with the account id).
const UID_NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_2f0e_8f5a_4b7e_9d43_2a6b_52c1_d0a7);

/// The id a card with this UID gets: the UID itself when it is a UUID (`urn:uuid:` or not, any
/// case), otherwise a UUID derived from the account and the UID, so the same UID always lands
/// on the same contact.
pub fn id_for_uid(account: &Uuid, uid: &str) -> Uuid {
    let bare = strip_urn(uid.trim());
    match Uuid::parse_str(bare) {
        Ok(u) if !u.is_nil() && !u.is_max() => u,
        _ => {
            let mut name = account.as_bytes().to_vec();
            name.extend_from_slice(uid.as_bytes());
            Uuid::new_v5(&UID_NAMESPACE, &name)
        }
    }
}

/// The id of a UID exactly as written, for a card whose UID differs only in case (or form) from
/// that of a card which has the UID's usual id.
pub fn exact_id_for_uid(account: &Uuid, uid: &str) -> Uuid {
    let mut name = b"exact:".to_vec();
    name.extend_from_slice(account.as_bytes());
    name.extend_from_slice(uid.as_bytes());
    Uuid::new_v5(&UID_NAMESPACE, &name)
}

/// A UID without its `urn:uuid:` prefix.
pub fn strip_urn(s: &str) -> &str {
    match s.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("urn:uuid:") => &s[9..],
        _ => s,
    }
}

/// The member UIDs of a group card (vCard 4 `KIND:group` + `MEMBER`, or Apple's
/// `X-ADDRESSBOOKSERVER-KIND` + `-MEMBER`), read from its extra fields; `None` when the card is
/// not a group.
pub fn group_members(extra: &[ExtraField]) -> Option<Vec<String>> {
    let is = |x: &ExtraField, n: &str| x.name.eq_ignore_ascii_case(n);
    let value = |x: &ExtraField| Prop::parse(&x.value).map(|p| p.value.trim().to_string());
    let kind = extra.iter().find(|x| is(x, "KIND") || is(x, "X-ADDRESSBOOKSERVER-KIND"))?;
    if !value(kind)?.eq_ignore_ascii_case("group") {
        return None;
    }
    Some(
        extra
            .iter()
            .filter(|x| is(x, "MEMBER") || is(x, "X-ADDRESSBOOKSERVER-MEMBER"))
            .filter_map(value)
            .map(|m| strip_urn(&m).to_string())
            .filter(|m| !m.is_empty())
            .collect(),
    )
}

/// A Rolo group as a card: vCard 4 `KIND:group` + `MEMBER`, or for vCard 3 (Apple) the
/// `X-ADDRESSBOOKSERVER-KIND` / `X-ADDRESSBOOKSERVER-MEMBER` form. A member UID that is a UUID
/// or has no scheme is written as `urn:uuid:…` (and read back without it by [`group_members`]).
pub fn write_group(
    uid: &str,
    name: &str,
    member_uids: &[String],
    version: domain::CardVersion,
) -> String {
    use crate::line::{escape, push_folded};
    let mut out = String::with_capacity(128 + member_uids.len() * 64);
    let v4 = version == domain::CardVersion::V4;
    push_folded(&mut out, "BEGIN:VCARD");
    push_folded(&mut out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
    push_folded(&mut out, &format!("UID:{}", escape(uid)));
    push_folded(&mut out, &format!("FN:{}", escape(name)));
    push_folded(&mut out, &format!("N:{};;;;", escape(name)));
    push_folded(&mut out, if v4 { "KIND:group" } else { "X-ADDRESSBOOKSERVER-KIND:group" });
    for m in member_uids {
        let m: String = m.chars().filter(|c| !c.is_control()).collect();
        let uri = if Uuid::parse_str(strip_urn(&m)).is_ok() || !m.contains(':') {
            format!("urn:uuid:{}", strip_urn(&m))
        } else {
            m
        };
        let prop = if v4 { "MEMBER" } else { "X-ADDRESSBOOKSERVER-MEMBER" };
        push_folded(&mut out, &format!("{prop}:{uri}"));
    }
    push_folded(&mut out, "END:VCARD");
    out
}
