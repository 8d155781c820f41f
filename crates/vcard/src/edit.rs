//! Edits of a kept card through its typed view: a write that changes a field changes the line
//! it came from (its group and other parameters kept), adds a line for a new one and removes the
//! line of one removed; every other line stays byte for byte.

use domain::{
    Address, Birthday, Card, CardVersion, ContactData, Email, ExtraField, Label, Labeled, Phone,
};

use crate::line::{escape, join_components, Prop};
use crate::read::{
    encode_param, photo_line, typed, Sources, AB_LABEL, APPLE_OMIT_YEAR, HOW, ROLO_FIELD,
};

/// Makes `data.card` the card of `data`'s typed fields: the card it holds, or else `previous`
/// (the contact's card before this write), or else a new vCard 3.0 card, edited where its typed
/// view differs from `data`.
pub fn reconcile(data: &mut ContactData, previous: Option<&Card>) {
    let base = match (data.card.take(), previous) {
        (Some(c), _) => c,
        (None, Some(p)) => p.clone(),
        (None, None) => Card::default(),
    };
    let (old, sources) = typed(&base);
    let card = if same_typed(&old, data) { base } else { edit(base, &old, &sources, data) };
    data.card = Some(card);
}

/// The card of typed fields alone (a contact never kept as a card).
pub fn generate(data: &ContactData, version: CardVersion) -> Card {
    // An empty card's typed view is empty: every field of `data` is an edit.
    edit(Card { version, lines: Vec::new() }, &ContactData::default(), &Sources::default(), data)
}

/// Whether two contacts have the same typed view (groups and cards aside).
pub fn same_typed(a: &ContactData, b: &ContactData) -> bool {
    a.name == b.name
        && a.display_name == b.display_name
        && a.nickname == b.nickname
        && a.phones == b.phones
        && a.emails == b.emails
        && a.addresses == b.addresses
        && a.organization == b.organization
        && a.org_units == b.org_units
        && a.title == b.title
        && a.birthday == b.birthday
        && a.notes == b.notes
        && a.photo == b.photo
        && a.extra == b.extra
}

/// The lines being edited: each original line becomes zero or more lines, plus new lines at the
/// end.
struct Edit {
    slots: Vec<Vec<String>>,
    tail: Vec<String>,
    version: CardVersion,
    /// Property groups in use (`item1`…), lower-cased.
    groups: Vec<String>,
}

impl Edit {
    fn replace(&mut self, i: usize, line: String) {
        self.slots[i] = vec![line];
    }
    fn remove(&mut self, i: usize) {
        self.slots[i].clear();
    }
    /// Adds after line `after` (or at the end).
    fn add(&mut self, after: Option<usize>, line: String) {
        match after {
            Some(i) => self.slots[i].push(line),
            None => self.tail.push(line),
        }
    }
    fn free_group(&mut self) -> String {
        let g = (1..)
            .map(|i| format!("item{i}"))
            .find(|g| !self.groups.contains(g))
            .unwrap_or_else(|| "item0".into());
        self.groups.push(g.clone());
        g
    }
}

