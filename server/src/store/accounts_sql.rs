//! Users, devices and sessions on either engine ([`Db`]). Functions that
//! change something take the caller's write transaction and leave the
//! commit to it; the audit record goes into the same transaction.

use super::audit_sql::write_audit;
use super::config::{USERS, touch_config};
use super::db::{Db, Row, Value};
use super::sqlite::{parse_id, parse_ts, ts};
use super::{
    AuditEntry, Credentials, DeviceClaim, DeviceLogin, NewUser, SessionRow, StoreError,
    StoreResult, UserProfile,
};
use chrono::{DateTime, Utc};
use shared::admin::DeviceInfo;
use shared::id::{DeviceId, PropertyId, UserId};
use shared::role::{Role, Scope, User};
use shared::wire::UserCard;
use std::collections::BTreeMap;

const USER_COLUMNS: &str =
    "id, login, display_name, role, department, active, password_hash, must_change_password";

const DEVICE_COLUMNS: &str = "id, number, name, first_seen, last_seen, revoked, acked_seq";

/// [`USER_COLUMNS`] of the table aliased `alias`.
fn user_columns(alias: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn user_properties(db: &dyn Db, id: &str) -> StoreResult<Vec<PropertyId>> {
    db.query(
        "SELECT property_id FROM user_properties WHERE user_id = ?1 ORDER BY property_id",
        &[id.into()],
    )?
    .iter()
    .map(|r| parse_id(&r.get::<String>(0)?))
    .collect()
}

/// The user of a row that starts with [`USER_COLUMNS`].
fn user_from_row(db: &dyn Db, r: &Row) -> StoreResult<Credentials> {
    let id: String = r.get(0)?;
    let role: String = r.get(3)?;
    let user = User {
        id: parse_id(&id)?,
        login: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::Internal(format!("role {role}")))?,
        properties: user_properties(db, &id)?,
        department: r.get(4)?,
        active: r.get(5)?,
    };
    Ok(Credentials {
        user,
        password_hash: r.get(6)?,
        must_change_password: r.get(7)?,
    })
}

fn device_from_row(r: &Row) -> StoreResult<DeviceInfo> {
    Ok(DeviceInfo {
        id: parse_id(&r.get::<String>(0)?)?,
        number: r.get(1)?,
        name: r.get(2)?,
        first_seen: parse_ts(&r.get::<String>(3)?)?,
        last_seen: parse_ts(&r.get::<String>(4)?)?,
        revoked: r.get(5)?,
        acked_seq: r.get(6)?,
    })
}

/// Every user, by login.
pub(super) fn load_users(db: &dyn Db) -> StoreResult<Vec<User>> {
    db.query(
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY login"),
        &[],
    )?
    .iter()
    .map(|r| Ok(user_from_row(db, r)?.user))
    .collect()
}

/// The user with `login` and their credentials.
/// See `Store::password_changed_in`.
pub(super) fn password_changed_in(
    db: &dyn Db,
    user: UserId,
) -> StoreResult<Option<(String, DateTime<Utc>)>> {
    let Some(row) = db.query_opt(
        "SELECT detail, at FROM audit WHERE action = 'auth.password_change' AND user_id = ?1
         ORDER BY id DESC LIMIT 1",
        &[user.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    let detail: String = row.get(0)?;
    let at = parse_ts(&row.get::<String>(1)?)?;
    Ok(serde_json::from_str::<serde_json::Value>(&detail)
        .ok()
        .and_then(|d| d["session"].as_str().map(str::to_string))
        .map(|session| (session, at)))
}

pub(super) fn user_by_login(db: &dyn Db, login: &str) -> StoreResult<Option<Credentials>> {
    let exactly = |login: &str| {
        db.query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE login = ?1"),
            &[login.into()],
        )?
        .map(|r| user_from_row(db, &r))
        .transpose()
    };
    // As typed first: a login kept before logins were kept folded may hold
    // capitals. Then as it is kept now (`shared::roster::login`).
    match exactly(login)? {
        Some(found) => Ok(Some(found)),
        None => {
            let folded = shared::roster::login(login);
            if folded == login {
                Ok(None)
            } else {
                exactly(&folded)
            }
        }
    }
}

/// The user `id`.
pub(super) fn user(db: &dyn Db, id: UserId) -> StoreResult<Option<User>> {
    db.query_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        &[id.to_string().into()],
    )?
    .map(|r| Ok(user_from_row(db, &r)?.user))
    .transpose()
}

