//! What the user is typing on a case's screen, kept by the screen rather
//! than by its cards.
//!
//! The cards are drawn again whenever the case changes: a pull brings a
//! colleague's op on it, one of this tablet's ops is refused, the settings
//! or the calendar change. Signals made by a card go with it, so a form
//! would close in the middle of a sentence and take the text with it, and
//! photos being saved one by one would lose the rest when the first one
//! changed the case. Made here, under the screen's owner, they stay for as
//! long as the case is on the screen; and the action forms' and the
//! correction form's inputs are kept in local storage as they are typed
//! (`pages::draft`), so that a reload or a visit to another screen brings
//! back the form that was open.

use super::edit::{EditDraft, KeptEdit};
use super::form::{ActionFields, FieldProblem, FormError, Typed};
use crate::evidence::Staged;
use crate::pages::draft;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use serde::{Deserialize, Serialize};
use shared::case::Registration;
use shared::id::{CaseId, OpId, UserId};
use shared::op::ActionKind;
use shared::role::Role;
use std::collections::BTreeMap;

/// What a case's screen keeps across reloads: the action form open, the
/// inputs of each action form with words typed in it, by the action's
/// code, and the correction form if it is open.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Kept {
    open: Option<String>,
    forms: BTreeMap<String, BTreeMap<String, Typed>>,
    #[serde(default)]
    edit: Option<KeptEdit>,
}

/// The drafts of one case's screen.
#[derive(Clone, Copy)]
pub(super) struct Drafts {
    /// The screen's owner: what a form needs when it is first opened is
    /// made under it, not under the card that opened it. Weak, as the
    /// owner holds this.
    owner: StoredValue<WeakOwner>,
    /// The action form open, if any.
    pub open: RwSignal<Option<ActionKind>>,
    /// Each action form's inputs, from its first opening until it is saved
    /// or cancelled: switching to another action keeps them.
    fields: StoredValue<BTreeMap<ActionKind, ActionFields>>,
    /// Why each action form's last save was refused, kept as its inputs
    /// are: the card is drawn again whenever the case changes (a sync, a
    /// photo saved), and the message beside the field went with it.
    said: StoredValue<BTreeMap<ActionKind, Said>>,
    /// The correction form while it is open.
    pub edit: RwSignal<Option<EditDraft>>,
    /// An action or a correction is being recorded. Kept here, as a card
    /// drawn again meanwhile (the case changed) would otherwise offer to
    /// save it a second time.
    pub saving: RwSignal<bool>,
    /// The conflicts whose settlement is being recorded. Kept here, as
    /// the problems card is drawn again whenever the case changes (photos
    /// saved meanwhile) and would otherwise offer the same settlement a
    /// second time.
    pub settling: RwSignal<Vec<OpId>>,
    /// The evidence card's form is open.
    pub adding: RwSignal<bool>,
    /// The photos and signatures taken on the evidence card.
    pub staged: Staged,
    /// The evidence card is recording what was taken: another save now
    /// would record the items not yet done a second time.
    pub attaching: RwSignal<bool>,
    /// Whose drafts of which case these are (none without a user): where
    /// they are kept. Plain values, so that a save finishing after the
    /// screen closed still finds them.
    key: Option<(UserId, CaseId)>,
    /// What is kept.
    kept: StoredValue<Kept>,
}

/// Why an action form's save was refused: for the form as a whole, and
/// by input name, beside the input.
#[derive(Clone, Copy)]
pub(super) struct Said {
    pub error: RwSignal<Option<FormError>>,
    pub problems: RwSignal<BTreeMap<String, FieldProblem>>,
}

impl Drafts {
    /// The drafts of `case`'s screen for `user`, under the current owner
    /// (the screen's): the action form kept open, if any.
    pub fn new(case: CaseId, user: Option<UserId>) -> Drafts {
        let key = user.map(|user| (user, case));
        let kept: Kept = key
            .and_then(|(user, case)| draft::load(&draft::case(user, case)))
            .unwrap_or_default();
        let open = kept.open.as_deref().and_then(ActionKind::from_code);
        Drafts {
            owner: StoredValue::new(Owner::current().unwrap_or_default().downgrade()),
            open: RwSignal::new(open),
            fields: StoredValue::new(BTreeMap::new()),
            said: StoredValue::new(BTreeMap::new()),
            // The correction form shows the complainant as the user may
            // see them now, not as they could when it was kept.
            edit: RwSignal::new(kept.edit.clone().map(|edit| {
                let ctx = crate::state::use_app();
                let shown = untrack(|| {
                    ctx.cases
                        .with(|cases| ctx.shown(cases.get(&case).map(|c| &**c)))
                });
                EditDraft::restore(edit.masked(shown))
            })),
            saving: RwSignal::new(false),
            settling: RwSignal::new(Vec::new()),
            adding: RwSignal::new(false),
            staged: Staged::new(),
            attaching: RwSignal::new(false),
            key,
            kept: StoredValue::new(kept),
        }
    }

