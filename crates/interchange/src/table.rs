//! The column model shared by CSV and Excel: recognising headers (dialects), mapping a row to a
//! contact, and the export layouts.

use std::collections::{BTreeMap, HashMap};

use domain::{AddressDraft, ContactData, ContactDraft, ExtraField, Label, LabeledDraft};

use crate::ExportError;

/// Where a file's columns come from, recognised from its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Rolo's own export ([`Layout::Rolo`]).
    Rolo,
    /// Google Contacts (`Phone 1 - Value`, `E-mail 1 - Label`, …; old and new exports).
    Google,
    /// Outlook (`Mobile Phone`, `Business Street`, `E-mail 2 Address`, …).
    Outlook,
    /// Chinese headers as people write them (姓名, 手机, 邮箱, 公司, …).
    Chinese,
    /// None of the above: common English names (Name, Phone, Email, …) where they match.
    Generic,
}

/// A part of a postal address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressPart {
    Street,
    Locality,
    Region,
    PostalCode,
    Country,
    PoBox,
    /// Apartment, suite, floor.
    Extended,
}

/// A contact field a column can fill. Columns with the same `slot` belong together (a phone
/// number and its label); `label` is the label a column implies (Outlook's `Mobile Phone`), used
/// when no label column says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Uid,
    DisplayName,
    FamilyName,
    GivenName,
    /// Middle names.
    AdditionalName,
    NamePrefix,
    NameSuffix,
    Nickname,
    Organization,
    /// Organizational units (`;` between several).
    Department,
    Title,
    Birthday,
    Notes,
    /// Group names (several per cell).
    Groups,
    Phone {
        slot: u32,
        label: Option<Label>,
    },
    PhoneLabel {
        slot: u32,
    },
    Email {
        slot: u32,
        label: Option<Label>,
    },
    EmailLabel {
        slot: u32,
    },
    Address {
        slot: u32,
        part: AddressPart,
        label: Option<Label>,
    },
    AddressLabel {
        slot: u32,
    },
    /// Name of an extra field (Rolo's `Extra 1 Name`, Google's `Custom Field 1 - Label`).
    ExtraName {
        slot: u32,
    },
    ExtraValue {
        slot: u32,
    },
    Website {
        slot: u32,
        label: Option<Label>,
    },
    WebsiteLabel {
        slot: u32,
    },
    /// An instant messaging address (`xmpp:…`, or a handle with a service column).
    Im {
        slot: u32,
        label: Option<Label>,
    },
    ImLabel {
        slot: u32,
    },
    /// Google's `IM 1 - Service` (Skype, Jabber…).
    ImService {
        slot: u32,
    },
    Related {
        slot: u32,
        label: Option<Label>,
    },
    RelatedLabel {
        slot: u32,
    },
    Anniversary,
    /// Google's `Event 1 - Value`: the anniversary when its label says so, else an extra field.
    Event {
        slot: u32,
    },
    EventLabel {
        slot: u32,
    },
}

/// What to do with one column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnTarget {
    Field(Field),
    /// Keep the cell as an extra field named after the column's header.
    Extra,
    Ignore,
}

/// One target per column, in column order. [`ColumnMapping::suggest`] fills it from the headers;
/// a caller may change any entry before reading the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    pub columns: Vec<ColumnTarget>,
}

/// A row read into a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRow {
    /// Line (CSV) or row (Excel) number, counting from 1 with the header.
    pub line: usize,
    pub uid: Option<String>,
    pub data: ContactData,
    pub groups: Vec<String>,
}

/// A row that could not be read, with reasons a person understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Line {line}: {reason}")]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

pub type RowResult = Result<ImportedRow, RowError>;