/// The users who logged in on `device`, as the push judgement sees them.
pub(super) fn device_users(db: &dyn Db, device: DeviceId) -> StoreResult<Vec<User>> {
    db.query(
        &format!(
            "SELECT {} FROM users u JOIN device_users d ON d.user_id = u.id WHERE d.device_id = ?1",
            user_columns("u")
        ),
        &[device.to_string().into()],
    )?
    .iter()
    .map(|r| Ok(user_from_row(db, r)?.user))
    .collect()
}

/// The key of `user` on `device` (`shared::proof`), made `fresh` at their
/// first login there (or their first ask after keys came) and kept:
/// records proven with it before stay proven. Marks that the user logged
/// in on the device, which a login does.
pub(super) fn user_key(
    tx: &dyn Db,
    device: DeviceId,
    user: UserId,
    fresh: &str,
) -> StoreResult<String> {
    tx.execute(
        "INSERT INTO device_users (device_id, user_id, record_key) VALUES (?1, ?2, ?3)
         ON CONFLICT (device_id, user_id)
         DO UPDATE SET record_key = COALESCE(device_users.record_key, excluded.record_key)",
        &[
            device.to_string().into(),
            user.to_string().into(),
            fresh.into(),
        ],
    )?;
    tx.query_one(
        "SELECT record_key FROM device_users WHERE device_id = ?1 AND user_id = ?2",
        &[device.to_string().into(), user.to_string().into()],
    )?
    .get(0)
}

/// The keys of the users who logged in on `device` (`shared::proof`), for
/// those who logged in since keys were made.
pub(super) fn record_keys(db: &dyn Db, device: DeviceId) -> StoreResult<BTreeMap<UserId, String>> {
    db.query(
        "SELECT user_id, record_key FROM device_users
         WHERE device_id = ?1 AND record_key IS NOT NULL",
        &[device.to_string().into()],
    )?
    .iter()
    .map(|r| Ok((parse_id(&r.get::<String>(0)?)?, r.get(1)?)))
    .collect()
}

/// Creates `user` (a taken login is a `Conflict`, an unknown property
/// `NotFound`).
pub(super) fn create_user(
    tx: &dyn Db,
    user: NewUser,
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> StoreResult<User> {
    // Logins are looked up folded (`shared::roster::login`): one kept
    // before with capitals is the same login, and a second account would
    // be reached by the same typing.
    let folded = shared::roster::login(&user.login);
    for row in tx.query("SELECT login FROM users", &[])? {
        if shared::roster::login(&row.get::<String>(0)?) == folded {
            return Err(StoreError::Conflict(format!("login {}", user.login)));
        }
    }
    let id = UserId(uuid::Uuid::now_v7());
    let inserted = tx.execute(
        "INSERT INTO users (id, login, display_name, role, department, password_hash, active, created_at,
            must_change_password)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) ON CONFLICT (login) DO NOTHING",
        &[
            id.to_string().into(),
            user.login.as_str().into(),
            user.display_name.as_str().into(),
            user.role.code().into(),
            user.department.as_deref().into(),
            user.password_hash.as_str().into(),
            ts(now).into(),
            user.must_change_password.into(),
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("login {}", user.login)));
    }
    add_user_properties(tx, id, &user.properties)?;
    touch_config(tx, USERS)?;
    let mut entry = audit.clone();
    entry.detail["user"] = serde_json::json!(id);
    write_audit(tx, &entry)?;
    let mut properties = user.properties;
    properties.sort();
    Ok(User {
        id,
        login: user.login,
        display_name: user.display_name,
        role: user.role,
        properties,
        department: user.department,
        active: true,
    })
}

