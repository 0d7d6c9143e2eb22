//! Drafts: what is typed into a form, kept in the browser's local storage
//! as it is typed, so that a reload, a tablet that discarded the tab in the
//! background or a tap on another screen does not lose it. There are three
//! kinds: the intake form's (a registration half taken down), the inbox's
//! hand-over forms (`handover`, one per property) and a case
//! screen's action forms (`detail::drafts`). A draft is its user's own
//! (keyed by their id), goes when its form is saved or discarded, and every
//! draft goes when another user logs in on the tablet (who is told first,
//! and logs in again to confirm). Photos and
//! signatures are not kept: they are bytes, recorded only with their op.

use leptos::prelude::{GetUntracked, Set};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::id::{CaseId, PropertyId, UserId};
use shared::property::Location;

/// The key prefix of every draft.
const PREFIX: &str = "draft:";

/// Where `user`'s intake draft is kept.
pub fn intake(user: UserId) -> String {
    format!("{PREFIX}intake:{user}")
}

/// Where `user`'s drafts on `case`'s screen are kept.
pub fn case(user: UserId, case: CaseId) -> String {
    format!("{PREFIX}case:{user}:{case}")
}

/// Where `user`'s hand-over form for `property`'s cases (the inbox's) is
/// kept.
pub fn handover(user: UserId, property: PropertyId) -> String {
    format!("{PREFIX}handover:{user}:{property}")
}

/// The intake form's fields, as typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: String,
    pub property: String,
    /// `None` until a building or the public area is chosen.
    pub location: Option<Location>,
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    pub channel: String,
    pub received: String,
    pub category: String,
    pub content: String,
    pub remedy: String,
    pub related: String,
    /// Absent from drafts kept by builds before it.
    #[serde(default)]
    pub source: String,
    /// The id the case takes when it is registered, drawn when the form
    /// opens and kept with the draft from the first thing typed: a draft
    /// whose case the tablet holds was registered, and is not offered
    /// again (the browser killed between the registration's commit and
    /// the draft's removal, which are two stores). Absent from drafts kept
    /// by builds before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseId>,
}

impl Draft {
    /// Whether it holds only what `blank` (the form as opened) holds. The
    /// time received is left out: the blank form's is the time it opened,
    /// so a form emptied later would be a draft for it alone; so is the
    /// case id, which is no typing.
    pub fn is_blank(&self, blank: &Draft) -> bool {
        let same_time = Draft {
            received: blank.received.clone(),
            case: blank.case,
            ..self.clone()
        };
        same_time == *blank
    }
}

/// The draft kept under `key`, if one is.
pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = crate::local_storage()?.get_item(key).ok()??;
    serde_json::from_str(&text).ok()
}

/// Keeps `draft` under `key`, or forgets what is kept there for `None`.
pub fn keep<T: Serialize>(key: &str, draft: Option<&T>) {
    let Some(storage) = crate::local_storage() else {
        return;
    };
    let kept = match draft {
        Some(draft) => serde_json::to_string(draft)
            .ok()
            .and_then(|text| storage.set_item(key, &text).ok()),
        None => storage.remove_item(key).ok(),
    };
    if kept.is_none() {
        leptos::logging::warn!("the draft {key} could not be kept");
    }
    // Said on the screen while the browser refuses (its storage full,
    // say); the next draft kept ends it.
    if let Some(ctx) = leptos::prelude::use_context::<crate::state::AppCtx>() {
        let refused = kept.is_none();
        if ctx.drafts_refused.get_untracked() != refused {
            ctx.drafts_refused.set(refused);
        }
    }
}

/// How many drafts `user` keeps on the tablet.
pub fn kept_by(user: UserId) -> usize {
    let user = user.to_string();
    owners().filter(|owner| *owner == user).count()
}

/// How many drafts users other than `user` keep on the tablet.
pub fn kept_by_others(user: UserId) -> usize {
    let user = user.to_string();
    owners().filter(|owner| *owner != user).count()
}

/// The owner of each draft on the tablet, by its key:
/// `draft:intake:{user}`, `draft:case:{user}:{case}` or
/// `draft:handover:{user}:{property}`.
fn owners() -> impl Iterator<Item = String> {
    keys().into_iter().filter_map(|k| {
        k.strip_prefix(PREFIX)
            .and_then(|rest| rest.split(':').nth(1))
            .map(str::to_string)
    })
}

/// Every draft's key on the tablet.
fn keys() -> Vec<String> {
    let Some(storage) = crate::local_storage() else {
        return Vec::new();
    };
    (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect()
}

/// Forgets every user's drafts on the screens of `cases` (deleted at the
/// end of their retention: a half-typed correction holds the
/// complainant's name and phone).
pub fn forget_cases(cases: &[CaseId]) {
    let Some(storage) = crate::local_storage() else {
        return;
    };
    let ends: Vec<String> = cases.iter().map(|c| format!(":{c}")).collect();
    let case_drafts = keys().into_iter().filter(|k| {
        k.starts_with(&format!("{PREFIX}case:")) && ends.iter().any(|e| k.ends_with(e))
    });
    for k in case_drafts {
        let _ = storage.remove_item(&k);
    }
}

/// Forgets every user's drafts (another user logs in on the tablet).
pub fn forget_all() {
    let Some(storage) = crate::local_storage() else {
        return;
    };
    for k in keys() {
        let _ = storage.remove_item(&k);
    }
}
