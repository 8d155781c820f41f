//! Rolo's composition root: configuration, choice of backend, keys, the HTTP app.
#![recursion_limit = "256"]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod cli_backup;
pub mod cli_books;
pub mod cli_transfer;
pub mod config;
pub mod photo_routes;
pub mod setup;
pub mod transfer_routes;
pub mod web;
