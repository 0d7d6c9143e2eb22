//! Administration of the shared configuration (settings, categories, the
//! holiday calendar), the quarantine list's actions, the audit log and
//! retention deletion. Admin role only; every change is audited with who,
//! when, from which device and address.
//!
//! Settings, categories and the calendar reach the devices through pull:
//! storing them bumps their config sequence. A change of the settings or
//! the calendar then folds the stored cases again (`refold.rs`).

use super::responses::{AdminOnly, JsonBody};
use super::revision::{IfMatch, etag};
use super::{ClientAddr, audit_entry};
use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Body, ErrorBody, Params, blocking};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::administration::DiscardOutcome;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use serde::Deserialize;
use shared::admin::{
    AuditRecord, CalendarPreview, CalendarProblem, DeletedCase, DiscardRequest, QuarantineRecord,
    ReapplyOutcome, RetentionRefusal, preview_calendar,
};
use shared::calendar::YearSchedule;
use shared::category::{
    Category, CategoryError, MAX_CATEGORIES, MAX_CATEGORY_NAME_CHARS, check_categories,
};
use shared::id::CaseId;
use shared::personal_data::shown;
use shared::role::Role;
use shared::settings::Settings;
use shared::wire::ConfigKey;

fn admin(session: &Session) -> Result<(), ApiError> {
    session.require(&[Role::Admin])
}

/// The company settings, every deadline default included.
#[utoipa::path(get, path = "/api/v1/admin/settings", responses(AdminOnly, (status = 200, description = "The settings; `ETag` is their revision, for `If-Match` on a save.", body = Settings)), security(("bearer" = [])))]
pub async fn get_settings(
    State(state): State<AppState>,
    session: Session,
) -> Result<impl IntoResponse, ApiError> {
    admin(&session)?;
    let (revision, config) = read_config(&state, ConfigKey::Settings).await?;
    Ok((etag(revision), Json(config.settings)))
}

/// The configuration with the revision of its item `key`, read first: a
/// save between the two reads makes what is answered newer than its
/// `ETag`, which can only refuse a save, never let an older copy through.
async fn read_config(
    state: &AppState,
    key: ConfigKey,
) -> Result<(i64, crate::store::Config), ApiError> {
    let store = state.store.clone();
    blocking(move || Ok((store.revision(key)?, store.config()?))).await
}

/// Fills in the fields of this server's settings that `body` leaves out
/// with their `stored` values, at every level of the settings' own
/// structure (`shape`, the defaults: a map such as the solution rules by
/// severity has no fields of its own, and is sent whole or not at all).
/// An office page of an older build knows fewer fields, and its save
/// would otherwise set those it never showed back to their defaults.
fn keep_stored(
    body: &mut serde_json::Value,
    stored: &serde_json::Value,
    shape: &serde_json::Value,
) {
    let (Some(body), Some(shape)) = (body.as_object_mut(), shape.as_object()) else {
        return;
    };
    // A key the shape does not have: not these fields but another form of
    // the value (a rule in working days, `{"working_days": 3}`, where the
    // default is in hours), taken whole; or a typo, which
    // `parse_settings` refuses.
    if body.keys().any(|k| !shape.contains_key(k)) {
        return;
    }
    for (key, default) in shape {
        match body.get_mut(key) {
            Some(sent) => {
                if let Some(stored) = stored.get(key) {
                    keep_stored(sent, stored, default);
                }
            }
            None => {
                if let Some(stored) = stored.get(key) {
                    body.insert(key.clone(), stored.clone());
                }
            }
        }
    }
}

