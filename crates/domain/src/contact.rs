//! A contact's content and how it is validated: the rules every stored contact follows
//! ([`ContactData::check`]), and the form's input ([`ContactDraft::parse`]).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{display_name_for, ContactId, GroupId, ValidationErrors};

/// The type label of a phone, email or address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Label {
    Mobile,
    Work,
    Home,
    Other,
    Custom(String),
}

impl Label {
    pub const STANDARD: [Label; 4] = [Label::Mobile, Label::Work, Label::Home, Label::Other];

    pub fn parse(raw: &str) -> Label {
        let t = raw.trim();
        match t.to_lowercase().as_str() {
            "" | "other" => Label::Other,
            "mobile" | "cell" | "cellular" => Label::Mobile,
            "work" => Label::Work,
            "home" => Label::Home,
            _ => Label::Custom(t.chars().take(64).collect()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Label::Mobile => "mobile",
            Label::Work => "work",
            Label::Home => "home",
            Label::Other => "other",
            Label::Custom(s) => s,
        }
    }
}

impl From<String> for Label {
    fn from(value: String) -> Self {
        Label::parse(&value)
    }
}
impl From<Label> for String {
    fn from(value: Label) -> Self {
        value.as_str().to_string()
    }
}

/// A value with its type label, and whether it is the preferred one of its kind (vCard's
/// `TYPE=pref`, `PREF=1` in 4.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labeled<T> {
    pub label: Label,
    pub value: T,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pref: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The labels the console offers for a phone (`fax`, `pager`… are vCard's own phone types).
pub const PHONE_LABELS: [&str; 7] = ["mobile", "work", "home", "main", "fax", "pager", "other"];
/// The labels the console offers for an email.
pub const EMAIL_LABELS: [&str; 3] = ["work", "home", "other"];
/// The labels the console offers for an address.
pub const ADDRESS_LABELS: [&str; 3] = ["home", "work", "other"];
/// The labels the console offers for a website.
pub const WEBSITE_LABELS: [&str; 3] = ["home", "work", "other"];
/// The labels the console offers for an instant messaging address.
pub const IM_LABELS: [&str; 3] = ["home", "work", "other"];
/// The labels the console offers for a related person (how they are related).
pub const RELATED_LABELS: [&str; 9] =
    ["spouse", "partner", "parent", "child", "sibling", "friend", "assistant", "manager", "other"];

// ---------------------------------------------------------------------------------------------
// Phones, emails, addresses, birthdays
// ---------------------------------------------------------------------------------------------

/// Country calling codes recognised after `+` or `00` (prefix-free, as the ITU assigns them).
const COUNTRY_CODES: &[&str] = &[
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98", "351",
    "352", "353", "358", "380", "852", "853", "855", "856", "880", "886", "960", "966", "971",
    "972",
];

/// A phone number as the user wrote it (digits, spaces, `+ - ( ) . / * #`, extensions).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.chars().count() > 64 {
            return Err("A phone number has at most 64 characters.".into());
        }
        let allowed = |c: char| {
            c.is_ascii_digit()
                || c.is_whitespace()
                || matches!(
                    c,
                    '+' | '-'
                        | '('
                        | ')'
                        | '.'
                        | '/'
                        | '*'
                        | '#'
                        | ','
                        | ';'
                        | 'p'
                        | 'w'
                        | 'x'
                        | 'X'
                        | 'P'
                        | 'W'
                )
        };
        if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
            return Err(format!("“{bad}” is not allowed in a phone number."));
        }
        if s.chars().filter(|c| c.is_ascii_digit()).count() < 2 {
            return Err("A phone number needs at least two digits.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A phone number reduced for matching: its digits without an extension, without a recognised
    /// country code after `+`/`00`, and without leading zeros (trunk prefixes). So `+86 138 0013 8000`,
    /// `0086 13800138000` and `138-0013-8000` match, and so do `+86 10 6552 9988` and `010 6552 9988`,
    /// or `+44 20 7946 0000` and `020 7946 0000`. `None` for fewer than three digits.
    pub fn key(&self) -> Option<String> {
        let raw = self.as_str();
        let main =
            raw.split(['x', 'X', 'p', 'P', 'w', 'W', ',', ';', '#', '*']).next().unwrap_or(raw);
        let plus = main.trim_start().starts_with('+');
        let digits: String = main.chars().filter(char::is_ascii_digit).collect();
        let (international, mut rest) = match digits.strip_prefix("00") {
            Some(rest) if !plus => (true, rest),
            _ => (plus, digits.as_str()),
        };
        if international {
            if let Some(cc) =
                (1..=3).filter_map(|n| rest.get(..n)).find(|p| COUNTRY_CODES.contains(p))
            {
                rest = &rest[cc.len()..];
            }
        }
        let key = rest.trim_start_matches('0');
        (key.len() >= 3).then(|| key.to_string())
    }
    /// The digits only (with a leading `+` kept), for matching numbers written differently.
    pub fn digits(&self) -> String {
        let mut out = String::new();
        if self.0.starts_with('+') {
            out.push('+');
        }
        out.extend(self.0.chars().filter(|c| c.is_ascii_digit()));
        out
    }
}
impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

/// An email address (`local@domain`, checked for shape, not deliverability).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.len() > 254 {
            return Err("An email address has at most 254 characters.".into());
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err("An email address needs an “@”, like name@example.com.".into());
        };
        if local.is_empty() || domain.is_empty() {
            return Err("An email address looks like name@example.com.".into());
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("An email address cannot contain spaces.".into());
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err("The part after “@” is not a valid domain.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// A postal address; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// The post office box (vCard's first ADR component).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub po_box: String,
    /// The extended address: apartment, suite, floor (the second component).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extended: String,
    pub street: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self.parts().iter().all(|s| s.trim().is_empty())
    }
    /// The seven parts in vCard's order: PO box, extended, street, locality, region, postal code,
    /// country.
    pub fn parts(&self) -> [&String; 7] {
        [
            &self.po_box,
            &self.extended,
            &self.street,
            &self.locality,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
    }
    /// One line for lists: the non-empty parts joined by commas.
    pub fn one_line(&self) -> String {
        [
            &self.po_box,
            &self.extended,
            &self.street,
            &self.postal_code,
            &self.locality,
            &self.region,
            &self.country,
        ]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A birthday: a full date, or month and day without a year (vCard `--MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Birthday {
    Date(NaiveDate),
    MonthDay { month: u32, day: u32 },
}

impl Birthday {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let msg = || "Write a birthday as YYYY-MM-DD, or --MM-DD without the year.".to_string();
        if let Some(md) = s.strip_prefix("--") {
            let (m, d) = md.split_once('-').ok_or_else(msg)?;
            let month: u32 = m.parse().map_err(|_| msg())?;
            let day: u32 = d.parse().map_err(|_| msg())?;
            // 2000 is a leap year, so 02-29 is accepted.
            NaiveDate::from_ymd_opt(2000, month, day)
                .ok_or_else(|| "That day does not exist.".to_string())?;
            return Ok(Birthday::MonthDay { month, day });
        }
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| msg())?;
        if date.year_ce().1 < 1000 {
            return Err(msg());
        }
        Ok(Birthday::Date(date))
    }
}
use chrono::Datelike;

impl fmt::Display for Birthday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Birthday::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Birthday::MonthDay { month, day } => write!(f, "--{month:02}-{day:02}"),
        }
    }
}
impl TryFrom<String> for Birthday {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Birthday> for String {
    fn from(value: Birthday) -> Self {
        value.to_string()
    }
}

/// The image types a photo may be (what browsers and phones show).
pub const PHOTO_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// A contact's photo: an image inline, as a `data:<type>;base64,<bytes>` URL (vCard 4.0's form;
/// vCard 3.0's `ENCODING=b;TYPE=JPEG` line is the same bytes). The type is one of
/// [`PHOTO_TYPES`] and the text base64, checked without decoding it; its size counts towards the
/// contact's size limit like any other field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Photo(String);

impl Photo {
    /// A photo from a `data:` URL (whitespace in the base64 dropped).
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let rest = url
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("data:"))
            .map(|_| &url[5..])
            .ok_or("A photo is a data: URL of an image.")?;
        let (head, data) = rest.split_once(',').ok_or("A photo is a data: URL of an image.")?;
        let media = head
            .strip_suffix(";base64")
            .or_else(|| head.strip_suffix(";BASE64"))
            .ok_or("A photo's data: URL must be base64.")?;
        Self::from_parts(media, data)
    }

    /// A photo from its media type (`image/jpeg`, or vCard 3.0's `JPEG`) and base64 text.
    pub fn from_parts(media_type: &str, base64: &str) -> Result<Self, String> {
        let media = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let media = if media.contains('/') { media } else { format!("image/{media}") };
        let media = if media == "image/jpg" { "image/jpeg".to_string() } else { media };
        if !PHOTO_TYPES.contains(&media.as_str()) {
            return Err(format!("A photo must be JPEG, PNG, GIF or WebP, not {media}."));
        }
        // Photos are tens of kilobytes and read with every contact: checked byte by byte, and
        // copied once.
        let data: std::borrow::Cow<'_, str> = if base64.bytes().any(|b| b.is_ascii_whitespace()) {
            base64.chars().filter(|c| !c.is_ascii_whitespace()).collect::<String>().into()
        } else {
            base64.into()
        };
        let body = data.trim_end_matches('=');
        let ok = !body.is_empty()
            && data.len() - body.len() <= 2
            && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !ok {
            return Err("A photo's data is not base64.".into());
        }
        let mut url = String::with_capacity(5 + media.len() + 8 + data.len());
        url.push_str("data:");
        url.push_str(&media);
        url.push_str(";base64,");
        url.push_str(&data);
        Ok(Photo(url))
    }

    /// A photo from base64 bytes alone, its type told by its first bytes (for cards that do not
    /// say it).
    pub fn sniff(base64: &str) -> Result<Self, String> {
        let data = base64.trim_start();
        let media =
            [("/9j/", "jpeg"), ("iVBORw0KGgo", "png"), ("R0lGOD", "gif"), ("UklGR", "webp")]
                .iter()
                .find(|(magic, _)| data.starts_with(magic))
                .map(|(_, t)| *t)
                .ok_or("A photo must be JPEG, PNG, GIF or WebP.")?;
        Self::from_parts(media, data)
    }

    /// The `data:` URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `image/jpeg`, `image/png`…
    pub fn media_type(&self) -> &str {
        let head = &self.0[5..];
        &head[..head.find(';').unwrap_or(0)]
    }
    /// The base64 text of the bytes.
    pub fn base64(&self) -> &str {
        self.0.split_once(',').map(|(_, d)| d).unwrap_or_default()
    }
}

impl TryFrom<String> for Photo {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Photo> for String {
    fn from(value: Photo) -> Self {
        value.0
    }
}

/// A website: an `http://` or `https://` URL, or a bare domain with an optional path
/// (`example.com/me`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Website(String);

impl Website {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let msg = || "A website is an http:// or https:// address, or a domain like example.com.";
        if s.chars().count() > 2048 {
            return Err("A website has at most 2,048 characters.".into());
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("A website cannot contain spaces.".into());
        }
        let rest = match s.split_once("://") {
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                rest
            }
            Some(_) => return Err(msg().into()),
            None => s,
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        let host_ok = !host.is_empty()
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-'])
            && !host.contains("..")
            && host.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && (host.contains('.') || host.eq_ignore_ascii_case("localhost"));
        if !host_ok {
            return Err(msg().into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The address a link opens: the URL, or `https://` before a bare domain. Always http(s).
    pub fn href(&self) -> String {
        if self.0.contains("://") {
            self.0.clone()
        } else {
            format!("https://{}", self.0)
        }
    }
}
impl TryFrom<String> for Website {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Website> for String {
    fn from(value: Website) -> Self {
        value.0
    }
}

/// The instant messaging services the console names, by URI scheme, with their caption.
pub const IM_SERVICES: [(&str, &str); 10] = [
    ("xmpp", "XMPP"),
    ("sip", "SIP"),
    ("skype", "Skype"),
    ("matrix", "Matrix"),
    ("tg", "Telegram"),
    ("aim", "AIM"),
    ("icq", "ICQ"),
    ("msnim", "MSN"),
    ("ymsgr", "Yahoo"),
    ("qq", "QQ"),
];

/// An instant messaging address: a URI whose scheme names the service (`xmpp:ann@example.com`,
/// `sip:ann@example.com`, `skype:ann.lee`), as vCard's `IMPP` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Im(String);

impl Im {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let msg = || {
            "Write an instant messaging address with its service, like xmpp:name@example.com or skype:name."
                .to_string()
        };
        if s.chars().count() > MAX_SHORT {
            return Err(format!(
                "An instant messaging address has at most {MAX_SHORT} characters."
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("An instant messaging address cannot contain spaces.".into());
        }
        let (scheme, handle) = s.split_once(':').ok_or_else(msg)?;
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok || handle.trim_start_matches('/').is_empty() {
            return Err(msg());
        }
        Ok(Self(s.to_string()))
    }
    /// An address from a service's scheme and a handle.
    pub fn from_parts(scheme: &str, handle: &str) -> Result<Self, String> {
        Self::parse(&format!("{scheme}:{}", handle.trim()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The URI scheme, lower-cased (`xmpp`, `sip`…).
    pub fn scheme(&self) -> String {
        self.0.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default()
    }
    /// What follows the scheme.
    pub fn handle(&self) -> &str {
        self.0.split_once(':').map(|(_, h)| h).unwrap_or_default()
    }
    /// The service's name for people (`XMPP`, `Skype`…), or the scheme.
    pub fn service(&self) -> String {
        let scheme = self.scheme();
        IM_SERVICES
            .iter()
            .find(|(s, _)| *s == scheme)
            .map(|(_, c)| (*c).to_string())
            .unwrap_or(scheme)
    }
}
impl TryFrom<String> for Im {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Im> for String {
    fn from(value: Im) -> Self {
        value.0
    }
}

/// A field kept from an import (or a client) that Rolo's model has no place for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    pub name: String,
    pub value: String,
}

/// Name parts. Chinese names are shown family-first without a space.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StructuredName {
    pub family: String,
    pub given: String,
    /// Middle names (vCard's third N component).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub additional: String,
    /// Honorific prefixes (Dr., Mrs.).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Honorific suffixes (Jr., PhD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub suffix: String,
}

// ---------------------------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------------------------

/// A contact's content: what is sealed in the store. Only `ContactDraft::parse` builds one from
/// user input; deserialising re-validates phones, emails and birthdays.
///
/// Two contacts are equal when their fields and groups are: the card they are kept as is how
/// those fields are written, and is compared on its own where it matters.
#[derive(Debug, Clone, Default, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactData {
    pub name: StructuredName,
    pub display_name: String,
    pub nickname: String,
    pub phones: Vec<Labeled<Phone>>,
    pub emails: Vec<Labeled<Email>>,
    pub addresses: Vec<Labeled<Address>>,
    pub organization: String,
    /// The organizational units under the organization (vCard's ORG components after the
    /// first), outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub org_units: Vec<String>,
    pub title: String,
    pub birthday: Option<Birthday>,
    /// Websites (vCard `URL`), in the order the user set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<Labeled<Website>>,
    /// Instant messaging addresses (vCard `IMPP`, or Apple's `X-JABBER`, `X-SKYPE`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ims: Vec<Labeled<Im>>,
    /// Related people: a name (or a URI), labelled by the relation (`spouse`, `child`…);
    /// vCard 4.0 `RELATED`, Apple's `X-ABRELATEDNAMES`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Labeled<String>>,
    /// The anniversary (vCard 4.0 `ANNIVERSARY`, 3.0 `X-ANNIVERSARY`, Apple's `X-ABDATE`
    /// labelled as one); the year is optional, as for a birthday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anniversary: Option<Birthday>,
    pub notes: String,
    /// The photo (a vCard's first inline `PHOTO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<Photo>,
    pub extra: Vec<ExtraField>,
    /// The groups the contact is in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupId>,
    /// The vCard this contact is kept as: every property as it was written, in order. The
    /// fields above are its typed view; a write that changes them changes only the card's
    /// lines they came from (see the `vcard` crate). `None` for a contact that never came in as
    /// a card (made in the console, from a CSV row, by a device): its card is made from its
    /// fields when one is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
}

impl PartialEq for ContactData {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.display_name == other.display_name
            && self.nickname == other.nickname
            && self.phones == other.phones
            && self.emails == other.emails
            && self.addresses == other.addresses
            && self.organization == other.organization
            && self.org_units == other.org_units
            && self.title == other.title
            && self.birthday == other.birthday
            && self.websites == other.websites
            && self.ims == other.ims
            && self.related == other.related
            && self.anniversary == other.anniversary
            && self.notes == other.notes
            && self.photo == other.photo
            && self.extra == other.extra
            && self.groups == other.groups
    }
}

/// The vCard version a card is kept in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardVersion {
    /// vCard 3.0 (RFC 2426); 2.1 cards are kept as 3.0.
    #[default]
    #[serde(rename = "3.0")]
    V3,
    /// vCard 4.0 (RFC 6350).
    #[serde(rename = "4.0")]
    V4,
}

/// A vCard as kept: its version and its content lines, unfolded, without `BEGIN`, `END` and
/// `VERSION`, each exactly as the client wrote it (control characters other than tab removed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub version: CardVersion,
    pub lines: Vec<String>,
}

/// At most this many lines in a card.
pub const MAX_CARD_LINES: usize = 2_000;

impl Card {
    /// A card's own rules: at most [`MAX_CARD_LINES`] lines, each a property (`NAME:` or
    /// `NAME;…:`) with no line break, NUL or other control character but tab, and none of them
    /// `BEGIN`, `END` or `VERSION`.
    pub fn check(&self) -> Result<(), String> {
        if self.lines.len() > MAX_CARD_LINES {
            return Err(format!("A card has at most {MAX_CARD_LINES} lines."));
        }
        for (i, line) in self.lines.iter().enumerate() {
            if line.chars().any(|c| c.is_control() && c != '\t') {
                return Err(format!("Line {} of the card holds a control character.", i + 1));
            }
            let head = line.split([';', ':']).next().unwrap_or_default();
            let name = head.rsplit('.').next().unwrap_or_default();
            let ok_name = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && line.len() > head.len();
            if !ok_name {
                return Err(format!("Line {} of the card is not a vCard property.", i + 1));
            }
            if ["BEGIN", "END", "VERSION"].iter().any(|n| name.eq_ignore_ascii_case(n)) {
                return Err(format!("Line {} of the card cannot be {name}.", i + 1));
            }
        }
        Ok(())
    }
}

impl ContactData {
    /// The rules every stored contact follows, whichever way it came in (the store checks
    /// every write with it; [`ContactDraft::parse`] ends with it): short text within
    /// [`MAX_SHORT`] characters and free of control characters, at most [`MAX_ITEMS`] phones,
    /// emails and addresses, notes within [`MAX_NOTES`], at most [`MAX_EXTRA`] named extra
    /// fields, and a name, an organization, a phone number or an email address to know it by.
    /// (Phones, emails and the birthday are valid by their types.)
    pub fn check(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        short(&mut errors, "family_name", &self.name.family, "A family name");
        short(&mut errors, "given_name", &self.name.given, "A given name");
        short(&mut errors, "additional_name", &self.name.additional, "A middle name");
        short(&mut errors, "name_prefix", &self.name.prefix, "A name prefix");
        short(&mut errors, "name_suffix", &self.name.suffix, "A name suffix");
        for u in &self.org_units {
            short(&mut errors, "department", u, "A department");
        }
        if let Some(card) = &self.card {
            if let Err(m) = card.check() {
                errors.push("card", m);
            }
        }
        short(&mut errors, "display_name", &self.display_name, "A display name");
        short(&mut errors, "nickname", &self.nickname, "A nickname");
        short(&mut errors, "organization", &self.organization, "An organization");
        short(&mut errors, "title", &self.title, "A title");
        for (i, a) in self.addresses.iter().enumerate() {
            short(&mut errors, &format!("addresses[{i}].po_box"), &a.value.po_box, "A PO box");
            short(
                &mut errors,
                &format!("addresses[{i}].extended"),
                &a.value.extended,
                "An extended address",
            );
            short(&mut errors, &format!("addresses[{i}].street"), &a.value.street, "A street");
            short(&mut errors, &format!("addresses[{i}].locality"), &a.value.locality, "A city");
            short(&mut errors, &format!("addresses[{i}].region"), &a.value.region, "A region");
            short(
                &mut errors,
                &format!("addresses[{i}].postal_code"),
                &a.value.postal_code,
                "A postal code",
            );
            short(&mut errors, &format!("addresses[{i}].country"), &a.value.country, "A country");
        }
        for (i, r) in self.related.iter().enumerate() {
            short(&mut errors, &format!("related[{i}].value"), &r.value, "A related person");
            if r.value.trim().is_empty() {
                errors.push(format!("related[{i}].value"), "A related person needs a name.");
            }
        }
        for (field, n) in [
            ("phones", self.phones.len()),
            ("emails", self.emails.len()),
            ("addresses", self.addresses.len()),
            ("websites", self.websites.len()),
            ("ims", self.ims.len()),
            ("related", self.related.len()),
        ] {
            if n > MAX_ITEMS {
                errors.push(field, format!("At most {MAX_ITEMS} entries."));
            }
        }
        if self.notes.chars().count() > MAX_NOTES {
            errors.push("notes", format!("Notes have at most {MAX_NOTES} characters."));
        }
        if self.extra.len() > MAX_EXTRA {
            errors.push("extra", format!("At most {MAX_EXTRA} extra fields."));
        }
        for (i, x) in self.extra.iter().enumerate() {
            if x.name.trim().is_empty() {
                errors.push(format!("extra[{i}].name"), "An extra field needs a name.");
            }
        }
        if self.display_name.trim().is_empty()
            && self.organization.trim().is_empty()
            && self.phones.is_empty()
            && self.emails.is_empty()
        {
            errors.push(
                "display_name",
                "A contact needs at least a name, an organization, a phone number or an email address.",
            );
        }
        errors.into_result(())
    }

    /// Adds what `other` has in its lists and this contact lacks: phone numbers (the same
    /// number written differently counts once, see [`Phone::key`]), email addresses
    /// (case-insensitive), addresses, websites, instant messaging addresses, related people,
    /// other fields and groups; and its photo and anniversary when this contact has none.
    /// Nothing already here changes.
    pub fn unite_lists(&mut self, other: &ContactData) {
        for p in &other.phones {
            let key = p.value.key();
            if !self
                .phones
                .iter()
                .any(|q| q.value == p.value || key.is_some() && q.value.key() == key)
            {
                self.phones.push(p.clone());
            }
        }
        let email_key = |e: &Email| e.as_str().trim().to_lowercase();
        for e in &other.emails {
            let key = email_key(&e.value);
            if !self.emails.iter().any(|f| email_key(&f.value) == key) {
                self.emails.push(e.clone());
            }
        }
        for a in &other.addresses {
            if !self.addresses.iter().any(|b| b.value == a.value) {
                self.addresses.push(a.clone());
            }
        }
        for w in &other.websites {
            if !self.websites.iter().any(|v| v.value == w.value) {
                self.websites.push(w.clone());
            }
        }
        let im_key = |i: &Im| i.as_str().to_lowercase();
        for m in &other.ims {
            if !self.ims.iter().any(|n| im_key(&n.value) == im_key(&m.value)) {
                self.ims.push(m.clone());
            }
        }
        for r in &other.related {
            if !self.related.iter().any(|q| q.value == r.value && q.label == r.label) {
                self.related.push(r.clone());
            }
        }
        if self.anniversary.is_none() {
            self.anniversary = other.anniversary;
        }
        if self.photo.is_none() {
            self.photo.clone_from(&other.photo);
        }
        for x in &other.extra {
            if !self.extra.contains(x) {
                self.extra.push(x.clone());
            }
        }
        for g in &other.groups {
            if !self.groups.contains(g) {
                self.groups.push(*g);
            }
        }
    }
}

/// A stored contact: its id, revision and timestamps around the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: ContactData,
}

impl Contact {
    pub fn first_phone(&self) -> Option<&str> {
        self.data.phones.first().map(|p| p.value.as_str())
    }
    pub fn first_email(&self) -> Option<&str> {
        self.data.emails.first().map(|e| e.value.as_str())
    }
}

/// Length limits, in characters.
pub const MAX_SHORT: usize = 256;
pub const MAX_NOTES: usize = 20_000;
pub const MAX_ITEMS: usize = 50;
pub const MAX_EXTRA: usize = 200;

/// One labelled entry as a form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabeledDraft {
    pub label: String,
    pub value: String,
}

/// An address as a form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressDraft {
    pub label: String,
    pub po_box: String,
    pub extended: String,
    pub street: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// Unvalidated contact input, exactly as the user typed it. Empty rows are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactDraft {
    pub family_name: String,
    pub given_name: String,
    pub additional_name: String,
    pub name_prefix: String,
    pub name_suffix: String,
    pub display_name: String,
    pub nickname: String,
    pub phones: Vec<LabeledDraft>,
    pub emails: Vec<LabeledDraft>,
    pub addresses: Vec<AddressDraft>,
    pub websites: Vec<LabeledDraft>,
    /// Instant messaging addresses: `scheme:handle` (`xmpp:ann@example.com`).
    pub ims: Vec<LabeledDraft>,
    /// Related people: the label is the relation, the value the name.
    pub related: Vec<LabeledDraft>,
    pub organization: String,
    /// Organizational units, separated by `;`.
    pub department: String,
    pub title: String,
    pub birthday: String,
    pub notes: String,
    /// The birthday from the form's three controls (day and month, year optional); when
    /// the day or the month is given, these win over `birthday`.
    pub birthday_day: String,
    pub birthday_month: String,
    pub birthday_year: String,
    /// The position (from 0, among the rows as sent) of the preferred phone, email and
    /// address; empty for none.
    pub preferred_phone: String,
    pub preferred_email: String,
    pub preferred_address: String,
    pub preferred_website: String,
    pub preferred_im: String,
    pub preferred_related: String,
    /// The anniversary from the form's three controls (day and month, year optional).
    pub anniversary_day: String,
    pub anniversary_month: String,
    pub anniversary_year: String,
    /// The photo: a `data:` URL, empty for none, or [`PHOTO_KEEP`] for the photo the contact
    /// has (a form does not carry it back and forth).
    pub photo: String,
    pub extra: Vec<ExtraField>,
    /// Group ids (UUIDs) the contact is in.
    pub groups: Vec<String>,
}

/// A draft's `photo` that keeps the contact's photo as it is.
pub const PHOTO_KEEP: &str = "keep";

/// Checks one line of text: its length and no control characters.
fn short(errors: &mut ValidationErrors, field: &str, value: &str, what: &str) {
    if value.chars().count() > MAX_SHORT {
        errors.push(field, format!("{what} has at most {MAX_SHORT} characters."));
    }
    if value.chars().any(|c| c.is_control()) {
        errors.push(field, format!("{what} cannot contain control characters."));
    }
}

impl ContactDraft {
    /// Builds the contact a form describes: text trimmed, empty rows dropped, phones, emails,
    /// the birthday and groups parsed; then [`ContactData::check`]. Returns every problem at
    /// once, each at its field.
    pub fn parse(&self) -> Result<ContactData, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let trim = |s: &str| s.trim().to_string();
        let preferred = |raw: &str, i: usize| raw.trim().parse::<usize>().ok() == Some(i);
        let mut phones = Vec::new();
        for (i, p) in self.phones.iter().enumerate().filter(|(_, p)| !p.value.trim().is_empty()) {
            match Phone::parse(&p.value) {
                Ok(value) => phones.push(Labeled {
                    label: Label::parse(&p.label),
                    value,
                    pref: preferred(&self.preferred_phone, i),
                }),
                Err(m) => errors.push(format!("phones[{i}].value"), m),
            }
        }
        let mut emails = Vec::new();
        for (i, e) in self.emails.iter().enumerate().filter(|(_, e)| !e.value.trim().is_empty()) {
            match Email::parse(&e.value) {
                Ok(value) => emails.push(Labeled {
                    label: Label::parse(&e.label),
                    value,
                    pref: preferred(&self.preferred_email, i),
                }),
                Err(m) => errors.push(format!("emails[{i}].value"), m),
            }
        }
        let addresses = self
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| Labeled {
                pref: preferred(&self.preferred_address, i),
                label: Label::parse(&a.label),
                value: Address {
                    po_box: trim(&a.po_box),
                    extended: trim(&a.extended),
                    street: trim(&a.street),
                    locality: trim(&a.locality),
                    region: trim(&a.region),
                    postal_code: trim(&a.postal_code),
                    country: trim(&a.country),
                },
            })
            .filter(|a| !a.value.is_empty())
            .collect();
        let birthday = date_from_parts(
            &mut errors,
            "birthday",
            [&self.birthday_day, &self.birthday_month, &self.birthday_year],
            &self.birthday,
        );
        let anniversary = date_from_parts(
            &mut errors,
            "anniversary",
            [&self.anniversary_day, &self.anniversary_month, &self.anniversary_year],
            "",
        );
        let mut websites = Vec::new();
        for (i, w) in self.websites.iter().enumerate().filter(|(_, w)| !w.value.trim().is_empty()) {
            match Website::parse(&w.value) {
                Ok(value) => websites.push(Labeled {
                    label: Label::parse(&w.label),
                    value,
                    pref: preferred(&self.preferred_website, i),
                }),
                Err(m) => errors.push(format!("websites[{i}].value"), m),
            }
        }
        let mut ims = Vec::new();
        for (i, m) in self.ims.iter().enumerate().filter(|(_, m)| !m.value.trim().is_empty()) {
            match Im::parse(&m.value) {
                Ok(value) => ims.push(Labeled {
                    label: Label::parse(&m.label),
                    value,
                    pref: preferred(&self.preferred_im, i),
                }),
                Err(msg) => errors.push(format!("ims[{i}].value"), msg),
            }
        }
        let related = self
            .related
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.value.trim().is_empty())
            .map(|(i, r)| Labeled {
                label: relation_label(&r.label),
                value: trim(&r.value),
                pref: preferred(&self.preferred_related, i),
            })
            .collect();
        let extra: Vec<ExtraField> = self
            .extra
            .iter()
            .filter(|x| !x.name.trim().is_empty() || !x.value.trim().is_empty())
            .map(|x| ExtraField { name: x.name.trim().to_string(), value: x.value.clone() })
            .collect();
        let photo = match self.photo.trim() {
            "" | PHOTO_KEEP => None,
            url => match Photo::parse(url) {
                Ok(p) => Some(p),
                Err(m) => {
                    errors.push("photo", m);
                    None
                }
            },
        };
        let mut groups: Vec<GroupId> = Vec::new();
        for (i, g) in self.groups.iter().enumerate().filter(|(_, g)| !g.trim().is_empty()) {
            match GroupId::parse(g) {
                Ok(id) if !groups.contains(&id) => groups.push(id),
                Ok(_) => {}
                Err(e) => errors.push(format!("groups[{i}]"), e.to_string()),
            }
        }
        let name = StructuredName {
            family: trim(&self.family_name),
            given: trim(&self.given_name),
            additional: trim(&self.additional_name),
            prefix: trim(&self.name_prefix),
            suffix: trim(&self.name_suffix),
        };
        let mut org_units: Vec<String> = self.department.split(';').map(trim).collect();
        while org_units.last().is_some_and(String::is_empty) {
            org_units.pop();
        }
        let display = trim(&self.display_name);
        let display_name = if display.is_empty() { display_name_for(&name) } else { display };
        let data = ContactData {
            name,
            display_name,
            nickname: trim(&self.nickname),
            phones,
            emails,
            addresses,
            organization: trim(&self.organization),
            org_units,
            title: trim(&self.title),
            birthday,
            websites,
            ims,
            related,
            anniversary,
            notes: self.notes.trim().to_string(),
            photo,
            extra,
            groups,
            card: None,
        };
        if let Err(more) = data.check() {
            errors.0.extend(more.0);
        }
        errors.into_result(data)
    }

    /// The draft that shows `data` in a form (the inverse of `parse`).
    pub fn from_data(data: &ContactData) -> Self {
        let labeled = |l: &Label, v: &str| LabeledDraft {
            label: l.as_str().to_string(),
            value: v.to_string(),
        };
        let first_pref = |prefs: Vec<bool>| {
            prefs.iter().position(|p| *p).map(|i| i.to_string()).unwrap_or_default()
        };
        let (birthday_day, birthday_month, birthday_year) = date_parts(data.birthday);
        let (anniversary_day, anniversary_month, anniversary_year) = date_parts(data.anniversary);
        ContactDraft {
            family_name: data.name.family.clone(),
            given_name: data.name.given.clone(),
            additional_name: data.name.additional.clone(),
            name_prefix: data.name.prefix.clone(),
            name_suffix: data.name.suffix.clone(),
            display_name: data.display_name.clone(),
            nickname: data.nickname.clone(),
            phones: data.phones.iter().map(|p| labeled(&p.label, p.value.as_str())).collect(),
            emails: data.emails.iter().map(|e| labeled(&e.label, e.value.as_str())).collect(),
            addresses: data
                .addresses
                .iter()
                .map(|a| AddressDraft {
                    label: a.label.as_str().to_string(),
                    po_box: a.value.po_box.clone(),
                    extended: a.value.extended.clone(),
                    street: a.value.street.clone(),
                    locality: a.value.locality.clone(),
                    region: a.value.region.clone(),
                    postal_code: a.value.postal_code.clone(),
                    country: a.value.country.clone(),
                })
                .collect(),
            websites: data.websites.iter().map(|w| labeled(&w.label, w.value.as_str())).collect(),
            ims: data.ims.iter().map(|m| labeled(&m.label, m.value.as_str())).collect(),
            related: data.related.iter().map(|r| labeled(&r.label, &r.value)).collect(),
            organization: data.organization.clone(),
            department: data.org_units.join("; "),
            title: data.title.clone(),
            birthday: String::new(),
            birthday_day,
            birthday_month,
            birthday_year,
            preferred_phone: first_pref(data.phones.iter().map(|p| p.pref).collect()),
            preferred_email: first_pref(data.emails.iter().map(|p| p.pref).collect()),
            preferred_address: first_pref(data.addresses.iter().map(|p| p.pref).collect()),
            preferred_website: first_pref(data.websites.iter().map(|p| p.pref).collect()),
            preferred_im: first_pref(data.ims.iter().map(|p| p.pref).collect()),
            preferred_related: first_pref(data.related.iter().map(|p| p.pref).collect()),
            anniversary_day,
            anniversary_month,
            anniversary_year,
            notes: data.notes.clone(),
            photo: data.photo.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            extra: data.extra.clone(),
            groups: data.groups.iter().map(|g| g.to_string()).collect(),
        }
    }
}

