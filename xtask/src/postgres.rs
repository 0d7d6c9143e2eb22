//! A throwaway PostgreSQL cluster for the tests: Debian's `postgresql`
//! package (installed when missing), `initdb` into a fresh directory, a
//! server on a free port of 127.0.0.1, stopped and removed when the
//! [`Cluster`] is dropped.
//!
//! PostgreSQL refuses to run as root, so under root the cluster belongs to
//! the package's `postgres` user and is driven through `runuser`. The
//! cluster trusts connections from 127.0.0.1 only: it holds nothing but
//! test databases and lives as long as the test run.

use crate::Result;
use crate::process::{cmd, output, step};
use crate::tools::apt_install;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that hands the cluster's URL to the tests.
pub const URL_VAR: &str = "TEST_POSTGRES_URL";

/// Set to make the PostgreSQL tests fail, instead of skip, without a URL.
pub const REQUIRED_VAR: &str = "TEST_POSTGRES_REQUIRED";

/// The environment variable that names the certificate authority (PEM) of
/// the cluster's TLS certificate: the tests connect over verified TLS.
pub const CA_VAR: &str = "TEST_POSTGRES_CA";

/// The installed server programs (`initdb`, `pg_ctl`): the newest of
/// Debian's `/usr/lib/postgresql/<major>/bin`.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Debian's PostgreSQL server, installed with apt when it is missing.
pub fn install_postgres() -> Result<PathBuf> {
    step("PostgreSQL (for the tests of the PostgreSQL backend)");
    if let Some(bin) = bin_dir() {
        println!("present: {}", bin.display());
        return Ok(bin);
    }
    apt_install(&["postgresql"])?;
    bin_dir().ok_or_else(|| "apt installed postgresql but no initdb was found".to_string())
}

fn is_root() -> Result<bool> {
    output(Command::new("id").arg("-u")).map(|uid| uid.trim() == "0")
}

/// Where a run's cluster lives: under the system's temp directory, which
/// the `postgres` user can reach (a checkout under /root may not be).
pub fn cluster_dir() -> PathBuf {
    std::env::temp_dir().join(format!("xtask-postgres-{}", std::process::id()))
}

/// `cargo xtask postgres`: a cluster for running the tests by hand, until
/// Enter is pressed.
pub fn serve_for_tests() -> Result<()> {
    let bin = install_postgres()?;
    let cluster = Cluster::start(&bin, &cluster_dir())?;
    println!(
        "\nIn another shell:\n  export {URL_VAR}={} {CA_VAR}={}\n  cargo test -p server\n",
        cluster.url,
        cluster.ca.display()
    );
    println!("Press Enter to stop the cluster.");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("read stdin: {e}"))?;
    drop(cluster);
    Ok(())
}

/// A running throwaway cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    /// Held locked while the cluster lives ([`LOCK_FILE`]).
    _lock: std::fs::File,
    /// The OS user the server runs as, when we are root.
    run_as: Option<&'static str>,
    /// `postgres://…` to its `postgres` database.
    pub url: String,
    /// The certificate authority that signed the server's certificate.
    pub ca: PathBuf,
}

