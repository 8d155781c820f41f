//! The properties of each kind of resource, and how a PROPFIND or REPORT selection picks among
//! them. Pure given the values the caller loaded.

use domain::Access;
use interchange::vcard::VcardVersion;

use crate::paths::{self, Target};
use crate::request::Propfind;
use crate::response::{Propstat, Value};
use crate::xml::{Name, CALENDARSERVER, CARDDAV, DAV};

/// What collection properties are made of.
#[derive(Debug, Clone)]
pub struct CollectionInfo {
    pub user: String,
    /// The address book's name.
    pub book_name: String,
    pub description: String,
    /// The username of the book's owner (`None`: a company directory).
    pub owner: Option<String>,
    /// What the signed-in account may do with the book.
    pub access: Access,
    /// The book's change sequence: the CTag and the sync token.
    pub seq: i64,
    pub max_resource_size: usize,
}

pub fn sync_token(seq: i64) -> String {
    format!("{SYNC_TOKEN_PREFIX}{seq}")
}

pub const SYNC_TOKEN_PREFIX: &str = "http://rolo.invalid/sync/";

/// The sequence number of a sync token Rolo gave, if it is one.
pub fn parse_sync_token(token: &str) -> Option<i64> {
    token.strip_prefix(SYNC_TOKEN_PREFIX)?.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// The privileges of the signed-in account on a book (RFC 3744 §5.4), as the store allows.
fn privileges(access: Access) -> &'static str {
    match access {
        Access::Owner => {
            "<d:privilege><d:read/></d:privilege><d:privilege><d:write/></d:privilege>\
<d:privilege><d:write-properties/></d:privilege><d:privilege><d:write-content/></d:privilege>\
<d:privilege><d:bind/></d:privilege><d:privilege><d:unbind/></d:privilege>\
<d:privilege><d:read-current-user-privilege-set/></d:privilege>"
        }
        Access::ReadWrite => {
            "<d:privilege><d:read/></d:privilege><d:privilege><d:write-content/></d:privilege>\
<d:privilege><d:bind/></d:privilege><d:privilege><d:unbind/></d:privilege>\
<d:privilege><d:read-current-user-privilege-set/></d:privilege>"
        }
        Access::ReadOnly => {
            "<d:privilege><d:read/></d:privilege>\
<d:privilege><d:read-current-user-privilege-set/></d:privilege>"
        }
    }
}

const REPORTS: &str =
    "<d:supported-report><d:report><card:addressbook-multiget/></d:report></d:supported-report>\
<d:supported-report><d:report><card:addressbook-query/></d:report></d:supported-report>\
<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>";

const ADDRESS_DATA: &str = "<card:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>\
<card:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>";