    /// Why `kind`'s form was refused last, made under the screen's owner
    /// at its first opening.
    pub fn said(&self, kind: ActionKind) -> Said {
        if let Some(said) = self.said.with_value(|all| all.get(&kind).copied()) {
            return said;
        }
        let said = self.under(|| Said {
            error: RwSignal::new(None),
            problems: RwSignal::new(BTreeMap::new()),
        });
        self.said.update_value(|all| {
            all.insert(kind, said);
        });
        said
    }

    /// The inputs of `kind`'s form: those typed before, or new ones with
    /// `role`'s defaults, then `start` (what the case holds already, for a
    /// form that corrects it).
    pub fn fields(
        &self,
        kind: ActionKind,
        role: Role,
        start: impl FnOnce(&ActionFields),
    ) -> ActionFields {
        if let Some(fields) = self.fields.with_value(|all| all.get(&kind).copied()) {
            return fields;
        }
        let fields = self.under(|| ActionFields::new(role));
        match self.kept.with_value(|k| k.forms.get(kind.code()).cloned()) {
            // A kept draft's choices are compared with what the form would
            // open with now, not with the role's bare defaults.
            Some(typed) => {
                let fresh = self.under(|| ActionFields::new(role));
                start(&fresh);
                fields.opened_as(&fresh);
                fields.fill(&typed);
            }
            None => {
                start(&fields);
                fields.opened_as(&fields);
            }
        }
        self.fields.update_value(|all| {
            all.insert(kind, fields);
        });
        fields
    }

    /// Opens `kind`'s form on a case in `state`. A form left open
    /// with nothing typed in it (another one opened since) is on the
    /// state now shown; a draft stays on the one it was typed on.
    pub fn opening(&self, kind: ActionKind, state: shared::case::CaseState) {
        if let Some(fields) = self.fields.with_value(|all| all.get(&kind).copied())
            && untrack(|| fields.typed()).is_none()
        {
            fields.state_seen.set(state.code().to_string());
        }
        self.open.set(Some(kind));
    }

    /// Keeps what `kind`'s form holds (`None`: no words typed in it), and
    /// which form is open.
    pub fn keep(&self, kind: ActionKind, typed: Option<BTreeMap<String, Typed>>) {
        // A form already saved or cancelled is not kept again by a redrawn
        // card's first look at its inputs.
        let current = self
            .fields
            .try_with_value(|all| all.contains_key(&kind))
            .unwrap_or(false);
        if typed.is_some() && !current {
            return;
        }
        self.store(|kept| match typed {
            Some(typed) => {
                kept.forms.insert(kind.code().to_string(), typed);
            }
            None => {
                kept.forms.remove(kind.code());
            }
        });
    }

    /// Keeps the correction form as it is (`None`: nothing changed in it,
    /// or it was saved or cancelled).
    pub fn keep_edit(&self, edit: Option<KeptEdit>) {
        // A form already closed is not kept again by its last look at its
        // inputs.
        let open = self
            .edit
            .try_with_untracked(Option::is_some)
            .unwrap_or(false);
        if edit.is_some() && !open {
            return;
        }
        self.store(|kept| kept.edit = edit);
    }

    /// Changes what is kept, and keeps which action form is open.
    fn store(&self, change: impl FnOnce(&mut Kept)) {
        // The screen may be gone (a save that finished after the user left
        // the case): what local storage holds is then what is changed.
        let Some((user, case)) = self.key else {
            return;
        };
        let key = draft::case(user, case);
        let mut kept = self
            .kept
            .try_with_value(|k| k.clone())
            .or_else(|| draft::load(&key))
            .unwrap_or_default();
        change(&mut kept);
        kept.open = self
            .open
            .try_get_untracked()
            .flatten()
            .map(|o| o.code().to_string());
        let any = !kept.forms.is_empty() || kept.edit.is_some();
        draft::keep(&key, any.then_some(&kept));
        let _ = self.kept.try_set_value(kept);
    }

    /// Closes the action form and forgets what was typed in `kind`'s (it
    /// was saved, or cancelled). Also when the screen is gone meanwhile.
    pub fn done(&self, kind: ActionKind) {
        let _ = self.open.try_set(None);
        let _ = self.fields.try_update_value(|all| {
            all.remove(&kind);
        });
        if let Some(said) = self
            .said
            .try_with_value(|all| all.get(&kind).copied())
            .flatten()
        {
            let _ = said.error.try_set(None);
            let _ = said.problems.try_set(BTreeMap::new());
        }
        self.keep(kind, None);
    }

    /// Opens the correction form on the registration as it stands now.
    pub fn open_edit(&self, registration: &Registration, tz: chrono_tz::Tz) {
        let draft = self.under(|| EditDraft::of(registration, tz));
        self.edit.set(Some(draft));
    }

    /// Closes the correction form and forgets what was typed in it (it was
    /// saved, or cancelled). Also when the screen is gone meanwhile.
    pub fn close_edit(&self) {
        let _ = self.edit.try_set(None);
        self.keep_edit(None);
    }

    /// Runs `make` under the screen's owner.
    fn under<T>(&self, make: impl FnOnce() -> T) -> T {
        match self.owner.with_value(WeakOwner::upgrade) {
            Some(owner) => owner.with(make),
            None => make(),
        }
    }
}
