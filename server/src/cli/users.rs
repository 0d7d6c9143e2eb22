//! `server user add | list | disable`: users, with the same checks as the
//! admin API.

use super::{Data, cli_audit, create_user, property_by_code};
use clap::Subcommand;
use shared::admin::NewUserRequest;

/// The `user` commands.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Adds a user.
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
        #[arg(long, env = "SERVER_USER_PASSWORD")]
        password: String,
        /// A property code the user belongs to (repeat for several).
        #[arg(long = "property")]
        properties: Vec<String>,
        #[arg(long)]
        department: Option<String>,
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
                )?;
                println!(
                    "created user {} ({}) {}",
                    user.login,
                    user.role.code(),
                    user.id
                );
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
            UserCommand::Disable { data, login } => {
                let store = data.open()?;
                let user = store
                    .user_by_login(&login)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no user {login}"))?
                    .user;
                store
                    .set_user_active(
                        user.id,
                        false,
                        &cli_audit(
                            "user.set_active",
                            serde_json::json!({ "user": user.id, "active": false }),
                        ),
                    )
                    .map_err(|e| e.to_string())?;
                println!("disabled {login}");
                Ok(())
            }
        }
    }
}