impl Cluster {
    /// Initializes a cluster in `dir` (which must not exist) and starts it.
    pub fn start(bin: &Path, dir: &Path) -> Result<Cluster> {
        step("start a throwaway PostgreSQL cluster");
        let run_as = if is_root()? { Some("postgres") } else { None };
        sweep_abandoned(bin, run_as);
        if dir.join("data").exists() {
            // Left by a run that was killed: its server may still be up.
            stop(bin, dir, run_as);
            std::fs::remove_dir_all(dir).map_err(|e| format!("remove {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let lock = std::fs::File::create(dir.join(LOCK_FILE))
            .map_err(|e| format!("create {}: {e}", dir.join(LOCK_FILE).display()))?;
        lock.try_lock()
            .map_err(|e| format!("lock {}: {e}", dir.join(LOCK_FILE).display()))?;
        if let Some(user) = run_as {
            cmd(Command::new("chown").arg(user).arg(dir))?;
        }
        let data = dir.join("data");
        let superuser = "ci";
        let mut cluster = Cluster {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            _lock: lock,
            run_as,
            url: String::new(),
            ca: dir.join("ca.crt"),
        };
        certificates(dir)?;
        if let Some(user) = run_as {
            cmd(Command::new("chown")
                .arg(user)
                .arg(dir.join("server.crt"))
                .arg(dir.join("server.key")))?;
        }
        cmd(program(bin, run_as, "initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                superuser,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .arg("--no-sync"))?;
        let port = free_port()?;
        // The socket goes into the cluster's own directory: the system's
        // /var/run/postgresql may not exist or be writable.
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {dir} -c fsync=off -c max_connections=200 \
             -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
            dir = dir.display()
        );
        // The log goes with the cluster's directory when it is dropped:
        // said now, or nobody can read why it did not start.
        let log = dir.join("server.log");
        if let Err(e) = cmd(program(bin, run_as, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-w", "-l"])
            .arg(&log)
            .args(["-o", &options, "start"]))
        {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!(
                "{e}\nPostgreSQL's log ({}):\n{said}",
                log.display()
            ));
        }
        cluster.url = format!("postgres://{superuser}@127.0.0.1:{port}/postgres");
        println!(
            "PostgreSQL: {} (TLS by {})",
            cluster.url,
            cluster.ca.display()
        );
        Ok(cluster)
    }
}

/// The file a running cluster's xtask holds locked, for as long as the
/// cluster lives.
const LOCK_FILE: &str = "xtask.lock";

/// Stops and removes the clusters of earlier runs whose xtask is gone (a
/// run interrupted with Ctrl-C or killed by CI never dropped its
/// `Cluster`): each kept a server running and its directory for good.
/// Gone means its lock can be taken: a cluster whose xtask still runs
/// (`cargo xtask postgres` in another shell, another run in another
/// process namespace sharing the temp dir) holds it, and one this user may
/// not open is not this user's to remove.
fn sweep_abandoned(bin: &Path, run_as: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("xtask-postgres-") {
            continue;
        }
        let dir = entry.path();
        let abandoned = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join(LOCK_FILE))
            .is_ok_and(|lock| lock.try_lock().is_ok());
        if !abandoned {
            continue;
        }
        println!(
            "removing the cluster an interrupted run left: {}",
            dir.display()
        );
        // Its server only: a pid file left by a server that died may
        // name another process by now.
        if postmaster_runs(&dir) {
            stop(bin, &dir, run_as);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Whether the process the pid file in `dir` names is a PostgreSQL server.
fn postmaster_runs(dir: &Path) -> bool {
    let pid = std::fs::read_to_string(dir.join("data").join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next().map(|l| l.trim().to_string()));
    pid.and_then(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).ok())
        .is_some_and(|cmdline| String::from_utf8_lossy(&cmdline).contains("postgres"))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        stop(&self.bin, &self.dir, self.run_as);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `bin/name`, run as `run_as` when that is set.
fn program(bin: &Path, run_as: Option<&str>, name: &str) -> Command {
    let path = bin.join(name);
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(path);
            c
        }
        None => Command::new(path),
    }
}

/// Stops the cluster in `dir`, if it runs.
fn stop(bin: &Path, dir: &Path, run_as: Option<&str>) {
    let data = dir.join("data");
    if !data.join("postmaster.pid").exists() {
        return;
    }
    let stopped = program(bin, run_as, "pg_ctl")
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w", "stop"])
        .status();
    if !matches!(stopped, Ok(s) if s.success()) {
        eprintln!(
            "warning: the test PostgreSQL cluster in {} did not stop cleanly",
            dir.display()
        );
    }
}

/// A certificate authority (`ca.crt`) and the server's certificate for
/// 127.0.0.1 signed by it (`server.crt`, `server.key`) in `dir`, made with
/// the `openssl` that Debian's PostgreSQL package depends on.
fn certificates(dir: &Path) -> Result<()> {
    let openssl = |args: &[&str]| {
        let mut c = Command::new("openssl");
        c.current_dir(dir).args(args);
        cmd(&mut c)
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"],
            &key[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=test PostgreSQL CA",
            ],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req"],
            &key[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(|e| format!("write server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])?;
    // PostgreSQL refuses a key others may read.
    cmd(Command::new("chmod").arg("600").arg(dir.join("server.key")))
}

/// A port nothing listens on now (the OS picks it).
fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("find a free port: {e}"))
}
