//! Accounts, their passwords, and the devices that sync them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{AccountId, DeviceId};

/// A login name: 1–64 characters of lowercase letters, digits, `.`, `_`, `-` and `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter a username.".into());
        }
        if s.chars().count() > 64 {
            return Err("A username has at most 64 characters.".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
            return Err("A username may contain only letters a–z, digits and . _ - @".into());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}
impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Minimum and maximum password lengths (in characters).
/// What every device token begins with (so a token is never mistaken for a password).
pub const DEVICE_TOKEN_PREFIX: &str = "rolo_";

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;

/// Checks a new password's length; returns a message a person understands.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(format!("A password needs at least {PASSWORD_MIN} characters."));
    }
    if n > PASSWORD_MAX {
        return Err(format!("A password has at most {PASSWORD_MAX} characters."));
    }
    Ok(())
}

/// What the console shows about an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: AccountId,
    pub username: Username,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The console language the account chose ("en" or "zh"), if any.
    #[serde(default)]
    pub lang: Option<String>,
}

/// What kind of device syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Phone,
    Tablet,
    Pc,
    Other,
    /// A console browser that keeps contacts for offline use and sends its offline edits
    /// (signed in by its console session, not a token; made by the console, not listed in `ALL`).
    Browser,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 4] =
        [DeviceKind::Phone, DeviceKind::Tablet, DeviceKind::Pc, DeviceKind::Other];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_lowercase().as_str() {
            "phone" => Ok(DeviceKind::Phone),
            "tablet" => Ok(DeviceKind::Tablet),
            "pc" | "computer" | "desktop" | "laptop" => Ok(DeviceKind::Pc),
            "other" => Ok(DeviceKind::Other),
            "browser" => Ok(DeviceKind::Browser),
            other => {
                Err(format!("“{other}” is not a device kind: use phone, tablet, pc or other."))
            }
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Pc => "pc",
            DeviceKind::Other => "other",
            DeviceKind::Browser => "browser",
        }
    }
}

/// A device's name: 1–64 characters, no control characters.
pub fn parse_device_name(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Give the device a name.".into());
    }
    if s.chars().count() > 64 {
        return Err("A device name has at most 64 characters.".into());
    }
    if s.chars().any(char::is_control) {
        return Err("A device name cannot contain control characters.".into());
    }
    Ok(s.to_string())
}

/// A registered device, as the console and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub name: String,
    pub kind: DeviceKind,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_cursor: Option<i64>,
    pub last_addr: Option<String>,
    /// Changes the server sent to the device.
    pub changes_sent: i64,
    /// Changes the device sent to the server.
    pub changes_received: i64,
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    Console,
    Cli,
    Device(DeviceId),
    /// "Undo changes": the book (or a group) put back as it was at this time. Every revision
    /// one undo writes carries the same origin (and the same time), so history shows it as one
    /// step.
    Undo(DateTime<Utc>),
}

impl Origin {
    /// The stored form: `console`, `cli`, `device:<uuid>` or `undo:<ms since the epoch>`.
    pub fn to_db(self) -> String {
        match self {
            Origin::Console => "console".into(),
            Origin::Cli => "cli".into(),
            Origin::Device(id) => format!("device:{id}"),
            Origin::Undo(at) => format!("undo:{}", at.timestamp_millis()),
        }
    }
    pub fn from_db(s: &str) -> Origin {
        if let Some(at) = s
            .strip_prefix("undo:")
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis)
        {
            return Origin::Undo(at);
        }
        match s.strip_prefix("device:").map(DeviceId::parse) {
            Some(Ok(id)) => Origin::Device(id),
            _ if s == "cli" => Origin::Cli,
            _ => Origin::Console,
        }
    }
}
