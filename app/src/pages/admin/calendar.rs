//! 节假日: importing a year's holiday schedule, previewed first: typed as
//! the State Council's notice writes its days (`shared::calendar::notice`),
//! or as a JSON file.

use super::token;
use crate::api::{self, ApiError, admin};
use crate::components::form::Unsaved;
use crate::state::use_app;
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calendar::YearSchedule;
use shared::calendar::notice::{self, UnreadDays};
use shared::lang::Lang;
use wasm_bindgen::{JsCast, JsValue};

/// The calendar tab.
#[component]
pub fn CalendarTab() -> impl IntoView {
    let ctx = use_app();
    let input = RwSignal::new(String::new());
    // What the shown preview was made from: apply sends exactly that.
    let previewed = RwSignal::new(None::<(String, YearSchedule)>);
    let preview = RwSignal::new(None::<admin::CalendarPreview>);
    let error = RwSignal::new(None::<CalendarError>);
    let done = RwSignal::new(None::<String>);
    let unsaved = Unsaved::track(move || input.get());

    // Asks the server what importing the typed schedule would do; the
    // preview remembers what it was made from.
    let check = Action::new_local(move |(raw, schedule): &(String, YearSchedule)| {
        let (raw, schedule) = (raw.clone(), schedule.clone());
        async move {
            let result = admin::preview_calendar(&token(ctx)?, &schedule).await;
            match &result {
                Ok(p) => {
                    preview.set(Some(p.clone()));
                    previewed.set(Some((raw, schedule)));
                }
                Err(e) => error.set(Some(CalendarError::Api(e.clone()))),
            }
            result.map(drop)
        }
    });
    // Imports the previewed schedule, pasted or read as `raw`.
    let load = Action::new_local(move |(raw, schedule): &(String, YearSchedule)| {
        let (raw, schedule) = (raw.clone(), schedule.clone());
        async move {
            let result = admin::put_calendar(&token(ctx)?, &schedule).await;
            match &result {
                Ok(p) => {
                    let l = ctx.l();
                    done.set(Some(match l {
                        Lang::ZhCn => format!("已导入 {} 年节假日安排", p.year),
                        Lang::En => format!("The {} holiday schedule is loaded", p.year),
                    }));
                    preview.set(Some(p.clone()));
                    // Applied: the button stays off until another preview.
                    previewed.set(None);
                    unsaved.settle_to(raw);
                    crate::sync::request(ctx);
                }
                Err(e) => error.set(Some(CalendarError::Api(e.clone()))),
            }
            result.map(drop)
        }
    });
    let busy = move || check.pending().get() || load.pending().get();

    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = chosen_file(&ev) else {
            return;
        };
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(content) => {
                    input.set(content.as_string().unwrap_or_default());
                    preview.set(None);
                    previewed.set(None);
                    error.set(None);
                }
                Err(_) => error.set(Some(CalendarError::File)),
            }
        });
    };
    let run_preview = move || {
        error.set(None);
        done.set(None);
        preview.set(None);
        previewed.set(None);
        let raw = input.get_untracked();
        let schedule = match serde_json::from_str::<YearSchedule>(&raw) {
            Ok(s) => s,
            Err(e) => {
                error.set(Some(CalendarError::Json {
                    line: e.line(),
                    column: e.column(),
                    detail: e.to_string(),
                }));
                return;
            }
        };
        if ctx.token().is_none() {
            return;
        }
        check.dispatch_local((raw, schedule));
    };
    let can_apply = move || {
        let clean = preview.with(|p| p.as_ref().is_some_and(|p| p.error.is_none()));
        let same = previewed.with(|p| p.as_ref().is_some_and(|(raw, _)| input.with(|i| i == raw)));
        clean && same && !busy()
    };
    let apply = move |_| {
        let Some(previewed) = previewed.get_untracked() else {
            return;
        };
        if ctx.token().is_none() {
            return;
        }
        error.set(None);
        load.dispatch_local(previewed);
    };
    // The notice's days as typed: made into the schedule's JSON in the box
    // below, which is previewed and applied as a file's is.
    let next_year = ctx
        .now
        .get_untracked()
        .with_timezone(&super::company_tz(ctx))
        .year()
        + 1;
    let year = RwSignal::new(next_year.to_string());
    let rest = RwSignal::new(String::new());
    let work = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let typed_problem = RwSignal::new(None::<TypedProblem>);
    let from_notice = move |_| {
        typed_problem.set(None);
        let Some(y) = shared::validation::parse_count(&year.get_untracked())
            .and_then(|y| i32::try_from(y).ok())
        else {
            typed_problem.set(Some(TypedProblem::Year));
            return;
        };
        let rest_days = match notice::days(&rest.get_untracked(), y) {
            Ok(days) => days,
            Err(e) => return typed_problem.set(Some(TypedProblem::Rest(e))),
        };
        let workdays = match notice::days(&work.get_untracked(), y) {
            Ok(days) => days,
            Err(e) => return typed_problem.set(Some(TypedProblem::Work(e))),
        };
        let schedule = YearSchedule {
            year: y,
            rest_days,
            workdays,
            source: source.get_untracked().trim().to_string(),
        };
        input.set(serde_json::to_string_pretty(&schedule).unwrap_or_default());
        run_preview();
    };
    let beside = move |field: &'static str| {
        move || {
            typed_problem.with(|p| {
                p.as_ref()
                    .filter(|p| p.field() == field)
                    .map(|p| p.message(ctx.lang.get()))
            })
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-calendar">
            <h3>{t("节假日安排", "Holiday calendar")}</h3>
            <p class="hint">{t(
                "每年国务院公布下一年的放假安排后，导入该年的文件（JSON：year、rest_days 放假日、workdays 调休上班日、source 通知名称）。先预览核对，再应用。",
                "When the State Council publishes next year's holidays, import that year's file (JSON: year, rest_days, workdays for make-up working days, source for the notice). Preview and check it, then apply.",
            )}</p>
            <div class="card admin-form" data-testid="calendar-notice">
                <h4>{t("按通知填写", "As the notice writes it")}</h4>
                <label class="field">
                    <span>{t("年份", "Year")}</span>
                    <input type="text" inputmode="numeric" data-testid="notice-year"
                        prop:value=move || year.get() on:input=move |ev| year.set(event_target_value(&ev))/>
                    <span class="field-error" role="alert" data-testid="notice-year-error">{beside("year")}</span>
                </label>
                <label class="field">
                    <span>{t(
                        "放假日期：每行一个日期或范围，可直接复制通知原文，如“2月6日（星期六）至12日（星期五）”",
                        "Rest days: a date or range per line, as the notice writes them, such as 2027-02-06~2027-02-12",
                    )}</span>
                    <textarea data-testid="notice-rest" prop:value=move || rest.get()
                        on:input=move |ev| rest.set(event_target_value(&ev))></textarea>
                    <span class="field-error" role="alert" data-testid="notice-rest-error">{beside("rest")}</span>
                </label>
                <label class="field">
                    <span>{t("调休上班日期（周末上班的日子）", "Make-up working days (weekend days worked)")}</span>
                    <textarea data-testid="notice-work" prop:value=move || work.get()
                        on:input=move |ev| work.set(event_target_value(&ev))></textarea>
                    <span class="field-error" role="alert" data-testid="notice-work-error">{beside("work")}</span>
                </label>
                <label class="field">
                    <span>{t("通知文号", "The notice")}</span>
                    <input type="text" data-testid="notice-source" placeholder=t("如 国办发明电〔2026〕…号", "such as 国办发明电〔2026〕…号")
                        prop:value=move || source.get() on:input=move |ev| source.set(event_target_value(&ev))/>
                </label>
                <div class="actions">
                    <button type="button" class="btn" data-testid="notice-preview"
                        disabled=busy on:click=from_notice>
                        {t("生成并预览", "Make and preview")}
                    </button>
                </div>
            </div>
            <div class="card admin-form">
                <label class="field">
                    <span>{t("选择文件", "Choose a file")}</span>
                    <input type="file" accept=".json,application/json" data-testid="calendar-file" on:change=on_file/>
                </label>
                <label class="field">
                    <span>{t("或粘贴 JSON", "Or paste the JSON")}</span>
                    <textarea class="admin-json" data-testid="calendar-input" spellcheck="false"
                        prop:value=move || input.get() on:input=move |ev| input.set(event_target_value(&ev))></textarea>
                </label>
                <div class="actions">
                    <button type="button" class="btn" data-testid="calendar-preview"
                        disabled=move || busy() || input.with(|i| i.trim().is_empty()) on:click=move |_| run_preview()>
                        {t("预览", "Preview")}
                    </button>
                    <button type="button" class="btn primary" data-testid="calendar-apply"
                        disabled=move || !can_apply() on:click=apply>
                        {t("应用", "Apply")}
                    </button>
                </div>
                <p class="error" role="alert" data-testid="admin-error">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
                <p class="admin-done" role="status" data-testid="calendar-status">{move || done.get()}</p>
            </div>
            {move || preview.get().map(|p| view! { <CalendarPreview preview=p/> })}
        </div>
    }
}