fn edit(base: Card, old: &ContactData, s: &Sources, new: &ContactData) -> Card {
    let groups = base
        .lines
        .iter()
        .filter_map(|l| Prop::parse(l)?.group.map(str::to_ascii_lowercase))
        .collect();
    let mut e = Edit {
        slots: base.lines.iter().map(|l| vec![l.clone()]).collect(),
        tail: Vec::new(),
        version: base.version,
        groups,
    };
    let lines = &base.lines;
    // A new card gets FN and N (vCard 3.0 requires both); a kept one only when they change.
    let fresh = lines.is_empty();
    let fn_value = escape(&new.display_name);
    let fn_changed = fresh || old.display_name != new.display_name;
    scalar(&mut e, lines, s.full_name, fn_changed, "FN", &fn_value, true);
    let n = &new.name;
    let n_value = join_components(&[&n.family, &n.given, &n.additional, &n.prefix, &n.suffix]);
    scalar(&mut e, lines, s.name, fresh || old.name != n.clone(), "N", &n_value, true);
    scalar(
        &mut e,
        lines,
        s.nickname,
        old.nickname != new.nickname,
        "NICKNAME",
        &escape(&new.nickname),
        !new.nickname.is_empty(),
    );
    let mut org: Vec<&str> = vec![&new.organization];
    org.extend(new.org_units.iter().map(String::as_str));
    let has_org = org.iter().any(|p| !p.is_empty());
    scalar(
        &mut e,
        lines,
        s.org,
        old.organization != new.organization || old.org_units != new.org_units,
        "ORG",
        &join_components(&org),
        has_org,
    );
    scalar(
        &mut e,
        lines,
        s.title,
        old.title != new.title,
        "TITLE",
        &escape(&new.title),
        !new.title.is_empty(),
    );
    list(&mut e, lines, s, &old.phones, &s.phones, &new.phones, Kind::Tel);
    list(&mut e, lines, s, &old.emails, &s.emails, &new.emails, Kind::Email);
    list(&mut e, lines, s, &old.addresses, &s.addresses, &new.addresses, Kind::Adr);
    if old.birthday != new.birthday {
        let line = new.birthday.map(|b| birthday_line(b, e.version));
        match (s.birthday, line) {
            (Some(i), Some(l)) => e.replace(i, l),
            (Some(i), None) => e.remove(i),
            (None, Some(l)) => e.add(None, l),
            (None, None) => {}
        }
    }
    scalar(
        &mut e,
        lines,
        s.note,
        old.notes != new.notes,
        "NOTE",
        &escape(&new.notes),
        !new.notes.is_empty(),
    );
    if old.photo != new.photo {
        let line = new.photo.as_ref().map(|p| photo_line(p, e.version));
        match (s.photo, line) {
            // The new photo takes the old one's place (and its property group).
            (Some(i), Some(l)) => match Prop::parse(&lines[i]).and_then(|p| p.group) {
                Some(g) => e.replace(i, format!("{g}.{l}")),
                None => e.replace(i, l),
            },
            (Some(i), None) => e.remove(i),
            (None, Some(l)) => e.add(None, l),
            (None, None) => {}
        }
    }
    extras(&mut e, &old.extra, &s.extra, &new.extra);
    let mut out: Vec<String> = e.slots.into_iter().flatten().collect();
    out.extend(e.tail);
    Card { version: base.version, lines: out }
}

/// A single-valued property: its line's value replaced (or the line removed, or added).
fn scalar(
    e: &mut Edit,
    lines: &[String],
    source: Option<usize>,
    changed: bool,
    name: &str,
    value: &str,
    present: bool,
) {
    match source {
        Some(i) if changed && present => e.replace(i, with_value(&lines[i], value)),
        Some(i) if changed => e.remove(i),
        None if present && changed => e.add(None, format!("{name}:{value}")),
        _ => {}
    }
}

