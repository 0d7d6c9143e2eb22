//! One case as the paper complaint record form (客户投诉记录表) that
//! auditors expect: the intake fields the regulations list (who, how to
//! reach them, when, where, through which channel, what they said and
//! asked for), the handling (assessment, responsible department, measures,
//! result), the follow-up and the closure, and the signature lines.
//!
//! Rendered from the device's own fold, so it prints offline too. The A4
//! layout is `style/print.css`; the app's header and buttons are hidden on
//! paper by `@media print`.

use crate::i18n;
use crate::state::{Screen, use_app};
use leptos::prelude::*;
use shared::case::Case;
use shared::compensation::format_yuan;
use shared::id::CaseId;
use shared::lang::Lang;
use std::sync::Arc;

/// The printable record of case `id`.
#[component]
pub fn PrintRecord(id: CaseId) -> impl IntoView {
    let ctx = use_app();
    let case = Memo::new(move |_| ctx.cases.with(|m| m.get(&id).cloned()));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="print-page" data-testid="print-page">
            <div class="print-tools no-print">
                <button class="btn" data-testid="print-back" on:click=move |_| ctx.screen.set(Screen::Detail(id))>
                    {t("← 返回工单", "← Back to the case")}
                </button>
                <button class="btn primary" data-testid="print-now" on:click=move |_| {
                    let _ = window().print();
                }>{t("打印", "Print")}</button>
            </div>
            {move || match case.get() {
                None => view! { <p data-testid="case-missing">{t("找不到该工单", "Case not found")}</p> }.into_any(),
                Some(c) => view! { <RecordForm case=c lang=ctx.lang.get()/> }.into_any(),
            }}
        </section>
    }
}

/// One row of the form: a label cell and a value cell spanning `span`.
fn cell(label: &str, value: String) -> impl IntoView + use<> {
    let label = label.to_string();
    view! {
        <th>{label}</th>
        <td>{value}</td>
    }
}

