//! Import into and export from an account: files in, contacts out, with reports.
