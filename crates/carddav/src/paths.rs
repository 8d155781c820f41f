//! The URL space under `/dav/`: per account a principal and an address-book home holding its
//! address books — the first one at `contacts/`, others at the name a client gave with MKCOL or
//! at their id, books shared with the account at their id. Pure.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub const ROOT: &str = "/dav/";
/// Where an account's first book is.
pub const BOOK: &str = "contacts";

/// What a segment keeps unencoded in the hrefs Rolo writes.
const SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Root,
    /// `/dav/principals/` or `/dav/addressbooks/`: the collections holding the signed-in
    /// account's principal or home.
    Parent(&'static str),
    Principal(String),
    Home(String),
    /// An address book: account name and the book's segment (decoded).
    Book(String, String),
    /// An address book member: account name, book segment and resource name (decoded).
    Card(String, String, String),
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

pub fn principal_href(user: &str) -> String {
    format!("{ROOT}principals/{}/", enc(user))
}
pub fn home_href(user: &str) -> String {
    format!("{ROOT}addressbooks/{}/", enc(user))
}
pub fn book_href(user: &str, book: &str) -> String {
    format!("{ROOT}addressbooks/{}/{}/", enc(user), enc(book))
}
pub fn card_href(user: &str, book: &str, name: &str) -> String {
    format!("{}{}", book_href(user, book), enc(name))
}

impl Target {
    pub fn href(&self) -> String {
        match self {
            Target::Root => ROOT.to_string(),
            Target::Parent(p) => format!("{ROOT}{p}/"),
            Target::Principal(u) => principal_href(u),
            Target::Home(u) => home_href(u),
            Target::Book(u, b) => book_href(u, b),
            Target::Card(u, b, n) => card_href(u, b, n),
        }
    }
    /// The address book's segment in the path, if any.
    pub fn book(&self) -> Option<&str> {
        match self {
            Target::Book(_, b) | Target::Card(_, b, _) => Some(b),
            _ => None,
        }
    }
    /// The account name in the path, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Target::Root | Target::Parent(_) => None,
            Target::Principal(u) | Target::Home(u) | Target::Book(u, _) | Target::Card(u, _, _) => {
                Some(u)
            }
        }
    }
}

/// Reads a request path (or an href from a body, possibly a whole URL) under `/dav/`.
/// `None` for anything else.
pub fn parse(path_or_url: &str) -> Option<Target> {
    let path = match path_or_url.find("://") {
        Some(i) => {
            let rest = &path_or_url[i + 3..];
            &rest[rest.find('/')?..]
        }
        None => path_or_url,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let rest = path.strip_prefix("/dav")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut segs = Vec::new();
    for (i, s) in rest.split('/').filter(|s| !s.is_empty()).enumerate() {
        let d = percent_decode_str(s).decode_utf8().ok()?.to_string();
        // A card's own name may hold anything a client percent-encodes (vdirsyncer makes names
        // from UIDs, newlines included); it is percent-encoded again wherever it is written.
        let control = i < 3 && d.chars().any(char::is_control);
        if d == "." || d == ".." || d.contains('/') || control {
            return None;
        }
        segs.push(d);
    }
    let user = |u: &String| u.to_lowercase();
    match segs.as_slice() {
        [] => Some(Target::Root),
        [p] if p == "principals" => Some(Target::Parent("principals")),
        [h] if h == "addressbooks" => Some(Target::Parent("addressbooks")),
        [p, u] if p == "principals" => Some(Target::Principal(user(u))),
        [h, u] if h == "addressbooks" => Some(Target::Home(user(u))),
        [h, u, b] if h == "addressbooks" && b.len() <= 200 => {
            Some(Target::Book(user(u), b.clone()))
        }
        [h, u, b, n] if h == "addressbooks" && b.len() <= 200 && n.len() <= 255 => {
            Some(Target::Card(user(u), b.clone(), n.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for t in [
            Target::Root,
            Target::Parent("principals"),
            Target::Parent("addressbooks"),
            Target::Principal("alice".into()),
            Target::Home("a.b@c".into()),
            Target::Book("alice".into(), BOOK.into()),
            Target::Book("alice".into(), "Work book".into()),
            Target::Card("alice".into(), BOOK.into(), "Ünïcode name 1.vcf".into()),
            Target::Card("alice".into(), "x".into(), "uid-with-newline\n.ics.vcf".into()),
        ] {
            assert_eq!(parse(&t.href()), Some(t.clone()), "{}", t.href());
        }
        assert_eq!(
            card_href("alice", BOOK, "a b+c.vcf"),
            "/dav/addressbooks/alice/contacts/a%20b%2Bc.vcf"
        );
    }

    #[test]
    fn urls_and_odd_paths() {
        assert_eq!(
            parse("https://dav.example.com:8443/dav/addressbooks/alice/contacts/x.vcf"),
            Some(Target::Card("alice".into(), BOOK.into(), "x.vcf".into()))
        );
        assert_eq!(parse("/dav"), Some(Target::Root));
        assert_eq!(
            parse("/dav/addressbooks/Alice/contacts"),
            Some(Target::Book("alice".into(), BOOK.into()))
        );
        assert_eq!(
            parse("/dav/addressbooks/alice/other/"),
            Some(Target::Book("alice".into(), "other".into()))
        );
        assert_eq!(parse("/davx/"), None);
        assert_eq!(parse("/dav/addressbooks/alice/contacts/%2e%2e"), None);
        assert_eq!(parse("/dav/addressbooks/alice/contacts/a%2Fb"), None);
        assert_eq!(parse("/dav/addressbooks/alice/contacts/a/b"), None);
    }
}