/// Sets a user's password hash and whether they must change it, and ends
/// every session of theirs but `keep` (the token hash of the session that
/// changed it): whoever logged in with the old password is logged out.
pub(super) fn set_password(
    tx: &dyn Db,
    id: UserId,
    hash: &str,
    must_change: bool,
    keep: Option<&str>,
    audit: &AuditEntry,
) -> StoreResult<()> {
    // A user's own change is checked against the password as it was before
    // the write: an administrator's reset (or the user's change on another
    // tablet) meanwhile ended this session, and must not be undone by it.
    if let Some(keep) = keep
        && tx
            .query_opt(
                "SELECT 1 FROM tokens WHERE hash = ?1 AND user_id = ?2 AND revoked = 0",
                &[keep.into(), id.to_string().into()],
            )?
            .is_none()
    {
        return Err(StoreError::Refused {
            code: "auth.session_ended",
            message: "the session ended while the password was being changed (it was reset or \
                      changed elsewhere); log in again"
                .into(),
        });
    }
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1",
        &[id.to_string().into(), hash.into(), must_change.into()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    tx.execute(
        "UPDATE tokens SET revoked = 1 WHERE user_id = ?1 AND hash <> ?2",
        &[id.to_string().into(), keep.unwrap_or_default().into()],
    )?;
    write_audit(tx, audit)
}

/// Enables or disables a user; disabling revokes their tokens.
pub(super) fn set_user_active(
    tx: &dyn Db,
    id: UserId,
    active: bool,
    audit: &AuditEntry,
) -> StoreResult<()> {
    let n = tx.execute(
        "UPDATE users SET active = ?2 WHERE id = ?1",
        &[id.to_string().into(), active.into()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    if !active {
        // Two admins disabling each other at once both pass the handler's
        // checks; here, in the write, the second finds no admin left.
        let role: String = tx
            .query_one(
                "SELECT role FROM users WHERE id = ?1",
                &[id.to_string().into()],
            )?
            .get(0)?;
        if role == Role::Admin.code() {
            an_admin_is_left(tx)?;
        }
        tx.execute(
            "UPDATE tokens SET revoked = 1 WHERE user_id = ?1",
            &[id.to_string().into()],
        )?;
    }
    touch_config(tx, USERS)?;
    write_audit(tx, audit)
}

/// Refuses a change (already written in `tx`, which is then not committed)
/// that leaves no active admin: two admins disabling or demoting each
/// other at once both pass the handler's checks; the second write finds
/// no admin left.
fn an_admin_is_left(tx: &dyn Db) -> StoreResult<()> {
    let admins: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM users WHERE role = ?1 AND active = ?2",
            &[Role::Admin.code().into(), true.into()],
        )?
        .get(0)?;
    if admins == 0 {
        return Err(StoreError::Refused {
            code: "admin.last_admin",
            message: "this would leave no active admin to manage the system".into(),
        });
    }
    Ok(())
}

/// Puts user `id` in `properties` (an unknown one is `NotFound`, and the
/// caller's transaction is not committed).
fn add_user_properties(tx: &dyn Db, id: UserId, properties: &[PropertyId]) -> StoreResult<()> {
    for p in properties {
        let exists = tx.query_opt(
            "SELECT 1 FROM properties WHERE id = ?1",
            &[p.to_string().into()],
        )?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("property {p}")));
        }
        tx.execute(
            "INSERT INTO user_properties (user_id, property_id) VALUES (?1, ?2)",
            &[id.to_string().into(), p.to_string().into()],
        )?;
    }
    Ok(())
}