/// Checks a settings body: every field must be a settings field (a typo
/// would otherwise fall back to the default silently) and the values must
/// pass `Settings::validate`. Fields left out take their defaults here;
/// [`put_settings`] first gives them their stored values.
pub fn parse_settings(body: serde_json::Value) -> Result<Settings, ApiError> {
    let known = serde_json::to_value(Settings::default()).map_err(ApiError::internal)?;
    let serde_json::Value::Object(fields) = &body else {
        return Err(ApiError::bad_request(
            "settings.not_an_object",
            "settings are a JSON object",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| known.get(k.as_str()).is_none()) {
        return Err(ApiError::bad_request(
            "settings.unknown_field",
            format!("unknown settings field {unknown}"),
        ));
    }
    let settings: Settings = serde_json::from_value(body)
        .map_err(|e| ApiError::bad_request("settings.invalid", e.to_string()))?;
    settings
        .validate()
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    Ok(settings)
}

/// Replaces the settings after `Settings::validate`; audited as
/// `settings.put` with the old and new values.
#[utoipa::path(put, path = "/api/v1/admin/settings", request_body = Settings,
    responses(AdminOnly,
        (status = 200, description = "The stored settings.", body = Settings),
        (status = 400, description = "`settings.not_an_object`, `settings.unknown_field`, `settings.invalid` (the body does not match the schema; \
            checked here, not by the extractor, so there is no 422), `settings.unknown_timezone`, `settings.satisfaction_out_of_range`, \
            `settings.satisfaction_overlap`, `settings.compensation_negative`, `settings.compensation_limits_order`, `settings.spot_check_out_of_range`, `settings.attachment_limits`, `settings.deadline_out_of_range`, \
            `settings.special_case_below_solution`, `settings.follow_up_target_out_of_range`, `settings.valid_complaint_target_out_of_range`, `settings.retention_out_of_range`, `settings.idle_lock_out_of_range`. A field left out keeps its stored value. `request.malformed_json`: the body is not JSON. `request.bad_if_match`.", body = ErrorBody),
        (status = 412, description = "`admin.changed_meanwhile`: the settings changed since the read whose `ETag` came as `If-Match`.", body = ErrorBody),
        (status = 413, description = "`request.too_large`: the request body is over the limit.", body = ErrorBody),
        (status = 415, description = "`request.content_type`: the body is not sent as `Content-Type: application/json`.", body = ErrorBody)),
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the settings this change was made to; without it they are replaced whatever changed since.")),
    security(("bearer" = [])))]
pub async fn put_settings(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    if_match: Result<IfMatch, ApiError>,
    json: Body<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    admin(&session)?;
    let IfMatch(expected) = if_match?;
    let ApiJson(mut body) = json?;
    let store = state.store.clone();
    let stored = blocking(move || Ok(store.config()?.settings)).await?;
    let stored = serde_json::to_value(stored).map_err(ApiError::internal)?;
    let shape = serde_json::to_value(Settings::default()).map_err(ApiError::internal)?;
    keep_stored(&mut body, &stored, &shape);
    let new = parse_settings(body)?;
    let store = state.store.clone();
    let entry = audit_entry(&session, addr, "settings.put", serde_json::Value::Null);
    let (revision, stored) = blocking(move || store.put_settings(&new, expected, &entry)).await?;
    crate::refold::in_background(state.store.clone());
    Ok((etag(revision), Json(stored)))
}

/// The categories, retired ones included.
#[utoipa::path(get, path = "/api/v1/admin/categories", responses(AdminOnly, (status = 200, description = "Every category; `ETag` is their revision, for `If-Match` on a save.", body = Vec<Category>)), security(("bearer" = [])))]
pub async fn get_categories(
    State(state): State<AppState>,
    session: Session,
) -> Result<impl IntoResponse, ApiError> {
    admin(&session)?;
    let (revision, config) = read_config(&state, ConfigKey::Categories).await?;
    Ok((etag(revision), Json(config.categories)))
}

/// The API error for a refused category list.
pub fn category_refusal(e: CategoryError) -> ApiError {
    match e {
        CategoryError::BadCode(c) => ApiError::bad_request(
            "categories.bad_code",
            format!("category code {c:?} must be 1–32 lowercase letters, digits or _"),
        ),
        CategoryError::MissingName(c) => ApiError::bad_request(
            "categories.missing_name",
            format!("category {c} needs a Chinese and an English name"),
        ),
        CategoryError::Duplicate(c) => ApiError::bad_request(
            "categories.duplicate_code",
            format!("category code {c} is listed twice"),
        ),
        CategoryError::NoneActive => ApiError::bad_request(
            "categories.none_active",
            "at least one category must stay active",
        ),
        CategoryError::LongName(c) => ApiError::bad_request(
            "categories.long_name",
            format!(
                "category {c}'s names are at most {MAX_CATEGORY_NAME_CHARS} characters, on one line"
            ),
        ),
        CategoryError::TooMany => ApiError::bad_request(
            "categories.too_many",
            format!("at most {MAX_CATEGORIES} categories"),
        ),
    }
}

