//! The `server` command: serve, and the administration that has to work
//! before anyone can log in (first admin, users, properties, calendar,
//! backup, integrity check). Everything here goes through the same store
//! and checks as the HTTP API.

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use server::api::admin::{NewUserRequest, check_property, create_user_checked};
use server::headers::Transport;
use server::proxy::TrustedProxies;
use server::store::{AuditEntry, Store};
use shared::calendar::{Calendar, YearSchedule};
use shared::id::{BuildingId, PropertyId, UnitId};
use shared::property::{Building, Property, Unit};
use shared::role::Role;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Offline-first complaint and service-case sync server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Data {
    /// The data directory (holds the SQLite file).
    #[arg(long, default_value = "data", global = true)]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the app.
    Serve {
        #[command(flatten)]
        data: Data,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Log level (error, warn, info, debug, trace) or a tracing filter.
        #[arg(long, default_value = "info")]
        log_level: String,
        /// The built app to serve at `/`.
        #[arg(long)]
        dist: Option<PathBuf>,
        /// How far ahead of the server's clock an op's times may be, in
        /// minutes, before it is quarantined as `clock.out_of_range`.
        #[arg(long, default_value_t = 24 * 60)]
        max_clock_skew_minutes: u32,
        #[command(flatten)]
        tls: TlsArgs,
        /// A reverse proxy (IP address) whose `X-Forwarded-For` names the
        /// client; repeat for several. Without it the TCP peer is the client.
        #[arg(long = "trusted-proxy", value_name = "ADDR")]
        trusted_proxies: Vec<IpAddr>,
    },
    /// HTTPS without a domain: a local certificate authority for the tablets.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Creates the first admin if there is none, with a random password
    /// that is printed and kept in `<data-dir>/first-admin.txt`.
    InitAdmin {
        #[command(flatten)]
        data: Data,
        /// The admin's login.
        #[arg(long, default_value = "admin")]
        login: String,
    },
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Properties, buildings and units.
    #[command(subcommand)]
    Property(PropertyCommand),
    /// The holiday calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Writes a consistent copy of the database while the server may be running.
    Backup {
        #[command(flatten)]
        data: Data,
        /// The file to write (must not exist).
        out: PathBuf,
    },
    /// Checks the database's integrity.
    Check {
        #[command(flatten)]
        data: Data,
    },
    /// Replaces the database with a backup, while the server is stopped.
    /// Starts a new epoch so that tablets resend what the backup lacks and
    /// pull again; keeps the devices the backup does not know; the
    /// replaced database is kept beside it.
    Restore {
        #[command(flatten)]
        data: Data,
        /// A file written by `server backup`.
        file: PathBuf,
    },
}

/// `serve` over HTTPS.
#[derive(Args)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate (chain), e.g. `server.crt`
    /// from `server tls init`.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// With TLS, also listen for plain HTTP here, answering only with a
    /// redirect to HTTPS (e.g. 0.0.0.0:80).
    #[arg(long, requires = "tls_cert", value_name = "ADDR")]
    http_redirect_addr: Option<SocketAddr>,
}

