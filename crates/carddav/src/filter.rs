//! `addressbook-query` filters (RFC 6352 §10.5) evaluated on a card's property values. Pure.

use domain::ContactData;

use crate::request::{Filter, MatchType, PropFilter, TextMatch};

/// The values of one vCard property of a contact (`FN`, `EMAIL`, `TEL`, `N`, `NICKNAME`, `ORG`,
/// `TITLE`, `NOTE`, `UID`, or any property kept as an extra field).
pub fn contact_values(data: &ContactData, uid: &str, prop: &str) -> Vec<String> {
    let one = |s: &str| if s.is_empty() { vec![] } else { vec![s.to_string()] };
    match prop {
        "FN" => one(&data.display_name),
        "EMAIL" => data.emails.iter().map(|e| e.value.as_str().to_string()).collect(),
        "TEL" => data.phones.iter().map(|p| p.value.as_str().to_string()).collect(),
        "N" => one(format!("{};{}", data.name.family, data.name.given).trim_matches(';')),
        "NICKNAME" => one(&data.nickname),
        "ORG" => one(&data.organization),
        "TITLE" => one(&data.title),
        "NOTE" => one(&data.notes),
        "UID" => one(uid),
        other => data
            .extra
            .iter()
            .filter(|x| x.name.eq_ignore_ascii_case(other))
            .map(|x| x.value.split_once(':').map(|(_, v)| v).unwrap_or(&x.value).to_string())
            .collect(),
    }
}

/// The values of a group card's properties (its name is its `FN`).
pub fn group_values(name: &str, uid: &str, prop: &str) -> Vec<String> {
    match prop {
        "FN" | "N" => vec![name.to_string()],
        "UID" => vec![uid.to_string()],
        "KIND" => vec!["group".to_string()],
        _ => vec![],
    }
}

fn fold(s: &str, collation: &str) -> String {
    match collation {
        "i;octet" => s.to_string(),
        "i;ascii-casemap" => s.to_ascii_lowercase(),
        _ => s.to_lowercase(),
    }
}

fn text_match(tm: &TextMatch, value: &str) -> bool {
    let (v, t) = (fold(value, &tm.collation), fold(&tm.text, &tm.collation));
    let hit = match tm.match_type {
        MatchType::Equals => v == t,
        MatchType::Contains => v.contains(&t),
        MatchType::StartsWith => v.starts_with(&t),
        MatchType::EndsWith => v.ends_with(&t),
    };
    hit != tm.negate
}

fn prop_filter(pf: &PropFilter, values: &[String]) -> bool {
    if pf.is_not_defined {
        return values.is_empty();
    }
    if values.is_empty() {
        return false;
    }
    if pf.text_matches.is_empty() {
        return true;
    }
    let one = |tm: &TextMatch| values.iter().any(|v| text_match(tm, v));
    if pf.all_of {
        pf.text_matches.iter().all(one)
    } else {
        pf.text_matches.iter().any(one)
    }
}

/// Whether a card whose property values `values` gives passes the filter.
pub fn matches(filter: &Filter, values: impl Fn(&str) -> Vec<String>) -> bool {
    if filter.prop_filters.is_empty() {
        return true;
    }
    let one = |pf: &PropFilter| prop_filter(pf, &values(&pf.name));
    if filter.all_of {
        filter.prop_filters.iter().all(one)
    } else {
        filter.prop_filters.iter().any(one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_report;
    use crate::request::Report;
    use domain::{ContactDraft, LabeledDraft};

    fn filter_of(xml: &str) -> Filter {
        let body = format!(
            r#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>{xml}</C:addressbook-query>"#
        );
        match parse_report(&body) {
            Ok(Report::Query { filter, .. }) => filter,
            other => panic!("{other:?}"),
        }
    }

    fn ada() -> ContactData {
        ContactDraft {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            emails: vec![LabeledDraft { label: "work".into(), value: "ada@example.com".into() }],
            phones: vec![LabeledDraft { label: "mobile".into(), value: "+44 20 7946 0000".into() }],
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    fn check(xml: &str) -> bool {
        let d = ada();
        matches(&filter_of(xml), |p| contact_values(&d, "uid-1", p))
    }

    #[test]
    fn text_matches_on_fn_email_tel() {
        assert!(check(
            r#"<C:filter><C:prop-filter name="FN"><C:text-match match-type="contains">LOVE</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(!check(
            r#"<C:filter><C:prop-filter name="FN"><C:text-match collation="i;octet">LOVE</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(check(
            r#"<C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="ends-with">@EXAMPLE.com</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(check(
            r#"<C:filter><C:prop-filter name="TEL"><C:text-match match-type="starts-with">+44</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(!check(
            r#"<C:filter><C:prop-filter name="TEL"><C:text-match match-type="equals">+44</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(check(
            r#"<C:filter><C:prop-filter name="FN"><C:text-match negate-condition="yes">Bob</C:text-match></C:prop-filter></C:filter>"#
        ));
    }

    #[test]
    fn anyof_allof_and_definedness() {
        let any = r#"<C:filter><C:prop-filter name="FN"><C:text-match>zzz</C:text-match></C:prop-filter><C:prop-filter name="EMAIL"/></C:filter>"#;
        assert!(check(any));
        assert!(!check(&any.replace("<C:filter>", r#"<C:filter test="allof">"#)));
        assert!(check(
            r#"<C:filter><C:prop-filter name="NOTE"><C:is-not-defined/></C:prop-filter></C:filter>"#
        ));
        assert!(!check(
            r#"<C:filter><C:prop-filter name="EMAIL"><C:is-not-defined/></C:prop-filter></C:filter>"#
        ));
        assert!(check(""));
    }
}
