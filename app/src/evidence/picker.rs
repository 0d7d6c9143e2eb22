//! The evidence part of a form (the intake form, a case's 添加附件): photos
//! from the camera or the gallery (several at once), and signatures drawn
//! on the pad. What is taken stays in the form, with its preview and a
//! caption, until the form is saved; each file is checked against the
//! company's size limit as soon as it is taken, so the refusal comes
//! beside the picker, not later from the server.

use super::signature::SignaturePad;
use super::{Staged, Taken, bytes_to_blob, object_url, photo, revoke};
use crate::state::use_app;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::blob::BlobHash;
use shared::case::{AttachmentKind, CaseKind};
use shared::lang::Coded;
use shared::validation::validate_attachment_limits;
use wasm_bindgen::JsCast;

/// Photos and signatures gathered for a form, into `staged`, which the
/// form owns. `signers` are the signatures the form offers (the intake
/// form: the complainant's); `case_kind` names the resident who signs
/// (报修人签名 on a repair).
#[component]
pub fn EvidencePicker(
    staged: Staged,
    signers: Vec<AttachmentKind>,
    #[prop(into)] case_kind: Signal<CaseKind>,
) -> impl IntoView {
    let ctx = use_app();
    let Staged {
        items,
        error,
        busy,
        signing,
        strokes,
        ..
    } = staged;
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);

    // Said beside the picker, after what was said of the other pictures
    // of the same pick: several may fail at once.
    let refuse = move |what: String| {
        let l = ctx.l();
        error.update(|said| match said {
            Some(said) => {
                said.push_str(l.pick("；", "; "));
                said.push_str(&what);
            }
            None => *said = Some(what),
        });
    };
    let add = move |taken: Taken| {
        let limits = ctx
            .config
            .with_untracked(|c| c.settings.attachments.clone());
        // The file alone against the per-file limit; the case's total is
        // checked when the form is saved.
        if let Err(found) =
            validate_attachment_limits(&super::attach::action(&taken), &limits, 0, 0)
        {
            let l = ctx.l();
            let why: Vec<String> = found.iter().map(|e| e.error.message(l)).collect();
            refuse(format!(
                "{}{}{}",
                taken.name,
                l.pick("：", ": "),
                why.join(l.pick("，", ", "))
            ));
            return;
        }
        items.update(|all| {
            if !all.iter().any(|t| t.hash == taken.hash) {
                all.push(taken);
            }
        });
    };
    let picked = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let files: Vec<web_sys::File> = input
            .files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        // The same file may be picked again later.
        input.set_value("");
        error.set(None);
        let (keep, max_original) = ctx.config.with_untracked(|c| {
            let a = &c.settings.attachments;
            (a.keep_original_photos, a.max_blob_bytes)
        });
        // One picture at a time: each is decoded at full size (about 48 MB
        // for 12 megapixels), and ten decoded at once made a tablet's
        // browser close the tab, with everything the form held.
        busy.update(|n| *n += files.len());
        spawn_local(async move {
            for file in files {
                match photo::take(&file, keep, max_original).await {
                    Ok(taken) => add(taken),
                    Err(e) => {
                        leptos::logging::warn!("photo {}: {e}", file.name());
                        let l = ctx.l();
                        refuse(format!(
                            "{}{}{}",
                            file.name(),
                            l.pick("：", ": "),
                            l.pick("无法读取这张图片", "this picture could not be read")
                        ));
                    }
                }
                busy.try_update(|n| *n -= 1);
            }
        });
    };
    // The kind is the pad's, fixed when it opened: the picture is encoded
    // after 完成签名, and a tap on another signer's button meanwhile must
    // not file the resident's signature as the handler's (which roles
    // without personal data see, and which prints on the handler's line).
    let signed = move |kind: AttachmentKind, png: Vec<u8>| {
        if signing.get_untracked() != Some(kind) {
            return;
        }
        error.set(None);
        add(Taken::new(
            kind,
            format!("{}.png", kind.code()),
            "image/png",
            png,
        ));
        staged.close_pad();
    };

    let sign_buttons = signers
        .into_iter()
        .map(|kind| {
            view! {
                <button type="button" class="btn" data-testid=format!("sign-{}", kind.code())
                    on:click=move |_| {
                        if signing.get_untracked() != Some(kind) {
                            strokes.set(Vec::new());
                            signing.set(Some(kind));
                        }
                    }>
                    {move || {
                        let l = ctx.lang.get();
                        format!("{}{}", l.pick("签名：", "Sign: "), kind.label_on(case_kind.get(), l))
                    }}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="evidence-picker" data-testid="evidence-picker">
            <div class="evidence-buttons">
                <label class="btn">
                    {t("拍照", "Take a photo")}
                    <input type="file" accept="image/*" capture="environment" class="visually-hidden"
                        data-testid="evidence-camera" on:change=picked/>
                </label>
                <label class="btn">
                    {t("从相册选择", "Choose photos")}
                    <input type="file" accept="image/*" multiple class="visually-hidden"
                        data-testid="evidence-photos" on:change=picked/>
                </label>
                {sign_buttons}
            </div>
            {move || signing.get().map(|kind| view! {
                <div class="signature-box">
                    <p>{move || kind.label_on(case_kind.get(), ctx.lang.get())}</p>
                    <SignaturePad strokes=strokes on_done=Callback::new(move |png| signed(kind, png)) on_cancel=Callback::new(move |()| staged.close_pad())/>
                </div>
            })}
            <p class="hint" data-testid="evidence-busy" data-busy=move || busy.get().to_string()>
                {move || (busy.get() > 0).then(|| ctx.lang.get().pick("正在处理照片…", "Preparing photos…"))}
            </p>
            <ul class="evidence-staged">
                <For each=move || items.get() key=|taken| taken.hash let:taken>
                    <StagedItem taken=taken items=items case_kind=case_kind/>
                </For>
            </ul>
            <p class="field-error" role="alert" data-testid="evidence-error">{move || error.get()}</p>
        </div>
    }
}

/// One taken item in the form: its preview, its caption, and a way to
/// take it back out.
#[component]
fn StagedItem(
    taken: Taken,
    items: RwSignal<Vec<Taken>>,
    case_kind: Signal<CaseKind>,
) -> impl IntoView {
    let ctx = use_app();
    let hash: BlobHash = taken.hash;
    let (bytes, mime) = match &taken.thumbnail {
        Some(thumb) => (thumb.clone(), "image/jpeg".to_string()),
        None => (taken.bytes.clone(), taken.mime.clone()),
    };
    let url = bytes_to_blob(&bytes, &mime)
        .and_then(|b| object_url(&b))
        .unwrap_or_default();
    let revoke_url = url.clone();
    on_cleanup(move || revoke(&revoke_url));
    let kind = taken.kind;
    // Kept at every key, not when the field is left: a sync that draws
    // the case's screen again meanwhile would drop the words typed.
    let caption = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        items.update(|all| {
            if let Some(t) = all.iter_mut().find(|t| t.hash == hash) {
                t.caption = text;
            }
        });
    };
    view! {
        <li class="staged" data-testid="staged-evidence" data-kind=kind.code()>
            <img src=url alt=taken.name.clone()/>
            <span class="kind">{move || kind.label_on(case_kind.get(), ctx.lang.get())}</span>
            {(kind == AttachmentKind::Photo).then(|| view! {
                <input type="text" data-testid="evidence-caption" prop:value=taken.caption.clone()
                    placeholder=move || ctx.lang.get().pick("说明（可选）", "Caption (optional)")
                    aria-label=move || ctx.lang.get().pick("照片说明", "Photo caption")
                    on:input=caption/>
            })}
            <button type="button" class="btn small" data-testid="evidence-remove"
                on:click=move |_| items.update(|all| all.retain(|t| t.hash != hash))>
                {move || ctx.lang.get().pick("移除", "Remove")}
            </button>
        </li>
    }
}
