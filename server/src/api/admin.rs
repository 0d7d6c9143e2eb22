//! Administration: users, devices, properties and the quarantine list.
//! Admin role only; every change is audited with who, when and from where.

use super::responses::{AdminOnly, JsonBody};
use super::revision::{IfMatch, etag};
use super::{ClientAddr, audit_entry};
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Body, ErrorBody, Params, blocking};
use crate::state::AppState;
use crate::store::{AuditEntry, NewUser, UserProfile};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use serde::Deserialize;
use shared::admin::{
    ActiveRequest, DeviceInfo, ImportedUser, NewUserRequest, QuarantineEntry, UserChange,
    UserImport,
};
use shared::id::{DeviceId, UserId};
use shared::personal_data::{Shown, shown};
use shared::property::Property;
use shared::role::{Role, User};
use shared::roster::MAX_ROSTER_USERS;
use shared::validation::{MAX_DIRECTORY_NAME, MIN_PASSWORD_CHARS, is_plain_name};
use shared::wire::{ConfigKey, PasswordReset};

/// Lists users.
#[utoipa::path(get, path = "/api/v1/admin/users", responses(AdminOnly, (status = 200, description = "Every user.", body = Vec<User>)), security(("bearer" = [])))]
pub async fn users(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<User>>, ApiError> {
    session.require(&[Role::Admin])?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.users()).await?))
}

/// Validates and creates a user (shared with the CLI). The audit detail
/// gets what the account is given here and the new id from the store.
/// `must_change_password` when the person who chose the password is not
/// the user (an admin in the app).
pub async fn create_user_checked(
    state: &AppState,
    req: NewUserRequest,
    must_change_password: bool,
    mut audit: AuditEntry,
) -> Result<User, ApiError> {
    let checked = checked_new_user(req)?;
    refuse_retired(
        &all_properties(state).await?,
        &checked.profile.properties,
        &[],
    )?;
    let new = hashed(state, checked, must_change_password).await?;
    audit.detail = created(&new);
    let store = state.store.clone();
    blocking(move || store.create_user(new, Utc::now(), &audit)).await
}

/// The audit detail of a user created: everything granted with the
/// account, as `user.update` records what it changes.
fn created(new: &NewUser) -> serde_json::Value {
    serde_json::json!({
        "login": new.login,
        "display_name": new.display_name,
        "role": new.role,
        "properties": new.properties,
        "department": new.department,
        "must_change_password": new.must_change_password,
    })
}

/// Creates the users of a roster, all or none (shared with the CLI); a
/// user given no password gets a random one, answered once. Each is
/// audited as `user.create`, as one added alone, with `import` set.
pub async fn import_users_checked(
    state: &AppState,
    users: Vec<NewUserRequest>,
    must_change_password: bool,
    audit: AuditEntry,
) -> Result<Vec<ImportedUser>, ApiError> {
    if users.is_empty() {
        return Err(ApiError::bad_request(
            "admin.empty_import",
            "the roster names no users",
        ));
    }
    if users.len() > MAX_ROSTER_USERS {
        return Err(ApiError::bad_request(
            "admin.too_many_users",
            format!("one import creates at most {MAX_ROSTER_USERS} users"),
        ));
    }
    // Every user is checked, a login in use or given twice too, before
    // any password is hashed: a refusal on the last line comes at once.
    let mut checked = Vec::with_capacity(users.len());
    let mut made = Vec::with_capacity(users.len());
    let all = all_properties(state).await?;
    // The logins in use, read once; each checked login joins them, so a
    // login given twice is refused as one in use.
    let mut logins: std::collections::BTreeSet<String> = {
        let store = state.store.clone();
        blocking(move || store.users())
            .await?
            .into_iter()
            .map(|u| shared::roster::login(&u.login))
            .collect()
    };
    for (i, mut req) in users.into_iter().enumerate() {
        let password = req
            .password
            .is_empty()
            .then(|| auth::new_token()[..16].to_string());
        if let Some(p) = &password {
            req.password.clone_from(p);
        }
        let login = req.login.clone();
        let user = checked_new_user(req).map_err(|e| e.in_user(i + 1, &login))?;
        refuse_retired(&all, &user.profile.properties, &[])
            .map_err(|e| e.in_user(i + 1, &login))?;
        if !logins.insert(user.login.clone()) {
            return Err(ApiError::from(crate::store::StoreError::Conflict(format!(
                "login {}",
                user.login
            )))
            .in_user(i + 1, &login));
        }
        checked.push(user);
        made.push(password);
    }
    let mut news = Vec::with_capacity(checked.len());
    for c in checked {
        let new = hashed(state, c, must_change_password).await?;
        let mut entry = audit.clone();
        entry.detail = created(&new);
        entry.detail["import"] = true.into();
        news.push((new, entry));
    }
    let store = state.store.clone();
    let created = blocking(move || store.create_users(news, Utc::now())).await?;
    Ok(created
        .into_iter()
        .zip(made)
        .map(|(user, password)| ImportedUser { user, password })
        .collect())
}

