//! Correcting a registration (更正登记信息): a form holding the case's
//! registration as it stands, from which only the fields a person changed
//! become an `edit` op.
//!
//! The checks are intake's: the phone and name as their kind requires
//! (`shared::validation::validate_phone`, `name_required`), the location
//! and category against the property and the categories
//! (`shared::validation::validate_patch`, which the server applies again),
//! and the bounds the server quarantines an op for
//! (`shared::validation::validate_action`). Each message stands beside its
//! field; nothing is saved while one is shown, and what was typed stays.
//! Works offline like every other action.

use super::drafts::Drafts;
use crate::components::form::CancelButton;
use crate::components::location::{LocationFields, LocationSelects};
use crate::components::related::RelatedPicker;
use crate::i18n;
use crate::record::RecordError;
use crate::state::{AppCtx, now, use_app};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use leptos::prelude::Action as UiAction;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::case::{Case, Channel, Registration, RegistrationPatch, Stamp};
use shared::lang::Coded;
use shared::op::{Action, ActionKind};
use shared::property::Location;
use shared::validation::{
    ValidationError, name_required, phone_required, validate_action, validate_patch, validate_phone,
};
use shared::workflow::{allowed_actions, in_own_favour, may_move_clocks};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The format of a `datetime-local` input.
const LOCAL_MINUTE: &str = "%Y-%m-%dT%H:%M";

/// The correction card of a case: a button for a role that may edit, and
/// the form once it is opened. The form is the screen's draft, so a change
/// to the case while it is open neither closes it nor loses what was typed.
#[component]
pub fn Edit(case: Arc<Case>, drafts: Drafts) -> impl IntoView {
    let ctx = use_app();
    // An open form stays when a sync closes the case under it: what was
    // typed stays in sight, and saving it says why it cannot be.
    let may_edit = ctx
        .role()
        .is_some_and(|role| allowed_actions(&case, role).contains(&ActionKind::Edit))
        && ctx.works_on(&case)
        || drafts.edit.with_untracked(Option::is_some);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let opened = case.clone();
    may_edit.then(|| {
        view! {
            <div class="card edit-card" data-testid="edit-card">
                <Show when=move || drafts.edit.with(Option::is_some) fallback=move || {
                    let case = opened.clone();
                    view! {
                        <button class="btn" data-testid="open-edit" on:click=move |_| {
                            let tz = ctx.config.with_untracked(|c| c.settings.tz());
                            drafts.open_edit(&case.registration, tz);
                        }>
                            {t("更正登记信息", "Correct the registration")}
                        </button>
                    }
                }>
                    <EditForm case=case.clone() drafts=drafts/>
                </Show>
            </div>
        }
    })
}

/// An open correction form: what is typed, and the registration as it
/// was shown when the form was opened. The changes are read against that
/// registration, not the one on the screen now: a field a colleague
/// corrected meanwhile, left untouched here, is no change, so saving does
/// not undo theirs.
#[derive(Clone)]
pub(super) struct EditDraft {
    form: Fields,
    base: Arc<Registration>,
    /// Why the last save was refused: by field name (as
    /// `shared::validation` names it), and otherwise. Kept with the form,
    /// so a card drawn again (a sync) still says it.
    errors: RwSignal<BTreeMap<String, ValidationError>>,
    refusal: RwSignal<Option<Refusal>>,
}

impl EditDraft {
    /// The form holding `base`.
    pub(super) fn of(base: &Registration, tz: Tz) -> EditDraft {
        EditDraft {
            form: Fields::of(base, tz),
            base: Arc::new(base.clone()),
            errors: RwSignal::new(BTreeMap::new()),
            refusal: RwSignal::new(None),
        }
    }

    /// The form as a draft kept it, masked as the reader may see it now
    /// ([`KeptEdit::masked`]).
    pub(super) fn restore(kept: KeptEdit) -> EditDraft {
        EditDraft {
            form: Fields::from_typed(kept.typed),
            base: Arc::new(kept.base),
            errors: RwSignal::new(BTreeMap::new()),
            refusal: RwSignal::new(None),
        }
    }

    /// What a draft keeps of it (`None`: nothing changed yet), read inside
    /// a reactive scope so that the draft follows the typing.
    fn kept(&self) -> Option<KeptEdit> {
        let typed = self.form.typed();
        let tz = use_app().config.with_untracked(|c| c.settings.tz());
        (typed != TypedFields::of(&self.base, tz)).then(|| KeptEdit {
            base: (*self.base).clone(),
            typed,
        })
    }
}

