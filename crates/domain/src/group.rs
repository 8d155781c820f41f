//! Groups: a name; membership lives on the contacts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::GroupId;

/// A group's content: what is sealed in the store. Membership lives on the contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GroupDataRaw")]
pub struct GroupData {
    name: String,
}

#[derive(Deserialize)]
struct GroupDataRaw {
    name: String,
}

impl TryFrom<GroupDataRaw> for GroupData {
    type Error = String;
    fn try_from(raw: GroupDataRaw) -> Result<Self, Self::Error> {
        GroupData::parse(&raw.name)
    }
}

impl GroupData {
    /// A group name: 1–100 characters, no control characters.
    pub fn parse(name: &str) -> Result<Self, String> {
        let s = name.trim();
        if s.is_empty() {
            return Err("Give the group a name.".into());
        }
        if s.chars().count() > 100 {
            return Err("A group name has at most 100 characters.".into());
        }
        if s.chars().any(char::is_control) {
            return Err("A group name cannot contain control characters.".into());
        }
        Ok(GroupData { name: s.to_string() })
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A stored group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub revision: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
