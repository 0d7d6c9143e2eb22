//! The export answers: the case list and the statistics tables as CSV
//! and XLSX (`crate::export` builds and writes them; the columns are
//! described there). Same roles and scope as the statistics
//! ([`super::stats`]); complainants' names and phones are masked unless
//! the role may see personal data (`shared::personal_data::shown`). Headers
//! are Chinese by default, English with `lang=en`.
//!
//! **Progress.** Every case export carries `X-Total-Rows`, counted before
//! the first row, so the app can show rows received / total while a CSV
//! streams (it may be off by the cases registered during the export). The
//! XLSX answer also carries `Content-Length`, so the app shows bytes
//! received / total once the file is ready; building 100k rows takes a few
//! seconds first (see the report in BENCHMARKS.md when it is run).

use super::cases::{CaseFilterQuery, CaseQuery};
use super::responses::StatisticsReaders;
use super::stats::{StatsParams, parse_lang, require_reader, stats_for};
use super::{ClientAddr, audit_entry};
use crate::auth::Session;
use crate::error::{ApiError, ErrorBody, Params, blocking};
use crate::export::{CaseExport, ExportError, PAGE_ROWS, csv, table, xlsx};
use crate::state::AppState;
use crate::store::reports::Labels;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::Utc;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use shared::lang::Lang;
use shared::personal_data::shown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The response header with the number of rows an export holds.
pub const TOTAL_ROWS_HEADER: &str = "x-total-rows";

/// A case export's own parameter, besides the case filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportLang {
    /// Header language: `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Io(e) => ApiError::io(e),
            ExportError::Store(e) => e.into(),
            e => ApiError::internal(e),
        }
    }
}

/// Checks the caller and the filters, counts the rows and audits the
/// export: the export, ready to walk the pages, and its number of rows.
///
/// A case list carries complainants (whole where the role sees them) to a
/// spreadsheet outside the system, so each one is in the audit log: who,
/// from where, in which format, which filters, how many rows and whether
/// names and phones were in it. The search text is not kept (it may be a
/// phone number); only that there was one.
async fn prepare(
    state: &AppState,
    session: &Session,
    addr: String,
    format: &str,
    query: Result<CaseFilterQuery<ExportLang>, ApiError>,
) -> Result<(CaseExport, u64), ApiError> {
    require_reader(session)?;
    let query = query?;
    let settings = super::settings(state).await?;
    let filter = query.cases.filter(session, &settings, 1, PAGE_ROWS)?;
    let lang = parse_lang(query.own.lang.as_deref())?;
    let scope = session.user.scope();
    let now = Utc::now();
    let shown = shown(&settings, &session.user, None);
    let mut entry = audit_entry(
        session,
        addr,
        "export.cases",
        json!({
            "format": format,
            "property": filter.property,
            "kind": filter.kind,
            "state": filter.state,
            "category": filter.category,
            "overdue": filter.overdue,
            "mine": filter.mine.is_some(),
            "from": filter.from,
            "to": filter.to,
            "searched": filter.search.is_some(),
            "names": shown.name,
            "phones": shown.phone,
        }),
    );
    let store = state.store.clone();
    let (config, properties, ids) = blocking(move || {
        let ids = store.export_ids(&scope, &filter, now)?;
        entry.detail["rows"] = json!(ids.len());
        store.audit(entry)?;
        Ok((store.config()?, store.properties()?, ids))
    })
    .await?;
    let total = ids.len() as u64;
    let export = CaseExport {
        store: state.store.clone(),
        ids,
        labels: Labels::new(lang, properties, config.categories),
        tz: config.settings.tz(),
        shown,
        now,
    };
    Ok((export, total))
}

/// Records that the statistics left the system: their lists name the
/// complainants who came back (重复报事人), with their phones where the
/// role sees them, as a case export does (`export.cases`).
async fn audit_stats(
    state: &AppState,
    session: &Session,
    addr: String,
    format: &str,
    stats: &shared::report::Stats,
    settings: &shared::settings::Settings,
) -> Result<(), ApiError> {
    let shown = shown(settings, &session.user, None);
    let entry = audit_entry(
        session,
        addr,
        "export.stats",
        json!({
            "format": format,
            "from": stats.period.first,
            "to": stats.period.last,
            "property": stats.property,
            "kind": stats.kind,
            "names": shown.name,
            "phones": shown.phone,
        }),
    );
    let store = state.store.clone();
    blocking(move || store.audit(entry)).await
}