/// Refuses to give a user a retired property they do not hold already
/// (`held`): it is offered for no new user, and a user kept in it when it
/// was retired stays in it.
fn refuse_retired(
    all: &[Property],
    properties: &[shared::id::PropertyId],
    held: &[shared::id::PropertyId],
) -> Result<(), ApiError> {
    match all
        .iter()
        .find(|p| p.retired && properties.contains(&p.id) && !held.contains(&p.id))
    {
        Some(p) => Err(ApiError::bad_request(
            "admin.retired_property",
            format!("property {} is retired", p.code),
        )),
        None => Ok(()),
    }
}

async fn all_properties(state: &AppState) -> Result<Vec<Property>, ApiError> {
    let store = state.store.clone();
    blocking(move || store.properties()).await
}

/// A new user's login, profile and password, checked.
struct CheckedNewUser {
    login: String,
    profile: UserProfile,
    password: String,
}

/// The rules of a new user's login and password, and of the profile
/// every user has.
fn checked_new_user(req: NewUserRequest) -> Result<CheckedNewUser, ApiError> {
    let login = shared::roster::login(&req.login);
    if !shared::roster::is_usable_login(&login) {
        return Err(ApiError::bad_request(
            "admin.bad_login",
            "a login is 1–64 characters without spaces or invisible characters",
        ));
    }
    let profile = checked_profile(UserChange {
        display_name: req.display_name,
        role: req.role,
        properties: req.properties,
        department: req.department,
        was: None,
    })?;
    // Longer than a login accepts, it could never be used.
    if req.password.len() > shared::validation::MAX_PASSWORD_BYTES {
        return Err(super::login::too_long("password"));
    }
    if req.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(
            "admin.weak_password",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(CheckedNewUser {
        login,
        profile,
        password: req.password,
    })
}

/// The user to store, with their password hashed.
async fn hashed(
    state: &AppState,
    user: CheckedNewUser,
    must_change_password: bool,
) -> Result<NewUser, ApiError> {
    let password = user.password;
    let hash = auth::argon2_limited(state, move || auth::hash_password(&password)).await??;
    Ok(NewUser {
        login: user.login,
        display_name: user.profile.display_name,
        role: user.profile.role,
        properties: user.profile.properties,
        department: user.profile.department,
        password_hash: hash,
        must_change_password,
    })
}

/// A user's name, role, properties and department, checked: the same rules
/// for a new user and a corrected one.
fn checked_profile(req: UserChange) -> Result<UserProfile, ApiError> {
    let role = Role::from_code(&req.role).ok_or_else(|| {
        ApiError::bad_request("admin.unknown_role", format!("unknown role {}", req.role))
    })?;
    let display_name = req.display_name.trim().to_string();
    if display_name.is_empty()
        || display_name.chars().count() > MAX_DIRECTORY_NAME
        || !is_plain_name(&display_name)
    {
        return Err(ApiError::bad_request(
            "admin.bad_display_name",
            format!("a display name is 1–{MAX_DIRECTORY_NAME} characters on one line"),
        ));
    }
    let department = req
        .department
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    if department
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DIRECTORY_NAME || !is_plain_name(d))
    {
        return Err(ApiError::bad_request(
            "admin.bad_department",
            format!("a department is at most {MAX_DIRECTORY_NAME} characters on one line"),
        ));
    }
    if !role.sees_all_properties() && req.properties.is_empty() {
        return Err(ApiError::bad_request(
            "admin.no_properties",
            "this role needs at least one property",
        ));
    }
    // The roster import refuses the same (`roster.no_department`).
    if role.needs_department() && department.is_none() {
        return Err(ApiError::bad_request(
            "admin.no_department",
            "a department head needs the department whose cases they handle",
        ));
    }
    let mut properties = req.properties;
    properties.sort();
    properties.dedup();
    Ok(UserProfile {
        display_name,
        role,
        properties,
        department,
    })
}

