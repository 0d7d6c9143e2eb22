//! The CSV writer: UTF-8 with a byte-order mark, so Excel reads Chinese
//! correctly. A case export is streamed a page at a time; the statistics
//! tables are written one after another, each preceded by a row with its
//! title and followed by an empty row.

use super::table::{Cell, Table};
use super::{CaseExport, ExportError};
use axum::body::Bytes;
use tokio::sync::mpsc::Sender;

/// The media type of a CSV answer.
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The UTF-8 byte-order mark that makes Excel read a CSV as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The cell as CSV text. Text that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
/// leading apostrophe: free text typed by residents must not execute
/// when a CSV is opened.
///
/// A number kept as text (a phone, an ID-card number, a hotline's order
/// number) that a spreadsheet would read as a number gets a trailing tab,
/// which Excel and WPS take as text: read as a number, a mobile number
/// shows as 1.39E+10, an 18-digit ID-card number loses its last three
/// digits (15 significant digits) and a landline its leading zero. So does
/// a label a spreadsheet would read as a date, a time or a number written
/// otherwise (a unit `3-2` became 2 March, `1E3` 1000, `1.10` 1.1).
pub fn field(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Cell::Text(s) if read_as_a_number(s) || read_as_a_date(s) => format!("{s}\t"),
        Cell::Text(s) => s.clone(),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Cell::Number(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// Digits a spreadsheet would turn into a number it cannot show as typed:
/// more than ten of them, or a leading zero.
fn read_as_a_number(s: &str) -> bool {
    s.len() > 1 && s.bytes().all(|b| b.is_ascii_digit()) && (s.len() > 10 || s.starts_with('0'))
}

/// Digits with separators a spreadsheet reads as a date, a time or a
/// decimal (`3-2`, `1/2`, `12:30`, `1.10`), or in scientific notation
/// (`1E3`). A plain integer of ten digits or fewer it shows as typed, and
/// a whole date (`2027-02-06`, the export's own dates) is one.
fn read_as_a_date(s: &str) -> bool {
    let whole_date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    let separated = !whole_date
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| matches!(b, b'-' | b'/' | b':' | b'.'))
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'/' | b':' | b'.'));
    let scientific = s.split_once(['e', 'E']).is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && [a, b].iter().all(|p| p.bytes().all(|d| d.is_ascii_digit()))
    });
    separated || scientific
}

/// Writes the case export in chunks of one page into `tx` until done or
/// the client goes away ([`ExportError::Closed`]).
pub fn cases(
    export: &CaseExport,
    tx: &Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let mut chunk = BOM.to_vec();
    let mut header = csv::Writer::from_writer(&mut chunk);
    header.write_record(export.headers())?;
    header.flush()?;
    drop(header);
    export.for_each_page(|rows| {
        // One writer per page over the same buffer: the csv writer
        // buffers internally, and each page is sent as one chunk.
        let mut out = csv::Writer::from_writer(&mut chunk);
        for row in &rows {
            out.write_record(row.iter().map(field))?;
        }
        out.flush()?;
        drop(out);
        let bytes = std::mem::take(&mut chunk);
        if bytes.is_empty() {
            return Ok(());
        }
        send(tx, Ok(Bytes::from(bytes)))
    })
}

/// How long an export waits for a client that reads nothing more: one
/// that keeps its connection open without reading would hold a thread of
/// the server's blocking pool for ever, and enough of them every request
/// (each session is looked up on that pool).
pub const READ_STALL: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends `chunk` from a blocking thread, giving up ([`ExportError::Closed`])
/// when the client is gone or has read nothing for [`READ_STALL`].
pub fn send(
    tx: &Sender<Result<Bytes, std::io::Error>>,
    chunk: Result<Bytes, std::io::Error>,
) -> Result<(), ExportError> {
    tokio::runtime::Handle::current()
        .block_on(tx.send_timeout(chunk, READ_STALL))
        .map_err(|_| ExportError::Closed)
}

/// The tables as one CSV: title row, header row, rows, empty row.
pub fn tables(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    for t in tables {
        out.write_record([t.title.as_str()])?;
        out.write_record(&t.headers)?;
        for row in &t.rows {
            out.write_record(row.iter().map(field))?;
        }
        out.write_record([""])?;
    }
    out.into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_do_not_become_formulas() {
        assert_eq!(field(&Cell::text("=SUM(A1)")), "'=SUM(A1)");
        assert_eq!(field(&Cell::text("+86 139")), "'+86 139");
        assert_eq!(field(&Cell::text("@home")), "'@home");
        assert_eq!(field(&Cell::text("楼道灯坏了")), "楼道灯坏了");
        assert_eq!(field(&Cell::Number(3.0)), "3");
        assert_eq!(field(&Cell::Number(90.91)), "90.91");
        assert_eq!(field(&Cell::Empty), "");
        assert_eq!(field(&Cell::text("13912345678")), "13912345678\t");
        assert_eq!(
            field(&Cell::text("110105194912310021")),
            "110105194912310021\t"
        );
        assert_eq!(field(&Cell::text("02161234567")), "02161234567\t");
        assert_eq!(field(&Cell::text("0")), "0");
        assert_eq!(field(&Cell::text("400")), "400");
        assert_eq!(field(&Cell::text("139****5678")), "139****5678");
        // Labels a spreadsheet would take for a date, a time or a number.
        for label in ["3-2", "1/2", "12:30", "1.10", "1E3"] {
            assert_eq!(field(&Cell::text(label)), format!("{label}\t"), "{label}");
        }
        for label in ["3栋", "A-2", "E3", "1E", "HY-261123-0K-0042", "2027-02-06"] {
            assert_eq!(field(&Cell::text(label)), label, "{label}");
        }
        assert_eq!(Cell::text(""), Cell::Empty);
    }
}
