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
    if let Some(mine) = &f.mine {
        let mut any = "first_responder = ? OR assignee = ?".to_string();
        args.push(mine.user.to_string().into());
        args.push(mine.user.to_string().into());
        if let Some(department) = &mine.department {
            any.push_str(" OR department = ?");
            args.push(department.clone().into());
        }
        conds.push(format!("({any})"));
    }
    if let Some(from) = f.from {
        conds.push("received_at >= ?".into());
        args.push(ts(from).into());
    }
    if let Some(to) = f.to {
        conds.push("received_at < ?".into());
        args.push(ts(to).into());
    }
    if let Some(query) = &f.search {
        let pattern = like(query.text());
        let mut any = vec!["search LIKE ? ESCAPE '\\'".to_string()];
        args.push(pattern.into());
        // The numbers' compact forms are in `search` too
        // (`shared::search::compact`).
        if let Some(compact) = query.compact() {
            any.push("search LIKE ? ESCAPE '\\'".into());
            args.push(like(compact).into());
        }
        // An address in short (`3-1-502`), as the place's short forms are
        // in `search` (`shared::search::place`).
        if let Some(place) = query.place() {
            any.push("search LIKE ? ESCAPE '\\'".into());
            args.push(like(place).into());
        }
        // A query of dots or marks alone leaves no name to find.
        if f.shown.name && !query.name().is_empty() {
            any.push("search_name LIKE ? ESCAPE '\\'".into());
            args.push(like(query.name()).into());
        }
        // A stored number's digits (`shared::search::digits`): numbers are
        // stored with no other separators than these.
        // And the numbers typed into its texts (`shared::search::numbers`),
        // which the masked `search` leaves out.
        // A case someone handles shows them its phone
        // (`shared::personal_data::handles`): the person it is assigned to,
        // or their department.
        let numbers = "(replace(replace(complainant_phone, '-', ''), '转', '') LIKE ? \
                       OR search_numbers LIKE ?)";
        let handled = match (&f.handles, f.shown.phone) {
            (_, true) => Some((String::new(), Vec::new())),
            (Some((user, Some(department))), false) => Some((
                "(assignee = ? OR department = ?) AND ".to_string(),
                vec![user.to_string(), department.clone()],
            )),
            (Some((user, None)), false) => {
                Some(("assignee = ? AND ".to_string(), vec![user.to_string()]))
            }
            (None, false) => None,
        };
        if let Some(digits) = query.digits()
            && let Some((handled, handled_args)) = handled
        {
            any.push(format!("({handled}{numbers})"));
            args.extend(handled_args.into_iter().map(Value::from));
            args.push(format!("%{digits}%").into());
            args.push(format!("%{digits}%").into());
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    (conds.join(" AND "), args)
}

/// A LIKE pattern finding `text` anywhere, its wildcards escaped with a backslash.
fn like(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
