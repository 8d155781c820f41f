//! Strategies shared by the suites: text made of the pieces that parsers treat specially, and
//! valid contacts.

use domain::{AddressDraft, ContactData, ContactDraft, ExtraField, LabeledDraft};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Characters and sequences with a meaning in vCard, CSV or XML, or that decoders and
/// normalisers trip on.
const SPECIAL: &[&str] = &[
    ",",
    ";",
    ":",
    "\"",
    "'",
    "\\",
    "\\n",
    "\\N",
    "\\,",
    "\\;",
    "\\\\",
    "=",
    "+",
    "-",
    "@",
    "*",
    "\t",
    "\r\n",
    "\n",
    "\r",
    " ",
    "  ",
    "\u{a0}",
    "\u{3000}",
    "\u{feff}",
    "\u{0}",
    "\u{1}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{200b}",
    "&",
    "&amp;",
    "&#0;",
    "<",
    ">",
    "]]>",
    "=0D=0A",
    "=E4=BD=A0",
    "=\r\n",
    "_x000D_",
    "ß",
    "İ",
    "ﬀ",
    "e\u{301}",
    "😀",
    "\u{10ffff}",
    "BEGIN:VCARD",
    "END:VCARD",
    "item1.",
    " ::: ",
    "* ",
];

/// One piece of text: plain words, CJK, any printable character, or something special.
pub fn atom() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ]{1,10}",
        2 => "[\u{4e00}-\u{9fa5}]{1,6}",
        1 => "\\PC{1,6}",
        2 => select(SPECIAL).prop_map(str::to_string),
    ]
    .boxed()
}

/// Up to `max` pieces, concatenated.
pub fn text(max: usize) -> impl Strategy<Value = String> {
    vec(atom(), 0..=max).prop_map(|v| v.concat())
}

/// Like [`text`], without control characters (what short contact fields accept).
pub fn printable(max: usize) -> impl Strategy<Value = String> {
    text(max).prop_map(|s| s.chars().filter(|c| !c.is_control()).collect())
}

/// What a phone number may look like: digits with separators, a prefix, an extension.
pub fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+]?[0-9][0-9 ()./-]{0,18}[0-9]",
        "(00|\\+)[0-9]{1,3}[ \u{a0}\u{3000}]?[0-9]{2,12}",
        "[0-9]{3,10}( ?(x|ext|#|,|;|p|w)[0-9]{1,4})?",
    ]
}

/// Email addresses, ordinary and odd (quotes, commas, semicolons, non-ASCII local parts).
pub fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9._%+'-]{1,12}@[a-z0-9-]{1,10}(\\.[a-z]{2,4}){1,2}",
        1 => "[\u{4e00}-\u{9fa5}]{1,4}@[\u{4e00}-\u{9fa5}]{1,3}\\.cn",
        1 => "[a-z]{1,4}[,;:\"=+&<>][a-z]{1,4}@[a-z]{1,6}\\.com",
    ]
}

/// A label as a form sends it: the standard ones in any case, or a custom one.
pub fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(&["mobile", "work", "home", "other", "", "cell", "Cell", "HOME", "Mobile"][..]).prop_map(str::to_string),
        1 => printable(3),
    ]
}

/// A birthday as a form sends it: none, a date from year 1000 on, or a month and day.
pub fn birthday() -> impl Strategy<Value = String> {
    let valid = |y: i32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y, m, d).is_some();
    prop_oneof![
        Just(String::new()),
        (1000i32..=9999, 1u32..=12, 1u32..=31)
            .prop_filter("a real day", move |(y, m, d)| valid(*y, *m, *d))
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (1900i32..=2030, 1u32..=12, 1u32..=31)
            .prop_filter("a real day", move |(y, m, d)| valid(*y, *m, *d))
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (1u32..=12, 1u32..=31)
            .prop_filter("a real day", move |(m, d)| valid(2000, *m, *d))
            .prop_map(|(m, d)| format!("--{m:02}-{d:02}")),
    ]
}

fn labeled(value: impl Strategy<Value = String>) -> impl Strategy<Value = LabeledDraft> {
    (label(), value).prop_map(|(label, value)| LabeledDraft { label, value })
}

