//! Repository hygiene, checked as ordinary tests (the rust-analyzer way), so
//! `cargo xtask test` and a plain `cargo test` both run it.
//!
//! - Every Markdown document a `*.md` or `*.rs` file names exists inside the
//!   repository: relative links `[text](path)` in Markdown files (resolved
//!   from the linking file's folder), and names ending in `.md` in backticks
//!   in Markdown files or in comments of Rust files (resolved from the
//!   repository root, as the project writes paths).
//! - Every repository path a Markdown file or a Rust comment names in a code
//!   span (one starting with a top folder such as `server/` or `docs/`)
//!   exists, so the docs follow the code when files move.
//! - Every module of `shared`, `server` and `app` (a `.rs` file or a
//!   directory module) is named in `ARCHITECTURE.md`, in a code span, by its
//!   file stem or path. `lib.rs`, `main.rs` and `mod.rs` are exempt.
//!
//! Each test reports every problem it finds, not only the first.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

#[test]
fn docs_named_exist() {
    let root = repo_root();
    let mut problems = Vec::new();
    for file in repo_files(&root) {
        let Ok(text) = fs::read_to_string(root.join(&file)) else {
            continue;
        };
        let from_dir = file.parent().unwrap_or(Path::new(""));
        let mut named: Vec<(usize, String, &Path)> = Vec::new();
        match file.extension().and_then(|e| e.to_str()) {
            Some("md") => {
                for (line, prose) in prose_lines(&text) {
                    for target in md_links(prose) {
                        named.push((line, target.to_string(), from_dir));
                    }
                    for span in code_spans(prose) {
                        if is_md_path(span) {
                            named.push((line, span.to_string(), Path::new("")));
                        }
                    }
                }
            }
            Some("rs") => {
                for (i, line) in text.lines().enumerate() {
                    let Some(comment) = line.trim_start().strip_prefix("//") else {
                        continue;
                    };
                    for word in comment.split(|c: char| !is_path_char(c)) {
                        // A sentence may end right after the name.
                        let word = word.trim_end_matches('.');
                        if is_md_path(word) {
                            named.push((i + 1, word.to_string(), Path::new("")));
                        }
                    }
                }
            }
            _ => continue,
        }
        for (line, target, base) in named {
            if let Err(why) = check_target(&root, base, &target) {
                problems.push(format!("{}:{line}: `{target}` {why}", file.display()));
            }
        }
    }
    report("documents named that are not in the repository", &problems);
}

