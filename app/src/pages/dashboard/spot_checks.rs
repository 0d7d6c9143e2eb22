//! The dashboard's quarterly spot-check: drawing a sample and the call
//! lists drawn so far.

use super::Filters;
use crate::api;
use crate::api::reports::{self, DrawRequest, SpotCheck, Stats};
use crate::state::{Screen, now, use_app};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::case::CaseKind;
use shared::id::{CaseId, PropertyId};
use shared::lang::Lang;
use shared::report::Period;

/// The quarterly spot-check (抽查回访): draw a property's sample of a
/// quarter (management roles and head-office quality,
/// `shared::role::Role::draws_spot_checks`), and the call lists drawn so far. The calls
/// themselves are recorded on each case as a follow-up marked 抽查回访.
/// The list shows the draws the figures above it count: of the
/// dashboard's property (its id, or every one for none) whose quarter
/// overlaps the period of the figures shown (`stats`), none when they are
/// of another kind than repairs; a draw for another property, a quarter
/// outside the period or while another kind is shown moves the dashboard
/// to it. Read again when `retry`
/// moves (the network returned).
#[component]
pub fn SpotChecks(
    filters: Filters,
    stats: Memo<Option<(String, Stats)>>,
    retry: RwSignal<u32>,
) -> impl IntoView {
    let ctx = use_app();
    let shown = filters.property;
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    // The period and kind of the figures on screen.
    let window = Memo::new(move |_| {
        stats.with(|s| s.as_ref().map(|(_, s)| ((s.start, s.end), s.kind.clone())))
    });
    let today = now().with_timezone(&tz).date_naive();
    // The last quarter that has ended: the one a manager draws.
    let (year, quarter) = {
        use chrono::Datelike;
        let q = (today.month() - 1) / 3 + 1;
        if q == 1 {
            (today.year() - 1, 4)
        } else {
            (today.year(), q - 1)
        }
    };
    let property = RwSignal::new(
        ctx.config
            .with_untracked(|c| c.properties.first().map(|p| p.id.to_string()))
            .unwrap_or_default(),
    );
    // The dashboard's property is the one drawn for, so that the draw is
    // listed below it.
    Effect::new(move |_| {
        let of = shown.get();
        if !of.is_empty() {
            property.set(of);
        }
    });
    let year = RwSignal::new(year.to_string());
    let quarter = RwSignal::new(quarter.to_string());
    let draws = RwSignal::new(Vec::<SpotCheck>::new());
    let message = RwSignal::new(None::<String>);
    // The samples drawn so far, read again after each draw. A plain task,
    // not an action: the draw's own action calls it after the component
    // may have gone, and an action must not be dispatched once disposed
    // (signals are simply not written then).
    // Each read is numbered: the answer of one the property changed after
    // is not shown over the newer one's.
    let asked = StoredValue::new(0u32);
    let reload = move || {
        let Some(token) = ctx.token() else {
            return;
        };
        let Some(of) = shown.try_get_untracked() else {
            return;
        };
        let Some(lang) = ctx.lang.try_get_untracked() else {
            return;
        };
        let Some(Some((period, kind))) = window.try_get_untracked() else {
            return;
        };
        let Some(n) = asked.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        // Spot-checks call repairs back: figures of another kind count none.
        if kind.is_some_and(|k| k != CaseKind::Repair.code()) {
            draws.set(Vec::new());
            message.set(None);
            return;
        }
        spawn_local(async move {
            let answer = reports::spot_checks(&token, &of, period, lang).await;
            if asked.try_get_value() != Some(n) {
                return;
            }
            match answer {
                Ok(list) => {
                    draws.set(list);
                    message.set(None);
                }
                Err(e) => message.set(Some(e.message(ctx.l()))),
            }
        });
    };
    // The places are named in the screen's language: read again when it
    // is switched.
    Effect::new(move |_| {
        shown.track();
        retry.track();
        ctx.lang.track();
        window.track();
        reload();
    });
    let may_draw = move || ctx.role().is_some_and(|r| r.draws_spot_checks());
    let draw_sample = Action::new_local(move |draw: &DrawRequest| {
        let draw = draw.clone();
        async move {
            let Some(token) = ctx.token() else {
                return;
            };
            match reports::draw_spot_check(&token, &draw).await {
                Ok(_) => {
                    message.set(None);
                    // Drawn for another property than the dashboard's, or
                    // a quarter outside its period: the dashboard moves to
                    // it, or its call list would be listed nowhere (and a
                    // second tap told it is drawn).
                    let drawn = draw.property.to_string();
                    let mut moved = false;
                    if let Some(of) = shown.try_get_untracked()
                        && !of.is_empty()
                        && of != drawn
                    {
                        shown.set(drawn);
                        moved = true;
                    }
                    let quarter = Period::quarter(draw.year, draw.quarter).ok();
                    let outside = match (quarter, window.try_get_untracked().flatten()) {
                        (Some(q), Some(((start, end), _))) => {
                            q.end(&tz) <= start || q.start(&tz) >= end
                        }
                        _ => false,
                    };
                    // Figures of another kind list no draw: to repairs.
                    if let Some(kind) = filters.kind.try_get_untracked()
                        && !kind.is_empty()
                        && kind != CaseKind::Repair.code()
                    {
                        filters.kind.set(CaseKind::Repair.code().into());
                        moved = true;
                    }
                    if let Some(q) = quarter.filter(|_| outside) {
                        filters.period.set("quarter".into());
                        filters.from.set(q.first.format("%Y-%m-%d").to_string());
                        moved = true;
                    }
                    if !moved {
                        reload();
                    }
                }
                Err(e) => message.set(Some(e.message(ctx.l()))),
            }
        }
    });
    let draw = move |_| {
        // One draw at a time: a second tap would be told the quarter is
        // drawn already, over the first's result.
        if ctx.token().is_none() || draw_sample.pending().get_untracked() {
            return;
        }
        // The choice is a property's id; with no property to choose there
        // is none, which the server would refuse as malformed: the same
        // words, without asking.
        let Ok(property) = property.get_untracked().parse::<PropertyId>() else {
            message.set(Some(api::code_words("request.invalid_json", ctx.l())));
            return;
        };
        draw_sample.dispatch_local(DrawRequest {
            property,
            year: shared::validation::parse_count(&year.get_untracked())
                .and_then(|y| i32::try_from(y).ok())
                .unwrap_or_default(),
            quarter: quarter.get_untracked().parse::<u32>().unwrap_or_default(),
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let open = move |id: CaseId| ctx.screen.set(Screen::Detail(id));
    view! {
        <div class="card spot-checks" data-testid="spot-checks">
            <h3>{move || {
                let share = ctx.config.with(|c| c.settings.spot_check_percent);
                match ctx.lang.get() {
                    Lang::ZhCn => format!("季度抽查回访（已完成报修的 {share}% 随机样本）"),
                    Lang::En => format!("Quarterly spot-check (random {share}% of completed repairs)"),
                }
            }}</h3>
            <Show when=may_draw>
                <div class="filters">
                    <select data-testid="spot-property" aria-label=t("抽查项目", "Property to draw")
                        prop:value=move || property.get()
                        on:change=move |ev| property.set(event_target_value(&ev))>
                        {move || ctx.config.with(|c| c.properties.clone()).into_iter().map(|p| {
                            let id = p.id.to_string();
                            let selected = id == property.get_untracked();
                            view! { <option value=id selected=selected>{p.name}</option> }
                        }).collect_view()}
                    </select>
                    <input type="text" inputmode="numeric" class="short" data-testid="spot-year"
                        aria-label=t("年份", "Year") placeholder=t("年份", "Year") prop:value=move || year.get()
                        on:input=move |ev| year.set(event_target_value(&ev))/>
                    <select data-testid="spot-quarter" aria-label=t("季度", "Quarter")
                        on:change=move |ev| quarter.set(event_target_value(&ev))>
                        {[("第一季度", "Q1"), ("第二季度", "Q2"), ("第三季度", "Q3"), ("第四季度", "Q4")]
                            .into_iter()
                            .enumerate()
                            .map(|(i, (zh, en))| {
                                let v = (i + 1).to_string();
                                let selected = v == quarter.get_untracked();
                                view! { <option value=v selected=selected>{t(zh, en)}</option> }
                            })
                            .collect_view()}
                    </select>
                    <button class="btn primary" data-testid="spot-draw" disabled=move || draw_sample.pending().get() on:click=draw>{t("抽取样本", "Draw the sample")}</button>
                </div>
            </Show>
            <p class="error" role="alert" data-testid="spot-error">{move || message.get()}</p>
            // The server lists a few hundred draws at most (a year of a
            // large group's); the figures above count every one.
            {move || {
                let shown = draws.with(Vec::len);
                let total = stats.with(|s| s.as_ref().map(|(_, s)| s.spot_checks.draws));
                total
                    .filter(|_| shown > 0)
                    .and_then(|total| super::first_of(shown, total, ctx.lang.get(), "spot-checks-more"))
            }}
            {move || draws.get().into_iter().map(|d| {
                let items = d.items.into_iter().map(|i| {
                    let id = i.case_id;
                    view! {
                        <tr data-testid="spot-item">
                            <td>{i.position}</td>
                            <td><button class="link" on:click=move |_| open(id)>{i.reg_no}</button></td>
                            <td>{i.place}</td><td>{i.complainant_name}</td><td>{i.phone.unwrap_or_default()}</td>
                            <td>{move || i.satisfaction.map(|n| crate::i18n::satisfaction(n, ctx.lang.get())).unwrap_or_default()}</td>
                            <td>{i.comment.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <div class="spot-draw" data-testid="spot-draw-result">
                        <h4>{move || match ctx.lang.get() {
                            Lang::ZhCn => format!("{} {}年第{}季度 · 随机种子 {} · 抽取 {}/{}（{}%）", d.property_name,
                                d.year, d.quarter, d.seed, d.sampled, d.candidates, d.percent),
                            Lang::En => format!("{} {} Q{} · seed {} · {} of {} drawn ({}%)", d.property_name,
                                d.year, d.quarter, d.seed, d.sampled, d.candidates, d.percent),
                        }}</h4>
                        <table class="stats-table">
                            <thead><tr>
                                <th>{t("序号", "No.")}</th><th>{t("登记号", "Case")}</th><th>{t("房号", "Unit")}</th>
                                <th>{t("报修人", "Reported by")}</th><th>{t("电话", "Phone")}</th>
                                <th>{t("满意度", "Satisfaction")}</th><th>{t("回访意见", "Comment")}</th>
                            </tr></thead>
                            <tbody>{items}</tbody>
                        </table>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}
