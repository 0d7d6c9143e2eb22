//! Downloading a file the server makes (an export, a case's evidence
//! bundle) with the session's token, showing progress as the bytes come,
//! and handing it to the browser as a download.

use crate::api::ApiError;
use crate::api::reports;
use leptos::prelude::*;
use shared::lang::Lang;
use wasm_bindgen::JsCast;

/// Why an export did not download.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExportError {
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
    /// user's words; a download cut off (the network dropped, or the
    /// server ended a file it could not finish) says so, its detail in the
    /// console for whoever reads a report.
    pub fn message(&self, l: Lang) -> String {
        match self {
            ExportError::Api(e) => e.message(l),
            ExportError::Empty | ExportError::Browser(_) => {
                leptos::logging::warn!("download failed: {self}");
                l.pick("下载中断，请重试。", "The download was cut off; try again.")
                    .into()
            }
        }
    }
}

/// A JavaScript error as an [`ExportError`].
fn browser(e: wasm_bindgen::JsValue) -> ExportError {
    ExportError::Browser(format!("{e:?}"))
}

/// Fetches `url` chunk by chunk, showing progress, and hands the file to
/// the browser as a download. Returns the bytes received.
pub async fn download(
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