/// Replaces the categories. Codes are unique and names non-empty; a code
/// that cases use cannot be removed, only retired (`active: false`).
/// Audited as `categories.put`.
#[utoipa::path(put, path = "/api/v1/admin/categories", request_body = Vec<Category>,
    responses(AdminOnly, JsonBody,
        (status = 200, description = "The stored categories.", body = Vec<Category>),
        (status = 400, description = "`categories.bad_code`, `categories.missing_name`, `categories.long_name`, `categories.too_many`, `categories.duplicate_code`, `categories.none_active`. `request.malformed_json`: the body is not JSON. `request.bad_if_match`.", body = ErrorBody),
        (status = 409, description = "`categories.code_in_use`: cases use a removed code; retire it instead.", body = ErrorBody),
        (status = 412, description = "`admin.changed_meanwhile`: the categories changed since the read whose `ETag` came as `If-Match`.", body = ErrorBody)),
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the list this one was edited from; without it the list is replaced whatever changed since.")),
    security(("bearer" = [])))]
pub async fn put_categories(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    if_match: Result<IfMatch, ApiError>,
    json: Body<Vec<Category>>,
) -> Result<impl IntoResponse, ApiError> {
    admin(&session)?;
    let IfMatch(expected) = if_match?;
    let ApiJson(categories) = json?;
    let categories = check_categories(categories).map_err(category_refusal)?;
    let store = state.store.clone();
    let new = categories.clone();
    let entry = audit_entry(&session, addr, "categories.put", serde_json::Value::Null);
    let revision = blocking(move || store.put_categories(&new, expected, &entry)).await?;
    Ok((etag(revision), Json(categories)))
}

