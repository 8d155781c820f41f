//! Rolo's storage on SQL databases: [`SqliteBackend`] (the embedded default) and
//! [`PostgresBackend`], one implementation of the store's backend traits for both.
//!
//! The queries, row mapping and transaction shapes are written once (`src/shared/`) and
//! compiled for each database, so each is checked against its own driver's types; what the two
//! databases do differently lives in each module's `dialect`. Migrations are one folder per
//! database (`migrations/sqlite`, `migrations/postgres`, same file names, same schema).
#![deny(clippy::unwrap_used, clippy::expect_used)]
// `src/shared` is compiled once per database on purpose (see above).
#![allow(clippy::duplicate_mod)]

mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PostgresBackend;
pub use sqlite::SqliteBackend;