/// Every property of a collection (root, principal, home, address book), with its value.
pub fn collection_props(target: &Target, info: &CollectionInfo) -> Vec<(Name, Value)> {
    let user = &info.user;
    let principal = Value::Href(paths::principal_href(user));
    let mut p = vec![(Name::dav("current-user-principal"), principal.clone())];
    match target {
        Target::Parent(what) => {
            p.push((Name::dav("resourcetype"), Value::Xml("<d:collection/>".into())));
            p.push((Name::dav("displayname"), Value::Text((*what).to_string())));
            p.push((Name::dav("supported-report-set"), Value::Xml(String::new())));
        }
        Target::Root => {
            p.push((Name::dav("resourcetype"), Value::Xml("<d:collection/>".into())));
            p.push((Name::dav("displayname"), Value::Text("Rolo".into())));
            p.push((Name::dav("principal-URL"), principal.clone()));
            p.push((Name::card("addressbook-home-set"), Value::Href(paths::home_href(user))));
        }
        Target::Principal(_) => {
            p.push((Name::dav("resourcetype"), Value::Xml("<d:principal/>".into())));
            p.push((Name::dav("displayname"), Value::Text(user.clone())));
            p.push((Name::dav("principal-URL"), principal.clone()));
            p.push((
                Name::dav("principal-collection-set"),
                Value::Href(format!("{}principals/", paths::ROOT)),
            ));
            p.push((Name::card("addressbook-home-set"), Value::Href(paths::home_href(user))));
        }
        Target::Home(_) => {
            p.push((Name::dav("resourcetype"), Value::Xml("<d:collection/>".into())));
            p.push((Name::dav("displayname"), Value::Text(format!("{user}'s address books"))));
            p.push((Name::dav("owner"), principal.clone()));
            p.push((
                Name::dav("current-user-privilege-set"),
                Value::Xml(
                    "<d:privilege><d:read/></d:privilege><d:privilege><d:bind/></d:privilege>\
<d:privilege><d:unbind/></d:privilege>"
                        .into(),
                ),
            ));
            // A home answers no report itself; its books do.
            p.push((Name::dav("supported-report-set"), Value::Xml(String::new())));
        }
        Target::Book(..) => {
            p.push((
                Name::dav("resourcetype"),
                Value::Xml("<d:collection/><card:addressbook/>".into()),
            ));
            p.push((Name::dav("displayname"), Value::Text(info.book_name.clone())));
            p.push((Name::card("addressbook-description"), Value::Text(info.description.clone())));
            if let Some(owner) = &info.owner {
                p.push((Name::dav("owner"), Value::Href(paths::principal_href(owner))));
            }
            p.push((
                Name::dav("current-user-privilege-set"),
                Value::Xml(privileges(info.access).into()),
            ));
            p.push((Name::dav("supported-report-set"), Value::Xml(REPORTS.into())));
            p.push((Name::dav("sync-token"), Value::Text(sync_token(info.seq))));
            p.push((Name::new(CALENDARSERVER, "getctag"), Value::Text(info.seq.to_string())));
            p.push((Name::card("supported-address-data"), Value::Xml(ADDRESS_DATA.into())));
            p.push((
                Name::card("max-resource-size"),
                Value::Text(info.max_resource_size.to_string()),
            ));
        }
        Target::Card(..) => {}
    }
    p
}

/// Properties `allprop` returns (RFC 4918 §9.1: not the computed reports, tokens or sets).
fn in_allprop(n: &Name) -> bool {
    n.ns == DAV
        && matches!(
            n.local.as_str(),
            "resourcetype" | "displayname" | "getetag" | "getcontenttype" | "getlastmodified"
        )
        || n.is(CALENDARSERVER, "getctag")
}

/// Splits available properties into the propstats a PROPFIND asked for: found (200) and
/// unknown (404); `propname` lists names only.
pub fn select(req: &Propfind, available: Vec<(Name, Value)>) -> Vec<Propstat> {
    match req {
        Propfind::PropName => vec![Propstat {
            status: 200,
            props: available.into_iter().map(|(n, _)| (n, Value::Empty)).collect(),
        }],
        Propfind::AllProp { include } => {
            let props = available
                .into_iter()
                .filter(|(n, _)| in_allprop(n) || include.contains(n))
                .collect();
            vec![Propstat { status: 200, props }]
        }
        Propfind::Prop(wanted) => pick(wanted, available),
    }
}

/// The requested names: the available ones with their values (200), the others empty (404).
pub fn pick(wanted: &[Name], mut available: Vec<(Name, Value)>) -> Vec<Propstat> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for w in wanted {
        match available.iter().position(|(n, _)| n == w) {
            Some(i) => found.push(available.swap_remove(i)),
            None => missing.push((w.clone(), Value::Empty)),
        }
    }
    let mut out = vec![Propstat { status: 200, props: found }];
    if !missing.is_empty() {
        out.push(Propstat { status: 404, props: missing });
    }
    out
}

/// What a card's properties are made of.
pub struct CardInfo<'a> {
    pub user: &'a str,
    /// What the signed-in account may do in the card's book.
    pub access: Access,
    pub etag: String,
    pub last_modified: chrono::DateTime<chrono::Utc>,
    /// The card's text, when a property needs it (address-data, getcontentlength).
    pub text: Option<&'a str>,
}

/// Names of the properties a card has (for `propname` and to know whether to render it).
pub fn card_needs_text(names: &[Name]) -> bool {
    names.iter().any(|n| n.is(CARDDAV, "address-data") || n.is(DAV, "getcontentlength"))
}

