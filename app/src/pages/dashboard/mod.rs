//! The head-office dashboard: every statistic of docs/domain.md for a period,
//! property and kind, computed by the server in SQL over the synced cases
//! (`GET /api/v1/stats`), with missed targets marked, trends drawn as SVG,
//! the overdue list linking to the cases, the quarterly spot-check and the
//! CSV/XLSX exports with progress.
//!
//! Online only: the figures cover every device's work, which only the
//! server has. The server enforces the role and the property scope; the app
//! only hides the screen from roles that would be refused. The answer is a
//! `shared::report::Stats`: the screen only displays it, it computes
//! nothing.
//!
//! The exports are in `exports`, the spot-check in `spot_checks`.

mod exports;
mod spot_checks;

use crate::api::ApiError;
use crate::api::reports::{self, Stats};
use crate::i18n;
use crate::state::{Screen, now, use_app};
use exports::Exports;
use leptos::prelude::*;
use leptos::reactive::actions::ActionAbortHandle;
use shared::case::{CaseKind, CaseState};
use shared::id::CaseId;
use shared::lang::Lang;
use shared::report::{Bucket, CaseRef, PeriodKind};
use spot_checks::SpotChecks;

/// The dashboard's filters, as the query string wants them. Kept in the
/// app's state while another screen shows: quality opening one overdue
/// case after another comes back to the same figures each time.
#[derive(Clone, Copy)]
pub struct Filters {
    period: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    property: RwSignal<String>,
    kind: RwSignal<String>,
}

impl Default for Filters {
    fn default() -> Filters {
        Filters::new()
    }
}

