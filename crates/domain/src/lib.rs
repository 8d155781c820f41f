//! Rolo's domain model: accounts, contacts, groups, devices, and their validation.
//!
//! Everything here compiles for the server and for the browser (wasm32): no I/O, no database.
//! Values that must be valid are newtypes with private fields built through `parse`, and every
//! stored contact follows [`ContactData::check`].
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod book;
mod contact;
mod errors;
#[cfg(feature = "generate")]
pub mod generate;
mod group;
mod ids;
pub mod merge;
mod name;

pub use account::*;
pub use book::*;
pub use contact::*;
pub use errors::{FieldError, ValidationErrors};
pub use group::{Group, GroupData};
pub use ids::{AccountId, BookId, ContactId, DeviceId, GroupId, IdError, TeamId};
pub use name::{display_name_for, is_cjk};

#[cfg(test)]
mod tests;