/// Corrects a user: name, role, properties, department.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}", request_body = UserChange, params(("id" = String, Path, description = "user id")),
    responses(AdminOnly, JsonBody,
        (status = 200, description = "The user as stored. A new role or new properties ended their sessions.", body = User),
        (status = 400, description = "`request.bad_id`, `admin.unknown_role`, `admin.bad_display_name`, `admin.bad_department`, `admin.no_properties`, `admin.no_department` (a department head without one), `admin.retired_property` (a retired property the user is not in already). `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user, or a listed property does not exist.", body = ErrorBody),
        (status = 409, description = "`admin.change_own_role`: an admin cannot change their own role. `admin.last_admin`: no other admin is active.", body = ErrorBody),
        (status = 412, description = "`admin.changed_meanwhile`: the user is no longer as `was` says the form read them.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
    json: Body<UserChange>,
) -> Result<Json<User>, ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(req) = json?;
    let id: UserId = super::path_id(&id, "user")?;
    let was = req.was.clone();
    let profile = checked_profile(req)?;
    let held = {
        let store = state.store.clone();
        blocking(move || store.user(id)).await?
    }
    .map(|u| u.properties)
    .unwrap_or_default();
    refuse_retired(&all_properties(&state).await?, &profile.properties, &held)?;
    // As with a disable: an admin who gave up the role could leave the
    // company with nobody to give it back.
    if id == session.user.id && profile.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "admin.change_own_role",
            "an admin cannot change their own role",
        ));
    }
    let store = state.store.clone();
    let entry = audit_entry(&session, addr, "user.update", serde_json::Value::Null);
    Ok(Json(
        blocking(move || store.update_user(id, profile, was.as_ref(), &entry)).await?,
    ))
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/admin/users", request_body = NewUserRequest,
    responses(AdminOnly, JsonBody,
        (status = 201, description = "The new user; also the answer to the same request sent again (its answer lost): the user it made, unchanged.", body = User),
        (status = 400, description = "`admin.unknown_role`, `admin.bad_login`, `admin.bad_display_name`, `admin.bad_department`, `admin.weak_password`, `admin.no_properties`, `admin.no_department`, `admin.retired_property`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 422, description = "`request.too_long`: the password is longer than a login accepts.", body = ErrorBody),
        (status = 404, description = "`not_found`: a listed property does not exist.", body = ErrorBody),
        (status = 409, description = "`conflict`: the login is taken.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    json: Body<NewUserRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(req) = json?;
    let entry = audit_entry(&session, addr, "user.create", serde_json::Value::Null);
    let again = req.clone();
    match create_user_checked(&state, req, true, entry).await {
        Ok(user) => Ok((StatusCode::CREATED, Json(user))),
        Err(taken) if taken.status() == StatusCode::CONFLICT => {
            match made_before(&state, again).await? {
                Some(user) => Ok((StatusCode::CREATED, Json(user))),
                None => Err(taken),
            }
        }
        Err(e) => Err(e),
    }
}

/// The user this very request made before: sent again after its answer
/// was lost, it finds its login taken, and an administrator told so would
/// make a second account for the same person under another login (an
/// account is never deleted). The same login, name, role, properties and
/// department, a password nobody has changed yet and that matches: the
/// same request, answered as it was the first time.
async fn made_before(state: &AppState, req: NewUserRequest) -> Result<Option<User>, ApiError> {
    let checked = checked_new_user(req)?;
    let store = state.store.clone();
    auth::argon2_limited(state, move || {
        let Some(found) = store.user_by_login(&checked.login)? else {
            return Ok(None);
        };
        let user = &found.user;
        let profile = &checked.profile;
        let mut properties = user.properties.clone();
        properties.sort();
        let same = user.active
            && found.must_change_password
            && user.display_name == profile.display_name
            && user.role == profile.role
            && user.department == profile.department
            && properties == profile.properties;
        Ok(
            (same && auth::verify_password(&checked.password, &found.password_hash))
                .then_some(found.user),
        )
    })
    .await?
}

/// Creates the users of a roster (人员名单), all or none.
#[utoipa::path(post, path = "/api/v1/admin/users/import", request_body = UserImport,
    responses(AdminOnly, JsonBody,
        (status = 201, description = "The users created, in the roster's order, each with the password made for them if the roster gave none.", body = Vec<ImportedUser>),
        (status = 400, description = "`admin.empty_import`, `admin.too_many_users`, or a user's refusal as for one user (`admin.bad_login`…), its message naming the user's place in the list. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 422, description = "`request.too_long`: a password is longer than a login accepts.", body = ErrorBody),
        (status = 404, description = "`not_found`: a listed property does not exist.", body = ErrorBody),
        (status = 409, description = "`conflict`: a login is taken, or given twice. Nobody was created.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_users(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    json: Body<UserImport>,
) -> Result<(StatusCode, Json<Vec<ImportedUser>>), ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(req) = json?;
    let entry = audit_entry(&session, addr, "user.create", serde_json::Value::Null);
    let users = import_users_checked(&state, req.users, true, entry).await?;
    Ok((StatusCode::CREATED, Json(users)))
}

/// Enables or disables a user (disabling revokes their tokens).
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/active", request_body = ActiveRequest, params(("id" = String, Path, description = "user id")),
    responses(AdminOnly, JsonBody,
        (status = 204, description = "Stored; disabling revoked the user's tokens."),
        (status = 400, description = "`request.bad_id`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user.", body = ErrorBody),
        (status = 409, description = "`admin.disable_self`: an admin cannot disable their own account. `admin.last_admin`: no other admin is active (another admin disabled this one's account meanwhile).", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_active(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
    json: Body<ActiveRequest>,
) -> Result<StatusCode, ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(req) = json?;
    let id: UserId = super::path_id(&id, "user")?;
    // An admin who disabled themselves could leave the company with no
    // admin at all, and nobody to enable one again.
    if id == session.user.id && !req.active {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "admin.disable_self",
            "an admin cannot disable their own account",
        ));
    }
    let store = state.store.clone();
    let entry = audit_entry(
        &session,
        addr,
        "user.set_active",
        serde_json::json!({ "user": id, "active": req.active }),
    );
    blocking(move || store.set_user_active(id, req.active, &entry)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a user's password to a temporary one the admin tells them; the
/// user must choose their own at the next login.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", request_body = PasswordReset,
    params(("id" = String, Path, description = "user id")),
    responses(AdminOnly, JsonBody,
        (status = 204, description = "The temporary password is set, and every session of the user ended."),
        (status = 400, description = "`request.bad_id`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user.", body = ErrorBody),
        (status = 422, description = "`request.invalid_json`: the body does not match the schema; `request.too_long`, `validation.password_too_short`: the new password is too long or too short.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
    json: Body<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    session.require(&[Role::Admin])?;
    let ApiJson(req) = json?;
    let id: UserId = super::path_id(&id, "user")?;
    super::login::check_new_password(&req.new)?;
    let password = req.new;
    let hash = auth::argon2_limited(&state, move || auth::hash_password(&password)).await??;
    let store = state.store.clone();
    let entry = audit_entry(
        &session,
        addr,
        "user.reset_password",
        serde_json::json!({ "user": id }),
    );
    // Every session of theirs ends: the admin resets a password because
    // it is forgotten or known to someone else.
    blocking(move || store.set_password(id, &hash, true, None, &entry)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists devices.
#[utoipa::path(get, path = "/api/v1/admin/devices", responses(AdminOnly, (status = 200, description = "Every device.", body = Vec<DeviceInfo>)), security(("bearer" = [])))]
pub async fn devices(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<DeviceInfo>>, ApiError> {
    session.require(&[Role::Admin])?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.devices()).await?))
}

/// Revokes a device: its tokens stop working and it cannot log in again.
#[utoipa::path(post, path = "/api/v1/admin/devices/{id}/revoke", params(("id" = String, Path, description = "device id")),
    responses(AdminOnly,
        (status = 204, description = "The device is revoked."),
        (status = 400, description = "`request.bad_id`.", body = ErrorBody),
        (status = 409, description = "`admin.revoke_own_device`: the device this request comes from.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such device.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_device(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    session.require(&[Role::Admin])?;
    let id: DeviceId = super::path_id(&id, "device")?;
    // Revoked, the device this admin works on could never log in again
    // (it presents its id and secret at every login); a stolen tablet is
    // revoked from another.
    if id == session.device {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "admin.revoke_own_device",
            "an admin cannot revoke the device they are using",
        ));
    }
    let store = state.store.clone();
    let entry = audit_entry(
        &session,
        addr,
        "device.revoke",
        serde_json::json!({ "device": id }),
    );
    blocking(move || store.revoke_device(id, &entry)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists properties with buildings and units.
#[utoipa::path(get, path = "/api/v1/admin/properties", responses(AdminOnly, (status = 200, description = "Every property; `ETag` is their revision, for `If-Match` on a save.", body = Vec<Property>)), security(("bearer" = [])))]
pub async fn properties(
    State(state): State<AppState>,
    session: Session,
) -> Result<impl IntoResponse, ApiError> {
    session.require(&[Role::Admin])?;
    let store = state.store.clone();
    // The revision first: a save between the two reads then makes the
    // list newer than its ETag, which can only refuse a save, never let an
    // older copy through.
    let (revision, list) = blocking(move || {
        let revision = store.revision(ConfigKey::Properties)?;
        Ok((revision, store.properties()?))
    })
    .await?;
    Ok((etag(revision), Json(list)))
}

/// Checks a property before it is stored (shared with the CLI).
pub fn check_property(p: &Property) -> Result<(), ApiError> {
    if p.code.is_empty() || p.code.len() > 8 || !p.code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request(
            "admin.bad_property_code",
            "a property code is 1–8 ASCII letters or digits",
        ));
    }
    if p.name.trim().is_empty()
        || p.name.chars().count() > MAX_DIRECTORY_NAME
        || !is_plain_name(&p.name)
    {
        return Err(ApiError::bad_request(
            "admin.bad_property_name",
            format!("a property's name is 1–{MAX_DIRECTORY_NAME} characters on one line"),
        ));
    }
    if p.households > MAX_HOUSEHOLDS {
        return Err(ApiError::bad_request(
            "admin.bad_households",
            format!("a property has at most {MAX_HOUSEHOLDS} households"),
        ));
    }
    // Printed on every receipt: one line, as long as a phone and an office.
    if p.contact.chars().count() > MAX_DIRECTORY_NAME
        || (!p.contact.is_empty() && !is_plain_name(&p.contact))
    {
        return Err(ApiError::bad_request(
            "admin.bad_property_contact",
            format!("a property's contact is at most {MAX_DIRECTORY_NAME} characters on one line"),
        ));
    }
    // Every tablet of the property pulls the whole list, and every case's
    // search text and export row names its building and unit.
    let units: usize = p.buildings.iter().map(|b| b.units.len()).sum();
    if p.buildings.len() > MAX_BUILDINGS || units > MAX_UNITS {
        return Err(ApiError::bad_request(
            "admin.too_many_places",
            format!(
                "a property has at most {MAX_BUILDINGS} buildings and {MAX_UNITS} units in all"
            ),
        ));
    }
    let names = p.buildings.iter().map(|b| &b.name).chain(
        p.buildings
            .iter()
            .flat_map(|b| b.units.iter().map(|u| &u.name)),
    );
    for name in names {
        if name.trim().is_empty() || name.chars().count() > MAX_PLACE_CHARS || !is_plain_name(name)
        {
            return Err(ApiError::bad_request(
                "admin.bad_place_name",
                format!(
                    "{name:?}: a building's or unit's name is 1–{MAX_PLACE_CHARS} characters on one line"
                ),
            ));
        }
    }
    Ok(())
}

/// The most households a property may give: more than the largest estates.
pub const MAX_HOUSEHOLDS: u32 = 1_000_000;
/// The most buildings one property holds.
pub const MAX_BUILDINGS: usize = 2_000;
/// The most units one property holds, all buildings together.
pub const MAX_UNITS: usize = 50_000;
/// The longest building or unit name, in characters.
pub const MAX_PLACE_CHARS: usize = 32;

/// Creates or replaces a property.
#[utoipa::path(post, path = "/api/v1/admin/properties", request_body = Property,
    responses(AdminOnly, JsonBody,
        (status = 204, description = "The property is stored; `ETag` is the properties' new revision."),
        (status = 400, description = "`admin.bad_property_code`, `admin.bad_property_name`, `admin.bad_households`, `admin.bad_property_contact`, `admin.too_many_places`, `admin.bad_place_name`. `request.bad_if_match`. `request.malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 409, description = "`conflict`: another property has the code. `admin.property_code_fixed`: the property exists with another code. `admin.place_in_use`: a building or unit left out has cases.", body = ErrorBody),
        (status = 412, description = "`admin.changed_meanwhile`: the properties changed since the read whose `ETag` came as `If-Match`.", body = ErrorBody)),
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the list this property was read from; without it the property is stored whatever changed since.")),
    security(("bearer" = [])))]
pub async fn put_property(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(addr): ClientAddr,
    if_match: Result<IfMatch, ApiError>,
    json: Body<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    session.require(&[Role::Admin])?;
    let IfMatch(expected) = if_match?;
    let ApiJson(body) = json?;
    // A page still on a build before the contact sends none: it keeps the
    // stored one rather than erasing what every receipt gives residents.
    let sends_contact = body.get("contact").is_some();
    let mut property: Property = serde_json::from_value(body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid_json",
            e.to_string(),
        )
    })?;
    property.code = property.code.trim().to_ascii_uppercase();
    property.contact = property.contact.trim().to_string();
    if !sends_contact {
        let store = state.store.clone();
        let id = property.id;
        let stored = blocking(move || store.properties()).await?;
        if let Some(p) = stored.into_iter().find(|p| p.id == id) {
            property.contact = p.contact;
        }
    }
    check_property(&property)?;
    let store = state.store.clone();
    // The store writes the detail: what the property was and is.
    let entry = audit_entry(&session, addr, "property.put", serde_json::Value::Null);
    let revision = blocking(move || store.put_property(&property, expected, &entry)).await?;
    // A renamed building or unit: its cases' search text is folded anew.
    crate::refold::in_background(state.store.clone());
    Ok((StatusCode::NO_CONTENT, etag(revision)))
}

/// A page of the quarantine list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuarantineParams {
    /// How many entries (default 200, at most 1000).
    pub limit: Option<u32>,
    /// Only entries after this entry id (the next page).
    pub after: Option<i64>,
}