fn address() -> impl Strategy<Value = AddressDraft> {
    let box_ext = (prop_oneof![Just(String::new()), printable(2)], printable(2));
    (label(), printable(4), printable(2), printable(2), "[0-9A-Z -]{0,8}", printable(2), box_ext)
        .prop_map(|(label, street, locality, region, postal_code, country, (po_box, extended))| {
            AddressDraft { label, po_box, extended, street, locality, region, postal_code, country }
        })
}

fn extra() -> impl Strategy<Value = ExtraField> {
    (printable(3), text(6)).prop_map(|(name, value)| ExtraField { name, value })
}

/// A contact as a form may send it (most of them valid).
pub fn draft() -> impl Strategy<Value = ContactDraft> {
    let names =
        (printable(3), printable(3), prop_oneof![Just(String::new()), printable(4)], printable(2));
    let lists = (
        vec(labeled(phone()), 0..4),
        vec(labeled(email()), 0..3),
        vec(address(), 0..3),
        vec(extra(), 0..4),
    );
    let rest = (printable(3), printable(3), birthday(), text(12));
    let more = (printable(2), printable(2), printable(2), printable(2));
    (names, lists, rest, more).prop_map(
        |(
            (family_name, given_name, display_name, nickname),
            (phones, emails, addresses, extra),
            (organization, title, birthday, notes),
            (additional_name, name_prefix, name_suffix, department),
        )| {
            ContactDraft {
                family_name,
                given_name,
                additional_name,
                name_prefix,
                name_suffix,
                department,
                display_name,
                nickname,
                phones,
                emails,
                addresses,
                organization,
                title,
                birthday,
                notes,
                extra,
                groups: Vec::new(),
                ..ContactDraft::default()
            }
        },
    )
}

/// A valid contact, built as the console builds one: through `ContactDraft::parse`.
pub fn contact() -> impl Strategy<Value = ContactData> {
    draft().prop_filter_map("the draft is not a valid contact", |d| d.parse().ok())
}

/// A group name as the console accepts it.
pub fn group_name() -> impl Strategy<Value = String> {
    printable(3).prop_filter_map("not a group name", |n| {
        domain::GroupData::parse(&n).ok().map(|g| g.name().to_string())
    })
}

/// The fields in which two contacts differ, each as `field: left ≠ right`, for failure messages.
pub fn diff(left: &ContactData, right: &ContactData) -> String {
    let fields: [(&str, String, String); 12] = [
        ("name", format!("{:?}", left.name), format!("{:?}", right.name)),
        ("display_name", format!("{:?}", left.display_name), format!("{:?}", right.display_name)),
        ("nickname", format!("{:?}", left.nickname), format!("{:?}", right.nickname)),
        ("phones", format!("{:?}", left.phones), format!("{:?}", right.phones)),
        ("emails", format!("{:?}", left.emails), format!("{:?}", right.emails)),
        ("addresses", format!("{:?}", left.addresses), format!("{:?}", right.addresses)),
        ("organization", format!("{:?}", left.organization), format!("{:?}", right.organization)),
        ("title", format!("{:?}", left.title), format!("{:?}", right.title)),
        ("birthday", format!("{:?}", left.birthday), format!("{:?}", right.birthday)),
        ("notes", format!("{:?}", left.notes), format!("{:?}", right.notes)),
        ("extra", format!("{:?}", left.extra), format!("{:?}", right.extra)),
        ("groups", format!("{:?}", left.groups), format!("{:?}", right.groups)),
    ];
    fields
        .iter()
        .filter(|(_, l, r)| l != r)
        .map(|(f, l, r)| format!("{f}: {l} ≠ {r}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A contact as it reads back from a CSV file or a workbook: a cell of nothing but whitespace is
/// an empty cell, so an extra field whose value is only whitespace reads back with an empty
/// value. (Every other field is trimmed by `ContactDraft::parse` anyway.)
pub fn as_tabled(data: &ContactData) -> ContactData {
    let mut d = data.clone();
    // Departments are written joined with "; " and read split at ";": empty units between others
    // stay, trailing ones go (as the form reads them).
    while d.org_units.last().is_some_and(String::is_empty) {
        d.org_units.pop();
    }
    for x in &mut d.extra {
        if x.value.trim().is_empty() {
            x.value.clear();
        }
    }
    d
}
