//! 用户: the users with their role, scope and state, enabling and
//! disabling them, resetting a password, and the form that adds a user or
//! corrects one (修改: name, role, properties, department; the login and
//! the password stay).

use super::{ReadAgain, changed_meanwhile, short, token, words};
use crate::api::ApiError;
use crate::api::admin::{self, NewUser};
use crate::components::form::{
    AskFirst, FieldErrors, Route, RowDrafts, TextField, Unsaved, field_error, route, show_refusal,
};
use crate::components::table::{DataTable, Loaded, loaded};
use crate::state::use_app;
use leptos::prelude::*;
use shared::admin::{UserAsRead, UserChange};
use shared::id::{PropertyId, UserId};
use shared::lang::Lang;
use shared::property::Property;
use shared::role::{Role, User};
use shared::wire::PasswordReset;
use std::collections::BTreeMap;

/// The users tab.
#[component]
pub fn UsersTab() -> impl IntoView {
    let ctx = use_app();
    let users: Loaded<Vec<User>> =
        LocalResource::new(move || async move { admin::users(&token(ctx)?).await });
    let properties: Loaded<Vec<Property>> = LocalResource::new(move || async move {
        admin::properties(&token(ctx)?).await.map(|list| list.value)
    });
    let error = RwSignal::new(None::<ApiError>);
    let form = NewUserFields::new();
    // Enabling or disabling a user draws the table again: the temporary
    // passwords half typed in other rows stay.
    let drafts = RowDrafts::default();
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="admin-section" data-testid="admin-users">
            <h3>{t("用户", "Users")}</h3>
            {loaded(users, move |list| {
                let props = properties.get().and_then(Result::ok).unwrap_or_default();
                view! { <UserTable users=list properties=props reload=users form=form drafts=drafts/> }.into_any()
            })}
            <NewUserForm properties=properties reload=users error=error form=form/>
            <super::roster::RosterImport users=users properties=properties/>
        </div>
    }
}

#[component]
fn UserTable(
    users: Vec<User>,
    properties: Vec<Property>,
    reload: Loaded<Vec<User>>,
    form: NewUserFields,
    drafts: RowDrafts,
) -> impl IntoView {
    let ctx = use_app();
    let me = ctx
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.id));
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
            let user = u.clone();
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
                        <ActiveToggle user=id active=active is_me=is_me reload=reload/>
                        <EditButton user=user form=form/>
                        <ResetPassword user=id drafts=drafts/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable testid="user-table" headers=&[
            ("账号", "Login"),
            ("姓名", "Name"),
            ("角色", "Role"),
            ("项目", "Properties"),
            ("部门", "Department"),
            ("状态", "Status"),
            ("", ""),
        ]>
            {rows}
        </DataTable>
    }
}

/// 修改 in a user's row: fills the form below with the user, and brings
/// it into view. What the form holds unsaved (a user half typed) is not
/// dropped without asking.
#[component]
fn EditButton(user: User, form: NewUserFields) -> impl IntoView {
    let ctx = use_app();
    let asking = RwSignal::new(false);
    let user = StoredValue::new(user);
    let open = move || {
        asking.set(false);
        user.with_value(|u| form.edit(u));
        crate::components::form::bring_to_form("[data-testid=new-user-form]");
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <Show
            when=move || asking.get() && form.unsaved.differs()
            fallback=move || view! {
                <button type="button" class="btn small" data-testid="user-edit"
                    on:click=move |_| if untrack(|| form.unsaved.differs()) { asking.set(true) } else { open() }>
                    {t("修改", "Edit")}
                </button>
            }
        >
            <AskFirst
                question=("下方表单中有未保存的内容，放弃并修改此用户？", "The form below holds unsaved input. Discard it and edit this user?")
                confirm=("放弃并修改", "Discard and edit") testid="user-edit-ask"
                asking=asking busy=Signal::derive(|| false) on_confirm=Callback::new(move |()| open())/>
        </Show>
    }
}

