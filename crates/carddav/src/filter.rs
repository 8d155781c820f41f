//! `addressbook-query` filters (RFC 6352 §10.5) evaluated on a card's properties: the card as
//! kept (every property and parameter as the client wrote it), or the card a contact that came
//! without one is written as. Pure.

use domain::ContactData;
use interchange::vcard::line::{unescape, Prop};
use interchange::vcard::VcardVersion;

use crate::request::{Filter, MatchType, ParamFilter, PropFilter, TextMatch};

/// One property of a card: its value (unescaped) and its parameters (names upper case; a 2.1
/// bare type is a `TYPE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardProp {
    pub name: String,
    pub value: String,
    pub params: Vec<(String, Vec<String>)>,
}

/// The properties of a contact's card, its UID included.
pub fn contact_props(data: &ContactData, uid: &str) -> Vec<CardProp> {
    let generated;
    let card = match &data.card {
        Some(c) => c,
        None => {
            generated = interchange::vcard::generate(data, VcardVersion::V3);
            &generated
        }
    };
    let mut out: Vec<CardProp> = card
        .lines
        .iter()
        .filter_map(|l| Prop::parse(l))
        .map(|p| CardProp {
            name: p.name.to_ascii_uppercase(),
            value: unescape(p.value),
            params: p
                .params
                .iter()
                .map(|x| {
                    let name =
                        if x.is_type() { "TYPE".into() } else { x.name.to_ascii_uppercase() };
                    (name, x.values.iter().map(|v| v.to_string()).collect())
                })
                .collect(),
        })
        .collect();
    if !out.iter().any(|p| p.name == "UID") {
        out.push(CardProp { name: "UID".into(), value: uid.into(), params: Vec::new() });
    }
    if !out.iter().any(|p| p.name == "FN") && !data.display_name.is_empty() {
        out.push(CardProp {
            name: "FN".into(),
            value: data.display_name.clone(),
            params: Vec::new(),
        });
    }
    out
}

/// The properties of a group card (its name is its `FN` and `N`).
pub fn group_props(name: &str, uid: &str) -> Vec<CardProp> {
    let p = |n: &str, v: &str| CardProp { name: n.into(), value: v.into(), params: Vec::new() };
    vec![p("FN", name), p("N", name), p("UID", uid), p("KIND", "group")]
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

fn param_filter(pf: &ParamFilter, prop: &CardProp) -> bool {
    let values: Vec<&String> =
        prop.params.iter().filter(|(n, _)| *n == pf.name).flat_map(|(_, v)| v).collect();
    if pf.is_not_defined {
        return values.is_empty();
    }
    if values.is_empty() {
        return false;
    }
    match &pf.text_match {
        None => true,
        Some(tm) => values.iter().any(|v| text_match(tm, v)),
    }
}

fn prop_filter(pf: &PropFilter, props: &[CardProp]) -> bool {
    let named: Vec<&CardProp> = props.iter().filter(|p| p.name == pf.name).collect();
    if pf.is_not_defined {
        return named.is_empty();
    }
    if named.is_empty() {
        return false;
    }
    if pf.text_matches.is_empty() && pf.param_filters.is_empty() {
        return true;
    }
    // Each test is about one instance of the property (RFC 6352 §10.5.1).
    let passes = |p: &CardProp| {
        let mut results = pf
            .text_matches
            .iter()
            .map(|tm| text_match(tm, &p.value))
            .chain(pf.param_filters.iter().map(|f| param_filter(f, p)));
        if pf.all_of {
            results.all(|r| r)
        } else {
            results.any(|r| r)
        }
    };
    named.iter().any(|p| passes(p))
}

/// Whether a card with these properties passes the filter.
pub fn matches(filter: &Filter, props: &[CardProp]) -> bool {
    if filter.prop_filters.is_empty() {
        return true;
    }
    let one = |pf: &PropFilter| prop_filter(pf, props);
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
        matches(&filter_of(xml), &contact_props(&d, "uid-1"))
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

    #[test]
    fn addresses_and_parameters_as_the_card_has_them() {
        let d = interchange::vcard::parse_vcards(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nN:Ann;;;;\r\nADR;TYPE=WORK:;;Main St 1;Springfield;;12345;USA\r\nTEL;TYPE=CELL,VOICE:555\r\nTEL;TYPE=FAX:556\r\nEND:VCARD\r\n",
        )
        .remove(0)
        .unwrap()
        .data;
        let on = |xml: &str| matches(&filter_of(xml), &contact_props(&d, "u1"));
        assert!(on(
            r#"<C:filter><C:prop-filter name="ADR"><C:text-match>springfield</C:text-match></C:prop-filter></C:filter>"#
        ));
        assert!(!on(
            r#"<C:filter><C:prop-filter name="ADR"><C:text-match>Shelbyville</C:text-match></C:prop-filter></C:filter>"#
        ));
        let typed = |t: &str, v: &str| {
            format!(
                r#"<C:filter><C:prop-filter name="TEL" test="allof"><C:param-filter name="TYPE"><C:text-match match-type="equals">{t}</C:text-match></C:param-filter><C:text-match>{v}</C:text-match></C:prop-filter></C:filter>"#
            )
        };
        assert!(on(&typed("fax", "556")));
        assert!(on(&typed("voice", "555")));
        // allof is about one TEL: the fax number is not the cell one.
        assert!(!on(&typed("fax", "555")));
        assert!(on(
            r#"<C:filter><C:prop-filter name="ADR"><C:param-filter name="LANGUAGE"><C:is-not-defined/></C:param-filter></C:prop-filter></C:filter>"#
        ));
        assert!(!on(
            r#"<C:filter><C:prop-filter name="EMAIL"><C:param-filter name="TYPE"/></C:prop-filter></C:filter>"#
        ));
    }
}
