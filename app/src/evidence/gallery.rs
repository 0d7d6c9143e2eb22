//! Evidence on screen: a case's grid of thumbnails, the full view of one
//! photo (pinch or double-tap to zoom, drag to move), and the small image
//! the timeline and the printed record use.
//!
//! Bytes come from the device's copy in IndexedDB when it has one (what
//! this tablet took, and what it fetched before), else from the server,
//! and are then kept, so a thumbnail once seen shows offline too. Evidence
//! whose bytes have not reached the server shows 等待上传 with the device
//! that holds them; a complainant's signature shows 已遮蔽 to a role that
//! may not see the complainant.

use super::{object_url, revoke};
use crate::api::blobs;
use crate::db;
use crate::state::{AppCtx, use_app};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::blob::BlobHash;
use shared::case::{Attachment, Case, CaseKind};
use shared::lang::Lang;
use std::sync::Arc;

/// What an evidence image slot shows.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    /// Looking in IndexedDB or asking the server.
    Loading,
    /// The bytes, through an object URL.
    Image(String),
    /// The server does not hold the bytes yet.
    Pending,
    /// The user's role may not see it.
    Masked,
    /// Not on this device, and the server cannot be asked now.
    Unavailable,
}

/// Finds the bytes named `hash`: on the device, else on the server (and
/// keeps them on the device).
async fn fetch(ctx: AppCtx, hash: BlobHash) -> Shown {
    match db::blob(hash).await {
        Ok(Some(blob)) => return object_url(&blob).map_or(Shown::Unavailable, Shown::Image),
        Ok(None) => {}
        Err(e) => leptos::logging::warn!("reading evidence {hash}: {e}"),
    }
    let Some(token) = ctx.token() else {
        return Shown::Unavailable;
    };
    match blobs::download(&token, hash).await {
        Ok(blob) => {
            if let Err(e) = db::save_blob(hash, &blob).await {
                leptos::logging::warn!("keeping evidence {hash}: {e}");
            }
            object_url(&blob).map_or(Shown::Unavailable, Shown::Image)
        }
        Err(e) if e.code() == Some("blob.pending") => Shown::Pending,
        Err(e) if e.code() == Some("blob.masked") => Shown::Masked,
        Err(e) => {
            leptos::logging::warn!("fetching evidence {hash}: {e}");
            Shown::Unavailable
        }
    }
}

/// One evidence image, loaded as described in the module's words.
/// `holder` is the device that recorded it, named when the bytes are
/// still there.
#[component]
pub fn EvidenceImage(
    hash: BlobHash,
    #[prop(into)] alt: String,
    holder: String,
    /// Whether the user's role may see it at all (a complainant's
    /// signature, for a role that sees no personal data).
    #[prop(default = true)]
    visible: bool,
    /// A smaller copy to show when the image itself is neither on the
    /// device nor reachable (the printed record offline: the device keeps
    /// the thumbnails of its cases, not every whole photo).
    #[prop(default = None)]
    fallback: Option<BlobHash>,
    /// The language of what stands in for the image (a paper printed in
    /// another language than the app's); the app's when `None`.
    #[prop(default = None)]
    lang: Option<Lang>,
) -> impl IntoView {
    let ctx = use_app();
    let shown = RwSignal::new(if visible {
        Shown::Loading
    } else {
        Shown::Masked
    });
    if visible {
        spawn_local(async move {
            // A slot gone before the bytes came hands them back: free them.
            let mut found = fetch(ctx, hash).await;
            if let (Shown::Unavailable, Some(small)) = (&found, fallback) {
                found = fetch(ctx, small).await;
            }
            if let Some(Shown::Image(url)) = shown.try_set(found) {
                revoke(&url);
            }
        });
    }
    on_cleanup(move || {
        if let Some(Shown::Image(url)) = shown.try_get_untracked() {
            revoke(&url);
        }
    });
    let waiting = move || ctx.uploads.with(|u| u.contains_key(&hash));
    move || {
        let l = lang.unwrap_or_else(|| ctx.lang.get());
        match shown.get() {
            Shown::Image(url) => view! {
                <span class="evidence-image">
                    <img src=url alt=alt.clone() data-testid="evidence-img" data-hash=hash.to_string()/>
                    {waiting().then(|| view! {
                        <span class="badge pending no-print" data-testid="evidence-waiting">{l.pick("待上传", "to upload")}</span>
                    })}
                </span>
            }
            .into_any(),
            Shown::Loading => view! { <span class="evidence-slot">{l.pick("加载中…", "Loading…")}</span> }.into_any(),
            Shown::Pending => view! {
                <span class="evidence-slot pending" data-testid="evidence-pending">
                    {format!("{}{}", l.pick("等待上传 · 设备 ", "Waiting for upload · device "), holder)}
                </span>
            }
            .into_any(),
            Shown::Masked => view! {
                <span class="evidence-slot" data-testid="evidence-masked">{l.pick("已遮蔽", "Hidden")}</span>
            }
            .into_any(),
            Shown::Unavailable => view! {
                <span class="evidence-slot" data-testid="evidence-unavailable">
                    {l.pick("离线，暂无法显示", "Not on this tablet; shows when online")}
                </span>
            }
            .into_any(),
        }
    }
}