fn attachment(
    name: &str,
    content_type: &'static str,
    total: Option<u64>,
    len: Option<u64>,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
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
#[utoipa::path(get, path = "/api/v1/exports/cases.csv", params(CaseQuery, ExportLang),
    responses(StatisticsReaders,
        (status = 200, description = "CSV (UTF-8 with BOM), streamed", body = String, content_type = "text/csv",
            headers(("X-Total-Rows" = u64, description = "Rows in the file"))),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_state`, `request.bad_lang`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cases_csv(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    query: Result<CaseFilterQuery<ExportLang>, ApiError>,
) -> Result<Response, ApiError> {
    let (export, total) = prepare(&state, &session, addr, "csv", query).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    // Set once every row is sent: a writer that gave up on a reader that
    // stalled (`csv::READ_STALL`) must not leave a file that looks whole
    // once the reader comes back for what was queued.
    let whole = Arc::new(AtomicBool::new(false));
    let written = whole.clone();
    tokio::task::spawn_blocking(move || match csv::cases(&export, &tx) {
        Ok(()) => written.store(true, Ordering::Release),
        Err(ExportError::Closed) => {}
        Err(e) => {
            tracing::error!(error = %e, "csv export failed");
            // Ending the body with an error cuts the download short, so the
            // client sees a failed transfer rather than a file that looks
            // complete.
            let _ = csv::send(&tx, Err(std::io::Error::other("export failed")));
        }
    });
    // Fused: the compression layer polls once more after the end (for
    // trailers), which an unfused `unfold` does not allow.
    let stream = futures_util::stream::unfold(Some(rx), move |rx| {
        let whole = whole.clone();
        async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(chunk) => Some((chunk, Some(rx))),
                None if whole.load(Ordering::Acquire) => None,
                None => Some((Err(std::io::Error::other("export cut short")), None)),
            }
        }
    })
    .fuse();
    Ok(attachment(
        &file_name("cases", "csv"),
        csv::CONTENT_TYPE,
        Some(total),
        None,
        Body::from_stream(stream),
    ))
}

/// The case list as XLSX (see the module docs for the columns).
#[utoipa::path(get, path = "/api/v1/exports/cases.xlsx", params(CaseQuery, ExportLang),
    responses(StatisticsReaders,
        (status = 200, description = "XLSX", body = [u8], content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers(("X-Total-Rows" = u64, description = "Rows in the file"))),
        (status = 400, description = "`request.bad_query`, `request.bad_id`, `request.bad_kind`, `request.bad_state`, `request.bad_lang`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cases_xlsx(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    query: Result<CaseFilterQuery<ExportLang>, ApiError>,
) -> Result<Response, ApiError> {
    let (export, total) = prepare(&state, &session, addr, "xlsx", query).await?;
    let (file, len) = tokio::task::spawn_blocking(move || xlsx::cases(&export)).await??;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok(attachment(
        &file_name("cases", "xlsx"),
        xlsx::CONTENT_TYPE,
        Some(total),
        Some(len),
        Body::from_stream(stream),
    ))
}

/// Names in `lang` for the codes and ids in the statistics' lists.
async fn labels(state: &AppState, lang: Lang) -> Result<Labels, ApiError> {
    let store = state.store.clone();
    let (config, properties) = blocking(move || Ok((store.config()?, store.properties()?))).await?;
    Ok(Labels::new(lang, properties, config.categories))
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
    ClientAddr(addr): ClientAddr,
    params: Params<StatsParams>,
) -> Result<Response, ApiError> {
    let (stats, settings, lang) = stats_for(&state, &session, params).await?;
    audit_stats(&state, &session, addr, "csv", &stats, &settings).await?;
    let tables = table::stats_tables(&stats, &labels(&state, lang).await?, &settings.tz());
    let bytes = csv::tables(&tables)?;
    Ok(attachment(
        &file_name("stats", "csv"),
        csv::CONTENT_TYPE,
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
    ClientAddr(addr): ClientAddr,
    params: Params<StatsParams>,
) -> Result<Response, ApiError> {
    let (stats, settings, lang) = stats_for(&state, &session, params).await?;
    audit_stats(&state, &session, addr, "xlsx", &stats, &settings).await?;
    let tables = table::stats_tables(&stats, &labels(&state, lang).await?, &settings.tz());
    let bytes = tokio::task::spawn_blocking(move || xlsx::tables(&tables)).await??;
    let len = bytes.len() as u64;
    Ok(attachment(
        &file_name("stats", "xlsx"),
        xlsx::CONTENT_TYPE,
        None,
        Some(len),
        Body::from(bytes),
    ))
}
