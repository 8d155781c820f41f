//! vCard 3.0 ⇄ 4.0 for kept cards, line by line: binary values (`ENCODING=b` ⇄ `data:` URIs,
//! never text-escaped), `TYPE=pref` ⇄ `PREF=1`, Apple's group properties ⇄ `KIND`/`MEMBER`,
//! dates without a year (Apple's 1604 ⇄ `--MMDD`) and date formats; and vCard 2.1 read as 3.0
//! (bare types, quoted-printable and charsets decoded, `BASE64` as `b`).

use domain::{Card, CardVersion};

use crate::line::{escape, Prop};
use crate::read::APPLE_OMIT_YEAR;

const BINARY: [&str; 4] = ["PHOTO", "LOGO", "SOUND", "KEY"];

/// A card in the other version (the same card when it is in `to` already).
pub fn convert(card: &Card, to: CardVersion) -> Card {
    if card.version == to {
        return card.clone();
    }
    let lines = card
        .lines
        .iter()
        .map(|l| match to {
            CardVersion::V4 => to_v4(l),
            CardVersion::V3 => to_v3(l),
        })
        .collect();
    Card { version: to, lines }
}

/// A line rebuilt from its parts.
struct Line {
    group: Option<String>,
    name: String,
    params: Vec<String>,
    value: String,
}

impl Line {
    fn of(p: &Prop<'_>) -> Line {
        Line {
            group: p.group.map(str::to_string),
            name: p.name.to_string(),
            params: p.params.iter().map(|x| x.raw.to_string()).collect(),
            value: p.value.to_string(),
        }
    }
    fn text(&self) -> String {
        let mut out = String::new();
        if let Some(g) = &self.group {
            out.push_str(g);
            out.push('.');
        }
        out.push_str(&self.name);
        for p in &self.params {
            out.push(';');
            out.push_str(p);
        }
        out.push(':');
        out.push_str(&self.value);
        out
    }
    /// Removes the parameters `f` picks, returning them.
    fn take_params(&mut self, f: impl Fn(&str, &str) -> bool) -> Vec<String> {
        let (taken, kept): (Vec<String>, Vec<String>) =
            std::mem::take(&mut self.params).into_iter().partition(|raw| {
                let (n, v) = raw.split_once('=').unwrap_or(("", raw));
                f(n, v)
            });
        self.params = kept;
        taken
    }
}

fn value_of(param: &str) -> &str {
    param.split_once('=').map_or(param, |(_, v)| v)
}

fn mime_for(prop: &str, ty: &str) -> String {
    let ty = ty.trim_matches('"').to_ascii_lowercase();
    if ty.contains('/') {
        return ty;
    }
    match (prop.to_ascii_uppercase().as_str(), ty.as_str()) {
        (_, "") => "application/octet-stream".into(),
        ("SOUND", t) => format!("audio/{t}"),
        ("KEY", "pgp") => "application/pgp-keys".into(),
        ("KEY", t) => format!("application/{t}"),
        (_, "jpg") => "image/jpeg".into(),
        (_, t) => format!("image/{t}"),
    }
}

fn to_v4(line: &str) -> String {
    let Some(p) = Prop::parse(line) else { return line.to_string() };
    let mut l = Line::of(&p);
    let upper = p.name.to_ascii_uppercase();
    if upper == "X-ADDRESSBOOKSERVER-KIND" {
        l.name = "KIND".into();
    } else if upper == "X-ADDRESSBOOKSERVER-MEMBER" {
        l.name = "MEMBER".into();
    }
    let binary = BINARY.contains(&upper.as_str())
        && p.param("ENCODING")
            .any(|v| v.eq_ignore_ascii_case("b") || v.eq_ignore_ascii_case("base64"));
    if binary {
        l.take_params(|n, _| n.eq_ignore_ascii_case("ENCODING"));
        let ty = l.take_params(|n, _| n.eq_ignore_ascii_case("TYPE"));
        let ty = ty.first().map(|t| value_of(t).to_string()).unwrap_or_default();
        l.value = format!("data:{};base64,{}", mime_for(&upper, &ty), p.value.trim());
    }
    // TYPE=pref → PREF=1.
    let types = p.types();
    if types.iter().any(|t| t == "pref") {
        let kept: Vec<String> = types.iter().filter(|t| *t != "pref").cloned().collect();
        l.take_params(|n, _| n.eq_ignore_ascii_case("TYPE"));
        if !kept.is_empty() {
            l.params.push(format!("TYPE={}", kept.join(",")));
        }
        l.params.push("PREF=1".into());
    }
    if matches!(upper.as_str(), "BDAY" | "ANNIVERSARY") {
        let omit: Vec<String> = l.take_params(|n, _| n.eq_ignore_ascii_case(APPLE_OMIT_YEAR));
        let v = p.value.trim();
        let digits = v.replace('-', "");
        if digits.len() == 8 && !v.starts_with("--") && digits.bytes().all(|b| b.is_ascii_digit()) {
            let year = &digits[..4];
            l.value = if omit.iter().any(|o| value_of(o).trim_matches('"') == year) {
                format!("--{}", &digits[4..])
            } else {
                digits.clone()
            };
        } else {
            l.params.extend(omit);
        }
    }
    l.text()
}

