//! Rolo's server from outside: one test binary (one link) of modules. Servers listen on a
//! loopback port each, with a database of their own.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, clippy::panic)]

mod books;
mod carddav;
mod cli;
mod common;
mod conformance;
mod device_api;
mod fidelity;
mod http;
mod instances;
mod offline;
mod photos;
mod routes;
mod security;
mod sync_client;
mod upgrade;