/// What of the notice's typed days could not be read.
#[derive(Debug, Clone)]
enum TypedProblem {
    Year,
    Rest(UnreadDays),
    Work(UnreadDays),
}

impl TypedProblem {
    /// The field it is said beside.
    fn field(&self) -> &'static str {
        match self {
            TypedProblem::Year => "year",
            TypedProblem::Rest(_) => "rest",
            TypedProblem::Work(_) => "work",
        }
    }

    fn message(&self, l: Lang) -> String {
        match self {
            TypedProblem::Year => l
                .pick("请填写年份，如 2027", "Enter the year, such as 2027")
                .into(),
            TypedProblem::Rest(e) | TypedProblem::Work(e) => match l {
                Lang::ZhCn => e.message_zh(),
                Lang::En => e.message_en(),
            },
        }
    }
}

/// Why a schedule was not previewed or imported; worded when shown.
#[derive(Debug, Clone)]
enum CalendarError {
    /// The chosen file could not be read.
    File,
    /// What was typed or read is not a schedule: where, and serde's words.
    Json {
        line: usize,
        column: usize,
        detail: String,
    },
    /// The server refused, or could not be reached.
    Api(ApiError),
}

impl CalendarError {
    fn message(&self, l: Lang) -> String {
        match self {
            CalendarError::File => l
                .pick("无法读取所选文件", "Could not read the chosen file")
                .into(),
            // serde's words are English; the place is not.
            CalendarError::Json {
                line,
                column,
                detail,
            } => match l {
                Lang::ZhCn => format!(
                    "不是有效的节假日安排 JSON（需要 year、rest_days、workdays、source），问题在第 {line} 行第 {column} 列"
                ),
                Lang::En => format!(
                    "Not a valid holiday schedule JSON (year, rest_days, workdays, source are needed): {detail}"
                ),
            },
            CalendarError::Api(e) => e.message(l),
        }
    }
}

