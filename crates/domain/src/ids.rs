//! Identifier newtypes. A contact's id is a UUID given by whichever side creates it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a valid id (expected a UUID like 0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f60).")]
pub struct IdError(pub String);

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| IdError(raw.chars().take(80).collect()))
            }
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(
    /// An account's id.
    AccountId
);
uuid_id!(
    /// A contact's id: stable for the contact's whole life, on every device.
    ContactId
);
uuid_id!(
    /// A sync device's id.
    DeviceId
);
uuid_id!(
    /// A contact group's id.
    GroupId
);
uuid_id!(
    /// An address book's id. An account's first book has the account's id.
    BookId
);
uuid_id!(
    /// A team's id: a named set of accounts that books are shared with.
    TeamId
);

impl BookId {
    /// The account's first book ("Contacts"), which it always has.
    pub fn first_of(account: AccountId) -> Self {
        Self(*account.as_uuid())
    }
}
