//! The case's photos and signatures: the gallery, and, when the workflow
//! lets the user's role add evidence now, the picker and its save button.
//! Everything is checked before it is stored (`crate::evidence::attach`).

use super::drafts::Drafts;
use crate::components::download::download;
use crate::components::form::CancelButton;
use crate::evidence::Taken;
use crate::evidence::attach::{self, AttachError};
use crate::evidence::gallery::Gallery;
use crate::evidence::picker::EvidencePicker;
use crate::state::use_app;
use leptos::prelude::Action as UiAction;
use leptos::prelude::*;
use shared::case::{AttachmentKind, Case};
use shared::lang::Lang;
use shared::op::ActionKind;
use shared::workflow::allowed_actions;
use std::sync::Arc;

/// The evidence card of a case.
/// What was taken and the open form are the screen's `drafts`: recording
/// the first photo changes the case, which draws this card again.
#[component]
pub fn Evidence(case: Arc<Case>, drafts: Drafts) -> impl IntoView {
    let ctx = use_app();
    let role = ctx.role();
    let case_kind = case.registration.kind;
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let Drafts {
        adding,
        staged,
        attaching,
        ..
    } = drafts;
    // An open form stays when a sync closes the case under it: the photos
    // and signatures taken stay in sight, and saving them says why not.
    let allowed = role
        .is_some_and(|role| allowed_actions(&case, role).contains(&ActionKind::Attach))
        && ctx.works_on(&case)
        || adding.get_untracked()
        || staged.items.with_untracked(|items| !items.is_empty());
    let (items, error) = (staged.items, staged.error);
    let case_id = case.id;
    let save = UiAction::new_local(move |taken: &Vec<Taken>| {
        let taken = taken.clone();
        async move {
            let result = attach::record(ctx, case_id, &taken).await;
            attaching.set(false);
            // What was stored is on the case now; the rest stays in the
            // form, to try again.
            let done = result
                .as_ref()
                .map_or_else(|(done, _)| *done, |()| taken.len());
            staged.forget(&taken[..done.min(taken.len())]);
            match result {
                // Photos taken while these were saved keep the form open.
                Ok(()) if items.with_untracked(Vec::is_empty) => adding.set(false),
                Ok(()) => {}
                Err((_, e)) => error.set(Some(e.message(ctx.l()))),
            }
        }
    });
    let submit = {
        let case = case.clone();
        move |_| {
            if attaching.get_untracked() {
                return;
            }
            error.set(None);
            if !staged.ready(ctx.l()) {
                return;
            }
            let taken = items.get_untracked();
            if taken.is_empty() {
                error.set(Some(
                    ctx.l()
                        .pick("请先拍照或签名", "Take a photo or a signature first")
                        .to_string(),
                ));
                return;
            }
            let settings = ctx.config.with_untracked(|c| c.settings.clone());
            let checked = attach::check(
                &taken,
                &settings.attachments,
                (case.evidence_bytes(), case.attachments.len() as u64),
            )
            .and_then(|()| match role {
                Some(role) => shared::workflow::check(
                    &case,
                    role,
                    &attach::action(&taken[0]),
                    &settings,
                    crate::state::now(),
                )
                .map(drop)
                .map_err(AttachError::Rule),
                None => Ok(()),
            });
            if let Err(e) = checked {
                error.set(Some(e.message(ctx.l())));
                return;
            }
            attaching.set(true);
            save.dispatch_local(taken);
        }
    };
    // The record and every uploaded file in one ZIP, made by the server
    // (`GET /api/v1/cases/{id}/bundle.zip`): what head office files.
    let progress = RwSignal::new(String::new());
    let reg_no = case.registration.reg_no.to_string();
    let bundle = UiAction::new_local(move |(): &()| {
        let file = format!("{reg_no}.zip");
        async move {
            let l = ctx.l();
            let Some(token) = ctx.token() else { return };
            // Its record is in Chinese whatever language the app is in,
            // as the printed papers are (`print::PrintTools`): what head
            // office files for its auditors.
            let url = format!(
                "/api/v1/cases/{case_id}/bundle.zip?lang={}",
                Lang::ZhCn.code()
            );
            match download(&token, &url, &file, progress, l).await {
                Ok(bytes) => progress.set(format!(
                    "{}{} KB",
                    l.pick("证据包已下载：", "Bundle downloaded: "),
                    bytes / 1024
                )),
                Err(e) => progress.set(e.message(l)),
            }
        }
    });
    view! {
        <div class="card" data-testid="evidence">
            <h3>{t("照片与签名", "Photos and signatures")}</h3>
            <Gallery case=case.clone()/>
            <p class="evidence-bundle">
                <button type="button" class="btn small" data-testid="download-bundle"
                    disabled=move || bundle.pending().get()
                    on:click=move |_| { bundle.dispatch_local(()); }>
                    {t("下载证据包（记录表与附件，ZIP）", "Download the bundle (record and files, ZIP)")}
                </button>
                <span class="hint" data-testid="bundle-progress">{move || progress.get()}</span>
            </p>
            {allowed.then(|| view! {
                <Show when=move || adding.get() fallback=move || view! {
                    <button type="button" class="btn" data-testid="add-evidence" on:click=move |_| adding.set(true)>
                        {t("添加照片或签名", "Add photos or a signature")}
                    </button>
                }>
                    <div class="evidence-form" data-testid="evidence-form">
                        <EvidencePicker staged=staged signers=vec![
                            AttachmentKind::ComplainantSignature,
                            AttachmentKind::HandlerSignature,
                            AttachmentKind::VerifierSignature,
                        ] case_kind=Signal::stored(case_kind)/>
                        <div class="actions">
                            <button type="button" class="btn primary" data-testid="save-evidence"
                                disabled=move || attaching.get() || staged.reading() on:click=submit.clone()>
                                {t("保存", "Save")}
                            </button>
                            // A signature drawn and not finished is held too,
                            // and photos still being read would land in a
                            // form no longer shown.
                            <CancelButton testid="cancel-evidence"
                                holding=Signal::derive(move || items.with(|i| !i.is_empty()) || staged.strokes.with(|s| !s.is_empty()))
                                busy=Signal::derive(move || attaching.get() || staged.reading())
                                on_cancel=Callback::new(move |()| { items.set(Vec::new()); staged.close_pad(); adding.set(false); })/>
                        </div>
                    </div>
                </Show>
            })}
        </div>
    }
}