/// Normalises a header for matching: trimmed, lowercase, single spaces.
fn norm(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `"phone 3 - value"` with prefix `"phone "` and suffix `" - value"` gives 3.
fn numbered(h: &str, prefix: &str, suffix: &str) -> Option<u32> {
    h.strip_prefix(prefix)?.strip_suffix(suffix)?.trim().parse().ok().filter(|n| *n > 0)
}

/// The address parts the Rolo layout writes only when some contact has them.
const MORE_PARTS: [(AddressPart, &str); 2] =
    [(AddressPart::PoBox, "PO Box"), (AddressPart::Extended, "Extended")];

const PARTS: [(AddressPart, &str); 5] = [
    (AddressPart::Street, "Street"),
    (AddressPart::Locality, "City"),
    (AddressPart::Region, "Region"),
    (AddressPart::PostalCode, "Postal Code"),
    (AddressPart::Country, "Country"),
];

fn rolo(h: &str) -> Option<Field> {
    let simple = match h {
        "uid" => Some(Field::Uid),
        "display name" => Some(Field::DisplayName),
        "family name" => Some(Field::FamilyName),
        "given name" => Some(Field::GivenName),
        "middle name" => Some(Field::AdditionalName),
        "name prefix" => Some(Field::NamePrefix),
        "name suffix" => Some(Field::NameSuffix),
        "nickname" => Some(Field::Nickname),
        "organization" => Some(Field::Organization),
        "department" => Some(Field::Department),
        "title" => Some(Field::Title),
        "birthday" => Some(Field::Birthday),
        "notes" => Some(Field::Notes),
        "groups" => Some(Field::Groups),
        _ => None,
    };
    simple
        .or_else(|| numbered(h, "phone ", " label").map(|slot| Field::PhoneLabel { slot }))
        .or_else(|| numbered(h, "phone ", "").map(|slot| Field::Phone { slot, label: None }))
        .or_else(|| numbered(h, "email ", " label").map(|slot| Field::EmailLabel { slot }))
        .or_else(|| numbered(h, "email ", "").map(|slot| Field::Email { slot, label: None }))
        .or_else(|| numbered(h, "address ", " label").map(|slot| Field::AddressLabel { slot }))
        .or_else(|| {
            PARTS.iter().chain(MORE_PARTS.iter()).find_map(|(part, name)| {
                numbered(h, "address ", &format!(" {}", name.to_lowercase()))
                    .map(|slot| Field::Address { slot, part: *part, label: None })
            })
        })
        .or_else(|| numbered(h, "extra ", " name").map(|slot| Field::ExtraName { slot }))
        .or_else(|| numbered(h, "extra ", " value").map(|slot| Field::ExtraValue { slot }))
        .or_else(|| (h == "anniversary").then_some(Field::Anniversary))
        .or_else(|| numbered(h, "website ", " label").map(|slot| Field::WebsiteLabel { slot }))
        .or_else(|| numbered(h, "website ", "").map(|slot| Field::Website { slot, label: None }))
        .or_else(|| numbered(h, "im ", " label").map(|slot| Field::ImLabel { slot }))
        .or_else(|| numbered(h, "im ", "").map(|slot| Field::Im { slot, label: None }))
        .or_else(|| numbered(h, "related ", " label").map(|slot| Field::RelatedLabel { slot }))
        .or_else(|| numbered(h, "related ", "").map(|slot| Field::Related { slot, label: None }))
}

fn google(h: &str) -> Option<Field> {
    let simple = match h {
        "name" | "file as" => Some(Field::DisplayName),
        "given name" | "first name" => Some(Field::GivenName),
        "family name" | "last name" => Some(Field::FamilyName),
        "additional name" | "middle name" => Some(Field::AdditionalName),
        "name prefix" => Some(Field::NamePrefix),
        "name suffix" => Some(Field::NameSuffix),
        "nickname" => Some(Field::Nickname),
        "organization 1 - name" | "organization name" => Some(Field::Organization),
        "organization 1 - department" | "organization department" => Some(Field::Department),
        "organization 1 - title" | "organization title" => Some(Field::Title),
        "birthday" => Some(Field::Birthday),
        "notes" => Some(Field::Notes),
        "group membership" | "labels" => Some(Field::Groups),
        _ => None,
    };
    let label = |h: &str, what: &str| {
        numbered(h, what, " - type").or_else(|| numbered(h, what, " - label"))
    };
    simple
        .or_else(|| {
            numbered(h, "phone ", " - value").map(|slot| Field::Phone { slot, label: None })
        })
        .or_else(|| label(h, "phone ").map(|slot| Field::PhoneLabel { slot }))
        .or_else(|| {
            numbered(h, "e-mail ", " - value").map(|slot| Field::Email { slot, label: None })
        })
        .or_else(|| label(h, "e-mail ").map(|slot| Field::EmailLabel { slot }))
        .or_else(|| label(h, "address ").map(|slot| Field::AddressLabel { slot }))
        .or_else(|| {
            PARTS.iter().find_map(|(part, name)| {
                numbered(h, "address ", &format!(" - {}", name.to_lowercase()))
                    .map(|slot| Field::Address { slot, part: *part, label: None })
            })
        })
        .or_else(|| {
            [(AddressPart::PoBox, " - po box"), (AddressPart::Extended, " - extended address")]
                .iter()
                .find_map(|(part, suffix)| {
                    numbered(h, "address ", suffix).map(|slot| Field::Address {
                        slot,
                        part: *part,
                        label: None,
                    })
                })
        })
        .or_else(|| label(h, "custom field ").map(|slot| Field::ExtraName { slot }))
        .or_else(|| numbered(h, "custom field ", " - value").map(|slot| Field::ExtraValue { slot }))
        .or_else(|| label(h, "website ").map(|slot| Field::WebsiteLabel { slot }))
        .or_else(|| {
            numbered(h, "website ", " - value").map(|slot| Field::Website { slot, label: None })
        })
        .or_else(|| label(h, "im ").map(|slot| Field::ImLabel { slot }))
        .or_else(|| numbered(h, "im ", " - service").map(|slot| Field::ImService { slot }))
        .or_else(|| numbered(h, "im ", " - value").map(|slot| Field::Im { slot, label: None }))
        .or_else(|| label(h, "relation ").map(|slot| Field::RelatedLabel { slot }))
        .or_else(|| {
            numbered(h, "relation ", " - value").map(|slot| Field::Related { slot, label: None })
        })
        .or_else(|| label(h, "event ").map(|slot| Field::EventLabel { slot }))
        .or_else(|| numbered(h, "event ", " - value").map(|slot| Field::Event { slot }))
}

fn outlook(h: &str, column: u32) -> Option<Field> {
    let slot = 1000 + column;
    let phone = |label| Some(Field::Phone { slot, label: Some(label) });
    let related = |l: &str| Some(Field::Related { slot, label: Some(Label::parse(l)) });
    let custom =
        |h: &str| Label::Custom(h.split(' ').map(capitalise).collect::<Vec<_>>().join(" "));
    let field = match h {
        "first name" => Some(Field::GivenName),
        "last name" => Some(Field::FamilyName),
        "middle name" => Some(Field::AdditionalName),
        // Outlook's "Title" is the honorific (Mr., Dr.); the job is "Job Title".
        "title" => Some(Field::NamePrefix),
        "suffix" => Some(Field::NameSuffix),
        "nickname" => Some(Field::Nickname),
        "company" => Some(Field::Organization),
        "department" => Some(Field::Department),
        "job title" => Some(Field::Title),
        "birthday" => Some(Field::Birthday),
        "notes" => Some(Field::Notes),
        "categories" => Some(Field::Groups),
        "e-mail address" => Some(Field::Email { slot: 1, label: None }),
        "e-mail 2 address" => Some(Field::Email { slot: 2, label: None }),
        "e-mail 3 address" => Some(Field::Email { slot: 3, label: None }),
        "web page" => Some(Field::Website { slot, label: None }),
        "personal web page" => Some(Field::Website { slot, label: Some(Label::Home) }),
        "business web page" => Some(Field::Website { slot, label: Some(Label::Work) }),
        "anniversary" => Some(Field::Anniversary),
        "spouse" => related("spouse"),
        "children" => related("child"),
        "manager's name" => related("manager"),
        "assistant's name" => related("assistant"),
        "mobile phone" => phone(Label::Mobile),
        "business phone" | "business phone 2" | "company main phone" => phone(Label::Work),
        "home phone" | "home phone 2" => phone(Label::Home),
        "other phone" | "primary phone" => phone(Label::Other),
        "business fax" | "home fax" | "other fax" | "pager" | "car phone" | "assistant's phone" => {
            phone(custom(h))
        }
        _ => None,
    };
    field.or_else(|| {
        let (kind, rest) = h.split_once(' ')?;
        let (slot, label) = match kind {
            "business" => (1, Label::Work),
            "home" => (2, Label::Home),
            "other" => (3, Label::Other),
            _ => return None,
        };
        let part = match rest {
            "street" | "street 2" | "street 3" => AddressPart::Street,
            "city" => AddressPart::Locality,
            "state" => AddressPart::Region,
            "postal code" => AddressPart::PostalCode,
            "country" | "country/region" => AddressPart::Country,
            _ => return None,
        };
        Some(Field::Address { slot, part, label: Some(label) })
    })
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn chinese(h: &str, column: u32) -> Option<Field> {
    let slot = 1000 + column;
    let phone = |label| Some(Field::Phone { slot, label: Some(label) });
    let address =
        |label| Some(Field::Address { slot, part: AddressPart::Street, label: Some(label) });
    match h {
        "姓名" | "名字" | "联系人" => Some(Field::DisplayName),
        "姓" | "姓氏" => Some(Field::FamilyName),
        "名" => Some(Field::GivenName),
        "昵称" => Some(Field::Nickname),
        "手机" | "手机号" | "手机号码" | "移动电话" => phone(Label::Mobile),
        "电话" | "电话号码" | "固定电话" | "座机" => phone(Label::Other),
        "办公电话" | "工作电话" | "单位电话" => phone(Label::Work),
        "家庭电话" | "住宅电话" => phone(Label::Home),
        "邮箱" | "电子邮箱" | "电子邮件" | "邮件" => {
            Some(Field::Email { slot, label: None })
        }
        "公司" | "单位" | "公司名称" | "工作单位" => Some(Field::Organization),
        "职位" | "职务" | "头衔" => Some(Field::Title),
        "地址" | "联系地址" | "通讯地址" => address(Label::Other),
        "家庭地址" | "住址" => address(Label::Home),
        "公司地址" | "单位地址" | "工作地址" => address(Label::Work),
        "生日" | "出生日期" => Some(Field::Birthday),
        "备注" | "说明" => Some(Field::Notes),
        "分组" | "群组" | "组" => Some(Field::Groups),
        "网站" | "网址" | "主页" | "个人主页" => {
            Some(Field::Website { slot, label: None })
        }
        "纪念日" | "结婚纪念日" => Some(Field::Anniversary),
        "配偶" => Some(Field::Related { slot, label: Some(Label::parse("spouse")) }),
        _ => None,
    }
}

/// Common English names, used for every dialect when its own table does not know a header.
fn generic(h: &str, column: u32) -> Option<Field> {
    let slot = 1000 + column;
    match h {
        "name" | "full name" | "display name" => Some(Field::DisplayName),
        "first name" | "given name" | "firstname" => Some(Field::GivenName),
        "last name" | "surname" | "family name" | "lastname" => Some(Field::FamilyName),
        "middle name" => Some(Field::AdditionalName),
        "department" => Some(Field::Department),
        "nickname" => Some(Field::Nickname),
        "phone" | "telephone" | "tel" | "phone number" => Some(Field::Phone { slot, label: None }),
        "mobile" | "cell" | "mobile phone" | "cell phone" => {
            Some(Field::Phone { slot, label: Some(Label::Mobile) })
        }
        "email" | "e-mail" | "mail" | "email address" | "e-mail address" => {
            Some(Field::Email { slot, label: None })
        }
        "company" | "organization" | "organisation" => Some(Field::Organization),
        "title" | "job title" | "position" => Some(Field::Title),
        "birthday" | "date of birth" | "birth date" => Some(Field::Birthday),
        "notes" | "note" | "comments" => Some(Field::Notes),
        "address" => Some(Field::Address { slot, part: AddressPart::Street, label: None }),
        "groups" | "group" | "categories" | "category" => Some(Field::Groups),
        "uid" => Some(Field::Uid),
        "website" | "web site" | "web page" | "homepage" | "url" => {
            Some(Field::Website { slot, label: None })
        }
        "anniversary" => Some(Field::Anniversary),
        "spouse" => Some(Field::Related { slot, label: Some(Label::parse("spouse")) }),
        _ => None,
    }
}

fn dialect_field(dialect: Dialect, h: &str, column: u32) -> Option<Field> {
    match dialect {
        Dialect::Rolo => rolo(h),
        Dialect::Google => google(h),
        Dialect::Outlook => outlook(h, column),
        Dialect::Chinese => chinese(h, column),
        Dialect::Generic => None,
    }
}

impl ColumnMapping {
    /// Recognises the dialect (the one that knows most headers, unless `dialect` is given) and
    /// maps every column: known headers to their field, the rest to extra fields (empty headers
    /// are ignored).
    pub fn suggest(headers: &[String], dialect: Option<Dialect>) -> (Dialect, ColumnMapping) {
        let normed: Vec<String> = headers.iter().map(|h| norm(h)).collect();
        let count = |d: Dialect| {
            normed
                .iter()
                .enumerate()
                .filter(|(i, h)| dialect_field(d, h, *i as u32).is_some())
                .count()
        };
        let dialect = dialect.unwrap_or_else(|| {
            [Dialect::Rolo, Dialect::Google, Dialect::Outlook, Dialect::Chinese]
                .into_iter()
                .map(|d| (count(d), d))
                .fold((0, Dialect::Generic), |best, cur| if cur.0 > best.0 { cur } else { best })
                .1
        });
        let columns = normed
            .iter()
            .enumerate()
            .map(|(i, h)| {
                // Outlook's "Title" is Mr., Dr.…, not a job title.
                let generic_ok = !(dialect == Dialect::Outlook && h == "title");
                let field = dialect_field(dialect, h, i as u32)
                    .or_else(|| generic(h, i as u32).filter(|_| generic_ok));
                // Google's formatted address repeats the address parts.
                let derived = dialect == Dialect::Google
                    && h.starts_with("address ")
                    && h.ends_with(" - formatted");
                match field {
                    Some(f) => ColumnTarget::Field(f),
                    None if h.is_empty() || derived => ColumnTarget::Ignore,
                    None => ColumnTarget::Extra,
                }
            })
            .collect();
        (dialect, ColumnMapping { columns })
    }
}

/// The characters that make a spreadsheet read a cell as a formula, plus the apostrophe itself.
const FORMULA_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Formula-injection guard for CSV: a cell starting with `= + - @`, tab, CR or `'` gets a
/// leading `'`, which spreadsheets show as text.
pub fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`guard_formula`]: drops a leading `'` followed by one of the guarded characters.
pub fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// Turns the rows of one table into contacts, by a mapping.
pub(crate) struct RowMapper {
    dialect: Dialect,
    /// Undo [`guard_formula`] (CSV; Excel cells are never guarded).
    unguard: bool,
    headers: Vec<String>,
    columns: Vec<ColumnTarget>,
}

#[derive(Default)]
struct Slot {
    label: String,
    fixed: Option<Label>,
    values: Vec<String>,
    column: String,
    /// An instant messaging address's service (Google's `IM 1 - Service`).
    service: String,
}

/// The URI scheme of a service as spreadsheets name it (Google's `IM 1 - Service`).
fn im_scheme_of(service: &str) -> String {
    let s = service.trim().to_lowercase();
    let known = [
        ("skype", "skype"),
        ("jabber", "xmpp"),
        ("xmpp", "xmpp"),
        ("google talk", "xmpp"),
        ("aim", "aim"),
        ("icq", "icq"),
        ("msn", "msnim"),
        ("windows live", "msnim"),
        ("yahoo", "ymsgr"),
        ("qq", "qq"),
        ("sip", "sip"),
        ("matrix", "matrix"),
        ("telegram", "tg"),
    ];
    match known.iter().find(|(name, _)| *name == s) {
        Some((_, scheme)) => (*scheme).to_string(),
        None => s.chars().filter(|c| c.is_ascii_alphanumeric() || "+-.".contains(*c)).collect(),
    }
}

#[derive(Default)]
struct AddressSlot {
    label: String,
    fixed: Option<Label>,
    parts: HashMap<AddressPart, String>,
    column: String,
}

fn append(target: &mut String, value: &str, sep: &str) {
    if !target.is_empty() {
        target.push_str(sep);
    }
    target.push_str(value);
}

impl RowMapper {
    pub(crate) fn new(
        dialect: Dialect,
        headers: &[String],
        mapping: &ColumnMapping,
        unguard: bool,
    ) -> Result<Self, crate::ImportError> {
        if mapping.columns.len() != headers.len() {
            return Err(crate::ImportError::MappingMismatch {
                mapping: mapping.columns.len(),
                file: headers.len(),
            });
        }
        Ok(RowMapper {
            dialect,
            unguard,
            headers: headers.to_vec(),
            columns: mapping.columns.clone(),
        })
    }

    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }

    /// Maps one row; `None` for a row whose cells are all empty.
    pub(crate) fn map<'c>(
        &self,
        line: usize,
        cells: impl IntoIterator<Item = &'c str>,
    ) -> Option<RowResult> {
        let mut draft = ContactDraft::default();
        let mut uid = None;
        let mut groups: Vec<String> = Vec::new();
        let mut phones: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut emails: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut addresses: BTreeMap<u32, AddressSlot> = BTreeMap::new();
        let mut extras: BTreeMap<u32, (String, String)> = BTreeMap::new();
        let mut websites: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut ims: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut related: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut events: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut columns_of: HashMap<&'static str, &str> = HashMap::new();
        let mut any = false;

        for ((target, header), raw) in self.columns.iter().zip(&self.headers).zip(cells) {
            let value = if self.unguard { unguard_formula(raw) } else { raw };
            if value.trim().is_empty() {
                continue;
            }
            any = true;
            let Some(field) = (match target {
                ColumnTarget::Ignore => None,
                ColumnTarget::Extra => {
                    draft.extra.push(ExtraField {
                        name: header.trim().to_string(),
                        value: value.to_string(),
                    });
                    None
                }
                ColumnTarget::Field(f) => Some(f),
            }) else {
                continue;
            };
            let mut simple = |target: &mut String, key: &'static str, sep: &str| {
                append(target, value, sep);
                columns_of.entry(key).or_insert(header);
            };
            match field {
                Field::Uid => uid = Some(value.trim().to_string()),
                Field::DisplayName => simple(&mut draft.display_name, "display_name", " "),
                Field::FamilyName => simple(&mut draft.family_name, "family_name", " "),
                Field::GivenName => simple(&mut draft.given_name, "given_name", " "),
                Field::AdditionalName => simple(&mut draft.additional_name, "additional_name", " "),
                Field::NamePrefix => simple(&mut draft.name_prefix, "name_prefix", " "),
                Field::NameSuffix => simple(&mut draft.name_suffix, "name_suffix", " "),
                Field::Department => simple(&mut draft.department, "department", "; "),
                Field::Nickname => simple(&mut draft.nickname, "nickname", ", "),
                Field::Organization => simple(&mut draft.organization, "organization", ", "),
                Field::Title => simple(&mut draft.title, "title", ", "),
                Field::Notes => simple(&mut draft.notes, "notes", "\n"),
                Field::Birthday => {
                    draft.birthday = normalise_birthday(value);
                    columns_of.insert("birthday", header);
                }
                Field::Groups => groups.extend(split_groups(self.dialect, value)),
                Field::Phone { slot, label } | Field::Email { slot, label } => {
                    let map = if matches!(field, Field::Phone { .. }) {
                        &mut phones
                    } else {
                        &mut emails
                    };
                    let s = map.entry(*slot).or_default();
                    s.fixed.clone_from(label);
                    s.column = header.clone();
                    s.values.extend(value.split(" ::: ").map(str::to_string));
                }
                Field::PhoneLabel { slot } => {
                    phones.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::EmailLabel { slot } => {
                    emails.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::AddressLabel { slot } => {
                    addresses.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::Address { slot, part, label } => {
                    let a = addresses.entry(*slot).or_default();
                    a.fixed.clone_from(label);
                    if a.column.is_empty() {
                        a.column = header.clone();
                    }
                    append(a.parts.entry(*part).or_default(), value, ", ");
                }
                Field::ExtraName { slot } => extras.entry(*slot).or_default().0 = value.to_string(),
                Field::ExtraValue { slot } => {
                    extras.entry(*slot).or_default().1 = value.to_string()
                }
                Field::Website { slot, label }
                | Field::Im { slot, label }
                | Field::Related { slot, label } => {
                    let map = match field {
                        Field::Website { .. } => &mut websites,
                        Field::Im { .. } => &mut ims,
                        _ => &mut related,
                    };
                    let s = map.entry(*slot).or_default();
                    s.fixed.clone_from(label);
                    s.column = header.clone();
                    s.values.extend(value.split(" ::: ").map(|v| v.trim().to_string()));
                }
                Field::Event { slot } => {
                    let s = events.entry(*slot).or_default();
                    s.column = header.clone();
                    s.values.push(value.trim().to_string());
                }
                Field::WebsiteLabel { slot } => {
                    websites.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::ImLabel { slot } => {
                    ims.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::ImService { slot } => {
                    ims.entry(*slot).or_default().service = value.trim().to_string()
                }
                Field::RelatedLabel { slot } => {
                    related.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::EventLabel { slot } => {
                    events.entry(*slot).or_default().label = clean_label(self.dialect, value)
                }
                Field::Anniversary => {
                    set_date(&mut draft, &normalise_birthday(value));
                    columns_of.insert("anniversary", header);
                }
            }
        }
        if !any {
            return None;
        }

        let mut field_columns: HashMap<String, String> =
            columns_of.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let label = |s: &Slot| {
            if s.label.is_empty() {
                s.fixed.clone().unwrap_or(Label::Other).as_str().to_string()
            } else {
                s.label.clone()
            }
        };
        for (kind, map, list) in
            [("phones", phones, &mut draft.phones), ("emails", emails, &mut draft.emails)]
        {
            for s in map.values() {
                for v in &s.values {
                    field_columns.insert(format!("{kind}[{}].value", list.len()), s.column.clone());
                    list.push(LabeledDraft { label: label(s), value: v.clone() });
                }
            }
        }
        for (kind, map, list) in
            [("websites", websites, &mut draft.websites), ("related", related, &mut draft.related)]
        {
            for s in map.values() {
                for v in &s.values {
                    field_columns.insert(format!("{kind}[{}].value", list.len()), s.column.clone());
                    list.push(LabeledDraft { label: label(s), value: v.clone() });
                }
            }
        }
        for s in ims.values() {
            for v in &s.values {
                // An address with its scheme as it is; a handle with its service's scheme.
                let im = if s.service.is_empty() {
                    domain::Im::parse(v)
                } else {
                    let scheme = im_scheme_of(&s.service);
                    match domain::Im::parse(v) {
                        Ok(im) if im.scheme() == scheme => Ok(im),
                        _ => domain::Im::from_parts(&scheme, v),
                    }
                };
                match im {
                    Ok(im) => {
                        field_columns
                            .insert(format!("ims[{}].value", draft.ims.len()), s.column.clone());
                        draft.ims.push(LabeledDraft { label: label(s), value: im.as_str().into() });
                    }
                    // Not an address Rolo can tell the service of: kept as it was written.
                    Err(_) => {
                        draft.extra.push(ExtraField { name: s.column.clone(), value: v.clone() })
                    }
                }
            }
        }
        for s in events.values() {
            for v in &s.values {
                let date = normalise_birthday(v);
                let anniversary = s.label.trim().eq_ignore_ascii_case("anniversary");
                if anniversary && draft.anniversary_day.is_empty() && set_date(&mut draft, &date) {
                    field_columns.insert("anniversary".into(), s.column.clone());
                } else {
                    let name = if s.label.is_empty() {
                        s.column.clone()
                    } else {
                        format!("{} ({})", s.column, s.label)
                    };
                    draft.extra.push(ExtraField { name, value: v.clone() });
                }
            }
        }
        for a in addresses.values() {
            let part = |p| a.parts.get(&p).cloned().unwrap_or_default();
            let label = if a.label.is_empty() {
                a.fixed.clone().unwrap_or(Label::Other).as_str().to_string()
            } else {
                a.label.clone()
            };
            for key in ["street", "locality", "region", "postal_code", "country"] {
                field_columns.insert(
                    format!("addresses[{}].{key}", draft.addresses.len()),
                    a.column.clone(),
                );
            }
            draft.addresses.push(AddressDraft {
                label,
                street: part(AddressPart::Street),
                locality: part(AddressPart::Locality),
                region: part(AddressPart::Region),
                postal_code: part(AddressPart::PostalCode),
                country: part(AddressPart::Country),
                po_box: part(AddressPart::PoBox),
                extended: part(AddressPart::Extended),
            });
        }
        draft.extra.extend(extras.into_values().map(|(name, value)| ExtraField { name, value }));

        Some(match draft.parse() {
            Ok(data) => Ok(ImportedRow { line, uid, data, groups }),
            Err(errors) => {
                let reason = errors
                    .0
                    .iter()
                    .map(|e| match field_columns.get(&e.field) {
                        Some(column) => format!("{column}: {}", e.message),
                        None => e.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                Err(RowError { line, reason })
            }
        })
    }
}

/// Puts a normalised date (`YYYY-MM-DD`, `--MM-DD`) into the draft's anniversary controls;
/// text that is neither is put where validation reports it (a month it cannot read). `false`
/// for an empty date.
fn set_date(draft: &mut ContactDraft, date: &str) -> bool {
    let date = date.trim();
    if date.is_empty() {
        return false;
    }
    let (y, m, d) = match date.strip_prefix("--") {
        Some(md) => {
            let (m, d) = md.split_once('-').unwrap_or((md, ""));
            (String::new(), m, d)
        }
        None => {
            let mut parts = date.splitn(3, '-');
            let y = parts.next().unwrap_or_default().to_string();
            (y, parts.next().unwrap_or(date), parts.next().unwrap_or("?"))
        }
    };
    let number = |s: &str| s.trim_start_matches('0').to_string();
    draft.anniversary_year = y;
    draft.anniversary_month =
        if m.bytes().all(|b| b.is_ascii_digit()) { number(m) } else { m.into() };
    draft.anniversary_day =
        if d.bytes().all(|b| b.is_ascii_digit()) { number(d) } else { d.into() };
    true
}

/// Google marks the primary entry with `* ` (`* Mobile`); in other files that is part of the
/// label.
fn clean_label(dialect: Dialect, value: &str) -> String {
    let label = value.trim();
    match dialect {
        Dialect::Google => label.trim_start_matches("* ").to_string(),
        _ => label.to_string(),
    }
}

fn split_groups(dialect: Dialect, value: &str) -> Vec<String> {
    let parts: Vec<&str> = match dialect {
        Dialect::Rolo => value.split('\n').collect(),
        // `* myContacts` and `* starred` are Google's own groups.
        Dialect::Google => value.split(":::").filter(|g| !g.trim().starts_with('*')).collect(),
        Dialect::Outlook => value.split(';').collect(),
        Dialect::Chinese | Dialect::Generic => {
            value.split(['\n', ';', '；', ',', '，', '、']).collect()
        }
    };
    parts.into_iter().map(str::trim).filter(|g| !g.is_empty()).map(str::to_string).collect()
}

/// Rewrites the date formats spreadsheets produce (`1990/5/17`, `5/17/1990`, `1990年5月17日`,
/// `19900517`, `1990-05-17 00:00:00`, `--0517`) as `YYYY-MM-DD` or `--MM-DD`; Outlook's empty
/// `0/0/00` becomes empty. Anything else is left for validation to report.
pub(crate) fn normalise_birthday(value: &str) -> String {
    let v = value.trim();
    if v == "0/0/00" || v == "0/0/0000" {
        return String::new();
    }
    let date_part = v.split([' ', 'T']).next().unwrap_or(v);
    if let Some(md) = date_part.strip_prefix("--") {
        if md.len() == 4 && md.chars().all(|c| c.is_ascii_digit()) {
            return format!("--{}-{}", &md[..2], &md[2..]);
        }
        return date_part.to_string();
    }
    const FORMATS: [&str; 6] =
        ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%m/%d/%Y", "%Y%m%d"];
    FORMATS
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(date_part, f).ok())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| v.to_string())
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// Column layout of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Everything, restorable by import: UID, names, numbered phones/emails/addresses with their
    /// labels, groups (one per line in the cell), extra fields as name/value column pairs.
    #[default]
    Rolo,
    /// Google Contacts' import format; extra fields as `Custom Field n` columns.
    Google,
    /// Outlook's fixed columns; what does not fit goes into Notes, extra fields are left out.
    Outlook,
}

/// How many numbered columns an export has for each repeated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Columns {
    pub phones: usize,
    pub emails: usize,
    pub addresses: usize,
    pub extras: usize,
    pub websites: usize,
    pub ims: usize,
    pub related: usize,
    /// A column for the anniversary.
    pub anniversary: bool,
    /// The Rolo layout's columns for middle names, name prefixes and suffixes, departments,
    /// PO boxes and extended addresses (after the others).
    pub more: bool,
}

impl Default for Columns {
    /// A generous fixed number: 6 phones, 4 emails, 3 addresses, 12 extra fields, 3 websites,
    /// instant messaging addresses and related people, and the anniversary.
    fn default() -> Self {
        Columns {
            phones: 6,
            emails: 4,
            addresses: 3,
            extras: 12,
            websites: 3,
            ims: 3,
            related: 3,
            anniversary: true,
            more: false,
        }
    }
}

impl Columns {
    /// Exactly enough columns for these contacts (at least one of each).
    pub fn fit<'a>(contacts: impl IntoIterator<Item = &'a ContactData>) -> Self {
        contacts.into_iter().fold(Columns::least(), Columns::grow)
    }

    /// One column of each of the first fields, none of the catalogue's (websites, instant
    /// messaging, related people, anniversary): what [`Columns::grow`] starts from.
    pub fn least() -> Self {
        Columns {
            phones: 1,
            emails: 1,
            addresses: 1,
            extras: 1,
            websites: 0,
            ims: 0,
            related: 0,
            anniversary: false,
            more: false,
        }
    }

    /// These columns, widened to hold `d` as well (contacts seen one at a time).
    pub fn grow(self, d: &ContactData) -> Self {
        Columns {
            phones: self.phones.max(d.phones.len()),
            emails: self.emails.max(d.emails.len()),
            addresses: self.addresses.max(d.addresses.len()),
            extras: self.extras.max(d.extra.len()),
            websites: self.websites.max(d.websites.len()),
            ims: self.ims.max(d.ims.len()),
            related: self.related.max(d.related.len()),
            anniversary: self.anniversary || d.anniversary.is_some(),
            more: self.more || has_more(d),
        }
    }
}

/// Whether a contact has a field only the Rolo layout's further columns hold.
fn has_more(d: &ContactData) -> bool {
    let n = &d.name;
    !n.additional.is_empty()
        || !n.prefix.is_empty()
        || !n.suffix.is_empty()
        || !d.org_units.is_empty()
        || d.addresses.iter().any(|a| !a.value.po_box.is_empty() || !a.value.extended.is_empty())
}

/// One contact to export.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub uid: &'a str,
    pub data: &'a ContactData,
    pub groups: &'a [String],
}

const OUTLOOK_PHONES: [(&str, Label); 6] = [
    ("Mobile Phone", Label::Mobile),
    ("Business Phone", Label::Work),
    ("Business Phone 2", Label::Work),
    ("Home Phone", Label::Home),
    ("Home Phone 2", Label::Home),
    ("Other Phone", Label::Other),
];
/// Outlook's columns for related people, by relation.
const OUTLOOK_RELATED: [(&str, &str); 3] =
    [("Spouse", "spouse"), ("Manager's Name", "manager"), ("Assistant's Name", "assistant")];
const OUTLOOK_ADDRESSES: [(&str, Label); 3] =
    [("Business", Label::Work), ("Home", Label::Home), ("Other", Label::Other)];
const OUTLOOK_ADDRESS_PARTS: [&str; 5] =
    ["Street", "City", "State", "Postal Code", "Country/Region"];

/// The header row of a layout.
pub(crate) fn header_row(layout: Layout, c: &Columns) -> Vec<String> {
    let mut h: Vec<String> = Vec::new();
    let mut push = |s: &str| h.push(s.to_string());
    match layout {
        Layout::Rolo => {
            for s in [
                "UID",
                "Display Name",
                "Family Name",
                "Given Name",
                "Nickname",
                "Organization",
                "Title",
                "Birthday",
                "Notes",
                "Groups",
            ] {
                push(s);
            }
            for n in 1..=c.phones {
                push(&format!("Phone {n} Label"));
                push(&format!("Phone {n}"));
            }
            for n in 1..=c.emails {
                push(&format!("Email {n} Label"));
                push(&format!("Email {n}"));
            }
            for n in 1..=c.addresses {
                push(&format!("Address {n} Label"));
                for (_, part) in PARTS {
                    push(&format!("Address {n} {part}"));
                }
            }
            for n in 1..=c.extras {
                push(&format!("Extra {n} Name"));
                push(&format!("Extra {n} Value"));
            }
            if c.more {
                for s in ["Middle Name", "Name Prefix", "Name Suffix", "Department"] {
                    push(s);
                }
                for n in 1..=c.addresses {
                    for (_, part) in MORE_PARTS {
                        push(&format!("Address {n} {part}"));
                    }
                }
            }
            if c.anniversary {
                push("Anniversary");
            }
            for (what, count) in [("Website", c.websites), ("IM", c.ims), ("Related", c.related)] {
                for n in 1..=count {
                    push(&format!("{what} {n} Label"));
                    push(&format!("{what} {n}"));
                }
            }
        }
        Layout::Google => {
            for s in [
                "File As",
                "First Name",
                "Last Name",
                "Nickname",
                "Organization Name",
                "Organization Title",
                "Birthday",
                "Notes",
                "Labels",
            ] {
                push(s);
            }
            for n in 1..=c.phones {
                push(&format!("Phone {n} - Label"));
                push(&format!("Phone {n} - Value"));
            }
            for n in 1..=c.emails {
                push(&format!("E-mail {n} - Label"));
                push(&format!("E-mail {n} - Value"));
            }
            for n in 1..=c.addresses {
                push(&format!("Address {n} - Label"));
                for (_, part) in PARTS {
                    push(&format!("Address {n} - {part}"));
                }
            }
            for n in 1..=c.extras {
                push(&format!("Custom Field {n} - Label"));
                push(&format!("Custom Field {n} - Value"));
            }
            for n in 1..=c.websites {
                push(&format!("Website {n} - Label"));
                push(&format!("Website {n} - Value"));
            }
            for n in 1..=c.ims {
                push(&format!("IM {n} - Label"));
                push(&format!("IM {n} - Service"));
                push(&format!("IM {n} - Value"));
            }
            for n in 1..=c.related {
                push(&format!("Relation {n} - Label"));
                push(&format!("Relation {n} - Value"));
            }
            if c.anniversary {
                push("Event 1 - Label");
                push("Event 1 - Value");
            }
        }
        Layout::Outlook => {
            for s in [
                "First Name",
                "Last Name",
                "Nickname",
                "Company",
                "Job Title",
                "Birthday",
                "Notes",
                "Categories",
            ] {
                push(s);
            }
            for s in ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"] {
                push(s);
            }
            for (s, _) in OUTLOOK_PHONES {
                push(s);
            }
            for (kind, _) in OUTLOOK_ADDRESSES {
                for part in OUTLOOK_ADDRESS_PARTS {
                    push(&format!("{kind} {part}"));
                }
            }
            for (s, _) in OUTLOOK_RELATED {
                push(s);
            }
            push("Web Page");
            push("Anniversary");
        }
    }
    h
}

