//! Edits of a kept card through its typed view: a write that changes a field changes the line
//! it came from (its group and other parameters kept), adds a line for a new one and removes the
//! line of one removed; every other line stays byte for byte.

use domain::{
    Address, Birthday, Card, CardVersion, ContactData, Email, ExtraField, Im, Label, Labeled,
    Phone, Website,
};

use crate::line::{escape, join_components, Prop};
use crate::read::{
    encode_param, im_scheme, photo_line, typed, Sources, AB_ANNIVERSARY, AB_LABEL, APPLE_OMIT_YEAR,
    HOW, ROLO_FIELD,
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
        && a.websites == b.websites
        && a.ims == b.ims
        && a.related == b.related
        && a.anniversary == b.anniversary
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
    list(&mut e, lines, s, &old.websites, &s.websites, &new.websites, Kind::Url);
    list(&mut e, lines, s, &old.ims, &s.ims, &new.ims, Kind::Impp);
    list(&mut e, lines, s, &old.related, &s.related, &new.related, Kind::Related);
    if old.anniversary != new.anniversary {
        anniversary(&mut e, lines, s, new.anniversary);
    }
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

/// The anniversary: its line's date changed (its group and other parameters kept), or the line
/// (and its Apple label) removed, or a new line: `ANNIVERSARY` in 4.0, Apple's labelled
/// `X-ABDATE` in 3.0 (what Apple's and most Android clients show).
fn anniversary(e: &mut Edit, lines: &[String], s: &Sources, new: Option<Birthday>) {
    match (s.anniversary, new) {
        (Some(i), Some(date)) => {
            if let Some(p) = Prop::parse(&lines[i]) {
                let (param, value) = date_value(date, e.version);
                let not_omit =
                    |x: &crate::line::Param<'_>| !x.name.eq_ignore_ascii_case(APPLE_OMIT_YEAR);
                let line = rebuilt(&p, p.group, not_omit, &param, &[]);
                // `rebuilt` writes `head:value`; its type words go back as they were written.
                let head = &line[..line.len() - p.value.len() - 1];
                let types: String = p
                    .params
                    .iter()
                    .filter(|x| x.is_type())
                    .map(|x| format!(";{}", x.raw))
                    .collect();
                e.replace(i, format!("{head}{types}:{value}"));
            }
        }
        (Some(i), None) => {
            e.remove(i);
            if let Some(l) = label_line(lines, s, i) {
                e.remove(l);
            }
        }
        (None, Some(date)) => {
            let (param, value) = date_value(date, e.version);
            match e.version {
                CardVersion::V4 => e.add(None, format!("ANNIVERSARY{param}:{value}")),
                CardVersion::V3 => {
                    let g = e.free_group();
                    e.add(None, format!("{g}.X-ABDATE{param}:{value}"));
                    e.add(None, format!("{g}.{AB_LABEL}:{AB_ANNIVERSARY}"));
                }
            }
        }
        (None, None) => {}
    }
}

/// A date's extra parameter and value in a card of `version`: 4.0's `YYYYMMDD` or `--MMDD`;
/// 3.0's `YYYY-MM-DD`, or Apple's year 1604 marked as omitted.
fn date_value(b: Birthday, version: CardVersion) -> (String, String) {
    use chrono::Datelike;
    match (b, version) {
        (Birthday::Date(d), CardVersion::V4) => {
            (String::new(), format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
        }
        (Birthday::Date(d), CardVersion::V3) => {
            (String::new(), format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        (Birthday::MonthDay { month, day }, CardVersion::V4) => {
            (String::new(), format!("--{month:02}{day:02}"))
        }
        (Birthday::MonthDay { month, day }, CardVersion::V3) => {
            (format!(";{APPLE_OMIT_YEAR}=1604"), format!("1604-{month:02}-{day:02}"))
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tel,
    Email,
    Adr,
    Url,
    Impp,
    Related,
}

trait ListValue: PartialEq + Clone {
    fn value(&self, kind: Kind, old_line: Option<&str>) -> String;
    /// The line of a changed entry, from the line it had.
    fn changed_line(&self, kind: Kind, line: &str) -> String {
        with_value(line, &self.value(kind, Some(line)))
    }
    /// Parameters a new line needs besides its type (`;VALUE=text`).
    fn new_params(&self, _version: CardVersion) -> &'static str {
        ""
    }
}
impl ListValue for Website {
    // A URI, written as it is (not text-escaped).
    fn value(&self, _: Kind, _: Option<&str>) -> String {
        self.as_str().to_string()
    }
}
impl ListValue for Im {
    fn value(&self, _: Kind, _: Option<&str>) -> String {
        self.as_str().to_string()
    }
    /// An Apple-style line (`X-JABBER:ann@example.com`) keeps its form while the service is
    /// its own; for another service it becomes an `IMPP` line (group and parameters kept).
    fn changed_line(&self, _: Kind, line: &str) -> String {
        let Some(p) = Prop::parse(line) else { return line.to_string() };
        match im_scheme(p.name) {
            Some(scheme) if scheme == self.scheme() => with_value(line, &escape(self.handle())),
            Some(_) => {
                let head = &line[..p.head_len];
                let name_at = p.group.map_or(0, |g| g.len() + 1);
                let rest = &head[name_at + p.name.len()..];
                format!("{}IMPP{rest}:{}", &head[..name_at], self.as_str())
            }
            None => with_value(line, self.as_str()),
        }
    }
}
/// A related person's name (or URI).
impl ListValue for String {
    fn value(&self, _: Kind, old_line: Option<&str>) -> String {
        let uri = old_line.and_then(Prop::parse).is_some_and(|p| {
            p.is("RELATED") && !p.param("VALUE").any(|v| v.eq_ignore_ascii_case("text"))
        });
        if uri && looks_like_uri(self) {
            self.clone()
        } else {
            escape(self)
        }
    }
    /// A `RELATED` line that held a URI and now holds a name says `VALUE=text`.
    fn changed_line(&self, kind: Kind, line: &str) -> String {
        let Some(p) = Prop::parse(line) else { return line.to_string() };
        let text_valued = p.param("VALUE").any(|v| v.eq_ignore_ascii_case("text"));
        if p.is("RELATED") && !text_valued && !looks_like_uri(self) {
            let head = &line[..p.head_len];
            return format!("{head};VALUE=text:{}", escape(self));
        }
        with_value(line, &self.value(kind, Some(line)))
    }
    fn new_params(&self, version: CardVersion) -> &'static str {
        if version == CardVersion::V4 && !looks_like_uri(self) {
            ";VALUE=text"
        } else {
            ""
        }
    }
}

/// Whether a related person's value is a URI (`urn:uuid:…`, `https://…`, `mailto:…`).
fn looks_like_uri(v: &str) -> bool {
    let v = v.trim();
    ["urn:", "http://", "https://", "mailto:", "tel:", "xmpp:", "sip:"]
        .iter()
        .any(|s| v.get(..s.len()).is_some_and(|h| h.eq_ignore_ascii_case(s)))
        && !v.contains(char::is_whitespace)
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
        let mut text = new[i].value.changed_line(kind, line);
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
    // The entries kept keep their lines, in the order the user set: the lines of this kind
    // trade places (each with its group, so an Apple label stays with its line).
    let kept: Vec<usize> = plan.iter().flatten().map(|j| src[*j]).collect();
    let mut places = kept.clone();
    places.sort_unstable();
    if kept != places {
        let moved: Vec<Vec<String>> = kept.iter().map(|l| e.slots[*l].clone()).collect();
        for (place, content) in places.iter().zip(moved) {
            e.slots[*place] = content;
        }
    }
    let name = match (kind, e.version) {
        (Kind::Tel, _) => "TEL",
        (Kind::Email, _) => "EMAIL",
        (Kind::Adr, _) => "ADR",
        (Kind::Url, _) => "URL",
        (Kind::Impp, _) => "IMPP",
        (Kind::Related, CardVersion::V4) => "RELATED",
        (Kind::Related, CardVersion::V3) => "X-ABRELATEDNAMES",
    };
    // A new entry goes after the line of the entry before it (or, first of all, before the
    // first line of its kind; with none, after the last one removed or at the end).
    let mut after: Option<usize> = None;
    let mut rank = 0;
    let mut before_first: Vec<String> = Vec::new();
    for (i, n) in new.iter().enumerate() {
        if plan[i].is_some() {
            after = places.get(rank).copied();
            rank += 1;
            continue;
        }
        let value = n.value.value(kind, None);
        let version = e.version;
        let params = n.value.new_params(version);
        let pref = |line: String| if n.pref { set_pref(&line, true, version) } else { line };
        let made = match label_type(&n.label, kind, version) {
            Some(Some(t)) => vec![pref(format!("{name};TYPE={t}{params}:{value}"))],
            Some(None) => vec![pref(format!("{name}{params}:{value}"))],
            None => {
                let g = e.free_group();
                vec![
                    pref(format!("{g}.{name}{params}:{value}")),
                    format!("{g}.{AB_LABEL}:{}", ab_label_text(&n.label, kind)),
                ]
            }
        };
        match (after, places.first()) {
            (Some(a), _) => made.into_iter().for_each(|l| e.add(Some(past_label(lines, s, a)), l)),
            (None, Some(_)) => before_first.extend(made),
            (None, None) => {
                let at = last.map(|l| past_label(lines, s, l));
                made.into_iter().for_each(|l| e.add(at, l));
            }
        }
    }
    if let Some(first) = places.first() {
        let slot = &mut e.slots[*first];
        slot.splice(0..0, before_first);
    }
}

/// The line to add after so as to follow the line at `i`: its Apple label line when that comes
/// right after it, else `i` itself.
fn past_label(lines: &[String], s: &Sources, i: usize) -> usize {
    match label_line(lines, s, i) {
        Some(l) if l == i + 1 => l,
        _ => i,
    }
}

/// The Apple relation labels (written as `_$!<Spouse>!$_`, as Apple's clients do).
const AB_RELATIONS: [&str; 8] =
    ["spouse", "partner", "parent", "child", "friend", "assistant", "manager", "other"];

/// The text of a new Apple label line: a relation Apple knows in Apple's own form, any other
/// label as written.
fn ab_label_text(label: &Label, kind: Kind) -> String {
    let l = label.as_str();
    if kind == Kind::Related && AB_RELATIONS.contains(&l) {
        let mut c = l.chars();
        let word: String = c.next().map(|f| f.to_ascii_uppercase()).into_iter().chain(c).collect();
        return format!("_$!<{word}>!$_");
    }
    escape(l)
}

/// How a label is written on a new line: `Some(Some(type))` as a `TYPE` word, `Some(None)` as
/// nothing (other), `None` as an Apple label. A relation is a `TYPE` word in 4.0 (one word of
/// letters and `-`) and an Apple label in 3.0, where `RELATED` does not exist.
fn label_type(label: &Label, kind: Kind, version: CardVersion) -> Option<Option<String>> {
    if kind == Kind::Related {
        let l = label.as_str();
        let token = !l.is_empty() && l.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
        return match (version, label) {
            (CardVersion::V3, _) => None,
            (CardVersion::V4, Label::Other) => Some(None),
            (CardVersion::V4, _) if token => Some(Some(l.to_ascii_lowercase())),
            (CardVersion::V4, _) => None,
        };
    }
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

/// The properties a group's Apple label names (with Apple's instant messaging ones).
const LABELLED: [&str; 8] =
    ["TEL", "EMAIL", "ADR", "URL", "IMPP", "RELATED", "X-ABRELATEDNAMES", "X-ABDATE"];

/// Whether another labelled property ([`LABELLED`]: a phone, email, address…) is in `line`'s
/// property group.
fn shares_group(lines: &[String], line: &str) -> bool {
    let Some(g) = Prop::parse(line).and_then(|p| p.group) else { return false };
    let in_group = |l: &&String| {
        Prop::parse(l).is_some_and(|q| {
            q.group.is_some_and(|h| h.eq_ignore_ascii_case(g))
                && LABELLED.iter().any(|n| q.is(n) || im_scheme(q.name).is_some())
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
    match label_type(new, kind, e.version) {
        Some(Some(t)) => types.insert(0, t),
        Some(None) => {}
        None => ab_label = Some(ab_label_text(new, kind)),
    }
    let group = match (&ab_label, p.group) {
        (Some(_), Some(g)) if !shared => Some(g.to_string()),
        (Some(_), _) => Some(e.free_group()),
        (None, _) if shared && labelled => None,
        (None, g) => g.map(str::to_string),
    };
    let main = rebuilt(&p, group.as_deref(), |_| true, "", &types);
    match (ab_label, group) {
        (Some(l), Some(g)) => format!("{main}\n{g}.{AB_LABEL}:{l}"),
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
