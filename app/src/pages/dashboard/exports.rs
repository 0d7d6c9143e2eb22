//! The dashboard's exports: CSV and XLSX of the case list and of the
//! statistics tables, streamed with a progress line.

use super::Filters;
use crate::api::reports::Stats;
use crate::components::download::download;
use crate::state::use_app;
use leptos::prelude::*;
use shared::lang::Lang;

/// CSV and XLSX of the case list and of the statistics tables for the
/// current filters, downloaded with the session's token and a progress line
/// (rows expected, bytes received). The case list takes the period as the
/// instants the statistics answer reported for it, so the exports wait for
/// the answer to the filters chosen (`current`): the figures of the last
/// period, shown while newer ones load or after their request failed, must
/// not give an export a period nobody chose, nor one that is not the
/// period on screen.
#[component]
pub fn Exports(
    filters: Filters,
    stats: Memo<Option<(String, Stats)>>,
    current: Signal<bool>,
) -> impl IntoView {
    let ctx = use_app();
    let current = move || current.get();
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
            if !current() {
                return;
            }
            let query = if path.contains("/cases.") {
                let answer = stats.get_untracked();
                case_query(&filters, answer.as_ref().map(|(_, s)| s), ctx.l())
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
                <button class="btn" data-testid="export-cases-xlsx" disabled=move || busy() || !current()
                    on:click=start("/api/v1/exports/cases.xlsx", "cases.xlsx")>{t("工单 Excel", "Cases (Excel)")}</button>
                <button class="btn" data-testid="export-cases-csv" disabled=move || busy() || !current()
                    on:click=start("/api/v1/exports/cases.csv", "cases.csv")>{t("工单 CSV", "Cases (CSV)")}</button>
                <button class="btn" data-testid="export-stats-xlsx" disabled=move || busy() || !current()
                    on:click=start("/api/v1/exports/stats.xlsx", "stats.xlsx")>{t("统计表 Excel", "Statistics (Excel)")}</button>
                <button class="btn" data-testid="export-stats-csv" disabled=move || busy() || !current()
                    on:click=start("/api/v1/exports/stats.csv", "stats.csv")>{t("统计表 CSV", "Statistics (CSV)")}</button>
            </div>
            // Voided duplicates are in the case list, marked, but not in the
            // figures: one pivoting the sheet is told why it counts more.
            <p class="hint">{t(
                "工单导出包含已作废的重复工单（状态列为“已作废”），统计数字不计入它们；按表汇总时请先筛除。",
                "The case export includes voided duplicates (state “Voided”), which the figures leave out; filter them out before summing the sheet.",
            )}</p>
            <p class="hint" data-testid="export-cases-waiting">{move || (!current()).then(|| t(
                "导出按统计结果的期间进行，当前条件的统计结果尚未取得（正在计算，或未能取得：见上方）。",
                "The exports take the statistics' period, and the statistics of these filters have not come (still computing, or refused: see above).",
            )())}</p>
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
