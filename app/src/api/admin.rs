//! The administration endpoints (`/api/v1/admin/…`), one function each,
//! for the administration screen and the case deletion on the detail
//! screen. All of them are online-only and need an admin's token.
//!
//! Every request and answer is a type from `shared` (mostly
//! `shared::admin`), so the app and the server agree by construction.

use super::{ApiError, Method, Tagged, get, get_tagged, send, send_empty, send_tagged};
use serde::Serialize;
use shared::admin::{
    ActiveRequest, DiscardRequest, ImportedUser, NewUserRequest, UserChange, UserImport,
};
pub use shared::admin::{
    AuditRecord, CalendarPreview, DeletedCase, DeviceInfo, QuarantineEntry, ReapplyOutcome,
};
use shared::calendar::YearSchedule;
use shared::category::Category;
use shared::id::{CaseId, PropertyId, UserId};
use shared::property::Property;
use shared::role::{Role, User};
use shared::settings::Settings;
use shared::wire::{PasswordReset, RecordsFile, RecordsImport};

/// The body of a POST whose endpoint reads none (revoking a device,
/// re-applying a quarantined op): `{}`, as a JSON client sends for "no
/// fields".
#[derive(Serialize)]
struct NoFields {}

/// A user to create, as the new-user form collects it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// The login, trimmed.
    pub login: String,
    /// The name shown to colleagues, trimmed.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The initial password, which the user must change at the first login.
    pub password: String,
    /// The properties in the user's scope (none for roles that see all).
    pub properties: Vec<PropertyId>,
    /// The department, if one was given.
    pub department: Option<String>,
}

/// `GET /api/v1/admin/users`.
pub async fn users(token: &str) -> Result<Vec<User>, ApiError> {
    get(token, "/api/v1/admin/users").await
}

/// `POST /api/v1/admin/users`: the created user.
pub async fn create_user(token: &str, user: &NewUser) -> Result<User, ApiError> {
    let body = NewUserRequest {
        login: user.login.clone(),
        display_name: user.display_name.clone(),
        role: user.role.code().to_string(),
        password: user.password.clone(),
        properties: user.properties.clone(),
        department: user.department.clone(),
    };
    send(Method::Post, token, "/api/v1/admin/users", &body).await
}

/// `POST /api/v1/admin/users/import`: the users of a roster, created at
/// once, with the passwords made for those given none.
pub async fn import_users(token: &str, roster: &UserImport) -> Result<Vec<ImportedUser>, ApiError> {
    send(Method::Post, token, "/api/v1/admin/users/import", roster).await
}

/// `PUT /api/v1/admin/users/{id}`: corrects a user's name, role,
/// properties and department.
pub async fn update_user(token: &str, user: UserId, change: &UserChange) -> Result<User, ApiError> {
    send(
        Method::Put,
        token,
        &format!("/api/v1/admin/users/{user}"),
        change,
    )
    .await
}

/// `PUT /api/v1/admin/users/{id}/active`: enables or disables a user.
pub async fn set_user_active(token: &str, user: UserId, active: bool) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/users/{user}/active");
    send_empty(Method::Put, token, &url, &ActiveRequest { active }, None).await
}

/// `POST /api/v1/admin/users/{id}/password`: an admin sets a temporary
/// password, which the user must change at their next login (204).
pub async fn reset_password(
    token: &str,
    user: UserId,
    req: &PasswordReset,
) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/users/{user}/password");
    send_empty(Method::Post, token, &url, req, None).await
}

/// `GET /api/v1/admin/devices`: the server's device records.
pub async fn devices(token: &str) -> Result<Vec<DeviceInfo>, ApiError> {
    get(token, "/api/v1/admin/devices").await
}

/// `POST /api/v1/admin/devices/{id}/revoke`. The id is as the device
/// record gave it.
pub async fn revoke_device(token: &str, device: &str) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/devices/{device}/revoke");
    send_empty(Method::Post, token, &url, &NoFields {}, None).await
}

/// `POST /api/v1/admin/records/import`: imports the records a tablet
/// exported.
pub async fn import_records(token: &str, file: &RecordsFile) -> Result<RecordsImport, ApiError> {
    send(Method::Post, token, "/api/v1/admin/records/import", file).await
}

