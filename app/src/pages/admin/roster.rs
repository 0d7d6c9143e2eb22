//! 批量导入: a staff roster (人员名单) pasted from a spreadsheet, checked
//! line by line as it is typed (`shared::roster`), then created at once,
//! all or nobody. The passwords made for users given none are shown once,
//! here, for the admin to hand over, until they say the passwords are
//! noted; each user changes theirs at the first login. They are made
//! here, before the roster is sent: an answer lost on the way (the
//! network, a timeout while the server hashes five hundred passwords)
//! must not leave users created with passwords nobody saw.

use super::token;
use crate::api::ApiError;
use crate::api::admin;
use crate::components::form::Unsaved;
use crate::components::table::{DataTable, Loaded};
use crate::state::use_app;
use leptos::prelude::*;
use shared::admin::{ImportedUser, UserImport};
use shared::lang::{Coded, Lang};
use shared::property::Property;
use shared::role::{Role, User};
use shared::roster::{RosterLine, read_roster};

/// The roster form, under the users table.
#[component]
pub fn RosterImport(users: Loaded<Vec<User>>, properties: Loaded<Vec<Property>>) -> impl IntoView {
    let ctx = use_app();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(Vec::<ImportedUser>::new());
    // Sent with no answer: maybe created, with these passwords.
    let unsure = RwSignal::new(Vec::<Made>::new());
    // The passwords made are shown this once: until the administrator
    // says they are noted, they hold the screen as typing does.
    Unsaved::track(move || {
        (
            text.get(),
            created.with(|c| !c.is_empty()) || unsure.with(|u| !u.is_empty()),
        )
    });
    let props = move || properties.get().and_then(Result::ok).unwrap_or_default();
    let lines = Memo::new(move |_| {
        let known = users.get().and_then(Result::ok).unwrap_or_default();
        let logins: Vec<&str> = known.iter().map(|u| u.login.as_str()).collect();
        text.with(|t| read_roster(t, &props(), &logins))
    });
    let import = Action::new_local(move |(req, ours, sent): &(UserImport, Vec<Made>, String)| {
        let (req, ours, sent) = (req.clone(), ours.clone(), sent.clone());
        async move {
            let result = admin::import_users(&token(ctx)?, &req).await;
            match &result {
                Ok(made) => {
                    error.set(None);
                    // The passwords made here, beside the users as stored.
                    let made = made.iter().cloned().map(|mut u| {
                        if u.password.is_none() {
                            u.password = ours
                                .iter()
                                .find(|o| o.login == u.user.login)
                                .map(|o| o.password.clone());
                        }
                        u
                    });
                    // Added to those not yet noted: a second import
                    // before 密码已记下 must not take the first's away.
                    created.update(|c| c.extend(made));
                    // Made now, they are no longer in doubt.
                    unsure.update(|u| u.retain(|m| ours.iter().all(|o| o.login != m.login)));
                    // What was sent is done with; lines typed or pasted
                    // while the server worked (a long roster takes a
                    // while) stay, to import next.
                    text.update(|t| {
                        *t = t
                            .strip_prefix(sent.as_str())
                            .map(|rest| rest.trim_start_matches(['\r', '\n']).to_string())
                            .unwrap_or_else(|| t.clone());
                    });
                    users.refetch();
                    crate::sync::request(ctx);
                }
                Err(e) => {
                    // No answer, or none that says: the import may have
                    // been made (a proxy timing out while the server
                    // hashes the passwords, an answer cut short).
                    let maybe_made = match e {
                        ApiError::Network(_) | ApiError::Decode(_) => true,
                        ApiError::Server { status, .. } => *status >= 500,
                        _ => false,
                    };
                    if maybe_made {
                        unsure.update(|u| {
                            for made in &ours {
                                if !u.contains(made) {
                                    u.push(made.clone());
                                }
                            }
                        });
                    }
                    error.set(Some(e.clone()));
                }
            }
            result.map(drop)
        }
    });
    let ready = move || {
        lines.with(|ls| !ls.is_empty() && ls.iter().all(|l| l.problems.is_empty()))
            && !import.pending().get()
    };
    let submit = move |_| {
        if !ready() {
            return;
        }
        let mut users: Vec<shared::admin::NewUserRequest> =
            lines.with_untracked(|ls| ls.iter().map(|l| l.user.clone()).collect());
        let mut ours = Vec::new();
        for user in users.iter_mut().filter(|u| u.password.is_empty()) {
            // The password of a try that had no answer, if this is that
            // user again: the one shown for them stays theirs.
            let before = unsure.with_untracked(|u| {
                u.iter()
                    .find(|m| m.login == user.login)
                    .map(|m| m.password.clone())
            });
            // Without the browser's random source the server makes it.
            if let Some(password) = before.or_else(made_password) {
                user.password.clone_from(&password);
                ours.push(Made {
                    login: user.login.clone(),
                    name: user.display_name.clone(),
                    password,
                });
            }
        }
        import.dispatch_local((UserImport { users }, ours, text.get_untracked()));
    };
    let t = move |zh: &'static str, en: &'static str| move || ctx.lang.get().pick(zh, en);
    view! {
        <div class="card admin-form" data-testid="roster">
            <h3>{t("批量导入用户", "Import users")}</h3>
            <p class="hint">{t(
                "从表格复制粘贴，每行一人：登录名、姓名、角色、项目（编号或名称，多个用顿号分隔）、部门、初始密码（不填则自动生成）。第一行可以是列名。",
                "Paste from a spreadsheet, one user per line: login, name, role, properties (codes or names, separated by commas), department, initial password (made for you if empty). The first line may name the columns.",
            )}</p>
            <textarea rows="6" class="roster-text" data-testid="roster-text"
                placeholder=t("登录名\t姓名\t角色\t项目\t部门\t初始密码", "login\tname\trole\tproperties\tdepartment\tinitial password")
                aria-label=t("花名册（从表格粘贴）", "Roster (pasted from a spreadsheet)")
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            {move || {
                let ls = lines.get();
                (!ls.is_empty()).then(|| view! { <RosterPreview lines=ls properties=props()/> })
            }}
            <button type="button" class="btn primary" data-testid="roster-import"
                disabled=move || !ready() on:click=submit>
                {move || lines.with(|ls| match ctx.lang.get() {
                    Lang::ZhCn => format!("导入 {} 人", ls.len()),
                    Lang::En => format!("Import {} users", ls.len()),
                })}
            </button>
            {move || error.get().map(|e| view! {
                <p class="error" role="alert" data-testid="roster-error">{move || refusal(&e, ctx.lang.get())}</p>
            })}
            {move || {
                let made = unsure.get();
                (!made.is_empty()).then(|| view! {
                    <RosterUnsure made=made/>
                    <button type="button" class="btn" data-testid="roster-unsure-noted"
                        on:click=move |_| unsure.set(Vec::new())>
                        {t("密码已记下，关闭", "Passwords noted, close")}
                    </button>
                })
            }}
            {move || {
                let made = created.get();
                (!made.is_empty()).then(|| view! {
                    <RosterCreated made=made/>
                    <button type="button" class="btn" data-testid="roster-noted"
                        on:click=move |_| created.set(Vec::new())>
                        {t("密码已记下，关闭", "Passwords noted, close")}
                    </button>
                })
            }}
        </div>
    }
}

