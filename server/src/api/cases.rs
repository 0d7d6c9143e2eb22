//! Case queries for the app and head office.

use super::responses::{AnyRole, Authenticated};
use crate::auth::Session;
use crate::error::{ApiError, ApiQuery, ErrorBody, blocking};
use crate::state::AppState;
use crate::store::CaseFilter;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::case::Case;
use shared::id::{CaseId, PropertyId};
use shared::role::mask_name;
use shared::wire::{CaseSummary, Page};

/// Case list filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Property id.
    pub property: Option<String>,
    /// Kind code (complaint, repair, suggestion, inquiry).
    pub kind: Option<String>,
    /// State code.
    pub state: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Only overdue cases.
    #[serde(default)]
    pub overdue: bool,
    /// Only cases the caller registered or is assigned.
    #[serde(default)]
    pub mine: bool,
    /// Received at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Text search.
    pub q: Option<String>,
    /// Page from 1.
    #[serde(default = "one")]
    pub page: u32,
    /// Page size (at most 500).
    #[serde(default = "fifty")]
    pub per_page: u32,
}

fn one() -> u32 {
    1
}

fn fifty() -> u32 {
    50
}

/// Lists cases in the caller's scope.
#[utoipa::path(get, path = "/api/v1/cases", params(ListQuery),
    responses(Authenticated,
        (status = 200, description = "One page of matching cases.", body = Page<CaseSummary>),
        (status = 400, description = "`request.bad_query`, `request.bad_id`.", body = ErrorBody),
        (status = 403, description = "`auth.password_change_required`; `auth.forbidden`: the `property` filter is outside the caller's scope.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    let scope = session.user.scope();
    let property = q
        .property
        .as_deref()
        .map(|p| {
            p.parse::<PropertyId>()
                .map_err(|_| ApiError::bad_request("request.bad_id", "property is not an id"))
        })
        .transpose()?;
    if let Some(p) = property
        && !scope.allows(p)
    {
        return Err(ApiError::forbidden("that property is outside your scope"));
    }
    let role = session.user.role;
    let filter = CaseFilter {
        property,
        kind: q.kind,
        state: q.state,
        category: q.category,
        overdue: q.overdue,
        mine: q.mine.then_some(session.user.id),
        from: q.from,
        to: q.to,
        q: q.q,
        personal: role.sees_personal_data(),
        page: q.page,
        per_page: q.per_page,
    };
    let store = state.store.clone();
    let mut page = blocking(move || store.cases(&scope, &filter, Utc::now())).await?;
    if !role.sees_personal_data() {
        page.items = page.items.into_iter().map(mask_summary).collect();
    }
    Ok(Json(page))
}

/// A summary with the complainant's name masked, for roles that may not
/// see personal data.
fn mask_summary(mut s: CaseSummary) -> CaseSummary {
    s.complainant_name = mask_name(&s.complainant_name);
    s
}

/// One case, as the server's fold materialized it.
#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = String, Path, description = "case id")),
    responses(AnyRole,
        (status = 200, description = "The case, masked for roles that may not see personal data.", body = Case),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such case in the caller's scope.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Case>, ApiError> {
    let id: CaseId = super::path_id(&id, "case")?;
    let store = state.store.clone();
    let found = blocking(move || store.case(id)).await?;
    // Out of scope answers like a missing case: existence is not revealed.
    let case = found
        .filter(|(p, _)| session.user.scope().allows(*p))
        .map(|(_, case)| case)
        .ok_or_else(|| ApiError::not_found("case"))?;
    Ok(Json(if session.user.role.sees_personal_data() {
        case
    } else {
        case.masked()
    }))
}
