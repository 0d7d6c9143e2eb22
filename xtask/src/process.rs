//! Running commands: echoed, with errors that name the command.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::Result;

/// Prints a step header.
pub fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs a command with inherited stdio, echoing it first; a non-zero exit
/// is an error that names the command.
pub fn cmd(c: &mut Command) -> Result<()> {
    let shown = show(c);
    println!("$ {shown}");
    let status = c
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs a command quietly and returns its stdout.
pub fn output(c: &mut Command) -> Result<String> {
    let shown = show(c);
    let out = c
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("`{shown}` printed non-UTF-8: {e}"))
}

/// Replaces this process with `c` (Unix), so Ctrl-C goes straight to it.
#[cfg(unix)]
pub fn exec(mut c: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let e = c.exec();
    Err(format!("could not start `{}`: {e}", show(&c)))
}

#[cfg(not(unix))]
pub fn exec(mut c: Command) -> Result<()> {
    cmd(&mut c)
}

pub fn show(c: &Command) -> String {
    let mut parts = vec![c.get_program().to_string_lossy().into_owned()];
    parts.extend(c.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

pub fn secs(since: Instant) -> String {
    format!("{:.1}s", since.elapsed().as_secs_f64())
}
