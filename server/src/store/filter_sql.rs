//! The SQL conditions of who may see what and of a case list's filter,
//! the same on either engine: the case list, the exports and the
//! statistics select their cases with them.

use super::CaseFilter;
use super::db::Value;
use super::sqlite::ts;
use chrono::{DateTime, Utc};
use shared::role::Scope;

/// The scope as an SQL condition on `column`, with its parameters.
pub(super) fn scope_sql(scope: &Scope, column: &str) -> (String, Vec<String>) {
    match scope {
        Scope::All => ("1 = 1".into(), Vec::new()),
        Scope::Properties(ps) if ps.is_empty() => ("1 = 0".into(), Vec::new()),
        Scope::Properties(ps) => {
            let marks = vec!["?"; ps.len()].join(", ");
            (
                format!("{column} IN ({marks})"),
                ps.iter().map(|p| p.to_string()).collect(),
            )
        }
    }
}

/// The WHERE condition (on `cases`, unaliased) and its parameters for a
/// case list filter in `scope`; paging fields are ignored. Shared by the
/// case list and the exports so that both select the same cases.
pub(super) fn case_where(
    scope: &Scope,
    f: &CaseFilter,
    now: DateTime<Utc>,
) -> (String, Vec<Value<'static>>) {
    let (scope_cond, scope_args) = scope_sql(scope, "property_id");
    let mut conds = vec![scope_cond];
    let mut args: Vec<Value<'static>> = scope_args.into_iter().map(Into::into).collect();
    let mut eq = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            conds.push(format!("{col} = ?"));
            args.push(v.clone().into());
        }
    };
    eq("property_id", &f.property.map(|p| p.to_string()));
    eq("kind", &f.kind);
    eq("state", &f.state);
    eq("category", &f.category);
    if f.overdue {
        // `shared::case::overdue` over the stored `next_due_at`.
        conds.push("next_due_at IS NOT NULL AND next_due_at < ?".into());
        args.push(ts(now).into());
    }
    if let Some(user) = f.mine {
        conds.push("(first_responder = ? OR assignee = ?)".into());
        args.push(user.to_string().into());
        args.push(user.to_string().into());
    }
    if let Some(from) = f.from {
        conds.push("received_at >= ?".into());
        args.push(ts(from).into());
    }
    if let Some(to) = f.to {
        conds.push("received_at < ?".into());
        args.push(ts(to).into());
    }
    if let Some(q) =
        f.q.as_ref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty())
    {
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        if f.personal {
            conds.push(
                "(search LIKE ? ESCAPE '\\' OR lower(complainant_name) LIKE ? ESCAPE '\\' OR complainant_phone LIKE ? ESCAPE '\\')"
                    .into(),
            );
            args.extend([
                pattern.clone().into(),
                pattern.clone().into(),
                pattern.into(),
            ]);
        } else {
            conds.push("search LIKE ? ESCAPE '\\'".into());
            args.push(pattern.into());
        }
    }
    (conds.join(" AND "), args)
}
