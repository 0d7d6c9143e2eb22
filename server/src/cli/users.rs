//! `server user add | import | list | disable | enable | password`:
//! users, with the same checks as the admin API.

use super::{Data, cli_audit, create_user, import_users, property_by_code};
use clap::Subcommand;
use shared::admin::NewUserRequest;
use shared::lang::{Coded, Lang};
use shared::roster::read_roster;
use std::path::PathBuf;

/// The `user` commands.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Adds a user, who changes the password at the first login (as
    /// with a roster), unless `--own-password`.
    Add {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// staff, department_head, manager, regional_manager, deputy_gm, gm, quality, admin
        #[arg(long)]
        role: String,
        /// The initial password (or set SERVER_USER_PASSWORD).
        #[arg(long, env = "SERVER_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// A property code the user belongs to (repeat for several).
        #[arg(long = "property")]
        properties: Vec<String>,
        #[arg(long)]
        department: Option<String>,
        /// The password is the user's own choice, not one given to them:
        /// no change is asked at the first login.
        #[arg(long)]
        own_password: bool,
    },
    /// Adds the users of a roster (a CSV file, or tab-separated as a
    /// spreadsheet copies it): login, name, role, properties, department,
    /// initial password, one user per line. All of them or, when a line is
    /// wrong, none. Prints the passwords made for users given none; each
    /// user changes theirs at the first login.
    Import {
        #[command(flatten)]
        data: Data,
        /// The roster file (UTF-8).
        file: PathBuf,
    },
    /// Lists users.
    List {
        #[command(flatten)]
        data: Data,
    },
    /// Disables a user and revokes their tokens.
    Disable {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        login: String,
    },
    /// Enables a user disabled before (back from leave, disabled by
    /// mistake): they log in again with the password they had.
    Enable {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        login: String,
    },
    /// Gives a user a new password, printed, which they change at their
    /// next login, and ends their sessions: for the administrator who
    /// forgot theirs, whom no screen can help.
    Password {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        login: String,
    },
}

impl UserCommand {
    /// Runs the command.
    pub fn run(self) -> Result<(), String> {
        match self {
            UserCommand::Add {
                data,
                login,
                name,
                role,
                password,
                properties,
                department,
                own_password,
            } => {
                let store = data.open()?;
                let ids = properties
                    .iter()
                    .map(|code| property_by_code(store.as_ref(), code).map(|p| p.id))
                    .collect::<Result<Vec<_>, _>>()?;
                let user = create_user(
                    store,
                    NewUserRequest {
                        login,
                        display_name: name,
                        role,
                        password,
                        properties: ids,
                        department,
                    },
                    !own_password,
                )?;
                println!(
                    "created user {} ({}) {}",
                    user.login,
                    user.role.code(),
                    user.id
                );
                if !own_password {
                    println!("they choose their own password at the first login");
                }
                Ok(())
            }
            UserCommand::Import { data, file } => {
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        format!(
                            "{} is not UTF-8: save it as \"CSV UTF-8\" (Excel) or UTF-8 text",
                            file.display()
                        )
                    } else {
                        format!("read {}: {e}", file.display())
                    }
                })?;
                let store = data.open()?;
                let properties = store.properties().map_err(|e| e.to_string())?;
                let users = store.users().map_err(|e| e.to_string())?;
                let logins: Vec<&str> = users.iter().map(|u| u.login.as_str()).collect();
                let lines = read_roster(&text, &properties, &logins);
                let problems: Vec<String> = lines
                    .iter()
                    .flat_map(|l| {
                        l.problems.iter().map(move |p| {
                            format!("line {}: {}: {}", l.line, p.code(), p.message(Lang::En))
                        })
                    })
                    .collect();
                if !problems.is_empty() {
                    return Err(format!("nobody was added:\n{}", problems.join("\n")));
                }
                let created = import_users(store, lines.into_iter().map(|l| l.user).collect())?;
                println!("created {} users", created.len());
                for u in created {
                    match u.password {
                        Some(password) => println!("{}\t{password}", u.user.login),
                        None => println!("{}", u.user.login),
                    }
                }
                Ok(())
            }
            UserCommand::List { data } => {
                let store = data.open()?;
                for u in store.users().map_err(|e| e.to_string())? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        u.login,
                        u.role.code(),
                        u.display_name,
                        if u.active { "active" } else { "disabled" },
                        u.id
                    );
                }
                Ok(())
            }
            UserCommand::Disable { data, login } => set_active(data, &login, false),
            UserCommand::Enable { data, login } => set_active(data, &login, true),
            UserCommand::Password { data, login } => new_password(data, &login),
        }
    }
}

/// The user whose login is `login`.
fn user_named(store: &dyn server::store::Store, login: &str) -> Result<shared::role::User, String> {
    Ok(store
        .user_by_login(login)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user {login}"))?
        .user)
}

/// Sets a new password for the user `login`, to be changed at the next
/// login, and prints it.
fn new_password(data: Data, login: &str) -> Result<(), String> {
    let store = data.open()?;
    let user = user_named(store.as_ref(), login)?;
    let password = server::auth::new_token()[..16].to_string();
    let hash = server::auth::hash_password(&password).map_err(|e| e.to_string())?;
    store
        .set_password(
            user.id,
            &hash,
            true,
            None,
            &cli_audit(
                "user.reset_password",
                serde_json::json!({ "user": user.id }),
            ),
        )
        .map_err(|e| e.to_string())?;
    println!("new password for {login}: {password}");
    println!("they choose their own at the next login; their sessions have ended");
    if !user.active {
        println!("note: {login} is disabled (`server user enable --login {login}`)");
    }
    Ok(())
}

/// Enables or disables the user `login` (disabling revokes their tokens).
fn set_active(data: Data, login: &str, active: bool) -> Result<(), String> {
    let store = data.open()?;
    let user = user_named(store.as_ref(), login)?;
    store
        .set_user_active(
            user.id,
            active,
            &cli_audit(
                "user.set_active",
                serde_json::json!({ "user": user.id, "active": active }),
            ),
        )
        .map_err(|e| e.to_string())?;
    println!("{} {login}", if active { "enabled" } else { "disabled" });
    Ok(())
}