/// Lists the quarantined ops not settled yet with their reasons, oldest
/// first, a page at a time: a device can put up to a push's ops aside at
/// once, and the list is not read whole.
#[utoipa::path(get, path = "/api/v1/admin/quarantine", params(QuarantineParams),
    responses(AdminOnly,
        (status = 200, description = "A page of the quarantined ops, oldest first.", body = Vec<QuarantineEntry>),
        (status = 400, description = "`request.bad_query`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn quarantine(
    State(state): State<AppState>,
    session: Session,
    params: Params<QuarantineParams>,
) -> Result<Json<Vec<QuarantineEntry>>, ApiError> {
    session.require(&[Role::Admin])?;
    let ApiQuery(params) = params?;
    let store = state.store.clone();
    let limit = params.limit.unwrap_or(shared::admin::QUARANTINE_PAGE);
    let mut entries = blocking(move || store.quarantine(limit, params.after)).await?;
    let shown = shown(&super::settings(&state).await?, &session.user, None);
    for e in &mut entries {
        mask_quarantined(&mut e.op, shown);
    }
    Ok(Json(entries))
}

/// Masks what `shown` does not show of the complainant in a quarantined
/// op, field by field as every other read does. An op that does not even
/// parse has those fields blanked wherever they appear, since nothing says
/// which is which.
pub fn mask_quarantined(op: &mut serde_json::Value, shown: Shown) {
    if shown.all() {
        return;
    }
    if let Ok(parsed) = serde_json::from_value::<shared::op::Op>(op.clone())
        && let Ok(masked) = serde_json::to_value(shown.op(&parsed))
    {
        *op = masked;
        return;
    }
    blank_complainant(op, shown);
}

/// The fields of an op that hold an id, a hash or a number the server or
/// the tablet gave, which a mask would garble. Every other string may be
/// text staff typed, in a schema newer than this build too.
const NOT_TYPED: [&str; 15] = [
    "id",
    "case_id",
    "device",
    "author",
    "hash",
    "user",
    "to",
    "op",
    "conflict_op",
    "property",
    "building",
    "unit",
    "reg_no",
    "duplicate_of",
    "related_case",
];

/// Blanks what `shown` hides in an op that does not parse: every name and
/// phone, whatever it holds, and in a complainant everything but what is
/// shown and its yes-or-no flags (a field of an older schema may be
/// personal too).
fn blank_complainant(v: &mut serde_json::Value, shown: Shown) {
    let blank = || serde_json::Value::String("***".into());
    match v {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match key.as_str() {
                    "complainant_name" | "name" if !shown.name => *value = blank(),
                    "complainant_phone" | "phone" if !shown.phone => *value = blank(),
                    // Any other text may hold a number staff typed.
                    key if !shown.phone && !NOT_TYPED.contains(&key) && value.is_string() => {
                        if let serde_json::Value::String(text) = value
                            && let std::borrow::Cow::Owned(masked) =
                                shared::phone::mask_in_text(text)
                        {
                            *text = masked;
                        }
                    }
                    "complainant" => match value {
                        serde_json::Value::Object(fields) => {
                            for (field, inner) in fields.iter_mut() {
                                let kept = match field.as_str() {
                                    "name" => shown.name,
                                    "phone" => shown.phone,
                                    _ => inner.is_boolean(),
                                };
                                if !kept {
                                    *inner = blank();
                                }
                            }
                        }
                        _ => *value = blank(),
                    },
                    _ => blank_complainant(value, shown),
                }
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|i| blank_complainant(i, shown))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::mask_quarantined;
    use serde_json::json;
    use shared::personal_data::Shown;

    /// An op of a schema this build cannot read: a register op whose
    /// complainant has a field it no longer knows.
    fn unreadable() -> serde_json::Value {
        json!({
            "schema": 0,
            "action": {
                "type": "register",
                "content": "宠物扰民",
                "complainant": {
                    "name": "王小明",
                    "phone": "13912345678",
                    "id_card": "110101199003071234",
                    "anonymous": false
                }
            },
            "notes": [{ "name": { "family": "王" }, "text": "回电" }]
        })
    }

    #[test]
    fn an_op_that_does_not_parse_hides_every_personal_field_the_role_may_not_see() {
        let mut nothing = unreadable();
        mask_quarantined(&mut nothing, Shown::NOTHING);
        let text = nothing.to_string();
        for secret in ["王小明", "13912345678", "110101199003071234", "\"王\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("宠物扰民"), "the rest stays: {text}");
        assert_eq!(nothing["action"]["complainant"]["anonymous"], json!(false));

        let mut phone = unreadable();
        let phone_only = Shown {
            name: false,
            phone: true,
        };
        mask_quarantined(&mut phone, phone_only);
        let text = phone.to_string();
        assert!(text.contains("13912345678"), "{text}");
        for secret in ["王小明", "110101199003071234"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }

        let mut all = unreadable();
        mask_quarantined(&mut all, Shown::ALL);
        assert_eq!(all, unreadable());
    }
}
