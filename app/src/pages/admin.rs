//! Administration (admin role, online only): users, devices, properties,
//! categories, company settings, the holiday calendar, the quarantine list
//! and the audit log, one tab each.
//!
//! Every tab loads its data from the server when it opens and writes
//! straight back to it: administration changes the company's shared
//! configuration, which only the server holds, so nothing here is queued
//! offline. What the devices need of it (settings, categories, calendar,
//! properties, users) reaches them through the ordinary pull; after a
//! change this screen asks for a sync so that this device has it at once.
//!
//! The server checks the role and every value; the app only hides the
//! screen from other roles and shows the server's refusals. Types the
//! server shares with the app come from `shared`; the server's own
//! records (devices, quarantine entries, audit records, calendar previews)
//! are read as `serde_json::Value`, since the screen only displays them.

use crate::api::{self, ApiError, Method};
use crate::i18n;
use crate::state::{AppCtx, use_app};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::calendar::YearSchedule;
use shared::category::Category;
use shared::compensation::format_yuan;
use shared::deadline::Clock;
use shared::id::{BuildingId, PropertyId, UnitId};
use shared::lang::Lang;
use shared::op::Op;
use shared::property::{Building, Property, Unit};
use shared::role::{Role, User};
use shared::settings::Settings;
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};

/// The administration screen.
#[component]
pub fn AdminPage() -> impl IntoView {
    let ctx = use_app();
    let tab = RwSignal::new(Tab::Users);
    let online = RwSignal::new(window().navigator().on_line());
    let on = window_event_listener(leptos::ev::online, move |_| online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <section class="admin" data-testid="admin">
            <h2>{t("系统管理", "Administration")}</h2>
            <nav class="admin-tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|tb| {
                        view! {
                            <button type="button" class="admin-tab" role="tab"
                                class:active=move || tab.get() == tb
                                aria-selected=move || (tab.get() == tb).to_string()
                                data-testid=tb.testid()
                                on:click=move |_| tab.set(tb)>
                                {move || tb.label(ctx.lang.get())}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            {move || {
                if ctx.role() != Some(Role::Admin) {
                    return view! {
                        <p class="card error" data-testid="admin-forbidden">
                            {t("只有系统管理员可以使用管理功能。", "Only the system administrator may use administration.")}
                        </p>
                    }
                        .into_any();
                }
                if !online.get() {
                    return view! {
                        <p class="card admin-offline" data-testid="admin-offline">
                            {t(
                                "管理功能需要联网。请连接网络后再试；工单登记和处理仍可离线进行。",
                                "Administration needs the network. Connect and try again; cases can still be registered and worked offline.",
                            )}
                        </p>
                    }
                        .into_any();
                }
                match tab.get() {
                    Tab::Users => view! { <UsersTab/> }.into_any(),
                    Tab::Devices => view! { <DevicesTab/> }.into_any(),
                    Tab::Properties => view! { <PropertiesTab/> }.into_any(),
                    Tab::Categories => view! { <CategoriesTab/> }.into_any(),
                    Tab::Settings => view! { <SettingsTab/> }.into_any(),
                    Tab::Calendar => view! { <CalendarTab/> }.into_any(),
                    Tab::Quarantine => view! { <QuarantineTab/> }.into_any(),
                    Tab::Audit => view! { <AuditTab/> }.into_any(),
                }
            }}
        </section>
    }
}

/// The tabs of the screen, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Users,
    Devices,
    Properties,
    Categories,
    Settings,
    Calendar,
    Quarantine,
    Audit,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Users,
        Tab::Devices,
        Tab::Properties,
        Tab::Categories,
        Tab::Settings,
        Tab::Calendar,
        Tab::Quarantine,
        Tab::Audit,
    ];

    fn testid(self) -> &'static str {
        match self {
            Tab::Users => "admin-tab-users",
            Tab::Devices => "admin-tab-devices",
            Tab::Properties => "admin-tab-properties",
            Tab::Categories => "admin-tab-categories",
            Tab::Settings => "admin-tab-settings",
            Tab::Calendar => "admin-tab-calendar",
            Tab::Quarantine => "admin-tab-quarantine",
            Tab::Audit => "admin-tab-audit",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Users => lang.pick("用户", "Users"),
            Tab::Devices => lang.pick("设备", "Devices"),
            Tab::Properties => lang.pick("项目", "Properties"),
            Tab::Categories => lang.pick("类别", "Categories"),
            Tab::Settings => lang.pick("设置", "Settings"),
            Tab::Calendar => lang.pick("节假日", "Holidays"),
            Tab::Quarantine => lang.pick("隔离区", "Quarantine"),
            Tab::Audit => lang.pick("审计日志", "Audit log"),
        }
    }
}

// ---- Loading and sending --------------------------------------------------

/// Server data a tab shows: `None` while loading.
type Loaded<T> = LocalResource<Result<T, ApiError>>;

/// Loads `url` when the tab opens (and again on `refetch`).
fn load<T: DeserializeOwned + 'static>(ctx: AppCtx, url: &'static str) -> Loaded<T> {
    LocalResource::new(move || fetch::<T>(ctx, url))
}

async fn fetch<T: DeserializeOwned>(ctx: AppCtx, url: &str) -> Result<T, ApiError> {
    let token = ctx.token().ok_or_else(logged_out)?;
    api::get(&token, url).await
}

/// The error for a request without a session (the screen is only shown
/// to a logged-in admin, so this means the session just ended).
fn logged_out() -> ApiError {
    ApiError::Unauthorized {
        code: "auth.no_session".into(),
    }
}

/// The view of a loaded resource: loading, the error, or `ready`'s view.
fn loaded<T>(res: Loaded<T>, ready: impl Fn(T) -> AnyView + Send + Sync + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let ctx = use_app();
    move || {
        match res.get() {
        None => view! {
            <p class="hint" data-testid="admin-loading">{move || ctx.lang.get().pick("正在加载…", "Loading…")}</p>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <p class="error" data-testid="admin-load-error">{move || e.message(ctx.lang.get())}</p>
        }
        .into_any(),
        Some(Ok(v)) => ready(v),
    }
    }
}

/// A JSON value as text: strings without quotes, null as nothing.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Problems beside the fields of one form: field name → message.
type FieldErrors = RwSignal<BTreeMap<&'static str, String>>;

/// Where a server refusal belongs in a form: beside `field` when the
/// answer's code is `code`, in the code's words or in `words` (zh, en),
/// which say it better for this form.
struct Route {
    code: &'static str,
    field: &'static str,
    words: Option<(&'static str, &'static str)>,
}

const fn route(code: &'static str, field: &'static str) -> Route {
    Route {
        code,
        field,
        words: None,
    }
}

/// Shows a refusal beside the field its code names, or, for a code that
/// names none, for the form as a whole.
fn show_refusal(
    e: &ApiError,
    l: Lang,
    routes: &[Route],
    beside: FieldErrors,
    general: RwSignal<Option<String>>,
) {
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
        None => general.set(Some(e.message(l))),
    }
}

/// The words the server would use for `code`, for a check the form makes
/// before it asks.
fn words(code: &str, l: Lang) -> String {
    api::code_words(code, l)
}

/// The message beside `field`, as `data-testid="{testid}"`.
fn field_error(errors: FieldErrors, field: &'static str, testid: String) -> impl IntoView {
    view! {
        <span class="field-error" role="alert" data-testid=testid>
            {move || errors.with(|e| e.get(field).cloned())}
        </span>
    }
}

/// The first 8 characters of an id, enough to tell ids apart on screen.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// A timestamp from the server in the company timezone.
fn when(v: &Value, tz: Tz) -> String {
    v.as_str()
        .and_then(|s| s.parse::<DateTime<Utc>>().ok())
        .map(|at| i18n::fmt_time(at, tz))
        .unwrap_or_else(|| text(v))
}

/// The company timezone, for showing times.
fn company_tz(ctx: AppCtx) -> Tz {
    ctx.config.with_untracked(|c| c.settings.tz())
}

