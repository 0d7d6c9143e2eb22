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
//!
//! A code in a namespace missing from [`NAMESPACES`] would escape that
//! scan, so a second test reads the codes where they are made (the code
//! argument of `ApiError::new`, `bad_request`, `unauthorized` and push's
//! `quarantine`, a `code` field, the arms of every `fn code`, the reasons
//! of `server/src/push`) and requires each one's namespace to be scanned.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The namespaces of error codes.
const NAMESPACES: [&str; 23] = [
    "admin",
    "assign",
    "attachment",
    "auth",
    "blob",
    "calendar",
    "case",
    "categories",
    "change_responder",
    "client",
    "clock",
    "conflict",
    "import",
    "quarantine",
    "request",
    "retention",
    "settings",
    "spot_check",
    "stats",
    "storage",
    "sync",
    "validation",
    "void",
];

/// The namespaces of codes that `shared` makes and words itself
/// (`Coded::message`), never sent as an error answer: rule violations are
/// kept in the fold, and a roster's problems are shown as the app or the
/// command line reads it.
const WORDED_IN_SHARED: [&str; 2] = ["roster", "workflow"];

/// The calls that make an error answer or a quarantine reason, with the
/// place (from 0) of the code among their arguments. The other
/// constructors of `ApiError` call `ApiError::new` with their code.
const CODE_ARGUMENTS: [(&str, usize); 4] = [
    ("ApiError::new(", 1),
    ("bad_request(", 0),
    ("unauthorized(", 0),
    ("quarantine(", 1),
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
        "storage.full",
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

#[test]
fn every_code_made_is_in_a_scanned_namespace() {
    let root = e2e::workspace_root();
    // Each code, with a file that makes it.
    let mut made = BTreeMap::new();
    for dir in ["server/src", "shared/src"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).expect("read a source file");
            // A push's reasons reach `quarantine` through variables too (the
            // rules of an assignment), and the module has no other dotted
            // strings.
            let reasons = file.starts_with(root.join("server/src/push"));
            for code in made_codes(&text, reasons) {
                made.entry(code).or_insert_with(|| file.clone());
            }
        }
    }
    // One of each way of making a code, so a broken reader cannot pass by
    // finding nothing.
    for known in [
        "storage.full",
        "request.bad_id",
        "auth.missing_token",
        "conflict.not_yours",
        "change_responder.unknown_user",
        "auth.session_ended",
        "calendar.long_source",
        "not_found",
    ] {
        assert!(made.contains_key(known), "the reader missed {known}");
    }
    let unscanned: Vec<String> = made
        .iter()
        .filter(|(code, _)| match code.split_once('.') {
            Some((namespace, _)) => {
                !NAMESPACES.contains(&namespace) && !WORDED_IN_SHARED.contains(&namespace)
            }
            None => !UNDOTTED.contains(&code.as_str()),
        })
        .map(|(code, file)| format!("{code} ({})", file.display()))
        .collect();
    assert!(
        unscanned.is_empty(),
        "codes in no namespace of NAMESPACES (or not in UNDOTTED): {unscanned:?}"
    );
}

#[test]
fn codes_are_read_across_lines_and_nested_arguments() {
    let text = r#"
        use crate::code::coded_enum;
        ApiError::new(
            StatusCode::CONFLICT,
            "one.first",
            format!("{a}, {b}"),
        );
        ApiError::new(StatusCode::GONE, "gone", message);
        ApiError::bad_request(code, "not.a_code");
        unauthorized("two.second", f(x, "not.an_argument"));
        quarantine(op, "three.third", "x".into());
        Refused { code: if gone { "four.fourth" } else { "five.fifth" }.into(), message };
        Category { code: "hy".into(), active: true };
        status_code: "not.a_field",
        let notice = |seq: u64, code: &str| Notice { seq, code: code.into() };
        notice(9, "not.a_value");
        fn code(&self) -> &'static str { match self { A => "six.sixth", B => { "staff" } } }
        fn code(&self) -> &'static str;
        fn label(&self) -> &'static str { "not.a_label" }
    "#;
    let want = [
        "five.fifth",
        "four.fourth",
        "gone",
        "one.first",
        "six.sixth",
        "three.third",
        "two.second",
    ];
    let found = made_codes(text, false);
    assert_eq!(found.iter().map(String::as_str).collect::<Vec<_>>(), want);
}

