//! Every error code the server can answer with has words in the app, in
//! both languages: a code without them would reach a person as a generic
//! message with a code in it. Not a browser test: it reads the sources.
//!
//! The codes are the dotted string literals of the error namespaces in
//! `server/src` and `shared/src` (`ApiError::new(…, "sync.bad_seq", …)`,
//! `bad_request("admin.bad_login", …)`, the quarantine reasons of
//! `server/src/push/mod.rs`, the `code()` of `shared`'s error enums), plus the three
//! undotted ones of `server/src/error.rs`. The app's words are the arms of
//! `code_message` in `app/src/api/mod.rs`; audit actions, which share some
//! namespaces, have theirs in `audit_action` in
//! `app/src/pages/admin/audit.rs`.

use std::collections::BTreeSet;
use std::path::Path;

/// The namespaces of error codes. (`workflow.*` is not here: rule
/// violations are kept in the fold and worded by `shared` itself, never
/// sent as an error answer.)
const NAMESPACES: [&str; 18] = [
    "admin",
    "attachment",
    "auth",
    "blob",
    "calendar",
    "case",
    "categories",
    "client",
    "clock",
    "import",
    "quarantine",
    "request",
    "retention",
    "settings",
    "spot_check",
    "stats",
    "sync",
    "validation",
];

/// The codes of `server/src/error.rs` without a namespace.
const UNDOTTED: [&str; 3] = ["not_found", "conflict", "internal"];

#[test]
fn every_server_error_code_has_words_in_the_app() {
    let root = e2e::workspace_root();
    let mut codes = BTreeSet::new();
    for dir in ["server/src", "shared/src"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).expect("read a source file");
            codes.extend(dotted_literals(&text));
        }
    }
    codes.extend(UNDOTTED.iter().map(|c| c.to_string()));
    // A sample that must be found, so a broken scan cannot pass by
    // finding nothing.
    for known in [
        "auth.device_revoked",
        "admin.bad_property_code",
        "sync.clone",
    ] {
        assert!(codes.contains(known), "the scan missed {known}");
    }
    assert!(
        codes.len() > 100,
        "only {} codes found: {codes:?}",
        codes.len()
    );

    let api =
        std::fs::read_to_string(root.join("app/src/api/mod.rs")).expect("read app/src/api/mod.rs");
    let admin = std::fs::read_to_string(root.join("app/src/pages/admin/audit.rs"))
        .expect("read app/src/pages/admin/audit.rs");
    let audit = admin
        .split_once("fn audit_action")
        .map_or("", |(_, rest)| rest);
    let missing: Vec<&String> = codes
        .iter()
        .filter(|code| {
            let quoted = format!("\"{code}\"");
            !api.contains(&quoted) && !audit.contains(&quoted)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without words in app/src/api/mod.rs (`code_message`): {missing:?}"
    );
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read a source dir") {
        let path = entry.expect("a dir entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The string literals of the form `"namespace.name"` with a namespace of
/// [`NAMESPACES`] and a name of lowercase letters and `_`. Every quote
/// starts a candidate, so a quote in a char literal or a comment cannot
/// throw the scan out of step; text between two literals never has that
/// exact form.
fn dotted_literals(text: &str) -> Vec<String> {
    let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    quotes
        .windows(2)
        .map(|w| &text[w[0] + 1..w[1]])
        .filter(|s| {
            let Some((namespace, name)) = s.split_once('.') else {
                return false;
            };
            NAMESPACES.contains(&namespace)
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
        .map(str::to_string)
        .collect()
}
