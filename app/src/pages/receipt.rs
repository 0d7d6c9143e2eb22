//! 受理回执: the receipt the complainant is given when their case is
//! taken in (`shared::report::Receipt`): the registration number to quote
//! and when the reply is due. Printed on the spot, or sent as a message:
//! the text is there to copy into an SMS or WeChat. Drawn from the
//! device's own fold, so it works offline too.

use super::print::{ConfigNames, PrintTools};
use crate::state::use_app;
use leptos::prelude::*;
use shared::id::CaseId;
use shared::report::{PersonalData, Receipt};
use wasm_bindgen_futures::JsFuture;

/// The receipt of case `id`.
#[component]
pub fn PrintReceipt(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let receipt = move || {
        let case = case.get()?;
        let config = ctx.config.get();
        let personal = PersonalData::shown_if(ctx.shown(Some(&case)).all());
        Some(Receipt::of(
            &case,
            &ConfigNames(&config),
            ctx.lang.get(),
            personal,
        ))
    };
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let Some(message) = receipt().map(|r| r.message) else {
            return;
        };
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            let done = JsFuture::from(clipboard.write_text(&message)).await.is_ok();
            copied.try_set(done);
        });
    };
    view! {
        <section class="print-page" data-testid="receipt-page">
            <PrintTools id=id testid="receipt"/>
            {move || match receipt() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(r) => {
                    let rows = r
                        .rows
                        .into_iter()
                        .map(|(label, value)| view! { <tr><th>{label}</th><td>{value}</td></tr> })
                        .collect_view();
                    view! {
                        <article class="record-form receipt" data-testid="receipt">
                            <h1>{r.title}</h1>
                            <table class="record"><tbody>{rows}</tbody></table>
                            <p class="receipt-keep">{t(
                                "请保留本回执，查询处理进度时请提供登记号。",
                                "Keep this receipt, and quote the registration number when you ask how it goes.",
                            )}</p>
                        </article>
                        <div class="card no-print">
                            <label class="field wide">
                                <span>{t("短信/微信文字", "Text for SMS or WeChat")}</span>
                                <textarea readonly rows="3" data-testid="receipt-message">{r.message}</textarea>
                            </label>
                            <button type="button" class="btn" data-testid="receipt-copy" on:click=copy>
                                {move || if copied.get() { t("已复制", "Copied")() } else { t("复制文字", "Copy the text")() }}
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
