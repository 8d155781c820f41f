//! vCard import and export: the `vcard` crate (cards kept as written, their typed view, edits,
//! 3.0 ⇄ 4.0).
pub use vcard::*;
