//! The tablet's clock against the server's.
//!
//! An op carries the time its tablet's clock gave, and the deadlines and
//! the inbox run on it too. The server refuses a clock that runs ahead
//! (`clock.out_of_range`), and one that runs behind by more than the
//! allowed skew (`clock.behind`), but a clock behind by less goes
//! unnoticed: a registration recorded hours "ago" is overdue sooner in
//! head office's figures than the tablet shows it. So every answer of the
//! server tells the tablet how far apart the two clocks are (its HTTP
//! `Date`), and the app says so, until the clock is set right, across
//! reloads and offline (what was last heard is kept in `localStorage`).

use leptos::prelude::*;

/// The `localStorage` key of the last skew heard, in seconds.
const KEY: &str = "clock-skew";
/// Apart by more than this, the tablet's clock is called wrong: far more
/// than a request's travel and the `Date` header's whole seconds.
pub const WRONG_AFTER_SECS: i64 = 5 * 60;
/// A new skew within this of the last one is the same (the `Date` header
/// has whole seconds, and requests take their time).
const SAME_WITHIN_SECS: i64 = 30;

thread_local! {
    static SKEW: ArcRwSignal<i64> = ArcRwSignal::new(stored());
}

/// How many seconds the server's clock was ahead of this tablet's
/// (negative: behind) when it last answered.
pub fn skew() -> ArcRwSignal<i64> {
    SKEW.with(Clone::clone)
}

/// Takes note of the server's time in an answer.
pub fn heard(resp: &gloo_net::http::Response) {
    let Some(date) = resp.headers().get("date") else {
        return;
    };
    let server = js_sys::Date::parse(&date);
    if server.is_nan() {
        return;
    }
    let skew = ((server - js_sys::Date::now()) / 1000.0).round() as i64;
    SKEW.with(|s| {
        if (s.get_untracked() - skew).abs() > SAME_WITHIN_SECS {
            s.set(skew);
            if let Some(storage) = crate::local_storage() {
                let _ = storage.set_item(KEY, &skew.to_string());
            }
        }
    });
}

fn stored() -> i64 {
    crate::local_storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A skew for a person: "2 天 3 小时" / "2 d 3 h", "12 分钟" / "12 min".
pub fn spoken(secs: i64, lang: shared::lang::Lang) -> String {
    // To the nearest minute: the server's `Date` has whole seconds.
    let minutes = (secs.abs() + 30) / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let mut parts = Vec::new();
    for (n, zh, en) in [(days, "天", "d"), (hours, "小时", "h")] {
        if n > 0 {
            parts.push(format!("{n} {}", lang.pick(zh, en)));
        }
    }
    if days == 0 && (minutes > 0 || parts.is_empty()) {
        parts.push(format!("{minutes} {}", lang.pick("分钟", "min")));
    }
    parts.join(" ")
}
