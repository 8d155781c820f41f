//! The downloadable import report.

use crate::ImportReport;

/// The report as CSV (UTF-8 with a BOM, so spreadsheets show any language): one line per row of
/// the file, `Line, Outcome, Contact, Reason`, cells guarded against formula injection.
pub fn report_csv(report: &ImportReport) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut rows: Vec<&crate::RowOutcome> = report.rows.iter().collect();
    rows.sort_by_key(|r| r.line);
    // Writing to a Vec cannot fail.
    let _ = w.write_record(["Line", "Outcome", "Contact", "Reason"]);
    for r in rows {
        let contact = r.contact.map(|c| c.to_string()).unwrap_or_default();
        let line = r.line.to_string();
        let cells = [line.as_str(), r.outcome.as_str(), contact.as_str(), r.reason.as_str()];
        let _ = w.write_record(
            cells.iter().map(|c| interchange::guard_formula(c)).map(|c| c.into_owned()),
        );
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}
