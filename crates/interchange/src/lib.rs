//! Import and export of contacts: vCard, CSV, Excel.
//!
//! * [`vcard`]: vCard 2.1/3.0/4.0 ⇄ [`domain::ContactData`], keeping unknown properties.
//! * [`csv`]: CSV import (encoding, delimiter and column dialect detection) and streaming export.
//! * [`xlsx`]: Excel export (`rust_xlsxwriter`) and import (`calamine`), with the CSV columns.
//!
//! CSV and Excel share one column model ([`ColumnMapping`], [`Dialect`], [`Layout`]) and one
//! row type ([`ImportedRow`]).
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod csv;
mod error;
#[cfg(feature = "hostile")]
pub mod hostile;
mod table;
pub mod vcard;
pub mod xlsx;

pub use error::{ExportError, ImportError};
pub use table::{
    guard_formula, unguard_formula, AddressPart, ColumnMapping, ColumnTarget, Columns, Dialect,
    Field, ImportedRow, Layout, Record, RowError, RowResult,
};