/// 停用 / 启用 in a user's row. Disabling ends the user's sessions on
/// every tablet, whose unsent records then wait until someone enables
/// them again, so it is asked first; a refusal (the last admin) is said
/// in the row it came from.
#[component]
fn ActiveToggle(
    user: UserId,
    active: bool,
    is_me: bool,
    reload: Loaded<Vec<User>>,
) -> impl IntoView {
    let ctx = use_app();
    let confirming = RwSignal::new(false);
    let refused = RwSignal::new(None::<ApiError>);
    let set_active = Action::new_local(move |&active: &bool| async move {
        let result = match token(ctx) {
            Ok(token) => admin::set_user_active(&token, user, active).await,
            Err(e) => Err(e),
        };
        confirming.set(false);
        match &result {
            Ok(()) => {
                refused.set(None);
                reload.refetch();
                crate::sync::request(ctx);
            }
            Err(e) => refused.set(Some(e.clone())),
        }
        result
    });
    let busy = move || set_active.pending().get();
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! {
                <button type="button" class="btn small" class:danger=active data-testid="user-toggle"
                    disabled=move || is_me || busy()
                    on:click=move |_| {
                        refused.set(None);
                        if active { confirming.set(true) } else { set_active.dispatch_local(true); }
                    }>
                    {move || if active { ctx.lang.get().pick("停用", "Disable") } else { ctx.lang.get().pick("启用", "Enable") }}
                </button>
            }
        >
            <AskFirst
                question=(
                    "停用后该用户在所有设备上立即退出，未同步的记录将等到重新启用后才能上传。确定停用？",
                    "Disabling logs the user out on every device; records not yet synced wait until they are enabled again. Disable?",
                )
                confirm=("确认停用", "Yes, disable") testid="user-toggle"
                asking=confirming busy=Signal::derive(busy)
                on_confirm=Callback::new(move |()| { set_active.dispatch_local(false); })/>
        </Show>
        {move || refused.get().map(|e| view! {
            <span class="error" role="alert" data-testid="user-toggle-error">{e.message(ctx.lang.get())}</span>
        })}
    }
}

/// 重置密码: the admin types a temporary password for a user, who must
/// choose their own at their next login. The admin tells it to them in
/// person; it is never shown again.
#[component]
fn ResetPassword(user: UserId, drafts: RowDrafts) -> impl IntoView {
    let ctx = use_app();
    // Open again with the password typed before the table was drawn again.
    let (open, password) = drafts.form(user.to_string());
    // A password put away with its box (a second tap on 重置密码) is not
    // waited for.
    Unsaved::track(move || open.get() && !password.with(String::is_empty))
        // Counted from nothing typed: a form drawn again with what was typed
        // before holds it unsaved still.
        .settle_to(false);
    // The outcome shown: Ok(()) after a reset, or why it failed (a check
    // made here, or the server's refusal, as `None` and `Some`).
    let outcome = RwSignal::new(None::<Result<(), Option<ApiError>>>);
    let reset = Action::new_local(move |new: &String| {
        let req = PasswordReset { new: new.clone() };
        async move {
            let result = admin::reset_password(&token(ctx)?, user, &req).await;
            match &result {
                Ok(()) => {
                    password.set(String::new());
                    open.set(false);
                    outcome.set(Some(Ok(())));
                }
                Err(e) => outcome.set(Some(Err(Some(e.clone())))),
            }
            result
        }
    });
    let submit = move |_| {
        if reset.pending().get_untracked() {
            return;
        }
        let new = password.get_untracked();
        if new.chars().count() < shared::validation::MIN_PASSWORD_CHARS {
            outcome.set(Some(Err(None)));
            return;
        }
        reset.dispatch_local(new);
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
                <input type="text" autocomplete="new-password" data-testid="user-reset-input"
                    autocapitalize="none" spellcheck="false"
                    placeholder=move || ctx.lang.get().pick("临时密码（至少 8 位）", "Temporary password (8+ characters)")
                    aria-label=move || ctx.lang.get().pick("临时密码（至少 8 位）", "Temporary password (8+ characters)")
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                <button type="button" class="btn small danger" data-testid="user-reset-confirm"
                    disabled=move || reset.pending().get() on:click=submit>
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
            Some(Err(refusal)) => {
                let message = move || match &refusal {
                    None => crate::api::password_too_short(ctx.lang.get()),
                    Some(e) => e.message(ctx.lang.get()),
                };
                view! {
                    <span class="error" role="alert" data-testid="user-reset-error">{message}</span>
                }
                .into_any()
            }
        }}
    }
}