#[test]
fn architecture_names_every_module() {
    let root = repo_root();
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md"))
        .unwrap_or_else(|e| panic!("ARCHITECTURE.md must be readable: {e}"));
    let words: BTreeSet<&str> = code_spans(&architecture)
        .flat_map(|span| span.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .collect();

    let mut modules = BTreeSet::new();
    for file in repo_files(&root) {
        let Some(krate) = ["shared/src", "server/src", "app/src"]
            .into_iter()
            .find(|src| file.starts_with(src))
        else {
            continue;
        };
        if file.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        // The file itself, and every directory between it and `src/`.
        let mut path = file.as_path();
        while path != Path::new(krate) {
            modules.insert(path.to_path_buf());
            path = path.parent().unwrap_or(Path::new(krate));
        }
    }

    let mut problems = Vec::new();
    for module in &modules {
        let Some(stem) = module.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if ["lib", "main", "mod"].contains(&stem) {
            continue;
        }
        if !words.contains(stem) {
            problems.push(format!(
                "{}: `{stem}` appears in no code span of ARCHITECTURE.md",
                module.display()
            ));
        }
    }
    report("modules missing from ARCHITECTURE.md's codemap", &problems);
}

#[test]
fn source_paths_named_exist() {
    let root = repo_root();
    let mut problems = Vec::new();
    for file in repo_files(&root) {
        let Ok(text) = fs::read_to_string(root.join(&file)) else {
            continue;
        };
        let lines: Vec<(usize, &str)> = match file.extension().and_then(|e| e.to_str()) {
            Some("md") => prose_lines(&text).collect(),
            Some("rs") => text
                .lines()
                .enumerate()
                .filter_map(|(i, l)| l.trim_start().strip_prefix("//").map(|c| (i + 1, c)))
                .collect(),
            _ => continue,
        };
        for (line, prose) in lines {
            for path in code_spans(prose).filter_map(repo_path) {
                if !root.join(path).exists() {
                    problems.push(format!(
                        "{}:{line}: `{path}` does not exist",
                        file.display()
                    ));
                }
            }
        }
    }
    report(
        "source paths named that are not in the repository",
        &problems,
    );
}

#[test]
fn targets_resolve_inside_the_root() {
    let root = repo_root();
    check(&root, "", "README.md", Ok(()));
    check(&root, "docs", "../ARCHITECTURE.md", Ok(()));
    check(&root, "docs", "sync.md#push", Ok(()));
    check(&root, "", "https://example.com/a.md", Ok(()));
    check(
        &root,
        "",
        "../shared/DOMAIN.md",
        Err("leaves the repository"),
    );
    check(
        &root,
        "",
        "/work/shared/SYNC.md",
        Err("is an absolute path"),
    );
    check(&root, "", "DOMAIN.md", Err("does not exist"));
}

#[test]
fn links_and_spans_are_found() {
    let line = "See [a](a.md), [b](b.md \"title\") and `docs/c.md` but not `x: y.md`.";
    assert_eq!(md_links(line).collect::<Vec<_>>(), ["a.md", "b.md"]);
    let spans: Vec<_> = code_spans(line).filter(|s| is_md_path(s)).collect();
    assert_eq!(spans, ["docs/c.md"]);
    let fenced = "a `x.md`\n```\n[no](no.md)\n```\nb";
    let lines: Vec<_> = prose_lines(fenced).collect();
    assert_eq!(lines, [(1, "a `x.md`"), (5, "b")]);
    assert_eq!(
        repo_path("server/src/cli/{serve,users}.rs"),
        Some("server/src/cli/")
    );
    assert_eq!(
        repo_path("app/src/api/mod.rs:42"),
        Some("app/src/api/mod.rs")
    );
    assert_eq!(repo_path("target/debug/server"), None);
}

fn check(root: &Path, base: &str, target: &str, expected: Result<(), &str>) {
    assert_eq!(
        check_target(root, Path::new(base), target),
        expected,
        "{base} -> {target}"
    );
}

/// Fails with every problem, one a line.
fn report(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The workspace root: xtask lives one level below it.
fn repo_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// The repository's files, relative to the root: what git tracks plus new
/// files it does not ignore, or, without git, every file outside hidden and
/// build folders.
fn repo_files(root: &Path) -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output();
    let mut files = match listed {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .filter(|f| root.join(f).is_file())
            .collect(),
        _ => {
            let mut files = Vec::new();
            walk(root, Path::new(""), &mut files);
            files
        }
    };
    files.sort();
    files
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || ["target", "dist", "data"].contains(&&*name) {
            continue;
        }
        let path = dir.join(&*name);
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(root, &path, files),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
}

/// Whether `target`, named from folder `base` (relative to the root),
/// is a file inside the repository. Web addresses and in-page anchors pass.
fn check_target(root: &Path, base: &Path, target: &str) -> Result<(), &'static str> {
    if target.contains("://") || target.starts_with("mailto:") || target.starts_with('#') {
        return Ok(());
    }
    let path = target.split('#').next().unwrap_or(target);
    if path.starts_with('/') || Path::new(path).is_absolute() {
        return Err("is an absolute path");
    }
    let mut resolved = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !resolved.pop() {
                    return Err("leaves the repository");
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err("is an absolute path"),
        }
    }
    if !root.join(&resolved).exists() {
        return Err("does not exist");
    }
    Ok(())
}

/// The lines of a Markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fenced = false;
    text.lines().enumerate().filter_map(move |(i, line)| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return None;
        }
        (!fenced).then_some((i + 1, line))
    })
}

/// The targets of inline links `[text](target "title")` on one line.
fn md_links(line: &str) -> impl Iterator<Item = &str> {
    line.match_indices("](").filter_map(move |(at, _)| {
        let rest = &line[at + 2..];
        let end = rest.find(')')?;
        rest[..end].split_whitespace().next()
    })
}

/// The contents of the single-backtick code spans in a text.
fn code_spans(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// The repository path a code span names, if it starts with one of the
/// project's top folders: the span up to its first character that cannot be
/// in a path, so that `app/src/pages/admin/{users,devices}.rs` names the
/// folder. A trailing `:line` or sentence dot is not part of it.
fn repo_path(span: &str) -> Option<&str> {
    const TOP: [&str; 7] = [
        "app/", "docs/", "server/", "shared/", "style/", "tests/", "xtask/",
    ];
    if !TOP.iter().any(|top| span.starts_with(top)) {
        return None;
    }
    let end = span.find(|c: char| !is_path_char(c)).unwrap_or(span.len());
    Some(span[..end].trim_end_matches('.'))
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./-".contains(c)
}

/// Whether a word is a path to a Markdown file (and not, say, a repository
/// reference such as `owner/name:path`).
fn is_md_path(word: &str) -> bool {
    word.len() > ".md".len() && word.ends_with(".md") && word.chars().all(is_path_char)
}
