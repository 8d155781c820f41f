//! Property-based fuzzing of the WebDAV/CardDAV request parsers (see `docs/fuzzing.md`):
//! `parse_propfind`, `parse_proppatch` and `parse_report` on any text and on generated XML
//! (namespaces and prefixes, nesting, attributes, entities, DOCTYPEs, huge `nresults`), within
//! the allocation bound; and requests written from values read back as those values.
//!
//! `ROLO_FUZZ_CASES` sets the cases per property (256 by default).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use carddav::request::{
    parse_propfind, parse_proppatch, parse_report, AddressData, Filter, MatchType, PatchOp,
    PropFilter, PropSelection, Propfind, Report, TextMatch, MAX_NRESULTS,
};
use carddav::xml::{Name, CARDDAV, DAV};
use fuzz_support::{bounded, run};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

#[global_allocator]
static ALLOC: fuzz_support::CountingAlloc = fuzz_support::CountingAlloc;

const NAMESPACES: &[&str] = &[
    DAV,
    CARDDAV,
    "http://calendarserver.org/ns/",
    "urn:ietf:params:xml:ns:caldav",
    "",
    "dav:",
    "DAV",
];
const LOCALS: &[&str] = &[
    "propfind",
    "prop",
    "allprop",
    "propname",
    "include",
    "propertyupdate",
    "set",
    "remove",
    "displayname",
    "getetag",
    "resourcetype",
    "sync-collection",
    "sync-token",
    "sync-level",
    "limit",
    "nresults",
    "href",
    "addressbook-multiget",
    "addressbook-query",
    "address-data",
    "filter",
    "prop-filter",
    "text-match",
    "is-not-defined",
    "param-filter",
    "supported-report-set",
    "getctag",
    "x",
];
const ATTRS: &[&str] = &[
    "name",
    "test",
    "match-type",
    "collation",
    "negate-condition",
    "version",
    "content-type",
    "xml:lang",
    "D:name",
];

/// Parses `text` with every parser, within the allocation bound.
fn parse_all(text: &str) -> Result<(), TestCaseError> {
    bounded("parse_propfind", text.len(), || parse_propfind(text))?.ok();
    bounded("parse_proppatch", text.len(), || parse_proppatch(text))?.ok();
    bounded("parse_report", text.len(), || parse_report(text))?.ok();
    Ok(())
}

#[test]
fn dav_request_parsing_never_panics_on_any_text() {
    let input = prop_oneof![
        any::<String>(),
        vec(
            select(
                &[
                    "<",
                    ">",
                    "/",
                    "</",
                    "/>",
                    "D:",
                    "xmlns",
                    "=",
                    "\"",
                    "'",
                    "&",
                    ";",
                    "&amp;",
                    "&#",
                    "x",
                    "DAV:",
                    "prop",
                    "<!",
                    "<?",
                    "?>",
                    "]]>",
                    "<![CDATA[",
                    " ",
                    "\u{0}",
                    "\u{feff}"
                ][..]
            ),
            0..80
        )
        .prop_map(|v| v.concat()),
    ];
    run("dav_request_parsing_never_panics_on_any_text", input, |text| parse_all(&text));
}

/// An XML element before it is written: its name (namespace by prefix, or default), attributes,
/// text and children.
#[derive(Debug, Clone)]
struct El {
    ns: &'static str,
    local: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

/// Text with what XML escapes or refuses: entities, character references (valid or not),
/// CDATA, markup characters.
fn xml_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 /.:@-]{0,10}",
        1 => "[\u{4e00}-\u{9fa5}]{1,4}",
        1 => select(&["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;", "&#x1F600;", "&#0;", "&#x110000;", "&#99999999999;",
            "&xxe;", "&lol9;", "&;", "&", "<![CDATA[<x>&]]>", "\r\n", "\t", "]]>", "<!-- c -->", "<?pi x?>"][..]).prop_map(str::to_string),
        1 => "[0-9]{1,30}",
    ];
    prop_oneof![
        6 => "[a-zA-Z0-9 /.:@-]{0,12}",
        1 => vec(piece, 0..5).prop_map(|v| v.concat()),
    ]
}

fn element() -> impl Strategy<Value = El> {
    let leaf = (
        select(NAMESPACES),
        prop_oneof![6 => select(LOCALS).prop_map(str::to_string), 1 => "[a-zA-Z_][a-zA-Z0-9._-]{0,8}"],
        vec((select(ATTRS).prop_map(str::to_string), "[a-zA-Z0-9;. -]{0,10}"), 0..3),
        xml_text(),
    )
        .prop_map(|(ns, local, attrs, text)| El { ns, local, attrs, text, children: Vec::new() });
    leaf.prop_recursive(40, 200, 6, |inner| {
        (inner.clone(), vec(inner, 0..6)).prop_map(|(mut el, children)| {
            el.children = children;
            el
        })
    })
}