/// The codes `text` makes: the string literals shaped like a code that
/// are the code argument of a call of [`CODE_ARGUMENTS`]; and the dotted
/// ones in the value of a `code` field, in the body of a `fn code` and,
/// with `reasons`, anywhere. (Undotted, those are an enum's codes: a
/// role, a state.)
fn made_codes(text: &str, reasons: bool) -> BTreeSet<String> {
    let mut found = Vec::new();
    for (call, place) in CODE_ARGUMENTS {
        for (at, _) in text
            .match_indices(call)
            .filter(|(at, _)| starts_word(text, *at))
        {
            let argument = arguments(&text[at + call.len()..])
                .into_iter()
                .nth(place)
                .unwrap_or_default()
                .trim();
            if let Some(literal) = argument.strip_prefix('"').and_then(|a| a.strip_suffix('"')) {
                found.push(literal);
            }
        }
    }
    let mut dotted = Vec::new();
    // `code: ` as rustfmt writes a field, not the path `code::`.
    for (at, _) in text
        .match_indices("code: ")
        .filter(|(at, _)| starts_word(text, *at))
    {
        let value = arguments(&text[at + "code: ".len()..])
            .into_iter()
            .next()
            .unwrap_or_default();
        // A closure's parameter `code: &str` has no value: what follows
        // ends with the statement.
        dotted.extend(literals(value.split(';').next().unwrap_or_default()));
    }
    for (at, _) in text.match_indices("fn code(") {
        let rest = &text[at..];
        // A declaration without a body ends at `;` before any `{`.
        let Some(open) = rest
            .find(['{', ';'])
            .filter(|i| rest[*i..].starts_with('{'))
        else {
            continue;
        };
        dotted.extend(literals(enclosed(&rest[open + 1..]).0));
    }
    if reasons {
        dotted.extend(literals(text));
    }
    found.extend(dotted.into_iter().filter(|l| l.contains('.')));
    found
        .into_iter()
        .filter(|code| {
            let parts: Vec<&str> = code.split('.').collect();
            parts.len() <= 2
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        })
        .map(str::to_string)
        .collect()
}

/// Whether the name at `at` is whole: `bad_request(`, not `is_bad_request(`.
fn starts_word(text: &str, at: usize) -> bool {
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The comma-separated pieces of [`enclosed`] `text`: a call's arguments
/// after its `(`, or a field's value first.
fn arguments(text: &str) -> Vec<&str> {
    let (inside, commas) = enclosed(text);
    let mut pieces = Vec::new();
    let mut start = 0;
    for comma in commas {
        pieces.push(&inside[start..comma]);
        start = comma + 1;
    }
    pieces.push(&inside[start..]);
    pieces
}

/// `text` up to the bracket that closes the one before it (a body after
/// its `{`), and the places of its commas outside brackets and strings.
fn enclosed(text: &str) -> (&str, Vec<usize>) {
    let mut commas = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return (&text[..i], commas),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => commas.push(i),
            _ => {}
        }
    }
    (text, commas)
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
/// [`NAMESPACES`] and a name of lowercase letters and `_`.
fn dotted_literals(text: &str) -> Vec<String> {
    literals(text)
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

/// The candidates for string literals in `text`: what lies between any two
/// quotes in a row. Every quote starts a candidate, so a quote in a char
/// literal or a comment cannot throw the reading out of step; text between
/// two literals never has the form of a code.
fn literals(text: &str) -> impl Iterator<Item = &str> {
    let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    (1..quotes.len()).map(move |k| &text[quotes[k - 1] + 1..quotes[k]])
}
