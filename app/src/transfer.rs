//! What the console's import and export endpoints (`/console/…`, served by the server crate)
//! exchange with the Import page: plain serde types, used on both sides.

use serde::{Deserialize, Serialize};

/// One column of a CSV or Excel file in the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDto {
    pub header: String,
    /// What the column is read as (e.g. "Phone 1 (mobile)", "Extra field", "Ignored").
    pub target: String,
}

/// One previewed row: a contact as it will be imported, or why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRowDto {
    pub line: usize,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub groups: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewDto {
    pub format: String,
    pub encoding: Option<String>,
    pub dialect: Option<String>,
    pub total_rows: usize,
    pub columns: Vec<ColumnDto>,
    pub rows: Vec<PreviewRowDto>,
}

/// A failed row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDto {
    pub line: usize,
    pub reason: String,
}

/// An import job as the Import page polls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDto {
    /// "running", "done" or "failed".
    pub state: String,
    pub rows_done: usize,
    pub rows_total: usize,
    pub imported: usize,
    pub updated: usize,
    pub skipped: usize,
    pub failed: usize,
    /// The first failures (all of them are in the CSV report).
    pub failures: Vec<FailureDto>,
    /// The group the contacts were put in, if any.
    pub group: Option<String>,
    /// Why the job failed as a whole.
    pub message: Option<String>,
}

/// Column choices offered in the mapping step: (value, label). "keep" keeps the suggestion.
pub const MAPPING_CHOICES: [(&str, &str); 23] = [
    ("keep", "as detected"),
    ("ignore", "ignore"),
    ("extra", "keep as extra field"),
    ("display_name", "Display name"),
    ("family_name", "Family name"),
    ("given_name", "Given name"),
    ("additional_name", "Middle name"),
    ("name_prefix", "Name prefix"),
    ("name_suffix", "Name suffix"),
    ("nickname", "Nickname"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("organization", "Organization"),
    ("department", "Department"),
    ("title", "Title"),
    ("birthday", "Birthday"),
    ("anniversary", "Anniversary"),
    ("website", "Website"),
    ("im", "Instant messaging address"),
    ("related", "Related person"),
    ("notes", "Notes"),
    ("groups", "Groups"),
    ("uid", "UID"),
];

/// Error body of the endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDto {
    pub message: String,
}
