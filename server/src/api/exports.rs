//! Exports for meetings and auditors: the case list and the statistics
//! tables, as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese
//! correctly) and XLSX. Same roles and scope as the statistics
//! ([`super::stats`]); complainants' names and phones are masked unless
//! the role may see personal data (`Role::sees_personal_data`).
//!
//! Headers are Chinese by default, English with `lang=en`. Times are local
//! times of the company timezone, `YYYY-MM-DD HH:MM`.
//!
//! **Case columns** (`cases.csv`, `cases.xlsx`), in order:
//!
//! | # | 中文 | English | content |
//! |---|---|---|---|
//! | 1 | 登记号 | Registration no. | the registration number |
//! | 2 | 类型 | Kind | 投诉 / 报修 / 建议 / 咨询 |
//! | 3 | 状态 | State | workflow state now |
//! | 4 | 项目 | Property | property name |
//! | 5 | 位置 | Location | building and unit, or 公共区域 |
//! | 6 | 类别 | Category | category name |
//! | 7 | 渠道 | Channel | how it reached us |
//! | 8 | 投诉人 | Complainant | name (masked: 张*) |
//! | 9 | 联系电话 | Phone | phone (masked: 139****5678) |
//! | 10 | 受理时间 | Received | when it reached us |
//! | 11 | 登记时间 | Recorded | when it was registered |
//! | 12 | 内容 | Content | what the resident said |
//! | 13 | 诉求 | Requested remedy | what they asked for |
//! | 14 | 严重程度 | Severity | 轻微 / 一般 / 重大, or 未评估 |
//! | 15 | 有效性 | Validity | 有效投诉 / 不成立 (complaints) |
//! | 16 | 紧急 | Urgent | 是 / 否 |
//! | 17 | 上报 | Escalated | 是 / 否 |
//! | 18 | 责任部门 | Department | assigned department |
//! | 19 | 责任人 | Responsible person | assigned person |
//! | 20 | 处理结果 | Result | the latest resolution's result |
//! | 21 | 解决时间 | Resolved | the latest resolution |
//! | 22 | 结案时间 | Closed | closure |
//! | 23 | 下一时限 | Next due | earliest running deadline |
//! | 24 | 是否逾期 | Overdue | 是 / 否, at export time |
//! | 25 | 重开次数 | Reopenings | number |
//! | 26 | 满意度 | Satisfaction | 1–5 of the latest follow-up (number) |
//! | 27 | 工单ID | Case ID | the case's id (for links) |
//!
//! **Statistics tables** (`stats.csv`, `stats.xlsx`): the tables of
//! [`stats_tables`], one worksheet each in XLSX; in CSV one after another,
//! each preceded by a row with its title and followed by an empty row.
//!
//! **Never the whole database in memory.** A case export walks the cases
//! in pages of [`PAGE_ROWS`] by `(received_at, id)`. CSV is streamed as it
//! is written. XLSX (a zip, whose directory comes last) is written by
//! rust_xlsxwriter in constant-memory mode — rows go to a temporary file,
//! not to RAM — then saved to a temporary file that is streamed and deleted.
//!
//! **Progress.** Every case export carries `X-Total-Rows`, counted before
//! the first row, so the app can show rows received / total while a CSV
//! streams (it may be off by the cases registered during the export). The
//! XLSX answer also carries `Content-Length`, so the app shows bytes
//! received / total once the file is ready; building 100k rows takes a few
//! seconds first (see the report in BENCHMARKS.md when it is run).