/// A line with another value (its group, name and parameters kept).
fn with_value(line: &str, value: &str) -> String {
    match Prop::parse(line) {
        Some(p) => format!("{}:{value}", &line[..p.head_len]),
        None => line.to_string(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tel,
    Email,
    Adr,
}

trait ListValue: PartialEq + Clone {
    fn value(&self, kind: Kind, old_line: Option<&str>) -> String;
}
impl ListValue for Phone {
    fn value(&self, _: Kind, old_line: Option<&str>) -> String {
        let uri = old_line
            .and_then(Prop::parse)
            .is_some_and(|p| p.value.trim_start().starts_with("tel:"));
        if uri {
            format!("tel:{}", self.as_str())
        } else {
            escape(self.as_str())
        }
    }
}
impl ListValue for Email {
    fn value(&self, _: Kind, _: Option<&str>) -> String {
        escape(self.as_str())
    }
}
impl ListValue for Address {
    fn value(&self, _: Kind, _: Option<&str>) -> String {
        join_components(&self.parts())
    }
}

/// Phones, emails or addresses: an entry that is still there keeps its line; one changed in
/// place (same position) has its line's value and label changed, the rest of it kept; one
/// removed loses its line (and its Apple label); a new one gets a line after the last of its
/// kind.
fn list<T: ListValue>(
    e: &mut Edit,
    lines: &[String],
    s: &Sources,
    old: &[Labeled<T>],
    src: &[usize],
    new: &[Labeled<T>],
    kind: Kind,
) {
    if old == new {
        return;
    }
    let mut used = vec![false; old.len()];
    let mut plan: Vec<Option<usize>> = vec![None; new.len()];
    for (i, n) in new.iter().enumerate() {
        if let Some(j) = (0..old.len()).find(|j| !used[*j] && old[*j] == *n) {
            used[j] = true;
            plan[i] = Some(j);
        }
    }
    let last = src.iter().copied().max();
    let mut changed: Vec<(usize, usize)> = Vec::new();
    for (i, slot) in plan.iter_mut().enumerate() {
        if slot.is_none() && i < old.len() && !used[i] {
            used[i] = true;
            *slot = Some(i);
            changed.push((i, i));
        }
    }
    for (j, was_used) in used.iter().enumerate() {
        if !was_used {
            e.remove(src[j]);
            if let Some(l) = label_line(lines, s, src[j]) {
                e.remove(l);
            }
        }
    }
    for (i, j) in changed {
        let line = &lines[src[j]];
        let value = new[i].value.value(kind, Some(line));
        let mut text = with_value(line, &value);
        if old[j].label != new[i].label {
            // A property group other properties share (`item1.ADR`, `item1.EMAIL`) keeps its
            // Apple label for them; this line moves to a group of its own if it needs one.
            let shared = shares_group(lines, line);
            let label_line = label_line(lines, s, src[j]);
            if let (Some(l), false) = (label_line, shared) {
                e.remove(l);
            }
            text = relabel(e, &text, &new[i].label, kind, shared, label_line.is_some());
        }
        if old[j].pref != new[i].pref {
            let (main, label) = match text.split_once('\n') {
                Some((m, l)) => (m.to_string(), Some(l.to_string())),
                None => (text.clone(), None),
            };
            let main = set_pref(&main, new[i].pref, e.version);
            text = match label {
                Some(l) => format!("{main}\n{l}"),
                None => main,
            };
        }
        match text.split_once('\n') {
            Some((main, label)) => {
                e.slots[src[j]] = vec![main.to_string(), label.to_string()];
            }
            None => e.replace(src[j], text),
        }
    }
    let name = match kind {
        Kind::Tel => "TEL",
        Kind::Email => "EMAIL",
        Kind::Adr => "ADR",
    };
    for (i, n) in new.iter().enumerate() {
        if plan[i].is_none() {
            // The new line (and its label line, if any) go after the last of its kind.
            let value = n.value.value(kind, None);
            let version = e.version;
            let pref = |line: String| if n.pref { set_pref(&line, true, version) } else { line };
            match label_type(&n.label, kind) {
                Some(Some(t)) => {
                    let line = pref(format!("{name};TYPE={t}:{value}"));
                    e.add(last, line);
                }
                Some(None) => {
                    let line = pref(format!("{name}:{value}"));
                    e.add(last, line);
                }
                None => {
                    let g = e.free_group();
                    let line = pref(format!("{g}.{name}:{value}"));
                    e.add(last, line);
                    e.add(last, format!("{g}.{AB_LABEL}:{}", escape(n.label.as_str())));
                }
            }
        }
    }
}

/// How a label is written on a new line: `Some(Some(type))` as a `TYPE` word, `Some(None)` as
/// nothing (other), `None` as an Apple label.
fn label_type(label: &Label, kind: Kind) -> Option<Option<String>> {
    match label {
        Label::Mobile if kind == Kind::Tel => Some(Some("cell".into())),
        Label::Work => Some(Some("work".into())),
        Label::Home => Some(Some("home".into())),
        Label::Other => Some(None),
        Label::Custom(c)
            if kind == Kind::Tel && TEL_TYPES.contains(&c.to_ascii_lowercase().as_str()) =>
        {
            Some(Some(c.to_ascii_lowercase()))
        }
        _ => None,
    }
}

/// Whether another phone, email or address (what a group's Apple label names) is in `line`'s
/// property group.
fn shares_group(lines: &[String], line: &str) -> bool {
    let Some(g) = Prop::parse(line).and_then(|p| p.group) else { return false };
    let in_group = |l: &&String| {
        Prop::parse(l).is_some_and(|q| {
            q.group.is_some_and(|h| h.eq_ignore_ascii_case(g))
                && (q.is("TEL") || q.is("EMAIL") || q.is("ADR"))
        })
    };
    lines.iter().filter(in_group).count() > 1
}

/// The line of the Apple label of the property at `line`, if its label came from one.
fn label_line(lines: &[String], s: &Sources, line: usize) -> Option<usize> {
    let p = Prop::parse(&lines[line])?;
    s.labels.get(&p.group?.to_ascii_lowercase()).copied()
}

/// `TYPE` words that vCard knows for a phone and that a custom label may be written as.
const TEL_TYPES: [&str; 8] = ["fax", "pager", "video", "textphone", "text", "voice", "car", "isdn"];

/// A line with its label changed to `new`: label words removed from its `TYPE`s (the
/// others, such as `pref` or `voice`, kept) and the new one added — as a `TYPE` word, or as an
/// Apple label in a property group (returned as a second line after `\n`; the line's own Apple
/// label line is removed by the caller).
///
/// `shared`: other properties are in the line's group; `labelled`: its label came from the
/// group's Apple label. A shared group's Apple label stays for the others, so a line that
/// needs one of its own gets a new group, and one labelled by the shared one leaves the group.
fn relabel(
    e: &mut Edit,
    line: &str,
    new: &Label,
    kind: Kind,
    shared: bool,
    labelled: bool,
) -> String {
    let Some(p) = Prop::parse(line) else { return line.to_string() };
    // The words that said which entry this is go; those that say how (`pref`, `voice`…) stay.
    let mut types: Vec<String> =
        p.types().into_iter().filter(|t| HOW.contains(&t.as_str())).collect();
    let mut ab_label = None;
    match label_type(new, kind) {
        Some(Some(t)) => types.insert(0, t),
        Some(None) => {}
        None => ab_label = Some(new.as_str().to_string()),
    }
    let group = match (&ab_label, p.group) {
        (Some(_), Some(g)) if !shared => Some(g.to_string()),
        (Some(_), _) => Some(e.free_group()),
        (None, _) if shared && labelled => None,
        (None, g) => g.map(str::to_string),
    };
    let main = rebuilt(&p, group.as_deref(), |_| true, "", &types);
    match (ab_label, group) {
        (Some(l), Some(g)) => format!("{main}\n{g}.{AB_LABEL}:{}", escape(&l)),
        _ => main,
    }
}

/// A line marked preferred (`TYPE=pref` in 3.0, `PREF=1` in 4.0) or no longer: every `pref`
/// type word and `PREF` parameter goes, and the mark of the card's version is added when `on`.
/// The other parameters stay as written; the type words are written as one `TYPE=`.
fn set_pref(line: &str, on: bool, version: CardVersion) -> String {
    let Some(p) = Prop::parse(line) else { return line.to_string() };
    let mut types: Vec<String> = p.types().into_iter().filter(|t| t != "pref").collect();
    if on && version == CardVersion::V3 {
        types.push("pref".into());
    }
    let not_pref = |x: &crate::line::Param<'_>| !x.name.eq_ignore_ascii_case("PREF");
    let mark = if on && version == CardVersion::V4 { ";PREF=1" } else { "" };
    rebuilt(&p, p.group, not_pref, mark, &types)
}

/// A property line written again: `group.`, its name, its parameters that are not types and
/// that `keep` keeps (as written), `extra` parameters, then `types` as one `TYPE=`, and its
/// value as it was.
fn rebuilt(
    p: &Prop<'_>,
    group: Option<&str>,
    keep: impl Fn(&crate::line::Param<'_>) -> bool,
    extra: &str,
    types: &[String],
) -> String {
    let mut head = String::new();
    if let Some(g) = group {
        head.push_str(g);
        head.push('.');
    }
    head.push_str(p.name);
    for param in p.params.iter().filter(|x| !x.is_type() && keep(x)) {
        head.push(';');
        head.push_str(param.raw);
    }
    head.push_str(extra);
    if !types.is_empty() {
        head.push_str(";TYPE=");
        head.push_str(&types.join(","));
    }
    format!("{head}:{}", p.value)
}

fn birthday_line(b: Birthday, version: CardVersion) -> String {
    use chrono::Datelike;
    match (b, version) {
        (Birthday::Date(d), CardVersion::V4) => {
            format!("BDAY:{:04}{:02}{:02}", d.year(), d.month(), d.day())
        }
        (Birthday::Date(d), CardVersion::V3) => {
            format!("BDAY:{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        }
        (Birthday::MonthDay { month, day }, CardVersion::V4) => {
            format!("BDAY:--{month:02}{day:02}")
        }
        (Birthday::MonthDay { month, day }, CardVersion::V3) => {
            format!("BDAY;{APPLE_OMIT_YEAR}=1604:1604-{month:02}-{day:02}")
        }
    }
}

/// Extra fields: one still there keeps its line, one removed loses it, a new one is added as
/// the line it holds (when it is one of the property it names) or as Rolo's own field.
fn extras(e: &mut Edit, old: &[ExtraField], src: &[usize], new: &[ExtraField]) {
    if old == new {
        return;
    }
    let mut used = vec![false; old.len()];
    let mut added = Vec::new();
    for n in new {
        match (0..old.len()).find(|j| !used[*j] && old[*j] == *n) {
            Some(j) => used[j] = true,
            None => added.push(n),
        }
    }
    for (j, u) in used.iter().enumerate() {
        if !u {
            e.remove(src[j]);
        }
    }
    for x in added {
        e.add(None, extra_line(x));
    }
}

/// The line of an extra field.
pub fn extra_line(x: &ExtraField) -> String {
    let value = x.value.replace("\r\n", "\n");
    if !value.contains(['\n', '\r']) {
        if let Some(p) = Prop::parse(&value) {
            if p.name.eq_ignore_ascii_case(&x.name)
                && !value.chars().any(|c| c.is_control() && c != '\t')
            {
                return value;
            }
        }
    }
    format!("{ROLO_FIELD};X-NAME=\"{}\":{}", encode_param(&x.name), escape(&x.value))
}
