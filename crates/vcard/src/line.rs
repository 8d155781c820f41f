//! One content line of a vCard, read without changing it: its group, name, parameters and
//! value as slices of the line, so that what is not edited is written back byte for byte.

/// One parameter: its name (empty for a vCard 2.1 bare type such as `;CELL`) and its values,
/// without the quotes around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    pub name: &'a str,
    pub values: Vec<&'a str>,
    /// The parameter as written (without its leading `;`).
    pub raw: &'a str,
}

impl Param<'_> {
    /// Whether this is a type parameter (`TYPE=…`, or a 2.1 bare type).
    pub fn is_type(&self) -> bool {
        self.name.is_empty() || self.name.eq_ignore_ascii_case("TYPE")
    }
}

/// A property line: `[group.]NAME[;param…]:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop<'a> {
    pub group: Option<&'a str>,
    pub name: &'a str,
    pub params: Vec<Param<'a>>,
    /// The raw value, still escaped.
    pub value: &'a str,
    /// The length of everything before the value's `:`.
    pub head_len: usize,
}

impl<'a> Prop<'a> {
    /// Reads a line; `None` when it is not a property (no name, or no `:` after it).
    pub fn parse(line: &'a str) -> Option<Prop<'a>> {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() && !matches!(bytes[i], b';' | b':') {
            i += 1;
        }
        let head = &line[..i];
        let (group, name) = match head.rfind('.') {
            Some(dot) => (Some(&head[..dot]), &head[dot + 1..]),
            None => (None, head),
        };
        let valid = |s: &str| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !valid(name) || group.is_some_and(|g| !valid(g)) {
            return None;
        }
        let mut params = Vec::new();
        while i < bytes.len() && bytes[i] == b';' {
            i += 1;
            let start = i;
            let mut quoted = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => quoted = !quoted,
                    b';' | b':' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            let raw = &line[start..i];
            let (pname, pvalue) = match raw.find('=') {
                Some(eq) if !raw[..eq].contains('"') => (&raw[..eq], Some(&raw[eq + 1..])),
                _ => ("", Some(raw)),
            };
            let values = pvalue.map(split_param_values).unwrap_or_default();
            if !pname.is_empty() || !raw.is_empty() {
                params.push(Param { name: pname, values, raw });
            }
        }
        if i >= bytes.len() || bytes[i] != b':' {
            return None;
        }
        Some(Prop { group, name, params, value: &line[i + 1..], head_len: i })
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The values of the parameters named `name` (case-insensitive).
    pub fn param(&self, name: &str) -> impl Iterator<Item = &'a str> + '_ {
        let name = name.to_string();
        self.params
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(&name))
            .flat_map(|p| p.values.iter().copied())
    }

    /// Every type word, lower-cased (`TYPE=work,voice;TYPE=pref` and 2.1's `;WORK;VOICE`).
    pub fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|p| p.is_type())
            .flat_map(|p| p.values.iter())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

fn split_param_values(raw: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(unquote(&raw[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(unquote(&raw[start..]));
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

/// A text value unescaped (`\n` `\N` → line break, `\,` `\;` `\\` → the character).
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A structured value's components (split at unescaped `;`), each unescaped.
pub fn components(raw: &str) -> Vec<String> {
    split_unescaped(raw, ';').into_iter().map(unescape).collect()
}

/// A value split at an unescaped separator, still escaped.
pub fn split_unescaped(raw: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(&raw[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&raw[start..]);
    out
}

/// Text escaped for a value: `\`, `,`, `;` and line breaks (control characters dropped, a tab
/// kept).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let text = text.replace("\r\n", "\n");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' | '\r' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Components escaped and joined with `;`.
pub fn join_components<S: AsRef<str>>(parts: &[S]) -> String {
    parts.iter().map(|p| escape(p.as_ref())).collect::<Vec<_>>().join(";")
}

/// Appends one logical line, folded at 75 octets on character boundaries, with CRLF.
///
/// No physical line but the last ends with `=`: in a quoted-printable value, `=` at a line's
/// end is a soft break, so a fold right after one would lose the `=` when read back. The `=`s
/// move to the next physical line instead (unless a line holds nothing else).
pub fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    let mut first = true;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            // The physical line's text (past a continuation's leading space), and its run of `=`.
            let text = if first { width } else { width - 1 };
            let held = out.len() - out.trim_end_matches('=').len();
            let moved = if held < text { held } else { 0 };
            first = false;
            out.truncate(out.len() - moved);
            out.push_str("\r\n ");
            out.extend(std::iter::repeat_n('=', moved));
            width = 1 + moved;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}
