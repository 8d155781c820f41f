//! vCards as CardDAV serves and receives them: ids from UIDs, ETags, group cards in both
//! dialects (vCard 4 `KIND:group` + `MEMBER`, Apple's `X-ADDRESSBOOKSERVER-*` in vCard 3), and
//! the last clean-up of every card served. Pure.

use uuid::Uuid;

pub use interchange::vcard::{exact_id_for_uid, group_members, id_for_uid, strip_urn, write_group};

/// The resource name of a card no client named.
pub fn default_href(id: &Uuid) -> String {
    format!("{id}.vcf")
}

/// A contact's ETag: its id and revision (every write makes a new revision).
pub fn contact_etag(id: &Uuid, revision: i64) -> String {
    format!("\"{}-{revision}\"", short(id))
}

/// The last 12 hex digits of an id: its random part (the first ones of a v7 id are a time).
fn short(id: &Uuid) -> String {
    id.simple().to_string()[20..].to_string()
}

/// A group's ETag: its revision and members (membership lives on the contacts, so a member
/// joining or leaving changes the group's card without a new revision of the group).
pub fn group_etag(id: &Uuid, revision: i64, members: &[Uuid]) -> String {
    let mut sorted: Vec<&Uuid> = members.iter().collect();
    sorted.sort();
    let mut bytes = Vec::with_capacity(16 * sorted.len());
    for m in sorted {
        bytes.extend_from_slice(m.as_bytes());
    }
    let h = crypto::sha256_hex(&bytes);
    format!("\"{}-{revision}-g{}\"", short(id), &h[..12])
}