/// Previews a year's holiday schedule (the JSON of a `YearSchedule`, e.g.
/// read from the file the admin chose): the parsed rest days and make-up
/// workdays and any problem, without saving anything.
#[utoipa::path(post, path = "/api/v1/admin/calendar/preview", request_body = YearSchedule,
    responses(AdminOnly, JsonBody,
        (status = 200, description = "The preview; `error` says why it would be refused.", body = CalendarPreview),
        (status = 400, description = "`request.malformed_json`: the body is not JSON.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn calendar_preview(
    State(state): State<AppState>,
    session: Session,
    json: Body<YearSchedule>,
) -> Result<Json<CalendarPreview>, ApiError> {
    admin(&session)?;
    let ApiJson(schedule) = json?;
    let store = state.store.clone();
    let calendar = blocking(move || store.config()).await?.calendar;
    Ok(Json(preview_calendar(&calendar, schedule).0))
}

/// Loads a year's holiday schedule, replacing that year if loaded; refused
/// with the calendar's error code when invalid. Audited as `calendar.put`.
#[utoipa::path(post, path = "/api/v1/admin/calendar", request_body = YearSchedule,
    responses(AdminOnly, JsonBody,
        (status = 200, description = "The loaded schedule.", body = CalendarPreview),
        (status = 400, description = "`calendar.*` (e.g. `calendar.date_outside_year`): the schedule is invalid. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 412, description = "`admin.changed_meanwhile`: other imports kept landing between the read and the save, eight times over.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_calendar(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    json: Body<YearSchedule>,
) -> Result<Json<CalendarPreview>, ApiError> {
    admin(&session)?;
    let ApiJson(schedule) = json?;
    let store = state.store.clone();
    let mut entry = audit_entry(&session, addr, "calendar.put", serde_json::Value::Null);
    // The year is merged into the calendar as it is when saved: when
    // another import lands between the read and the save, the merge is
    // made again on top of it instead of undoing it.
    let merged = blocking(move || {
        let mut tries = 0;
        loop {
            let revision = store.revision(ConfigKey::Calendar)?;
            let calendar = store.config()?.calendar;
            let (preview, updated) = preview_calendar(&calendar, schedule.clone());
            let Some(updated) = updated else {
                return Ok((preview, false));
            };
            entry.detail = serde_json::json!({
                "year": preview.year, "source": preview.source, "replaces": preview.replaces,
                "rest_days": preview.rest_days.len(), "workdays": preview.workdays.len(),
            });
            tries += 1;
            match store.put_calendar(&updated, Some(revision), &entry) {
                Err(StoreError::Changed(_)) if tries < 8 => continue,
                saved => return saved.map(|_| (preview, true)),
            }
        }
    })
    .await?;
    let (mut preview, saved) = merged;
    if !saved {
        let problem = preview.error.unwrap_or(CalendarProblem {
            code: "calendar.invalid".into(),
            message_zh: String::new(),
            message_en: "invalid schedule".into(),
        });
        return Err(ApiError::bad_request(&problem.code, problem.message_en));
    }
    crate::refold::in_background(state.store.clone());
    if !preview.loaded_years.contains(&preview.year) {
        preview.loaded_years.push(preview.year);
        preview.loaded_years.sort_unstable();
    }
    Ok(Json(preview))
}

fn quarantine_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_request("request.bad_id", "not a quarantine id"))
}

/// One quarantined op with how it was settled (re-applied or discarded).
#[utoipa::path(get, path = "/api/v1/admin/quarantine/{id}", params(("id" = i64, Path, description = "quarantine id")),
    responses(AdminOnly,
        (status = 200, description = "The quarantined op and how it was settled.", body = QuarantineRecord),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such quarantined op.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn quarantine_record(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<QuarantineRecord>, ApiError> {
    admin(&session)?;
    let id = quarantine_id(&id)?;
    let store = state.store.clone();
    let mut record = blocking(move || store.quarantine_record(id))
        .await?
        .ok_or_else(|| ApiError::not_found("quarantined op"))?;
    let shown = shown(&super::settings(&state).await?, &session.user, None);
    super::admin::mask_quarantined(&mut record.op, shown);
    Ok(Json(record))
}

/// Runs a quarantined op through the push judgement again, now (after the
/// admin added the missing property, category or user, say). Accepted, it
/// is stored with a new server sequence, its case is folded again and the
/// entry is marked re-applied; refused, the answer says why and nothing
/// changes. Either way the attempt is audited (`quarantine.reapply`).
#[utoipa::path(post, path = "/api/v1/admin/quarantine/{id}/reapply", params(("id" = i64, Path, description = "quarantine id")),
    responses(AdminOnly,
        (status = 200, description = "Accepted, or refused again with the reason.", body = ReapplyOutcome),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such quarantined op.", body = ErrorBody),
        (status = 409, description = "`quarantine.resolved`, `quarantine.sequence_taken`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn quarantine_reapply(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ReapplyOutcome>, ApiError> {
    admin(&session)?;
    let id = quarantine_id(&id)?;
    let store = state.store.clone();
    let by = session.user.id;
    let ceiling = state.clock_ceiling();
    let entry = audit_entry(
        &session,
        addr,
        "quarantine.reapply",
        serde_json::json!({ "quarantine": id }),
    );
    let attempt = entry.clone();
    let outcome =
        blocking(move || store.reapply_quarantined(id, by, Utc::now(), ceiling, &entry)).await?;
    match &outcome {
        ReapplyOutcome::AlreadyResolved => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "quarantine.resolved",
                "this op was already re-applied or discarded",
            ));
        }
        ReapplyOutcome::SequenceTaken => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "quarantine.sequence_taken",
                "another op holds this device sequence number (a clone); discard this one",
            ));
        }
        // Audited with the change it made, in the same transaction.
        ReapplyOutcome::Accepted { .. } => {}
        // Nothing changed; the attempt is recorded all the same.
        ReapplyOutcome::Refused { .. } => {
            let mut entry = attempt;
            entry.detail["outcome"] = serde_json::to_value(&outcome).map_err(ApiError::internal)?;
            let store = state.store.clone();
            blocking(move || store.audit(entry)).await?;
        }
    }
    Ok(Json(outcome))
}