impl Filters {
    /// This month, every property and kind (the dates filled in when the
    /// dashboard first shows, in the company's timezone).
    pub fn new() -> Filters {
        Filters {
            period: RwSignal::new("month".into()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            property: RwSignal::new(String::new()),
            kind: RwSignal::new(String::new()),
        }
    }

    /// Back to [`Filters::new`] (another user's dashboard).
    pub fn clear(&self) {
        self.period.set("month".into());
        for text in [self.from, self.to, self.property, self.kind] {
            text.set(String::new());
        }
    }

    /// `period=…&from=…` for the stats and export endpoints.
    fn query(&self, lang: Lang) -> String {
        let mut q = format!("period={}", self.period.get());
        let from = self.from.get();
        if !from.is_empty() {
            q.push_str(&format!("&from={from}"));
        }
        if self.period.get() == "custom" {
            q.push_str(&format!("&to={}", self.to.get()));
        }
        for (key, value) in [("property", self.property.get()), ("kind", self.kind.get())] {
            if !value.is_empty() {
                q.push_str(&format!("&{key}={value}"));
            }
        }
        q.push_str(match lang {
            Lang::ZhCn => "&lang=zh-CN",
            Lang::En => "&lang=en",
        });
        q
    }
}

/// The dashboard screen.
#[component]
pub fn Dashboard() -> impl IntoView {
    let ctx = use_app();
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    let today = now().with_timezone(&tz).format("%Y-%m-%d").to_string();
    let filters = ctx.dashboard;
    for day in [filters.from, filters.to] {
        if day.get_untracked().is_empty() {
            day.set(today.clone());
        }
    }
    let fetch = Action::new_local(move |query: &String| {
        let query = query.clone();
        async move {
            let token = ctx.token().ok_or(ApiError::Unauthorized {
                code: "auth.no_session".into(),
            })?;
            // The answer keeps the filters it is for: the case export
            // takes its period from it (`exports.rs`).
            reports::stats(&token, &query)
                .await
                .map(|stats| (query, stats))
        }
    });
    // The newest filters win: a request still running when the filters
    // change again is abandoned, so its answer never shows.
    let running = StoredValue::new(None::<ActionAbortHandle>);
    // Asked again when the network returns, or when told to: figures
    // refused offline are otherwise asked for only when a filter changes.
    let retry = RwSignal::new(0u32);
    let online = window_event_listener(leptos::ev::online, move |_| {
        retry.update(|n| *n += 1);
    });
    on_cleanup(move || online.remove());
    Effect::new(move |_| {
        retry.track();
        let query = filters.query(ctx.lang.get());
        if ctx.token().is_none() {
            return;
        }
        if let Some(older) = running.try_update_value(Option::take).flatten() {
            older.abort();
        }
        running.set_value(Some(fetch.dispatch_local(query)));
    });
    // The last figures stay on screen while newer ones load, and when a
    // newer request fails (its error shows above them).
    let stats = Memo::new(move |last: Option<&Option<(String, Stats)>>| {
        fetch.value().with(|v| match v {
            Some(Ok(stats)) => Some(stats.clone()),
            _ => last.cloned().flatten(),
        })
    });
    let error = move || {
        fetch.value().with(|v| {
            v.as_ref()?
                .as_ref()
                .err()
                .map(|e| e.message(ctx.lang.get()))
        })
    };
    let loading = move || fetch.pending().get();
    // Whether the figures on screen answer the filters chosen: while newer
    // ones load, or after they were refused, the last ones stay, dimmed.
    let current = Signal::derive(move || {
        let query = filters.query(ctx.lang.get());
        stats.with(|s| s.as_ref().is_some_and(|(answered, _)| *answered == query))
    });

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let properties = move || ctx.config.with(|c| c.properties.clone());
    view! {
        <section class="dashboard" data-testid="dashboard">
            <div class="card filters">
                <label class="field">
                    <span>{t("统计周期", "Period")}</span>
                    <select data-testid="stats-period" on:change=move |ev| filters.period.set(event_target_value(&ev))>
                        {PeriodKind::ALL
                            .into_iter()
                            .map(|k| {
                                let v = k.code();
                                view! { <option value=v selected=move || filters.period.get() == v>{move || k.label(ctx.lang.get())}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{move || if filters.period.get() == "custom" { ctx.lang.get().pick("开始日期", "From") } else { ctx.lang.get().pick("所在日期", "Any day in it") }}</span>
                    <input type="date" data-testid="stats-from" prop:value=move || filters.from.get()
                        on:change=move |ev| filters.from.set(event_target_value(&ev))/>
                </label>
                <Show when=move || filters.period.get() == "custom">
                    <label class="field">
                        <span>{t("结束日期", "To")}</span>
                        <input type="date" data-testid="stats-to" prop:value=move || filters.to.get()
                            on:change=move |ev| filters.to.set(event_target_value(&ev))/>
                    </label>
                </Show>
                <label class="field">
                    <span>{t("项目", "Property")}</span>
                    <select data-testid="stats-property" on:change=move |ev| filters.property.set(event_target_value(&ev))>
                        <option value="">{t("全部项目", "All properties")}</option>
                        // Selected as the filter says: a spot-check drawn for
                        // another property moves the dashboard to it.
                        {move || properties().into_iter().map(|p| {
                            let id = p.id.to_string();
                            let chosen = id.clone();
                            view! { <option value=id selected=move || filters.property.get() == chosen>{p.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{t("类型", "Kind")}</span>
                    <select data-testid="stats-kind" on:change=move |ev| filters.kind.set(event_target_value(&ev))>
                        <option value="">{t("全部类型", "All kinds")}</option>
                        // Selected as the filter says: the screen comes back
                        // with it, and a spot-check drawn moves it to repairs.
                        {move || CaseKind::ALL.iter().map(|k| {
                            let code = k.code();
                            view! { <option value=code selected=move || filters.kind.get() == code>{k.label(ctx.lang.get())}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <p class="hint" data-testid="stats-status">
                {move || loading().then(|| ctx.lang.get().pick("正在计算…", "Computing…"))}
            </p>
            <p class="error" role="alert" data-testid="stats-error">{error}
                <Show when=move || error().is_some()>
                    " "<button class="btn small" data-testid="stats-retry"
                        on:click=move |_| retry.update(|n| *n += 1)>{t("重试", "Try again")}</button>
                </Show>
            </p>
            <div class="figures-shown" class:stale=move || !current.get()
                data-testid="stats-figures" data-current=move || current.get().to_string()>
                {move || stats.get().map(|(_, s)| view! { <Figures stats=s/> })}
            </div>
            <Exports filters=filters stats=stats current=current/>
            <SpotChecks filters=filters stats=stats retry=retry/>
        </section>
    }
}

/// A percentage, or "—" when there is nothing to divide.
fn percent(p: Option<f64>) -> String {
    shared::report::percent_text(p)
}

/// Hours for a person: `3.5 小时` / `3.5 h`, or "—" when there are none.
fn hours(h: Option<f64>, l: Lang) -> String {
    h.map_or_else(
        || "—".into(),
        |h| format!("{h:.1}{}", l.pick(" 小时", " h")),
    )
}

/// A headline figure; `missed` marks a target that is not met.
fn kpi(
    label: impl Into<String>,
    value: String,
    missed: bool,
    testid: &'static str,
) -> impl IntoView {
    let label = label.into();
    // Said in words too: red alone is no signal to everyone.
    let flag = missed.then(|| {
        use_app()
            .lang
            .get_untracked()
            .pick("未达标", "target missed")
    });
    view! {
        <div class="kpi" class:missed=missed data-testid=testid data-missed=missed.to_string()>
            <span class="kpi-value">{value}</span>
            <span class="kpi-label">{label}{flag.map(|f| view! { " · " <strong>{f}</strong> })}</span>
        </div>
    }
}

/// A chart's counts as a screen reader says them (`维修服务 12; 保洁 3`):
/// a chart is one image to it, and its drawn labels are not read.
fn spoken(buckets: &[Bucket]) -> String {
    buckets
        .iter()
        .map(|b| format!("{} {}", b.label, b.count))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Horizontal bars of a count table, drawn as SVG.
fn bars(buckets: &[Bucket], testid: &'static str) -> impl IntoView + use<> {
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let row_h = 26;
    let height = (buckets.len().max(1) * row_h) as u32;
    let items = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let n = b.count;
            let y = (i * row_h) as u32;
            let width = 1 + (n * 300 / max) as u32;
            let label = b.label.clone();
            view! {
                <g data-testid="bar">
                    <text x="0" y=y + 17 class="bar-label">{label}</text>
                    <rect x="130" y=y + 5 width=width height="16" rx="3" class="bar"></rect>
                    <text x=136 + width y=y + 17 class="bar-value">{n}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart bars" data-testid=testid viewBox=format!("0 0 480 {height}") role="img"
            aria-label=spoken(buckets)>{items}</svg>
    }
}

/// Monthly counts as columns, drawn as SVG: the trend over the period.
fn columns(buckets: &[Bucket]) -> impl IntoView + use<> {
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let w = 40u32;
    // At least a card's width, so one month is a column, not a poster.
    let width = ((buckets.len().max(1) as u32) * w).max(480);
    let items = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let n = b.count;
            let h = 1 + (n * 120 / max) as u32;
            let x = i as u32 * w;
            // "2025-03" is wider than a column: the month goes under each
            // column, the year under the first and under each January, so
            // no label runs into its neighbour or off the chart.
            let (year, month) = b.label.split_once('-').unwrap_or(("", &b.label));
            let year = (i == 0 || month == "01").then(|| year.to_string());
            let month = month.to_string();
            view! {
                <g data-testid="column" data-month=b.key.clone()>
                    <title>{format!("{} · {n}", b.label)}</title>
                    <rect x=x + 8 y=140 - h width=w - 16 height=h rx="3" class="bar"></rect>
                    <text x=x + w / 2 y=136 - h class="bar-value" text-anchor="middle">{n}</text>
                    <text x=x + w / 2 y="156" class="bar-label" text-anchor="middle">{month}</text>
                    {year.map(|y| view! {
                        <text x=x + w / 2 y="172" class="bar-label year" text-anchor="middle">{y}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart columns" data-testid="chart-month" viewBox=format!("0 0 {width} 178") role="img"
            aria-label=spoken(buckets)>{items}</svg>
    }
}

/// A titled card.
fn section(title: &'static str, body: impl IntoView + 'static) -> impl IntoView {
    view! {
        <div class="card stats-section">
            <h3>{title}</h3>
            {body}
        </div>
    }
}

/// Says that a list shows the first `shown` of `total`, when it does.
fn first_of(shown: usize, total: u64, l: Lang, testid: &'static str) -> Option<impl IntoView> {
    (total > shown as u64).then(|| {
        let text = match l {
            Lang::ZhCn => format!("共 {total} 个，列出前 {shown} 个"),
            Lang::En => format!("{total} in all, the first {shown} listed"),
        };
        view! { <p class="hint" data-testid=testid>{text}</p> }
    })
}

/// Every figure of one answer of `/api/v1/stats`.
#[component]
fn Figures(stats: Stats) -> impl IntoView {
    let ctx = use_app();
    let l = ctx.lang.get_untracked();
    let open = move |id: CaseId| ctx.screen.set(Screen::Detail(id));
    let s = &stats;
    let period = match l {
        Lang::ZhCn => format!("统计期间：{} 至 {}", s.period.first, s.period.last),
        Lang::En => format!("Period: {} to {}", s.period.first, s.period.last),
    };
    let follow_up_missed = s.follow_up.missed;
    // The company's target, which the miss is judged against.
    let follow_up_label = match l {
        Lang::ZhCn => format!("回访率（目标 {}%）", s.follow_up.target_percent),
        Lang::En => format!("Follow-up (target {}%)", s.follow_up.target_percent),
    };
    let missed = s
        .missed_targets
        .iter()
        .map(|m| view! { <li data-testid="missed-target">{m.message.clone()}</li> })
        .collect_view();
    let on_time = s
        .on_time
        .iter()
        .map(|c| {
            view! {
                <tr data-testid="on-time-row">
                    <td>{c.label.clone()}</td><td>{c.met}</td><td>{c.on_time}</td>
                    <td>{c.late}</td><td>{c.overdue}</td><td>{c.running}</td>
                    <td data-testid="on-time-unknown">{c.unknown}</td><td>{percent(c.rate)}</td>
                </tr>
            }
        })
        .collect_view();
    let properties = s
        .properties
        .iter()
        .map(|p| {
            let valid_missed = p.valid_missed;
            // The target is yearly, so the rate it is judged by (and the
            // banner quotes) is the annualized one; the period's own rate
            // is shown beside it, labelled.
            let rate = |bp: Option<f64>| bp.map_or_else(|| "—".into(), |bp| format!("{:.2}%", bp / 100.0));
            let (own, annualized) = p.valid_rates_shown(&s.period);
            let bp = rate(annualized);
            let target = format!(
                "{} <{:.2}% · {} {}",
                l.pick("目标", "target"),
                f64::from(p.valid_target_bp) / 100.0,
                l.pick("本期", "this period"),
                rate(own)
            );
            let fu_missed = p.follow_up.missed;
            view! {
                <tr data-testid="property-row">
                    <td>{p.name.clone()}</td>
                    <td>{p.households}</td>
                    <td>{p.cases}</td>
                    <td>{p.valid_complaints}</td>
                    <td data-testid="unassessed-complaints" data-count=p.unassessed_complaints.to_string()>{p.unassessed_complaints}</td>
                    <td class:missed=valid_missed data-testid="valid-rate" data-missed=valid_missed.to_string()>{bp}" "<small>{target}</small></td>
                    <td class:missed=fu_missed>{percent(p.follow_up.rate)}
                        {fu_missed.then(|| view! { " " <small>{l.pick("未达标", "missed")}</small> })}</td>
                    <td>{percent(p.on_time_rate)}</td>
                    <td>{percent(p.satisfied_rate)}</td>
                    <td>{p.overdue_open}</td>
                </tr>
            }
        })
        .collect_view();
    let departments = s
        .departments
        .iter()
        .map(|d| {
            view! {
                <tr data-testid="department-row">
                    <td>{d.department.clone()}</td><td>{d.cases}</td><td>{d.resolved}</td>
                    <td>{hours(d.avg_handling_hours, l)}</td><td>{percent(d.clocks.rate)}</td>
                </tr>
            }
        })
        .collect_view();
    let case_links = move |cases: &[CaseRef]| {
        cases
            .iter()
            .map(|c| {
                let id = c.id;
                view! { <button class="link" on:click=move |_| open(id)>{c.reg_no.clone()}</button>" " }
            })
            .collect_view()
    };
    let repeat_units = s
        .repeat_units
        .iter()
        .map(|u| view! { <tr data-testid="repeat-unit"><td>{u.label.clone()}</td><td>{u.count}</td><td>{case_links(&u.cases)}</td></tr> })
        .collect_view();
    let repeat_people = s
        .repeat_complainants
        .iter()
        .map(|u| view! { <tr data-testid="repeat-complainant"><td>{u.name.clone()}</td><td>{u.phone.clone()}</td><td>{u.count}</td><td>{case_links(&u.cases)}</td></tr> })
        .collect_view();
    let respondents = s
        .respondents
        .iter()
        .map(|r| {
            view! {
                <tr data-testid="respondent-row">
                    <td>{r.department.clone()}</td><td>{r.person.clone()}</td>
                    <td>{r.cases}</td><td>{r.valid_complaints}</td>
                </tr>
            }
        })
        .collect_view();
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    let (major_shown, major_total) = (s.major_unreported.items.len(), s.major_unreported.total);
    let (overdue_shown, overdue_total) = (s.overdue.items.len(), s.overdue.total);
    let major = s
        .major_unreported
        .items
        .iter()
        .map(|o| {
            let id = o.id;
            let due = i18n::fmt_time(o.next_due_at, tz);
            view! {
                <tr data-testid="major-unreported-row">
                    <td><button class="link" on:click=move |_| open(id)>{o.reg_no.clone()}</button></td>
                    <td>{o.property_name.clone()}</td><td>{due}</td>
                </tr>
            }
        })
        .collect_view();
    let overdue = s
        .overdue
        .items
        .iter()
        .map(|o| {
            let id = o.id;
            let due = i18n::fmt_time(o.next_due_at, tz);
            // Codes are for machines; the sheet and the screen say words.
            let kind = CaseKind::from_code(&o.kind).map_or_else(|| o.kind.clone(), |k| k.label(l).into());
            let state = CaseState::from_code(&o.state).map_or_else(|| o.state.clone(), |s| s.label(l).into());
            view! {
                <tr data-testid="overdue-row">
                    <td><button class="link" data-testid="overdue-link" on:click=move |_| open(id)>{o.reg_no.clone()}</button></td>
                    <td>{o.property_name.clone()}</td><td>{kind}</td><td>{state}</td>
                    <td>{o.department.clone().unwrap_or_default()}</td><td>{due}</td><td>{hours(Some(o.overdue_hours), l)}</td>
                </tr>
            }
        })
        .collect_view();
    let satisfaction: Vec<Bucket> = s
        .satisfaction
        .distribution
        .iter()
        .map(|d| Bucket {
            key: d.score.to_string(),
            label: format!("{} {}", d.score, i18n::satisfaction(d.score, l)),
            count: d.count,
        })
        .collect();
    let spot = &s.spot_checks;
    let th = |zh: &'static str, en: &'static str| view! { <th>{l.pick(zh, en)}</th> };
    // Left out of every rate, and said so: the figures are missing them
    // until the year's holidays are loaded.
    let unknown = s.on_time_overall.unknown;
    let unknown_clocks = (unknown > 0).then(|| {
        let text = match l {
            Lang::ZhCn => format!(
                "有 {unknown} 个时限的到期日落在尚未导入节假日安排的年份，无法判定是否按时，未计入按时率和回访率。请系统管理员在 管理 → 节假日 中导入国务院办公厅公布的安排。"
            ),
            Lang::En => format!(
                "{unknown} clocks fall due in a year whose holidays are not loaded: they can be judged neither on time nor late and are left out of the on-time and follow-up rates. An administrator loads the State Council's schedule in Administration → Holidays."
            ),
        };
        view! { <p class="banner warn" data-testid="stats-unknown-clocks">{text}</p> }
    });

    view! {
        <div class="figures" data-testid="stats">
            <p class="hint" data-testid="stats-period-shown">{period}</p>
            <div class="kpis">
                {kpi(l.pick("工单总数", "Cases"), s.total.to_string(), false, "kpi-total")}
                // Watched: a void takes a case out of every other figure.
                {kpi(l.pick("已作废（不计入统计）", "Voided (not counted)"), s.voided.to_string(), false, "kpi-voided")}
                {kpi(l.pick("按时完成率", "On time"), percent(s.on_time_overall.rate), false, "kpi-on-time")}
                {kpi(l.pick("平均处理时长", "Average handling"), hours(s.handling.avg_hours, l), false, "kpi-avg")}
                {kpi(l.pick("90% 处理时长", "90th percentile"), hours(s.handling.p90_hours, l), false, "kpi-p90")}
                {kpi(l.pick("满意率", "Satisfied"), percent(s.satisfaction.rate), false, "kpi-satisfied")}
                {kpi(follow_up_label, percent(s.follow_up.rate), follow_up_missed, "kpi-follow-up")}
                {kpi(l.pick("重开率", "Reopened"), percent(s.reopen.rate), false, "kpi-reopen")}
                {kpi(l.pick("超时未办", "Overdue now"), s.overdue.total.to_string(), s.overdue.total > 0, "kpi-overdue")}
                {kpi(l.pick("重大工单未上报", "Major cases not reported"), s.major_unreported.total.to_string(), s.major_unreported.total > 0, "kpi-major-unreported")}
            </div>
            <ul class="missed-targets">{missed}</ul>
            {unknown_clocks}
            <div class="stats-grid">
                {section(l.pick("按月趋势", "By month"), columns(&s.by_month))}
                {section(l.pick("按类型", "By kind"), bars(&s.by_kind, "chart-kind"))}
                {section(l.pick("按类别", "By category"), bars(&s.by_category, "chart-category"))}
                {section(l.pick("按项目", "By property"), bars(&s.by_property, "chart-property"))}
                {section(l.pick("按楼栋", "By building"), bars(&s.by_building, "chart-building"))}
                {section(l.pick("按渠道", "By channel"), bars(&s.by_channel, "chart-channel"))}
                {section(l.pick("按严重程度", "By severity"), bars(&s.by_severity, "chart-severity"))}
                {section(l.pick("满意度分布", "Satisfaction"), bars(&satisfaction, "chart-satisfaction"))}
            </div>
            {section(l.pick("各时限按时率", "On time by clock"), view! {
                <table class="stats-table"><thead><tr>
                    {th("时限", "Clock")}{th("已完成", "Met")}{th("按时", "On time")}{th("超时完成", "Late")}
                    {th("超时未完成", "Overdue")}{th("进行中", "Running")}{th("时限未定", "Due unknown")}{th("按时率", "Rate")}
                </tr></thead><tbody>{on_time}</tbody></table>
            })}
            {section(l.pick("各项目", "Properties"), view! {
                <table class="stats-table" data-testid="properties-table"><thead><tr>
                    {th("项目", "Property")}{th("户数", "Households")}{th("工单", "Cases")}{th("有效投诉", "Valid complaints")}
                    {th("未评估", "Not assessed")}{th("有效投诉率（年化）", "Valid rate (annualized)")}{th("回访率", "Follow-up")}{th("按时率", "On time")}{th("满意率", "Satisfied")}{th("超时", "Overdue")}
                </tr></thead><tbody>{properties}</tbody></table>
            })}
            {section(l.pick("部门绩效", "Departments"), view! {
                <table class="stats-table"><thead><tr>
                    {th("部门", "Department")}{th("工单", "Cases")}{th("已解决", "Resolved")}{th("平均处理时长", "Average handling")}{th("按时率", "On time")}
                </tr></thead><tbody>{departments}</tbody></table>
            })}
            {section(l.pick("被投诉人/部门（考核）", "Complained about (appraisal)"), view! {
                <table class="stats-table" data-testid="respondents-table"><thead><tr>
                    {th("被投诉部门", "Department")}{th("被投诉人", "Person")}{th("工单", "Cases")}{th("有效投诉", "Valid complaints")}
                </tr></thead><tbody>{respondents}</tbody></table>
            })}
            {section(l.pick("重大工单未上报", "Major cases not reported"), view! {
                {first_of(major_shown, major_total, l, "major-unreported-more")}
                <table class="stats-table" data-testid="major-unreported-table"><thead><tr>
                    {th("登记号", "No.")}{th("项目", "Property")}{th("应上报时间", "Report due")}
                </tr></thead><tbody>{major}</tbody></table>
            })}
            {section(l.pick("重复报事房号", "Repeat units"), view! {
                {first_of(s.repeat_units.len(), s.repeat_units_total, l, "repeat-units-more")}
                <table class="stats-table"><thead><tr>
                    {th("房号", "Unit")}{th("次数", "Times")}{th("工单", "Cases")}
                </tr></thead><tbody>{repeat_units}</tbody></table>
            })}
            {section(l.pick("重复报事人", "Repeat complainants"), view! {
                {first_of(s.repeat_complainants.len(), s.repeat_complainants_total, l, "repeat-complainants-more")}
                <table class="stats-table"><thead><tr>
                    {th("姓名", "Name")}{th("电话", "Phone")}{th("次数", "Times")}{th("工单", "Cases")}
                </tr></thead><tbody>{repeat_people}</tbody></table>
            })}
            {section(l.pick("超时工单", "Overdue cases"), view! {
                {first_of(overdue_shown, overdue_total, l, "overdue-more")}
                <table class="stats-table" data-testid="overdue-table"><thead><tr>
                    {th("登记号", "No.")}{th("项目", "Property")}{th("类型", "Kind")}{th("状态", "State")}
                    {th("责任部门", "Department")}{th("时限", "Due")}{th("超时", "Overdue by")}
                </tr></thead><tbody>{overdue}</tbody></table>
            })}
            {section(l.pick("抽查回访", "Spot-checks"), view! {
                <p data-testid="spot-check-counts">{match l {
                    Lang::ZhCn => format!("抽取 {} 次，样本 {} 件，已回访 {} 件（{}），满意 {} 件（{}）",
                        spot.draws, spot.sampled, spot.called, percent(spot.called_rate),
                        spot.satisfied, percent(spot.satisfied_rate)),
                    Lang::En => format!("{} draws, {} sampled, {} called ({}), {} satisfied ({})",
                        spot.draws, spot.sampled, spot.called, percent(spot.called_rate),
                        spot.satisfied, percent(spot.satisfied_rate)),
                }}</p>
            })}
        </div>
    }
}
