//! The wasm side of a build, run as a second xtask process beside the
//! native side.
//!
//! On a 2-core machine the wasm build leaves a core idle for minutes: the
//! app's link-time optimisation runs on one codegen unit, and wasm-opt and
//! brotli are single-threaded. The native compile fills that core. Cargo
//! locks each profile's build directory separately, so a `wasm-release`
//! build and a `dev` build can run at once on the same target directory.
//! The child's output goes to a log that is printed whole when it is done,
//! so the two never interleave.

use std::env;
use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Instant;

use crate::process::{secs, show, step};
use crate::{Ctx, Result};

/// A running `cargo xtask wasm` and the log it writes.
pub struct Alongside {
    child: Child,
    shown: String,
    log: PathBuf,
    started: Instant,
}

/// Starts `cargo xtask wasm` with `args` (see `wasm_task` in `main.rs`).
pub fn start(ctx: &Ctx, args: &[&str]) -> Result<Alongside> {
    let exe = env::current_exe().map_err(|e| format!("where is xtask itself: {e}"))?;
    fs::create_dir_all(&ctx.target_dir)
        .map_err(|e| format!("create {}: {e}", ctx.target_dir.display()))?;
    let log = ctx.target_dir.join("xtask-wasm.log");
    let out = File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("open {} twice: {e}", log.display()))?;
    let mut command = Command::new(exe);
    command
        .current_dir(&ctx.root)
        .arg("wasm")
        .args(args)
        .stdout(out)
        .stderr(err);
    let shown = show(&command);
    step(&format!(
        "the app for wasm, built alongside: `{shown}`, its output in {} (printed here when it is done)",
        log.display()
    ));
    let child = command
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    Ok(Alongside {
        child,
        shown,
        log,
        started: Instant::now(),
    })
}

impl Alongside {
    /// Fails at once, with the child's log, if it has already failed: a
    /// lint in the app was otherwise reported only after the whole native
    /// build, minutes later on a cold machine.
    pub fn check(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(Some(status)) if !status.success() => {
                if let Ok(text) = fs::read_to_string(&self.log) {
                    print!("{text}");
                }
                Err(format!("`{}` failed ({status})", self.shown))
            }
            _ => Ok(()),
        }
    }

    /// Waits for the child, prints its log, and fails if it failed.
    pub fn finish(mut self) -> Result<()> {
        let waiting = Instant::now();
        let status = self
            .child
            .wait()
            .map_err(|e| format!("waiting for `{}`: {e}", self.shown))?;
        step(&format!(
            "output of `{}` ({} in all, {} of it waited for here)",
            self.shown,
            secs(self.started),
            secs(waiting)
        ));
        match fs::read_to_string(&self.log) {
            Ok(text) => print!("{text}"),
            Err(e) => println!("(could not read {}: {e})", self.log.display()),
        }
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }
}

/// Stops the child and what it started when the native side failed first,
/// so a failed run does not go on building for minutes.
impl Drop for Alongside {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let mut pids = Vec::new();
            descendants(self.child.id(), &mut pids);
            if !pids.is_empty() {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .args(pids.iter().map(u32::to_string))
                    .status();
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The processes `pid` started, and theirs, as Linux lists them; none
/// elsewhere. Each thread lists the children it started (cargo starts the
/// compilers from its worker threads), so every thread is read.
fn descendants(pid: u32, out: &mut Vec<u32>) {
    let Ok(threads) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for thread in threads.flatten() {
        let list = thread.path().join("children");
        for child in fs::read_to_string(list)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
        {
            out.push(child);
            descendants(child, out);
        }
    }
}
