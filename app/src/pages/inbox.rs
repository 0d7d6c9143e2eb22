//! 我的待办: the cases that wait for the logged-in user, each with why, and
//! the switch for reminders. Works offline: the items are
//! `AppCtx::inbox`, computed from the cases in memory.

use crate::components::deadline_badge;
use crate::i18n;
use crate::reminder;
use crate::state::{Screen, use_app};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::case::Case;
use shared::compensation::format_yuan;
use shared::inbox::{InboxItem, Reason};
use shared::lang::Lang;
use shared::role::Role;
use std::sync::Arc;
use web_sys::NotificationPermission;

/// Items rendered per step of "more": a head-office user may have hundreds.
const PAGE: usize = 100;

/// A reason in words, for the list and for the notification.
pub fn reason_text(reason: &Reason, role: Role, l: Lang, tz: Tz) -> String {
    let label = reason.kind().label(l);
    match reason {
        Reason::Assigned | Reason::Reopened | Reason::Major => label.to_string(),
        Reason::ResponderGone { still_here: false } => match l {
            Lang::ZhCn => format!("{label}：请更换首问责任人"),
            Lang::En => format!("{label}: name another"),
        },
        Reason::AssigneeGone => match l {
            Lang::ZhCn => format!("{label}：请重新派单"),
            Lang::En => format!("{label}: assign it again"),
        },
        // A department head who registered the case: here, but whose role
        // makes no callback.
        Reason::ResponderGone { still_here: true } => l
            .pick(
                "首问责任人不负责回访：请更换首问责任人",
                "First responder makes no callbacks: name another",
            )
            .to_string(),
        Reason::Approval {
            amount_fen,
            required,
        } => {
            let amount = format_yuan(*amount_fen);
            // An amount a lower role approves: the user may take it over.
            match (l, *required == role) {
                (Lang::ZhCn, true) => format!("{label}：赔偿 {amount} 元"),
                (Lang::En, true) => format!("{label}: compensation ¥{amount}"),
                (Lang::ZhCn, false) => {
                    format!(
                        "可审批：赔偿 {amount} 元，按金额由{}审批",
                        required.label(l)
                    )
                }
                (Lang::En, false) => format!(
                    "May approve: compensation ¥{amount}, for a {} by its amount",
                    required.label(l).to_lowercase()
                ),
            }
        }
        Reason::ClockUnknown { clock } => match l {
            Lang::ZhCn => format!("{label}：{}（节假日安排未导入）", clock.label(l)),
            Lang::En => format!(
                "{label}: {} (holiday schedule not loaded)",
                clock.label(l).to_lowercase()
            ),
        },
        Reason::PlanLate { planned } => match l {
            Lang::ZhCn => format!("{label}（{}）", planned.format("%Y-%m-%d")),
            Lang::En => format!("{label} ({})", planned.format("%Y-%m-%d")),
        },
        Reason::SpotCheckUnhappy { score } => match l {
            Lang::ZhCn => format!("{label}（{score} 分）：请安排处理，并登记关联本单的工单"),
            Lang::En => format!(
                "{label} (scored {score} of 5): see to it, and register a case that relates to this one"
            ),
        },
        Reason::Conflict { count } | Reason::NotApplied { count } => match l {
            Lang::ZhCn => format!("{label}：{count} 项"),
            Lang::En => format!("{label}: {count}"),
        },
        Reason::NextStep { action } => match l {
            Lang::ZhCn => format!("{label}：{}", action.label(l)),
            Lang::En => format!("{label}: {}", action.label(l).to_lowercase()),
        },
        Reason::Escalated { skip_level, at } => {
            let skip = if *skip_level {
                l.pick("（越级）", " (skip-level)")
            } else {
                ""
            };
            let at = i18n::fmt_time(*at, tz);
            match l {
                Lang::ZhCn => format!("{label}{skip}，{at}"),
                Lang::En => format!("{label}{skip}, {at}"),
            }
        }
        Reason::Clock { clock, due_at, .. } => {
            let clock = clock.label(l);
            let due = i18n::fmt_time(*due_at, tz);
            match l {
                Lang::ZhCn => format!("{label}：{clock}，截止 {due}"),
                Lang::En => format!("{label}: {clock}, due {due}"),
            }
        }
    }
}

