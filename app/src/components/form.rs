//! The pieces of the online-only screens' forms: a labelled text input
//! ([`TextField`]), the problems shown beside the inputs ([`FieldErrors`],
//! [`field_error`]), where a server refusal belongs ([`Route`],
//! [`show_refusal`]) and what a form holds that is not saved yet
//! ([`Unsaved`]).

use crate::api::ApiError;
use crate::state::use_app;
use leptos::prelude::*;
use shared::lang::Lang;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Problems beside the fields of one form: field name → message.
pub type FieldErrors = RwSignal<BTreeMap<&'static str, String>>;

/// The message beside `field`, as `data-testid="{testid}"`.
pub fn field_error(errors: FieldErrors, field: &'static str, testid: String) -> impl IntoView {
    view! {
        <span class="field-error" role="alert" data-testid=testid>
            {move || errors.with(|e| e.get(field).cloned())}
        </span>
    }
}

/// A labelled input bound to `value`; what follows the input (its error,
/// usually) comes as children.
#[component]
pub fn TextField(
    /// The label, `(zh, en)`.
    label: (&'static str, &'static str),
    /// The input's `data-testid`.
    testid: &'static str,
    /// What is typed.
    value: RwSignal<String>,
    /// The input's `type`.
    #[prop(default = "text")]
    kind: &'static str,
    /// The input's `autocomplete`, when the browser should be told.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// The input's `min`, for numbers.
    #[prop(optional)]
    min: Option<&'static str>,
    /// The input's `inputmode`, for the on-screen keyboard.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    /// Taken as typed: no capital letter, correction or spelling check of
    /// the on-screen keyboard (logins, codes).
    #[prop(optional)]
    verbatim: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let ctx = use_app();
    let (zh, en) = label;
    view! {
        <label class="field">
            <span>{move || ctx.lang.get().pick(zh, en)}</span>
            <input type=kind min=min inputmode=inputmode autocomplete=autocomplete list=list data-testid=testid
                autocapitalize=verbatim.then_some("none")
                spellcheck=verbatim.then_some("false")
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            {children.map(|c| c())}
        </label>
    }
}

/// Enter in a one-line input of a case's form does not send it: staff
/// press it for a new line, or the keyboard's 前往 key, with half a
/// sentence typed. The form goes by its button. (Not while an input method
/// composes: its Enter takes the characters.)
pub fn enter_stays(ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    if ev.key() != "Enter" || ev.is_composing() {
        return;
    }
    let in_input = ev
        .target()
        .is_some_and(|t| t.dyn_into::<web_sys::HtmlInputElement>().is_ok());
    if in_input {
        ev.prevent_default();
    }
}

/// Brings the first message beside a field of `form` into view, with the
/// cursor in its field: a case's form is taller than a tablet's screen,
/// and a save refused for a field above the fold looked like a tap that
/// did nothing. Called once the messages are set; they are drawn before
/// the next frame. Only `form`'s: a case's screen holds several forms.
pub fn reveal_first_error(form: web_sys::Element) {
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        let Ok(messages) = form.query_selector_all(".field-error") else {
            return;
        };
        let first = (0..messages.length())
            .filter_map(|i| messages.item(i)?.dyn_into::<web_sys::Element>().ok())
            .find(|m| m.text_content().is_some_and(|t| !t.trim().is_empty()));
        let Some(message) = first else {
            return;
        };
        let input = (message.closest(".field").ok().flatten())
            .and_then(|f| f.query_selector("input, select, textarea").ok().flatten())
            .and_then(|i| i.dyn_into::<web_sys::HtmlElement>().ok());
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        message.scroll_into_view_with_scroll_into_view_options(&options);
        if let Some(input) = input {
            let _ = input.focus();
        }
    });
}