/// Corrects user `id`. A new role, new properties or a new department end
/// their sessions: every tablet of theirs logs in again and works under
/// them (the department decides whose cases they handle: their inbox,
/// whom they may assign, which complainants' phones they see); ops it
/// recorded before under the old role are put aside for an admin. The
/// last active admin keeps the role, checked here, in the write, as for a
/// disable. Refused when the user is no longer as `was` (the form's copy).
pub(super) fn update_user(
    tx: &dyn Db,
    id: UserId,
    profile: UserProfile,
    was: Option<&shared::admin::UserAsRead>,
    audit: &AuditEntry,
) -> StoreResult<User> {
    let before = user(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    if was.is_some_and(|was| !was.matches(&before)) {
        // Already so: a save sent again after its answer was lost (or
        // another administrator's same change) is done, not a conflict.
        let asked = shared::admin::UserAsRead {
            display_name: profile.display_name,
            role: profile.role.code().to_string(),
            properties: profile.properties,
            department: profile.department,
        };
        return match asked.matches(&before) {
            true => Ok(before),
            false => Err(StoreError::Changed("user".into())),
        };
    }
    tx.execute(
        "UPDATE users SET display_name = ?2, role = ?3, department = ?4 WHERE id = ?1",
        &[
            id.to_string().into(),
            profile.display_name.as_str().into(),
            profile.role.code().into(),
            profile.department.as_deref().into(),
        ],
    )?;
    tx.execute(
        "DELETE FROM user_properties WHERE user_id = ?1",
        &[id.to_string().into()],
    )?;
    add_user_properties(tx, id, &profile.properties)?;
    record_former_properties(tx, &before, &profile)?;
    if before.role == Role::Admin && profile.role != Role::Admin {
        an_admin_is_left(tx)?;
    }
    let after = user(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    if after.role != before.role
        || after.properties != before.properties
        || after.department != before.department
    {
        tx.execute(
            "UPDATE tokens SET revoked = 1 WHERE user_id = ?1",
            &[id.to_string().into()],
        )?;
    }
    touch_config(tx, USERS)?;
    let mut entry = audit.clone();
    entry.detail = serde_json::json!({
        "user": id,
        "login": after.login,
        "from": { "display_name": before.display_name, "role": before.role,
                  "properties": before.properties, "department": before.department },
        "to": { "display_name": after.display_name, "role": after.role,
                "properties": after.properties, "department": after.department },
    });
    write_audit(tx, &entry)?;
    Ok(after)
}

/// Whether `device` is enrolled, not revoked, holds the secret whose hash
/// is `secret_hash`, and `login` has logged in on it before
/// ([`super::Store::device_proven`]).
pub(super) fn device_proven(
    db: &dyn Db,
    device: DeviceId,
    secret_hash: &str,
    login: &str,
) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM devices d
             JOIN device_users du ON du.device_id = d.id
             JOIN users u ON u.id = du.user_id
             WHERE d.id = ?1 AND d.secret_hash = ?2 AND d.revoked = 0
               AND (u.login = ?3 OR u.login = ?4)",
            &[
                device.to_string().into(),
                secret_hash.into(),
                login.into(),
                shared::roster::login(login).into(),
            ],
        )?
        .is_some())
}

/// How long a session's row is kept after it expired.
const ENDED_TOKENS_KEPT_DAYS: i64 = 365;

