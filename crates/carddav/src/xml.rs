//! A small XML tree read with quick-xml (namespaces resolved; no DTD or entity expansion, so no
//! XXE), for the request bodies of WebDAV methods.

use std::fmt;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const DAV: &str = "DAV:";
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
pub const CALENDARSERVER: &str = "http://calendarserver.org/ns/";

/// Deepest element nesting accepted in a request body.
const MAX_DEPTH: usize = 32;

/// A property (or any element) name: namespace and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    pub ns: String,
    pub local: String,
}

impl Name {
    pub fn new(ns: &str, local: &str) -> Self {
        Name { ns: ns.to_string(), local: local.to_string() }
    }
    pub fn dav(local: &str) -> Self {
        Name::new(DAV, local)
    }
    pub fn card(local: &str) -> Self {
        Name::new(CARDDAV, local)
    }
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.ns, self.local)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: Name,
    /// Attributes without a namespace prefix, by local name.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text, entities resolved.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name.is(ns, local))
    }
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name.is(ns, local))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn ns_of(r: &ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(ns) => ns.0.to_string(),
        _ => String::new(),
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    let bad = |e: &dyn fmt::Display| XmlError(format!("the XML body cannot be read: {e}"));
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| bad(&e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError("the XML body is nested too deeply".into()));
                }
                let ns = ns_of(&ns);
                let local = e.local_name().as_ref().to_string();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(&e))?;
                    let key = a.key.as_ref();
                    // Namespaces in XML 1.0 §5: a prefix cannot be bound to the empty name.
                    if key.starts_with("xmlns:") && a.value.is_empty() {
                        return Err(XmlError(format!(
                            "the XML body cannot be read: the prefix {:?} is bound to no namespace",
                            &key[6..]
                        )));
                    }
                    if key.contains(':') || key == "xmlns" {
                        continue;
                    }
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::default())
                        .map_err(|e| bad(&e))?
                        .to_string();
                    attrs.push((key.to_string(), value));
                }
                let el = Element {
                    name: Name { ns, local },
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                };
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => return Ok(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| XmlError("unbalanced XML".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c,
                    None => match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(XmlError(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::DocType(_) => {
                return Err(XmlError("document type declarations are not accepted".into()))
            }
            Event::Eof => return Err(XmlError("the XML body is empty or cut short".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}
