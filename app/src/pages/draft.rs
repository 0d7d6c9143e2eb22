//! The intake form's draft: what is typed into it, kept in the browser's
//! local storage as it is typed, so that a reload, a tablet that discarded
//! the tab in the background or a tap on another screen does not lose a
//! registration half taken down. It is the user's own (keyed by their id),
//! goes when the case is saved or the draft is discarded, and every draft
//! goes when another user logs in on the tablet. Photos and signatures are
//! not kept: they are bytes, recorded only with the case.

use serde::{Deserialize, Serialize};
use shared::id::UserId;
use shared::property::Location;

/// The key prefix of every draft.
const PREFIX: &str = "intake-draft:";

/// The intake form's fields, as typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: String,
    pub property: String,
    pub location: Location,
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    pub channel: String,
    pub received: String,
    pub category: String,
    pub content: String,
    pub remedy: String,
    pub related: String,
}

impl Draft {
    /// Whether anything a person typed is in it (a form only opened holds
    /// its defaults, which are no draft).
    pub fn typed(&self) -> bool {
        [
            &self.name,
            &self.phone,
            &self.content,
            &self.remedy,
            &self.related,
        ]
        .iter()
        .any(|s| !s.trim().is_empty())
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(user: UserId) -> String {
    format!("{PREFIX}{user}")
}

/// `user`'s draft, if one is kept.
pub fn load(user: UserId) -> Option<Draft> {
    let text = storage()?.get_item(&key(user)).ok()??;
    serde_json::from_str(&text).ok()
}

/// Keeps `draft` as `user`'s, or forgets theirs when nothing is typed in it.
pub fn save(user: UserId, draft: &Draft) {
    let Some(storage) = storage() else { return };
    let stored = if draft.typed() {
        serde_json::to_string(draft)
            .ok()
            .and_then(|text| storage.set_item(&key(user), &text).ok())
    } else {
        storage.remove_item(&key(user)).ok()
    };
    if stored.is_none() {
        leptos::logging::warn!("the intake draft could not be kept");
    }
}

/// Forgets `user`'s draft.
pub fn forget(user: UserId) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(user));
    }
}

/// Forgets every user's draft (another user logs in on the tablet).
pub fn forget_all() {
    let Some(storage) = storage() else { return };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    for k in keys {
        let _ = storage.remove_item(&k);
    }
}