fn to_v3(line: &str) -> String {
    let Some(p) = Prop::parse(line) else { return line.to_string() };
    let mut l = Line::of(&p);
    let upper = p.name.to_ascii_uppercase();
    if upper == "KIND" && p.value.trim().eq_ignore_ascii_case("group") {
        l.name = "X-ADDRESSBOOKSERVER-KIND".into();
    } else if upper == "MEMBER" {
        l.name = "X-ADDRESSBOOKSERVER-MEMBER".into();
    }
    if BINARY.contains(&upper.as_str()) {
        if let Some(rest) = p.value.trim().strip_prefix("data:") {
            if let Some((meta, data)) = rest.split_once(',') {
                if let Some(mime) = meta.strip_suffix(";base64") {
                    l.take_params(|n, _| {
                        n.eq_ignore_ascii_case("VALUE") || n.eq_ignore_ascii_case("MEDIATYPE")
                    });
                    l.params.push("ENCODING=b".into());
                    if mime != "application/octet-stream" && !mime.is_empty() {
                        let sub = mime.rsplit('/').next().unwrap_or(mime).to_ascii_uppercase();
                        l.params.push(format!("TYPE={sub}"));
                    }
                    l.value = data.to_string();
                }
            }
        } else if !p.params.iter().any(|x| x.name.eq_ignore_ascii_case("VALUE")) {
            l.params.push("VALUE=uri".into());
        }
    }
    if upper == "TEL" {
        if let Some(num) = p.value.trim().strip_prefix("tel:") {
            l.take_params(|n, _| n.eq_ignore_ascii_case("VALUE"));
            l.value = escape(num);
        }
    }
    let pref = l.take_params(|n, _| n.eq_ignore_ascii_case("PREF"));
    if !pref.is_empty() {
        l.params.push("TYPE=pref".into());
    }
    if matches!(upper.as_str(), "BDAY" | "ANNIVERSARY") {
        let v = p.value.trim();
        if let Some(md) = v.strip_prefix("--") {
            if md.len() == 4 && md.bytes().all(|b| b.is_ascii_digit()) {
                l.params.push(format!("{APPLE_OMIT_YEAR}=1604"));
                l.value = format!("1604-{}-{}", &md[..2], &md[2..]);
            }
        } else if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) {
            l.value = format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]);
        }
    }
    l.text()
}

/// A vCard 2.1 line as 3.0: bare types become `TYPE=`, `ENCODING=QUOTED-PRINTABLE` values are
/// decoded (with their `CHARSET`), `ENCODING=BASE64` becomes `ENCODING=b`.
pub fn from_21(line: &str) -> String {
    let Some(p) = Prop::parse(line) else { return line.to_string() };
    let mut l = Line::of(&p);
    let bare: Vec<String> =
        l.take_params(|n, v| n.is_empty() && !v.contains('=')).into_iter().collect();
    let qp = l
        .take_params(|n, v| {
            n.eq_ignore_ascii_case("ENCODING") && v.eq_ignore_ascii_case("QUOTED-PRINTABLE")
        })
        .len()
        + l.take_params(|n, v| n.is_empty() && v.eq_ignore_ascii_case("QUOTED-PRINTABLE")).len();
    let charset = l.take_params(|n, _| n.eq_ignore_ascii_case("CHARSET"));
    let b64 = l.take_params(|n, v| {
        (n.eq_ignore_ascii_case("ENCODING") || n.is_empty()) && v.eq_ignore_ascii_case("BASE64")
    });
    let bare: Vec<String> = bare
        .into_iter()
        .filter(|b| {
            !b.eq_ignore_ascii_case("QUOTED-PRINTABLE") && !b.eq_ignore_ascii_case("BASE64")
        })
        .collect();
    if !b64.is_empty() {
        l.params.insert(0, "ENCODING=b".into());
        l.value = l.value.split_whitespace().collect();
    }
    if !bare.is_empty() {
        l.params.push(format!("TYPE={}", bare.join(",")));
    }
    if qp > 0 {
        let bytes = decode_qp(&l.value);
        let latin1 = charset.iter().any(|c| {
            let c = value_of(c).to_ascii_lowercase();
            c.contains("8859-1") || c.contains("1252")
        });
        let text = if latin1 {
            bytes.iter().map(|b| char::from(*b)).collect()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        // The decoded text is a value again: escape line breaks (components stay as written).
        l.value = text.replace("\r\n", "\\n").replace('\n', "\\n");
    }
    l.text()
}

fn decode_qp(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}
