//! What the complainant is handed: the 受理回执 when their case is taken
//! in (`shared::report::Receipt`: the registration number to quote and
//! when the reply is due), and the 处理结果反馈单 once it is handled
//! (`shared::report::ResultNotice`: what was done, the result, and a
//! place for their opinion and signature). Printed on the spot, or sent as
//! a message: the text is there to copy into an SMS or WeChat. Drawn from
//! the device's own fold, so they work offline too.

use super::print::{ConfigNames, PrintTools};
use crate::state::use_app;
use leptos::prelude::*;
use shared::id::CaseId;
use shared::lang::Lang;
use shared::report::{PersonalData, Receipt, ResultNotice};
use wasm_bindgen_futures::JsFuture;

/// The receipt of case `id`.
#[component]
pub fn PrintReceipt(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // The resident's: Chinese unless staff choose otherwise (`PrintTools`).
    let paper = RwSignal::new(Lang::ZhCn);
    let on_paper = move |zh: &'static str, en: &'static str| move || paper.get().pick(zh, en);
    let receipt = move || {
        let case = case.get()?;
        let config = ctx.config.get();
        let personal = PersonalData::shown_if(ctx.shown(Some(&case)).all());
        Some(Receipt::of(
            &case,
            &ConfigNames(&config),
            paper.get(),
            personal,
        ))
    };
    view! {
        <section class="print-page" data-testid="receipt-page">
            <PrintTools id=id testid="receipt" paper=paper/>
            {move || match receipt() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(r) => {
                    let rows = r
                        .rows
                        .into_iter()
                        .map(|(label, value)| view! { <tr><th>{label}</th><td>{value}</td></tr> })
                        .collect_view();
                    let unknown = r.reply_unknown.then(|| view! {
                        <p class="card warning no-print" role="alert" data-testid="receipt-no-reply-date">{t(
                            "答复期限暂无法计算（下一年的节假日安排尚未导入），回执上没有答复日期：请勿向住户承诺日期，并请系统管理员导入节假日安排。",
                            "The reply date cannot be computed yet (next year's holiday schedule is not loaded), so the receipt has none: promise no date, and ask the administrator to load the schedule.",
                        )}</p>
                    });
                    view! {
                        {unknown}
                        <article class="record-form receipt" data-testid="receipt" lang=move || paper.get().code()>
                            <h1>{r.title}</h1>
                            <table class="record"><tbody>{rows}</tbody></table>
                            <p class="receipt-keep">{on_paper(
                                "请保留本回执，查询处理进度时请提供登记号。",
                                "Keep this receipt, and quote the registration number when you ask how it goes.",
                            )}</p>
                        </article>
                        <MessageToSend message=r.message testid="receipt"/>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// The result notice of case `id`.
#[component]
pub fn PrintResult(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let paper = RwSignal::new(Lang::ZhCn);
    let on_paper = move |zh: &'static str, en: &'static str| move || paper.get().pick(zh, en);
    let notice = move || {
        let case = case.get()?;
        let config = ctx.config.get();
        let personal = PersonalData::shown_if(ctx.shown(Some(&case)).all());
        Some(ResultNotice::of(
            &case,
            &ConfigNames(&config),
            paper.get(),
            personal,
        ))
    };
    view! {
        <section class="print-page" data-testid="result-page">
            <PrintTools id=id testid="result" paper=paper/>
            {move || match notice() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(None) => view! {
                    <p data-testid="result-none">{t("该工单尚未处理完毕，暂无处理结果可反馈。", "The case is not handled yet: there is no result to tell.")}</p>
                }.into_any(),
                Some(Some(n)) => {
                    let rows = n
                        .rows
                        .into_iter()
                        .map(|(label, value)| view! { <tr><th>{label}</th><td>{value}</td></tr> })
                        .collect_view();
                    let scores = [
                        ("非常满意", "Very satisfied"),
                        ("满意", "Satisfied"),
                        ("一般", "Neutral"),
                        ("不满意", "Unsatisfied"),
                        ("非常不满意", "Very unsatisfied"),
                    ]
                    .map(|(zh, en)| view! { <span class="tick">"□ "{on_paper(zh, en)}</span> });
                    view! {
                        <article class="record-form receipt" data-testid="result-notice" lang=move || paper.get().code()>
                            <h1>{n.title}</h1>
                            <table class="record"><tbody>{rows}</tbody></table>
                            // The seeds: the company asks the complainant's
                            // opinion of the result with the sheet.
                            <section class="opinion">
                                <p>{on_paper("您对处理结果的意见：", "Your opinion of the result:")}</p>
                                <p class="ticks">{scores}</p>
                                <p class="lines">{on_paper("意见或建议：", "Comments:")}</p>
                                <p class="sign-line">
                                    <span>{on_paper("住户签字：", "Resident's signature:")}</span>
                                    <span>{on_paper("日期：", "Date:")}</span>
                                </p>
                            </section>
                        </article>
                        <MessageToSend message=n.message testid="result"/>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// A document's text to send by SMS or WeChat, and a button that copies it.
#[component]
fn MessageToSend(message: String, testid: &'static str) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let copied = RwSignal::new(None::<bool>);
    let text = message.clone();
    let copy = move |_| {
        let message = text.clone();
        // No clipboard on a plain-HTTP address other than localhost, and
        // a browser may refuse the write: staff are told to copy by hand.
        let clipboard = window().navigator().clipboard();
        let written =
            js_sys::Reflect::get(&clipboard, &"writeText".into()).is_ok_and(|f| f.is_function());
        if !written {
            copied.set(Some(false));
            return;
        }
        leptos::task::spawn_local(async move {
            let done = JsFuture::from(clipboard.write_text(&message)).await.is_ok();
            copied.try_set(Some(done));
        });
    };
    view! {
        <div class="card no-print">
            <label class="field wide">
                <span>{t("短信/微信文字", "Text for SMS or WeChat")}</span>
                <textarea readonly rows="3" data-testid=format!("{testid}-message")>{message}</textarea>
            </label>
            <button type="button" class="btn" data-testid=format!("{testid}-copy") on:click=copy>
                {move || match copied.get() {
                    Some(true) => t("已复制", "Copied")(),
                    Some(false) => t("无法自动复制，请长按上面的文字复制", "Cannot copy here: press and hold the text above to copy it")(),
                    None => t("复制文字", "Copy the text")(),
                }}
            </button>
        </div>
    }
}
