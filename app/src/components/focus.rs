//! The focus of a screen drawn again: a sync that brings a colleague's op
//! on the open case draws its screen anew, and the field being typed in
//! with it, which took the focus away (on a tablet the on-screen keyboard
//! closed mid-sentence). What was typed stays by the drafts; the focus and
//! the caret are given back here.

use wasm_bindgen::{JsCast, JsValue};

/// Where the focus was: the focused element's test id, and the caret.
pub struct Focus {
    test_id: String,
    selection: Option<(JsValue, JsValue)>,
}

/// The focus, if it is on an element with a test id inside the element
/// whose test id is `within`.
pub fn remember(within: &str) -> Option<Focus> {
    let doc = leptos::prelude::document();
    let active = doc.active_element()?;
    let test_id = active.get_attribute("data-testid")?;
    let container = doc
        .query_selector(&format!("[data-testid=\"{within}\"]"))
        .ok()??;
    if !container.contains(Some(&active)) {
        return None;
    }
    let get = |name: &str| js_sys::Reflect::get(&active, &JsValue::from_str(name)).ok();
    let selection = get("selectionStart")
        .zip(get("selectionEnd"))
        .filter(|(start, _)| start.as_f64().is_some());
    Some(Focus { test_id, selection })
}

/// Gives the focus back, once the screen is drawn, to the element with
/// the test id it was on, with its caret.
pub fn restore(focus: Focus) {
    leptos::prelude::request_animation_frame(move || {
        let doc = leptos::prelude::document();
        let Some(element) = doc
            .query_selector(&format!("[data-testid=\"{}\"]", focus.test_id))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        if doc.active_element().as_ref() == Some(element.as_ref()) {
            return;
        }
        let _ = element.focus();
        if let Some((start, end)) = focus.selection {
            let set = js_sys::Reflect::get(&element, &JsValue::from_str("setSelectionRange"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            if let Some(set) = set {
                let _ = set.call2(&element, &start, &end);
            }
        }
    });
}
