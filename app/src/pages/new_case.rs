//! The intake form (登记). Every field of a registration, chosen from the
//! user's properties, buildings and units, validated by
//! `shared::validation` (the registration against its property and the
//! categories, and the bounds the server checks on every op) with each
//! message beside its field. Nothing is saved while there is an error, and
//! what was typed stays. A device the server no longer accepts refuses
//! (`crate::blocked::Blocked`): a case it registered could never be uploaded.

use super::draft::{self, Draft};
use crate::components::leave_to;
use crate::components::location::{LocationFields, LocationSelects};
use crate::components::related::{DuplicateWarning, ProbeOwned, RelatedPicker};
use crate::evidence::picker::EvidencePicker;
use crate::evidence::{Staged, Taken, attach};
use crate::i18n;
use crate::record::RecordError;
use crate::state::{Screen, now, use_app};
use chrono::{Duration, NaiveDateTime, TimeZone};
use leptos::prelude::Action as UiAction;
use leptos::prelude::*;
use shared::case::{AttachmentKind, CaseKind, Channel, Complainant, Registration};
use shared::id::{CaseId, PropertyId};
use shared::lang::{Coded, Lang};
use shared::op::Action;
use shared::property::Location;
use shared::validation::{
    ValidationError, phone_required, validate_action, validate_phone, validate_registration,
};
use std::collections::BTreeMap;

/// The form's fields, as typed.
#[derive(Clone, Copy)]
struct Form {
    kind: RwSignal<String>,
    property: RwSignal<String>,
    location: LocationFields,
    anonymous: RwSignal<bool>,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    channel: RwSignal<String>,
    received: RwSignal<String>,
    category: RwSignal<String>,
    content: RwSignal<String>,
    remedy: RwSignal<String>,
    related: RwSignal<String>,
    source: RwSignal<String>,
    /// The id the case will take ([`Draft::case`]).
    case: StoredValue<CaseId>,
}

/// A case id for a form opened afresh.
fn new_case_id() -> CaseId {
    CaseId(uuid::Uuid::now_v7())
}

impl Form {
    /// Signals holding `draft`.
    fn of(draft: Draft) -> Form {
        Form {
            case: StoredValue::new(draft.case.unwrap_or_else(new_case_id)),
            kind: RwSignal::new(draft.kind),
            property: RwSignal::new(draft.property),
            location: draft
                .location
                .as_ref()
                .map_or_else(LocationFields::unchosen, LocationFields::of),
            anonymous: RwSignal::new(draft.anonymous),
            name: RwSignal::new(draft.name),
            phone: RwSignal::new(draft.phone),
            channel: RwSignal::new(draft.channel),
            received: RwSignal::new(draft.received),
            category: RwSignal::new(draft.category),
            content: RwSignal::new(draft.content),
            remedy: RwSignal::new(draft.remedy),
            related: RwSignal::new(draft.related),
            source: RwSignal::new(draft.source),
        }
    }

    /// Shows `draft` (the blank form, when a draft is discarded).
    fn fill(&self, draft: &Draft) {
        self.kind.set(draft.kind.clone());
        self.property.set(draft.property.clone());
        self.location.reset();
        self.anonymous.set(draft.anonymous);
        self.name.set(draft.name.clone());
        self.phone.set(draft.phone.clone());
        self.channel.set(draft.channel.clone());
        self.received.set(draft.received.clone());
        self.category.set(draft.category.clone());
        self.content.set(draft.content.clone());
        self.remedy.set(draft.remedy.clone());
        self.related.set(draft.related.clone());
        self.source.set(draft.source.clone());
        self.case.set_value(draft.case.unwrap_or_else(new_case_id));
    }

    /// What is typed, read inside a reactive scope.
    fn draft(&self) -> Draft {
        Draft {
            kind: self.kind.get(),
            property: self.property.get(),
            location: self.location.picked(),
            anonymous: self.anonymous.get(),
            name: self.name.get(),
            phone: self.phone.get(),
            channel: self.channel.get(),
            received: self.received.get(),
            category: self.category.get(),
            content: self.content.get(),
            remedy: self.remedy.get(),
            related: self.related.get(),
            source: self.source.get(),
            case: Some(self.case.get_value()),
        }
    }
}