/// The file an `<input type=file>` holds, as a `Blob`. Read through
/// `Reflect` so that the app needs no extra `web-sys` features.
fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::Blob> {
    let target: JsValue = ev.target()?.into();
    let files = js_sys::Reflect::get(&target, &JsValue::from_str("files")).ok()?;
    let file = js_sys::Reflect::get(&files, &JsValue::from_f64(0.0)).ok()?;
    if file.is_undefined() || file.is_null() {
        return None;
    }
    Some(file.unchecked_into())
}

/// `2026-10-01 周四` / `2026-10-01 Thu`.
fn day_label(date: NaiveDate, l: Lang) -> String {
    let i = date.weekday().num_days_from_monday() as usize;
    let zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!("{date} {}", l.pick(zh[i], en[i]))
}

#[component]
fn CalendarPreview(preview: admin::CalendarPreview) -> impl IntoView {
    let ctx = use_app();
    let l = ctx.lang.get_untracked();
    let days = |dates: &[NaiveDate], testid: &'static str| {
        dates
            .iter()
            .map(|&d| view! { <li data-testid=testid data-date=d.to_string()>{day_label(d, l)}</li> })
            .collect_view()
    };
    let rest_count = preview.rest_days.len();
    let work_count = preview.workdays.len();
    let loaded_years = preview
        .loaded_years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join("、");
    let replaces = preview.replaces;
    let problem = preview.error.as_ref().map(|e| {
        let message = l.pick(&e.message_zh, &e.message_en);
        let message = if message.is_empty() {
            api::code_words(&e.code, l)
        } else {
            message.to_string()
        };
        view! {
            <p class="error" role="alert" data-testid="calendar-problem" data-code=e.code.clone()>
                {l.pick("无法应用：", "Cannot be applied: ")}{message}
            </p>
        }
    });
    let year = preview.year;
    view! {
        <div class="card admin-preview" data-testid="calendar-result">
            <dl class="admin-kvs">
                <div class="kv"><dt>{l.pick("年份", "Year")}</dt><dd data-testid="calendar-year">{year}</dd></div>
                <div class="kv"><dt>{l.pick("依据", "Source")}</dt><dd>{preview.source.clone()}</dd></div>
                <div class="kv"><dt>{l.pick("导入方式", "Import")}</dt>
                    <dd data-testid="calendar-replaces" data-replaces=replaces.to_string()>
                        {if replaces { l.pick("替换已导入的同一年份", "Replaces the year already loaded") } else { l.pick("新增年份", "Adds a new year") }}
                    </dd></div>
                <div class="kv"><dt>{l.pick("已导入年份", "Years loaded")}</dt><dd>{loaded_years}</dd></div>
            </dl>
            {problem}
            <div class="admin-days">
                <div>
                    <h4>{match l { Lang::ZhCn => format!("放假日（{rest_count} 天）"), Lang::En => format!("Rest days ({rest_count})") }}</h4>
                    <ul class="admin-day-list rest">{days(&preview.rest_days, "calendar-rest-day")}</ul>
                </div>
                <div>
                    <h4>{match l { Lang::ZhCn => format!("调休上班日（{work_count} 天）"), Lang::En => format!("Make-up working days ({work_count})") }}</h4>
                    <ul class="admin-day-list work">{days(&preview.workdays, "calendar-workday")}</ul>
                </div>
            </div>
        </div>
    }
}
