//! Evidence on the tablet: photos and signatures taken offline, kept in
//! IndexedDB with the attach op that names them, uploaded once the server
//! acknowledged that op, and shown from the device's copy or fetched on
//! demand (see `docs/sync.md`, "Evidence").
//!
//! `photo` scales a picture down and makes its thumbnail, `signature` is
//! the pad a resident signs on, `picker` the part of a form that gathers
//! both, `attach` records them, `upload` sends the bytes, `gallery`
//! shows them, and `prefetch` keeps the small images of the device's cases
//! for offline.
//!
//! **Architecture Invariant:** bytes are named by `shared::blob::BlobHash`,
//! computed here in Rust from the very bytes stored, so the tablet and the
//! server agree on every name.

pub mod attach;
pub mod gallery;
pub mod photo;
pub mod picker;
pub mod prefetch;
pub mod signature;
pub mod upload;

use leptos::prelude::*;
use shared::blob::BlobHash;
use shared::case::AttachmentKind;
use shared::lang::Lang;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A photo or a signature taken on this device and not recorded yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// A photo, or whose signature.
    pub kind: AttachmentKind,
    /// The file name shown and exported.
    pub name: String,
    /// The bytes' media type.
    pub mime: String,
    /// The bytes, as they will be stored and uploaded.
    pub bytes: Arc<[u8]>,
    /// Their SHA-256.
    pub hash: BlobHash,
    /// A small JPEG preview (photos only).
    pub thumbnail: Option<Arc<[u8]>>,
    /// What the photo shows.
    pub caption: String,
}

impl Taken {
    /// Names `bytes`.
    pub fn new(kind: AttachmentKind, name: String, mime: &str, bytes: Vec<u8>) -> Taken {
        Taken {
            kind,
            name,
            mime: mime.to_string(),
            hash: BlobHash::of(&bytes),
            bytes: bytes.into(),
            thumbnail: None,
            caption: String::new(),
        }
    }

    /// The bytes of the file and the thumbnail together.
    pub fn total_bytes(&self) -> u64 {
        (self.bytes.len() + self.thumbnail.as_ref().map_or(0, |t| t.len())) as u64
    }
}

/// What a form's picker gathered and has not recorded yet: the photos and
/// signatures, why the last one was refused, and how many pictures are
/// still being read and scaled. A form may not save while any is: the
/// picture would arrive in a form already saved and go nowhere.
#[derive(Clone, Copy)]
pub struct Staged {
    /// Taken, in order.
    pub items: RwSignal<Vec<Taken>>,
    /// Why the last picture or save was refused.
    pub error: RwSignal<Option<String>>,
    /// Pictures still being read.
    pub busy: RwSignal<usize>,
    /// Whose signature the pad is open for, if it is.
    pub signing: RwSignal<Option<AttachmentKind>>,
    /// The strokes drawn on the open pad so far. Kept here, with what was
    /// taken, so that a sync drawing the case's screen again does not wipe
    /// a signature half made.
    pub strokes: RwSignal<Vec<signature::Stroke>>,
}

impl Staged {
    /// Nothing taken, under the current owner. What it holds is counted
    /// in [`crate::state::AppCtx::staged`] until the owner goes.
    pub fn new() -> Staged {
        let staged = Staged {
            items: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(0),
            signing: RwSignal::new(None),
            strokes: RwSignal::new(Vec::new()),
        };
        let ctx = crate::state::use_app();
        let counted = Arc::new(AtomicUsize::new(0));
        let held = counted.clone();
        Effect::new(move |_| {
            let signed = usize::from(staged.strokes.with(|s| !s.is_empty()));
            let now = staged.items.with(Vec::len) + staged.busy.get() + signed;
            let before = held.swap(now, Ordering::Relaxed);
            ctx.staged
                .update(|n| *n = (*n + now).saturating_sub(before));
        });
        on_cleanup(move || {
            let before = counted.swap(0, Ordering::Relaxed);
            ctx.staged.try_update(|n| *n = n.saturating_sub(before));
        });
        staged
    }

    /// Takes out of the form the items `recorded` (by hash: the user may
    /// have removed or taken others while they were being saved).
    /// Gone with its screen, it has nothing left to forget.
    pub fn forget(&self, recorded: &[Taken]) {
        let _ = self.items.try_update(|all| {
            all.retain(|t| !recorded.iter().any(|r| r.hash == t.hash));
        });
    }

    /// Closes the signature pad, dropping what was drawn on it.
    pub fn close_pad(&self) {
        self.signing.set(None);
        self.strokes.set(Vec::new());
    }

    /// Whether a picture is still being read (tracked).
    pub fn reading(&self) -> bool {
        self.busy.get() > 0
    }

    /// Whether the form may save now: not while a picture is still being
    /// read, nor while a signature is half drawn (saving would leave it
    /// out), which is then said beside the picker.
    pub fn ready(&self, l: Lang) -> bool {
        let why = if self.busy.get_untracked() > 0 {
            l.pick(
                "照片还在处理中，请稍候再保存",
                "Photos are still being prepared; save when they are ready",
            )
        } else if self.strokes.with_untracked(|s| !s.is_empty()) {
            l.pick(
                "签名尚未完成：请先点“完成签名”，或取消",
                "The signature is not finished: tap Done, or Cancel, first",
            )
        } else {
            return true;
        };
        self.error.set(Some(why.to_string()));
        false
    }
}

impl Default for Staged {
    fn default() -> Staged {
        Staged::new()
    }
}

/// `bytes` as a `Blob` of media type `mime`.
pub fn bytes_to_blob(bytes: &[u8], mime: &str) -> Result<web_sys::Blob, String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js_error)
}

/// The bytes of a `Blob`.
pub async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The bytes `text` holds in base64, as a records file carries them
/// (`shared::wire::RecordsBlob`).
pub fn from_base64(text: &str) -> Result<Vec<u8>, String> {
    let latin1 = window().atob(text).map_err(js_error)?;
    // `atob` gives one character per byte, none above U+00FF.
    latin1
        .chars()
        .map(|c| u8::try_from(c).map_err(|_| "not base64".to_string()))
        .collect()
}

/// An object URL an `<img>` can show a `Blob` through; revoke it with
/// [`revoke`] when the image goes.
pub fn object_url(blob: &web_sys::Blob) -> Result<String, String> {
    web_sys::Url::create_object_url_with_blob(blob).map_err(js_error)
}

/// Frees an object URL.
pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A JavaScript exception in words, for the console and for errors shown.
pub fn js_error(e: wasm_bindgen::JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}
