//! WebDAV / CardDAV request bodies as types: PROPFIND, PROPPATCH and the three REPORTs.
//! Pure: no storage, no HTTP.

use crate::xml::{self, Element, Name, XmlError, CARDDAV, DAV};

/// What a PROPFIND asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Propfind {
    /// `allprop` (or an empty body), with the names of `include`.
    AllProp {
        include: Vec<Name>,
    },
    PropName,
    Prop(Vec<Name>),
}

/// The `address-data` element of a report's `prop`: which vCard version the client wants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressData {
    /// `version` of the `content-type` asked for (`3.0`, `4.0`), if any.
    pub version: Option<String>,
    /// The `content-type` asked for, if any (`text/vcard` is the only one served).
    pub content_type: Option<String>,
}

/// Properties a REPORT asks for per resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropSelection {
    pub props: Vec<Name>,
    /// Set when `CARDDAV:address-data` is among them.
    pub address_data: Option<AddressData>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchOp {
    Set(Name, String),
    Remove(Name),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub text: String,
    /// `i;unicode-casemap` (default), `i;ascii-casemap` or `i;octet`.
    pub collation: String,
    pub negate: bool,
    pub match_type: MatchType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    /// The vCard property name, upper case (`FN`, `EMAIL`, `TEL`…).
    pub name: String,
    /// `test="allof"`: every text-match and param-filter must hold (default: any).
    pub all_of: bool,
    pub is_not_defined: bool,
    pub text_matches: Vec<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// A `param-filter` of a `prop-filter` (RFC 6352 §10.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    /// The parameter's name, upper case (`TYPE`…).
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// `test="allof"` on the filter: every prop-filter must hold (default: any).
    pub all_of: bool,
    pub prop_filters: Vec<PropFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Multiget { select: PropSelection, hrefs: Vec<String> },
    Query { select: PropSelection, filter: Filter, limit: Option<u64> },
    SyncCollection { token: String, level: String, limit: Option<u64>, select: PropSelection },
}

fn bad(m: impl Into<String>) -> XmlError {
    XmlError(m.into())
}

fn root(body: &str, ns: &str, local: &str) -> Result<Element, XmlError> {
    let el = xml::parse(body)?;
    if !el.name.is(ns, local) {
        return Err(bad(format!("expected a {{{ns}}}{local} body, not {}", el.name)));
    }
    Ok(el)
}

fn names(prop: &Element) -> Vec<Name> {
    prop.children.iter().map(|c| c.name.clone()).collect()
}

/// Reads a PROPFIND body; an empty body is `allprop` (RFC 4918 §9.1).
pub fn parse_propfind(body: &str) -> Result<Propfind, XmlError> {
    if body.trim().is_empty() {
        return Ok(Propfind::AllProp { include: Vec::new() });
    }
    let el = root(body, DAV, "propfind")?;
    if let Some(p) = el.child(DAV, "prop") {
        return Ok(Propfind::Prop(names(p)));
    }
    if el.child(DAV, "propname").is_some() {
        return Ok(Propfind::PropName);
    }
    if el.child(DAV, "allprop").is_some() {
        let include = el.child(DAV, "include").map(names).unwrap_or_default();
        return Ok(Propfind::AllProp { include });
    }
    Err(bad("a propfind needs prop, propname or allprop"))
}

/// An extended MKCOL (RFC 5689) body: what the new collection is to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mkcol {
    /// The resource types asked for, other than `DAV:collection`.
    pub types: Vec<Name>,
    pub displayname: Option<String>,
    pub description: Option<String>,
    /// Other properties asked to be set (Rolo keeps none).
    pub other: Vec<Name>,
}

