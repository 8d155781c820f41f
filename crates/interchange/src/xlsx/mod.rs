//! Excel: export with `rust_xlsxwriter` ([`XlsxWriter`], [`write_groups`]) and import with
//! `calamine` ([`analyse`], [`read_rows`]) within [`WorkbookLimits`] checked before and while a
//! file is read.

mod guard;
mod read;
mod write;

pub use crate::table::Record;
pub use guard::{WorkbookLimits, MAX_COLUMNS, MAX_TEXT_RUN};
pub use read::{analyse, read_rows, SheetAnalysis, XlsxAnalysis};
pub(crate) use write::CELL_MAX;
pub use write::{ram_tempdir, write_groups, XlsxWriter};
