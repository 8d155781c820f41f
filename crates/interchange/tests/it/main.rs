//! Integration tests: one binary, one module per format. Fixtures are in `tests/fixtures/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod csv_export;
mod csv_import;
mod sample;
mod vcard;
mod xlsx;

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}