/// The day, month and year (empty when not known) a form shows for a date.
fn date_parts(date: Option<Birthday>) -> (String, String, String) {
    match date {
        Some(Birthday::Date(d)) => {
            (d.day().to_string(), d.month().to_string(), d.year().to_string())
        }
        Some(Birthday::MonthDay { month, day }) => {
            (day.to_string(), month.to_string(), String::new())
        }
        None => Default::default(),
    }
}

/// A date from a form's day, month and optional year (`[day, month, year]`); when neither the
/// day nor the month is given, from `text` (`YYYY-MM-DD` or `--MM-DD`). Problems go to `field`.
fn date_from_parts(
    errors: &mut ValidationErrors,
    field: &str,
    [day, month, year]: [&str; 3],
    text: &str,
) -> Option<Birthday> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    let from_parts = !day.is_empty() || !month.is_empty();
    let date_text = if from_parts {
        let y = if year.is_empty() { Ok(2000) } else { year.parse::<i32>() };
        match (day.parse::<u32>(), month.parse::<u32>(), y) {
            (Ok(_), Ok(_), Ok(y)) if !(1000..=9999).contains(&y) => {
                errors.push(field, "Write the year with four digits, or leave it empty.");
                return None;
            }
            (Ok(d), Ok(m), Ok(y)) if NaiveDate::from_ymd_opt(y, m, d).is_none() => {
                errors.push(field, "That day does not exist.");
                return None;
            }
            (Ok(d), Ok(m), _) if year.is_empty() => format!("--{m:02}-{d:02}"),
            (Ok(d), Ok(m), Ok(y)) => format!("{y}-{m:02}-{d:02}"),
            _ => "?".into(),
        }
    } else if !year.is_empty() {
        "?".into()
    } else {
        text.to_string()
    };
    if date_text.trim().is_empty() {
        None
    } else if date_text == "?" {
        errors.push(field, "Choose the day and the month (the year may stay empty).");
        None
    } else {
        match Birthday::parse(&date_text) {
            Ok(b) => Some(b),
            Err(m) => {
                errors.push(field, m);
                None
            }
        }
    }
}

/// A relation's label: the console's words (any case) lower-cased, any other kept as written.
pub fn relation_label(raw: &str) -> Label {
    let lower = raw.trim().to_lowercase();
    match RELATED_LABELS.iter().find(|w| **w == lower) {
        Some(w) => Label::parse(w),
        None => Label::parse(raw),
    }
}