/// Discards a quarantined op with a recorded reason. It is kept, marked
/// discarded, never deleted. Audited as `quarantine.discard`.
#[utoipa::path(post, path = "/api/v1/admin/quarantine/{id}/discard", params(("id" = i64, Path, description = "quarantine id")),
    request_body = DiscardRequest,
    responses(AdminOnly, JsonBody,
        (status = 204, description = "The op is marked discarded."),
        (status = 400, description = "`request.bad_id`, `quarantine.reason_required`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such quarantined op.", body = ErrorBody),
        (status = 409, description = "`quarantine.resolved`: already re-applied or discarded.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn quarantine_discard(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
    json: Body<DiscardRequest>,
) -> Result<StatusCode, ApiError> {
    admin(&session)?;
    let ApiJson(req) = json?;
    let id = quarantine_id(&id)?;
    let reason = req.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::bad_request(
            "quarantine.reason_required",
            "give a reason of at most 1000 characters",
        ));
    }
    let store = state.store.clone();
    let by = session.user.id;
    let entry = audit_entry(
        &session,
        addr,
        "quarantine.discard",
        serde_json::json!({ "quarantine": id, "reason": reason }),
    );
    let outcome =
        blocking(move || store.discard_quarantined(id, &reason, by, Utc::now(), &entry)).await?;
    if outcome == DiscardOutcome::AlreadyResolved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "quarantine.resolved",
            "this op was already re-applied or discarded",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Audit log paging.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// How many records (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Only records older than this record id (the next page).
    pub before: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", params(AuditParams),
    responses(AdminOnly,
        (status = 200, description = "A page of the audit log, newest first.", body = Vec<AuditRecord>),
        (status = 400, description = "`request.bad_query`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    session: Session,
    params: Params<AuditParams>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    admin(&session)?;
    let ApiQuery(params) = params?;
    let store = state.store.clone();
    let limit = params.limit.unwrap_or(100);
    Ok(Json(
        blocking(move || store.audit_log(limit, params.before)).await?,
    ))
}

/// Deletes a case whose retention period has passed: closed or withdrawn
/// at least `retention_years` ago, and not major (major cases are kept
/// long-term). Removes the case, its deadlines, its ops, and the evidence
/// files no other case names; a spot-check sample keeps its place in the
/// call list, blank, counted in no figure (as a voided case is not); the
/// audit record (`case.delete`) keeps who, why and the registration
/// number. Never automatic. The deletion is a tombstone in the sync
/// sequence: every device in the case's property drops the case at its
/// next pull, and later pushes to it are quarantined as `case.deleted`.
#[utoipa::path(delete, path = "/api/v1/admin/cases/{id}", params(("id" = String, Path, description = "case id")),
    responses(AdminOnly,
        (status = 200, description = "What was deleted.", body = DeletedCase),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such case.", body = ErrorBody),
        (status = 409, description = "`retention.not_closed`, `retention.major_case`, `retention.too_young`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_case(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DeletedCase>, ApiError> {
    admin(&session)?;
    let id: CaseId = super::path_id(&id, "case")?;
    let store = state.store.clone();
    let entry = audit_entry(&session, addr, "case.delete", serde_json::Value::Null);
    let result = blocking(move || store.delete_case(id, true, Utc::now(), &entry)).await?;
    let deleted = match result {
        Ok(deleted) => deleted,
        Err(RetentionRefusal::NotFound) => return Err(ApiError::not_found("case")),
        Err(refusal) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                refusal.code(),
                refusal.message(),
            ));
        }
    };
    Ok(Json(deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_bodies_are_checked() {
        let mut body = serde_json::to_value(Settings::default()).unwrap();
        assert!(parse_settings(body.clone()).is_ok());
        body["satisfied_minimum"] = 4.into();
        assert_eq!(
            parse_settings(body).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        let bad = serde_json::json!({ "timezone": "Mars/Olympus" });
        assert_eq!(
            parse_settings(bad).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert!(parse_settings(serde_json::json!([])).is_err());
    }

    #[test]
    fn a_field_left_out_keeps_its_stored_value() {
        let shape = serde_json::to_value(Settings::default()).unwrap();
        let mut stored = shape.clone();
        stored["idle_lock_minutes"] = 30.into();
        stored["deadlines"]["due_soon_hours"] = 12.into();
        stored["deadlines"]["solution_by_severity"] =
            serde_json::json!({"major": {"working_days": 1}});
        // An older office page knows neither the lock nor the due-soon
        // hours, and clears the rules by severity.
        let mut body = shape.clone();
        body.as_object_mut().unwrap().remove("idle_lock_minutes");
        body["deadlines"]
            .as_object_mut()
            .unwrap()
            .remove("due_soon_hours");
        body["deadlines"]["solution_by_severity"] = serde_json::json!({});
        body["satisfied_min"] = 5.into();
        // A clock's rule turned from hours into working days.
        body["deadlines"]["register_written"] = serde_json::json!({"working_days": 1});
        keep_stored(&mut body, &stored, &shape);
        let settings = parse_settings(body).unwrap();
        assert_eq!(settings.idle_lock_minutes, 30);
        assert_eq!(settings.deadlines.due_soon_hours, 12);
        assert!(settings.deadlines.solution_by_severity.is_empty());
        assert_eq!(settings.satisfied_min, 5);
        assert_eq!(
            serde_json::to_value(&settings).unwrap()["deadlines"]["register_written"],
            serde_json::json!({"working_days": 1})
        );
    }
}
