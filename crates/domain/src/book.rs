//! Address books, who may read and write them, and teams.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{AccountId, BookId, TeamId};

/// What kind of book: an account's own, or a company directory that admins keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookKind {
    Personal,
    Directory,
}

impl BookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookKind::Personal => "personal",
            BookKind::Directory => "directory",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(BookKind::Personal),
            "directory" => Some(BookKind::Directory),
            _ => None,
        }
    }
}

/// What an account may do with a book. Ordered: a later one allows more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read the contacts and groups.
    ReadOnly,
    /// Read, add, edit and delete contacts and groups.
    ReadWrite,
    /// All of that, and rename, describe, share and delete the book (a personal book's owner;
    /// every admin for a directory).
    Owner,
}

impl Access {
    pub fn can_write(self) -> bool {
        self >= Access::ReadWrite
    }
    pub fn is_owner(self) -> bool {
        self == Access::Owner
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "read_only",
            Access::ReadWrite => "read_write",
            Access::Owner => "owner",
        }
    }
}

/// A book's name: 1–100 characters, no control characters, trimmed.
pub fn check_book_name(raw: &str) -> Result<String, String> {
    check_name(raw, "an address book", "An address book")
}

/// A team's name: like a book's.
pub fn check_team_name(raw: &str) -> Result<String, String> {
    check_name(raw, "a team", "A team")
}

fn check_name(raw: &str, what: &str, what_cap: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!("Enter a name for {what}."));
    }
    if s.chars().count() > 100 {
        return Err(format!("{what_cap}'s name has at most 100 characters."));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what_cap}'s name cannot contain control characters."));
    }
    Ok(s.to_string())
}

/// A book's description: at most 1,000 characters (line breaks allowed), trimmed.
pub fn check_book_description(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.chars().count() > 1000 {
        return Err("An address book's description has at most 1,000 characters.".into());
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("An address book's description cannot contain control characters.".into());
    }
    Ok(s.to_string())
}

/// A book as one account sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookInfo {
    pub id: BookId,
    pub name: String,
    pub description: String,
    pub kind: BookKind,
    /// The owning account of a personal book (`None` for a directory).
    pub owner: Option<AccountId>,
    /// The owner's username, for "shared by …".
    pub owner_name: Option<String>,
    /// What the account looking may do.
    pub access: Access,
    /// The account's first book, which cannot be deleted.
    pub is_first: bool,
    /// The name a CardDAV client gave the book's collection when it made it (its owner's
    /// URL for it); `None`: the book's id.
    #[serde(default)]
    pub dav_segment: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set while the book is in the trash.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Whom a book is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Grantee {
    Account(AccountId),
    Team(TeamId),
    /// Every account (what a company directory is usually shared with).
    Everyone,
}

/// One share of a book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareInfo {
    pub grantee: Grantee,
    /// The account's username or the team's name ("everyone" for all).
    pub grantee_name: String,
    pub can_write: bool,
    pub created_at: DateTime<Utc>,
}

/// A team: a named set of accounts that admins manage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamInfo {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<(AccountId, String)>,
    pub created_at: DateTime<Utc>,
}