/// Index of the birthday column in a layout.
pub(crate) fn birthday_column(layout: Layout) -> usize {
    match layout {
        Layout::Rolo => 7,
        Layout::Google => 6,
        Layout::Outlook => 5,
    }
}

fn check(r: &Record<'_>, what: &'static str, count: usize, max: usize) -> Result<(), ExportError> {
    if count > max {
        return Err(ExportError::TooMany {
            contact: r.data.display_name.clone(),
            what,
            count,
            max,
        });
    }
    Ok(())
}

/// The cells of one contact (not yet guarded against formulas).
pub(crate) fn export_row(
    layout: Layout,
    c: &Columns,
    r: &Record<'_>,
) -> Result<Vec<String>, ExportError> {
    let d = r.data;
    let birthday = d.birthday.map(|b| b.to_string()).unwrap_or_default();
    let mut row: Vec<String> = Vec::new();
    let padded = |row: &mut Vec<String>, items: Vec<Vec<String>>, n: usize, width: usize| {
        let count = items.len();
        row.extend(items.into_iter().flatten());
        row.extend(std::iter::repeat_n(String::new(), (n - count) * width));
    };
    let google_label = |label: &Label| capitalise(label.as_str());
    match layout {
        Layout::Rolo | Layout::Google => {
            check(r, "phone numbers", d.phones.len(), c.phones)?;
            check(r, "email addresses", d.emails.len(), c.emails)?;
            check(r, "addresses", d.addresses.len(), c.addresses)?;
            check(r, "extra fields", d.extra.len(), c.extras)?;
            check(r, "websites", d.websites.len(), c.websites)?;
            check(r, "instant messaging addresses", d.ims.len(), c.ims)?;
            check(r, "related people", d.related.len(), c.related)?;
            if d.anniversary.is_some() && !c.anniversary {
                check(r, "anniversaries", 1, 0)?;
            }
            let google = layout == Layout::Google;
            let lab = |l: &Label| if google { google_label(l) } else { l.as_str().to_string() };
            if google {
                row.extend(
                    [
                        &d.display_name,
                        &d.name.given,
                        &d.name.family,
                        &d.nickname,
                        &d.organization,
                        &d.title,
                    ]
                    .map(String::clone),
                );
                row.extend([birthday, d.notes.clone(), r.groups.join(" ::: ")]);
            } else {
                row.extend(
                    [
                        r.uid,
                        &d.display_name,
                        &d.name.family,
                        &d.name.given,
                        &d.nickname,
                        &d.organization,
                        &d.title,
                    ]
                    .map(str::to_string),
                );
                row.extend([birthday, d.notes.clone(), r.groups.join("\n")]);
            }
            padded(
                &mut row,
                d.phones
                    .iter()
                    .map(|p| vec![lab(&p.label), p.value.as_str().to_string()])
                    .collect(),
                c.phones,
                2,
            );
            padded(
                &mut row,
                d.emails
                    .iter()
                    .map(|e| vec![lab(&e.label), e.value.as_str().to_string()])
                    .collect(),
                c.emails,
                2,
            );
            let addresses = d
                .addresses
                .iter()
                .map(|a| {
                    let v = &a.value;
                    vec![
                        lab(&a.label),
                        v.street.clone(),
                        v.locality.clone(),
                        v.region.clone(),
                        v.postal_code.clone(),
                        v.country.clone(),
                    ]
                })
                .collect();
            padded(&mut row, addresses, c.addresses, 6);
            padded(
                &mut row,
                d.extra.iter().map(|x| vec![x.name.clone(), x.value.clone()]).collect(),
                c.extras,
                2,
            );
            if c.more && !google {
                row.extend([&d.name.additional, &d.name.prefix, &d.name.suffix].map(String::clone));
                row.push(d.org_units.join("; "));
                let more = d
                    .addresses
                    .iter()
                    .map(|a| vec![a.value.po_box.clone(), a.value.extended.clone()])
                    .collect();
                padded(&mut row, more, c.addresses, 2);
            }
            let anniversary = d.anniversary.map(|b| b.to_string()).unwrap_or_default();
            if !google && c.anniversary {
                row.push(anniversary.clone());
            }
            let websites =
                d.websites.iter().map(|w| vec![lab(&w.label), w.value.as_str().into()]).collect();
            padded(&mut row, websites, c.websites, 2);
            if google {
                let ims = d
                    .ims
                    .iter()
                    .map(|m| vec![lab(&m.label), m.value.service(), m.value.handle().into()])
                    .collect();
                padded(&mut row, ims, c.ims, 3);
            } else {
                let ims =
                    d.ims.iter().map(|m| vec![lab(&m.label), m.value.as_str().into()]).collect();
                padded(&mut row, ims, c.ims, 2);
            }
            let related = d.related.iter().map(|x| vec![lab(&x.label), x.value.clone()]).collect();
            padded(&mut row, related, c.related, 2);
            if google && c.anniversary {
                let label = if anniversary.is_empty() { "" } else { "Anniversary" };
                row.extend([label.to_string(), anniversary]);
            }
        }
        Layout::Outlook => {
            let mut overflow: Vec<String> = Vec::new();
            let birthday = match d.birthday {
                Some(domain::Birthday::Date(date)) => date.format("%-m/%-d/%Y").to_string(),
                Some(b) => {
                    overflow.push(format!("Birthday: {b}"));
                    String::new()
                }
                None => String::new(),
            };
            let mut emails = vec![String::new(); 3];
            for (i, e) in d.emails.iter().enumerate() {
                match emails.get_mut(i) {
                    Some(slot) => *slot = e.value.as_str().to_string(),
                    None => {
                        overflow.push(format!("Email ({}): {}", e.label.as_str(), e.value.as_str()))
                    }
                }
            }
            let mut phones = vec![String::new(); OUTLOOK_PHONES.len()];
            for p in &d.phones {
                let want = match &p.label {
                    Label::Custom(_) => Label::Other,
                    l => l.clone(),
                };
                let free = OUTLOOK_PHONES
                    .iter()
                    .zip(phones.iter_mut())
                    .find(|((_, l), v)| *l == want && v.is_empty());
                match free {
                    Some((_, v)) => *v = p.value.as_str().to_string(),
                    None => {
                        overflow.push(format!("Phone ({}): {}", p.label.as_str(), p.value.as_str()))
                    }
                }
            }
            let mut addresses = vec![vec![String::new(); 5]; OUTLOOK_ADDRESSES.len()];
            for a in &d.addresses {
                let want = match &a.label {
                    Label::Work | Label::Home => a.label.clone(),
                    _ => Label::Other,
                };
                let free = OUTLOOK_ADDRESSES
                    .iter()
                    .zip(addresses.iter_mut())
                    .find(|((_, l), v)| *l == want && v.iter().all(String::is_empty));
                match free {
                    Some((_, v)) => {
                        let x = &a.value;
                        *v = vec![
                            x.street.clone(),
                            x.locality.clone(),
                            x.region.clone(),
                            x.postal_code.clone(),
                            x.country.clone(),
                        ];
                    }
                    None => overflow.push(format!(
                        "Address ({}): {}",
                        a.label.as_str(),
                        a.value.one_line()
                    )),
                }
            }
            let mut related = vec![String::new(); OUTLOOK_RELATED.len()];
            for x in &d.related {
                let free = OUTLOOK_RELATED
                    .iter()
                    .zip(related.iter_mut())
                    .find(|((_, l), v)| *l == x.label.as_str() && v.is_empty());
                match free {
                    Some((_, v)) => v.clone_from(&x.value),
                    None => overflow.push(format!("Related ({}): {}", x.label.as_str(), x.value)),
                }
            }
            let mut web_page = String::new();
            for w in &d.websites {
                if web_page.is_empty() {
                    web_page = w.value.as_str().to_string();
                } else {
                    overflow.push(format!("Website ({}): {}", w.label.as_str(), w.value.as_str()));
                }
            }
            for m in &d.ims {
                overflow.push(format!("IM ({}): {}", m.label.as_str(), m.value.as_str()));
            }
            let anniversary = match d.anniversary {
                Some(domain::Birthday::Date(date)) => date.format("%-m/%-d/%Y").to_string(),
                Some(b) => {
                    overflow.push(format!("Anniversary: {b}"));
                    String::new()
                }
                None => String::new(),
            };
            let mut notes = d.notes.clone();
            for line in overflow {
                append(&mut notes, &line, "\n");
            }
            row.extend(
                [&d.name.given, &d.name.family, &d.nickname, &d.organization, &d.title]
                    .map(String::clone),
            );
            row.extend([birthday, notes, r.groups.join(";")]);
            row.extend(emails);
            row.extend(phones);
            row.extend(addresses.into_iter().flatten());
            row.extend(related);
            row.extend([web_page, anniversary]);
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row made against a contact's own columns is laid into the file's by header name
    /// (`csv::LoneRow`): no layout may name two columns alike.
    #[test]
    fn header_names_are_unique() {
        let wide = Columns {
            phones: 12,
            emails: 12,
            addresses: 12,
            extras: 12,
            websites: 12,
            ims: 12,
            related: 12,
            anniversary: true,
            more: true,
        };
        for layout in [Layout::Rolo, Layout::Google, Layout::Outlook] {
            for columns in [Columns::least(), wide] {
                let h = header_row(layout, &columns);
                let names: std::collections::HashSet<&String> = h.iter().collect();
                assert_eq!(names.len(), h.len(), "{layout:?}: {h:?}");
            }
        }
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn formula_guard_round_trips() {
        for cell in
            ["=1+2", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx", "'quoted", "''", "plain", "", "a=b"]
        {
            let guarded = guard_formula(cell);
            assert!(!guarded.starts_with(['=', '+', '-', '@', '\t', '\r']), "{guarded}");
            assert_eq!(unguard_formula(&guarded), cell);
        }
        assert_eq!(guard_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(unguard_formula("'plain"), "'plain");
    }

    #[test]
    fn birthdays_from_spreadsheets() {
        for (raw, want) in [
            ("1990/5/17", "1990-05-17"),
            ("5/17/1990", "1990-05-17"),
            ("1990年5月17日", "1990-05-17"),
            ("19900517", "1990-05-17"),
            ("1990-05-17 00:00:00", "1990-05-17"),
            ("--0517", "--05-17"),
            ("--05-17", "--05-17"),
            ("0/0/00", ""),
            ("soon", "soon"),
        ] {
            assert_eq!(normalise_birthday(raw), want, "{raw}");
        }
    }

    #[test]
    fn dialects_are_recognised() {
        let (d, m) =
            ColumnMapping::suggest(&headers(&["姓名", "手机", "电话", "邮箱", "部门"]), None);
        assert_eq!(d, Dialect::Chinese);
        assert_eq!(
            m.columns[1],
            ColumnTarget::Field(Field::Phone { slot: 1001, label: Some(Label::Mobile) })
        );
        assert_eq!(m.columns[4], ColumnTarget::Extra);
        let (d, m) = ColumnMapping::suggest(
            &headers(&["First Name", "Last Name", "Phone 1 - Label", "Phone 1 - Value"]),
            None,
        );
        assert_eq!(d, Dialect::Google);
        assert_eq!(m.columns[3], ColumnTarget::Field(Field::Phone { slot: 1, label: None }));
        let (d, _) = ColumnMapping::suggest(
            &headers(&["First Name", "Last Name", "Mobile Phone", "Business Street"]),
            None,
        );
        assert_eq!(d, Dialect::Outlook);
        let (d, m) = ColumnMapping::suggest(&headers(&["Name", "Phone", "Shoe size", ""]), None);
        assert_eq!(d, Dialect::Google, "Google's old export has Name");
        assert_eq!(m.columns[1], ColumnTarget::Field(Field::Phone { slot: 1001, label: None }));
        assert_eq!(m.columns[2..], [ColumnTarget::Extra, ColumnTarget::Ignore]);
        let (d, _) = ColumnMapping::suggest(&header_row(Layout::Rolo, &Columns::default()), None);
        assert_eq!(d, Dialect::Rolo);
        let (d, _) =
            ColumnMapping::suggest(&header_row(Layout::Outlook, &Columns::default()), None);
        assert_eq!(d, Dialect::Outlook);
        let (d, _) = ColumnMapping::suggest(&header_row(Layout::Google, &Columns::default()), None);
        assert_eq!(d, Dialect::Google);
    }

    #[test]
    fn only_google_marks_the_primary_label_with_a_star() {
        let h = headers(&["Name", "Phone 1 Label", "Phone 1"]);
        let (d, m) = ColumnMapping::suggest(&h, Some(Dialect::Rolo));
        let row = RowMapper::new(d, &h, &m, true)
            .unwrap()
            .map(2, ["Ann", "* VIP", "123 45"])
            .unwrap()
            .unwrap();
        assert_eq!(row.data.phones[0].label, Label::Custom("* VIP".into()));
        let h = headers(&["Name", "Phone 1 - Label", "Phone 1 - Value"]);
        let (d, m) = ColumnMapping::suggest(&h, Some(Dialect::Google));
        let row = RowMapper::new(d, &h, &m, true)
            .unwrap()
            .map(2, ["Ann", "* Mobile", "123 45"])
            .unwrap()
            .unwrap();
        assert_eq!(row.data.phones[0].label, Label::Mobile);
    }

    #[test]
    fn row_errors_name_the_column() {
        let h = headers(&["Name", "Mobile Phone", "Birthday"]);
        let (d, m) = ColumnMapping::suggest(&h, Some(Dialect::Outlook));
        let mapper = RowMapper::new(d, &h, &m, true).unwrap();
        let err = mapper.map(3, ["Ann", "call me", "soon"]).unwrap().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("Mobile Phone: “c” is not allowed"), "{}", err.reason);
        assert!(err.reason.contains("YYYY-MM-DD"), "{}", err.reason);
        assert!(mapper.map(4, ["", " ", ""]).is_none());
    }
}