/// A row's question before a step that cannot be taken back, in place of
/// the button that asked it: the question, the step (drawn as danger) and
/// 取消. `confirm`'s words and `testid`s name the step; `-confirm` and
/// `-cancel` are appended to `testid` for the two buttons. The step is
/// disabled while `busy`.
#[component]
pub fn AskFirst(
    question: (&'static str, &'static str),
    confirm: (&'static str, &'static str),
    testid: &'static str,
    asking: RwSignal<bool>,
    #[prop(into)] busy: Signal<bool>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let ctx = use_app();
    let t = move |(zh, en): (&'static str, &'static str)| move || ctx.lang.get().pick(zh, en);
    view! {
        <span class="admin-confirm">{t(question)}</span>
        <button type="button" class="btn small danger" data-testid=format!("{testid}-confirm")
            disabled=move || busy.get() on:click=move |_| on_confirm.run(())>
            {t(confirm)}
        </button>
        <button type="button" class="btn small" data-testid=format!("{testid}-cancel")
            on:click=move |_| asking.set(false)>
            {t(("取消", "Cancel"))}
        </button>
    }
}

/// Brings `selector`'s form into view with the cursor in its first
/// field: a form filled from a row elsewhere on the page (修改), which a
/// keyboard or screen-reader user would otherwise not know had changed.
pub fn bring_to_form(selector: &'static str) {
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        let Some(form) = document().query_selector(selector).ok().flatten() else {
            return;
        };
        form.scroll_into_view();
        let first = form
            .query_selector("input:not([disabled]), select, textarea")
            .ok()
            .flatten()
            .and_then(|i| i.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(input) = first {
            let _ = input.focus();
        }
    });
}

/// A case form's 取消. With nothing typed or taken it closes the form at
/// once; otherwise the first tap asks, and only 放弃 (drawn after it, not
/// where 取消 was, so a double tap does not discard) drops what the form
/// holds: a gloved finger reaching for 确认 hit 取消, and what the
/// resident said went with it.
#[component]
pub fn CancelButton(
    /// The button's `data-testid`.
    testid: &'static str,
    /// Whether the form holds something typed or taken.
    #[prop(into)]
    holding: Signal<bool>,
    /// While true, neither button acts (a save is recording what is held).
    #[prop(into)]
    busy: Signal<bool>,
    /// Closes the form, dropping what it holds.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let ctx = use_app();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let asking = RwSignal::new(false);
    let cancel = move |_| {
        if holding.get_untracked() {
            asking.set(true);
        } else {
            on_cancel.run(());
        }
    };
    view! {
        <button type="button" class="btn" data-testid=testid disabled=move || busy.get() on:click=cancel>
            {t("取消", "Cancel")}
        </button>
        <Show when=move || asking.get() && holding.get()>
            <span class="discard" role="alert" data-testid="discard-ask">
                {t("已填写或拍摄的内容将被丢弃。", "What is typed or taken here will be dropped.")}
                <button type="button" class="btn danger" data-testid="discard-confirm"
                    disabled=move || busy.get()
                    on:click=move |_| { asking.set(false); on_cancel.run(()); }>
                    {t("放弃", "Discard")}
                </button>
            </span>
        </Show>
    }
}

/// Where a server refusal belongs in a form: beside `field` when the
/// answer's code is `code`, in the code's words or in `words` (zh, en),
/// which say it better for this form.
pub struct Route {
    /// The server's error code.
    pub code: &'static str,
    /// The field it belongs beside.
    pub field: &'static str,
    /// Better words for this form than the code's own.
    pub words: Option<(&'static str, &'static str)>,
}

/// A route in the code's own words.
pub const fn route(code: &'static str, field: &'static str) -> Route {
    Route {
        code,
        field,
        words: None,
    }
}

/// Shows a refusal beside the field its code names, or, for a code that
/// names none, for the form as a whole (`general`, which words it when
/// shown).
pub fn show_refusal<E>(
    e: &ApiError,
    l: Lang,
    routes: &[Route],
    beside: FieldErrors,
    general: RwSignal<Option<E>>,
) where
    E: From<ApiError> + Send + Sync + 'static,
{
    let found = e
        .code()
        .and_then(|code| routes.iter().find(|r| r.code == code));
    match found {
        Some(r) => {
            let message = r
                .words
                .map_or_else(|| e.message(l), |(zh, en)| l.pick(zh, en).to_string());
            beside.update(|m| {
                m.insert(r.field, message);
            });
        }
        None => general.set(Some(e.clone().into())),
    }
}

