//! The case list: filters, search, and a row per case with its deadline
//! badge. Only the first rows that match are rendered ("more" shows the
//! next), so thousands of cases stay responsive.

use crate::components::deadline_badge;
use crate::pages::admin::Tab;
use crate::state::{AppCtx, Screen, use_app};
use leptos::prelude::*;
use shared::case::{Case, CaseKind, CaseState};
use shared::id::CaseId;
use shared::personal_data::{self, Shown};
use shared::search::{Haystack, MAX_QUERY_CHARS, Query};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use wasm_bindgen::JsCast;

/// Each case's [`Haystack`], with the fold it was made of: held weakly,
/// which keeps its address from going to a later fold while the entry
/// lasts (an address alone could name the next fold of the same case).
type Haystacks = HashMap<CaseId, (Weak<Case>, Haystack)>;

/// How long the typing pauses before the list follows what an input method
/// composes.
const COMPOSING_PAUSE_MS: u64 = 300;

/// Rows rendered per step of "more".
const PAGE: usize = 100;

/// What the list is filtered by, and how many rows it shows: kept in the
/// app's context, so that a member of staff working through "mine,
/// overdue" finds the list as they left it when they come back from a
/// case. A logout clears it.
#[derive(Clone, Copy)]
pub struct ListFilters {
    kind: RwSignal<String>,
    state: RwSignal<String>,
    category: RwSignal<String>,
    property: RwSignal<String>,
    mine: RwSignal<bool>,
    overdue: RwSignal<bool>,
    search: RwSignal<String>,
    shown: RwSignal<usize>,
}

impl ListFilters {
    /// No filter, the first page.
    pub fn new() -> ListFilters {
        ListFilters {
            kind: RwSignal::new(String::new()),
            state: RwSignal::new(String::new()),
            category: RwSignal::new(String::new()),
            property: RwSignal::new(String::new()),
            mine: RwSignal::new(false),
            overdue: RwSignal::new(false),
            search: RwSignal::new(String::new()),
            shown: RwSignal::new(PAGE),
        }
    }

    /// Back to no filter (another user's list).
    pub fn clear(&self) {
        for text in [
            self.kind,
            self.state,
            self.category,
            self.property,
            self.search,
        ] {
            text.set(String::new());
        }
        self.mine.set(false);
        self.overdue.set(false);
        self.shown.set(PAGE);
    }
}

impl Default for ListFilters {
    fn default() -> ListFilters {
        ListFilters::new()
    }
}

