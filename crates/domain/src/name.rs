//! Display names: Chinese (and other CJK) names read family-first without a space.

use crate::StructuredName;

/// True for characters of the CJK scripts (Han, Hiragana, Katakana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x3134F  // Extensions B–H
    )
}

/// The name to show when the user gave none: "张伟" for 张 + 伟, "Ada Lovelace" otherwise.
pub fn display_name_for(name: &StructuredName) -> String {
    let family = name.family.trim();
    let given = name.given.trim();
    if family.is_empty() || given.is_empty() {
        return format!("{family}{given}");
    }
    if family.chars().any(is_cjk) || given.chars().any(is_cjk) {
        format!("{family}{given}")
    } else {
        format!("{given} {family}")
    }
}