/// What a form shows against what was last loaded or saved. These forms
/// keep no drafts: what is typed lives only in the page. While it differs,
/// the form counts in [`crate::state::AppCtx::unsaved`]. An update's reload
/// waits for it, and the first tap to another screen or tab warns.
pub struct Unsaved<T: Clone + PartialEq + Send + Sync + 'static> {
    shown: Memo<T>,
    saved: RwSignal<T>,
}

impl<T: Clone + PartialEq + Send + Sync + 'static> Clone for Unsaved<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Clone + PartialEq + Send + Sync + 'static> Copy for Unsaved<T> {}

impl<T: Clone + PartialEq + Send + Sync + 'static> Unsaved<T> {
    /// Follows `shown`, the form's values (tracked), from what they are
    /// now, until the calling component goes.
    pub fn track(shown: impl Fn() -> T + Send + Sync + 'static) -> Unsaved<T> {
        let ctx = use_app();
        let shown = Memo::new(move |_| shown());
        let saved = RwSignal::new(shown.get_untracked());
        let counted = Arc::new(AtomicBool::new(false));
        let held = counted.clone();
        Effect::new(move |_| {
            let now = shown.with(|s| saved.with(|v| s != v));
            if held.swap(now, Ordering::Relaxed) != now {
                ctx.unsaved
                    .update(|n| *n = if now { *n + 1 } else { n.saturating_sub(1) });
            }
        });
        on_cleanup(move || {
            if counted.swap(false, Ordering::Relaxed) {
                ctx.unsaved.try_update(|n| *n = n.saturating_sub(1));
            }
        });
        Unsaved { shown, saved }
    }

    /// What the form shows now is saved (or what is stored was read into
    /// it).
    pub fn settle(&self) {
        self.saved.set(self.shown.get_untracked());
    }

    /// What the form shows now: taken when a save is sent, to
    /// [`Unsaved::settle_to`] once it is stored, since the inputs stay
    /// open meanwhile and what is typed then is not saved.
    pub fn shown(&self) -> T {
        self.shown.get_untracked()
    }

    /// `sent` (an earlier [`Unsaved::shown`]) is saved.
    pub fn settle_to(&self, sent: T) {
        self.saved.set(sent);
    }

    /// Whether the form shows what is not saved (tracked: a question
    /// about it goes once it is saved or emptied).
    pub fn differs(&self) -> bool {
        self.shown.with(|s| self.saved.with(|v| s != v))
    }
}

/// What is typed in the rows of a list that one row's action draws again
/// (a reason for discarding, a temporary password): kept by the list, by
/// row, so that a row drawn again still shows it. Without it, settling one
/// quarantine entry emptied the reason half typed in the next.
#[derive(Clone, Copy)]
pub struct RowDrafts(StoredValue<HashMap<String, String>>);

/// An empty set, for a list that lives as long as its tab.
impl Default for RowDrafts {
    fn default() -> RowDrafts {
        RowDrafts(StoredValue::new(HashMap::new()))
    }
}

impl RowDrafts {
    /// Row `key`'s small form: whether it is open, and its text. Both
    /// start as they were before the row was drawn again; what an open
    /// form holds is kept as it changes, and a form put away keeps
    /// nothing.
    pub fn form(self, key: String) -> (RwSignal<bool>, RwSignal<String>) {
        let typed = self.0.with_value(|m| m.get(&key).cloned());
        let open = RwSignal::new(typed.is_some());
        let text = RwSignal::new(typed.unwrap_or_default());
        Effect::new(move |_| {
            let kept = text.with(|t| (open.get() && !t.is_empty()).then(|| t.clone()));
            self.0.update_value(|m| {
                match kept {
                    Some(t) => m.insert(key.clone(), t),
                    None => m.remove(&key),
                };
            });
        });
        (open, text)
    }
}

/// The form a submit event came from, for [`reveal_first_error`].
pub fn submitted_form(ev: &leptos::ev::SubmitEvent) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    ev.target()?.dyn_into::<web_sys::Element>().ok()
}
