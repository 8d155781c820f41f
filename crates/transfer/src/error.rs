//! The crate's one error type.

use domain::ContactId;

/// Why an import, a preview or an export stopped. Problems with single rows are not errors:
/// they are [`RowFailure`](crate::RowFailure)s in the report, and the other rows go on.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("The file is {} but at most {} can be imported at once.", size_text(*size), size_text(*max))]
    TooLarge { size: usize, max: usize },
    #[error("The file has {rows} rows but at most {max} can be imported at once; split it into smaller files.")]
    TooManyRows { rows: usize, max: usize },
    /// The file cannot be read at all (empty, binary, wrong encoding, no header, broken workbook…).
    #[error("{0}")]
    File(#[from] interchange::ImportError),
    #[error("The file is not valid {0} text. Choose the file's encoding and try again.")]
    Encoding(&'static str),
    #[error("“{0}” is not an encoding Rolo knows; try utf-8, gbk, gb18030, big5, utf-16le, utf-16be or windows-1252.")]
    UnknownEncoding(String),
    #[error("“{0}” is not a file format Rolo reads; use csv, xlsx or vcf.")]
    UnknownFormat(String),
    #[error("The file has no vCard in it (no BEGIN:VCARD line).")]
    NoCards,
    #[error("There is no contact {0} in this address book.")]
    UnknownContact(ContactId),
    #[error("{0}")]
    Export(#[from] interchange::ExportError),
    #[error("Could not write the file: {0}")]
    Io(#[from] std::io::Error),
    /// A storage failure (the detail is for the log).
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

fn size_text(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}