#[derive(Subcommand)]
enum TlsCommand {
    /// Makes a local certificate authority (once; reused afterwards) and a
    /// server certificate for the names and addresses tablets use. Install
    /// `ca.crt` on every tablet (see the README), then serve with
    /// `--tls-cert DIR/server.crt --tls-key DIR/server.key`.
    Init {
        #[command(flatten)]
        data: Data,
        /// A host name tablets use for the server (repeat for several).
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        /// An IP address tablets use for the server (repeat for several).
        #[arg(long = "ip", value_name = "ADDR")]
        ips: Vec<IpAddr>,
        /// Where to write the files; default `<data-dir>/tls`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
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

#[derive(Subcommand)]
enum PropertyCommand {
    /// Adds a property.
    Add {
        #[command(flatten)]
        data: Data,
        /// Short code used in registration numbers (e.g. HY).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Number of households (户数).
        #[arg(long)]
        households: u32,
    },
    /// Adds a building with its units to a property.
    Building {
        #[command(flatten)]
        data: Data,
        /// The property's code.
        #[arg(long)]
        property: String,
        /// The building's name (e.g. 1栋).
        #[arg(long)]
        name: String,
        /// Unit names, comma-separated (e.g. 101,102,201).
        #[arg(long, default_value = "")]
        units: String,
    },
    /// Lists properties.
    List {
        #[command(flatten)]
        data: Data,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Imports a year's schedule (a JSON YearSchedule or a list of them),
    /// replacing that year.
    Import {
        #[command(flatten)]
        data: Data,
        file: PathBuf,
    },
    /// Shows the loaded years.
    Show {
        #[command(flatten)]
        data: Data,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open(data: &Data) -> Result<Arc<dyn Store>, String> {
    server::open_store(&data.data_dir)
        .map(|s| Arc::new(s) as Arc<dyn Store>)
        .map_err(|e| e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn property_by_code(store: &dyn Store, code: &str) -> Result<Property, String> {
    let code = code.trim().to_ascii_uppercase();
    store
        .properties()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|p| p.code == code)
        .ok_or_else(|| format!("no property with code {code}"))
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            data,
            addr,
            log_level,
            dist,
            max_clock_skew_minutes,
            tls,
            trusted_proxies,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_new(&log_level)
                        .map_err(|e| e.to_string())?,
                )
                .with_writer(std::io::stderr)
                .init();
            let _lock = lock_data_dir(&data)?;
            let store = open(&data)?;
            let dist = dist.filter(|d| d.join("index.html").exists());
            if dist.is_none() {
                tracing::warn!("no built app to serve; run `cargo xtask run`");
            }
            let mut state = server::state(store);
            state.max_clock_skew = chrono::Duration::minutes(max_clock_skew_minutes.into());
            state.first_admin_file = Some(data.data_dir.join(server::FIRST_ADMIN_FILE));
            state.trusted_proxies = Arc::new(TrustedProxies::new(trusted_proxies));
            if let (Some(cert), Some(key)) = (tls.tls_cert, tls.tls_key) {
                let app = server::app_over(state, dist, Transport::Https);
                return runtime()?.block_on(server::tls::serve(
                    app,
                    addr,
                    &cert,
                    &key,
                    tls.http_redirect_addr,
                ));
            }
            let app = server::app(state, dist);
            runtime()?.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("bind {addr}: {e}"))?;
                let local = listener.local_addr().map_err(|e| e.to_string())?;
                tracing::info!(%local, data_dir = %data.data_dir.display(), "serving");
                println!("listening on http://{local}");
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| e.to_string())
            })
        }
        Command::Tls(TlsCommand::Init {
            data,
            hosts,
            ips,
            out,
        }) => {
            let dir = out.unwrap_or_else(|| data.data_dir.join("tls"));
            let issued = server::tls::init(&dir, &hosts, &ips, Utc::now().date_naive())?;
            let ca = dir.join(server::tls::CA_CERT);
            let names: Vec<String> = hosts
                .iter()
                .cloned()
                .chain(ips.iter().map(IpAddr::to_string))
                .collect();
            if issued.ca_created {
                println!(
                    "Created the certificate authority \"{}\": install {} on every tablet \
                     (see the README); keep {} private.",
                    issued.ca_name,
                    ca.display(),
                    dir.join(server::tls::CA_KEY).display()
                );
            } else {
                println!(
                    "Reused the certificate authority \"{}\" ({}): tablets that have it need nothing new.",
                    issued.ca_name,
                    ca.display()
                );
            }
            println!(
                "Issued {} for {}, valid until {}.",
                dir.join(server::tls::SERVER_CERT).display(),
                names.join(", "),
                issued.not_after
            );
            println!("Server key SHA-256 (SPKI, base64): {}", issued.spki);
            println!(
                "Serve with: server serve --addr 0.0.0.0:8443 --tls-cert {} --tls-key {} --http-redirect-addr 0.0.0.0:8080",
                dir.join(server::tls::SERVER_CERT).display(),
                dir.join(server::tls::SERVER_KEY).display()
            );
            Ok(())
        }
        Command::InitAdmin { data, login } => {
            let store = open(&data)?;
            let users = store.users().map_err(|e| e.to_string())?;
            let file = data.data_dir.join(server::FIRST_ADMIN_FILE);
            if let Some(admin) = users.iter().find(|u| u.role == Role::Admin) {
                println!("An admin exists: log in as \"{}\".", admin.login);
                if file.exists() {
                    println!("The first admin's password is in {}.", file.display());
                }
                return Ok(());
            }
            let password = server::auth::new_token()[..16].to_string();
            let user = create_user(
                store.clone(),
                NewUserRequest {
                    login,
                    display_name: "系统管理员".into(),
                    role: Role::Admin.code().into(),
                    password: password.clone(),
                    properties: Vec::new(),
                    department: None,
                },
            )?;
            // A printed password is known to whoever saw the terminal: the
            // admin must choose their own at the first login.
            let hash = server::auth::hash_password(&password).map_err(|e| format!("{e:?}"))?;
            store
                .set_password(
                    user.id,
                    &hash,
                    true,
                    &cli_audit(
                        "user.must_change_password",
                        serde_json::json!({ "user": user.id }),
                    ),
                )
                .map_err(|e| e.to_string())?;
            write_secret(
                &file,
                &format!("login: {}\npassword: {password}\n", user.login),
            )?;
            println!(
                "Created the first admin: login \"{}\", password \"{password}\" (also in {}). \
                 The app asks for a new password at the first login.",
                user.login,
                file.display()
            );
            Ok(())
        }
        Command::User(UserCommand::Add {
            data,
            login,
            name,
            role,
            password,
            properties,
            department,
        }) => {
            let store = open(&data)?;
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
        Command::User(UserCommand::List { data }) => {
            let store = open(&data)?;
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
        Command::User(UserCommand::Disable { data, login }) => {
            let store = open(&data)?;
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
        Command::Property(PropertyCommand::Add {
            data,
            code,
            name,
            households,
        }) => {
            let store = open(&data)?;
            let property = Property {
                id: PropertyId(uuid::Uuid::now_v7()),
                code: code.trim().to_ascii_uppercase(),
                name,
                households,
                buildings: Vec::new(),
            };
            check_property(&property).map_err(|e| format!("{e:?}"))?;
            let audit = cli_audit(
                "property.put",
                serde_json::json!({ "property": property.id, "code": property.code }),
            );
            store
                .put_property(&property, &audit)
                .map_err(|e| e.to_string())?;
            println!("created property {} {}", property.code, property.id);
            Ok(())
        }
        Command::Property(PropertyCommand::Building {
            data,
            property,
            name,
            units,
        }) => {
            let store = open(&data)?;
            let mut p = property_by_code(store.as_ref(), &property)?;
            let units = units
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| Unit {
                    id: UnitId(uuid::Uuid::now_v7()),
                    name: u.to_string(),
                })
                .collect();
            p.buildings.push(Building {
                id: BuildingId(uuid::Uuid::now_v7()),
                name,
                units,
            });
            let audit = cli_audit(
                "property.put",
                serde_json::json!({ "property": p.id, "code": p.code }),
            );
            store.put_property(&p, &audit).map_err(|e| e.to_string())?;
            println!(
                "property {} now has {} building(s)",
                p.code,
                p.buildings.len()
            );
            Ok(())
        }
        Command::Property(PropertyCommand::List { data }) => {
            let store = open(&data)?;
            for p in store.properties().map_err(|e| e.to_string())? {
                let units: usize = p.buildings.iter().map(|b| b.units.len()).sum();
                println!(
                    "{}\t{}\t{} households\t{} buildings\t{} units\t{}",
                    p.code,
                    p.name,
                    p.households,
                    p.buildings.len(),
                    units,
                    p.id
                );
            }
            Ok(())
        }
        Command::Calendar(CalendarCommand::Import { data, file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("read {}: {e}", file.display()))?;
            let years: Vec<YearSchedule> = serde_json::from_str::<Vec<YearSchedule>>(&text)
                .or_else(|_| serde_json::from_str::<YearSchedule>(&text).map(|y| vec![y]))
                .map_err(|e| format!("{}: not a year schedule: {e}", file.display()))?;
            let store = open(&data)?;
            let mut calendar: Calendar = store.config().map_err(|e| e.to_string())?.calendar;
            for year in years {
                let y = year.year;
                calendar.insert(year).map_err(|e| e.to_string())?;
                println!("imported {y}");
            }
            let audit = cli_audit(
                "calendar.put",
                serde_json::json!({ "file": file.display().to_string(), "years": calendar.years().collect::<Vec<_>>() }),
            );
            store
                .put_calendar(&calendar, &audit)
                .map_err(|e| e.to_string())
        }
        Command::Calendar(CalendarCommand::Show { data }) => {
            let store = open(&data)?;
            let calendar = store.config().map_err(|e| e.to_string())?.calendar;
            for year in calendar.years() {
                if let Some(s) = calendar.schedule(year) {
                    println!(
                        "{year}: {} rest days, {} make-up workdays ({})",
                        s.rest_days.len(),
                        s.workdays.len(),
                        s.source
                    );
                }
            }
            Ok(())
        }
        Command::Backup { data, out } => {
            let store = open(&data)?;
            store.backup(&out).map_err(|e| e.to_string())?;
            println!("backup written to {} at {}", out.display(), Utc::now());
            Ok(())
        }
        Command::Restore { data, file } => {
            let _lock = lock_data_dir(&data)?;
            if !file.is_file() {
                return Err(format!("{} is not a file", file.display()));
            }
            std::fs::create_dir_all(&data.data_dir).map_err(|e| e.to_string())?;
            let report = server::store::sqlite_restore::restore(
                &data.data_dir.join(server::DB_FILE),
                &file,
                Utc::now(),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "restored {} as epoch {}; kept {} device(s) the backup did not know",
                file.display(),
                report.epoch,
                report.devices_kept
            );
            if let Some(old) = report.replaced {
                println!("the replaced database is kept as {}", old.display());
            }
            Ok(())
        }
        Command::Check { data } => {
            let store = open(&data)?;
            let problems = store.check().map_err(|e| e.to_string())?;
            if problems.is_empty() {
                println!("ok");
                Ok(())
            } else {
                Err(problems.join("\n"))
            }
        }
    }
}

/// The audit record of a change made on the server's command line: no
/// user or device, the address says where it came from.
fn cli_audit(action: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry::unattended(action, "command line", detail)
}

/// Creates a user with the same checks as the admin API.
fn create_user(store: Arc<dyn Store>, req: NewUserRequest) -> Result<shared::role::User, String> {
    let state = server::state(store);
    runtime()?
        .block_on(create_user_checked(
            &state,
            req,
            cli_audit("user.create", serde_json::Value::Null),
        ))
        .map_err(|e| format!("{e:?}"))
}

/// Holds the data directory for this process: `serve` and `restore` must
/// never run at the same time on one directory. The lock goes with the
/// returned file (and with the process).
fn lock_data_dir(data: &Data) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(&data.data_dir)
        .map_err(|e| format!("create {}: {e}", data.data_dir.display()))?;
    let path = data.data_dir.join("server.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("open {}: {e}", path.display()))?;
    file.try_lock().map_err(|_| {
        format!(
            "{} is in use by a running server; stop it first",
            data.data_dir.display()
        )
    })?;
    Ok(file)
}

/// Writes a file only the owner can read.
fn write_secret(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
