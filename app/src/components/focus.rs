//! The focus of a screen drawn again: a sync that brings a colleague's op
//! on the open case draws its screen anew, and the field being typed in
//! with it, which took the focus away (on a tablet the on-screen keyboard
//! closed mid-sentence). What was typed stays by the drafts; the focus and
//! the caret are given back here.

use wasm_bindgen::{JsCast, JsValue};

/// Where the focus was: the focused element's test id, which of the
/// elements with it (the captions of three photos share one), and the
/// caret.
pub struct Focus {
    test_id: String,
    index: u32,
    selection: Option<(JsValue, JsValue)>,
}

/// The elements with `test_id` in the page, in document order.
fn with_test_id(test_id: &str) -> Option<web_sys::NodeList> {
    leptos::prelude::document()
        .query_selector_all(&format!("[data-testid=\"{test_id}\"]"))
        .ok()
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
    let same = with_test_id(&test_id)?;
    let index = (0..same.length())
        .find(|&i| same.item(i).is_some_and(|n| n.is_same_node(Some(&active))))
        .unwrap_or(0);
    Some(Focus {
        test_id,
        index,
        selection,
    })
}

/// Gives the focus back, once the screen is drawn, to the element with
/// the test id it was on (the same one of several), with its caret.
pub fn restore(focus: Focus) {
    leptos::prelude::request_animation_frame(move || {
        let doc = leptos::prelude::document();
        let Some(element) = with_test_id(&focus.test_id)
            .and_then(|same| same.item(focus.index))
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