/// How namespaces are written: a prefix per namespace declared on the root, declared on each
/// element, a default namespace, or prefixes never declared.
#[derive(Debug, Clone, Copy)]
enum Style {
    RootPrefixes,
    LocalPrefixes,
    Default,
    Undeclared,
}

fn prefix(ns: &str) -> String {
    match NAMESPACES.iter().position(|n| *n == ns) {
        Some(i) => format!("n{i}"),
        None => "z".into(),
    }
}

fn write(el: &El, style: Style, root: bool, out: &mut String) {
    let name = match style {
        Style::Default => el.local.clone(),
        _ if el.ns.is_empty() && !matches!(style, Style::Undeclared) => el.local.clone(),
        _ => format!("{}:{}", prefix(el.ns), el.local),
    };
    out.push('<');
    out.push_str(&name);
    match style {
        Style::RootPrefixes if root => {
            for ns in NAMESPACES.iter().filter(|ns| !ns.is_empty()) {
                out.push_str(&format!(r#" xmlns:{}="{ns}""#, prefix(ns)));
            }
        }
        Style::LocalPrefixes if !el.ns.is_empty() => {
            out.push_str(&format!(r#" xmlns:{}="{}""#, prefix(el.ns), el.ns))
        }
        Style::Default => out.push_str(&format!(r#" xmlns="{}""#, el.ns)),
        _ => {}
    }
    for (k, v) in &el.attrs {
        out.push_str(&format!(r#" {k}="{v}""#));
    }
    if el.text.is_empty() && el.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    out.push_str(&el.text);
    for c in &el.children {
        write(c, style, false, out);
    }
    out.push_str(&format!("</{name}>"));
}

/// A document: maybe an XML declaration, maybe a DOCTYPE declaring entities (internal,
/// external, or a billion laughs), the root element, maybe trailing garbage.
fn document() -> impl Strategy<Value = (String, bool)> {
    let style =
        select(vec![Style::RootPrefixes, Style::LocalPrefixes, Style::Default, Style::Undeclared]);
    let doctype = prop_oneof![
        4 => Just(String::new()),
        1 => Just(r#"<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#.to_string()),
        1 => Just(r#"<!DOCTYPE d [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol9 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>"#.to_string()),
        1 => Just(r#"<!DOCTYPE propfind SYSTEM "http://127.0.0.1/x.dtd">"#.to_string()),
        1 => Just(r#"<!DOCTYPE d [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>"#.to_string()),
    ];
    let decl = select(
        &[
            "",
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<?xml version="1.1"?>"#,
            "\u{feff}",
            " \n",
        ][..],
    );
    let tail = select(&["", "\n", "<extra/>", "</propfind>", "garbage", "<!-- end -->"][..]);
    // The root is a request's, most of the time.
    let root = prop_oneof![
        4 => select(&[(DAV, "propfind"), (DAV, "propertyupdate"), (DAV, "sync-collection"), (CARDDAV, "addressbook-multiget"), (CARDDAV, "addressbook-query")][..]).prop_map(Some),
        1 => Just(None),
    ];
    (decl, doctype, element(), root, style, tail).prop_map(
        |(decl, doctype, mut el, root, style, tail)| {
            if let Some((ns, local)) = root {
                (el.ns, el.local) = (ns, local.to_string());
            }
            let mut out = format!("{decl}{doctype}");
            write(&el, style, true, &mut out);
            out.push_str(tail);
            (out, !doctype.is_empty())
        },
    )
}

#[test]
fn dav_request_parsing_never_panics_on_generated_xml() {
    run("dav_request_parsing_never_panics_on_generated_xml", document(), |(text, has_doctype)| {
        parse_all(&text)?;
        // No document type (so no entity of one) is ever read.
        if has_doctype {
            prop_assert!(
                parse_propfind(&text).is_err()
                    && parse_proppatch(&text).is_err()
                    && parse_report(&text).is_err(),
                "{:?}",
                text
            );
        }
        Ok(())
    });
}

/// Escapes text for an XML text node or attribute value.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A property name: DAV, CardDAV, or another namespace.
fn prop_name() -> impl Strategy<Value = Name> {
    (
        select(&[DAV, CARDDAV, "http://calendarserver.org/ns/", "http://example.com/ns/"][..]),
        "[a-z][a-z0-9-]{0,12}",
    )
        .prop_map(|(ns, local)| Name::new(ns, &local))
}

/// Writes `name` as an element with a prefix of its own.
fn named(name: &Name, i: usize, attrs: &str, body: Option<&str>) -> String {
    match body {
        Some(b) => {
            format!(r#"<p{i}:{l} xmlns:p{i}="{}"{attrs}>{b}</p{i}:{l}>"#, name.ns, l = name.local)
        }
        None => format!(r#"<p{i}:{l} xmlns:p{i}="{}"{attrs}/>"#, name.ns, l = name.local),
    }
}

/// Text that survives as it is (no leading or trailing whitespace where it is trimmed).
fn value_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9<>&\"'/%.:@ \u{4e00}-\u{4e10}-]{0,20}"
}

fn selection() -> impl Strategy<Value = PropSelection> {
    (
        vec(prop_name(), 0..4),
        prop_oneof![Just(None), Just(Some(None)), Just(Some(Some("3.0"))), Just(Some(Some("4.0")))],
    )
        .prop_map(|(mut props, ad)| {
            props.retain(|p| !p.is(CARDDAV, "address-data"));
            let address_data = ad.map(|v: Option<&str>| {
                props.push(Name::card("address-data"));
                AddressData {
                    version: v.map(str::to_string),
                    content_type: v.map(|_| "text/vcard".to_string()),
                }
            });
            PropSelection { props, address_data }
        })
}

fn write_selection(s: &PropSelection) -> String {
    let mut body = String::new();
    for (i, p) in s.props.iter().enumerate() {
        let attrs = match (&s.address_data, p.is(CARDDAV, "address-data")) {
            (Some(AddressData { version: Some(v), .. }), true) => {
                format!(r#" content-type="text/vcard" version="{v}""#)
            }
            _ => String::new(),
        };
        body.push_str(&named(p, i + 10, &attrs, None));
    }
    format!("<D:prop>{body}</D:prop>")
}

/// A huge or ordinary `nresults`, as digits, and what it reads as.
fn nresults() -> impl Strategy<Value = Option<(String, u64)>> {
    let read = |digits: &str| digits.parse::<u64>().unwrap_or(u64::MAX).min(MAX_NRESULTS);
    prop_oneof![
        2 => Just(None),
        2 => (0u64..200_000).prop_map(|n| n.to_string()).prop_map(move |d| Some((d.clone(), read(&d)))),
        1 => "[0-9]{15,60}".prop_map(move |d| Some((d.clone(), read(&d)))),
    ]
}

fn text_match() -> impl Strategy<Value = TextMatch> {
    let mt = select(vec![
        MatchType::Equals,
        MatchType::Contains,
        MatchType::StartsWith,
        MatchType::EndsWith,
    ]);
    (
        value_text(),
        select(&["i;unicode-casemap", "i;ascii-casemap", "i;octet"][..]),
        any::<bool>(),
        mt,
    )
        .prop_map(|(text, collation, negate, match_type)| TextMatch {
            text,
            collation: collation.into(),
            negate,
            match_type,
        })
}

fn report() -> impl Strategy<Value = Report> {
    let href = "/dav/addressbooks/[a-z]{1,6}/contacts/[a-zA-Z0-9%&<> .-]{1,12}\\.vcf";
    let prop_filter = ("[a-zA-Z-]{1,8}", any::<bool>(), any::<bool>(), vec(text_match(), 0..3))
        .prop_map(|(name, all_of, is_not_defined, text_matches)| PropFilter {
            name: name.to_ascii_uppercase(),
            all_of,
            is_not_defined,
            text_matches,
            param_filters: Vec::new(),
        });
    let filter = (any::<bool>(), vec(prop_filter, 0..3))
        .prop_map(|(all_of, prop_filters)| Filter { all_of, prop_filters });
    prop_oneof![
        (selection(), vec(href, 0..5))
            .prop_map(|(select, hrefs)| Report::Multiget { select, hrefs }),
        (selection(), filter, nresults()).prop_map(|(select, filter, n)| Report::Query {
            select,
            filter,
            limit: n.map(|(_, v)| v)
        }),
        (selection(), "[a-zA-Z0-9:/._-]{0,30}", select(&["1", "infinite"][..]), nresults())
            .prop_map(|(select, token, level, n)| Report::SyncCollection {
                token,
                level: level.into(),
                limit: n.map(|(_, v)| v),
                select
            }),
    ]
}

/// Writes a report as a client would (its `nresults` as `digits`, when it has a limit).
fn write_report(r: &Report, digits: Option<&str>) -> String {
    const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav""#;
    match r {
        Report::Multiget { select, hrefs } => {
            let hrefs: String =
                hrefs.iter().map(|h| format!("<D:href> {} </D:href>", esc(h))).collect();
            format!("<?xml version=\"1.0\"?>\n<C:addressbook-multiget {NS}>{}{hrefs}</C:addressbook-multiget>", write_selection(select))
        }
        Report::Query { select, filter, .. } => {
            let mut f = String::new();
            for pf in &filter.prop_filters {
                let mut body = String::new();
                if pf.is_not_defined {
                    body.push_str("<C:is-not-defined/>");
                }
                for tm in &pf.text_matches {
                    let mt = match tm.match_type {
                        MatchType::Equals => "equals",
                        MatchType::Contains => "contains",
                        MatchType::StartsWith => "starts-with",
                        MatchType::EndsWith => "ends-with",
                    };
                    let negate = if tm.negate { r#" negate-condition="yes""# } else { "" };
                    body.push_str(&format!(r#"<C:text-match collation="{}" match-type="{mt}"{negate}>{}</C:text-match>"#, tm.collation, esc(&tm.text)));
                }
                let test = if pf.all_of { r#" test="allof""# } else { r#" test="anyof""# };
                f.push_str(&format!(
                    r#"<C:prop-filter name="{}"{test}>{body}</C:prop-filter>"#,
                    pf.name.to_ascii_lowercase()
                ));
            }
            let test = if filter.all_of { "allof" } else { "anyof" };
            let limit = digits
                .map(|d| format!("<C:limit><C:nresults>{d}</C:nresults></C:limit>"))
                .unwrap_or_default();
            format!(
                r#"<C:addressbook-query {NS}>{}<C:filter test="{test}">{f}</C:filter>{limit}</C:addressbook-query>"#,
                write_selection(select)
            )
        }
        Report::SyncCollection { token, level, select, .. } => {
            let limit = digits
                .map(|d| format!("<D:limit><D:nresults>\n{d}\n</D:nresults></D:limit>"))
                .unwrap_or_default();
            format!(
                "<D:sync-collection {NS}><D:sync-token>{}</D:sync-token><D:sync-level>{level}</D:sync-level>{limit}{}</D:sync-collection>",
                esc(token),
                write_selection(select)
            )
        }
    }
}

#[test]
fn dav_reports_written_then_parsed_are_the_same() {
    // The limit is generated with the digits it is written as.
    let case = (report(), nresults()).prop_map(|(mut r, n)| {
        let digits = match &mut r {
            Report::Query { limit, .. } | Report::SyncCollection { limit, .. } => {
                *limit = n.as_ref().map(|(_, v)| *v);
                n.map(|(d, _)| d)
            }
            Report::Multiget { .. } => None,
        };
        (r, digits)
    });
    run("dav_reports_written_then_parsed_are_the_same", case, |(report, digits)| {
        let text = write_report(&report, digits.as_deref());
        let back = bounded("parse_report", text.len(), || parse_report(&text))?
            .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(back, report, "{}", text);
        Ok(())
    });
}

#[test]
fn dav_propfind_and_proppatch_written_then_parsed_are_the_same() {
    let propfind = prop_oneof![
        vec(prop_name(), 0..6).prop_map(Propfind::Prop),
        Just(Propfind::PropName),
        vec(prop_name(), 0..3).prop_map(|include| Propfind::AllProp { include }),
    ];
    let op = prop_oneof![
        (prop_name(), value_text()).prop_map(|(n, v)| PatchOp::Set(n, v)),
        prop_name().prop_map(PatchOp::Remove)
    ];
    run(
        "dav_propfind_and_proppatch_written_then_parsed_are_the_same",
        (propfind, vec(op, 1..6)),
        |(propfind, ops)| {
            let body = match &propfind {
                Propfind::Prop(names) => format!(
                    "<D:prop>{}</D:prop>",
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| named(n, i, "", None))
                        .collect::<String>()
                ),
                Propfind::PropName => "<D:propname/>".into(),
                Propfind::AllProp { include } if include.is_empty() => "<D:allprop/>".into(),
                Propfind::AllProp { include } => {
                    format!(
                        "<D:allprop/><D:include>{}</D:include>",
                        include
                            .iter()
                            .enumerate()
                            .map(|(i, n)| named(n, i, "", None))
                            .collect::<String>()
                    )
                }
            };
            let text = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">{body}</D:propfind>"#
            );
            let back = bounded("parse_propfind", text.len(), || parse_propfind(&text))?
                .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(back, propfind, "{}", text);

            let mut body = String::new();
            for (i, op) in ops.iter().enumerate() {
                body.push_str(&match op {
                    PatchOp::Set(n, v) => format!(
                        "<D:set><D:prop>{}</D:prop></D:set>",
                        named(n, i, "", Some(&esc(v)))
                    ),
                    PatchOp::Remove(n) => {
                        format!("<D:remove><D:prop>{}</D:prop></D:remove>", named(n, i, "", None))
                    }
                });
            }
            let text = format!(r#"<D:propertyupdate xmlns:D="DAV:">{body}</D:propertyupdate>"#);
            let back = bounded("parse_proppatch", text.len(), || parse_proppatch(&text))?
                .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(back, ops, "{}", text);
            Ok(())
        },
    );
}