/// The short form of the device that recorded an attachment.
pub fn holder(a: &Attachment) -> String {
    a.stamp.device.to_string().chars().take(8).collect()
}

/// Whether the logged-in user may see attachment `a`.
pub fn may_see(ctx: AppCtx, a: &Attachment) -> bool {
    // A complainant's signature identifies them as their name does.
    !a.kind.is_personal() || ctx.shown(None).name
}

/// The small image of an attachment: its thumbnail, or the file itself
/// when it has none (a signature).
#[component]
pub fn AttachmentThumb(attachment: Attachment) -> impl IntoView {
    let ctx = use_app();
    let hash = attachment
        .thumbnail
        .as_ref()
        .map(|t| t.hash)
        .or(attachment.hash);
    hash.map(|hash| {
        view! {
            <EvidenceImage hash=hash alt=attachment.name.clone() holder=holder(&attachment)
                visible=may_see(ctx, &attachment)/>
        }
    })
}

/// A case's evidence: a grid of thumbnails; a tap opens the full view.
#[component]
pub fn Gallery(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let open = RwSignal::new(None::<Attachment>);
    let items: Vec<Attachment> = case
        .attachments
        .iter()
        .filter(|a| a.hash.is_some())
        .cloned()
        .collect();
    if items.is_empty() {
        return view! {
            <p class="hint" data-testid="evidence-none">
                {move || ctx.lang.get().pick("暂无照片或签名", "No photos or signatures yet")}
            </p>
        }
        .into_any();
    }
    let case_kind = case.registration.kind;
    let tiles = items
        .into_iter()
        .map(|a| {
            let kind = a.kind;
            let caption = a.caption.clone();
            let visible = may_see(ctx, &a);
            let chosen = a.clone();
            let hash = a.hash.map(|h| h.to_string()).unwrap_or_default();
            // A button, so that a keyboard or a screen reader opens it too.
            view! {
                <li class="evidence-tile" data-testid="evidence-item" data-kind=kind.code()
                    data-hash=hash>
                    <button type="button" class="evidence-open" disabled=!visible
                        on:click=move |_| open.set(Some(chosen.clone()))>
                        <AttachmentThumb attachment=a/>
                        <span class="kind">{move || kind.label_on(case_kind, ctx.lang.get())}</span>
                        <span class="caption">{caption}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="evidence-grid" data-testid="evidence-grid">{tiles}</ul>
        {move || open.get().map(|a| view! { <Viewer attachment=a open=open case_kind=case_kind/> })}
    }
    .into_any()
}

/// One photo, whole, over the page. Two fingers pinch to zoom, one drags,
/// a double tap switches between fitted and 2.5×.
#[component]
fn Viewer(
    attachment: Attachment,
    open: RwSignal<Option<Attachment>>,
    case_kind: CaseKind,
) -> impl IntoView {
    let ctx = use_app();
    let zoom = RwSignal::new((1.0f64, 0.0f64, 0.0f64));
    // The pointers down now: id → position.
    let pointers = StoredValue::new(Vec::<(i32, f64, f64)>::new());
    let pinch_from = StoredValue::new(None::<(f64, f64)>);
    let spread = |p: &[(i32, f64, f64)]| match p {
        [a, b, ..] => ((a.1 - b.1).powi(2) + (a.2 - b.2).powi(2)).sqrt(),
        _ => 0.0,
    };
    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        pointers.update_value(|p| {
            p.retain(|q| q.0 != ev.pointer_id());
            p.push((ev.pointer_id(), ev.client_x().into(), ev.client_y().into()));
            if p.len() == 2 {
                pinch_from.set_value(Some((spread(p), zoom.get_untracked().0)));
            }
        });
    };
    let moved = move |ev: web_sys::PointerEvent| {
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let mut last = None;
        pointers.update_value(|p| {
            if let Some(q) = p.iter_mut().find(|q| q.0 == ev.pointer_id()) {
                last = Some((q.1, q.2));
                (q.1, q.2) = (x, y);
            }
        });
        let Some((lx, ly)) = last else { return };
        let (count, now_spread) = pointers.with_value(|p| (p.len(), spread(p)));
        match (count, pinch_from.get_value()) {
            (2, Some((from, scale))) if from > 0.0 => {
                zoom.update(|z| z.0 = (scale * now_spread / from).clamp(1.0, 6.0));
            }
            (1, _) if zoom.get_untracked().0 > 1.0 => {
                zoom.update(|z| {
                    z.1 += x - lx;
                    z.2 += y - ly;
                });
            }
            _ => {}
        }
    };
    let up = move |ev: web_sys::PointerEvent| {
        pointers.update_value(|p| p.retain(|q| q.0 != ev.pointer_id()));
        pinch_from.set_value(None);
    };
    let toggle = move |_| {
        zoom.update(|z| {
            *z = if z.0 > 1.0 {
                (1.0, 0.0, 0.0)
            } else {
                (2.5, 0.0, 0.0)
            };
        })
    };
    let hash = attachment.hash;
    let name = attachment.name.clone();
    let caption = attachment.caption.clone();
    let holder = holder(&attachment);
    let kind = attachment.kind;
    let label = move |l: Lang| kind.label_on(case_kind, l);
    // A dialog over the page: the focus goes to its close button, Escape
    // closes it, and the focus goes back to the photo it was opened from.
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    let opener = hash.map(|h| format!("[data-hash='{h}'] .evidence-open"));
    on_cleanup(move || {
        use wasm_bindgen::JsCast;
        if let Some(tile) = opener
            .and_then(|selector| document().query_selector(&selector).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = tile.focus();
        }
    });
    let escape = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(None);
        }
    };
    view! {
        <div class="evidence-viewer" data-testid="evidence-viewer" role="dialog" aria-modal="true"
            aria-label=move || label(ctx.lang.get()) on:keydown=escape>
            <div class="viewer-bar">
                <span>{move || label(ctx.lang.get())} " " {caption}</span>
                <button type="button" class="btn" data-testid="viewer-close" node_ref=close_button on:click=move |_| open.set(None)>
                    {move || ctx.lang.get().pick("关闭", "Close")}
                </button>
            </div>
            <div class="viewer-stage" on:pointerdown=down on:pointermove=moved on:pointerup=up
                on:pointercancel=up on:dblclick=toggle
                // Set as properties: the page's policy (`style-src 'self'`)
                // refuses a `style` attribute.
                style:--zoom=move || zoom.get().0.to_string()
                style:--pan-x=move || format!("{}px", zoom.get().1)
                style:--pan-y=move || format!("{}px", zoom.get().2)>
                {hash.map(|hash| view! { <EvidenceImage hash=hash alt=name.clone() holder=holder.clone()/> })}
            </div>
        </div>
    }
}