/// An open correction form as a draft keeps it across a reload: the base
/// goes with what is typed, so that a colleague's correction synced
/// meanwhile is still no change of this one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct KeptEdit {
    base: Registration,
    typed: TypedFields,
}

impl KeptEdit {
    /// The draft as `shown` lets its reader see it: kept when they saw the
    /// complainant whole, it would show them again after the company's
    /// settings, or their role, came to mask them. The numbers in the
    /// texts are masked as the case's are, and the fold puts them back
    /// where a text is saved as it was read (`Case::restore_masked`).
    pub(super) fn masked(mut self, shown: shared::personal_data::Shown) -> KeptEdit {
        use shared::phone::mask_in_text;
        shown.registration(&mut self.base);
        if !shown.name {
            self.typed.name = shared::role::mask_name(&self.typed.name);
        }
        if !shown.phone {
            for text in [
                &mut self.typed.phone,
                &mut self.typed.content,
                &mut self.typed.remedy,
            ] {
                *text = mask_in_text(text).into_owned();
            }
        }
        self
    }
}

/// The registration's fields as typed, in plain values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TypedFields {
    location: Location,
    name: String,
    phone: String,
    channel: String,
    received: String,
    category: String,
    content: String,
    remedy: String,
    related: String,
    /// Absent from corrections kept by builds before it.
    #[serde(default)]
    source: String,
}

/// The registration's fields, as typed.
#[derive(Clone, Copy)]
struct Fields {
    location: LocationFields,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    channel: RwSignal<String>,
    received: RwSignal<String>,
    category: RwSignal<String>,
    content: RwSignal<String>,
    remedy: RwSignal<String>,
    related: RwSignal<String>,
    source: RwSignal<String>,
}

impl Fields {
    /// The form as the registration stands, so that an untouched field is
    /// no change.
    fn of(r: &Registration, tz: Tz) -> Fields {
        Fields::from_typed(TypedFields::of(r, tz))
    }

    fn from_typed(t: TypedFields) -> Fields {
        Fields {
            location: LocationFields::of(&t.location),
            name: RwSignal::new(t.name),
            phone: RwSignal::new(t.phone),
            channel: RwSignal::new(t.channel),
            received: RwSignal::new(t.received),
            category: RwSignal::new(t.category),
            content: RwSignal::new(t.content),
            remedy: RwSignal::new(t.remedy),
            related: RwSignal::new(t.related),
            source: RwSignal::new(t.source),
        }
    }

    /// What is typed, tracked.
    fn typed(&self) -> TypedFields {
        TypedFields {
            location: self.location.tracked(),
            name: self.name.get(),
            phone: self.phone.get(),
            channel: self.channel.get(),
            received: self.received.get(),
            category: self.category.get(),
            content: self.content.get(),
            remedy: self.remedy.get(),
            related: self.related.get(),
            source: self.source.get(),
        }
    }
}

impl TypedFields {
    /// The registration as the form shows it.
    fn of(r: &Registration, tz: Tz) -> TypedFields {
        TypedFields {
            location: r.location.clone(),
            name: r.complainant.name.clone(),
            phone: r
                .complainant
                .phone
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            channel: r.channel.code().into(),
            received: local_minute(r.received_at, tz),
            category: r.category.clone(),
            content: r.content.clone(),
            remedy: r.requested_remedy.clone(),
            related: r.related_case.clone().unwrap_or_default(),
            source: r.source_ref.clone(),
        }
    }
}

fn local_minute(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format(LOCAL_MINUTE).to_string()
}

/// Why the form was not saved, besides the fields' own messages.
#[derive(Debug, Clone)]
enum Refusal {
    /// Nothing differs from the case as it stands.
    Unchanged,
    /// The workflow refuses the edit.
    Rule(shared::workflow::RuleViolation),
    /// It could not be recorded.
    Record(RecordError),
}

impl Refusal {
    fn message(&self, l: shared::lang::Lang) -> String {
        match self {
            Refusal::Unchanged => l
                .pick("没有更改任何内容", "Nothing was changed")
                .to_string(),
            Refusal::Rule(v) => v.message(l),
            Refusal::Record(e) => e.message(l),
        }
    }
}