/// The user form's inputs, and the user being corrected, if one is.
#[derive(Clone, Copy)]
struct NewUserFields {
    editing: RwSignal<Option<UserId>>,
    login: RwSignal<String>,
    name: RwSignal<String>,
    role: RwSignal<Role>,
    /// The role chosen for new users, kept while a user is corrected.
    new_role: RwSignal<Role>,
    /// The user being corrected as the form read them: the server refuses
    /// the correction when they changed since.
    was: RwSignal<Option<UserAsRead>>,
    password: RwSignal<String>,
    properties: RwSignal<Vec<PropertyId>>,
    department: RwSignal<String>,
    unsaved: Unsaved<Vec<String>>,
}

impl NewUserFields {
    fn new() -> NewUserFields {
        let login = RwSignal::new(String::new());
        let name = RwSignal::new(String::new());
        let role = RwSignal::new(Role::Staff);
        let password = RwSignal::new(String::new());
        let properties = RwSignal::new(Vec::<PropertyId>::new());
        let department = RwSignal::new(String::new());
        let unsaved = Unsaved::track(move || {
            let mut shown = vec![
                login.get(),
                name.get(),
                role.get().code().to_string(),
                password.get(),
                department.get(),
            ];
            shown.extend(properties.get().iter().map(ToString::to_string));
            shown
        });
        NewUserFields {
            editing: RwSignal::new(None),
            login,
            name,
            role,
            new_role: RwSignal::new(Role::Staff),
            was: RwSignal::new(None),
            password,
            properties,
            department,
            unsaved,
        }
    }

    /// The user to create, or, beside each field, what the server would
    /// refuse: its checks, made here first so each problem shows at once.
    fn read(&self, l: Lang) -> Result<NewUser, BTreeMap<&'static str, String>> {
        let mut found = BTreeMap::new();
        let login = self.login.get_untracked().trim().to_string();
        if !shared::roster::is_usable_login(&shared::roster::login(&login)) {
            found.insert("login", words("admin.bad_login", l));
        }
        let password = self.password.get_untracked();
        if password.chars().count() < shared::validation::MIN_PASSWORD_CHARS {
            found.insert("password", words("admin.weak_password", l));
        }
        let change = self.read_change(l, &mut found);
        match change {
            Some(c) if found.is_empty() => Ok(NewUser {
                login,
                display_name: c.display_name,
                role: self.role.get_untracked(),
                password,
                properties: c.properties,
                department: c.department,
            }),
            _ => Err(found),
        }
    }

    /// The name, role, properties and department as typed, with what is
    /// wrong with them added to `found`.
    fn read_change(
        &self,
        l: Lang,
        found: &mut BTreeMap<&'static str, String>,
    ) -> Option<UserChange> {
        let display_name = self.name.get_untracked().trim().to_string();
        if display_name.is_empty() {
            found.insert("name", words("admin.bad_display_name", l));
        }
        let role = self.role.get_untracked();
        let properties = self.properties.get_untracked();
        if !role.sees_all_properties() && properties.is_empty() {
            found.insert("properties", words("admin.no_properties", l));
        }
        let department = self.department.get_untracked().trim().to_string();
        if department.chars().count() > shared::validation::MAX_DIRECTORY_NAME
            || !shared::validation::is_plain_name(&department)
        {
            found.insert("department", words("admin.bad_department", l));
        } else if role.needs_department() && department.is_empty() {
            found.insert("department", words("admin.no_department", l));
        }
        found.is_empty().then(|| UserChange {
            display_name,
            role: role.code().to_string(),
            properties,
            department: (!department.is_empty()).then_some(department),
            was: self.was.get_untracked(),
        })
    }

    /// Opens the form on `user`, to correct them.
    fn edit(&self, user: &User) {
        // The role the next new user is given stays the one chosen for
        // new users, not the corrected user's (an administrator's, say).
        if self.editing.get_untracked().is_none() {
            self.new_role.set(self.role.get_untracked());
        }
        self.editing.set(Some(user.id));
        self.was.set(Some(UserAsRead::of(user)));
        self.login.set(user.login.clone());
        self.name.set(user.display_name.clone());
        self.role.set(user.role);
        self.password.set(String::new());
        self.properties.set(user.properties.clone());
        self.department
            .set(user.department.clone().unwrap_or_default());
        self.unsaved.settle();
    }

    /// Empties the form for the next user: the role stays the one last
    /// chosen for a new user (several of one role are often added in turn).
    fn clear(&self) {
        if self.editing.get_untracked().is_some() {
            self.role.set(self.new_role.get_untracked());
        }
        self.editing.set(None);
        self.was.set(None);
        self.login.set(String::new());
        self.name.set(String::new());
        self.password.set(String::new());
        self.properties.set(Vec::new());
        self.department.set(String::new());
        self.unsaved.settle();
    }
}