/// A login on a device: the claimed device if its secret matches, or a
/// new one with the next device number; the token is stored with it.
pub(super) fn device_login(
    tx: &dyn Db,
    claim: &DeviceClaim,
    user: UserId,
    (token_hash, expires_at): (&str, DateTime<Utc>),
    now: DateTime<Utc>,
    audit: &AuditEntry,
) -> StoreResult<DeviceLogin> {
    let unchanged = tx.query_opt(
        "SELECT 1 FROM users WHERE id = ?1 AND active = 1 AND password_hash = ?2",
        &[user.to_string().into(), claim.password_hash.as_str().into()],
    )?;
    // The user as they are now: a role, properties or department an admin
    // changed while the password was checked ended the sessions there were,
    // not this one, which would record under the old ones until it expired.
    let current = match unchanged {
        Some(_) => self::user(tx, user)?,
        None => None,
    };
    let Some(current) = current else {
        return Err(StoreError::Refused {
            code: "auth.invalid_credentials",
            message: "the account or its password changed during the login".into(),
        });
    };
    // The claimed device counts only with its secret: a device id seen in
    // a pulled op cannot be borrowed.
    let existing = match &claim.claimed {
        Some((device, secret_hash)) => tx
            .query_opt(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1 AND secret_hash = ?2"),
                &[device.to_string().into(), secret_hash.into()],
            )?
            .map(|r| device_from_row(&r))
            .transpose()?,
        None => None,
    };
    let (device, new) = match existing {
        Some(d) if d.revoked => return Err(StoreError::Conflict("device revoked".into())),
        Some(d) => {
            tx.execute(
                "UPDATE devices SET last_seen = ?2, name = CASE WHEN ?3 = '' THEN name ELSE ?3 END
                 WHERE id = ?1",
                &[
                    d.id.to_string().into(),
                    ts(now).into(),
                    claim.name.as_str().into(),
                ],
            )?;
            (d.id, false)
        }
        None => {
            let (id, secret_hash) = &claim.fresh;
            // Only numbers that read clearly (`shared::regno::reads_clearly`).
            let number: i64 = loop {
                let next: i64 = tx
                    .query_one(
                        "UPDATE counters SET value = value + 1 WHERE name = 'device_number'
                         RETURNING value",
                        &[],
                    )?
                    .get(0)?;
                match u32::try_from(next) {
                    Ok(n) if !shared::regno::reads_clearly(n) => continue,
                    _ => break next,
                }
            };
            tx.execute(
                "INSERT INTO devices (id, number, name, first_seen, last_seen, secret_hash, schema_floor)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
                &[
                    id.to_string().into(),
                    number.into(),
                    claim.name.as_str().into(),
                    ts(now).into(),
                    secret_hash.into(),
                    Value::Int(claim.schema_floor.into()),
                ],
            )?;
            (*id, true)
        }
    };
    let record_key = match &claim.record_key {
        Some(fresh) => user_key(tx, device, user, fresh)?,
        None => {
            // Logged in here all the same: the key is made at the first
            // ask once the password is the user's own.
            tx.execute(
                "INSERT INTO device_users (device_id, user_id) VALUES (?1, ?2)
                 ON CONFLICT (device_id, user_id) DO NOTHING",
                &[device.to_string().into(), user.to_string().into()],
            )?;
            String::new()
        }
    };
    let info = device_from_row(&tx.query_one(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
        &[device.to_string().into()],
    )?)?;
    tx.execute(
        "INSERT INTO tokens (hash, user_id, device_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            token_hash.into(),
            user.to_string().into(),
            device.to_string().into(),
            ts(now).into(),
            ts(expires_at).into(),
        ],
    )?;
    // Every login sweeps some sessions that ended long ago, which no
    // request can use: the table would otherwise keep every login ever
    // made. A few at a time, in the writer's transaction. A session ended
    // within the year is kept, so that a tablet back from a season in a
    // drawer is told its login expired (its records wait on it), not that
    // its session is unknown, which reads as a revoked tablet.
    tx.execute(
        "DELETE FROM tokens WHERE hash IN
            (SELECT hash FROM tokens WHERE expires_at < ?1 LIMIT 100)",
        &[ts(now - chrono::Duration::days(ENDED_TOKENS_KEPT_DAYS)).into()],
    )?;
    let mut entry = audit.clone();
    entry.device = Some(device);
    entry.detail["new_device"] = serde_json::json!(new);
    write_audit(tx, &entry)?;
    Ok(DeviceLogin {
        device: info,
        new,
        record_key,
        user: current,
    })
}

/// Every device, by number.
pub(super) fn devices(db: &dyn Db) -> StoreResult<Vec<DeviceInfo>> {
    db.query(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY number"),
        &[],
    )?
    .iter()
    .map(device_from_row)
    .collect()
}

/// Revokes a device and its tokens.
pub(super) fn revoke_device(tx: &dyn Db, id: DeviceId, audit: &AuditEntry) -> StoreResult<()> {
    let n = tx.execute(
        "UPDATE devices SET revoked = 1 WHERE id = ?1",
        &[id.to_string().into()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("device {id}")));
    }
    tx.execute(
        "UPDATE tokens SET revoked = 1 WHERE device_id = ?1",
        &[id.to_string().into()],
    )?;
    write_audit(tx, audit)
}

/// The live session of the token with SHA-256 `hash`: an active user and
/// an unrevoked token, or a revoked device (which the caller is told of).
pub(super) fn session(db: &dyn Db, hash: &str) -> StoreResult<Option<SessionRow>> {
    let Some(r) = db.query_opt(
        &format!(
            "SELECT {}, t.device_id, t.expires_at, d.revoked FROM tokens t
             JOIN users u ON u.id = t.user_id JOIN devices d ON d.id = t.device_id
             WHERE t.hash = ?1 AND (t.revoked = 0 OR d.revoked = 1) AND u.active = 1",
            user_columns("u")
        ),
        &[hash.into()],
    )?
    else {
        return Ok(None);
    };
    let credentials = user_from_row(db, &r)?;
    Ok(Some(SessionRow {
        user: credentials.user,
        device: parse_id(&r.get::<String>(8)?)?,
        expires_at: parse_ts(&r.get::<String>(9)?)?,
        must_change_password: credentials.must_change_password,
        device_revoked: r.get(10)?,
    }))
}