#[component]
fn EditForm(case: Arc<Case>, drafts: Drafts) -> impl IntoView {
    let ctx = use_app();
    let Some(draft) = drafts.edit.get_untracked() else {
        return ().into_any();
    };
    // Kept as it is typed, for a reload or a visit to another screen.
    Effect::new({
        let draft = draft.clone();
        move |_| drafts.keep_edit(draft.kept())
    });
    let changed = Memo::new({
        let draft = draft.clone();
        move |_| draft.kept().is_some()
    });
    let EditDraft {
        form,
        base,
        errors,
        refusal,
    } = draft;
    let kind = base.kind;
    let case_id = case.id;
    let save = UiAction::new_local(move |patch: &RegistrationPatch| {
        let patch = patch.clone();
        async move {
            // An edit is no transition: it holds in any state, so it
            // expects none and never conflicts.
            let result = ctx
                .record(case_id, None, move |_, _| Ok(Action::Edit(patch)))
                .await;
            let _ = drafts.saving.try_set(false);
            match result {
                Ok(_) => drafts.close_edit(),
                Err(e) => {
                    let _ = refusal.try_set(Some(Refusal::Record(e)));
                }
            }
        }
    });
    let submit = {
        let case = case.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if drafts.saving.get_untracked() {
                return;
            }
            refusal.set(None);
            let patch = match build(&form, &base, &case) {
                Err(found) => {
                    errors.set(found);
                    if let Some(form) = crate::components::form::submitted_form(&ev) {
                        crate::components::form::reveal_first_error(form);
                    }
                    return;
                }
                Ok(patch) => patch,
            };
            errors.set(BTreeMap::new());
            if patch == RegistrationPatch::default() {
                refusal.set(Some(Refusal::Unchanged));
                return;
            }
            let action = Action::Edit(patch.clone());
            let Some(role) = ctx.role() else {
                refusal.set(Some(Refusal::Record(RecordError::LoggedOut)));
                return;
            };
            let settings = ctx.config.with_untracked(|c| c.settings.clone());
            if let Err(v) =
                shared::workflow::check(&case, role, &action, &settings, crate::state::now())
            {
                refusal.set(Some(Refusal::Rule(v)));
                return;
            }
            drafts.saving.set(true);
            save.dispatch_local(patch);
        }
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let label = move |field: &'static str| move || i18n::field(field, ctx.lang.get());
    let err = move |field: &'static str| {
        let testid = format!("edit-error-{}", field.replace('.', "-"));
        view! {
            <span class="field-error" role="alert" data-testid=testid>
                {move || errors.with(|e| e.get(field).map(|e| e.message(ctx.lang.get())))}
            </span>
        }
    };
    let property_id = case.registration.property;
    let property = Memo::new(move |_| ctx.config.with(|c| c.property(property_id).cloned()));
    // What the role sees of every case: only that may be corrected, by
    // the server's rule too (`case.personal_data_hidden`). Shown masked, it
    // could only be overwritten blind.
    let shown = ctx.shown(None);
    // When and how it was received set the deadlines: whoever else works
    // the case is held to them (`case.clock_fields`).
    let clocks = may_correct_clocks(ctx, &case.registered);
    view! {
        <form class="action-form edit-form" data-testid="edit-form" on:submit=submit
            on:keydown=crate::components::form::enter_stays>
            <h4>{t("更正登记信息", "Correct the registration")}</h4>
            <p class="hint">{t(
                "只保存改动的内容；原值保留在处理记录中。",
                "Only what you change is saved; the old values stay in the timeline.",
            )}</p>
            <div class="grid">
                <label class="field">
                    <span>{move || {
                        let l = ctx.lang.get();
                        match l {
                            shared::lang::Lang::ZhCn => format!("{}姓名", kind.person(l)),
                            shared::lang::Lang::En => "Name".to_string(),
                        }
                    }}</span>
                    <input type="text" autocomplete="off" data-testid="edit-name" prop:value=move || form.name.get()
                        readonly=!shown.name
                        on:input=move |ev| form.name.set(event_target_value(&ev))/>
                    {err("complainant.name")}
                </label>
                <label class="field">
                    <span>{label("complainant.phone")}</span>
                    <input type="tel" inputmode="tel" autocomplete="off" data-testid="edit-phone" prop:value=move || form.phone.get()
                        readonly=!shown.phone
                        on:input=move |ev| form.phone.set(event_target_value(&ev))/>
                    {err("complainant.phone")}
                </label>
                <LocationSelects fields=form.location property=property prefix="edit"
                    error=err("location").into_any()/>
                <label class="field">
                    <span>{label("channel")}</span>
                    <select data-testid="edit-channel" disabled=!clocks
                        on:change=move |ev| form.channel.set(event_target_value(&ev))>
                        {move || Channel::ALL.iter().map(|c| {
                            let l = ctx.lang.get();
                            view! { <option value=c.code() selected=form.channel.get_untracked() == c.code()>{c.label(l)}</option> }
                        }).collect_view()}
                    </select>
                    {err("channel")}
                </label>
                <label class="field">
                    <span>{label("received_at")}</span>
                    <input type="datetime-local" data-testid="edit-received" prop:value=move || form.received.get()
                        readonly=!clocks
                        on:input=move |ev| form.received.set(event_target_value(&ev))/>
                    {err("received_at")}
                </label>
                {(!clocks).then(|| view! {
                    <p class="hint wide" data-testid="edit-clocks-held">{t(
                        "受理渠道和受理时间决定处理时限，只有登记人和管理人员可以更正。",
                        "How and when the case was received set its deadlines: only whoever registered it and management may correct them.",
                    )}</p>
                })}
                <label class="field">
                    <span>{label("category")}</span>
                    <select data-testid="edit-category" on:change=move |ev| form.category.set(event_target_value(&ev))>
                        {move || {
                            let l = ctx.lang.get();
                            let current = form.category.get_untracked();
                            // A retired category the case still has stays
                            // selectable, so that leaving it is no change.
                            ctx.config.with(|c| c.categories.iter().filter(|c| c.active || c.code == current).cloned().collect::<Vec<_>>())
                                .into_iter()
                                .map(|c| {
                                    let selected = current == c.code;
                                    let name = c.name(l).to_string();
                                    view! { <option value=c.code selected=selected>{name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                    {err("category")}
                </label>
                <div class="field">
                    <span>{label("related_case")}</span>
                    <RelatedPicker value=form.related testid="edit-related" itself=case_id/>
                    {err("related_case")}
                </div>
                <label class="field">
                    <span>{label("source_ref")}</span>
                    <input type="text" data-testid="edit-source" prop:value=move || form.source.get()
                        on:input=move |ev| form.source.set(event_target_value(&ev))/>
                    {err("source_ref")}
                </label>
            </div>
            <label class="field wide">
                <span>{label("content")}</span>
                <textarea rows="4" data-testid="edit-content" prop:value=move || form.content.get()
                    on:input=move |ev| form.content.set(event_target_value(&ev))></textarea>
                {err("content")}
            </label>
            <label class="field wide">
                <span>{label("requested_remedy")}</span>
                <textarea rows="2" data-testid="edit-remedy" prop:value=move || form.remedy.get()
                    on:input=move |ev| form.remedy.set(event_target_value(&ev))></textarea>
                {err("requested_remedy")}
            </label>
            <p class="error" role="alert" data-testid="edit-refused">
                {move || refusal.with(|r| r.as_ref().map(|r| r.message(ctx.lang.get())))}
            </p>
            <div class="actions">
                <button type="submit" class="btn primary" data-testid="save-edit" disabled=move || drafts.saving.get()>
                    {t("保存更正", "Save the correction")}
                </button>
                <CancelButton testid="cancel-edit" holding=changed busy=drafts.saving
                    on_cancel=Callback::new(move |()| drafts.close_edit())/>
            </div>
        </form>
    }
    .into_any()
}

/// Whether the logged-in user may correct when and how the case
/// `registered` was received (`shared::workflow::may_move_clocks`).
fn may_correct_clocks(ctx: AppCtx, registered: &Stamp) -> bool {
    ctx.actor()
        .is_some_and(|a| may_move_clocks(registered.by, a.user, a.role))
}

/// Reads the form into a patch of the fields that differ from `r` (the
/// registration the form was opened on), or the problems by field.
fn build(
    form: &Fields,
    r: &Registration,
    case: &Case,
) -> Result<RegistrationPatch, BTreeMap<String, ValidationError>> {
    let registered = &case.registered;
    let ctx = use_app();
    let config = ctx.config.get_untracked();
    let tz = config.settings.tz();
    let mut errors = BTreeMap::new();
    let mut patch = RegistrationPatch::default();

    let name = form.name.get_untracked().trim().to_string();
    let anonymous = r.complainant.anonymous;
    // Only what the role sees of every case is corrected, whatever a draft
    // typed before it lost sight of it holds. Shown masked (138****8000),
    // it is no value to check either: a department head correcting the
    // location must not be stopped by it.
    let shown = ctx.shown(None);
    if shown.name {
        if name.is_empty() && name_required(r.kind, anonymous) {
            errors.insert("complainant.name".into(), ValidationError::Required);
        } else if name != r.complainant.name {
            patch.complainant_name = Some(name);
        }
    }
    // A phone left as it was shown is no change.
    let phone = form.phone.get_untracked();
    let held = r.complainant.phone.as_ref().map(|p| p.to_string());
    if shown.phone && phone.trim() != held.as_deref().unwrap_or_default() {
        match validate_phone(&phone, phone_required(r.kind, anonymous)) {
            Err(e) => {
                errors.insert("complainant.phone".into(), e);
            }
            Ok(phone) if phone != r.complainant.phone => patch.complainant_phone = Some(phone),
            Ok(_) => {}
        }
    }
    let location = form.location.read();
    if location != r.location {
        // Moved, it is moved to a place that stands, not to one removed
        // since a draft named it.
        if config
            .property(r.property)
            .is_some_and(|p| !p.offers(&location))
        {
            errors.insert("location".into(), ValidationError::NotInProperty);
        }
        patch.location = Some(location);
    }
    // Only who may correct them does, whatever a draft typed before.
    let clocks = may_correct_clocks(ctx, registered);
    let channel = Channel::ALL
        .into_iter()
        .find(|c| c.code() == form.channel.get_untracked())
        .unwrap_or(r.channel);
    if clocks && channel != r.channel {
        patch.channel = Some(channel);
    }
    // The input shows minutes; the stored time may have seconds, so an
    // untouched input is compared as shown, not as parsed.
    let received = form.received.get_untracked();
    if clocks && received != local_minute(r.received_at, tz) {
        let parsed = NaiveDateTime::parse_from_str(&received, LOCAL_MINUTE)
            .ok()
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.to_utc());
        match parsed {
            None => {
                errors.insert("received_at".into(), ValidationError::Required);
            }
            // After it was recorded: `validate_patch` says so below.
            Some(t) => patch.received_at = Some(t),
        }
    }
    let category = form.category.get_untracked();
    if category != r.category {
        patch.category = Some(category);
    }
    let content = form.content.get_untracked();
    if content.trim().is_empty() {
        errors.insert("content".into(), ValidationError::EmptyContent);
    } else if content != r.content {
        patch.content = Some(content);
    }
    let remedy = form.remedy.get_untracked();
    if remedy != r.requested_remedy {
        patch.requested_remedy = Some(remedy);
    }
    // Judged only when changed: an older case may hold other text.
    let typed = form.related.get_untracked();
    if typed.trim() != r.related_case.as_deref().unwrap_or_default() {
        match shared::validation::related_case(&typed) {
            Ok(related) if related != r.related_case => patch.related_case = Some(related),
            Ok(_) => {}
            Err(e) => {
                errors.insert("related_case".into(), e);
            }
        }
    }
    // As kept: a number another client stored otherwise is no change.
    let source = shared::case::source_ref(&form.source.get_untracked());
    if source != shared::case::source_ref(&r.source_ref) {
        patch.source_ref = Some(source);
    }

    // What the server checks again: the location and category against the
    // property and the categories, then every bound.
    match config.property(r.property) {
        Some(property) => {
            if let Err(found) = validate_patch(
                &patch,
                r.kind,
                anonymous,
                Some(registered.at),
                property,
                &config.categories,
            ) {
                for e in found {
                    errors.entry(e.field).or_insert(e.error);
                }
            }
        }
        None => {
            errors.insert("location".into(), ValidationError::NotInProperty);
        }
    }
    let ceiling = now() + Duration::minutes(5);
    if let Err(found) = validate_action(&Action::Edit(patch.clone()), ceiling) {
        for e in found {
            errors.entry(e.field).or_insert(e.error);
        }
    }
    // Whoever registered it corrects what the clocks count from only
    // against themselves; management either way. Against the case as it
    // stands, as the fold judges it (`workflow.clock_in_own_favour`): a
    // colleague's correction since the form opened is the baseline.
    let management = ctx.actor().is_some_and(|a| a.role.is_management());
    let now = &case.registration;
    if !management && let Some(field) = in_own_favour(now.received_at, now.channel, &patch) {
        errors
            .entry(field.into())
            .or_insert(ValidationError::OwnDeadline);
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}
