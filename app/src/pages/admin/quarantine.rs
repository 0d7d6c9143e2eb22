//! 隔离区: the ops the server refused from devices, re-applied or
//! discarded with a reason.

use super::{company_tz, token, words};
use crate::api::admin::{self, QuarantineEntry, ReapplyOutcome};
use crate::api::{self, ApiError};
use crate::components::form::{RowDrafts, Unsaved};
use crate::components::table::{Loaded, loaded};
use crate::i18n;
use crate::state::use_app;
use chrono_tz::Tz;
use leptos::prelude::*;
use shared::admin::QUARANTINE_PAGE;
use shared::lang::Lang;
use shared::op::Op;

/// The quarantine tab.
#[component]
pub fn QuarantineTab() -> impl IntoView {
    let ctx = use_app();
    let entries: Loaded<Vec<QuarantineEntry>> =
        // One more than shown tells whether more wait.
        LocalResource::new(move || async move {
            admin::quarantine(&token(ctx)?, QUARANTINE_PAGE + 1).await
        });
    // What happened to a settled entry, which leaves the list.
    let settled = RwSignal::new(None::<String>);
    // Settling one entry draws the list again: the others keep their
    // half-typed reasons.
    let drafts = RowDrafts::default();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-quarantine">
            <h3>{t("隔离区", "Quarantine")}</h3>
            <p class="hint">{t(
                "服务器拒收的设备记录保存在这里。补齐缺少的项目、类别或用户后可重新应用；确实无效的记录请填写原因后丢弃（记录会保留，不会删除）。",
                "Records the server refused from devices wait here. After adding the missing property, category or user, re-apply them; discard records that are truly invalid, with a reason (they are kept, never deleted).",
            )}</p>
            <super::records::RecordsImportForm done=move || entries.refetch()/>
            <p class="admin-done" role="status" data-testid="quarantine-status">{move || settled.get()}</p>
            {loaded(entries, move |mut list| {
                if list.is_empty() {
                    return view! {
                        <p class="empty" data-testid="quarantine-empty">{t("隔离区为空", "Nothing is quarantined")}</p>
                    }
                    .into_any();
                }
                let tz = company_tz(ctx);
                // The oldest page is shown; the rest follow as these are
                // settled.
                let more = (list.len() > QUARANTINE_PAGE as usize).then(|| {
                    view! {
                        <p class="hint" data-testid="quarantine-more">{move || match ctx.lang.get() {
                            Lang::ZhCn => format!("这里显示最早的 {QUARANTINE_PAGE} 条；处理后将显示其余的记录。"),
                            Lang::En => format!("The oldest {QUARANTINE_PAGE} are shown; the others follow as these are settled."),
                        }}</p>
                    }
                });
                list.truncate(QUARANTINE_PAGE as usize);
                let rows = list
                    .into_iter()
                    .map(|e| view! { <QuarantineRow entry=e tz=tz reload=entries settled=settled drafts=drafts/> })
                    .collect_view();
                view! { {more}<ul class="admin-quarantine">{rows}</ul> }.into_any()
            })}
        </div>
    }
}