/// `GET /api/v1/admin/properties`.
pub async fn properties(token: &str) -> Result<Tagged<Vec<Property>>, ApiError> {
    get_tagged(token, "/api/v1/admin/properties").await
}

/// `POST /api/v1/admin/properties`: stores a new or changed property; a
/// changed one with the list's tag, so that it cannot undo a change made
/// since the list was read.
pub async fn put_property(
    token: &str,
    property: &Property,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    send_empty(
        Method::Post,
        token,
        "/api/v1/admin/properties",
        property,
        if_match,
    )
    .await
}

/// `GET /api/v1/admin/categories`.
pub async fn categories(token: &str) -> Result<Tagged<Vec<Category>>, ApiError> {
    get_tagged(token, "/api/v1/admin/categories").await
}

/// `PUT /api/v1/admin/categories`: replaces the list read at `if_match`;
/// the stored list.
pub async fn put_categories(
    token: &str,
    categories: &[Category],
    if_match: Option<&str>,
) -> Result<Tagged<Vec<Category>>, ApiError> {
    send_tagged(
        Method::Put,
        token,
        "/api/v1/admin/categories",
        &categories,
        if_match,
    )
    .await
}

/// `GET /api/v1/admin/settings`.
pub async fn settings(token: &str) -> Result<Tagged<Settings>, ApiError> {
    get_tagged(token, "/api/v1/admin/settings").await
}

/// `PUT /api/v1/admin/settings`: replaces the settings read at
/// `if_match`; the stored settings.
pub async fn put_settings(
    token: &str,
    settings: &Settings,
    if_match: Option<&str>,
) -> Result<Tagged<Settings>, ApiError> {
    send_tagged(
        Method::Put,
        token,
        "/api/v1/admin/settings",
        settings,
        if_match,
    )
    .await
}

/// `POST /api/v1/admin/calendar/preview`: what importing `schedule` would
/// do, without doing it.
pub async fn preview_calendar(
    token: &str,
    schedule: &YearSchedule,
) -> Result<CalendarPreview, ApiError> {
    send(
        Method::Post,
        token,
        "/api/v1/admin/calendar/preview",
        schedule,
    )
    .await
}

/// `POST /api/v1/admin/calendar`: imports one year's holidays; the same
/// preview, of what was imported.
pub async fn put_calendar(
    token: &str,
    schedule: &YearSchedule,
) -> Result<CalendarPreview, ApiError> {
    send(Method::Post, token, "/api/v1/admin/calendar", schedule).await
}

/// `GET /api/v1/admin/quarantine`: the oldest `limit` unsettled
/// quarantine entries.
pub async fn quarantine(token: &str, limit: u32) -> Result<Vec<QuarantineEntry>, ApiError> {
    get(token, &format!("/api/v1/admin/quarantine?limit={limit}")).await
}

/// `POST /api/v1/admin/quarantine/{id}/reapply`: the outcome (accepted,
/// or refused again with a reason).
pub async fn reapply(token: &str, entry: &str) -> Result<ReapplyOutcome, ApiError> {
    let url = format!("/api/v1/admin/quarantine/{entry}/reapply");
    send(Method::Post, token, &url, &NoFields {}).await
}

/// `POST /api/v1/admin/quarantine/{id}/discard`, with the admin's reason.
pub async fn discard(token: &str, entry: &str, reason: &str) -> Result<(), ApiError> {
    let url = format!("/api/v1/admin/quarantine/{entry}/discard");
    let body = DiscardRequest {
        reason: reason.to_string(),
    };
    send_empty(Method::Post, token, &url, &body, None).await
}

/// `GET /api/v1/admin/audit?limit=N`: the latest audit records.
pub async fn audit(token: &str, limit: u32) -> Result<Vec<AuditRecord>, ApiError> {
    get(token, &format!("/api/v1/admin/audit?limit={limit}")).await
}

/// `DELETE /api/v1/admin/cases/{id}`: deletes a case whose retention
/// period has passed; the server's receipt.
pub async fn delete_case(token: &str, case: CaseId) -> Result<DeletedCase, ApiError> {
    let url = format!("/api/v1/admin/cases/{case}");
    // No body: `()` is sent as `null`, as before.
    send(Method::Delete, token, &url, &()).await
}