/// Reads an extended MKCOL body.
pub fn parse_mkcol(body: &str) -> Result<Mkcol, XmlError> {
    let el = root(body, DAV, "mkcol")?;
    let mut out = Mkcol::default();
    for set in el.children_named(DAV, "set") {
        for prop in set.children_named(DAV, "prop") {
            for p in &prop.children {
                if p.name.is(DAV, "resourcetype") {
                    out.types.extend(
                        p.children
                            .iter()
                            .filter(|t| !t.name.is(DAV, "collection"))
                            .map(|t| t.name.clone()),
                    );
                } else if p.name.is(DAV, "displayname") {
                    out.displayname = Some(p.text.clone());
                } else if p.name.is(CARDDAV, "addressbook-description") {
                    out.description = Some(p.text.clone());
                } else {
                    out.other.push(p.name.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Reads a PROPPATCH body into its operations, in document order.
pub fn parse_proppatch(body: &str) -> Result<Vec<PatchOp>, XmlError> {
    let el = root(body, DAV, "propertyupdate")?;
    let mut ops = Vec::new();
    for op in &el.children {
        let set = if op.name.is(DAV, "set") {
            true
        } else if op.name.is(DAV, "remove") {
            false
        } else {
            continue;
        };
        for prop in op.children_named(DAV, "prop") {
            for p in &prop.children {
                ops.push(if set {
                    PatchOp::Set(p.name.clone(), p.text.clone())
                } else {
                    PatchOp::Remove(p.name.clone())
                });
            }
        }
    }
    if ops.is_empty() {
        return Err(bad("a propertyupdate needs at least one set or remove"));
    }
    Ok(ops)
}

/// The properties `allprop` (and `propname`) mean for a card in a REPORT: those a PROPFIND's
/// `allprop` returns.
const CARD_ALLPROP: [&str; 4] = ["resourcetype", "getetag", "getcontenttype", "getlastmodified"];

fn selection(el: &Element) -> PropSelection {
    if el.child(DAV, "allprop").is_some() || el.child(DAV, "propname").is_some() {
        return PropSelection {
            props: CARD_ALLPROP.iter().map(|n| Name::dav(n)).collect(),
            address_data: None,
        };
    }
    let Some(prop) = el.child(DAV, "prop") else { return PropSelection::default() };
    let address_data = prop.child(CARDDAV, "address-data").map(|a| AddressData {
        version: a.attr("version").map(str::to_string),
        content_type: a.attr("content-type").map(str::to_string),
    });
    PropSelection { props: names(prop), address_data }
}

/// The most results one REPORT answers; a larger `nresults` (however many digits) is read as
/// this, and the answer says it is truncated (507) so the client asks for the rest.
pub const MAX_NRESULTS: u64 = 100_000;

fn limit(el: &Element, ns: &str) -> Result<Option<u64>, XmlError> {
    match el.child(ns, "limit").and_then(|l| l.child(ns, "nresults")) {
        None => Ok(None),
        Some(n) => {
            let digits = n.text.trim();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("nresults must be a number, not {:?}", n.text)));
            }
            Ok(Some(digits.parse::<u64>().unwrap_or(u64::MAX).min(MAX_NRESULTS)))
        }
    }
}

fn match_type(s: Option<&str>) -> Result<MatchType, XmlError> {
    Ok(match s.unwrap_or("contains") {
        "equals" => MatchType::Equals,
        "contains" => MatchType::Contains,
        "starts-with" => MatchType::StartsWith,
        "ends-with" => MatchType::EndsWith,
        other => return Err(bad(format!("unknown match-type {other:?}"))),
    })
}

fn text_match(tm: &Element) -> Result<TextMatch, XmlError> {
    Ok(TextMatch {
        text: tm.text.clone(),
        collation: tm.attr("collation").unwrap_or("i;unicode-casemap").to_string(),
        negate: tm.attr("negate-condition") == Some("yes"),
        match_type: match_type(tm.attr("match-type"))?,
    })
}

fn filter(el: Option<&Element>) -> Result<Filter, XmlError> {
    let Some(el) = el else { return Ok(Filter::default()) };
    let mut prop_filters = Vec::new();
    for pf in el.children_named(CARDDAV, "prop-filter") {
        let name =
            pf.attr("name").ok_or_else(|| bad("a prop-filter needs a name"))?.to_ascii_uppercase();
        let mut text_matches = Vec::new();
        for tm in pf.children_named(CARDDAV, "text-match") {
            text_matches.push(text_match(tm)?);
        }
        let mut param_filters = Vec::new();
        for f in pf.children_named(CARDDAV, "param-filter") {
            let name = f
                .attr("name")
                .ok_or_else(|| bad("a param-filter needs a name"))?
                .to_ascii_uppercase();
            param_filters.push(ParamFilter {
                name,
                is_not_defined: f.child(CARDDAV, "is-not-defined").is_some(),
                text_match: f.child(CARDDAV, "text-match").map(text_match).transpose()?,
            });
        }
        prop_filters.push(PropFilter {
            name,
            all_of: pf.attr("test") == Some("allof"),
            is_not_defined: pf.child(CARDDAV, "is-not-defined").is_some(),
            text_matches,
            param_filters,
        });
    }
    Ok(Filter { all_of: el.attr("test") == Some("allof"), prop_filters })
}

/// Reads a REPORT body: `addressbook-multiget`, `addressbook-query` or `sync-collection`.
pub fn parse_report(body: &str) -> Result<Report, XmlError> {
    let el = xml::parse(body)?;
    if el.name.is(CARDDAV, "addressbook-multiget") {
        let hrefs = el.children_named(DAV, "href").map(|h| h.text.trim().to_string()).collect();
        return Ok(Report::Multiget { select: selection(&el), hrefs });
    }
    if el.name.is(CARDDAV, "addressbook-query") {
        return Ok(Report::Query {
            select: selection(&el),
            filter: filter(el.child(CARDDAV, "filter"))?,
            limit: limit(&el, CARDDAV)?,
        });
    }
    if el.name.is(DAV, "sync-collection") {
        let token =
            el.child(DAV, "sync-token").map(|t| t.text.trim().to_string()).unwrap_or_default();
        let level = el
            .child(DAV, "sync-level")
            .map(|t| t.text.trim().to_string())
            .unwrap_or_else(|| "1".into());
        return Ok(Report::SyncCollection {
            token,
            level,
            limit: limit(&el, DAV)?,
            select: selection(&el),
        });
    }
    Err(XmlError(format!("unsupported report {}", el.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_prefix_bound_to_no_namespace_is_refused() {
        let body =
            r#"<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>"#;
        assert!(parse_propfind(body).is_err());
        let fine = r#"<D:propfind xmlns:D="DAV:"><D:prop><foo xmlns=""/></D:prop></D:propfind>"#;
        assert!(parse_propfind(fine).is_ok());
    }

    #[test]
    fn extended_mkcol() {
        let body = r#"<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><c:addressbook/></d:resourcetype><d:displayname>Work</d:displayname><c:addressbook-description>All</c:addressbook-description><x:color xmlns:x="urn:x"/></d:prop></d:set></d:mkcol>"#;
        let m = ok(parse_mkcol(body));
        assert_eq!(m.types, vec![Name::card("addressbook")]);
        assert_eq!(
            (m.displayname.as_deref(), m.description.as_deref()),
            (Some("Work"), Some("All"))
        );
        assert_eq!(m.other.len(), 1);
        assert!(parse_mkcol("<d:propfind xmlns:d=\"DAV:\"/>").is_err());
    }

    #[test]
    fn propfind_ios_discovery() {
        // The properties iOS Contacts asks of the principal during account setup.
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <B:addressbook-home-set xmlns:B="urn:ietf:params:xml:ns:carddav"/>
    <B:directory-gateway xmlns:B="urn:ietf:params:xml:ns:carddav"/>
    <A:displayname/>
    <C:email-address-set xmlns:C="http://calendarserver.org/ns/"/>
    <A:principal-collection-set/>
    <A:principal-URL/>
    <A:resource-id/>
    <A:supported-report-set/>
  </A:prop>
</A:propfind>"#;
        insta::assert_debug_snapshot!(ok(parse_propfind(body)));
    }

    #[test]
    fn propfind_forms() {
        assert_eq!(ok(parse_propfind("")), Propfind::AllProp { include: vec![] });
        assert_eq!(
            ok(parse_propfind(r#"<propfind xmlns="DAV:"><propname/></propfind>"#)),
            Propfind::PropName
        );
        insta::assert_debug_snapshot!(ok(parse_propfind(
            r#"<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:supported-report-set/></D:include></D:propfind>"#
        )));
        assert!(parse_propfind("<propfind xmlns=\"DAV:\"><prop>").is_err());
        assert!(parse_propfind("<other/>").is_err());
    }

    #[test]
    fn doctype_and_entities_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><propfind xmlns="DAV:"><prop><displayname>&x;</displayname></prop></propfind>"#;
        assert!(parse_propfind(xxe).is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(xml::parse(&deep).is_err());
    }

    #[test]
    fn proppatch_in_order() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns/">
  <D:set><D:prop><D:displayname>Family &amp; friends</D:displayname><Z:color>red</Z:color></D:prop></D:set>
  <D:remove><D:prop><Z:color/></D:prop></D:remove>
</D:propertyupdate>"#;
        insta::assert_debug_snapshot!(ok(parse_proppatch(body)));
    }

    #[test]
    fn sync_collection_davx5() {
        // DAVx5's incremental sync: a token, level 1, only the ETag.
        let body = r#"<?xml version='1.0' encoding='UTF-8' ?><sync-collection xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><sync-token>http://rolo.invalid/sync/42</sync-token><sync-level>1</sync-level><prop><getetag /></prop></sync-collection>"#;
        insta::assert_debug_snapshot!(ok(parse_report(body)));
    }

    #[test]
    fn sync_collection_with_limit() {
        let body = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>100</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
        insta::assert_debug_snapshot!(ok(parse_report(body)));
        let bad = body.replace("100", "many");
        assert!(parse_report(&bad).is_err());
    }

    #[test]
    fn huge_nresults_are_read_as_the_largest_page() {
        let body = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>N</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
        for n in ["9223372036854775807", "18446744073709551615", "99999999999999999999999999"] {
            match ok(parse_report(&body.replace('N', n))) {
                Report::SyncCollection { limit, .. } => {
                    assert_eq!(limit, Some(MAX_NRESULTS), "{n}")
                }
                other => panic!("{other:?}"),
            }
        }
        for n in ["-1", "1e3", ""] {
            assert!(parse_report(&body.replace('N', n)).is_err(), "{n:?}");
        }
    }

    #[test]
    fn multiget() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data content-type="text/vcard" version="4.0"/></D:prop>
  <D:href>/dav/addressbooks/alice/contacts/a.vcf</D:href>
  <D:href>/dav/addressbooks/alice/contacts/b%20c.vcf</D:href>
</C:addressbook-multiget>"#;
        insta::assert_debug_snapshot!(ok(parse_report(body)));
    }

    #[test]
    fn query_with_text_matches() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <C:filter test="anyof">
    <C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">daboo</C:text-match></C:prop-filter>
    <C:prop-filter name="email" test="allof">
      <C:text-match match-type="ends-with">@example.com</C:text-match>
      <C:text-match negate-condition="yes" match-type="starts-with">no-reply</C:text-match>
    </C:prop-filter>
    <C:prop-filter name="TEL"><C:is-not-defined/></C:prop-filter>
  </C:filter>
  <C:limit><C:nresults>10</C:nresults></C:limit>
</C:addressbook-query>"#;
        insta::assert_debug_snapshot!(ok(parse_report(body)));
    }

    #[test]
    fn unknown_report() {
        let e = parse_report(r#"<x:free-busy-query xmlns:x="urn:ietf:params:xml:ns:caldav"/>"#)
            .unwrap_err();
        assert!(e.0.contains("unsupported report"), "{e:?}");
    }
}