/// Moves a live token's end to `until`, never earlier (a session in use).
pub(super) fn renew_token(db: &dyn Db, hash: &str, until: DateTime<Utc>) -> StoreResult<()> {
    db.execute(
        "UPDATE tokens SET expires_at = ?2 WHERE hash = ?1 AND revoked = 0 AND expires_at < ?2",
        &[hash.into(), ts(until).into()],
    )?;
    Ok(())
}

/// Revokes one token (a logout).
pub(super) fn revoke_token(db: &dyn Db, hash: &str, audit: &AuditEntry) -> StoreResult<()> {
    db.execute(
        "UPDATE tokens SET revoked = 1 WHERE hash = ?1",
        &[hash.into()],
    )?;
    write_audit(db, audit)
}

/// Keeps the properties `before` worked in that `after` takes them off,
/// where they recorded ops: those who still work there keep their name
/// ([`user_directory`]). A property they were given by mistake and never
/// worked in is not kept. A role that saw every property worked wherever
/// it made ops, found among them all; one that saw some, among the
/// properties it leaves (each read by its own index).
fn record_former_properties(tx: &dyn Db, before: &User, after: &UserProfile) -> StoreResult<()> {
    let id = before.id.to_string();
    match before.scope() {
        Scope::All if !after.role.sees_all_properties() => {
            tx.execute(
                "INSERT INTO user_former_properties (user_id, property_id)
                 SELECT DISTINCT author, property_id FROM ops WHERE author = ?1
                 ON CONFLICT DO NOTHING",
                &[id.as_str().into()],
            )?;
        }
        Scope::All => {}
        Scope::Properties(theirs) => {
            let stays =
                |p: &PropertyId| after.role.sees_all_properties() || after.properties.contains(p);
            for left in theirs.iter().filter(|p| !stays(p)) {
                tx.execute(
                    "INSERT INTO user_former_properties (user_id, property_id)
                     SELECT author, property_id FROM ops
                     WHERE property_id = ?2 AND author = ?1 LIMIT 1
                     ON CONFLICT DO NOTHING",
                    &[id.as_str().into(), left.to_string().into()],
                )?;
            }
        }
    }
    Ok(())
}