/// The inbox screen.
#[component]
pub fn Inbox() -> impl IntoView {
    let ctx = use_app();
    let shown = RwSignal::new(PAGE);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let visible = move || {
        let n = shown.get();
        ctx.inbox.with(|items| {
            ctx.cases.with(|cases| {
                items
                    .iter()
                    .take(n)
                    .filter_map(|i| cases.get(&i.case).map(|c| (i.clone(), c.clone())))
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <section class="inbox" data-testid="inbox">
            <div class="inbox-head">
                <h2>{t("我的待办", "My inbox")}</h2>
                <Reminders/>
            </div>
            <Show when=move || ctx.role().is_some_and(|r| r.is_management() || r == Role::Admin)>
                <crate::components::CalendarNeeded/>
            </Show>
            <super::handover::Handover/>
            <Show
                when=move || ctx.inbox.with(|i| !i.is_empty())
                fallback=move || view! {
                    <p class="empty" data-testid="inbox-empty">{t("暂无待办。", "Nothing waits for you.")}</p>
                }
            >
                <ul class="inbox-items">
                    <For
                        each=visible
                        key=|(item, case)| (item.clone(), case.last_hlc)
                        children=move |(item, case)| view! { <Row item=item case=case/> }
                    />
                </ul>
            </Show>
            <Show when=move || { ctx.inbox.with(Vec::len) > shown.get() }>
                <button class="btn" data-testid="inbox-more" on:click=move |_| shown.update(|n| *n += PAGE)>
                    {t("显示更多", "More")}
                </button>
            </Show>
        </section>
    }
}

/// One case of the inbox: its number (opens it), where, its state and
/// nearest clock, and every reason it is here.
#[component]
fn Row(item: InboxItem, case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let id = case.id;
    let r = &case.registration;
    let reg_no = r.reg_no.to_string();
    let reg_attr = reg_no.clone();
    let codes = item
        .reasons
        .iter()
        .map(|r| r.kind().code())
        .collect::<Vec<_>>()
        .join(" ");
    let kind = r.kind;
    let state = case.state;
    // In the language chosen now: a row drawn before a switch stays.
    let (property, location) = (r.property, r.location.clone());
    let unit = move || {
        ctx.config.with(|cfg| {
            cfg.property(property)
                .map(|p| format!("{} {}", p.name, p.describe_in(&location, ctx.lang.get())))
                .unwrap_or_default()
        })
    };
    let reasons = item.reasons.clone();
    let badge_case = case.clone();
    view! {
        <li class="inbox-item card" data-testid="inbox-item" data-reg-no=reg_attr data-reason=codes>
            <div class="inbox-case">
                <button type="button" class="link" data-testid="inbox-open"
                    on:click=move |_| ctx.screen.set(Screen::Detail(id))>{reg_no}</button>
                <span class="kind">{move || kind.label(ctx.lang.get())}</span>
                <span class="unit">{unit}</span>
                <span class=format!("state state-{}", state.code())>{move || state.label(ctx.lang.get())}</span>
                {move || deadline_badge(&badge_case, &ctx)}
            </div>
            <ul class="inbox-reasons">
                {move || {
                    let l = ctx.lang.get();
                    let tz = ctx.config.with(|c| c.settings.tz());
                    let role = ctx.role().unwrap_or(Role::Staff);
                    reasons
                        .iter()
                        .map(|reason| {
                            let code = reason.kind().code();
                            view! {
                                <li class=format!("reason reason-{code}") data-testid="inbox-reason" data-reason=code>
                                    {reason_text(reason, role, l, tz)}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </li>
    }
}

/// The switch for reminders: asks the browser's permission once; says what
/// the browser answered, or that it has no notifications at all.
#[component]
fn Reminders() -> impl IntoView {
    let ctx = use_app();
    let permission = RwSignal::new(reminder::permission());
    let ask = move |_| {
        spawn_local(async move {
            permission.set(reminder::request_permission().await);
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    move || match permission.get() {
        None => view! {
            <p class="reminders muted" data-testid="reminders-unsupported">
                {t("此浏览器不支持提醒", "This browser cannot show reminders")}
            </p>
        }
        .into_any(),
        Some(NotificationPermission::Granted) => view! {
            <p class="reminders" data-testid="reminders-on">
                {t("提醒已开启：有新的待办时通知您", "Reminders are on: new items are notified")}
            </p>
        }
        .into_any(),
        Some(NotificationPermission::Denied) => view! {
            <p class="reminders muted" data-testid="reminders-blocked">
                {t(
                    "浏览器已阻止提醒，可在浏览器的网站设置中允许",
                    "The browser blocks reminders; allow them in its site settings",
                )}
            </p>
        }
        .into_any(),
        Some(_) => view! {
            <button type="button" class="btn" data-testid="reminders-enable" on:click=ask>
                {t("开启提醒", "Turn on reminders")}
            </button>
        }
        .into_any(),
    }
}