/// The intake screen.
#[component]
pub fn NewCase() -> impl IntoView {
    let ctx = use_app();
    let tz = ctx.config.with_untracked(|c| c.settings.tz());
    let first_property = ctx
        .config
        .with_untracked(|c| {
            c.properties
                .iter()
                .find(|p| !p.retired)
                .map(|p| p.id.to_string())
        })
        .unwrap_or_default();
    let blank_received = move || {
        now()
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let blank = move || Draft {
        kind: CaseKind::Complaint.code().into(),
        property: first_property.clone(),
        location: None,
        anonymous: false,
        name: String::new(),
        phone: String::new(),
        // Chosen, not assumed: a letter saved as the phone call the form
        // started as ran no registration clock, and counted as a call.
        channel: String::new(),
        received: blank_received(),
        category: String::new(),
        content: String::new(),
        remedy: String::new(),
        related: String::new(),
        source: String::new(),
        case: None,
    };
    // What was typed before a reload or a visit to another screen.
    let user = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.id));
    // A draft whose case the tablet holds was registered: its removal was
    // lost (the browser killed right after the save), and offered again it
    // would be registered twice.
    let kept = user
        .and_then(|u| draft::load::<Draft>(&draft::intake(u)))
        .filter(|d| {
            !d.case
                .is_some_and(|id| ctx.cases.with_untracked(|c| c.contains_key(&id)))
        });
    let restored = RwSignal::new(kept.is_some());
    let form = Form::of(kept.unwrap_or_else(&blank));
    // Field name (as `shared::validation` names it) → problem.
    let errors = RwSignal::new(BTreeMap::<String, ValidationError>::new());
    // The case as typed so far, to look for one like it: by its category
    // once chosen, by its source number at once.
    let probe = Memo::new(move |_| {
        let property = form.property.get().parse::<uuid::Uuid>().ok()?;
        let category = form.category.get();
        let source_ref = form.source.get();
        if category.is_empty() && source_ref.trim().is_empty() {
            return None;
        }
        let received_at = NaiveDateTime::parse_from_str(&form.received.get(), "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| tz.from_local_datetime(&t).earliest())?
            .to_utc();
        Some(ProbeOwned {
            property: PropertyId(property),
            location: form.location.picked().unwrap_or(Location::PublicArea),
            phone: shared::phone::Phone::parse(&form.phone.get()).ok(),
            category,
            received_at,
            source_ref,
        })
    });
    let saved = RwSignal::new(None::<(CaseId, String)>);
    // Kept as it is typed, until the case is saved.
    // Set once the registration is recorded: from then on the draft is a
    // case, and one kept would be registered a second time.
    let recorded = StoredValue::new(false);
    // A form only opened holds its defaults, which are no draft; a choice
    // made (the building and unit, say) is, as much as words typed.
    let opened = blank();
    // The time received starts as the screen opened; a screen left open at
    // the front desk since the morning would date the afternoon's call
    // then. So it is taken again when the first thing is typed, unless it
    // was set by hand (or is a kept draft's).
    let stamped = StoredValue::new(restored.get_untracked());
    let defaulted = StoredValue::new(opened.received.clone());
    Effect::new(move |_| {
        let typed = form.draft();
        if let Some(user) = user
            && !recorded.try_get_value().unwrap_or(true)
        {
            let changed = !typed.is_blank(&opened);
            if changed && !stamped.get_value() {
                stamped.set_value(true);
                if defaulted.with_value(|d| typed.received == *d) {
                    form.received.set(blank_received());
                }
            }
            draft::keep(&draft::intake(user), changed.then_some(&typed));
        }
    });
    // Photos and signatures taken with the form, recorded right after the
    // registration; why they were refused, beside the picker.
    let staged = Staged::new();
    let discard = move |_| {
        if let Some(user) = user {
            draft::keep::<Draft>(&draft::intake(user), None);
        }
        let fresh = blank();
        defaulted.set_value(fresh.received.clone());
        stamped.set_value(false);
        form.fill(&fresh);
        // The photos and signature taken for the draft are the
        // complainant's of that draft: a new start keeps none of them.
        staged.items.set(Vec::new());
        staged.error.set(None);
        staged.close_pad();
        restored.set(false);
    };
    // Why the form was refused before it was recorded.
    let refused = RwSignal::new(None::<RecordError>);
    // How many of them were recorded with the case.
    let attached = RwSignal::new(0usize);
    // Records `items`, what the picker held when the save was tapped, on
    // the case, each with its bytes. What could not be stored stays, with
    // why, to be tried again from the saved card: the resident who signed
    // may have left already. The screen may be gone by the time they are
    // stored (a tap away while saving): they are stored all the same.
    let store_evidence = move |case_id: CaseId, items: Vec<Taken>| async move {
        let recorded = match attach::record(ctx, case_id, &items).await {
            Ok(()) => items.len(),
            Err((done, e)) => {
                let _ = staged.error.try_set(Some(e.message(ctx.l())));
                done
            }
        };
        let _ = attached.try_update(|n| *n += recorded);
        staged.forget(&items[..recorded.min(items.len())]);
    };
    let retry = UiAction::new_local(move |case_id: &CaseId| {
        staged.error.set(None);
        store_evidence(*case_id, staged.items.get_untracked())
    });
    // Records the registration; the number is drawn as it is recorded.
    let register = UiAction::new_local(move |(reg, code): &(Registration, String)| {
        let (reg, code) = (reg.clone(), code.clone());
        let items = staged.items.get_untracked();
        async move {
            let case_id = form.case.get_value();
            let tz = ctx.config.with_untracked(|c| c.settings.tz());
            let op = ctx
                .record(case_id, None, move |d, at| {
                    let mut reg = reg;
                    // The number's date is the op's date: the server
                    // checks that they agree.
                    reg.reg_no = d.next_reg_no(&code, tz, at)?;
                    Ok(Action::Register(reg))
                })
                .await?;
            let _ = recorded.try_set_value(true);
            if let Some(user) = user {
                draft::keep::<Draft>(&draft::intake(user), None);
            }
            // The case is saved; its evidence follows.
            store_evidence(case_id, items).await;
            if let Action::Register(r) = &op.action {
                let _ = saved.try_set(Some((case_id, r.reg_no.to_string())));
            }
            Ok::<_, RecordError>(())
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if register.pending().get_untracked() {
            return;
        }
        register.clear();
        refused.set(None);
        // Nothing new on a blocked device (`ctx.record` refuses it too, but
        // only once the form is filled in correctly).
        if let Some(blocked) = ctx.blocked.get_untracked() {
            refused.set(Some(RecordError::Blocked(blocked)));
            return;
        }
        if let Err(e) = crate::record::clock_set(now()) {
            refused.set(Some(e));
            return;
        }
        staged.error.set(None);
        if !staged.ready(ctx.l()) {
            return;
        }
        let limits = ctx
            .config
            .with_untracked(|c| c.settings.attachments.clone());
        if let Err(e) = staged
            .items
            .with_untracked(|items| attach::check(items, &limits, (0, 0)))
        {
            staged.error.set(Some(e.message(ctx.l())));
            return;
        }
        match build(&form) {
            Err(errs) => {
                errors.set(errs);
                if let Some(form) = crate::components::form::submitted_form(&ev) {
                    crate::components::form::reveal_first_error(form);
                }
            }
            Ok(input) => {
                errors.set(BTreeMap::new());
                register.dispatch_local(input);
            }
        }
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let err = move |field: &'static str| {
        let testid = format!("error-{}", field.replace('.', "-"));
        view! {
            <span class="field-error" role="alert" data-testid=testid>
                {move || errors.with(|e| e.get(field).map(|e| e.message(ctx.lang.get())))}
            </span>
        }
    };
    let label = move |field: &'static str| move || i18n::field(field, ctx.lang.get());

    let property = Memo::new(move |_| {
        let id = form.property.get();
        ctx.config.with(|c| {
            c.properties
                .iter()
                .find(|p| p.id.to_string() == id)
                .cloned()
        })
    });

    // While it is saved (the registration, then each photo), the form
    // takes no input: a word changed then would be neither recorded nor
    // kept as a draft.
    let form_view = view! {
        <form class="card case-form" data-testid="case-form" on:submit=submit
            on:keydown=crate::components::form::enter_stays
            inert=move || register.pending().get()>
            <h2>{t("登记新工单", "Register a case")}</h2>
            <Show when=move || restored.get()>
                <p class="banner" data-testid="draft-restored">
                    {t(
                        "已恢复上次未保存的登记内容（照片与签名需重新拍摄）。",
                        "What was typed last time and not saved is back (photos and signatures must be taken again).",
                    )}
                    " "
                    <button type="button" class="btn small" data-testid="draft-discard" on:click=discard.clone()>
                        {t("清空重填", "Start afresh")}
                    </button>
                </p>
            </Show>
            {move || ctx.blocked.get().map(|blocked| view! {
                <p class="banner danger" role="alert" data-testid="new-case-refused">
                    {move || blocked.refusal(ctx.lang.get())}
                </p>
            })}
            <div class="grid">
                <label class="field">
                    <span>{label("kind")}</span>
                    <select data-testid="field-kind" on:change=move |ev| form.kind.set(event_target_value(&ev))>
                        {move || CaseKind::ALL.iter().map(|k| {
                            let l = ctx.lang.get();
                            view! { <option value=k.code() prop:selected=move || form.kind.get() == k.code()>{k.label(l)}</option> }
                        }).collect_view()}
                    </select>
                    {err("kind")}
                </label>
                <label class="field">
                    <span>{label("channel")}</span>
                    <select data-testid="field-channel" on:change=move |ev| form.channel.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || form.channel.get().is_empty()>{t("请选择", "Choose")}</option>
                        {move || Channel::ALL.iter().map(|c| {
                            let l = ctx.lang.get();
                            view! { <option value=c.code() prop:selected=move || form.channel.get() == c.code()>{c.label(l)}</option> }
                        }).collect_view()}
                    </select>
                    {err("channel")}
                </label>
                // A case that came with a number of its own (the 12345
                // hotline's order, a platform's complaint) keeps it; one
                // typed before the channel changed stays in sight.
                {move || {
                    let numbered = Channel::from_code(&form.channel.get())
                        .is_some_and(Channel::comes_numbered);
                    (numbered || !form.source.get().is_empty()).then(|| view! {
                        <label class="field">
                            <span>{label("source_ref")}</span>
                            <input type="text" data-testid="field-source" prop:value=move || form.source.get()
                                on:input=move |ev| form.source.set(event_target_value(&ev))/>
                            {err("source_ref")}
                        </label>
                    })
                }}
                <label class="field">
                    <span>{label("property")}</span>
                    <select data-testid="field-property" on:change=move |ev| {
                        form.property.set(event_target_value(&ev));
                        form.location.reset();
                    }>
                        <option value="" prop:selected=move || form.property.get().is_empty()>{t("请选择", "Choose")}</option>
                        // A retired property is offered no more, unless a
                        // draft begun before its retirement names it: shown,
                        // and refused beside the field when saved.
                        {move || ctx.config.with(|c| c.properties.clone()).into_iter().filter_map(|p| {
                            let id = p.id.to_string();
                            let retired_kept = p.retired && form.property.get_untracked() == id;
                            let chosen = id.clone();
                            (!p.retired || retired_kept).then(|| view! {
                                <option value=id prop:selected=move || form.property.with(|v| *v == chosen)>{p.name}</option>
                            })
                        }).collect_view()}
                    </select>
                    {err("property")}
                    {move || {
                        let none = ctx.config.with(|c| {
                            !c.properties.is_empty() && c.properties.iter().all(|p| p.retired)
                        });
                        none.then(|| view! {
                            <span class="hint" data-testid="properties-retired">{t(
                                "您所属的项目均已停用，不能登记新工单；如有需要请联系系统管理员。",
                                "Every property of yours is retired: no new case can be registered. Ask your administrator if that is wrong.",
                            )}</span>
                        })
                    }}
                </label>
                <LocationSelects fields=form.location property=property prefix="field"
                    error=err("location").into_any()/>
                <label class="check">
                    <input type="checkbox" data-testid="field-anonymous"
                        prop:checked=move || form.anonymous.get()
                        on:change=move |ev| form.anonymous.set(event_target_checked(&ev))/>
                    {move || ctx.lang.get().pick(
                        "匿名（意见箱、不愿留名的来电）：姓名和电话可不填",
                        "Anonymous (opinion box, a caller who gives no name): name and phone may be left empty",
                    )}
                </label>
                <label class="field">
                    <span data-testid="label-name">{move || {
                        // 投诉人姓名 on a complaint, 报修人姓名 on a repair.
                        let kind = CaseKind::from_code(&form.kind.get()).unwrap_or(CaseKind::Complaint);
                        let l = ctx.lang.get();
                        match l {
                            Lang::ZhCn => format!("{}姓名", kind.person(l)),
                            Lang::En => "Name".to_string(),
                        }
                    }}</span>
                    <input type="text" autocomplete="off" data-testid="field-name" prop:value=move || form.name.get()
                        on:input=move |ev| form.name.set(event_target_value(&ev))/>
                    {err("complainant.name")}
                </label>
                <label class="field">
                    <span>{label("complainant.phone")}</span>
                    <input type="tel" inputmode="tel" autocomplete="off" data-testid="field-phone" prop:value=move || form.phone.get()
                        on:input=move |ev| form.phone.set(event_target_value(&ev))/>
                    {err("complainant.phone")}
                </label>
                <label class="field">
                    <span>{label("received_at")}</span>
                    <input type="datetime-local" data-testid="field-received" prop:value=move || form.received.get()
                        on:input=move |ev| form.received.set(event_target_value(&ev))/>
                    {err("received_at")}
                </label>
                <label class="field">
                    <span>{label("category")}</span>
                    <select data-testid="field-category" on:change=move |ev| form.category.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || form.category.get().is_empty()>{t("请选择", "Choose")}</option>
                        {move || {
                            let l = ctx.lang.get();
                            ctx.config.with(|c| c.categories.iter().filter(|c| c.active).cloned().collect::<Vec<_>>())
                                .into_iter()
                                .map(|c| {
                                    let chosen = c.code.clone();
                                    let name = c.name(l).to_string();
                                    view! {
                                        <option value=c.code prop:selected=move || form.category.with(|v| *v == chosen)>{name}</option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                    {err("category")}
                </label>
                <div class="field">
                    <span>{label("related_case")}</span>
                    <RelatedPicker value=form.related testid="field-related"/>
                    {err("related_case")}
                </div>
            </div>
            <DuplicateWarning probe=probe related=form.related/>
            <label class="field wide">
                <span>{label("content")}</span>
                <textarea rows="4" data-testid="field-content" prop:value=move || form.content.get()
                    on:input=move |ev| form.content.set(event_target_value(&ev))></textarea>
                {err("content")}
            </label>
            <label class="field wide">
                <span>{label("requested_remedy")}</span>
                <textarea rows="2" data-testid="field-remedy" prop:value=move || form.remedy.get()
                    on:input=move |ev| form.remedy.set(event_target_value(&ev))></textarea>
                {err("requested_remedy")}
            </label>
            <div class="field wide">
                <span>{t("照片与签名", "Photos and signatures")}</span>
                <EvidencePicker staged=staged signers=vec![AttachmentKind::ComplainantSignature]
                    case_kind=Signal::derive(move || {
                        CaseKind::from_code(&form.kind.get()).unwrap_or(CaseKind::Complaint)
                    })/>
            </div>
            <p class="error" role="alert" data-testid="save-error">
                {move || {
                    let l = ctx.lang.get();
                    refused
                        .with(|e| e.as_ref().map(|e| e.message(l)))
                        .or_else(|| register.value().with(|v| v.as_ref()?.as_ref().err().map(|e| e.message(l))))
                }}
            </p>
            <div class="actions">
                <button type="submit" class="btn primary big" data-testid="save-case"
                    disabled=move || register.pending().get() || ctx.blocked.get().is_some() || staged.reading()>
                    // A half-transparent button does not read as busy in
                    // the sun, and saving photos one by one takes a while.
                    {move || if register.pending().get() {
                        t("正在保存…", "Saving…")()
                    } else {
                        t("保存登记", "Save")()
                    }}
                </button>
            </div>
        </form>
    };

    view! {
        // The form stays in the page (hidden once saved): it holds the
        // picked photos, which are not views that can be made again.
        <div hidden=move || saved.get().is_some()>{form_view}</div>
        {move || saved.get().map(|(id, reg_no)| view! {
                <div class="card saved" data-testid="case-saved">
                    <p>{t("已保存在本机。请告知住户登记号：", "Saved on this tablet. Tell the resident the registration number:")}</p>
                    <p class="reg-no-big" data-testid="reg-no">{reg_no}</p>
                    {move || (attached.get() > 0).then(|| view! {
                        <p data-testid="saved-evidence" data-count=attached.get().to_string()>
                            {move || match ctx.lang.get() {
                                Lang::ZhCn => format!("照片与签名 {} 份已保存，联网后自动上传。", attached.get()),
                                Lang::En => format!("{} photos and signatures saved; they upload when online.", attached.get()),
                            }}
                        </p>
                    })}
                    <p class="field-error" role="alert" data-testid="evidence-save-error">{move || staged.error.get()}</p>
                    {move || {
                        let left = staged.items.with(Vec::len);
                        (left > 0).then(|| view! {
                            <button class="btn primary" data-testid="retry-evidence"
                                disabled=move || retry.pending().get()
                                on:click=move |_| { retry.dispatch_local(id); }>
                                {move || match ctx.lang.get() {
                                    Lang::ZhCn => format!("重新保存未保存的照片与签名（{left} 份）"),
                                    Lang::En => format!("Save the {left} photos and signatures not saved yet"),
                                }}
                            </button>
                        })
                    }}
                    <div class="actions">
                        <button class="btn primary" data-testid="open-case" on:click=move |_| leave_to(ctx, Screen::Detail(id))>
                            {t("查看工单", "Open the case")}
                        </button>
                        <button class="btn" data-testid="new-another" on:click=move |_| leave_to(ctx, Screen::List)>
                            {t("返回列表", "Back to the list")}
                        </button>
                    </div>
                </div>
            })}
    }
}

/// Reads the form into a registration (with a provisional number, replaced
/// when it is saved) and the property code, or the problems by field.
fn build(form: &Form) -> Result<(Registration, String), BTreeMap<String, ValidationError>> {
    let ctx = use_app();
    let config = ctx.config.get_untracked();
    let tz = config.settings.tz();
    let mut errors = BTreeMap::new();
    let kind = CaseKind::ALL
        .into_iter()
        .find(|k| k.code() == form.kind.get_untracked())
        .unwrap_or(CaseKind::Complaint);
    let channel = Channel::ALL
        .into_iter()
        .find(|c| c.code() == form.channel.get_untracked())
        .unwrap_or_else(|| {
            errors.insert("channel".into(), ValidationError::Required);
            Channel::Phone
        });
    let anonymous = form.anonymous.get_untracked();
    let phone = match validate_phone(&form.phone.get_untracked(), phone_required(kind, anonymous)) {
        Ok(p) => p,
        Err(e) => {
            errors.insert("complainant.phone".to_string(), e);
            None
        }
    };
    let property_id = form.property.get_untracked();
    // None chosen: said, and the rest checked against no place at all, so
    // that every problem shows at the first try.
    let unchosen;
    let property = match config
        .properties
        .iter()
        .find(|p| p.id.to_string() == property_id)
    {
        Some(property) => property,
        None => {
            errors.insert("property".into(), ValidationError::Required);
            unchosen = shared::property::Property {
                id: PropertyId(uuid::Uuid::nil()),
                code: "X".into(),
                name: String::new(),
                households: 0,
                buildings: Vec::new(),
                retired: false,
                contact: String::new(),
                removed: Vec::new(),
            };
            &unchosen
        }
    };
    // Shown only to a draft begun before its retirement, which is told.
    if property.retired {
        errors.insert("property".into(), ValidationError::PropertyRetired);
    }
    let location = form.location.picked_untracked().unwrap_or_else(|| {
        errors.insert("location".into(), ValidationError::Required);
        Location::PublicArea
    });
    // A place removed since a draft named it is offered for no new case,
    // though the server takes one a tablet recorded there before it heard.
    if !property.offers(&location) {
        errors
            .entry("location".into())
            .or_insert(ValidationError::NotInProperty);
    }
    let received = NaiveDateTime::parse_from_str(&form.received.get_untracked(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.to_utc());
    let at = now();
    // Without a time the rest is still checked (at the present moment), so
    // every problem shows at the first try.
    if received.is_none() {
        errors.insert("received_at".into(), ValidationError::Required);
    }
    let received_at = received.unwrap_or(at);
    let related = match shared::validation::related_case(&form.related.get_untracked()) {
        Ok(related) => related,
        Err(e) => {
            errors.insert("related_case".into(), e);
            None
        }
    };
    // A provisional number for validation only; the real one is drawn from
    // the device state in the same step that stores the op.
    let provisional = shared::regno::RegNo::new(&property.code, at.date_naive(), 1, 1)
        .or_else(|_| shared::regno::RegNo::new("X", at.date_naive(), 1, 1));
    let Ok(reg_no) = provisional else {
        return Err(errors);
    };
    let reg = Registration {
        reg_no,
        kind,
        property: PropertyId(property.id.0),
        location,
        complainant: Complainant {
            name: form.name.get_untracked().trim().to_string(),
            phone,
            anonymous,
        },
        channel,
        received_at,
        category: form.category.get_untracked(),
        content: form.content.get_untracked(),
        requested_remedy: form.remedy.get_untracked(),
        related_case: related,
        source_ref: shared::case::source_ref(&form.source.get_untracked()),
    };
    // The shared rule takes a retired category, for what a tablet recorded
    // before it heard; a form offers none, so a draft kept since names one
    // the select shows as unchosen, and is asked to choose.
    let category = &reg.category;
    if config
        .categories
        .iter()
        .any(|c| c.code == *category && !c.active)
    {
        errors.insert("category".into(), ValidationError::UnknownCategory);
    }
    if let Err(found) = validate_registration(&reg, property, &config.categories, at) {
        for e in found {
            // A required phone is already reported from the typed text,
            // which says more than the parsed `None` can.
            errors.entry(e.field).or_insert(e.error);
        }
    }
    // The bounds the server quarantines an op for (a received time before
    // 2000 or far ahead, over-long text). One message per field: a
    // received time in the future already has the more specific one.
    let ceiling = at + Duration::minutes(5);
    if let Err(found) = validate_action(&Action::Register(reg.clone()), ceiling) {
        for e in found {
            errors.entry(e.field).or_insert(e.error);
        }
    }
    if errors.is_empty() {
        Ok((reg, property.code.clone()))
    } else {
        Err(errors)
    }
}
