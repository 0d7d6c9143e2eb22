//! The XLSX writer (rust_xlsxwriter). A case export is written in
//! constant-memory mode — rows go to a temporary file, not to RAM — then
//! saved to a temporary file that the handler streams and that vanishes
//! when closed; a longer export than one worksheet holds continues on the
//! next. The statistics are one worksheet per table, built in memory.

use super::table::{CASE_COLUMNS, Cell, Table};
use super::{CaseExport, ExportError};
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use shared::lang::Lang;

/// The most data rows on one worksheet (Excel's limit less the header);
/// a longer export continues on a second sheet.
pub const MAX_SHEET_ROWS: u32 = 1_048_575;

/// The media type of a workbook.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Writes the case export to a temporary file (deleted once the returned
/// handle is closed) and answers it with its length.
pub fn cases(export: &CaseExport) -> Result<(std::fs::File, u64), ExportError> {
    let lang = export.labels.lang();
    let headers = export.headers();
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let mut sheet_index = 0;
    case_sheet(&mut workbook, lang, 1, &headers, &bold)?;
    let mut row: u32 = 0;
    export.for_each_page(|rows| {
        for cells in &rows {
            if row == MAX_SHEET_ROWS {
                sheet_index += 1;
                case_sheet(&mut workbook, lang, sheet_index + 1, &headers, &bold)?;
                row = 0;
            }
            row += 1;
            let sheet = workbook.worksheet_from_index(sheet_index)?;
            write_cells(sheet, row, cells)?;
        }
        Ok(())
    })?;
    save(&mut workbook)
}

/// The tables as one workbook, one worksheet each.
pub fn tables(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for t in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&t.sheet)?;
        sheet.set_column_width(0, 24)?;
        for (col, h) in t.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &bold)?;
            if col > 0 {
                sheet.set_column_width(col as u16, 14)?;
            }
        }
        for (i, row) in t.rows.iter().enumerate() {
            write_cells(sheet, i as u32 + 1, row)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// Adds a constant-memory worksheet for cases with its header row.
fn case_sheet(
    workbook: &mut Workbook,
    lang: Lang,
    number: usize,
    headers: &[String],
    bold: &Format,
) -> Result<(), ExportError> {
    let name = match (lang, number) {
        (Lang::ZhCn, 1) => "工单".to_string(),
        (Lang::En, 1) => "Cases".to_string(),
        (Lang::ZhCn, n) => format!("工单{n}"),
        (Lang::En, n) => format!("Cases {n}"),
    };
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(name)?;
    // Column widths must be set before the first row in constant-memory mode.
    // By header, not by position: columns added since moved the long
    // texts' widths onto their neighbours.
    for (header, width) in [
        ("登记号", 22),
        ("项目", 14),
        ("位置", 16),
        ("受理时间", 17),
        ("登记时间", 17),
        ("内容", 40),
        ("纠正预防措施", 38),
        ("措施验证", 30),
        ("处理理由", 30),
        ("整改计划", 30),
    ] {
        if let Some(col) = CASE_COLUMNS.iter().position(|(zh, _)| *zh == header) {
            sheet.set_column_width(col as u16, width)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, bold)?;
    }
    Ok(())
}

fn write_cells(sheet: &mut Worksheet, row: u32, cells: &[Cell]) -> Result<(), ExportError> {
    for (col, cell) in cells.iter().enumerate() {
        let col = col as u16;
        match cell {
            Cell::Text(s) => {
                sheet.write_string(row, col, xlsx_text(s))?;
            }
            // NaN and infinities are not numbers a spreadsheet can hold.
            Cell::Number(n) if n.is_finite() => {
                sheet.write_number(row, col, *n)?;
            }
            Cell::Number(_) => {}
            Cell::Empty => {}
        }
    }
    Ok(())
}

/// The most characters an XLSX cell holds.
const XLSX_CELL_CHARS: usize = 32_767;

/// Text cut to what a cell holds. Pushed ops are bounded far below this
/// (`shared::validation::MAX_TEXT`), so only data stored before those
/// bounds existed is ever cut; an export never fails on stored data.
fn xlsx_text(s: &str) -> &str {
    match s.char_indices().nth(XLSX_CELL_CHARS) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Saves a workbook to a temporary file and reopens it for reading; the
/// file's name is removed at once, so it vanishes when the handle closes.
fn save(workbook: &mut Workbook) -> Result<(std::fs::File, u64), ExportError> {
    let tmp = tempfile::NamedTempFile::new()?;
    workbook.save(tmp.path())?;
    let file = tmp.reopen()?;
    let len = file.metadata()?.len();
    tmp.close()?;
    Ok((file, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_stored_text_or_number_makes_the_xlsx_writer_fail() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let long = "字".repeat(40_000);
        write_cells(
            sheet,
            1,
            &[
                Cell::text(long.clone()),
                Cell::Number(f64::NAN),
                Cell::Number(f64::INFINITY),
            ],
        )
        .expect("every cell writes");
        assert_eq!(xlsx_text(&long).chars().count(), XLSX_CELL_CHARS);
        assert_eq!(xlsx_text("短"), "短");
    }
}
