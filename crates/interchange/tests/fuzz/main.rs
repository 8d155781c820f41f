//! Property-based fuzzing of the import parsers (see `docs/fuzzing.md`): vCard, CSV/TSV with
//! encoding detection, and workbooks. Every property feeds random or hostile input and checks
//! that the parser does not panic, allocates within `fuzz_support::alloc_bound` of its input,
//! and, where a writer exists, that what is written reads back the same.
//!
//! `ROLO_FUZZ_CASES` sets the cases per property (256 by default).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod csv;
mod gen;
mod vcard;
mod xlsx;

#[global_allocator]
static ALLOC: fuzz_support::CountingAlloc = fuzz_support::CountingAlloc;
