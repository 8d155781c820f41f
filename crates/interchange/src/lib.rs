//! Import and export of contacts: vCard, CSV, Excel.