#[component]
fn QuarantineRow(
    entry: QuarantineEntry,
    tz: Tz,
    reload: Loaded<Vec<QuarantineEntry>>,
    settled: RwSignal<Option<String>>,
    drafts: RowDrafts,
) -> impl IntoView {
    let ctx = use_app();
    let id = entry.id.to_string();
    let l = ctx.lang.get_untracked();
    // A quarantined op may be malformed (that can be why it is here), so
    // it stays JSON in `QuarantineEntry` and its action and case are read
    // leniently.
    let parsed = serde_json::from_value::<Op>(entry.op.clone()).ok();
    let action = parsed
        .as_ref()
        .map(|op| op.action.kind().label(l).to_string())
        .unwrap_or_else(|| lenient_text(&entry.op["action"]["type"]));
    // Whose record it claims to be, and what it says (masked by the server
    // as the admin reads personal data): what the admin asks its author
    // about before re-applying one set aside unproven, or discarding it.
    let author = parsed.as_ref().map(|op| {
        let name = ctx.config.with_untracked(|c| c.user_name(op.author));
        match l {
            Lang::ZhCn => format!("{name}（{}）", op.role.label(l)),
            Lang::En => format!("{name} ({})", op.role.label(l)),
        }
    });
    let said = parsed
        .as_ref()
        .map(|op| {
            shared::validation::action_texts(&op.action)
                .into_iter()
                .map(|(_, text)| text)
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .filter(|s| !s.is_empty());
    // Named as staff know them: ids made in the same minute share their
    // first characters, so a prefix names nothing.
    let case = entry
        .reg_no
        .clone()
        .unwrap_or_else(|| lenient_text(&entry.op["case_id"]));
    let device = match (entry.device_number, &entry.device_name) {
        (Some(n), Some(name)) if !name.is_empty() => format!("#{n} {name}"),
        (Some(n), _) => format!("#{n}"),
        (None, _) => entry.device.to_string(),
    };
    // Open again with the reason typed before the list was drawn again.
    let (discarding, reason) = drafts.form(id.clone());
    // A reason put away with its form (a second tap on 丢弃) is not
    // waited for.
    Unsaved::track(move || discarding.get() && !reason.with(String::is_empty))
        // Counted from nothing typed: a form drawn again with what was typed
        // before holds it unsaved still.
        .settle_to(false);
    // Why an action on this entry failed.
    let note = RwSignal::new(None::<Note>);
    // Whether the discard reason is missing (or too long), by this form's
    // check or the server's.
    let reason_missing = RwSignal::new(false);

    let reapply_entry = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let result = admin::reapply(&token(ctx)?, &id).await;
            let l = ctx.l();
            match &result {
                Ok(ReapplyOutcome::Accepted { server_seq, .. }) => {
                    settled.set(Some(match l {
                        Lang::ZhCn => format!("已重新应用（服务器序号 {server_seq}）"),
                        Lang::En => format!("Re-applied as server record {server_seq}"),
                    }));
                    reload.refetch();
                }
                Ok(ReapplyOutcome::Refused { code, message }) => {
                    note.set(Some(Note::StillRefused {
                        code: code.clone(),
                        message: message.clone(),
                    }))
                }
                // The server answers these two as 409s
                // (`quarantine.resolved`, `quarantine.sequence_taken`), so
                // they arrive as `Err`; an outcome carries no reason for
                // them, so the note would name none.
                Ok(ReapplyOutcome::AlreadyResolved | ReapplyOutcome::SequenceTaken) => {
                    note.set(Some(Note::StillRefused {
                        code: String::new(),
                        message: String::new(),
                    }))
                }
                Err(e) => note.set(Some(Note::Api(e.clone()))),
            }
            result.map(drop)
        }
    });
    let discard_entry = Action::new_local(move |(id, why): &(String, String)| {
        let (id, why) = (id.clone(), why.clone());
        async move {
            let result = admin::discard(&token(ctx)?, &id, &why).await;
            match &result {
                Ok(()) => {
                    settled.set(Some(
                        ctx.l()
                            .pick("已丢弃该记录", "The record was discarded")
                            .into(),
                    ));
                    discarding.set(false);
                    reason.set(String::new());
                    reload.refetch();
                }
                Err(e) if e.code() == Some("quarantine.reason_required") => {
                    reason_missing.set(true);
                }
                Err(e) => note.set(Some(Note::Api(e.clone()))),
            }
            result
        }
    });
    let busy = move || reapply_entry.pending().get() || discard_entry.pending().get();
    let reapply = {
        let id = id.clone();
        move |_| {
            if ctx.token().is_some() {
                reapply_entry.dispatch_local(id.clone());
            }
        }
    };
    let discard = {
        let id = id.clone();
        move |_| {
            let why = reason.get_untracked().trim().to_string();
            note.set(None);
            reason_missing.set(false);
            if why.is_empty() || why.chars().count() > 1000 {
                reason_missing.set(true);
                return;
            }
            if ctx.token().is_some() {
                discard_entry.dispatch_local((id.clone(), why));
            }
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let reason_text = {
        let (code, message) = (entry.code.clone(), entry.message.clone());
        move || reason_words(&code, &message, ctx.lang.get())
    };
    view! {
        <li class="card admin-quarantine-row" data-testid="quarantine-row" data-id=id.clone()
            data-code=entry.code.clone()>
            <div class="admin-quarantine-head">
                <code class="badge overdue" data-testid="quarantine-code">{entry.code.clone()}</code>
                <span class="admin-quarantine-reason" data-testid="quarantine-reason-text">{reason_text}</span>
            </div>
            <dl class="admin-kvs">
                <div class="kv"><dt>{t("收到时间", "Received")}</dt><dd>{i18n::fmt_time(entry.received_at, tz)}</dd></div>
                <div class="kv"><dt>{t("设备 / 序号", "Device / sequence")}</dt>
                    <dd data-testid="quarantine-device">{format!("{device} / {}", entry.seq)}</dd></div>
                <div class="kv"><dt>{t("操作", "Action")}</dt><dd>{action}</dd></div>
                {author.map(|a| view! {
                    <div class="kv"><dt>{t("记录人", "Recorded by")}</dt><dd data-testid="quarantine-author">{a}</dd></div>
                })}
                {said.map(|s| view! {
                    <div class="kv"><dt>{t("内容", "What it says")}</dt><dd data-testid="quarantine-text">{s}</dd></div>
                })}
                <div class="kv"><dt>{t("工单", "Case")}</dt><dd data-testid="quarantine-case">{case}</dd></div>
            </dl>
            <div class="actions">
                <button type="button" class="btn" data-testid="quarantine-reapply"
                    disabled=busy on:click=reapply>
                    {t("重新应用", "Re-apply")}
                </button>
                <button type="button" class="btn danger" data-testid="quarantine-discard"
                    disabled=busy on:click=move |_| discarding.update(|d| *d = !*d)>
                    {t("丢弃", "Discard")}
                </button>
            </div>
            <Show when=move || discarding.get()>
                <div class="admin-discard">
                    <label class="field">
                        <span>{t("丢弃原因（必填，记录人的平板上会显示）", "Reason for discarding (required; shown on its author's tablet)")}</span>
                        <input type="text" data-testid="quarantine-reason"
                            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <span class="field-error" role="alert" data-testid="quarantine-reason-error">
                            {move || reason_missing.get().then(|| words("quarantine.reason_required", ctx.lang.get()))}
                        </span>
                    </label>
                    <button type="button" class="btn danger" data-testid="quarantine-discard-confirm"
                        disabled=busy on:click=discard.clone()>
                        {t("确认丢弃", "Discard it")}
                    </button>
                </div>
            </Show>
            {move || note.get().map(|note| view! {
                <p class="error" role="alert" data-testid="quarantine-note">{note.message(ctx.lang.get())}</p>
            })}
        </li>
    }
}

/// Why an action on a quarantine entry did not settle it; worded when
/// shown.
#[derive(Debug, Clone)]
enum Note {
    /// Re-applied, the op was refused again, for the reason in the outcome.
    StillRefused { code: String, message: String },
    /// The server refused the action, or could not be reached.
    Api(ApiError),
}

impl Note {
    fn message(&self, l: Lang) -> String {
        match self {
            Note::StillRefused { code, message } => format!(
                "{}{}",
                l.pick("仍被拒绝：", "Still refused: "),
                reason_words(code, message, l)
            ),
            Note::Api(e) => e.message(l),
        }
    }
}

/// Why the server quarantined an op (or refused it again), from the
/// entry's (or outcome's) `code` and `message`: the code's words, and the
/// fields the server's message names ("field: problem; …"), as the server
/// wrote them on an English screen and by their Chinese names on a Chinese
/// one.
fn reason_words(code: &str, message: &str, l: Lang) -> String {
    let words = api::code_words(code, l);
    match l {
        Lang::En if !message.is_empty() => format!("{words}: {message}"),
        Lang::En => words,
        Lang::ZhCn => {
            let unknown = crate::i18n::field("", l);
            let mut named: Vec<&str> = message
                .split("; ")
                .filter_map(|part| part.split_once(": "))
                .map(|(field, _)| crate::i18n::field(field.trim(), l))
                .filter(|name| *name != unknown)
                .collect();
            named.dedup();
            if named.is_empty() {
                words
            } else {
                format!("{words}（{}）", named.join("、"))
            }
        }
    }
}

/// A part of a quarantined op as text: strings without quotes, a missing
/// part as nothing.
fn lenient_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