use super::responses::StatisticsReaders;
use super::stats::{
    StatsParams, parse_kind, parse_lang, require_reader, scoped_property, stats_for,
};
use crate::auth::Session;
use crate::error::{ApiError, ApiQuery, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::reports::{Bucket, ExportCursor, ExportRow, Labels, Stats};
use crate::store::{CaseFilter, Store, StoreError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::StreamExt;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::Deserialize;
use shared::lang::Lang;
use shared::role::{Scope, mask_name, mask_phone};
use std::sync::Arc;

/// Rows read from the store per page.
pub const PAGE_ROWS: u32 = 1000;

/// The response header with the number of rows an export holds.
pub const TOTAL_ROWS_HEADER: &str = "x-total-rows";

/// The most data rows on one worksheet (Excel's limit less the header);
/// a longer export continues on a second sheet.
pub const MAX_SHEET_ROWS: u32 = 1_048_575;

/// The UTF-8 byte-order mark that makes Excel read a CSV as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

/// Case export filters: those of `GET /api/v1/cases` without paging.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Property id.
    pub property: Option<String>,
    /// Kind code.
    pub kind: Option<String>,
    /// State code.
    pub state: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Only overdue cases.
    #[serde(default)]
    pub overdue: bool,
    /// Only cases the caller registered or is assigned.
    #[serde(default)]
    pub mine: bool,
    /// Received at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Text search.
    pub q: Option<String>,
    /// Header language: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number (counts, rates, hours).
    Number(f64),
    /// Nothing.
    Empty,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn opt_number(n: Option<f64>) -> Cell {
        n.map_or(Cell::Empty, Cell::Number)
    }

    /// The cell as CSV text. Text that a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
    /// leading apostrophe: free text typed by residents must not execute
    /// when a CSV is opened.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A table of the statistics export.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The worksheet name (at most 31 characters).
    pub sheet: String,
    /// The title row of the CSV.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// The case columns: Chinese and English headers, in order.
pub const CASE_COLUMNS: [(&str, &str); 27] = [
    ("登记号", "Registration no."),
    ("类型", "Kind"),
    ("状态", "State"),
    ("项目", "Property"),
    ("位置", "Location"),
    ("类别", "Category"),
    ("渠道", "Channel"),
    ("投诉人", "Complainant"),
    ("联系电话", "Phone"),
    ("受理时间", "Received"),
    ("登记时间", "Recorded"),
    ("内容", "Content"),
    ("诉求", "Requested remedy"),
    ("严重程度", "Severity"),
    ("有效性", "Validity"),
    ("紧急", "Urgent"),
    ("上报", "Escalated"),
    ("责任部门", "Department"),
    ("责任人", "Responsible person"),
    ("处理结果", "Result"),
    ("解决时间", "Resolved"),
    ("结案时间", "Closed"),
    ("下一时限", "Next due"),
    ("是否逾期", "Overdue"),
    ("重开次数", "Reopenings"),
    ("满意度", "Satisfaction"),
    ("工单ID", "Case ID"),
];

/// The case column headers in `lang`.
pub fn case_headers(lang: Lang) -> Vec<String> {
    CASE_COLUMNS
        .iter()
        .map(|(zh, en)| lang.pick(zh, en).to_string())
        .collect()
}

/// A local time as exported.
pub fn local_time(t: DateTime<Utc>, tz: &Tz) -> String {
    t.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string()
}

/// One case's cells, in [`CASE_COLUMNS`] order.
pub fn case_cells(
    r: &ExportRow,
    labels: &Labels,
    tz: &Tz,
    mask: bool,
    now: DateTime<Utc>,
) -> Vec<Cell> {
    let time = |t: Option<DateTime<Utc>>| t.map_or(Cell::Empty, |t| Cell::Text(local_time(t, tz)));
    let personal = |s: &str, masker: fn(&str) -> String| {
        Cell::text(if mask { masker(s) } else { s.to_string() })
    };
    vec![
        Cell::text(r.reg_no.clone()),
        Cell::text(labels.kind(&r.kind)),
        Cell::text(labels.state(&r.state)),
        Cell::text(labels.property(&r.property)),
        Cell::text(labels.place(&r.property, r.building.as_deref(), r.unit.as_deref())),
        Cell::text(labels.category(&r.category)),
        Cell::text(labels.channel(&r.channel)),
        personal(&r.complainant_name, mask_name),
        r.complainant_phone
            .as_deref()
            .map_or(Cell::Empty, |p| personal(p, mask_phone)),
        time(Some(r.received_at)),
        time(Some(r.recorded_at)),
        Cell::text(r.content.clone()),
        Cell::text(r.requested_remedy.clone()),
        Cell::text(labels.severity(r.severity.as_deref())),
        Cell::text(labels.validity(r.validity.as_deref())),
        Cell::text(labels.yes_no(r.urgent)),
        Cell::text(labels.yes_no(r.escalated)),
        Cell::text(r.department.clone().unwrap_or_default()),
        Cell::text(r.assignee_name.clone().unwrap_or_default()),
        Cell::text(r.result.clone().unwrap_or_default()),
        time(r.resolved_at),
        time(r.closed_at),
        time(r.next_due_at),
        Cell::text(labels.yes_no(r.next_due_at.is_some_and(|d| d < now))),
        Cell::Number(f64::from(r.reopen_count)),
        Cell::opt_number(r.satisfaction.map(f64::from)),
        Cell::text(r.id.clone()),
    ]
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The client went away; nothing to report.
    #[error("client disconnected")]
    Closed,
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        ApiError::internal(e)
    }
}

/// A case export, checked and counted, ready to walk the pages.
struct CaseExport {
    store: Arc<dyn Store>,
    scope: Scope,
    filter: CaseFilter,
    labels: Labels,
    tz: Tz,
    mask: bool,
    now: DateTime<Utc>,
    total: u64,
}

impl CaseExport {
    async fn prepare(
        state: &AppState,
        session: &Session,
        q: ExportQuery,
    ) -> Result<CaseExport, ApiError> {
        require_reader(session)?;
        let property = scoped_property(session, q.property.as_deref())?;
        let kind = parse_kind(q.kind.as_deref())?;
        let lang = parse_lang(q.lang.as_deref())?;
        let role = session.user.role;
        let filter = CaseFilter {
            property,
            kind: kind.map(|k| k.code().to_string()),
            state: q.state,
            category: q.category,
            overdue: q.overdue,
            mine: q.mine.then_some(session.user.id),
            from: q.from,
            to: q.to,
            q: q.q,
            personal: role.sees_personal_data(),
            page: 1,
            per_page: PAGE_ROWS,
        };
        let scope = session.user.scope();
        let now = Utc::now();
        let store = state.store.clone();
        let (config, properties, total) = {
            let (scope, filter) = (scope.clone(), filter.clone());
            blocking(move || {
                Ok((
                    store.config()?,
                    store.properties()?,
                    store.export_count(&scope, &filter, now)?,
                ))
            })
            .await?
        };
        Ok(CaseExport {
            store: state.store.clone(),
            scope,
            filter,
            labels: Labels::new(lang, properties, config.categories),
            tz: config.settings.tz(),
            mask: !role.sees_personal_data(),
            now,
            total,
        })
    }

    fn page(&self, after: Option<&ExportCursor>) -> Result<Vec<ExportRow>, ExportError> {
        Ok(self
            .store
            .export_page(&self.scope, &self.filter, after, PAGE_ROWS, self.now)?)
    }

    fn cells(&self, row: &ExportRow) -> Vec<Cell> {
        case_cells(row, &self.labels, &self.tz, self.mask, self.now)
    }

    /// Writes the CSV in chunks of one page into `tx` until done or the
    /// client goes away.
    fn write_csv(
        &self,
        tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> Result<(), ExportError> {
        let mut chunk = BOM.to_vec();
        let mut header = csv::Writer::from_writer(&mut chunk);
        header.write_record(case_headers(self.labels.lang()))?;
        header.flush()?;
        drop(header);
        let mut after = None;
        loop {
            let page = self.page(after.as_ref())?;
            // One writer per page over the same buffer: the csv writer
            // buffers internally, and each page is sent as one chunk.
            let mut out = csv::Writer::from_writer(&mut chunk);
            for row in &page {
                out.write_record(self.cells(row).iter().map(Cell::csv))?;
            }
            out.flush()?;
            drop(out);
            let bytes = std::mem::take(&mut chunk);
            if !bytes.is_empty() && tx.blocking_send(Ok(Bytes::from(bytes))).is_err() {
                return Err(ExportError::Closed);
            }
            match page.last() {
                Some(last) if page.len() == PAGE_ROWS as usize => after = Some(last.cursor.clone()),
                _ => return Ok(()),
            }
        }
    }

    /// Writes the XLSX to a temporary file (deleted once the returned
    /// handle is closed) and answers it with its length.
    fn write_xlsx(&self) -> Result<(std::fs::File, u64), ExportError> {
        let lang = self.labels.lang();
        let headers = case_headers(lang);
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let mut sheet_index = 0;
        case_sheet(&mut workbook, lang, 1, &headers, &bold)?;
        let mut row: u32 = 0;
        let mut after = None;
        loop {
            let page = self.page(after.as_ref())?;
            for r in &page {
                if row == MAX_SHEET_ROWS {
                    sheet_index += 1;
                    case_sheet(&mut workbook, lang, sheet_index + 1, &headers, &bold)?;
                    row = 0;
                }
                row += 1;
                let sheet = workbook.worksheet_from_index(sheet_index)?;
                write_cells(sheet, row, &self.cells(r))?;
            }
            match page.last() {
                Some(last) if page.len() == PAGE_ROWS as usize => after = Some(last.cursor.clone()),
                _ => break,
            }
        }
        save(&mut workbook)
    }
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
    for (col, width) in [
        (0, 22),
        (3, 14),
        (4, 16),
        (9, 17),
        (10, 17),
        (11, 40),
        (26, 38),
    ] {
        sheet.set_column_width(col, width)?;
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

fn attachment(
    name: &str,
    content_type: &str,
    total: Option<u64>,
    len: Option<u64>,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if content_type == XLSX { XLSX } else { CSV }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(total) = total {
        headers.insert(TOTAL_ROWS_HEADER, HeaderValue::from(total));
    }
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    response
}

fn file_name(stem: &str, ext: &str) -> String {
    format!("{stem}-{}.{ext}", Utc::now().format("%Y%m%d-%H%M"))
}

/// The case list as CSV, streamed (see the module docs for the columns).
#[utoipa::path(get, path = "/api/v1/exports/cases.csv", params(ExportQuery),
    responses(StatisticsReaders,
        (status = 200, description = "CSV (UTF-8 with BOM), streamed", body = String, content_type = "text/csv",
            headers(("X-Total-Rows" = u64, description = "Rows in the file"))),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_lang`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cases_csv(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let export = CaseExport::prepare(&state, &session, q).await?;
    let total = export.total;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || match export.write_csv(&tx) {
        Ok(()) | Err(ExportError::Closed) => {}
        Err(e) => {
            tracing::error!(error = %e, "csv export failed");
            // Ending the body with an error cuts the download short, so the
            // client sees a failed transfer rather than a file that looks
            // complete.
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    // Fused: the compression layer polls once more after the end (for
    // trailers), which an unfused `unfold` does not allow.
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
    .fuse();
    Ok(attachment(
        &file_name("cases", "csv"),
        CSV,
        Some(total),
        None,
        Body::from_stream(stream),
    ))
}

/// The case list as XLSX (see the module docs for the columns).
#[utoipa::path(get, path = "/api/v1/exports/cases.xlsx", params(ExportQuery),
    responses(StatisticsReaders,
        (status = 200, description = "XLSX", body = [u8], content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers(("X-Total-Rows" = u64, description = "Rows in the file"))),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_lang`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cases_xlsx(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let export = CaseExport::prepare(&state, &session, q).await?;
    let total = export.total;
    let (file, len) = tokio::task::spawn_blocking(move || export.write_xlsx()).await??;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok(attachment(
        &file_name("cases", "xlsx"),
        XLSX,
        Some(total),
        Some(len),
        Body::from_stream(stream),
    ))
}

/// The statistics tables as CSV.
#[utoipa::path(get, path = "/api/v1/exports/stats.csv", params(StatsParams),
    responses(StatisticsReaders,
        (status = 200, description = "CSV (UTF-8 with BOM)", body = String, content_type = "text/csv"),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_lang`, `stats.bad_period`, `stats.period_bounds`, `stats.period_reversed`, `stats.period_too_long`, `stats.bad_quarter`, `stats.period_out_of_range`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats_csv(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Response, ApiError> {
    let (stats, settings, lang) = stats_for(&state, &session, &params).await?;
    let tables = stats_tables(&stats, lang, &settings.tz());
    let bytes = tables_csv(&tables).map_err(ApiError::internal)?;
    Ok(attachment(
        &file_name("stats", "csv"),
        CSV,
        None,
        None,
        Body::from(bytes),
    ))
}

/// The statistics tables as XLSX, one worksheet per table.
#[utoipa::path(get, path = "/api/v1/exports/stats.xlsx", params(StatsParams),
    responses(StatisticsReaders,
        (status = 200, description = "XLSX, one worksheet per table", body = [u8], content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_lang`, `stats.bad_period`, `stats.period_bounds`, `stats.period_reversed`, `stats.period_too_long`, `stats.bad_quarter`, `stats.period_out_of_range`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats_xlsx(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Response, ApiError> {
    let (stats, settings, lang) = stats_for(&state, &session, &params).await?;
    let tables = stats_tables(&stats, lang, &settings.tz());
    let bytes = tokio::task::spawn_blocking(move || tables_xlsx(&tables))
        .await?
        .map_err(ApiError::internal)?;
    let len = bytes.len() as u64;
    Ok(attachment(
        &file_name("stats", "xlsx"),
        XLSX,
        None,
        Some(len),
        Body::from(bytes),
    ))
}

/// The tables as one CSV: title row, header row, rows, empty row.
fn tables_csv(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    for t in tables {
        out.write_record([t.title.as_str()])?;
        out.write_record(&t.headers)?;
        for row in &t.rows {
            out.write_record(row.iter().map(Cell::csv))?;
        }
        out.write_record([""])?;
    }
    out.into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))
}

/// The tables as one workbook, one worksheet each.
fn tables_xlsx(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
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

fn table(lang: Lang, sheet: (&str, &str), headers: &[(&str, &str)], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        sheet: lang.pick(sheet.0, sheet.1).to_string(),
        title: lang.pick(sheet.0, sheet.1).to_string(),
        headers: headers
            .iter()
            .map(|(zh, en)| lang.pick(zh, en).to_string())
            .collect(),
        rows,
    }
}

fn bucket_table(lang: Lang, sheet: (&str, &str), key: (&str, &str), buckets: &[Bucket]) -> Table {
    table(
        lang,
        sheet,
        &[key, ("数量", "Cases")],
        buckets
            .iter()
            .map(|b| vec![Cell::text(b.label.clone()), Cell::Number(b.count as f64)])
            .collect(),
    )
}

fn n(v: u64) -> Cell {
    Cell::Number(v as f64)
}

fn bp_percent(bp: Option<f64>) -> Cell {
    Cell::opt_number(bp.map(|b| crate::store::reports::round2(b / 100.0)))
}

/// The statistics as tables, in this order: summary, counts by kind,
/// category, property, building, channel, severity, state and month,
/// on-time rate per clock, satisfaction, per-property figures (with the
/// valid-complaint rate, in percent), departments, repeat units, repeat
/// complainants, the overdue list and the missed targets.
pub fn stats_tables(s: &Stats, lang: Lang, tz: &Tz) -> Vec<Table> {
    let yes_no =
        |b: bool| Cell::text(lang.pick(if b { "是" } else { "否" }, if b { "Yes" } else { "No" }));
    let metric = |zh: &str, en: &str, value: Cell| vec![Cell::text(lang.pick(zh, en)), value];
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let summary = vec![
        metric(
            "统计期间",
            "Period",
            Cell::text(format!(
                "{} – {}",
                date(s.period.first),
                date(s.period.last)
            )),
        ),
        metric("工单总数", "Cases", n(s.total)),
        metric("已解决工单", "Resolved cases", n(s.handling.resolved)),
        metric(
            "平均处理时长（小时）",
            "Average handling time (hours)",
            Cell::opt_number(s.handling.avg_hours),
        ),
        metric(
            "90%处理时长（小时）",
            "90th percentile handling time (hours)",
            Cell::opt_number(s.handling.p90_hours),
        ),
        metric(
            "时限按时率（%）",
            "On-time rate, all clocks (%)",
            Cell::opt_number(s.on_time_overall.rate),
        ),
        metric(
            "满意率（%）",
            "Satisfied rate (%)",
            Cell::opt_number(s.satisfaction.rate),
        ),
        metric(
            "回访率（%）",
            "Follow-up rate (%)",
            Cell::opt_number(s.follow_up.rate),
        ),
        metric(
            "回访率目标（%）",
            "Follow-up target (%)",
            Cell::Number(f64::from(s.follow_up.target_percent)),
        ),
        metric(
            "回访率未达标",
            "Follow-up target missed",
            yes_no(s.follow_up.missed),
        ),
        metric(
            "重开率（%）",
            "Reopen rate (%)",
            Cell::opt_number(s.reopen.rate),
        ),
        metric("当前逾期工单", "Overdue now", n(s.overdue.total)),
        metric(
            "抽查样本数",
            "Spot-check: sampled",
            n(s.spot_checks.sampled),
        ),
        metric("已抽查回访", "Spot-check: called", n(s.spot_checks.called)),
        metric(
            "抽查满意",
            "Spot-check: satisfied",
            n(s.spot_checks.satisfied),
        ),
    ];
    let on_time = s
        .on_time
        .iter()
        .chain(std::iter::once(&s.on_time_overall))
        .map(|c| {
            vec![
                Cell::text(c.label.clone()),
                n(c.met),
                n(c.on_time),
                n(c.late),
                n(c.overdue),
                n(c.running),
                Cell::opt_number(c.rate),
            ]
        })
        .collect();
    let satisfaction = s
        .satisfaction
        .distribution
        .iter()
        .map(|d| vec![Cell::Number(f64::from(d.score)), n(d.count)])
        .collect();
    let properties = s
        .properties
        .iter()
        .map(|p| {
            vec![
                Cell::text(p.name.clone()),
                Cell::Number(f64::from(p.households)),
                n(p.cases),
                n(p.valid_complaints),
                bp_percent(p.valid_rate_bp),
                bp_percent(p.valid_rate_annualized_bp),
                bp_percent(Some(f64::from(p.valid_target_bp))),
                yes_no(p.valid_missed),
                n(p.follow_up.due),
                n(p.follow_up.done),
                Cell::opt_number(p.follow_up.rate),
                yes_no(p.follow_up.missed),
                Cell::opt_number(p.on_time_rate),
                Cell::opt_number(p.satisfied_rate),
                n(p.overdue_open),
            ]
        })
        .collect();
    let departments = s
        .departments
        .iter()
        .map(|d| {
            vec![
                Cell::text(d.department.clone()),
                n(d.cases),
                n(d.resolved),
                Cell::opt_number(d.avg_handling_hours),
                n(d.clocks.met),
                n(d.clocks.on_time),
                n(d.clocks.overdue),
                Cell::opt_number(d.clocks.rate),
            ]
        })
        .collect();
    let reg_nos = |cases: &[crate::store::reports::CaseRef]| {
        Cell::text(
            cases
                .iter()
                .map(|c| c.reg_no.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    let repeat_units = s
        .repeat_units
        .iter()
        .map(|u| vec![Cell::text(u.label.clone()), n(u.count), reg_nos(&u.cases)])
        .collect();
    let repeat_complainants = s
        .repeat_complainants
        .iter()
        .map(|c| {
            vec![
                Cell::text(c.phone.clone()),
                Cell::text(c.name.clone()),
                n(c.count),
                reg_nos(&c.cases),
            ]
        })
        .collect();
    let overdue = s
        .overdue
        .items
        .iter()
        .map(|o| {
            vec![
                Cell::text(o.reg_no.clone()),
                Cell::text(o.property_name.clone()),
                Cell::text(o.kind.clone()),
                Cell::text(o.state.clone()),
                Cell::text(o.category.clone()),
                Cell::text(o.department.clone().unwrap_or_default()),
                Cell::text(local_time(o.next_due_at, tz)),
                Cell::Number(o.overdue_hours),
                Cell::text(o.clocks.join(", ")),
                Cell::text(o.id.to_string()),
            ]
        })
        .collect();
    let missed = s
        .missed_targets
        .iter()
        .map(|m| vec![Cell::text(m.target.clone()), Cell::text(m.message.clone())])
        .collect();
    vec![
        table(
            lang,
            ("概况", "Summary"),
            &[("指标", "Metric"), ("数值", "Value")],
            summary,
        ),
        bucket_table(lang, ("按类型", "By kind"), ("类型", "Kind"), &s.by_kind),
        bucket_table(
            lang,
            ("按类别", "By category"),
            ("类别", "Category"),
            &s.by_category,
        ),
        bucket_table(
            lang,
            ("按项目", "By property"),
            ("项目", "Property"),
            &s.by_property,
        ),
        bucket_table(
            lang,
            ("按楼栋", "By building"),
            ("楼栋", "Building"),
            &s.by_building,
        ),
        bucket_table(
            lang,
            ("按渠道", "By channel"),
            ("渠道", "Channel"),
            &s.by_channel,
        ),
        bucket_table(
            lang,
            ("按严重程度", "By severity"),
            ("严重程度", "Severity"),
            &s.by_severity,
        ),
        bucket_table(lang, ("按状态", "By state"), ("状态", "State"), &s.by_state),
        bucket_table(lang, ("按月份", "By month"), ("月份", "Month"), &s.by_month),
        table(
            lang,
            ("时限达标", "On-time"),
            &[
                ("时限", "Clock"),
                ("已完成", "Met"),
                ("按时完成", "On time"),
                ("超时完成", "Late"),
                ("逾期未完成", "Overdue"),
                ("进行中", "Running"),
                ("按时率（%）", "On-time rate (%)"),
            ],
            on_time,
        ),
        table(
            lang,
            ("满意度", "Satisfaction"),
            &[("评分", "Score"), ("数量", "Cases")],
            satisfaction,
        ),
        table(
            lang,
            ("项目指标", "Properties"),
            &[
                ("项目", "Property"),
                ("户数", "Households"),
                ("工单数", "Cases"),
                ("有效投诉", "Valid complaints"),
                ("有效投诉率（%）", "Valid-complaint rate (%)"),
                ("年化有效投诉率（%）", "Annualized rate (%)"),
                ("目标（低于，%）", "Target (below, %)"),
                ("有效投诉率未达标", "Valid-complaint target missed"),
                ("应回访", "Follow-ups due"),
                ("已回访", "Follow-ups done"),
                ("回访率（%）", "Follow-up rate (%)"),
                ("回访率未达标", "Follow-up target missed"),
                ("时限按时率（%）", "On-time rate (%)"),
                ("满意率（%）", "Satisfied rate (%)"),
                ("当前逾期", "Overdue now"),
            ],
            properties,
        ),
        table(
            lang,
            ("部门绩效", "Departments"),
            &[
                ("部门", "Department"),
                ("工单数", "Cases"),
                ("已解决", "Resolved"),
                ("平均处理时长（小时）", "Average handling (hours)"),
                ("时限完成", "Clocks met"),
                ("按时完成", "On time"),
                ("逾期未完成", "Overdue"),
                ("按时率（%）", "On-time rate (%)"),
            ],
            departments,
        ),
        table(
            lang,
            ("重复投诉房号", "Repeat units"),
            &[
                ("房号", "Unit"),
                ("次数", "Cases"),
                ("登记号", "Registration nos."),
            ],
            repeat_units,
        ),
        table(
            lang,
            ("重复投诉人", "Repeat complainants"),
            &[
                ("电话", "Phone"),
                ("姓名", "Name"),
                ("次数", "Cases"),
                ("登记号", "Registration nos."),
            ],
            repeat_complainants,
        ),
        table(
            lang,
            ("逾期工单", "Overdue"),
            &[
                ("登记号", "Registration no."),
                ("项目", "Property"),
                ("类型", "Kind"),
                ("状态", "State"),
                ("类别", "Category"),
                ("责任部门", "Department"),
                ("最早到期", "Due"),
                ("逾期（小时）", "Overdue (hours)"),
                ("逾期时限", "Clocks"),
                ("工单ID", "Case ID"),
            ],
            overdue,
        ),
        table(
            lang,
            ("未达标", "Missed targets"),
            &[("目标", "Target"), ("说明", "Detail")],
            missed,
        ),
    ]
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

    #[test]
    fn csv_cells_do_not_become_formulas() {
        assert_eq!(Cell::text("=SUM(A1)").csv(), "'=SUM(A1)");
        assert_eq!(Cell::text("+86 139").csv(), "'+86 139");
        assert_eq!(Cell::text("@home").csv(), "'@home");
        assert_eq!(Cell::text("楼道灯坏了").csv(), "楼道灯坏了");
        assert_eq!(Cell::Number(3.0).csv(), "3");
        assert_eq!(Cell::Number(90.91).csv(), "90.91");
        assert_eq!(Cell::Empty.csv(), "");
        assert_eq!(Cell::text(""), Cell::Empty);
    }

    #[test]
    fn headers_in_both_languages() {
        assert_eq!(case_headers(Lang::ZhCn)[0], "登记号");
        assert_eq!(case_headers(Lang::En)[8], "Phone");
        assert_eq!(case_headers(Lang::En).len(), 27);
    }

    #[test]
    fn export_rows_are_labelled_and_masked() {
        let labels = Labels::new(
            Lang::ZhCn,
            Vec::new(),
            shared::category::default_categories(),
        );
        let t: DateTime<Utc> = "2025-03-03T01:00:00Z".parse().unwrap();
        let row = ExportRow {
            id: "c1".into(),
            reg_no: "PA-250303-01-0001".into(),
            kind: "repair".into(),
            state: "resolved".into(),
            property: "p".into(),
            building: None,
            unit: None,
            category: "maintenance".into(),
            channel: "phone".into(),
            complainant_name: "王小明".into(),
            complainant_phone: Some("13912345678".into()),
            content: "=漏水".into(),
            requested_remedy: String::new(),
            received_at: t,
            recorded_at: t,
            severity: None,
            validity: None,
            urgent: false,
            department: Some("工程部".into()),
            assignee_name: None,
            result: None,
            resolved_at: Some(t),
            closed_at: None,
            next_due_at: Some(t),
            reopen_count: 0,
            satisfaction: Some(4),
            escalated: false,
            cursor: ExportCursor {
                received_at: String::new(),
                id: String::new(),
            },
        };
        let tz = chrono_tz::Asia::Shanghai;
        let cells = case_cells(&row, &labels, &tz, true, t + chrono::Duration::hours(1));
        assert_eq!(cells.len(), CASE_COLUMNS.len());
        assert_eq!(cells[1], Cell::text("报修"));
        assert_eq!(cells[4], Cell::text("公共区域"));
        assert_eq!(cells[5], Cell::text("维修服务"));
        assert_eq!(cells[7], Cell::text("王**"));
        assert_eq!(cells[8], Cell::text("139****5678"));
        assert_eq!(cells[9], Cell::text("2025-03-03 09:00"));
        assert_eq!(cells[11].csv(), "'=漏水");
        assert_eq!(cells[13], Cell::text("未评估"));
        assert_eq!(cells[23], Cell::text("是"));
        assert_eq!(cells[25], Cell::Number(4.0));
        let plain = case_cells(&row, &labels, &tz, false, t);
        assert_eq!(plain[7], Cell::text("王小明"));
        assert_eq!(plain[8], Cell::text("13912345678"));
        assert_eq!(plain[23], Cell::text("否"));
    }
}