/// Whether an `If-Match` / `If-None-Match` header value names `etag` (or is `*`).
pub fn etag_matches(header: &str, etag: Option<&str>) -> bool {
    let Some(etag) = etag else { return false };
    let bare = |s: &str| s.trim().trim_start_matches("W/").trim_matches('"').to_string();
    header.split(',').any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// The member UIDs of a group card as ids.
pub fn member_ids(account: &Uuid, members: &[String]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = members.iter().map(|m| id_for_uid(account, m)).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Properties dropped first when a card is over the size limit.
const BULKY: [&str; 4] = ["PHOTO", "LOGO", "SOUND", "KEY"];

fn prop_name(logical: &str) -> String {
    let head = logical.split([';', ':']).next().unwrap_or_default();
    head.rsplit('.').next().unwrap_or_default().to_ascii_uppercase()
}

/// The last pass over every card served: control characters other than tab, CR and LF removed
/// (a card with them can make iOS loop forever), and, over `max` bytes, photos, logos, sounds
/// and keys dropped, largest first, until it fits.
pub fn sanitize(card: &str, max: usize) -> String {
    let unwanted = |c: char| c.is_control() && !matches!(c, '\t' | '\r' | '\n');
    // Nearly every card is clean and small: one pass to check, one copy.
    if card.len() <= max && !card.chars().any(unwanted) {
        return card.to_string();
    }
    let clean: String = card.chars().filter(|c| !unwanted(*c)).collect();
    if clean.len() <= max {
        return clean;
    }
    // Logical lines (a physical line starting with a space or tab continues the previous one).
    let mut logical: Vec<String> = Vec::new();
    for l in clean.split_inclusive('\n') {
        match logical.last_mut() {
            Some(last) if l.starts_with([' ', '\t']) => last.push_str(l),
            _ => logical.push(l.to_string()),
        }
    }
    let mut total = clean.len();
    let mut bulky: Vec<usize> =
        (0..logical.len()).filter(|i| BULKY.contains(&prop_name(&logical[*i]).as_str())).collect();
    bulky.sort_by_key(|i| std::cmp::Reverse(logical[*i].len()));
    for i in bulky {
        if total <= max {
            break;
        }
        total -= logical[i].len();
        logical[i].clear();
    }
    logical.concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ExtraField;
    use interchange::vcard::VcardVersion;

    const ACCOUNT: Uuid = Uuid::from_u128(0x0190_f5a4_3c1e_7cc2_9d1e_1b2c_3d4e_5f00);

    #[test]
    fn ids_from_uids() {
        let u = Uuid::parse_str("0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01").unwrap_or_default();
        assert_eq!(id_for_uid(&ACCOUNT, "0190F5A4-3C1E-7CC2-9D1E-1B2C3D4E5F01"), u);
        assert_eq!(id_for_uid(&ACCOUNT, "urn:uuid:0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01"), u);
        let a = id_for_uid(&ACCOUNT, "ada@example.com");
        assert_eq!(a, id_for_uid(&ACCOUNT, "ada@example.com"));
        assert_ne!(a, id_for_uid(&Uuid::from_u128(1), "ada@example.com"));
        assert_ne!(id_for_uid(&ACCOUNT, "00000000-0000-0000-0000-000000000000"), Uuid::nil());
    }

    #[test]
    fn etags() {
        let id = Uuid::from_u128(7);
        assert_eq!(contact_etag(&id, 3), "\"000000000007-3\"");
        assert!(etag_matches("\"000000000007-3\"", Some("\"000000000007-3\"")));
        assert!(etag_matches("W/\"x\", \"000000000007-3\"", Some("\"000000000007-3\"")));
        assert!(etag_matches("*", Some("\"a\"")));
        assert!(!etag_matches("*", None));
        assert!(!etag_matches("\"000000000007-2\"", Some("\"000000000007-3\"")));
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(group_etag(&id, 1, &[a, b]), group_etag(&id, 1, &[b, a]));
        assert_ne!(group_etag(&id, 1, &[a]), group_etag(&id, 1, &[a, b]));
    }

    #[test]
    fn group_cards_in_both_dialects() {
        let members =
            vec!["0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01".to_string(), "ABC-not-a-uuid".to_string()];
        let v4 = write_group("g1", "Family, close; \"dear\"", &members, VcardVersion::V4);
        let v3 = write_group("g1", "Family, close; \"dear\"", &members, VcardVersion::V3);
        insta::assert_snapshot!("group_v4", v4);
        insta::assert_snapshot!("group_v3", v3);
        for card in [&v4, &v3] {
            let parsed = interchange::vcard::parse_vcards(card);
            let Some(Ok(p)) = parsed.into_iter().next() else { panic!("{card}") };
            assert_eq!(
                group_members(&p.data.extra),
                Some(vec![
                    "0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f01".to_string(),
                    "ABC-not-a-uuid".to_string()
                ])
            );
        }
    }

    #[test]
    fn not_a_group() {
        let extra = vec![ExtraField { name: "KIND".into(), value: "KIND:individual".into() }];
        assert_eq!(group_members(&extra), None);
        assert_eq!(group_members(&[]), None);
        let apple = vec![
            ExtraField {
                name: "X-ADDRESSBOOKSERVER-KIND".into(),
                value: "X-ADDRESSBOOKSERVER-KIND:group".into(),
            },
            ExtraField {
                name: "X-ADDRESSBOOKSERVER-MEMBER".into(),
                value: "X-ADDRESSBOOKSERVER-MEMBER;X-P=\"a:b\":urn:uuid:M1".into(),
            },
        ];
        assert_eq!(group_members(&apple), Some(vec!["M1".to_string()]));
    }

    #[test]
    fn long_lines_fold_on_character_boundaries() {
        let name = "诸葛".repeat(40);
        let card = write_group("u", &name, &[], VcardVersion::V4);
        for l in card.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let parsed = interchange::vcard::parse_vcards(&card);
        let Some(Ok(p)) = parsed.into_iter().next() else { panic!() };
        assert_eq!(p.data.display_name, name);
    }

    #[test]
    fn sanitize_removes_controls_and_bulk() {
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\u{0}B\u{1b}C\u{7}\r\nNOTE:tab\there\r\nPHOTO;ENCODING=b:AAAA\r\n AAAA\r\nitem1.LOGO:BB\r\nEND:VCARD\r\n";
        let small = sanitize(card, 10_000);
        assert!(
            small.contains("FN:ABC\r\n") && small.contains("tab\there") && small.contains("PHOTO")
        );
        let cut = sanitize(card, small.len() - 10);
        assert!(
            !cut.contains("PHOTO") && cut.contains("LOGO") && cut.ends_with("END:VCARD\r\n"),
            "{cut}"
        );
    }
}
