//! The dashboard's exports: CSV and XLSX of the case list and of the
//! statistics tables, streamed with a progress line.

use super::Filters;
use crate::api::ApiError;
use crate::api::reports::{self, Stats};
use crate::state::use_app;
use leptos::prelude::*;
use shared::lang::Lang;
use wasm_bindgen::JsCast;

/// Why an export did not download.
#[derive(Debug, Clone, thiserror::Error)]
enum ExportError {
    /// The server refused, or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The answer had no body to read.
    #[error("empty answer")]
    Empty,
    /// The browser failed to read the stream or to save the file; the
    /// JavaScript error as the console would show it.
    #[error("{0}")]
    Browser(String),
}

impl ExportError {
    /// The words on the progress line. The server's refusals are in the
    /// user's words; the other two never reach staff in practice, and the
    /// detail helps whoever reads a report.
    fn message(&self, l: Lang) -> String {
        match self {
            ExportError::Api(e) => e.message(l),
            ExportError::Empty | ExportError::Browser(_) => self.to_string(),
        }
    }
}

/// A JavaScript error as an [`ExportError`].
fn browser(e: wasm_bindgen::JsValue) -> ExportError {
    ExportError::Browser(format!("{e:?}"))
}

/// CSV and XLSX of the case list and of the statistics tables for the
/// current filters, downloaded with the session's token and a progress line
/// (rows expected, bytes received). The case list takes the period as the
/// instants the statistics answer reported for it.
#[component]
pub fn Exports(filters: Filters, stats: Memo<Option<Stats>>) -> impl IntoView {
    let ctx = use_app();
    let progress = RwSignal::new(String::new());
    let export = Action::new_local(move |(url, file): &(String, &'static str)| {
        let (url, file) = (url.clone(), *file);
        async move {
            let Some(token) = ctx.token() else {
                return;
            };
            let l = ctx.l();
            let result = download(&token, &url, file, progress, l).await;
            progress.set(match result {
                Ok(bytes) => match l {
                    Lang::ZhCn => format!("已下载 {file}（{} KB）", bytes / 1024),
                    Lang::En => format!("Downloaded {file} ({} KB)", bytes / 1024),
                },
                Err(e) => e.message(l),
            });
        }
    });
    let busy = move || export.pending().get();
    let start = move |path: &'static str, file: &'static str| {
        move |_| {
            if export.pending().get_untracked() || ctx.token().is_none() {
                return;
            }
            let query = if path.contains("/cases.") {
                case_query(&filters, stats.get_untracked().as_ref(), ctx.l())
            } else {
                filters.query(ctx.l())
            };
            progress.set(ctx.l().pick("正在导出…", "Exporting…").into());
            export.dispatch_local((format!("{path}?{query}"), file));
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="card exports" data-testid="exports">
            <h3>{t("导出", "Export")}</h3>
            <div class="actions">
                <button class="btn" data-testid="export-cases-xlsx" disabled=busy
                    on:click=start("/api/v1/exports/cases.xlsx", "cases.xlsx")>{t("工单 Excel", "Cases (Excel)")}</button>
                <button class="btn" data-testid="export-cases-csv" disabled=busy
                    on:click=start("/api/v1/exports/cases.csv", "cases.csv")>{t("工单 CSV", "Cases (CSV)")}</button>
                <button class="btn" data-testid="export-stats-xlsx" disabled=busy
                    on:click=start("/api/v1/exports/stats.xlsx", "stats.xlsx")>{t("统计表 Excel", "Statistics (Excel)")}</button>
                <button class="btn" data-testid="export-stats-csv" disabled=busy
                    on:click=start("/api/v1/exports/stats.csv", "stats.csv")>{t("统计表 CSV", "Statistics (CSV)")}</button>
            </div>
            <p class="hint" data-testid="export-progress">{move || progress.get()}</p>
        </div>
    }
}

/// The case export's filters: property, kind, language and the period's
/// instants from the last statistics answer.
fn case_query(filters: &Filters, stats: Option<&Stats>, l: Lang) -> String {
    let mut q = String::from(match l {
        Lang::ZhCn => "lang=zh-CN",
        Lang::En => "lang=en",
    });
    for (key, value) in [
        ("property", filters.property.get_untracked()),
        ("kind", filters.kind.get_untracked()),
    ] {
        if !value.is_empty() {
            q.push_str(&format!("&{key}={value}"));
        }
    }
    if let Some(s) = stats {
        // As the answer's JSON wrote them (RFC 3339 with `Z`, so nothing
        // needs escaping in the query).
        for (bound, at) in [("from", s.start), ("to", s.end)] {
            let at = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            q.push_str(&format!("&{bound}={at}"));
        }
    }
    q
}

/// Fetches `url` chunk by chunk, showing progress, and hands the file to
/// the browser as a download. Returns the bytes received.
async fn download(
    token: &str,
    url: &str,
    file: &str,
    progress: RwSignal<String>,
    l: Lang,
) -> Result<u64, ExportError> {
    use wasm_bindgen_futures::JsFuture;
    let resp = reports::export(token, url).await?;
    let rows = resp.headers().get("x-total-rows");
    let length: Option<u64> = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.parse().ok());
    let mime = resp.headers().get("content-type").unwrap_or_default();
    let stream = resp.body().ok_or(ExportError::Empty)?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let chunks = js_sys::Array::new();
    let mut received = 0u64;
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(browser)?;
        let done = js_sys::Reflect::get(&step, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let chunk = js_sys::Reflect::get(&step, &"value".into()).map_err(browser)?;
        received += js_sys::Uint8Array::new(&chunk).length() as u64;
        chunks.push(&chunk);
        let of = match (length, &rows) {
            (Some(total), _) => format!(" / {} KB", total / 1024),
            (None, Some(rows)) => match l {
                Lang::ZhCn => format!("（共 {rows} 行）"),
                Lang::En => format!(" ({rows} rows)"),
            },
            _ => String::new(),
        };
        progress.set(format!(
            "{}{} KB{of}",
            l.pick("正在导出：已接收 ", "Exporting: received "),
            received / 1024
        ));
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&chunks, &options)
        .map_err(browser)?;
    let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(browser)?;
    let anchor: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(browser)?
        .unchecked_into();
    anchor.set_href(&href);
    anchor.set_download(file);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&href);
    Ok(received)
}
