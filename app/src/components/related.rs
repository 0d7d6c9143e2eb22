//! 关联工单: the related case of a registration, picked from the cases on
//! the tablet by number, content or name; and the warning at intake that
//! the same unit or phone already has an open case of the same category
//! (`shared::duplicate`), with a button that links to it.

use crate::state::{AppCtx, use_app};
use leptos::prelude::*;
use shared::case::{Case, CaseState};
use shared::duplicate::{Likeness, Probe, possible_duplicates};
use shared::id::CaseId;
use shared::lang::Lang;
use shared::search::fold;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;

/// How many cases the picker offers at once.
const OFFERED: usize = 6;

/// A text input for the related case's registration number that offers
/// the matching cases on the tablet as one types (`{testid}-option`).
#[component]
pub fn RelatedPicker(
    value: RwSignal<String>,
    testid: &'static str,
    /// The case being corrected, which cannot be its own related case.
    #[prop(optional)]
    itself: Option<CaseId>,
    /// Offer only cases not voided: the one a void names as kept must be
    /// live, and the form refuses a voided one.
    #[prop(optional)]
    live_only: bool,
) -> impl IntoView {
    let ctx = use_app();
    let offers = Memo::new(move |_| {
        let raw = value.get();
        let raw = raw.trim();
        // Compared as the list's search compares (full width, any case; a
        // number also without its separators, as it is read aloud).
        let typed = fold(raw);
        if typed.chars().count() < 2 {
            return Vec::new();
        }
        let compact = shared::search::compact(&typed);
        let by_number = compact.chars().count() >= 4 && compact.chars().any(|c| c.is_ascii_digit());
        ctx.cases.with(|cases| {
            let mut found: Vec<&Case> = cases
                .values()
                .map(|c| &**c)
                .filter(|c| Some(c.id) != itself)
                .filter(|c| !live_only || c.state != CaseState::Voided)
                .filter(|c| {
                    let r = &c.registration;
                    let reg_no = r.reg_no.to_string();
                    // Offered until the number itself is in the box: one
                    // typed in full width is no link until replaced.
                    reg_no != raw
                        && (fold(&reg_no).contains(&typed)
                            || (by_number
                                && shared::search::compact(&fold(&reg_no)).contains(&compact))
                            || fold(&r.content).contains(&typed)
                            || fold(&r.complainant.name).contains(&typed))
                })
                .collect();
            // The latest first: the case a resident calls about again is
            // the recent one, not the oldest that shares a word.
            found.sort_unstable_by_key(|c| (Reverse(c.registration.received_at), c.id));
            found
                .into_iter()
                .take(OFFERED)
                .map(|c| {
                    let r = &c.registration;
                    let summary: String = r.content.chars().take(24).collect();
                    (r.reg_no.to_string(), summary)
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <input type="text" data-testid=testid prop:value=move || value.get()
            autocomplete="off" autocapitalize="none" spellcheck="false"
            placeholder=move || ctx.lang.get().pick("输入登记号、内容或姓名查找", "Type a number, content or name to find it")
            aria-label=move || ctx.lang.get().pick("查找关联工单", "Find the related case")
            on:input=move |ev| value.set(event_target_value(&ev))/>
        <ul class="related-offers">
            {move || offers.get().into_iter().map(|(reg_no, summary)| {
                let chosen = reg_no.clone();
                view! {
                    <li><button type="button" class="link" data-testid=format!("{testid}-option")
                        on:click=move |_| value.set(chosen.clone())>
                        {reg_no} " " <small>{summary}</small>
                    </button></li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Open cases like the one being typed, each with a button that makes it
/// the related case. Nothing is shown when there are none.
#[component]
pub fn DuplicateWarning(
    /// The case being typed, as far as it is known (`None` until there is
    /// a property and a time).
    probe: Memo<Option<ProbeOwned>>,
    related: RwSignal<String>,
) -> impl IntoView {
    let ctx = use_app();
    let found = Memo::new(move |_| {
        let Some(p) = probe.get() else {
            return Vec::new();
        };
        let window = ctx.config.with(|c| c.settings.duplicate_window_days);
        ctx.cases.with(|cases| {
            possible_duplicates(&p.as_probe(), cases.values().map(Arc::as_ref), window)
                .into_iter()
                .map(|(c, why)| (c.registration.reg_no.to_string(), summary(c), why))
                .collect::<Vec<_>>()
        })
    });
    move || {
        let found = found.get();
        if found.is_empty() {
            return ().into_any();
        }
        let l = ctx.lang.get();
        let window = ctx.config.with(|c| c.settings.duplicate_window_days);
        let by_source = found.iter().all(|(_, _, why)| why.same_source);
        let rows = found
            .into_iter()
            .map(|(reg_no, summary, why)| {
                let chosen = reg_no.clone();
                let linked = {
                    let reg_no = reg_no.clone();
                    move || related.with(|r| r.trim() == reg_no)
                };
                let shown = reg_no.clone();
                let label = linked.clone();
                view! {
                    <li data-testid="duplicate" data-reg-no=reg_no>
                        <span>{shown} " · " {reason(why, l)} " · " {summary}</span>
                        <button type="button" class="btn" data-testid="duplicate-link"
                            disabled=linked
                            on:click=move |_| related.set(chosen.clone())>
                            {move || if label() { l.pick("已关联", "Linked") } else { l.pick("关联此工单", "Link to it") }}
                        </button>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="warning duplicates" data-testid="duplicate-warning" role="status">
                <p>{match (l, by_source) {
                    (Lang::ZhCn, true) => "已有同一来源单号的工单，可能是热线或平台再次转来的同一件事（仍可登记）：".to_string(),
                    (Lang::En, true) => "A case came with the same source number: the hotline or platform may have sent the same matter again (you can still register):".to_string(),
                    (Lang::ZhCn, false) => format!("{window} 天内已有同类未结工单，可能是同一件事（仍可登记）："),
                    (Lang::En, false) => format!("Open cases of the same category in the last {window} days may be the same matter (you can still register):"),
                }}</p>
                <ul>{rows}</ul>
            </div>
        }
        .into_any()
    }
}

/// 重复登记: the case a voided case repeated, or the cases voided as
/// repeats of this one, each opening that case. Nothing when neither.
#[component]
pub fn DuplicateLinks(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let links = move || {
        ctx.cases.with(|cases| {
            let original = case
                .voiding
                .as_ref()
                .and_then(|v| v.duplicate_of.as_ref())
                .map(|reg_no| numbered(cases, &reg_no.to_string()));
            let repeats = ids_of(shared::duplicate::voided_as_duplicates(
                &case,
                cases.values().map(Arc::as_ref),
            ));
            (original, repeats)
        })
    };
    move || {
        let (original, repeats) = links();
        if original.is_none() && repeats.is_empty() {
            return ().into_any();
        }
        let l = ctx.lang.get();
        let original = original.map(|o| {
            view! { {l.pick("重复于 ", "a duplicate of ")} {case_link(ctx, o, "duplicate-of")} " " }
        });
        let repeats = (!repeats.is_empty()).then(|| {
            let links = repeats
                .into_iter()
                .map(|r| view! { {case_link(ctx, r, "duplicate-from")} " " })
                .collect_view();
            view! { {l.pick("已作废的重复登记：", "voided duplicates: ")} {links} }
        });
        view! {
            <div class="kv" data-testid="duplicate-links">
                <dt>{l.pick("重复登记", "Duplicates")}</dt>
                <dd>{original} {repeats}</dd>
            </div>
        }
        .into_any()
    }
}

/// A case named by its number, with its id if it is on the tablet.
type Named = (String, Option<CaseId>);

/// The case numbered `reg_no` among `cases`.
fn numbered(cases: &HashMap<CaseId, Arc<Case>>, reg_no: &str) -> Named {
    let found = cases
        .values()
        .find(|c| c.registration.reg_no.to_string() == reg_no)
        .map(|c| c.id);
    (reg_no.to_string(), found)
}

/// `found` by their numbers and ids.
fn ids_of(found: Vec<&Case>) -> Vec<Named> {
    found
        .into_iter()
        .map(|c| (c.registration.reg_no.to_string(), Some(c.id)))
        .collect()
}

/// A button that opens the case, or its number alone when it is not on
/// this tablet (out of its scope, or not synced yet).
fn case_link(ctx: AppCtx, (reg_no, id): Named, testid: &'static str) -> AnyView {
    match id {
        Some(id) => view! {
            <button class="link" data-testid=testid
                on:click=move |_| super::leave_to(ctx, crate::state::Screen::Detail(id))>{reg_no}</button>
        }
        .into_any(),
        None => view! { <span data-testid=testid>{reg_no}</span> }.into_any(),
    }
}

/// What makes an earlier case look like this one.
fn reason(why: Likeness, l: Lang) -> &'static str {
    match (why.same_source, why.same_unit, why.same_phone) {
        (true, _, _) => l.pick("同一来源单号", "same source no."),
        (_, true, true) => l.pick("同房号、同电话", "same unit and phone"),
        (_, true, false) => l.pick("同房号", "same unit"),
        _ => l.pick("同电话", "same phone"),
    }
}

fn summary(c: &Case) -> String {
    c.registration.content.chars().take(30).collect()
}

/// A [`Probe`] that owns its parts, for a memo.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeOwned {
    pub property: shared::id::PropertyId,
    pub location: shared::property::Location,
    pub phone: Option<shared::phone::Phone>,
    pub category: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub source_ref: String,
}

impl ProbeOwned {
    fn as_probe(&self) -> Probe<'_> {
        Probe {
            property: self.property,
            location: &self.location,
            phone: self.phone.as_ref(),
            category: &self.category,
            received_at: self.received_at,
            source_ref: &self.source_ref,
            itself: None,
        }
    }
}

/// The links of a case's 关联工单, both ways: the case it names, and the
/// cases that name it, each opening that case.
#[component]
pub fn RelatedLinks(case: Arc<Case>) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let links = move || {
        ctx.cases.with(|cases| {
            let named = case
                .registration
                .related_case
                .as_deref()
                .map(|reg_no| numbered(cases, reg_no));
            let from = ids_of(shared::duplicate::linked_from(
                &case,
                cases.values().map(Arc::as_ref),
            ));
            (named, from)
        })
    };
    view! {
        <div class="kv" data-testid="related-links">
            <dt>{t("关联工单", "Related cases")}</dt>
            <dd>{move || {
                let (named, from) = links();
                let named = named.map(|n| view! { "→ " {case_link(ctx, n, "related-to")} " " });
                let from = from
                    .into_iter()
                    .map(|f| view! { "← " {case_link(ctx, f, "related-from")} " " })
                    .collect_view();
                view! { {named} {from} }
            }}</dd>
        </div>
    }
}