/// A password made here for a roster line given none.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Made {
    login: String,
    name: String,
    password: String,
}

/// A password for a user the roster gives none: 16 hexadecimal digits
/// from the browser's random source, as the server makes them; `None`
/// where the browser has none to give.
fn made_password() -> Option<String> {
    let crypto = window().crypto().ok()?;
    let mut bytes = [0u8; 8];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The users sent with no answer back, and the passwords made for them:
/// if the list of users shows them now, these are theirs.
#[component]
fn RosterUnsure(made: Vec<Made>) -> impl IntoView {
    let ctx = use_app();
    let rows = made
        .into_iter()
        .map(|m| {
            let login = m.login.clone();
            view! {
                <tr data-testid="roster-unsure-row" data-login=login>
                    <td>{m.login}</td>
                    <td>{m.name}</td>
                    <td><code>{m.password}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="warning" role="alert" data-testid="roster-unsure">{move || ctx.lang.get().pick(
            "没有收到服务器的答复，无法确认是否已导入。若用户列表中已出现这些用户，他们的初始密码如下，请记下；若没有，可以再次导入。",
            "No answer came from the server: the import may or may not have been made. If the users list shows these users now, these are their passwords: note them; if not, import again.",
        )}</p>
        <DataTable testid="roster-unsure-table" headers=&[
            ("账号", "Login"),
            ("姓名", "Name"),
            ("初始密码", "Password"),
        ]>
            {rows}
        </DataTable>
    }
}

/// The server's refusal in words, led by the user it is about: the server
/// names them as `user N (login): …` (`ApiError::in_user`).
fn refusal(e: &ApiError, l: Lang) -> String {
    let words = e.message(l);
    let who = match e {
        ApiError::Server { message, .. } => message
            .strip_prefix("user ")
            .and_then(|rest| rest.split_once("): "))
            .and_then(|(who, _)| who.split_once(" (")),
        _ => None,
    };
    match (who, l) {
        (Some((n, login)), Lang::ZhCn) => format!("第 {n} 人（{login}）：{words}"),
        (Some((n, login)), Lang::En) => format!("User {n} ({login}): {words}"),
        (None, _) => words,
    }
}

/// Each line as it will be created, and what is wrong with it.
#[component]
fn RosterPreview(lines: Vec<RosterLine>, properties: Vec<Property>) -> impl IntoView {
    let ctx = use_app();
    let rows = lines
        .into_iter()
        .map(|l| {
            let role = Role::from_code(&l.user.role);
            let raw_role = l.user.role.clone();
            let codes: Vec<String> = l
                .user
                .properties
                .iter()
                .filter_map(|id| properties.iter().find(|p| p.id == *id))
                .map(|p| p.code.clone())
                .collect();
            let problems = l.problems.clone();
            let problem_codes = l
                .problems
                .iter()
                .map(Coded::code)
                .collect::<Vec<_>>()
                .join(" ");
            let made = l.user.password.is_empty();
            view! {
                <tr data-testid="roster-row" data-line=l.line.to_string() data-problems=problem_codes
                    class:error=!l.problems.is_empty()>
                    <td>{l.line}</td>
                    <td>{l.user.login.clone()}</td>
                    <td>{l.user.display_name.clone()}</td>
                    <td>{move || role.map_or_else(|| raw_role.clone(), |r| r.label(ctx.lang.get()).to_string())}</td>
                    <td>{codes.join("、")}</td>
                    <td>{l.user.department.clone().unwrap_or_default()}</td>
                    <td>{move || if made { ctx.lang.get().pick("自动生成", "Made") } else { ctx.lang.get().pick("已填写", "Given") }}</td>
                    <td data-testid="roster-problem">{move || {
                        let l = ctx.lang.get();
                        problems.iter().map(|p| p.message(l)).collect::<Vec<_>>().join("；")
                    }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable testid="roster-table" headers=&[
            ("行", "Line"),
            ("账号", "Login"),
            ("姓名", "Name"),
            ("角色", "Role"),
            ("项目", "Properties"),
            ("部门", "Department"),
            ("初始密码", "Password"),
            ("问题", "Problems"),
        ]>
            {rows}
        </DataTable>
    }
}

/// The users just created, with the passwords made for them: shown this
/// once.
#[component]
fn RosterCreated(made: Vec<ImportedUser>) -> impl IntoView {
    let ctx = use_app();
    let count = made.len();
    let rows = made
        .into_iter()
        .map(|u| {
            view! {
                <tr data-testid="roster-created" data-login=u.user.login.clone()>
                    <td>{u.user.login.clone()}</td>
                    <td>{u.user.display_name.clone()}</td>
                    <td data-testid="roster-password"><code>{u.password.clone().unwrap_or_default()}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="admin-done" role="status" data-testid="roster-done">{move || match ctx.lang.get() {
            Lang::ZhCn => format!("已创建 {count} 个用户。自动生成的初始密码只显示这一次，请记下并分别告知本人；首次登录须修改密码。"),
            Lang::En => format!("Created {count} users. The passwords made for them are shown this once: note them and tell each user theirs; they change it at the first login."),
        }}</p>
        <DataTable testid="roster-result" headers=&[
            ("账号", "Login"),
            ("姓名", "Name"),
            ("初始密码", "Password"),
        ]>
            {rows}
        </DataTable>
    }
}
