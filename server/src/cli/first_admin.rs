//! `server init-admin`: the first admin, so that someone can log in at
//! all. Its random password is printed and kept in
//! `<data-dir>/first-admin.txt` (readable by the owner only), and must be
//! changed at the first login.

use super::{Data, create_user};
use clap::Args;
use shared::admin::NewUserRequest;
use shared::role::Role;

/// The arguments of `init-admin`.
#[derive(Args)]
pub struct InitAdmin {
    #[command(flatten)]
    data: Data,
    /// The admin's login.
    #[arg(long, default_value = "admin")]
    login: String,
}

impl InitAdmin {
    /// Creates the first admin if there is none; otherwise says who it is.
    pub fn run(self) -> Result<(), String> {
        let InitAdmin { data, login } = self;
        let store = data.open()?;
        let users = store.users().map_err(|e| e.to_string())?;
        let file = data.data_dir.join(server::FIRST_ADMIN_FILE);
        if let Some(admin) = users.iter().find(|u| u.role == Role::Admin && u.active) {
            println!("An admin exists: log in as \"{}\".", admin.login);
            if file.exists() {
                println!("The first admin's password is in {}.", file.display());
            } else {
                println!(
                    "Forgotten password: `server user password --login {}` prints a new one.",
                    admin.login
                );
            }
            return Ok(());
        }
        let password = server::auth::new_token()[..16].to_string();
        // A printed password is known to whoever saw the terminal: the
        // admin must choose their own at the first login.
        let user = create_user(
            store,
            NewUserRequest {
                login,
                display_name: "系统管理员".into(),
                role: Role::Admin.code().into(),
                password: password.clone(),
                properties: Vec::new(),
                department: None,
            },
            true,
        )?;
        // Said before the file is written: the account exists now, and a
        // file that cannot be written must not take its password along.
        println!(
            "Created the first admin: login \"{}\", password \"{password}\". \
             The app asks for a new password at the first login.",
            user.login,
        );
        server::secret_file::write(
            &file,
            &format!("login: {}\npassword: {password}\n", user.login),
        )
        .map_err(|e| format!("the password is above, but not kept: {e}"))?;
        println!("The password is also in {}.", file.display());
        Ok(())
    }
}
