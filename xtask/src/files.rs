//! Copying and listing files for the bundle.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

pub fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in files_in(from)? {
        let target = to.join(entry.file_name().ok_or("entry has no name")?);
        if entry.is_dir() {
            fs::create_dir_all(&target).map_err(|e| format!("create {}: {e}", target.display()))?;
            copy_tree(&entry, &target)?;
        } else {
            copy(&entry, &target)?;
        }
    }
    Ok(())
}

/// The entries of a directory, sorted so that output is stable.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("read {}: {e}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

/// The files under `dir`, as `/`-separated paths relative to `base`, sorted.
pub fn relative_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in files_in(dir)? {
        if entry.is_dir() {
            relative_files(base, &entry, out)?;
        } else {
            let relative = entry
                .strip_prefix(base)
                .map_err(|e| format!("{}: {e}", entry.display()))?;
            let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
            out.push(parts.join("/"));
        }
    }
    out.sort();
    Ok(())
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