/// The colleagues a caller in `scope` may know of: the users who share a
/// property with them (everyone for a role that sees every property, and
/// the roles that see every property for everyone), with names, roles and
/// departments (an assignment names the department as its head's account
/// does), and of their properties those the caller shares (the assignment
/// picker offers a case only to someone who will see it). Colleagues since
/// taken off every property the caller shares stay, with none of them: the
/// cases keep what they did there, which should show their name. Logins
/// stay on the server.
pub(super) fn user_directory(db: &dyn Db, scope: &Scope) -> StoreResult<Vec<UserCard>> {
    let mut former: Vec<(UserId, PropertyId)> = Vec::new();
    if let Scope::Properties(_) = scope {
        db.for_each_row(
            "SELECT user_id, property_id FROM user_former_properties",
            &[],
            &mut |r| {
                former.push((parse_id(r.text(0)?)?, parse_id(r.text(1)?)?));
                Ok(())
            },
        )?;
    }
    Ok(load_users(db)?
        .into_iter()
        .filter_map(|u| {
            let properties = match (scope, u.scope()) {
                (_, Scope::All) => None,
                (Scope::All, Scope::Properties(theirs)) => Some(theirs),
                (Scope::Properties(mine), Scope::Properties(theirs)) => {
                    let shared: Vec<_> = theirs.into_iter().filter(|p| mine.contains(p)).collect();
                    let worked_here = || former.iter().any(|(w, p)| *w == u.id && mine.contains(p));
                    if shared.is_empty() && !worked_here() {
                        return None;
                    }
                    Some(shared)
                }
            };
            Some(UserCard {
                id: u.id,
                display_name: u.display_name,
                role: u.role,
                active: u.active,
                department: u.department,
                properties,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{audit, fresh_device, store_with_staff};
    use super::super::{NewUser, Store, StoreError, UserProfile};
    use chrono::Utc;
    use shared::role::Role;

    /// Two admins disabling each other at once: the handler let both
    /// through, so the second write must find that it leaves no admin.
    /// Other users are disabled whatever the admins are, even with none (a
    /// data directory set up from the command line before its admin).
    #[test]
    fn the_last_active_admin_is_not_disabled() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, staff) = store_with_staff(dir.path());
        let active = |id| {
            store
                .users()
                .expect("users")
                .into_iter()
                .any(|u| u.id == id && u.active)
        };
        store
            .set_user_active(staff.id, false, &audit())
            .expect("staff disabled with no admin at all");
        assert!(!active(staff.id));
        let admin = |login: &str| {
            store
                .create_user(
                    NewUser {
                        login: login.into(),
                        display_name: login.into(),
                        role: Role::Admin,
                        properties: Vec::new(),
                        department: None,
                        password_hash: String::new(),
                        must_change_password: false,
                    },
                    Utc::now(),
                    &audit(),
                )
                .expect("admin")
        };
        let (one, other) = (admin("one"), admin("other"));
        store
            .set_user_active(other.id, false, &audit())
            .expect("one disables the other");
        let refused = store.set_user_active(one.id, false, &audit());
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused {
                    code: "admin.last_admin",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert!(active(one.id));
    }

    /// A login checks the password, then stores its token. A reset or a
    /// disable made in between wins: the login gets no token.
    #[test]
    fn a_login_overtaken_by_a_reset_or_a_disable_gets_no_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, staff) = store_with_staff(dir.path());
        let checked = store
            .user_by_login(&staff.login)
            .expect("lookup")
            .expect("staff")
            .password_hash;
        let login = |hash: &str| {
            let token = uuid::Uuid::now_v7().to_string();
            store
                .device_login(
                    &fresh_device(hash),
                    staff.id,
                    (&token, Utc::now()),
                    Utc::now(),
                    &audit(),
                )
                .map(drop)
        };
        let refused = |hash: &str| {
            let answer = login(hash);
            assert!(
                matches!(
                    answer,
                    Err(StoreError::Refused {
                        code: "auth.invalid_credentials",
                        ..
                    })
                ),
                "{answer:?}"
            );
        };
        login(&checked).expect("the password as checked");
        store
            .set_password(staff.id, "$argon2id$reset", true, None, &audit())
            .expect("reset");
        refused(&checked);
        login("$argon2id$reset").expect("the new password");
        store
            .set_user_active(staff.id, false, &audit())
            .expect("disable");
        refused("$argon2id$reset");
    }

    /// A role changed while the password was checked: the login answers
    /// the user as they are now, or the tablet would record under the old
    /// role, every op of it set aside, until the session expired.
    #[test]
    fn a_login_overtaken_by_a_role_change_answers_the_new_role() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, staff) = store_with_staff(dir.path());
        let checked = store
            .user_by_login(&staff.login)
            .expect("lookup")
            .expect("staff");
        let profile = UserProfile {
            display_name: staff.display_name.clone(),
            role: Role::Manager,
            properties: staff.properties.clone(),
            department: staff.department.clone(),
        };
        store
            .update_user(staff.id, profile, None, &audit())
            .expect("made manager");
        let token = uuid::Uuid::now_v7().to_string();
        let logged_in = store
            .device_login(
                &fresh_device(&checked.password_hash),
                staff.id,
                (&token, Utc::now()),
                Utc::now(),
                &audit(),
            )
            .expect("the password is unchanged");
        assert_eq!(logged_in.user.role, Role::Manager);
        assert_ne!(checked.user.role, Role::Manager);
    }

    /// A user's own password change checks the password, then writes the
    /// new one. A reset made in between (which ended the session) wins:
    /// the change is refused and the reset's password stands.
    #[test]
    fn a_password_change_overtaken_by_a_reset_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _, staff) = store_with_staff(dir.path());
        let password_hash = store
            .user_by_login(&staff.login)
            .expect("lookup")
            .expect("staff")
            .password_hash;
        let claim = fresh_device(&password_hash);
        let token = uuid::Uuid::now_v7().to_string();
        store
            .device_login(&claim, staff.id, (&token, Utc::now()), Utc::now(), &audit())
            .expect("login");
        let change =
            || store.set_password(staff.id, "$argon2id$mine", false, Some(&token), &audit());
        change().expect("a change while the session stands");
        store
            .set_password(staff.id, "$argon2id$reset", true, None, &audit())
            .expect("reset");
        let refused = change();
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused {
                    code: "auth.session_ended",
                    ..
                })
            ),
            "{refused:?}"
        );
        let stored = store
            .user_by_login(&staff.login)
            .expect("lookup")
            .expect("staff");
        assert_eq!(stored.password_hash, "$argon2id$reset");
    }
}