#[component]
fn NewUserForm(
    properties: Loaded<Vec<Property>>,
    reload: Loaded<Vec<User>>,
    error: RwSignal<Option<ApiError>>,
    form: NewUserFields,
) -> impl IntoView {
    let ctx = use_app();
    let done = RwSignal::new(None::<String>);
    let fields: FieldErrors = RwSignal::new(BTreeMap::new());
    let props = move || properties.get().and_then(Result::ok).unwrap_or_default();
    let create = Action::new_local(move |user: &NewUser| {
        let user = user.clone();
        async move {
            let result = admin::create_user(&token(ctx)?, &user).await;
            let l = ctx.l();
            match &result {
                Ok(user) => {
                    done.set(Some(match l {
                        Lang::ZhCn => format!("已创建用户 {}（{}）", user.login, user.display_name),
                        Lang::En => format!("Created user {} ({})", user.login, user.display_name),
                    }));
                    form.clear();
                    reload.refetch();
                    crate::sync::request(ctx);
                }
                Err(e) => show_refusal(e, l, &NEW_USER_ROUTES, fields, error),
            }
            result.map(drop)
        }
    });
    let update = Action::new_local(move |(id, change): &(UserId, UserChange)| {
        let (id, change) = (*id, change.clone());
        async move {
            let result = admin::update_user(&token(ctx)?, id, &change).await;
            let l = ctx.l();
            match &result {
                Ok(user) => {
                    done.set(Some(match l {
                        Lang::ZhCn => format!("已修改用户 {}（{}）", user.login, user.display_name),
                        Lang::En => format!("Saved user {} ({})", user.login, user.display_name),
                    }));
                    form.clear();
                    reload.refetch();
                    crate::sync::request(ctx);
                }
                Err(e) => {
                    // Another administrator saved this user meanwhile: the
                    // list shows them as they are now, to read again.
                    if changed_meanwhile(e) {
                        reload.refetch();
                    }
                    show_refusal(e, l, &NEW_USER_ROUTES, fields, error);
                }
            }
            result.map(drop)
        }
    });
    // Opens the form again on the user as stored now (what was typed goes).
    let read_again = move || {
        let Some(id) = form.editing.get_untracked() else {
            return;
        };
        let now = reload
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|u| u.id == id));
        if let Some(user) = now {
            form.edit(&user);
            error.set(None);
        }
    };
    let busy = move || create.pending().get() || update.pending().get();
    let editing = move || form.editing.get().is_some();
    let on_properties = move |ev: leptos::ev::Event| {
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        let options = select.selected_options();
        let chosen = (0..options.length())
            .filter_map(|i| options.item(i))
            .filter_map(|o| o.get_attribute("value"))
            .filter_map(|v| v.parse::<PropertyId>().ok())
            .collect();
        form.properties.set(chosen);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy() || ctx.token().is_none() {
            return;
        }
        error.set(None);
        done.set(None);
        if let Some(id) = form.editing.get_untracked() {
            let mut found = BTreeMap::new();
            match form.read_change(ctx.l(), &mut found) {
                Some(change) => {
                    fields.set(BTreeMap::new());
                    update.dispatch_local((id, change));
                }
                None => fields.set(found),
            }
            return;
        }
        match form.read(ctx.l()) {
            Ok(user) => {
                fields.set(BTreeMap::new());
                create.dispatch_local(user);
            }
            Err(found) => fields.set(found),
        }
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    let beside =
        move |field: &'static str| field_error(fields, field, format!("new-user-{field}-error"));
    view! {
        <form class="card admin-form" data-testid="new-user-form" on:submit=submit>
            <h3>{move || match (form.editing.get(), ctx.lang.get()) {
                (None, l) => l.pick("新增用户", "Add a user").to_string(),
                (Some(_), Lang::ZhCn) => format!("修改用户 {}", form.login.get()),
                (Some(_), Lang::En) => format!("Edit user {}", form.login.get()),
            }}</h3>
            <div class="admin-grid">
                <Show when=move || !editing()>
                    <TextField label=("账号", "Login") testid="new-user-login" value=form.login autocomplete="off" verbatim=true>
                        {beside("login")}
                    </TextField>
                </Show>
                <TextField label=("姓名", "Name") testid="new-user-name" value=form.name>
                    {beside("name")}
                </TextField>
                <label class="field">
                    <span>{t("角色", "Role")}</span>
                    <select data-testid="new-user-role"
                        on:change=move |ev| {
                            if let Some(r) = Role::from_code(&event_target_value(&ev)) {
                                form.role.set(r);
                            }
                        }>
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! {
                                <option value=r.code() prop:selected=move || form.role.get() == r>
                                    {move || r.label(ctx.lang.get())}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    {beside("role")}
                </label>
                <Show when=move || !editing()>
                    <TextField label=("初始密码（至少 8 位）", "Initial password (at least 8 characters)")
                        testid="new-user-password" value=form.password kind="password" autocomplete="new-password">
                        {beside("password")}
                    </TextField>
                </Show>
                <label class="field">
                    <span>{t("所属项目（可多选）", "Properties (choose one or more)")}</span>
                    <select multiple class="admin-multi" data-testid="new-user-property" on:change=on_properties>
                        // A retired property only for who is in it already.
                        {move || props()
                            .into_iter()
                            .filter(|p| !p.retired || form.properties.with(|s| s.contains(&p.id)))
                            .map(|p| {
                                let id = p.id;
                                view! {
                                    <option value=id.to_string() prop:selected=move || form.properties.with(|s| s.contains(&id))>
                                        {format!("{} {}", p.code, p.name)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {beside("properties")}
                </label>
                // A department head finds the cases assigned to their
                // department by its exact name: the names in use are
                // offered, so that 工程 and 工程部 do not become two.
                <TextField label=("部门（可选，与派单所填部门一致）", "Department (optional; as cases are assigned to it)")
                    testid="new-user-department" value=form.department list="user-departments">
                    {beside("department")}
                </TextField>
                <datalist id="user-departments" data-testid="user-departments">
                    {move || {
                        reload
                            .get()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|u| u.department)
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .map(|d| view! { <option value=d></option> })
                            .collect_view()
                    }}
                </datalist>
            </div>
            <p class="hint">
                {t(
                    "总部品质部、总经理和系统管理员可查看全部项目，无需选择项目。",
                    "Head-office quality, the general manager and the administrator see every property and need none.",
                )}
            </p>
            <Show when=editing>
                <p class="hint" data-testid="user-edit-hint">
                    {t(
                        "更改角色或所属项目后，该用户须在各平板上重新登录；此前离线记录、按原角色提交的操作将暂存，待管理员处理。",
                        "A new role or new properties log the user out on every tablet; what they recorded offline under the old role is set aside for an administrator.",
                    )}
                </p>
            </Show>
            <div class="actions">
                <button type="submit" class="btn primary" data-testid="new-user-submit" disabled=busy>
                    {move || if editing() { ctx.lang.get().pick("保存修改", "Save") } else { ctx.lang.get().pick("创建用户", "Create user") }}
                </button>
                <Show when=editing>
                    <button type="button" class="btn" data-testid="user-edit-cancel" on:click=move |_| {
                        form.clear();
                        fields.set(BTreeMap::new());
                        error.set(None);
                    }>{t("取消", "Cancel")}</button>
                </Show>
                <p class="error" role="alert" data-testid="admin-error">{move || error.with(|e| e.as_ref().map(|e| e.message(ctx.lang.get())))}</p>
                <ReadAgain
                    when=Signal::derive(move || error.with(|e| e.as_ref().is_some_and(changed_meanwhile)))
                    read=read_again/>
                <p class="admin-done" role="status" data-testid="new-user-status">{move || done.get()}</p>
            </div>
        </form>
    }
}

/// Where the server's refusals of a new user belong.
const NEW_USER_ROUTES: [Route; 10] = [
    route("admin.bad_login", "login"),
    route("admin.retired_property", "properties"),
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
    route("admin.bad_department", "department"),
    route("admin.no_department", "department"),
];