/// The list screen.
#[component]
pub fn CaseList() -> impl IntoView {
    let ctx = use_app();
    let ListFilters {
        kind,
        state,
        category,
        property,
        mine,
        overdue,
        search,
        shown,
    } = ctx.list;
    // What an input method is composing in the search, last typed; none
    // once something else was typed after it.
    let composing = StoredValue::new(None::<String>);

    // What each case is found by, made once per fold of the case (its new
    // `Arc`) and per configuration (the place's names): a
    // keystroke then compares, where it folded the texts of every case
    // again, a quarter of a second over 20,000 cases on a tablet.
    let configuration = Memo::new(move |before: Option<&u64>| {
        ctx.config.track();
        before.map_or(0, |n| n.wrapping_add(1))
    });
    let haystacks = StoredValue::new((0u64, Haystacks::new()));

    let matching = Memo::new(move |_| {
        let user = ctx.session.with(|s| s.as_ref().map(|s| s.user.clone()));
        let (kind, state, category, property) =
            (kind.get(), state.get(), category.get(), property.get());
        let (mine, overdue) = (mine.get(), overdue.get());
        // Only the overdue filter depends on the clock, and to the minute:
        // the list is not filtered again at each tick of the badges (a case
        // whose time ran out within the minute joins it at the next).
        let now = overdue.then(|| ctx.minute.get());
        // The box takes at most `MAX_QUERY_CHARS`, so a query is never
        // refused here.
        let query = search.with(|q| Query::parse(q).ok().flatten());
        let generation = configuration.get();
        let mut found = haystacks.try_update_value(|(made_for, found)| {
            if *made_for != generation {
                found.clear();
                *made_for = generation;
            }
            std::mem::take(found)
        });
        let mut found = found.take().unwrap_or_default();
        let rows = ctx.config.with(|config| {
            ctx.cases.with(|cases| {
                // Cases gone from the tablet are forgotten now and then.
                if found.len() > 2 * cases.len() + 100 {
                    found.retain(|id, _| cases.contains_key(id));
                }
                let mut rows: Vec<Arc<Case>> = cases
                    .values()
                    .filter(|c| {
                        let r = &c.registration;
                        (kind.is_empty() || r.kind.code() == kind)
                            && (state.is_empty() || c.state.code() == state)
                            && (category.is_empty() || r.category == category)
                            && (property.is_empty() || r.property.to_string() == property)
                            && (!mine || user.as_ref().is_some_and(|u| shared::inbox::mine(c, u)))
                            && now.is_none_or(|now| c.is_overdue(now))
                            && query.as_ref().is_none_or(|q| {
                                let fresh = found
                                    .get(&c.id)
                                    .is_some_and(|(of, _)| Weak::ptr_eq(of, &Arc::downgrade(c)));
                                if !fresh {
                                    let place = config
                                        .property(r.property)
                                        .map(|p| shared::search::place(p, &r.location))
                                        .unwrap_or_default();
                                    found
                                        .insert(c.id, (Arc::downgrade(c), Haystack::of(r, &place)));
                                }
                                let haystack = &found[&c.id].1;
                                let sees = user.as_ref().map_or(Shown::NOTHING, |u| {
                                    personal_data::shown(&config.settings, u, Some(c))
                                });
                                q.finds(haystack, sees)
                            })
                    })
                    .cloned()
                    .collect();
                // Newest first by when it was recorded, so that what was just
                // registered is on top, also a call received yesterday (head
                // office's list orders by receipt).
                rows.sort_unstable_by(|a, b| {
                    b.registered.at.cmp(&a.registered.at).then(b.id.cmp(&a.id))
                });
                rows
            })
        });
        haystacks.update_value(|(_, kept)| *kept = found);
        rows
    });

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    // The filters have no visible label of their own (the first option,
    // "all kinds", says what each one filters), so each names itself.
    let select = move |sig: RwSignal<String>,
                       testid: &'static str,
                       name: (&'static str, &'static str),
                       all: (&'static str, &'static str),
                       options: Signal<Vec<(String, String)>>| {
        view! {
            <select data-testid=testid aria-label=move || ctx.lang.get().pick(name.0, name.1)
                on:change=move |ev| { sig.set(event_target_value(&ev)); shown.set(PAGE); }>
                <option value="" selected=move || sig.get().is_empty()>{move || ctx.lang.get().pick(all.0, all.1)}</option>
                {move || options.get().into_iter().map(|(v, label)| {
                    let selected = v == sig.get_untracked();
                    view! { <option value=v selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        }
    };
    let kinds = Signal::derive(move || {
        let l = ctx.lang.get();
        CaseKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(l).to_string()))
            .collect()
    });
    let states = Signal::derive(move || {
        let l = ctx.lang.get();
        CaseState::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(l).to_string()))
            .collect()
    });
    let categories = Signal::derive(move || {
        let l = ctx.lang.get();
        ctx.config.with(|c| {
            c.categories
                .iter()
                .map(|c| (c.code.clone(), c.name(l).to_string()))
                .collect()
        })
    });
    let properties = Signal::derive(move || {
        ctx.config.with(|c| {
            c.properties
                .iter()
                .map(|p| (p.id.to_string(), p.name.clone()))
                .collect()
        })
    });

    let visible = move || {
        let n = shown.get();
        matching.with(|rows| rows.iter().take(n).cloned().collect::<Vec<_>>())
    };

    view! {
        <section class="case-list" data-testid="case-list">
            <FirstSteps/>
            <div class="filters">
                <input type="search" class="search" data-testid="filter-search" maxlength=MAX_QUERY_CHARS
                    aria-label=move || ctx.lang.get().pick("搜索工单", "Search cases")
                    placeholder=move || ctx.lang.get().pick("搜索登记号、内容、诉求、房号、姓名、电话", "Search number, content, remedy, unit, name, phone")
                    prop:value=move || search.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        // While an input method composes (pinyin letters
                        // z, zh, zha…, or a word on an Android keyboard),
                        // the list follows after a pause, not each letter.
                        if ev.dyn_ref::<web_sys::InputEvent>().is_some_and(web_sys::InputEvent::is_composing) {
                            composing.set_value(Some(value.clone()));
                            set_timeout(
                                move || {
                                    if composing.try_get_value().flatten().as_ref() == Some(&value) {
                                        search.try_set(value);
                                        shown.try_set(PAGE);
                                    }
                                },
                                std::time::Duration::from_millis(COMPOSING_PAUSE_MS),
                            );
                            return;
                        }
                        // What is typed now outdates a composition's pause
                        // still running (a Backspace just after the word
                        // was committed would otherwise be undone).
                        composing.set_value(None);
                        search.set(value);
                        shown.set(PAGE);
                    }
                    on:compositionend=move |ev| {
                        composing.set_value(None);
                        search.set(event_target_value(&ev));
                        shown.set(PAGE);
                    }/>
                {select(kind, "filter-kind", ("类型", "Kind"), ("全部类型", "All kinds"), kinds)}
                {select(state, "filter-state", ("状态", "State"), ("全部状态", "All states"), states)}
                {select(category, "filter-category", ("类别", "Category"), ("全部类别", "All categories"), categories)}
                {select(property, "filter-property", ("项目", "Property"), ("全部项目", "All properties"), properties)}
                <label class="check">
                    <input type="checkbox" data-testid="filter-mine" prop:checked=move || mine.get()
                        on:change=move |ev| mine.set(event_target_checked(&ev))/>
                    {t("我的", "Mine")}
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="filter-overdue" prop:checked=move || overdue.get()
                        on:change=move |ev| overdue.set(event_target_checked(&ev))/>
                    {t("已超时", "Overdue")}
                </label>
            </div>
            <p class="count" role="status" data-testid="case-count">
                {move || {
                    let n = matching.with(Vec::len);
                    match ctx.lang.get() {
                        shared::lang::Lang::ZhCn => format!("共 {n} 件"),
                        shared::lang::Lang::En => format!("{n} cases"),
                    }
                }}
            </p>
            <div class="table-scroll"><table class="cases">
                <thead>
                    <tr>
                        <th>{t("登记号", "No.")}</th>
                        <th>{t("位置", "Unit")}</th>
                        <th>{t("类别", "Category")}</th>
                        <th>{t("状态", "State")}</th>
                        <th>{t("时限", "Deadline")}</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=visible
                        // Each fold is a new `Arc`: a case folded again
                        // without a new op (the settings or the holidays
                        // changed, an op refused) is drawn again too.
                        key=|c| (c.id, c.last_hlc, Arc::as_ptr(c) as usize)
                        children=move |c| {
                            let id = c.id;
                            let l = ctx.lang.get_untracked();
                            let reg_no = c.registration.reg_no.to_string();
                            let reg_attr = reg_no.clone();
                            let kind = c.registration.kind;
                            let unit = ctx.config.with_untracked(|cfg| {
                                cfg.property(c.registration.property)
                                    .map(|p| format!("{} {}", p.name, p.describe_in(&c.registration.location, l)))
                                    .unwrap_or_default()
                            });
                            let category = ctx.config.with_untracked(|cfg| cfg.category_name(&c.registration.category, l));
                            let state_code = c.state.code();
                            let case = c.clone();
                            view! {
                                <tr class="case-row" data-testid="case-row" data-reg-no=reg_attr
                                    on:click=move |_| ctx.screen.set(Screen::Detail(id))>
                                    // A real button, so that keyboard and
                                    // screen-reader users can open the case too.
                                    <td class="reg-no">
                                        <button type="button" class="link" data-testid="case-open"
                                            on:click=move |_| ctx.screen.set(Screen::Detail(id))>{reg_no}</button>
                                        <span class="kind">{move || kind.label(ctx.lang.get())}</span>
                                        {move || refused(ctx, id).then(|| view! {
                                            <span class="badge overdue" data-testid="case-refused">
                                                {ctx.lang.get().pick("有操作未被接受", "Not all accepted")}
                                            </span>
                                        })}
                                    </td>
                                    <td>{unit}</td>
                                    <td>{category}</td>
                                    <td><span class=format!("state state-{state_code}") data-testid="case-state" data-state=state_code>
                                        {move || case.state.label(ctx.lang.get())}
                                    </span></td>
                                    <td>{
                                        let case = c.clone();
                                        move || deadline_badge(&case, &ctx)
                                    }</td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table></div>
            <Show when=move || { matching.with(Vec::len) > shown.get() }>
                <button class="btn" data-testid="more" on:click=move |_| shown.update(|n| *n += PAGE)>
                    {t("显示更多", "More")}
                </button>
            </Show>
            <Show when=move || ctx.cases.with(|c| c.is_empty())>
                <p class="empty" data-testid="empty">{t("暂无工单。点击“登记”记录新的投诉或报修。", "No cases yet. Tap Register to record one.")}</p>
            </Show>
        </section>
    }
}

/// Whether the server refused one of this device's ops on case `id`
/// (tracked: the refusals live in the device state).
fn refused(ctx: AppCtx, id: CaseId) -> bool {
    ctx.device.with(|d| {
        d.as_ref()
            .is_some_and(|d| d.refused.iter().any(|r| r.case_id == id))
    })
}

/// What an administrator sees first while the company has no property: a
/// new installation has nothing to list, and cases can only be registered
/// once a property exists and staff have accounts. It points to 管理 → 项目
/// and 用户 instead of an empty list.
#[component]
fn FirstSteps() -> impl IntoView {
    let ctx = use_app();
    let show = move || {
        ctx.role() == Some(shared::role::Role::Admin)
            && ctx.config.with(|c| c.properties.is_empty())
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let open = move |tab: Tab| move |_| ctx.screen.set(Screen::Admin(tab));
    view! {
        <Show when=show>
            <div class="card first-steps" data-testid="first-steps">
                <p>{t(
                    "还没有任何项目。请先在“管理 → 项目”中添加项目（楼栋与房号），再在“管理 → 用户”中为员工开通账号。",
                    "There is no property yet. First add one (its buildings and units) under Admin → Properties, then give staff their accounts under Admin → Users.",
                )}</p>
                <div class="actions">
                    <button class="btn primary" data-testid="first-steps-properties" on:click=open(Tab::Properties)>
                        {t("管理 → 项目", "Admin → Properties")}
                    </button>
                    <button class="btn" data-testid="first-steps-users" on:click=open(Tab::Users)>
                        {t("管理 → 用户", "Admin → Users")}
                    </button>
                </div>
            </div>
        </Show>
    }
}
