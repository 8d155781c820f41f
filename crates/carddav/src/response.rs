//! Writing multistatus and error bodies. Pure: builds XML text from values.

use quick_xml::escape::escape;

use crate::xml::{Name, CALENDARSERVER, CARDDAV, DAV};

/// A property's value as it goes into a `propstat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An empty element (a 404 propstat, or a property with no value).
    Empty,
    Text(String),
    /// One `DAV:href`.
    Href(String),
    /// XML already written with the prefixes of [`Multistatus`] (`d:`, `card:`, `cs:`).
    Xml(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propstat {
    pub status: u16,
    pub props: Vec<(Name, Value)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Props {
        href: String,
        propstats: Vec<Propstat>,
    },
    /// A resource that is gone (sync-collection) or not found (multiget).
    Status {
        href: String,
        status: u16,
    },
    /// The truncation marker of RFC 6578 §3.6 (and of a limited addressbook-query).
    Truncated {
        href: String,
    },
}

/// The reason phrase of the statuses Rolo writes.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        424 => "Failed Dependency",
        507 => "Insufficient Storage",
        _ => "Error",
    }
}

fn prefix(ns: &str) -> Option<&'static str> {
    match ns {
        DAV => Some("d"),
        CARDDAV => Some("card"),
        CALENDARSERVER => Some("cs"),
        _ => None,
    }
}

/// Writes `<p:name>` or `<x:name xmlns:x="…">` for a name in another namespace.
fn open(out: &mut String, name: &Name, empty: bool) {
    out.push('<');
    match prefix(&name.ns) {
        Some(p) => {
            out.push_str(p);
            out.push(':');
            out.push_str(&name.local);
        }
        None if name.ns.is_empty() => out.push_str(&name.local),
        None => {
            out.push_str("x:");
            out.push_str(&name.local);
            out.push_str(" xmlns:x=\"");
            out.push_str(&escape(name.ns.as_str()));
            out.push('"');
        }
    }
    out.push_str(if empty { "/>" } else { ">" });
}

fn close(out: &mut String, name: &Name) {
    out.push_str("</");
    match prefix(&name.ns) {
        Some(p) => {
            out.push_str(p);
            out.push(':');
        }
        None if name.ns.is_empty() => {}
        None => out.push_str("x:"),
    }
    out.push_str(&name.local);
    out.push('>');
}

fn status_line(out: &mut String, status: u16) {
    out.push_str("<d:status>HTTP/1.1 ");
    out.push_str(&status.to_string());
    out.push(' ');
    out.push_str(reason(status));
    out.push_str("</d:status>");
}

pub fn href(out: &mut String, href: &str) {
    out.push_str("<d:href>");
    out.push_str(&escape(href));
    out.push_str("</d:href>");
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\" xmlns:cs=\"http://calendarserver.org/ns/\">";

/// A multistatus body, written as entries are added.
pub struct Multistatus {
    out: String,
}

impl Default for Multistatus {
    fn default() -> Self {
        Self::new()
    }
}

impl Multistatus {
    pub fn new() -> Self {
        let mut out = String::with_capacity(4096);
        out.push_str(HEAD);
        Multistatus { out }
    }

    pub fn with_capacity(entries: usize) -> Self {
        let mut m = Multistatus::new();
        m.out.reserve(entries * 200);
        m
    }

    pub fn push(&mut self, entry: &Entry) {
        let out = &mut self.out;
        out.push_str("<d:response>");
        match entry {
            Entry::Props { href: h, propstats } => {
                href(out, h);
                for ps in propstats.iter().filter(|p| !p.props.is_empty()) {
                    out.push_str("<d:propstat><d:prop>");
                    for (name, value) in &ps.props {
                        match value {
                            Value::Empty => open(out, name, true),
                            Value::Text(t) => {
                                open(out, name, false);
                                out.push_str(&escape(t.as_str()));
                                close(out, name);
                            }
                            Value::Href(h) => {
                                open(out, name, false);
                                href(out, h);
                                close(out, name);
                            }
                            Value::Xml(x) => {
                                open(out, name, false);
                                out.push_str(x);
                                close(out, name);
                            }
                        }
                    }
                    out.push_str("</d:prop>");
                    status_line(out, ps.status);
                    out.push_str("</d:propstat>");
                }
                // A response holds a propstat or a status (RFC 4918 §14.24): nothing asked
                // (an empty `prop`, or every property left out) is an empty 200 propstat.
                if propstats.iter().all(|p| p.props.is_empty()) {
                    out.push_str("<d:propstat><d:prop/>");
                    status_line(out, 200);
                    out.push_str("</d:propstat>");
                }
            }
            Entry::Status { href: h, status } => {
                href(out, h);
                status_line(out, *status);
            }
            Entry::Truncated { href: h } => {
                href(out, h);
                status_line(out, 507);
                out.push_str("<d:error><d:number-of-matches-within-limits/></d:error>");
            }
        }
        out.push_str("</d:response>");
    }

    /// Closes the body, with a `sync-token` (sync-collection) if given.
    pub fn finish(mut self, sync_token: Option<&str>) -> String {
        if let Some(t) = sync_token {
            self.out.push_str("<d:sync-token>");
            self.out.push_str(&escape(t));
            self.out.push_str("</d:sync-token>");
        }
        self.out.push_str("</d:multistatus>\n");
        self.out
    }
}

/// A `DAV:error` body naming a failed precondition, with a message for people.
pub fn error_body(condition: &Name, message: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\">");
    open(&mut out, condition, true);
    if !message.is_empty() {
        out.push_str("<d:responsedescription>");
        out.push_str(&escape(message));
        out.push_str("</d:responsedescription>");
    }
    out.push_str("</d:error>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multistatus_with_every_kind_of_entry() {
        let mut m = Multistatus::new();
        m.push(&Entry::Props {
            href: "/dav/addressbooks/alice/contacts/".into(),
            propstats: vec![
                Propstat {
                    status: 200,
                    props: vec![
                        (
                            Name::dav("resourcetype"),
                            Value::Xml("<d:collection/><card:addressbook/>".into()),
                        ),
                        (Name::dav("displayname"), Value::Text("Alice <& friends>".into())),
                        (Name::new(CALENDARSERVER, "getctag"), Value::Text("7".into())),
                        (
                            Name::dav("current-user-principal"),
                            Value::Href("/dav/principals/alice/".into()),
                        ),
                    ],
                },
                Propstat {
                    status: 404,
                    props: vec![(Name::new("http://example.com/ns/", "color"), Value::Empty)],
                },
                Propstat { status: 403, props: vec![] },
            ],
        });
        m.push(&Entry::Status {
            href: "/dav/addressbooks/alice/contacts/gone.vcf".into(),
            status: 404,
        });
        m.push(&Entry::Truncated { href: "/dav/addressbooks/alice/contacts/".into() });
        insta::assert_snapshot!(m.finish(Some("http://rolo.invalid/sync/7")));
    }

    #[test]
    fn an_error_body() {
        insta::assert_snapshot!(error_body(
            &Name::dav("valid-sync-token"),
            "The sync token is unknown or too old: sync again from the start."
        ));
    }
}