#[component]
fn RecordForm(case: Arc<Case>, lang: Lang) -> impl IntoView {
    let ctx = use_app();
    let config = ctx.config.get_untracked();
    let tz = config.settings.tz();
    let l = lang;
    let r = &case.registration;
    let time = |at| i18n::fmt_time(at, tz);
    let user = |id| config.user_name(id);
    let place = config
        .property(r.property)
        .map(|p| format!("{} {}", p.name, p.describe(&r.location)))
        .unwrap_or_default();
    let phone = r
        .complainant
        .phone
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let assessment = case
        .assessment
        .as_ref()
        .map(|a| {
            let mut s = format!("{} · {}", a.severity.label(l), a.validity.label(l));
            if a.urgent {
                s.push_str(l.pick(" · 紧急", " · urgent"));
            }
            if !a.reason.is_empty() {
                s.push_str(&format!(" · {}", a.reason));
            }
            s
        })
        .unwrap_or_default();
    let assignee = case
        .assignee
        .as_ref()
        .map(|a| format!("{} {}", a.department, a.name))
        .unwrap_or_default();
    let handling: Vec<String> = case
        .notes
        .iter()
        .map(|n| {
            format!(
                "{} {} {}：{}",
                time(n.stamp.at),
                user(n.stamp.by),
                n.kind.label(l),
                n.text
            )
        })
        .collect();
    let solution = case
        .solution
        .as_ref()
        .map(|s| {
            let mut text = s.measures.clone();
            if !s.responsible.is_empty() {
                text.push_str(&format!("（{}）", s.responsible));
            }
            if s.compensation_fen > 0 {
                text.push_str(&format!(
                    "{}{}",
                    l.pick("；赔偿 ", "; compensation "),
                    format_yuan(s.compensation_fen)
                ));
            }
            text
        })
        .unwrap_or_default();
    let resolution = case.resolution.as_ref();
    let follow_up = case.latest_follow_up();
    let closure = case.closure.as_ref();
    let deadlines: Vec<String> = case
        .deadlines
        .iter()
        .map(|c| {
            let met = c
                .met_at
                .map(|at| format!("{} {}", l.pick("完成", "met"), time(at)))
                .unwrap_or_else(|| l.pick("未完成", "running").to_string());
            format!(
                "{}：{} {} · {}",
                c.clock.label(l),
                l.pick("时限", "due"),
                time(c.due_at),
                met
            )
        })
        .collect();
    view! {
        <article class="record-form" data-testid="record-form">
            <h1>{l.pick("客户投诉记录表", "Customer complaint record")}</h1>
            <p class="record-meta">
                <span>{l.pick("登记号：", "No.: ")}<b data-testid="print-reg-no">{r.reg_no.to_string()}</b></span>
                <span>{l.pick("类型：", "Kind: ")}{r.kind.label(l)}</span>
                <span>{l.pick("状态：", "State: ")}{case.state.label(l)}</span>
            </p>
            <table class="record">
                <tbody>
                    <tr>{cell(l.pick("投诉人", "Complainant"), r.complainant.name.clone())}
                        {cell(l.pick("联系电话", "Phone"), phone)}</tr>
                    <tr>{cell(l.pick("房号/位置", "Unit / location"), place)}
                        {cell(l.pick("受理渠道", "Channel"), r.channel.label(l).to_string())}</tr>
                    <tr>{cell(l.pick("投诉时间", "Received"), time(r.received_at))}
                        {cell(l.pick("受理人", "Recorded by"), format!("{} {}", user(case.registered.by), time(case.registered.at)))}</tr>
                    <tr>{cell(l.pick("投诉类别", "Category"), config.category_name(&r.category, l))}
                        {cell(l.pick("关联工单", "Related case"), r.related_case.clone().unwrap_or_default())}</tr>
                    <tr class="tall"><th>{l.pick("投诉内容", "Complaint")}</th><td colspan="3" data-testid="print-content">{r.content.clone()}</td></tr>
                    <tr><th>{l.pick("投诉人诉求", "Requested remedy")}</th><td colspan="3">{r.requested_remedy.clone()}</td></tr>
                    <tr>{cell(l.pick("评估", "Assessment"), assessment)}
                        {cell(l.pick("责任部门/责任人", "Department / person"), assignee)}</tr>
                    <tr class="tall"><th>{l.pick("调查处理过程", "Investigation and handling")}</th>
                        <td colspan="3">{handling.into_iter().map(|h| view! { <p>{h}</p> }).collect_view()}</td></tr>
                    <tr><th>{l.pick("处理方案", "Solution")}</th><td colspan="3">{solution}</td></tr>
                    <tr><th>{l.pick("处理结果", "Result")}</th>
                        <td colspan="3">{resolution.map(|res| format!("{} （{} {}）", res.result, user(res.stamp.by), time(res.stamp.at))).unwrap_or_default()}</td></tr>
                    <tr><th>{l.pick("时限", "Deadlines")}</th>
                        <td colspan="3">{deadlines.into_iter().map(|d| view! { <p>{d}</p> }).collect_view()}</td></tr>
                    <tr>{cell(l.pick("回访时间/方式", "Follow-up"), follow_up.map(|f| format!("{} {} {}", time(f.stamp.at), f.method.label(l), user(f.stamp.by))).unwrap_or_default())}
                        {cell(l.pick("满意度", "Satisfaction"), follow_up.map(|f| format!("{} {}", f.satisfaction, i18n::satisfaction(f.satisfaction, l))).unwrap_or_default())}</tr>
                    <tr><th>{l.pick("投诉人意见", "Resident's comment")}</th><td colspan="3">{follow_up.map(|f| f.comment.clone()).unwrap_or_default()}</td></tr>
                    <tr><th>{l.pick("纠正预防措施", "Corrective action")}</th><td colspan="3">{closure.map(|c| c.corrective_action.clone()).unwrap_or_default()}</td></tr>
                    <tr>{cell(l.pick("验证情况", "Verification"), closure.map(|c| c.verification.clone()).unwrap_or_default())}
                        {cell(l.pick("结案时间", "Closed"), closure.map(|c| time(c.stamp.at)).unwrap_or_default())}</tr>
                </tbody>
            </table>
            <table class="signatures">
                <tbody>
                    <tr>
                        <td>{l.pick("受理人签字：", "Recorded by:")}</td>
                        <td>{l.pick("处理人签字：", "Handled by:")}</td>
                        <td>{l.pick("部门负责人签字：", "Department head:")}</td>
                    </tr>
                    <tr>
                        <td>{l.pick("回访人签字：", "Follow-up by:")}</td>
                        <td>{l.pick("投诉人确认：", "Resident's confirmation:")}</td>
                        <td>{l.pick("日期：", "Date:")}</td>
                    </tr>
                </tbody>
            </table>
        </article>
    }
}