/// The properties a card has, in the order `allprop` and `propname` list them.
const CARD_PROPS: [(&str, &str); 9] = [
    (DAV, "resourcetype"),
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getlastmodified"),
    (DAV, "current-user-principal"),
    (DAV, "owner"),
    (DAV, "current-user-privilege-set"),
    (DAV, "getcontentlength"),
    (CARDDAV, "address-data"),
];

/// One property of a card, if it has it (computed only when asked: listings of thousands of
/// cards ask for one or two).
pub fn card_prop(name: &Name, c: &CardInfo<'_>) -> Option<Value> {
    Some(match (name.ns.as_str(), name.local.as_str()) {
        (DAV, "resourcetype") => Value::Empty,
        (DAV, "getetag") => Value::Text(c.etag.clone()),
        (DAV, "getcontenttype") => Value::Text("text/vcard; charset=utf-8".into()),
        (DAV, "getlastmodified") => Value::Text(http_date(c.last_modified)),
        (DAV, "current-user-principal") | (DAV, "owner") => {
            Value::Href(paths::principal_href(c.user))
        }
        (DAV, "current-user-privilege-set") => Value::Xml(privileges(c.access).into()),
        (DAV, "getcontentlength") => Value::Text(c.text?.len().to_string()),
        (CARDDAV, "address-data") => Value::Text(c.text?.to_string()),
        _ => return None,
    })
}

/// Every property of a card.
pub fn card_props(c: &CardInfo<'_>) -> Vec<(Name, Value)> {
    CARD_PROPS
        .iter()
        .filter_map(|(ns, local)| {
            let n = Name::new(ns, local);
            card_prop(&n, c).map(|v| (n, v))
        })
        .collect()
}

/// The propstats of a card for a list of wanted names.
pub fn pick_card(wanted: &[Name], c: &CardInfo<'_>) -> Vec<Propstat> {
    let mut found = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for w in wanted {
        match card_prop(w, c) {
            Some(v) => found.push((w.clone(), v)),
            None => missing.push((w.clone(), Value::Empty)),
        }
    }
    let mut out = vec![Propstat { status: 200, props: found }];
    if !missing.is_empty() {
        out.push(Propstat { status: 404, props: missing });
    }
    out
}

pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The vCard version a client asked for: `4.0` in an `address-data` element or an `Accept`
/// header; vCard 3.0 otherwise (what every client reads).
pub fn version_of(asked: Option<&str>) -> VcardVersion {
    match asked {
        Some(v) if v.contains("4.0") => VcardVersion::V4,
        _ => VcardVersion::V3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Entry;
    use crate::response::Multistatus;

    fn info() -> CollectionInfo {
        CollectionInfo {
            user: "alice".into(),
            book_name: "Contacts".into(),
            description: String::new(),
            owner: Some("alice".into()),
            access: Access::Owner,
            seq: 42,
            max_resource_size: 1 << 20,
        }
    }

    fn body(target: &Target, req: &Propfind) -> String {
        let mut m = Multistatus::new();
        m.push(&Entry::Props {
            href: target.href(),
            propstats: select(req, collection_props(target, &info())),
        });
        m.finish(None)
    }

    #[test]
    fn address_book_props() {
        let req = Propfind::Prop(vec![
            Name::dav("resourcetype"),
            Name::dav("displayname"),
            Name::new(CALENDARSERVER, "getctag"),
            Name::dav("sync-token"),
            Name::dav("supported-report-set"),
            Name::card("supported-address-data"),
            Name::card("max-resource-size"),
            Name::new(CALENDARSERVER, "push-transports"),
        ]);
        insta::assert_snapshot!(body(&Target::Book("alice".into(), paths::BOOK.into()), &req));
    }

    #[test]
    fn principal_allprop_and_propname() {
        let p = Target::Principal("alice".into());
        insta::assert_snapshot!(body(
            &p,
            &Propfind::AllProp { include: vec![Name::card("addressbook-home-set")] }
        ));
        insta::assert_snapshot!(body(&p, &Propfind::PropName));
    }

    #[test]
    fn sync_tokens() {
        assert_eq!(parse_sync_token(&sync_token(17)), Some(17));
        assert_eq!(parse_sync_token("http://rolo.invalid/sync/-1"), None);
        assert_eq!(parse_sync_token("data:,17"), None);
    }
}
