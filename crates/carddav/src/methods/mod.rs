//! One module per WebDAV / CardDAV method.

pub mod delete;
pub mod get;
pub mod options;
pub mod propfind;
pub mod proppatch;
pub mod put;
pub mod report;
pub mod unsupported;