/// A new UUIDv7 for an id made here (properties, buildings, units).
fn new_uuid() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// Splits a list of unit names typed with any common separator
/// (`101,102`, `101，102`, `101、102`, one per line).
fn split_names(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

// ---- Users ----------------------------------------------------------------

#[component]
fn UsersTab() -> impl IntoView {
    let ctx = use_app();
    let users: Loaded<Vec<User>> = load(ctx, "/api/v1/admin/users");
    let properties: Loaded<Vec<Property>> = load(ctx, "/api/v1/admin/properties");
    let error = RwSignal::new(None::<String>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-users">
            <h3>{t("用户", "Users")}</h3>
            {loaded(users, move |list| {
                let props = properties.get().and_then(Result::ok).unwrap_or_default();
                view! { <UserTable users=list properties=props reload=users error=error/> }.into_any()
            })}
            <NewUserForm properties=properties reload=users error=error/>
        </div>
    }
}

#[component]
fn UserTable(
    users: Vec<User>,
    properties: Vec<Property>,
    reload: Loaded<Vec<User>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let me = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.id));
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let rows = users
        .into_iter()
        .map(|u| {
            let (id, role, active) = (u.id, u.role, u.active);
            let codes = (!role.sees_all_properties()).then(|| {
                u.properties
                    .iter()
                    .map(|p| {
                        properties
                            .iter()
                            .find(|q| q.id == *p)
                            .map_or_else(|| short(&p.to_string()), |q| q.code.clone())
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            });
            let scope = move || {
                codes.clone().unwrap_or_else(|| {
                    ctx.lang.get().pick("全部项目", "All properties").into()
                })
            };
            let is_me = me == Some(id);
            let toggle = move |_| {
                let Some(token) = ctx.token() else {
                    return;
                };
                let url = format!("/api/v1/admin/users/{id}/active");
                spawn_local(async move {
                    let body = json!({ "active": !active });
                    match api::send_empty(Method::Put, &token, &url, &body).await {
                        Ok(()) => {
                            error.set(None);
                            reload.refetch();
                            crate::sync::request(ctx);
                        }
                        Err(e) => error.set(Some(e.message(ctx.l()))),
                    }
                });
            };
            view! {
                <tr data-testid="user-row" data-login=u.login.clone() data-active=active.to_string()>
                    <td>{u.login.clone()}</td>
                    <td>{u.display_name.clone()}</td>
                    <td>{move || role.label(ctx.lang.get())}</td>
                    <td>{scope}</td>
                    <td>{u.department.clone().unwrap_or_default()}</td>
                    <td>
                        <span class="badge" class:ok=active class:none=!active>
                            {move || if active { ctx.lang.get().pick("启用", "Active") } else { ctx.lang.get().pick("停用", "Disabled") }}
                        </span>
                    </td>
                    <td class="admin-row-actions">
                        <button type="button" class="btn small" class:danger=active data-testid="user-toggle"
                            disabled=is_me on:click=toggle>
                            {move || if active { ctx.lang.get().pick("停用", "Disable") } else { ctx.lang.get().pick("启用", "Enable") }}
                        </button>
                        <ResetPassword user=id/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="admin-table">
            <table data-testid="user-table">
                <thead><tr>
                    <th>{t("账号", "Login")}</th>
                    <th>{t("姓名", "Name")}</th>
                    <th>{t("角色", "Role")}</th>
                    <th>{t("项目", "Properties")}</th>
                    <th>{t("部门", "Department")}</th>
                    <th>{t("状态", "Status")}</th>
                    <th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// 重置密码: the admin types a temporary password for a user, who must
/// choose their own at their next login. The admin tells it to them in
/// person; it is never shown again.
#[component]
fn ResetPassword(user: shared::id::UserId) -> impl IntoView {
    let ctx = use_app();
    let open = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // The outcome: Ok(()) after a reset, or why it failed.
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let submit = move |_| {
        if busy.get_untracked() {
            return;
        }
        let l = ctx.l();
        let new = password.get_untracked();
        if new.chars().count() < shared::validation::MIN_PASSWORD_CHARS {
            outcome.set(Some(Err(api::password_too_short(l))));
            return;
        }
        let Some(token) = ctx.token() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let req = shared::wire::PasswordReset { new };
            let result = api::reset_password(&token, user, &req).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    open.set(false);
                    outcome.set(Some(Ok(())));
                }
                Err(e) => outcome.set(Some(Err(e.message(ctx.l())))),
            }
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <button type="button" class="btn small" data-testid="user-reset-password"
            on:click=move |_| {
                outcome.set(None);
                open.update(|o| *o = !*o);
            }>
            {t("重置密码", "Reset password")}
        </button>
        <Show when=move || open.get()>
            <span class="admin-reset">
                <input type="text" autocomplete="off" data-testid="user-reset-input"
                    placeholder=move || ctx.lang.get().pick("临时密码（至少 8 位）", "Temporary password (8+ characters)")
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                <button type="button" class="btn small danger" data-testid="user-reset-confirm"
                    disabled=move || busy.get() on:click=submit>
                    {t("确认重置", "Set it")}
                </button>
            </span>
        </Show>
        {move || match outcome.get() {
            None => ().into_any(),
            Some(Ok(())) => view! {
                <span class="admin-done" role="status" data-testid="user-reset-done">
                    {t("已重置，该用户下次登录时须修改密码。", "Reset; the user must change it at their next login.")}
                </span>
            }
            .into_any(),
            Some(Err(message)) => view! {
                <span class="error" role="alert" data-testid="user-reset-error">{message}</span>
            }
            .into_any(),
        }}
    }
}

#[component]
fn NewUserForm(
    properties: Loaded<Vec<Property>>,
    reload: Loaded<Vec<User>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let login = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Staff.code().to_string());
    let password = RwSignal::new(String::new());
    let selected = RwSignal::new(Vec::<PropertyId>::new());
    let department = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<String>);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    let props = move || properties.get().and_then(Result::ok).unwrap_or_default();
    let on_properties = move |ev: leptos::ev::Event| {
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        let options = select.selected_options();
        let chosen = (0..options.length())
            .filter_map(|i| options.item(i))
            .filter_map(|o| o.get_attribute("value"))
            .filter_map(|v| v.parse::<PropertyId>().ok())
            .collect();
        selected.set(chosen);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(token) = ctx.token() else {
            return;
        };
        let l = ctx.l();
        error.set(None);
        done.set(None);
        // The server's checks, made here first so each problem shows
        // beside its field at once.
        let mut found = BTreeMap::new();
        let typed_login = login.get_untracked();
        let typed_login = typed_login.trim();
        if typed_login.is_empty()
            || typed_login.chars().count() > shared::validation::MAX_LOGIN
            || typed_login.chars().any(char::is_whitespace)
        {
            found.insert("login", words("admin.bad_login", l));
        }
        if name.with_untracked(|n| n.trim().is_empty()) {
            found.insert("name", words("admin.bad_display_name", l));
        }
        if password.with_untracked(|p| p.chars().count() < shared::validation::MIN_PASSWORD_CHARS) {
            found.insert("password", words("admin.weak_password", l));
        }
        let needs_property =
            Role::from_code(&role.get_untracked()).is_some_and(|r| !r.sees_all_properties());
        if needs_property && selected.with_untracked(Vec::is_empty) {
            found.insert("properties", words("admin.no_properties", l));
        }
        let stop = !found.is_empty();
        fields.set(found);
        if stop {
            return;
        }
        let dept = department.get_untracked().trim().to_string();
        let body = json!({
            "login": login.get_untracked().trim(),
            "display_name": name.get_untracked().trim(),
            "role": role.get_untracked(),
            "password": password.get_untracked(),
            "properties": selected.get_untracked(),
            "department": (!dept.is_empty()).then_some(dept),
        });
        busy.set(true);
        spawn_local(async move {
            let result =
                api::send::<Value, User>(Method::Post, &token, "/api/v1/admin/users", &body).await;
            busy.set(false);
            match result {
                Ok(user) => {
                    let l = ctx.l();
                    done.set(Some(match l {
                        Lang::ZhCn => format!("已创建用户 {}（{}）", user.login, user.display_name),
                        Lang::En => format!("Created user {} ({})", user.login, user.display_name),
                    }));
                    login.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    selected.set(Vec::new());
                    department.set(String::new());
                    reload.refetch();
                    crate::sync::request(ctx);
                }
                Err(e) => show_refusal(&e, ctx.l(), &NEW_USER_ROUTES, fields, error),
            }
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside =
        move |field: &'static str| field_error(fields, field, format!("new-user-{field}-error"));
    view! {
        <form class="card admin-form" data-testid="new-user-form" on:submit=submit>
            <h3>{t("新增用户", "Add a user")}</h3>
            <div class="admin-grid">
                <label class="field">
                    <span>{t("账号", "Login")}</span>
                    <input type="text" autocomplete="off" data-testid="new-user-login"
                        prop:value=move || login.get() on:input=move |ev| login.set(event_target_value(&ev))/>
                    {beside("login")}
                </label>
                <label class="field">
                    <span>{t("姓名", "Name")}</span>
                    <input type="text" data-testid="new-user-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    {beside("name")}
                </label>
                <label class="field">
                    <span>{t("角色", "Role")}</span>
                    <select data-testid="new-user-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! {
                                <option value=r.code() prop:selected=move || role.get() == r.code()>
                                    {move || r.label(ctx.lang.get())}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    {beside("role")}
                </label>
                <label class="field">
                    <span>{t("初始密码（至少 8 位）", "Initial password (at least 8 characters)")}</span>
                    <input type="password" autocomplete="new-password" data-testid="new-user-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                    {beside("password")}
                </label>
                <label class="field">
                    <span>{t("所属项目（可多选）", "Properties (choose one or more)")}</span>
                    <select multiple class="admin-multi" data-testid="new-user-property" on:change=on_properties>
                        {move || props()
                            .into_iter()
                            .map(|p| {
                                let id = p.id;
                                view! {
                                    <option value=id.to_string() prop:selected=move || selected.with(|s| s.contains(&id))>
                                        {format!("{} {}", p.code, p.name)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {beside("properties")}
                </label>
                <label class="field">
                    <span>{t("部门（可选）", "Department (optional)")}</span>
                    <input type="text" data-testid="new-user-department"
                        prop:value=move || department.get() on:input=move |ev| department.set(event_target_value(&ev))/>
                </label>
            </div>
            <p class="hint">
                {t(
                    "总部品质部、总经理和系统管理员可查看全部项目，无需选择项目。",
                    "Head-office quality, the general manager and the administrator see every property and need none.",
                )}
            </p>
            <div class="actions">
                <button type="submit" class="btn primary" data-testid="new-user-submit" disabled=move || busy.get()>
                    {t("创建用户", "Create user")}
                </button>
                <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
                <p class="admin-done" role="status" data-testid="new-user-status">{move || done.get()}</p>
            </div>
        </form>
    }
}

/// Where the server's refusals of a new user belong.
const NEW_USER_ROUTES: [Route; 7] = [
    route("admin.bad_login", "login"),
    Route {
        code: "conflict",
        field: "login",
        words: Some((
            "该账号已被使用，请换一个",
            "That login is taken; choose another",
        )),
    },
    route("admin.bad_display_name", "name"),
    route("admin.unknown_role", "role"),
    route("admin.weak_password", "password"),
    route("validation.password_too_short", "password"),
    route("admin.no_properties", "properties"),
];

// ---- Devices --------------------------------------------------------------

#[component]
fn DevicesTab() -> impl IntoView {
    let ctx = use_app();
    let devices: Loaded<Vec<Value>> = load(ctx, "/api/v1/admin/devices");
    let error = RwSignal::new(None::<String>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-devices">
            <h3>{t("设备", "Devices")}</h3>
            <p class="hint">{t(
                "吊销后，该设备的登录立即失效，且不能再登录或同步。设备上尚未同步的记录将无法上传。",
                "A revoked device's logins stop at once and it can no longer log in or sync. Records it has not synced cannot be uploaded.",
            )}</p>
            <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
            {loaded(devices, move |list| {
                let tz = company_tz(ctx);
                let rows = list
                    .into_iter()
                    .map(|d| view! { <DeviceRow device=d tz=tz reload=devices error=error/> })
                    .collect_view();
                view! {
                    <div class="admin-table">
                        <table data-testid="device-table">
                            <thead><tr>
                                <th>{t("名称", "Name")}</th>
                                <th>{t("编号", "Number")}</th>
                                <th>{t("设备 ID", "Device id")}</th>
                                <th>{t("首次登录", "First login")}</th>
                                <th>{t("最近联系", "Last seen")}</th>
                                <th>{t("已确认序号", "Acknowledged")}</th>
                                <th>{t("状态", "Status")}</th>
                                <th></th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
        </div>
    }
}

#[component]
fn DeviceRow(
    device: Value,
    tz: Tz,
    reload: Loaded<Vec<Value>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let id = text(&device["id"]);
    let revoked = device["revoked"].as_bool().unwrap_or(false);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let revoke = {
        let id = id.clone();
        move |_| {
            let Some(token) = ctx.token() else {
                return;
            };
            let url = format!("/api/v1/admin/devices/{id}/revoke");
            busy.set(true);
            spawn_local(async move {
                let result = api::send_empty(Method::Post, &token, &url, &json!({})).await;
                busy.set(false);
                confirming.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        reload.refetch();
                    }
                    Err(e) => error.set(Some(e.message(ctx.l()))),
                }
            });
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <tr data-testid="device-row" data-device=id.clone() data-revoked=revoked.to_string()>
            <td class="admin-wrap">{text(&device["name"])}</td>
            <td>{format!("#{}", text(&device["number"]))}</td>
            <td><code title=id.clone()>{short(&id)}</code></td>
            <td>{when(&device["first_seen"], tz)}</td>
            <td>{when(&device["last_seen"], tz)}</td>
            <td>{text(&device["acked_seq"])}</td>
            <td>
                <span class="badge" class:overdue=revoked class:ok=!revoked>
                    {move || if revoked { ctx.lang.get().pick("已吊销", "Revoked") } else { ctx.lang.get().pick("正常", "Active") }}
                </span>
            </td>
            <td class="admin-row-actions">
                {(!revoked).then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="btn small danger" data-testid="device-revoke"
                                on:click=move |_| confirming.set(true)>
                                {t("吊销", "Revoke")}
                            </button>
                        }
                    >
                        <span class="admin-confirm">{t("确定吊销该设备？", "Revoke this device?")}</span>
                        <button type="button" class="btn small danger" data-testid="device-revoke-confirm"
                            disabled=move || busy.get() on:click=revoke.clone()>
                            {t("确认吊销", "Yes, revoke")}
                        </button>
                        <button type="button" class="btn small" data-testid="device-revoke-cancel"
                            on:click=move |_| confirming.set(false)>
                            {t("取消", "Cancel")}
                        </button>
                    </Show>
                })}
            </td>
        </tr>
    }
}

// ---- Properties -----------------------------------------------------------

#[component]
fn PropertiesTab() -> impl IntoView {
    let ctx = use_app();
    let properties: Loaded<Vec<Property>> = load(ctx, "/api/v1/admin/properties");
    let error = RwSignal::new(None::<String>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-properties">
            <h3>{t("项目", "Properties")}</h3>
            {loaded(properties, move |list| {
                let rows = list
                    .into_iter()
                    .map(|p| {
                        let units: usize = p.buildings.iter().map(|b| b.units.len()).sum();
                        let buildings = p
                            .buildings
                            .iter()
                            .map(|b| format!("{}（{}）", b.name, b.units.len()))
                            .collect::<Vec<_>>()
                            .join("、");
                        view! {
                            <tr data-testid="property-row" data-code=p.code.clone()>
                                <td><strong>{p.code.clone()}</strong></td>
                                <td>{p.name.clone()}</td>
                                <td>{p.households}</td>
                                <td>{p.buildings.len()}</td>
                                <td>{units}</td>
                                <td class="admin-wrap">{buildings}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="admin-table">
                        <table data-testid="property-table">
                            <thead><tr>
                                <th>{t("代码", "Code")}</th>
                                <th>{t("名称", "Name")}</th>
                                <th>{t("户数", "Households")}</th>
                                <th>{t("楼栋数", "Buildings")}</th>
                                <th>{t("单元/户数", "Units")}</th>
                                <th>{t("楼栋（单元数）", "Buildings (units)")}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
            <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
            <div class="admin-forms">
                <NewPropertyForm reload=properties error=error/>
                <NewBuildingForm properties=properties error=error/>
            </div>
        </div>
    }
}

/// Stores a property (new or changed) and reloads the list; a refusal goes
/// beside the form's field its code names (`routes`).
async fn put_property(
    ctx: AppCtx,
    property: &Property,
    reload: Loaded<Vec<Property>>,
    error: RwSignal<Option<String>>,
    (fields, routes): (FieldErrors, &[Route]),
) -> bool {
    let Some(token) = ctx.token() else {
        return false;
    };
    let result = api::send_empty(Method::Post, &token, "/api/v1/admin/properties", property).await;
    match result {
        Ok(()) => {
            error.set(None);
            reload.refetch();
            crate::sync::request(ctx);
            true
        }
        Err(e) => {
            show_refusal(&e, ctx.l(), routes, fields, error);
            false
        }
    }
}

/// Where the server's refusals of a new property belong.
const NEW_PROPERTY_ROUTES: [Route; 3] = [
    route("admin.bad_property_code", "code"),
    Route {
        code: "conflict",
        field: "code",
        words: Some((
            "该项目代码已被其他项目使用",
            "Another property already has this code",
        )),
    },
    route("admin.bad_property_name", "name"),
];

#[component]
fn NewPropertyForm(
    reload: Loaded<Vec<Property>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let households = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        let typed_code = code.get_untracked().trim().to_ascii_uppercase();
        let typed_name = name.get_untracked().trim().to_string();
        let count = households.get_untracked().trim().parse::<u32>();
        // The server's checks, made here first so each problem shows
        // beside its field at once.
        let mut found = BTreeMap::new();
        if typed_code.is_empty()
            || typed_code.len() > 8
            || !typed_code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            found.insert("code", words("admin.bad_property_code", l));
        }
        if typed_name.is_empty() {
            found.insert("name", words("admin.bad_property_name", l));
        }
        if count.is_err() {
            found.insert(
                "households",
                l.pick("户数请填写整数", "Households must be a whole number")
                    .into(),
            );
        }
        let stop = !found.is_empty();
        fields.set(found);
        let (false, Ok(count)) = (stop, count) else {
            return;
        };
        let property = Property {
            id: PropertyId(new_uuid()),
            code: typed_code,
            name: typed_name,
            households: count,
            buildings: Vec::new(),
        };
        busy.set(true);
        spawn_local(async move {
            let routes = (fields, NEW_PROPERTY_ROUTES.as_slice());
            if put_property(ctx, &property, reload, error, routes).await {
                code.set(String::new());
                name.set(String::new());
                households.set(String::new());
            }
            busy.set(false);
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("new-property-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="new-property-form" on:submit=submit>
            <h3>{t("新增项目", "Add a property")}</h3>
            <label class="field">
                <span>{t("代码（1–8 位字母或数字，用于工单编号）", "Code (1–8 letters or digits, used in case numbers)")}</span>
                <input type="text" data-testid="new-property-code"
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                {beside("code")}
            </label>
            <label class="field">
                <span>{t("名称", "Name")}</span>
                <input type="text" data-testid="new-property-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {beside("name")}
            </label>
            <label class="field">
                <span>{t("户数", "Households")}</span>
                <input type="number" min="0" inputmode="numeric" data-testid="new-property-households"
                    prop:value=move || households.get() on:input=move |ev| households.set(event_target_value(&ev))/>
                {beside("households")}
            </label>
            <button type="submit" class="btn primary" data-testid="new-property-submit" disabled=move || busy.get()>
                {t("添加项目", "Add property")}
            </button>
        </form>
    }
}

#[component]
fn NewBuildingForm(
    properties: Loaded<Vec<Property>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let property = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let units = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    let props = move || properties.get().and_then(Result::ok).unwrap_or_default();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = ctx.l();
        error.set(None);
        fields.set(BTreeMap::new());
        let problem = |field: &'static str, message: String| {
            fields.set(BTreeMap::from([(field, message)]));
        };
        let chosen = property.get_untracked();
        let Some(mut target) = props().into_iter().find(|p| p.id.to_string() == chosen) else {
            problem("property", l.pick("请选择项目", "Choose a property").into());
            return;
        };
        let building_name = name.get_untracked().trim().to_string();
        if building_name.is_empty() {
            problem(
                "name",
                l.pick("请填写楼栋名称", "Enter the building's name").into(),
            );
            return;
        }
        if target.buildings.iter().any(|b| b.name == building_name) {
            problem(
                "name",
                match l {
                    Lang::ZhCn => format!("{} 已有楼栋 {building_name}", target.name),
                    Lang::En => format!("{} already has a building {building_name}", target.name),
                },
            );
            return;
        }
        target.buildings.push(Building {
            id: BuildingId(new_uuid()),
            name: building_name,
            units: split_names(&units.get_untracked())
                .into_iter()
                .map(|name| Unit {
                    id: UnitId(new_uuid()),
                    name,
                })
                .collect(),
        });
        busy.set(true);
        spawn_local(async move {
            // The property itself passed the server's checks when it was
            // added: what could fail now is said for the form.
            if put_property(ctx, &target, properties, error, (fields, &[])).await {
                name.set(String::new());
                units.set(String::new());
            }
            busy.set(false);
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside = move |field: &'static str| {
        field_error(fields, field, format!("new-building-{field}-error"))
    };
    view! {
        <form class="card admin-form" data-testid="new-building-form" on:submit=submit>
            <h3>{t("新增楼栋", "Add a building")}</h3>
            <label class="field">
                <span>{t("项目", "Property")}</span>
                <select data-testid="new-building-property" on:change=move |ev| property.set(event_target_value(&ev))>
                    <option value="">{t("请选择", "Choose")}</option>
                    {move || props()
                        .into_iter()
                        .map(|p| {
                            let id = p.id.to_string();
                            let selected = {
                                let id = id.clone();
                                move || property.get() == id
                            };
                            view! { <option value=id prop:selected=selected>{format!("{} {}", p.code, p.name)}</option> }
                        })
                        .collect_view()}
                </select>
                {beside("property")}
            </label>
            <label class="field">
                <span>{t("楼栋名称（如 3栋）", "Building name (e.g. 3栋)")}</span>
                <input type="text" data-testid="new-building-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {beside("name")}
            </label>
            <label class="field">
                <span>{t("单元/户（用逗号分隔，如 101,102,201）", "Units (comma-separated, e.g. 101,102,201)")}</span>
                <textarea data-testid="new-building-units"
                    prop:value=move || units.get() on:input=move |ev| units.set(event_target_value(&ev))></textarea>
            </label>
            <button type="submit" class="btn primary" data-testid="new-building-submit" disabled=move || busy.get()>
                {t("添加楼栋", "Add building")}
            </button>
        </form>
    }
}

// ---- Categories -----------------------------------------------------------

#[component]
fn CategoriesTab() -> impl IntoView {
    let ctx = use_app();
    let categories: Loaded<Vec<Category>> = load(ctx, "/api/v1/admin/categories");
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-categories">
            <h3>{t("工单类别", "Case categories")}</h3>
            <p class="hint">{t(
                "已有工单使用的类别不能删除，只能停用；停用的类别不再用于新工单。",
                "A category that cases use cannot be removed, only retired; retired categories are not offered for new cases.",
            )}</p>
            {loaded(categories, |list| view! { <CategoryEditor initial=list/> }.into_any())}
        </div>
    }
}

/// One editable category; `existing` codes are fixed, because cases store
/// the code.
#[derive(Clone, Copy)]
struct CategoryRow {
    key: usize,
    existing: bool,
    code: RwSignal<String>,
    name_zh: RwSignal<String>,
    name_en: RwSignal<String>,
    active: RwSignal<bool>,
}

impl CategoryRow {
    fn new(key: usize, c: Category, existing: bool) -> CategoryRow {
        CategoryRow {
            key,
            existing,
            code: RwSignal::new(c.code),
            name_zh: RwSignal::new(c.name_zh),
            name_en: RwSignal::new(c.name_en),
            active: RwSignal::new(c.active),
        }
    }

    fn category(&self) -> Category {
        Category {
            code: self.code.get_untracked().trim().to_string(),
            name_zh: self.name_zh.get_untracked().trim().to_string(),
            name_en: self.name_en.get_untracked().trim().to_string(),
            active: self.active.get_untracked(),
        }
    }
}

#[component]
fn CategoryEditor(initial: Vec<Category>) -> impl IntoView {
    let ctx = use_app();
    let next_key = StoredValue::new(0usize);
    let make_rows = move |list: Vec<Category>| -> Vec<CategoryRow> {
        list.into_iter()
            .map(|c| {
                let key = next_key.get_value();
                next_key.set_value(key + 1);
                CategoryRow::new(key, c, true)
            })
            .collect()
    };
    let rows = RwSignal::new(make_rows(initial));
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let blank = Category {
            code: String::new(),
            name_zh: String::new(),
            name_en: String::new(),
            active: true,
        };
        rows.update(|r| r.push(CategoryRow::new(key, blank, false)));
    };
    // Problems by row key, beside the row.
    let row_errors = RwSignal::new(BTreeMap::<usize, String>::new());
    let save = move |_| {
        let Some(token) = ctx.token() else {
            return;
        };
        let l = ctx.l();
        error.set(None);
        done.set(None);
        let keyed: Vec<(usize, Category)> =
            rows.with_untracked(|r| r.iter().map(|row| (row.key, row.category())).collect());
        let found = check_category_rows(&keyed, l);
        let stop = !found.is_empty();
        row_errors.set(found);
        if stop {
            return;
        }
        let list: Vec<Category> = keyed.into_iter().map(|(_, c)| c).collect();
        busy.set(true);
        spawn_local(async move {
            let result = api::send::<_, Vec<Category>>(
                Method::Put,
                &token,
                "/api/v1/admin/categories",
                &list,
            )
            .await;
            busy.set(false);
            match result {
                Ok(stored) => {
                    rows.set(make_rows(stored));
                    done.set(Some(ctx.l().pick("类别已保存", "Categories saved").into()));
                    crate::sync::request(ctx);
                }
                Err(e) => error.set(Some(e.message(ctx.l()))),
            }
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-table">
            <table data-testid="category-table">
                <thead><tr>
                    <th>{t("代码", "Code")}</th>
                    <th>{t("中文名称", "Chinese name")}</th>
                    <th>{t("英文名称", "English name")}</th>
                    <th>{t("启用", "Active")}</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.key children=move |r: CategoryRow| view! {
                        <tr data-testid="category-row">
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-code"
                                    readonly=r.existing
                                    placeholder=move || ctx.lang.get().pick("小写字母、数字或 _", "lowercase letters, digits or _")
                                    prop:value=move || r.code.get() on:input=move |ev| r.code.set(event_target_value(&ev))/>
                                <span class="field-error" role="alert" data-testid="category-error">
                                    {move || row_errors.with(|e| e.get(&r.key).cloned())}
                                </span>
                            </td>
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-zh"
                                    prop:value=move || r.name_zh.get() on:input=move |ev| r.name_zh.set(event_target_value(&ev))/>
                            </td>
                            <td>
                                <input type="text" class="admin-cell" data-testid="category-en"
                                    prop:value=move || r.name_en.get() on:input=move |ev| r.name_en.set(event_target_value(&ev))/>
                            </td>
                            <td>
                                <label class="check">
                                    <input type="checkbox" data-testid="category-active"
                                        prop:checked=move || r.active.get() on:change=move |ev| r.active.set(event_target_checked(&ev))/>
                                </label>
                            </td>
                        </tr>
                    }/>
                </tbody>
            </table>
        </div>
        <div class="actions">
            <button type="button" class="btn" data-testid="categories-add" on:click=add>{t("添加类别", "Add category")}</button>
            <button type="button" class="btn primary" data-testid="categories-save" disabled=move || busy.get() on:click=save>
                {t("保存类别", "Save categories")}
            </button>
        </div>
        <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
        <p class="admin-done" role="status" data-testid="categories-status">{move || done.get()}</p>
    }
}

/// The server's checks of a category list, made here so that each problem
/// shows beside its row (by key): a code of 1–32 lowercase letters, digits
/// or `_`, both names, no code twice, one category active.
fn check_category_rows(rows: &[(usize, Category)], l: Lang) -> BTreeMap<usize, String> {
    let mut found = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (key, c) in rows {
        let code_ok = (1..=32).contains(&c.code.chars().count())
            && c.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        let problem = if !code_ok {
            Some("categories.bad_code")
        } else if c.name_zh.is_empty() || c.name_en.is_empty() {
            Some("categories.missing_name")
        } else if !seen.insert(c.code.as_str()) {
            Some("categories.duplicate_code")
        } else {
            None
        };
        if let Some(code) = problem {
            found.insert(*key, words(code, l));
        }
    }
    if found.is_empty()
        && !rows.iter().any(|(_, c)| c.active)
        && let Some((key, _)) = rows.first()
    {
        found.insert(*key, words("categories.none_active", l));
    }
    found
}

// ---- Settings -------------------------------------------------------------

#[component]
fn SettingsTab() -> impl IntoView {
    let ctx = use_app();
    let settings: Loaded<Settings> = load(ctx, "/api/v1/admin/settings");
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-settings">
            <h3>{t("公司设置", "Company settings")}</h3>
            <p class="hint">{t(
                "设置会同步到所有设备。已计算的时限在工单下一次操作时按新设置重新计算。",
                "Settings reach every device through sync. Deadlines already computed follow the new settings at the case's next step.",
            )}</p>
            {loaded(settings, |s| view! { <SettingsForm initial=s/> }.into_any())}
        </div>
    }
}

/// A whole-number setting at a JSON pointer into `Settings`.
#[derive(Clone, Copy)]
struct NumberSetting {
    pointer: &'static str,
    zh: &'static str,
    en: &'static str,
    unit_zh: &'static str,
    unit_en: &'static str,
    /// Shown and typed in yuan, stored in fen.
    yuan: bool,
    value: RwSignal<String>,
}

/// `(pointer, zh, en, unit zh, unit en, yuan)` of every number setting.
const NUMBER_SETTINGS: [(&str, &str, &str, &str, &str, bool); 10] = [
    (
        "/deadlines/due_soon_hours",
        "临期提醒（到期前）",
        "Due-soon warning (before due)",
        "小时",
        "hours",
        false,
    ),
    (
        "/deadlines/max_extension_working_days",
        "延期合计上限",
        "Total extension limit",
        "个工作日",
        "working days",
        false,
    ),
    (
        "/compensation/regional_manager_max_fen",
        "区域经理审批上限",
        "Regional manager approves up to",
        "元",
        "CNY",
        true,
    ),
    (
        "/compensation/deputy_gm_max_fen",
        "分公司副总审批上限（以上由总经理审批）",
        "Deputy GM approves up to (above: GM)",
        "元",
        "CNY",
        true,
    ),
    (
        "/satisfied_min",
        "满意的最低评分（1–5）",
        "Lowest score counted as satisfied (1–5)",
        "分",
        "points",
        false,
    ),
    (
        "/reopen_max",
        "重新处理的最高评分（1–5）",
        "Highest score that reopens the case (1–5)",
        "分",
        "points",
        false,
    ),
    (
        "/follow_up_target_percent",
        "回访率目标",
        "Follow-up rate target",
        "%",
        "%",
        false,
    ),
    (
        "/valid_complaint_target_bp",
        "有效投诉率目标（每户每年，100 = 1%）",
        "Valid-complaint rate target (per household per year, 100 = 1%)",
        "基点",
        "basis points",
        false,
    ),
    (
        "/spot_check_percent",
        "季度抽查比例",
        "Quarterly spot-check share",
        "%",
        "%",
        false,
    ),
    (
        "/retention_years",
        "结案后最少保存",
        "Keep closed cases at least",
        "年",
        "years",
        false,
    ),
];

/// One clock's rule: the unit (`hours` or `working_days`) and the number.
#[derive(Clone, Copy)]
struct RuleSetting {
    clock: Clock,
    unit: RwSignal<String>,
    amount: RwSignal<String>,
}

#[component]
fn SettingsForm(initial: Settings) -> impl IntoView {
    let ctx = use_app();
    // Settings are edited as JSON so that each field is one pointer; the
    // result is read back into `Settings` before it is sent.
    let base = StoredValue::new(serde_json::to_value(&initial).unwrap_or(Value::Null));
    let timezone = RwSignal::new(initial.timezone.clone());
    let numbers: Vec<NumberSetting> = NUMBER_SETTINGS
        .into_iter()
        .map(|(pointer, zh, en, unit_zh, unit_en, yuan)| {
            let raw = base.with_value(|b| b.pointer(pointer).and_then(Value::as_i64).unwrap_or(0));
            let shown = if yuan {
                format_yuan(raw)
            } else {
                raw.to_string()
            };
            NumberSetting {
                pointer,
                zh,
                en,
                unit_zh,
                unit_en,
                yuan,
                value: RwSignal::new(shown),
            }
        })
        .collect();
    let rules: Vec<RuleSetting> = Clock::ALL
        .into_iter()
        .map(|clock| {
            let rule = base.with_value(|b| b["deadlines"][clock.code()].clone());
            let (unit, amount) = match (rule.get("hours"), rule.get("working_days")) {
                (Some(n), _) => ("hours", text(n)),
                (_, Some(n)) => ("working_days", text(n)),
                _ => ("hours", String::new()),
            };
            RuleSetting {
                clock,
                unit: RwSignal::new(unit.to_string()),
                amount: RwSignal::new(amount),
            }
        })
        .collect();
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());

    let (numbers_for_save, rules_for_save) = (numbers.clone(), rules.clone());
    let save = move |_| {
        let l = ctx.l();
        error.set(None);
        done.set(None);
        fields.set(BTreeMap::new());
        let settings = match collect_settings(
            base.get_value(),
            &timezone.get_untracked(),
            &numbers_for_save,
            &rules_for_save,
            l,
        ) {
            Ok(s) => s,
            Err(Unfit::Field(field, message)) => {
                fields.set(BTreeMap::from([(field, message)]));
                return;
            }
            Err(Unfit::Form(message)) => {
                error.set(Some(message));
                return;
            }
        };
        let Some(token) = ctx.token() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let result =
                api::send::<_, Settings>(Method::Put, &token, "/api/v1/admin/settings", &settings)
                    .await;
            busy.set(false);
            match result {
                Ok(stored) => {
                    if let Ok(v) = serde_json::to_value(&stored) {
                        base.set_value(v);
                    }
                    done.set(Some(ctx.l().pick("设置已保存", "Settings saved").into()));
                    crate::sync::request(ctx);
                }
                Err(e) => show_refusal(&e, ctx.l(), &SETTINGS_ROUTES, fields, error),
            }
        });
    };

    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let rule_rows = rules
        .into_iter()
        .map(|r| {
            let code = r.clock.code();
            view! {
                <div class="admin-rule" data-testid="setting-rule" data-clock=code>
                    <span class="admin-rule-name">{move || r.clock.label(ctx.lang.get())}</span>
                    <input type="number" min="0" inputmode="numeric" class="admin-number"
                        data-testid=format!("setting-{code}")
                        prop:value=move || r.amount.get() on:input=move |ev| r.amount.set(event_target_value(&ev))/>
                    <select data-testid=format!("setting-{code}-unit") on:change=move |ev| r.unit.set(event_target_value(&ev))>
                        <option value="hours" prop:selected=move || r.unit.get() == "hours">{t("小时", "hours")}</option>
                        <option value="working_days" prop:selected=move || r.unit.get() == "working_days">{t("个工作日", "working days")}</option>
                    </select>
                    {field_error(fields, code, format!("setting-{code}-error"))}
                </div>
            }
        })
        .collect_view();
    let number_rows = numbers
        .into_iter()
        .map(|n| {
            let key = n.key();
            let testid = format!("setting-{key}");
            view! {
                <label class="field">
                    <span>{move || ctx.lang.get().pick(n.zh, n.en)}</span>
                    <span class="admin-with-unit">
                        <input type="text" inputmode="decimal" class="admin-number" data-testid=testid
                            prop:value=move || n.value.get() on:input=move |ev| n.value.set(event_target_value(&ev))/>
                        <span>{move || ctx.lang.get().pick(n.unit_zh, n.unit_en)}</span>
                    </span>
                    {field_error(fields, key, format!("setting-{key}-error"))}
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="card admin-form" data-testid="settings-form">
            <label class="field">
                <span>{t("公司时区（IANA 名称，如 Asia/Shanghai）", "Company timezone (IANA name, e.g. Asia/Shanghai)")}</span>
                <input type="text" data-testid="setting-timezone"
                    prop:value=move || timezone.get() on:input=move |ev| timezone.set(event_target_value(&ev))/>
                {field_error(fields, "timezone", "setting-timezone-error".into())}
            </label>
            <h4>{t("时限", "Deadlines")}</h4>
            <p class="hint">{t(
                "按小时计：自开始起的自然小时；按工作日计：到第 N 个工作日的 23:59:59（节假日和调休按节假日安排）。",
                "Hours: natural hours from the start. Working days: until 23:59:59 of the n-th working day (holidays and make-up days per the holiday calendar).",
            )}</p>
            <div class="admin-rules">{rule_rows}</div>
            <h4>{t("其他", "Other")}</h4>
            <div class="admin-grid">{number_rows}</div>
            <div class="actions">
                <button type="button" class="btn primary" data-testid="settings-save" disabled=move || busy.get() on:click=save>
                    {t("保存设置", "Save settings")}
                </button>
            </div>
            <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
            <p class="admin-done" role="status" data-testid="settings-status">{move || done.get()}</p>
        </div>
    }
}

impl NumberSetting {
    /// The field's name: the pointer's last segment (`satisfied_min`).
    fn key(&self) -> &'static str {
        self.pointer.rsplit('/').next().unwrap_or(self.pointer)
    }
}

/// Where the server's refusals of the settings belong: beside the field
/// (number settings by their key, the timezone) its code names.
const SETTINGS_ROUTES: [Route; 5] = [
    route("settings.unknown_timezone", "timezone"),
    route("settings.satisfaction_out_of_range", "satisfied_min"),
    route("settings.satisfaction_overlap", "reopen_max"),
    route(
        "settings.compensation_limits_order",
        "regional_manager_max_fen",
    ),
    route("settings.spot_check_out_of_range", "spot_check_percent"),
];

/// What keeps the form from becoming `Settings`.
enum Unfit {
    /// One field (by key) is not a number it can hold.
    Field(&'static str, String),
    /// The whole does not fit (a value beyond what `Settings` holds).
    Form(String),
}

/// Reads the form into `Settings`, or says which field is not a number.
fn collect_settings(
    mut value: Value,
    timezone: &str,
    numbers: &[NumberSetting],
    rules: &[RuleSetting],
    l: Lang,
) -> Result<Settings, Unfit> {
    value["timezone"] = Value::from(timezone.trim());
    for n in numbers {
        let raw = n.value.get_untracked();
        let parsed = if n.yuan {
            shared::compensation::parse_yuan(&raw)
        } else {
            raw.trim().parse::<i64>().ok().filter(|v| *v >= 0)
        };
        let Some(parsed) = parsed else {
            return Err(Unfit::Field(
                n.key(),
                l.pick("请填写非负数字", "Enter a non-negative number")
                    .into(),
            ));
        };
        if let Some(slot) = value.pointer_mut(n.pointer) {
            *slot = Value::from(parsed);
        }
    }
    for r in rules {
        let Ok(amount) = r.amount.get_untracked().trim().parse::<u32>() else {
            return Err(Unfit::Field(
                r.clock.code(),
                l.pick("请填写非负整数", "Enter a whole number").into(),
            ));
        };
        let unit = r.unit.get_untracked();
        value["deadlines"][r.clock.code()] = json!({ unit: amount });
    }
    // serde's own words are English: the Chinese screen says which kind
    // of problem it is, without them.
    serde_json::from_value::<Settings>(value).map_err(|e| {
        Unfit::Form(match l {
            Lang::ZhCn => "设置的数值超出允许范围，请检查后再保存".to_string(),
            Lang::En => format!("A setting is out of range: {e}"),
        })
    })
}

// ---- Holiday calendar -----------------------------------------------------

#[component]
fn CalendarTab() -> impl IntoView {
    let ctx = use_app();
    let input = RwSignal::new(String::new());
    // What the shown preview was made from: apply sends exactly that.
    let previewed = RwSignal::new(None::<(String, YearSchedule)>);
    let preview = RwSignal::new(None::<Value>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let on_file = move |ev: leptos::ev::Event| {
        let l = ctx.l();
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
                Err(_) => error.set(Some(
                    l.pick("无法读取所选文件", "Could not read the chosen file")
                        .into(),
                )),
            }
        });
    };
    let run_preview = move |_| {
        let l = ctx.l();
        error.set(None);
        done.set(None);
        preview.set(None);
        previewed.set(None);
        let raw = input.get_untracked();
        let schedule = match serde_json::from_str::<YearSchedule>(&raw) {
            Ok(s) => s,
            Err(e) => {
                // serde's words are English; the place is not.
                let (line, column) = (e.line(), e.column());
                error.set(Some(match l {
                    Lang::ZhCn => format!(
                        "不是有效的节假日安排 JSON（需要 year、rest_days、workdays、source），问题在第 {line} 行第 {column} 列"
                    ),
                    Lang::En => format!(
                        "Not a valid holiday schedule JSON (year, rest_days, workdays, source are needed): {e}"
                    ),
                }));
                return;
            }
        };
        let Some(token) = ctx.token() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let result = api::send::<_, Value>(
                Method::Post,
                &token,
                "/api/v1/admin/calendar/preview",
                &schedule,
            )
            .await;
            busy.set(false);
            match result {
                Ok(p) => {
                    preview.set(Some(p));
                    previewed.set(Some((raw, schedule)));
                }
                Err(e) => error.set(Some(e.message(ctx.l()))),
            }
        });
    };
    let can_apply = move || {
        let clean = preview.with(|p| p.as_ref().is_some_and(|p| p["error"].is_null()));
        let same = previewed.with(|p| p.as_ref().is_some_and(|(raw, _)| input.with(|i| i == raw)));
        clean && same && !busy.get()
    };
    let apply = move |_| {
        let Some((_, schedule)) = previewed.get_untracked() else {
            return;
        };
        let Some(token) = ctx.token() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result =
                api::send::<_, Value>(Method::Post, &token, "/api/v1/admin/calendar", &schedule)
                    .await;
            busy.set(false);
            match result {
                Ok(p) => {
                    let l = ctx.l();
                    done.set(Some(match l {
                        Lang::ZhCn => format!("已导入 {} 年节假日安排", text(&p["year"])),
                        Lang::En => format!("The {} holiday schedule is loaded", text(&p["year"])),
                    }));
                    preview.set(Some(p));
                    // Applied: the button stays off until another preview.
                    previewed.set(None);
                    crate::sync::request(ctx);
                }
                Err(e) => error.set(Some(e.message(ctx.l()))),
            }
        });
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-calendar">
            <h3>{t("节假日安排", "Holiday calendar")}</h3>
            <p class="hint">{t(
                "每年国务院公布下一年的放假安排后，导入该年的文件（JSON：year、rest_days 放假日、workdays 调休上班日、source 通知名称）。先预览核对，再应用。",
                "When the State Council publishes next year's holidays, import that year's file (JSON: year, rest_days, workdays for make-up working days, source for the notice). Preview and check it, then apply.",
            )}</p>
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
                        disabled=move || busy.get() || input.with(|i| i.trim().is_empty()) on:click=run_preview>
                        {t("预览", "Preview")}
                    </button>
                    <button type="button" class="btn primary" data-testid="calendar-apply"
                        disabled=move || !can_apply() on:click=apply>
                        {t("应用", "Apply")}
                    </button>
                </div>
                <p class="error" role="alert" data-testid="admin-error">{move || error.get()}</p>
                <p class="admin-done" role="status" data-testid="calendar-status">{move || done.get()}</p>
            </div>
            {move || preview.get().map(|p| view! { <CalendarPreview preview=p/> })}
        </div>
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
fn day_label(v: &Value, l: Lang) -> String {
    let raw = text(v);
    let Ok(date) = raw.parse::<NaiveDate>() else {
        return raw;
    };
    let i = date.weekday().num_days_from_monday() as usize;
    let zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!("{raw} {}", l.pick(zh[i], en[i]))
}

#[component]
fn CalendarPreview(preview: Value) -> impl IntoView {
    let ctx = use_app();
    let l = ctx.lang.get_untracked();
    let days = |key: &str, testid: &'static str| {
        preview[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|d| view! { <li data-testid=testid data-date=text(&d)>{day_label(&d, l)}</li> })
            .collect_view()
    };
    let rest_count = preview["rest_days"].as_array().map_or(0, Vec::len);
    let work_count = preview["workdays"].as_array().map_or(0, Vec::len);
    let loaded_years = preview["loaded_years"]
        .as_array()
        .map(|ys| ys.iter().map(text).collect::<Vec<_>>().join("、"))
        .unwrap_or_default();
    let replaces = preview["replaces"].as_bool().unwrap_or(false);
    let problem = (!preview["error"].is_null()).then(|| {
        let e = &preview["error"];
        let message = l.pick(
            e["message_zh"].as_str().unwrap_or_default(),
            e["message_en"].as_str().unwrap_or_default(),
        );
        let message = if message.is_empty() {
            api::code_words(&text(&e["code"]), l)
        } else {
            message.to_string()
        };
        view! {
            <p class="error" data-testid="calendar-problem" data-code=text(&e["code"])>
                {l.pick("无法应用：", "Cannot be applied: ")}{message}
            </p>
        }
    });
    let year = text(&preview["year"]);
    view! {
        <div class="card admin-preview" data-testid="calendar-result">
            <dl class="admin-kvs">
                <div class="kv"><dt>{l.pick("年份", "Year")}</dt><dd data-testid="calendar-year">{year}</dd></div>
                <div class="kv"><dt>{l.pick("依据", "Source")}</dt><dd>{text(&preview["source"])}</dd></div>
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
                    <ul class="admin-day-list rest">{days("rest_days", "calendar-rest-day")}</ul>
                </div>
                <div>
                    <h4>{match l { Lang::ZhCn => format!("调休上班日（{work_count} 天）"), Lang::En => format!("Make-up working days ({work_count})") }}</h4>
                    <ul class="admin-day-list work">{days("workdays", "calendar-workday")}</ul>
                </div>
            </div>
        </div>
    }
}

// ---- Quarantine -----------------------------------------------------------

#[component]
fn QuarantineTab() -> impl IntoView {
    let ctx = use_app();
    let entries: Loaded<Vec<Value>> = load(ctx, "/api/v1/admin/quarantine");
    // What happened to a settled entry, which leaves the list.
    let settled = RwSignal::new(None::<String>);
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-quarantine">
            <h3>{t("隔离区", "Quarantine")}</h3>
            <p class="hint">{t(
                "服务器拒收的设备记录保存在这里。补齐缺少的项目、类别或用户后可重新应用；确实无效的记录请填写原因后丢弃（记录会保留，不会删除）。",
                "Records the server refused from devices wait here. After adding the missing property, category or user, re-apply them; discard records that are truly invalid, with a reason (they are kept, never deleted).",
            )}</p>
            <p class="admin-done" role="status" data-testid="quarantine-status">{move || settled.get()}</p>
            {loaded(entries, move |list| {
                if list.is_empty() {
                    return view! {
                        <p class="empty" data-testid="quarantine-empty">{t("隔离区为空", "Nothing is quarantined")}</p>
                    }
                    .into_any();
                }
                let tz = company_tz(ctx);
                let rows = list
                    .into_iter()
                    .map(|e| view! { <QuarantineRow entry=e tz=tz reload=entries settled=settled/> })
                    .collect_view();
                view! { <ul class="admin-quarantine">{rows}</ul> }.into_any()
            })}
        </div>
    }
}

#[component]
fn QuarantineRow(
    entry: Value,
    tz: Tz,
    reload: Loaded<Vec<Value>>,
    settled: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_app();
    let id = text(&entry["id"]);
    let l = ctx.lang.get_untracked();
    // A quarantined op may be malformed (that can be why it is here), so
    // its action is read leniently.
    let action = serde_json::from_value::<Op>(entry["op"].clone())
        .map(|op| op.action.kind().label(l).to_string())
        .unwrap_or_else(|_| text(&entry["op"]["action"]["type"]));
    let case = short(&text(&entry["op"]["case_id"]));
    let discarding = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    // Why an action on this entry failed.
    let note = RwSignal::new(None::<String>);
    // What is wrong with the discard reason typed.
    let reason_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let reapply = {
        let id = id.clone();
        move |_| {
            let Some(token) = ctx.token() else {
                return;
            };
            let url = format!("/api/v1/admin/quarantine/{id}/reapply");
            busy.set(true);
            spawn_local(async move {
                let result = api::send::<_, Value>(Method::Post, &token, &url, &json!({})).await;
                busy.set(false);
                let l = ctx.l();
                match result {
                    Ok(outcome) if outcome["outcome"] == "accepted" => {
                        settled.set(Some(match l {
                            Lang::ZhCn => {
                                format!("已重新应用（服务器序号 {}）", text(&outcome["server_seq"]))
                            }
                            Lang::En => format!(
                                "Re-applied as server record {}",
                                text(&outcome["server_seq"])
                            ),
                        }));
                        reload.refetch();
                    }
                    Ok(outcome) => note.set(Some(format!(
                        "{}{}",
                        l.pick("仍被拒绝：", "Still refused: "),
                        reason_words(&outcome, l)
                    ))),
                    Err(e) => note.set(Some(e.message(l))),
                }
            });
        }
    };
    let discard = {
        let id = id.clone();
        move |_| {
            let l = ctx.l();
            let why = reason.get_untracked().trim().to_string();
            note.set(None);
            reason_error.set(None);
            if why.is_empty() || why.chars().count() > 1000 {
                reason_error.set(Some(words("quarantine.reason_required", l)));
                return;
            }
            let Some(token) = ctx.token() else {
                return;
            };
            let url = format!("/api/v1/admin/quarantine/{id}/discard");
            busy.set(true);
            spawn_local(async move {
                let body = json!({ "reason": why });
                let result = api::send_empty(Method::Post, &token, &url, &body).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        settled.set(Some(
                            ctx.l()
                                .pick("已丢弃该记录", "The record was discarded")
                                .into(),
                        ));
                        discarding.set(false);
                        reload.refetch();
                    }
                    Err(e) if e.code() == Some("quarantine.reason_required") => {
                        reason_error.set(Some(e.message(ctx.l())));
                    }
                    Err(e) => note.set(Some(e.message(ctx.l()))),
                }
            });
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let reason_text = {
        let entry = entry.clone();
        move || reason_words(&entry, ctx.lang.get())
    };
    view! {
        <li class="card admin-quarantine-row" data-testid="quarantine-row" data-id=id.clone()
            data-code=text(&entry["code"])>
            <div class="admin-quarantine-head">
                <code class="badge overdue" data-testid="quarantine-code">{text(&entry["code"])}</code>
                <span class="admin-quarantine-reason" data-testid="quarantine-reason-text">{reason_text}</span>
            </div>
            <dl class="admin-kvs">
                <div class="kv"><dt>{t("收到时间", "Received")}</dt><dd>{when(&entry["received_at"], tz)}</dd></div>
                <div class="kv"><dt>{t("设备 / 序号", "Device / sequence")}</dt>
                    <dd>{format!("{} / {}", short(&text(&entry["device"])), text(&entry["seq"]))}</dd></div>
                <div class="kv"><dt>{t("操作", "Action")}</dt><dd>{action}</dd></div>
                <div class="kv"><dt>{t("工单", "Case")}</dt><dd>{case}</dd></div>
            </dl>
            <div class="actions">
                <button type="button" class="btn" data-testid="quarantine-reapply"
                    disabled=move || busy.get() on:click=reapply>
                    {t("重新应用", "Re-apply")}
                </button>
                <button type="button" class="btn danger" data-testid="quarantine-discard"
                    disabled=move || busy.get() on:click=move |_| discarding.update(|d| *d = !*d)>
                    {t("丢弃", "Discard")}
                </button>
            </div>
            <Show when=move || discarding.get()>
                <div class="admin-discard">
                    <label class="field">
                        <span>{t("丢弃原因（必填）", "Reason for discarding (required)")}</span>
                        <input type="text" data-testid="quarantine-reason"
                            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <span class="field-error" role="alert" data-testid="quarantine-reason-error">
                            {move || reason_error.get()}
                        </span>
                    </label>
                    <button type="button" class="btn danger" data-testid="quarantine-discard-confirm"
                        disabled=move || busy.get() on:click=discard.clone()>
                        {t("确认丢弃", "Discard it")}
                    </button>
                </div>
            </Show>
            {move || note.get().map(|message| view! {
                <p class="error" role="alert" data-testid="quarantine-note">{message}</p>
            })}
        </li>
    }
}

/// Why the server quarantined an op (or refused it again), from the
/// entry's `code` and `message`: the code's words, and on an English
/// screen also the server's own message, which names the fields.
fn reason_words(entry: &Value, l: Lang) -> String {
    let code = text(&entry["code"]);
    let words = api::code_words(&code, l);
    let message = text(&entry["message"]);
    match l {
        Lang::En if !message.is_empty() => format!("{words}: {message}"),
        _ => words,
    }
}

// ---- Audit log ------------------------------------------------------------

#[component]
fn AuditTab() -> impl IntoView {
    let ctx = use_app();
    let records: Loaded<Vec<Value>> = load(ctx, "/api/v1/admin/audit?limit=200");
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-audit">
            <div class="admin-section-head">
                <h3>{t("审计日志（最近 200 条）", "Audit log (latest 200)")}</h3>
                <button type="button" class="btn small" data-testid="audit-refresh" on:click=move |_| records.refetch()>
                    {t("刷新", "Refresh")}
                </button>
            </div>
            {loaded(records, move |list| {
                let tz = company_tz(ctx);
                let rows = list
                    .into_iter()
                    .map(|r| {
                        let who = r["login"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| short(&text(&r["user"])));
                        let action = text(&r["action"]);
                        let code = action.clone();
                        let title = action.clone();
                        let detail = text(&r["detail"]);
                        let detail_short: String = detail.chars().take(200).collect();
                        view! {
                            <tr data-testid="audit-row" data-action=action.clone()>
                                <td class="admin-nowrap">{when(&r["at"], tz)}</td>
                                <td>{who}</td>
                                <td><code title=text(&r["device"])>{short(&text(&r["device"]))}</code></td>
                                <td>{text(&r["address"])}</td>
                                <td title=title>{move || audit_action(&code, ctx.lang.get())}</td>
                                <td class="admin-detail" title=detail>{detail_short}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="admin-table">
                        <table data-testid="audit-table">
                            <thead><tr>
                                <th>{t("时间", "When")}</th>
                                <th>{t("操作人", "Who")}</th>
                                <th>{t("设备", "Device")}</th>
                                <th>{t("来源地址", "From")}</th>
                                <th>{t("操作", "What")}</th>
                                <th>{t("详情", "Details")}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
        </div>
    }
}

/// An audit action code for a person; unknown codes are shown as they are.
fn audit_action(code: &str, l: Lang) -> String {
    let (zh, en) = match code {
        "user.create" => ("新增用户", "User created"),
        "user.set_active" => ("启用/停用用户", "User enabled or disabled"),
        "user.reset_password" => ("重置用户密码", "User's password reset"),
        "user.must_change_password" => (
            "设置初始密码（首次登录时须修改）",
            "Initial password set (to be changed at the first login)",
        ),
        "auth.password_change" => ("修改密码", "Password changed"),
        "device.revoke" => ("吊销设备", "Device revoked"),
        "property.put" => ("保存项目", "Property saved"),
        "settings.put" => ("修改设置", "Settings changed"),
        "categories.put" => ("修改类别", "Categories changed"),
        "calendar.put" => ("导入节假日", "Holiday calendar loaded"),
        "quarantine.reapply" => ("重新应用隔离记录", "Quarantined record re-applied"),
        "quarantine.discard" => ("丢弃隔离记录", "Quarantined record discarded"),
        "case.delete" => ("删除过期工单", "Expired case deleted"),
        "auth.login" => ("登录", "Login"),
        "auth.login_failed" => ("登录失败", "Failed login"),
        "spot_check.draw" => ("抽取季度抽查样本", "Spot-check sample drawn"),
        _ => return code.to_string(),
    };
    l.pick(zh, en).to_string()
}
