//! The crate's errors: one for reading files, one for writing them.

/// Why a CSV or Excel file cannot be read at all (problems with single rows are
/// [`RowError`](crate::RowError)s instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file has no header row: the first line should name the columns.")]
    NoHeader,
    #[error("This is not a CSV text file{hint}.")]
    NotText { hint: &'static str },
    #[error(
        "The file is not valid {encoding} text{at}. Choose the file's encoding and try again."
    )]
    Encoding { encoding: &'static str, at: String },
    #[error("The column mapping has {mapping} columns but the file has {file}.")]
    MappingMismatch { mapping: usize, file: usize },
    #[error("The spreadsheet cannot be read: {0}. Save it again as .xlsx, or export it as CSV.")]
    Spreadsheet(String),
    #[error("The workbook has no sheet with a header row.")]
    NoSheet,
    #[error("The spreadsheet is too large to import: {0}.")]
    TooLarge(String),
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("Could not write the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("“{contact}” has {count} {what}, but the export has columns for {max}; export with more columns.")]
    TooMany { contact: String, what: &'static str, count: usize, max: usize },
    #[error("“{contact}”: the {column} is longer than the 32,767 characters an Excel cell holds; export as CSV instead.")]
    CellTooLong { contact: String, column: String },
    #[error("Could not write the Excel file: {0}")]
    Xlsx(String),
}

impl From<::csv::Error> for ExportError {
    fn from(e: ::csv::Error) -> Self {
        ExportError::Io(e.into())
    }
}
