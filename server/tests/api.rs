//! Every endpoint against every role, over real HTTP, with two properties
//! so that a scope leak would show.

mod common;

use common::{Author, Client, code, device_of, push_body, secret_of, world};
use serde_json::{Value, json};
use shared::case::CaseState;
use shared::op::Action;

#[test]
fn healthz_and_openapi() {
    let w = world();
    let c = w.server.client();
    let (s, body) = c.get("/healthz");
    assert_eq!((s, body["status"].as_str()), (200, Some("ok")));
    let (s, doc) = c.get("/api/openapi.json");
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/cases",
        "/api/v1/admin/users",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    let (s, body) = c.get("/api/v1/nothing-here");
    assert_eq!((s, code(&body)), (404, "not_found"));
    for path in ["/api", "/api/"] {
        let (s, body) = c.get(path);
        assert_eq!((s, code(&body)), (404, "not_found"), "{path}");
    }
    let (s, body) = c.send("POST", "/healthz", "");
    assert_eq!((s, code(&body)), (405, "request.method_not_allowed"));
    // A login is a few hundred bytes: one of 20 KiB is not read whole,
    // as the push's 4 MiB would be, before anyone is known.
    let padded = json!({ "login": "staff_a", "password": "x".repeat(20 * 1024) });
    let (s, body) = c.post("/api/v1/auth/login", &padded);
    assert_eq!((s, code(&body)), (413, "request.too_large"), "{body}");
}

#[test]
fn login_errors_do_not_reveal_users_and_are_rate_limited() {
    let mut w = world();
    let c = w.server.client();
    let attempt = |login: &str, password: &str| {
        c.post(
            "/api/v1/auth/login",
            &json!({ "login": login, "password": password }),
        )
    };
    let (s1, unknown) = attempt("nobody", "whatever-pass");
    let (s2, wrong) = attempt("staff_a", "wrong-password");
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(
        unknown, wrong,
        "same answer for unknown user and wrong password"
    );
    // A tablet's keyboard capitalizes the first letter, or types full
    // width: the login is the same, and so are its counted failures.
    assert_eq!(attempt("Staff_A", common::PASSWORD).0, 200);
    assert_eq!(attempt("ｓｔａｆｆ＿ａ", common::PASSWORD).0, 200);
    // Five failures for one login from one address are checked; the sixth
    // attempt is refused without checking.
    for typed in ["STAFF_A", "Staff_a", "staff_a", "ｓｔａｆｆ_a", " staff_a "] {
        assert_eq!(attempt(typed, "wrong-password").0, 401);
    }
    let (s, body) = attempt("staff_a", "wrong-password");
    assert_eq!((s, code(&body)), (429, "auth.rate_limited"));
    // Rate limited even with the right password, until the window passes.
    let (s, _) = attempt("staff_a", common::PASSWORD);
    assert_eq!(s, 429);
    // A restart forgets nothing: the counts are in the store.
    w.server.kill();
    w.server = common::Server::start(w.fx.data.path());
    let (s, body) = w.server.client().post(
        "/api/v1/auth/login",
        &json!({ "login": "staff_a", "password": common::PASSWORD }),
    );
    assert_eq!((s, code(&body)), (429, "auth.rate_limited"), "{body}");
}

/// An estate's tablets often reach the server from one address: a tablet
/// that proves it is an enrolled one is counted as itself, so failures
/// from the address (a guesser, a colleague's typos) do not keep it out.
#[test]
fn an_enrolled_tablet_is_counted_as_itself_not_by_its_address() {
    let w = world();
    let (_, first) = Client::login(&w.server.base, "staff_a");
    let (device, secret) = (common::device_of(&first), common::secret_of(&first));
    let c = w.server.client();
    let attempt = |password: &str, secret: Option<&str>| {
        let mut body = json!({ "login": "staff_a", "password": password });
        if let Some(secret) = secret {
            body["device"] = json!(device);
            body["device_secret"] = json!(secret);
        }
        c.post("/api/v1/auth/login", &body)
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong-password", None).0, 401);
    }
    let (s, body) = attempt(common::PASSWORD, None);
    assert_eq!((s, code(&body)), (429, "auth.rate_limited"));
    // The enrolled tablet at the same address is let in.
    let (s, body) = attempt(common::PASSWORD, Some(&secret));
    assert_eq!(s, 200, "{body}");
    let mut tablet = w.server.client();
    tablet.token = body["token"].as_str().map(str::to_string);
    // A device id without its secret proves nothing: the address counts.
    let (s, body) = attempt(common::PASSWORD, Some("not-its-secret"));
    assert_eq!((s, code(&body)), (429, "auth.rate_limited"));
    // Nor does a tablet of someone else's: any login makes one, and its
    // maker would get fresh guesses at every account.
    let (_, other) = Client::login(&w.server.base, "staff_b");
    let mut body = json!({ "login": "staff_a", "password": common::PASSWORD });
    body["device"] = json!(common::device_of(&other));
    body["device_secret"] = json!(common::secret_of(&other));
    let (s, body) = c.post("/api/v1/auth/login", &body);
    assert_eq!((s, code(&body)), (429, "auth.rate_limited"));
    // And its user may change the password there, the answer to being
    // guessed at: the session proves the tablet.
    let (s, body) = tablet.post(
        "/api/v1/auth/password",
        &json!({ "current": common::PASSWORD, "new": "a-safer-pass-2026" }),
    );
    assert_eq!(s, 204, "{body}");
}

#[test]
fn bad_input_gets_json_4xx() {
    let w = world();
    let (c, mut a) = w.login("staff_a");
    let (s, body) = c.send("POST", "/api/v1/sync/push", "{not json");
    assert_eq!((s, code(&body)), (400, "request.malformed_json"));
    let (s, body) = c.post(
        "/api/v1/sync/push",
        &json!({ "device": a.device, "ops": [], "extra": 1 }),
    );
    assert_eq!((s, code(&body)), (422, "request.invalid_json"));
    // Announce a body over the limit: the server refuses it from the
    // headers, without reading (or waiting for) the body.
    let (s, body) = oversized_push(&w.server.base, c.token.as_deref().unwrap_or(""));
    assert_eq!((s, code(&body)), (413, "request.too_large"));
    let other = shared::id::DeviceId(uuid::Uuid::now_v7());
    let (s, body) = c.post("/api/v1/sync/push", &push_body(other, &[]));
    assert_eq!((s, code(&body)), (403, "sync.device_mismatch"));
    let (s, body) = c.get("/api/v1/sync/pull?after=-1");
    assert_eq!((s, code(&body)), (400, "sync.bad_cursor"));
    let (s, body) = c.get("/api/v1/sync/pull?after=abc");
    assert_eq!((s, code(&body)), (400, "request.bad_query"));
    // Past every number the server gave: a database put back without a
    // new epoch. An empty page would make the tablet skip what comes.
    let (s, body) = c.get("/api/v1/sync/pull?after=1000000");
    assert_eq!((s, code(&body)), (409, "sync.cursor_ahead"), "{body}");
    let (s, body) = c.get("/api/v1/cases/not-an-id");
    assert_eq!((s, code(&body)), (400, "request.bad_id"));
    // Not even text: the path's rejection speaks JSON too.
    let (s, body) = c.get("/api/v1/cases/%FF%FE");
    assert_eq!((s, code(&body)), (400, "request.bad_id"));
    let (s, body) = c.send("PUT", "/api/v1/cases", "{}");
    assert_eq!((s, code(&body)), (405, "request.method_not_allowed"));
    let (s, body) = c.get(&format!("/api/v1/cases/{}", uuid::Uuid::now_v7()));
    assert_eq!((s, code(&body)), (404, "not_found"));

    // Op-level problems quarantine the op and keep the batch going.
    let mut newer = a.register(w.pa(), "未来版本");
    newer.schema = shared::op::SCHEMA_VERSION + 1;
    let unknown_case = a.op(
        shared::id::CaseId(uuid::Uuid::now_v7()),
        None,
        Action::Start,
    );
    let good = a.register(w.pa(), "正常登记");
    let (s, body) = c.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[newer, unknown_case, good]),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["acked_seq"], 3);
    assert_eq!(
        common::quarantined_codes(&body),
        ["sync.schema_too_new", "sync.unknown_case"]
    );

    // A too-old client is told to update.
    let agent_resp = ureq::get(format!("{}/api/v1/me", w.server.base))
        .header("x-client-schema", "0")
        .header(
            "Authorization",
            format!("Bearer {}", c.token.clone().unwrap()),
        )
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(agent_resp.status().as_u16(), 426);
    // A newer client (the server was rolled back) is refused whole: its
    // ops stay on the tablet instead of being set aside and acknowledged.
    let newer = (shared::op::SCHEMA_VERSION + 1).to_string();
    let mut answer = ureq::post(format!("{}/api/v1/sync/push", w.server.base))
        .header("x-client-schema", &newer)
        .header(
            "Authorization",
            format!("Bearer {}", c.token.clone().unwrap()),
        )
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(push_body(a.device, &[a.register(w.pa(), "新版本")]))
        .unwrap();
    assert_eq!(answer.status().as_u16(), 409);
    let body: Value = answer.body_mut().read_json().unwrap();
    assert_eq!(code(&body), "client.server_older", "{body}");
}

/// PostgreSQL cannot hold U+0000 in text and SQLite can: a text holding
/// it is refused alike on both engines, with a 400 that says so, wherever
/// input reaches the database; a tablet's name loses it, and the names an
/// administrator gives are refused with any control character.
#[test]
fn a_nul_character_is_refused_alike_on_every_engine() {
    let w = world();
    let anon = w.server.client();
    let (s, body) = anon.post(
        "/api/v1/auth/login",
        &json!({ "login": "staff_a\u{0}", "password": common::PASSWORD }),
    );
    assert_eq!((s, code(&body)), (400, "request.nul_character"), "{body}");
    let (staff, login) = Client::login_with(
        &w.server.base,
        &json!({ "login": "staff_a", "password": common::PASSWORD, "device_name": "平板\u{0}一号" }),
    );
    for path in ["/api/v1/cases?category=%00", "/api/v1/cases?q=a%00b"] {
        let (s, body) = staff.get(path);
        assert_eq!(
            (s, code(&body)),
            (400, "request.nul_character"),
            "{path}: {body}"
        );
    }
    let (admin, _) = w.login("admin");
    let (_, devices) = admin.get("/api/v1/admin/devices");
    let named = devices
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["id"] == login["device"])
        .map(|d| d["name"].clone());
    assert_eq!(named, Some(json!("平板一号")), "{devices}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({
            "login": "newcomer",
            "display_name": "新\u{0}人",
            "role": "staff",
            "properties": [w.pa().id],
            "password": "a-long-enough-password",
        }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_display_name"), "{body}");
    // A login typed on a tablet's keyboard is kept as it is looked up.
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({
            "login": " ＬｉＳｉ９",
            "display_name": "李四",
            "role": "staff",
            "properties": [w.pa().id],
            "password": "a-long-enough-password",
        }),
    );
    assert_eq!((s, &body["login"]), (201, &json!("lisi9")), "{body}");
    // Sent again, its answer lost on a poor link: the user it made, not
    // "login taken" (the administrator would make a second account under
    // another login). Any other password or profile is another request.
    let made = body["id"].clone();
    let again = json!({
        "login": "lisi9",
        "display_name": "李四",
        "role": "staff",
        "properties": [w.pa().id],
        "password": "a-long-enough-password",
    });
    let (s, body) = admin.post("/api/v1/admin/users", &again);
    assert_eq!((s, &body["id"]), (201, &made), "{body}");
    for (field, other) in [
        ("password", json!("another-long-password")),
        ("display_name", json!("李思")),
        ("role", json!("manager")),
    ] {
        let mut other_request = again.clone();
        other_request[field] = other;
        let (s, body) = admin.post("/api/v1/admin/users", &other_request);
        assert_eq!((s, code(&body)), (409, "conflict"), "{field}: {body}");
    }
    let (_, users) = admin.get("/api/v1/admin/users");
    let named = |users: &Value| {
        users
            .as_array()
            .expect("a list")
            .iter()
            .filter(|u| u["display_name"] == "李四")
            .count()
    };
    assert_eq!(named(&users), 1, "{users}");
    // A login kept before with capitals is the same login.
    common::update(
        w.fx.data.path(),
        "UPDATE users SET login = $1 WHERE login = $2",
        &[&"LiSi9".to_string(), &"lisi9".to_string()],
    );
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({
            "login": "lisi9",
            "display_name": "李四",
            "role": "staff",
            "properties": [w.pa().id],
            "password": "not-the-first-password",
        }),
    );
    assert_eq!((s, code(&body)), (409, "conflict"), "{body}");
    // A name is one line: a control character in a building's name is
    // refused where it is given, not later in every push of its cases
    // (their search text names the building).
    let mut property = w.pa().clone();
    property.buildings[0].name.push('\u{0}');
    let (s, body) = admin.post(
        "/api/v1/admin/properties",
        &serde_json::to_value(&property).expect("a property"),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_place_name"), "{body}");
}

fn oversized_push(base: &str, token: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    // A hang here would mean the server waits for the body it should refuse.
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    let len = 5 * 1024 * 1024;
    write!(
        stream,
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{{\"device\":\""
    )
    .expect("write headers");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn sessions_require_a_live_token() {
    let w = world();
    let anon = w.server.client();
    for path in [
        "/api/v1/me",
        "/api/v1/sync/pull",
        "/api/v1/cases",
        "/api/v1/admin/users",
    ] {
        let (s, body) = anon.get(path);
        assert_eq!((s, code(&body)), (401, "auth.missing_token"), "{path}");
    }
    let mut forged = anon.clone();
    forged.token = Some("00".repeat(32));
    assert_eq!(forged.get("/api/v1/me").0, 401);

    let (admin, admin_login) = Client::login(&w.server.base, "admin");
    // Not the device the admin is using: it could never log in again.
    let (s, body) = admin.post(
        &format!("/api/v1/admin/devices/{}/revoke", device_of(&admin_login)),
        &json!({}),
    );
    assert_eq!((s, code(&body)), (409, "admin.revoke_own_device"), "{body}");
    assert_eq!(admin.get("/api/v1/me").0, 200);
    let (staff, staff_login) = Client::login(&w.server.base, "staff_a");
    let staff_device = device_of(&staff_login);
    assert_eq!(staff.get("/api/v1/me").0, 200);
    // Revoking the device kills its token and refuses its next login.
    let (s, _) = admin.post(
        &format!("/api/v1/admin/devices/{staff_device}/revoke"),
        &json!({}),
    );
    assert_eq!(s, 204);
    let (s, body) = staff.get("/api/v1/me");
    assert_eq!(
        (s, code(&body)),
        (403, "auth.device_revoked"),
        "the device is told why"
    );
    let c = w.server.client();
    let (s, body) = c.post(
        "/api/v1/auth/login",
        &json!({
            "login": "staff_a",
            "password": common::PASSWORD,
            "device": staff_device,
            "device_secret": secret_of(&staff_login),
        }),
    );
    assert_eq!((s, code(&body)), (403, "auth.device_revoked"));
    // The attempt is in the audit log, with who and which device.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=5");
    let refused = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "auth.login_refused_revoked")
        .unwrap_or_else(|| panic!("no refused login in {log}"));
    assert_eq!(refused["device"], json!(staff_device), "{refused}");
    assert!(refused["user"].is_string(), "{refused}");
    // Naming the revoked device without its secret is a new device.
    let (_, fresh) = Client::login_with(
        &w.server.base,
        &json!({ "login": "staff_a", "password": common::PASSWORD, "device": staff_device }),
    );
    assert_ne!(device_of(&fresh), staff_device);
    // Disabling the user kills their tokens on every device.
    let (staff2, author) = w.login("staff_a");
    let id = author.user.to_string();
    let (s, _) = admin.put(
        &format!("/api/v1/admin/users/{id}/active"),
        &json!({ "active": false }),
    );
    assert_eq!(s, 204);
    assert_eq!(staff2.get("/api/v1/me").0, 401);
    // Logout ends just that session.
    let (m, _) = w.login("manager_a");
    assert_eq!(m.post("/api/v1/auth/logout", &json!({})).0, 204);
    assert_eq!(m.get("/api/v1/me").0, 401);

    // A session in use goes on: one used a day or more after it was last
    // renewed is renewed by its next request, to a whole life from then.
    let (s, _) = w.login("manager_a");
    let at = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let expire = |when: &str| {
        common::update(
            w.fx.data.path(),
            "UPDATE tokens SET expires_at = $1 WHERE user_id = \
             (SELECT id FROM users WHERE login = 'manager_a') AND revoked = 0",
            &[&when.to_string()],
        )
    };
    let lasting = |after: &str| {
        common::update(
            w.fx.data.path(),
            "UPDATE tokens SET revoked = revoked WHERE expires_at > $1 AND user_id = \
             (SELECT id FROM users WHERE login = 'manager_a') AND revoked = 0",
            &[&after.to_string()],
        )
    };
    // Renewed within the day: not written again.
    let recent = (chrono::Utc::now() + chrono::Duration::hours(29 * 24 + 12))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(expire(&recent), 1);
    assert_eq!(s.get("/api/v1/me").0, 200);
    let unchanged = common::update(
        w.fx.data.path(),
        "UPDATE tokens SET revoked = revoked WHERE expires_at = $1",
        &[&recent],
    );
    assert_eq!(unchanged, 1, "renewed within the day");
    assert_eq!(expire(&at(20)), 1);
    assert_eq!(s.get("/api/v1/me").0, 200);
    assert_eq!(lasting(&at(29)), 1, "renewed to 30 days from its use");
    assert_eq!(s.post("/api/v1/auth/logout", &json!({})).0, 204);

    // A session that expired is told so; one that expired long ago is
    // swept by the next login anywhere, and is then merely unknown.
    let (s, _) = w.login("manager_a");
    assert_eq!(expire("2025-01-02T00:00:00.000Z"), 1);
    let (status, body) = s.get("/api/v1/me");
    assert_eq!((status, code(&body)), (401, "auth.token_expired"));
    let swept = |when: &str| {
        common::update(
            w.fx.data.path(),
            "UPDATE tokens SET revoked = revoked WHERE expires_at = $1",
            &[&when.to_string()],
        )
    };
    w.login("quality");
    assert_eq!(swept("2025-01-02T00:00:00.000Z"), 0, "swept");
    let (status, body) = s.get("/api/v1/me");
    assert_eq!((status, code(&body)), (401, "auth.invalid_token"));
    // Ended 300 days ago (a spare tablet back from a drawer): kept, and
    // still told as expired.
    let (s, _) = w.login("manager_a");
    let in_drawer = (chrono::Utc::now() - chrono::Duration::days(300))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(expire(&in_drawer), 1);
    w.login("quality");
    assert_eq!(swept(&in_drawer), 1, "kept");
    assert_eq!(code(&s.get("/api/v1/me").1), "auth.token_expired");
}

#[test]
fn admin_endpoints_are_admin_only() {
    let w = world();
    let paths = [
        "/api/v1/admin/users",
        "/api/v1/admin/devices",
        "/api/v1/admin/properties",
        "/api/v1/admin/quarantine",
    ];
    for role_login in [
        "staff_a",
        "head_a",
        "manager_a",
        "regional_a",
        "deputy_a",
        "gm",
        "quality",
    ] {
        let (c, _) = w.login(role_login);
        for p in paths {
            let (s, body) = c.get(p);
            assert_eq!(
                (s, code(&body)),
                (403, "auth.forbidden"),
                "{role_login} {p}"
            );
        }
        let (s, _) = c.post("/api/v1/admin/users", &json!({ "login": "x", "display_name": "x", "role": "staff", "password": "longenough", "properties": [] }));
        assert_eq!(s, 403, "{role_login} create user");
        // Refused for who they are before what they sent is read: neither
        // a malformed body nor a malformed If-Match tells them more.
        let (s, body) = c.send("POST", "/api/v1/admin/records/import", "{\"ops\": 7");
        assert_eq!(
            (s, code(&body)),
            (403, "auth.forbidden"),
            "{role_login} import"
        );
        for p in ["/api/v1/admin/settings", "/api/v1/admin/categories"] {
            let (s, _, body) = c.send_if_match("PUT", p, &json!({}), "not-a-tag");
            assert_eq!(
                (s, code(&body)),
                (403, "auth.forbidden"),
                "{role_login} {p}"
            );
        }
    }
    let (admin, _) = w.login("admin");
    for p in paths {
        assert_eq!(admin.get(p).0, 200, "admin {p}");
    }
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "new_staff", "display_name": "新员工", "role": "staff", "password": "short", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.weak_password"));
    // A zero-width space pasted in looks like `new_staff` and can never be
    // typed at the login screen.
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "new\u{200B}_staff", "display_name": "新员工", "role": "staff", "password": "long-enough", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_login"), "{body}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "new_staff", "display_name": "新员工", "role": "staff", "password": "long-enough", "properties": [w.pa().id] }),
    );
    assert_eq!(s, 201, "{body}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "new_staff", "display_name": "重复", "role": "staff", "password": "long-enough", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (409, "conflict"));
    // The admin chose the password: the user chooses their own at the
    // first login.
    let (_, answer) = w.server.client().post(
        "/api/v1/auth/login",
        &json!({ "login": "new_staff", "password": "long-enough" }),
    );
    assert_eq!(answer["must_change_password"], true, "{answer}");
    // The audit says what the account was given, not only who made it.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=200");
    let created = log
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "user.create" && e["detail"]["login"] == "new_staff")
        .unwrap_or_else(|| panic!("no user.create of new_staff: {log}"));
    assert_eq!(
        created["detail"]["properties"],
        json!([w.pa().id]),
        "{created}"
    );
    assert_eq!(created["detail"]["must_change_password"], true, "{created}");
    // A password no login accepts, a name too long, a property twice.
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "long_pass", "display_name": "长密码", "role": "staff", "password": "x".repeat(300), "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (422, "request.too_long"), "{body}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "long_name", "display_name": "名".repeat(65), "role": "staff", "password": "long-enough", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_display_name"), "{body}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "long_dept", "display_name": "部门", "role": "staff", "password": "long-enough", "properties": [w.pa().id], "department": "部".repeat(65) }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_department"), "{body}");
    // A department head sees the cases passed to their department: none
    // without one.
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "no_dept", "display_name": "主管", "role": "department_head", "password": "long-enough", "properties": [w.pa().id], "department": "  " }),
    );
    assert_eq!((s, code(&body)), (400, "admin.no_department"), "{body}");
    let (s, body) = admin.post(
        "/api/v1/admin/users",
        &json!({ "login": "twice", "display_name": "两次", "role": "staff", "password": "long-enough", "properties": [w.pa().id, w.pa().id] }),
    );
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["properties"], json!([w.pa().id]));
    // An admin does not disable their own account.
    let me: Value = admin.get("/api/v1/me").1;
    let (s, body) = admin.put(
        &format!(
            "/api/v1/admin/users/{}/active",
            me["user"]["id"].as_str().unwrap()
        ),
        &json!({ "active": false }),
    );
    assert_eq!((s, code(&body)), (409, "admin.disable_self"), "{body}");
    assert_eq!(admin.get("/api/v1/me").0, 200);
    let mut p = w.pa().clone();
    p.households = 401;
    assert_eq!(
        admin
            .post(
                "/api/v1/admin/properties",
                &serde_json::to_value(&p).unwrap()
            )
            .0,
        204
    );
    // A page of a build before the contact sends none: the stored one
    // stays. One sent is kept trimmed.
    p.contact = " 客服中心 0571-88886666 ".into();
    let mut older = serde_json::to_value(&p).unwrap();
    assert_eq!(admin.post("/api/v1/admin/properties", &older).0, 204);
    older.as_object_mut().unwrap().remove("contact");
    older["households"] = serde_json::json!(402);
    assert_eq!(admin.post("/api/v1/admin/properties", &older).0, 204);
    let (_, list) = admin.get("/api/v1/admin/properties");
    let stored = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == serde_json::json!(p.id))
        .cloned()
        .unwrap();
    assert_eq!(
        (&stored["contact"], &stored["households"]),
        (
            &serde_json::json!("客服中心 0571-88886666"),
            &serde_json::json!(402)
        )
    );
    p.code = "bad code!".into();
    let (s, body) = admin.post(
        "/api/v1/admin/properties",
        &serde_json::to_value(&p).unwrap(),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_property_code"));

    // Every tablet of the property pulls the whole list: its sizes are
    // bounded, each refusal named.
    let refused = |change: &dyn Fn(&mut shared::property::Property)| {
        let mut p = w.pa().clone();
        change(&mut p);
        let (s, body) = admin.post(
            "/api/v1/admin/properties",
            &serde_json::to_value(&p).unwrap(),
        );
        (s, code(&body).to_string())
    };
    let bad = |c: &str| (400, c.to_string());
    assert_eq!(
        refused(&|p| p.name = "名".repeat(65)),
        bad("admin.bad_property_name")
    );
    assert_eq!(
        refused(&|p| p.households = 1_000_001),
        bad("admin.bad_households")
    );
    // The contact prints on every receipt: one line, 64 characters.
    assert_eq!(
        refused(&|p| p.contact = "客服".repeat(33)),
        bad("admin.bad_property_contact")
    );
    assert_eq!(
        refused(&|p| p.contact = "0571-88886666\n1栋".into()),
        bad("admin.bad_property_contact")
    );
    assert_eq!(
        refused(&|p| p.buildings[0].units[0].name = "户".repeat(33)),
        bad("admin.bad_place_name")
    );
    assert_eq!(
        refused(&|p| p.buildings[0].name = " ".into()),
        bad("admin.bad_place_name")
    );
    assert_eq!(
        refused(&|p| {
            let unit = p.buildings[0].units[0].clone();
            p.buildings[0].units = (0..50_001)
                .map(|n| shared::property::Unit {
                    id: shared::id::UnitId(uuid::Uuid::from_u128(n + 1)),
                    name: n.to_string(),
                })
                .chain([unit])
                .collect();
        }),
        bad("admin.too_many_places")
    );
    let (_, stored) = admin.get("/api/v1/admin/properties");
    assert!(stored.to_string().contains(&w.pa().name), "unchanged");
}

/// Pulls everything a client may see.
fn pull_all(c: &Client) -> Vec<shared::op::Op> {
    let mut after = 0;
    let mut ops = Vec::new();
    loop {
        let (s, page) = c.get(&format!("/api/v1/sync/pull?after={after}&limit=50"));
        assert_eq!(s, 200, "{page}");
        let page: shared::wire::PullResponse = serde_json::from_value(page).unwrap();
        ops.extend(page.ops.into_iter().map(|p| p.op));
        after = page.cursor;
        if !page.more {
            return ops;
        }
    }
}

#[test]
fn scope_and_masking_on_every_read() {
    let w = world();
    let (staff_a, mut a) = w.login("staff_a");
    let (staff_b, mut b) = w.login("staff_b");
    let reg_a = a.register(w.pa(), "1栋电梯故障");
    let reg_b = b.register(w.pb(), "8栋停车纠纷");
    assert_eq!(
        staff_a
            .post(
                "/api/v1/sync/push",
                &push_body(a.device, std::slice::from_ref(&reg_a))
            )
            .1["acked_seq"],
        1
    );
    assert_eq!(
        staff_b
            .post(
                "/api/v1/sync/push",
                &push_body(b.device, std::slice::from_ref(&reg_b))
            )
            .1["acked_seq"],
        1
    );

    // Writes outside scope are quarantined, not merged.
    let sneaky = b.register(w.pa(), "越权登记");
    let (_, body) = staff_b.post("/api/v1/sync/push", &push_body(b.device, &[sneaky]));
    assert_eq!(code(&body["quarantined"][0]), "sync.out_of_scope");
    let assess = b.op(
        reg_a.case_id,
        Some(CaseState::Registered),
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: "越权备注".into(),
        },
    );
    let (_, body) = staff_b.post("/api/v1/sync/push", &push_body(b.device, &[assess]));
    assert_eq!(code(&body["quarantined"][0]), "sync.out_of_scope");

    // Pull: each staff sees only their property; head office sees both.
    let ids = |ops: Vec<shared::op::Op>| {
        ops.into_iter()
            .map(|o| o.case_id)
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(ids(pull_all(&staff_a)), [reg_a.case_id].into());
    assert_eq!(ids(pull_all(&staff_b)), [reg_b.case_id].into());
    let (quality, _) = w.login("quality");
    let (gm, _) = w.login("gm");
    let (admin, _) = w.login("admin");
    let (manager_b, _) = w.login("manager_b");
    for c in [&quality, &gm, &admin] {
        assert_eq!(ids(pull_all(c)), [reg_a.case_id, reg_b.case_id].into());
    }

    // Case list and case reads follow the same scope.
    assert_eq!(list_ids(&staff_a, ""), [reg_a.case_id.to_string()]);
    assert_eq!(list_ids(&manager_b, ""), [reg_b.case_id.to_string()]);
    assert_eq!(list_ids(&quality, "").len(), 2);
    let (s, body) = manager_b.get(&format!("/api/v1/cases?property={}", w.pa().id));
    assert_eq!((s, code(&body)), (403, "auth.forbidden"));
    assert_eq!(
        staff_b.get(&format!("/api/v1/cases/{}", reg_a.case_id)).0,
        404
    );
    assert_eq!(
        staff_a.get(&format!("/api/v1/cases/{}", reg_a.case_id)).0,
        200
    );
    assert_eq!(gm.get(&format!("/api/v1/cases/{}", reg_a.case_id)).0, 200);
    assert_eq!(list_ids(&staff_a, "?q=电梯").len(), 1);
    assert_eq!(
        list_ids(&staff_a, "?q=13912345678").len(),
        1,
        "staff may search by phone"
    );
    // A phone as people type it, or its last digits: matched on digits.
    for typed in ["139%201234%205678", "%2B86%20139-1234-5678", "5678"] {
        assert_eq!(
            list_ids(&staff_a, &format!("?q={typed}")).len(),
            1,
            "{typed}"
        );
    }
    // Category codes are not searched (the category has its own filter).
    for code in ["noise", "maintenance"] {
        assert_eq!(list_ids(&quality, &format!("?q={code}")).len(), 0, "{code}");
    }
    let (s, body) = staff_a.get(&format!("/api/v1/cases?q={}", "电".repeat(101)));
    assert_eq!((s, code(&body)), (400, "request.bad_query"), "{body}");

    // Personal data is masked for the department head and the admin.
    let (head, _) = w.login("head_a");
    for c in [&head, &admin] {
        let (_, case) = c.get(&format!("/api/v1/cases/{}", reg_a.case_id));
        let text = case.to_string();
        assert!(
            !text.contains("13912345678") && !text.contains("王小明"),
            "{text}"
        );
        assert!(text.contains("139****5678"));
        let pulled = serde_json::to_string(&pull_all(c)).unwrap();
        assert!(!pulled.contains("13912345678") && !pulled.contains("王小明"));
        for hidden in ["13912345678", "5678", "王小明"] {
            assert_eq!(
                list_ids(c, &format!("?q={hidden}")).len(),
                0,
                "no search by hidden {hidden}"
            );
        }
    }
    let (_, case) = staff_a.get(&format!("/api/v1/cases/{}", reg_a.case_id));
    assert!(case.to_string().contains("13912345678"));
}

#[test]
fn push_is_idempotent_detects_gaps_and_clones() {
    let w = world();
    let (c, first) = Client::login(&w.server.base, "staff_a");
    let mut a = Author::new(&first);
    let r1 = a.register(w.pa(), "一");
    let r2 = a.register(w.pa(), "二");
    let r3 = a.register(w.pa(), "三");
    let r4 = a.register(w.pa(), "四");
    // A gap: 1 and 3 arrive; the server stores 1 and asks for 2.
    let (_, body) = c.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[r1.clone(), r3.clone()]),
    );
    assert_eq!(
        (body["acked_seq"].as_u64(), body["expected_seq"].as_u64()),
        (Some(1), Some(2))
    );
    // The resend, with a duplicate of 1, completes the run.
    let (_, body) = c.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[r1.clone(), r2.clone(), r3.clone(), r4.clone()]),
    );
    assert_eq!(body["acked_seq"], 4);
    assert!(body["quarantined"].as_array().unwrap().is_empty());
    // Same (device, seq) with other content is a clone: reported, not merged.
    let mut clone = r2.clone();
    clone.id = shared::id::OpId(uuid::Uuid::now_v7());
    // Sent twice (a retry, or a file imported again): refused each time,
    // listed once.
    for _ in 0..2 {
        let (_, body) = c.post("/api/v1/sync/push", &push_body(a.device, &[clone.clone()]));
        assert_eq!(code(&body["quarantined"][0]), "sync.clone");
        // Named by id: the tablet holds two ops of that number.
        assert_eq!(body["quarantined"][0]["op"], json!(clone.id), "{body}");
    }
    let (admin, _) = w.login("admin");
    let (_, q) = admin.get("/api/v1/admin/quarantine");
    let clones: Vec<&Value> = q
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "sync.clone")
        .collect();
    assert_eq!(clones.len(), 1);
    // Nor merged by an administrator's re-apply.
    let (s, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{}/reapply", clones[0]["id"]),
        &json!({}),
    );
    assert_eq!(s, 200, "{outcome}");
    assert_eq!(outcome["code"], "sync.clone", "{outcome}");
    // Two of one number in one batch (two tabs that both handed it out):
    // the one refused is named, not the first of the number.
    let r5 = a.register(w.pa(), "五");
    let mut twin = a.register(w.pa(), "五的孪生");
    twin.seq = r5.seq;
    let (_, body) = c.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[r5.clone(), twin.clone()]),
    );
    assert_eq!(body["acked_seq"], 5, "{body}");
    assert_eq!(body["quarantined"][0]["op"], json!(twin.id), "{body}");
    let (_, page) = c.get("/api/v1/cases");
    assert_eq!(page["total"], 5);
    // A re-login tells a device that lost its storage where it stands.
    let (_, body) = Client::login_on(&w.server.base, "staff_a", a.device, &secret_of(&first));
    assert_eq!(body["device"], first["device"]);
    assert_eq!(body["device_number"], first["device_number"]);
    assert_eq!(body["acked_seq"], 5);
}

/// A push whose answer was lost, sent again after the server was upgraded
/// to a build whose ops have a field more (with its default): the same op,
/// not a clone.
#[test]
fn an_op_sent_again_after_an_upgrade_is_no_clone() {
    let w = world();
    let (c, first) = Client::login(&w.server.base, "staff_a");
    let mut a = Author::new(&first);
    let r1 = a.register(w.pa(), "一");
    let (_, body) = c.post(
        "/api/v1/sync/push",
        &push_body(a.device, std::slice::from_ref(&r1)),
    );
    assert_eq!(body["acked_seq"], 1);
    // As a build before `related_case` wrote and hashed it.
    let id = r1.id.to_string();
    let now = serde_json::to_string(&r1).unwrap();
    let older = now.replace(r#","related_case":null"#, "");
    assert_ne!(older, now, "the field is written today");
    let changed = common::update(
        w.fx.data.path(),
        "UPDATE ops SET json = $1, hash = $2 WHERE id = $3",
        &[&older, &server::push::hash(&older), &id],
    );
    assert_eq!(changed, 1);
    let (_, body) = c.post("/api/v1/sync/push", &push_body(a.device, &[r1]));
    assert_eq!(body["acked_seq"], 1);
    assert!(body["quarantined"].as_array().unwrap().is_empty(), "{body}");
}

#[test]
fn workflow_ops_materialize_through_the_shared_fold() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let (manager, mut m) = w.login("manager_a");
    let reg = s.register(w.pa(), "楼道灯不亮");
    let case = reg.case_id;
    staff.post("/api/v1/sync/push", &push_body(s.device, &[reg]));
    // Made a little later than the staff member's op below, so that it
    // sorts after it however the milliseconds fall: the staff member's op
    // then meets the case still registered and breaks the role rule,
    // instead of conflicting with the assessment.
    let assess = m.op_at(
        case,
        Some(CaseState::Registered),
        Action::Assess {
            severity: shared::case::Severity::General,
            urgent: false,
            validity: shared::case::Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        },
        chrono::Utc::now() + chrono::Duration::seconds(2),
    );
    // A staff member closes repairs, not complaints: the op is kept and
    // flagged, not lost. (An action their role never takes, such as an
    // assessment, is refused at the push instead: `authority.rs`.)
    let bad = s.op(
        case,
        Some(CaseState::Registered),
        Action::Close {
            corrective_action: String::new(),
            verification: String::new(),
        },
    );
    manager.post("/api/v1/sync/push", &push_body(m.device, &[assess]));
    staff.post("/api/v1/sync/push", &push_body(s.device, &[bad]));
    let (_, body) = manager.get(&format!("/api/v1/cases/{case}"));
    let folded: shared::case::Case = serde_json::from_value(body).unwrap();
    assert_eq!(folded.state, CaseState::Assessed);
    assert_eq!(folded.timeline.len(), 3);
    assert_eq!(folded.violations.len(), 1);
    let (_, page) = manager.get("/api/v1/cases?state=assessed");
    assert_eq!(page["total"], 1);
    let (_, page) = manager.get("/api/v1/cases?state=registered");
    assert_eq!(page["total"], 0);
}

#[test]
fn configuration_travels_with_pull() {
    let w = world();
    let (staff_b, _) = w.login("staff_b");
    let (_, page) = staff_b.get("/api/v1/sync/pull?after=0");
    let page: shared::wire::PullResponse = serde_json::from_value(page).unwrap();
    let kinds: Vec<&str> = page
        .config
        .iter()
        .map(|c| match c {
            shared::wire::ConfigItem::Settings(_) => "settings",
            shared::wire::ConfigItem::Categories(_) => "categories",
            shared::wire::ConfigItem::Calendar(_) => "calendar",
            shared::wire::ConfigItem::Properties(_) => "properties",
            shared::wire::ConfigItem::Users(_) => "users",
        })
        .collect();
    assert_eq!(
        kinds,
        ["calendar", "categories", "properties", "settings", "users"]
    );
    for item in &page.config {
        if let shared::wire::ConfigItem::Properties(ps) = item {
            let codes: Vec<&str> = ps.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(codes, ["PB"], "only the properties in scope");
        }
    }
    // Colleagues come with the properties they share with the reader, so
    // that a case is assigned only to someone who will see it.
    let cards = |login: &str| directory(&w, login);
    let card = |cards: &[shared::wire::UserCard], name: &str| {
        cards
            .iter()
            .find(|c| c.display_name == name)
            .unwrap_or_else(|| panic!("{name} in {cards:?}"))
            .clone()
    };
    let of_b = cards("staff_b");
    assert_eq!(card(&of_b, "manager_b").properties, Some(vec![w.pb().id]));
    assert!(
        card(&of_b, "gm").works_in(w.pa().id),
        "the GM sees every property"
    );
    assert!(of_b.iter().all(|c| c.display_name != "staff_a"));
    let of_gm = cards("gm");
    let staff_a = card(&of_gm, "staff_a");
    assert!(staff_a.works_in(w.pa().id) && !staff_a.works_in(w.pb().id));
    // Nothing changed: the next pull carries no configuration.
    let (_, again) = staff_b.get(&format!("/api/v1/sync/pull?after={}", page.cursor));
    assert_eq!(again["config"], json!([]));
    // An admin imports next year's calendar while the server runs.
    let file = w.server.data.join("2027.json");
    std::fs::write(
        &file,
        r#"{"year":2027,"rest_days":["2027-01-01","2027-10-01"],"workdays":[],"source":"test"}"#,
    )
    .unwrap();
    common::cli(
        &w.server.data,
        &["calendar", "import", file.to_str().unwrap()],
    );
    let (_, next) = staff_b.get(&format!("/api/v1/sync/pull?after={}", page.cursor));
    let next: shared::wire::PullResponse = serde_json::from_value(next).unwrap();
    match next.config.as_slice() {
        [shared::wire::ConfigItem::Calendar(cal)] => assert!(cal.years().any(|y| y == 2027)),
        other => panic!("expected the calendar alone, got {other:?}"),
    }
}

/// The user directory a first pull gives `login`.
fn directory(w: &common::World, login: &str) -> Vec<shared::wire::UserCard> {
    let (c, _) = w.login(login);
    let (_, page) = c.get("/api/v1/sync/pull?after=0");
    let page: shared::wire::PullResponse = serde_json::from_value(page).unwrap();
    page.config
        .into_iter()
        .find_map(|c| match c {
            shared::wire::ConfigItem::Users(u) => Some(u),
            _ => None,
        })
        .expect("the users")
}

/// A colleague moved to another property keeps their name for those who
/// still work where they left: the cases there keep what they did. The
/// assignment picker does not offer them a case of it.
#[test]
fn a_moved_colleague_keeps_their_name_where_they_worked() {
    let w = world();
    let cards = |login: &str| directory(&w, login);
    let named =
        |reader: &str, name: &str| cards(reader).into_iter().find(|c| c.display_name == name);
    let staff_a = |reader: &str| named(reader, "staff_a");
    assert_eq!(
        staff_a("manager_a").and_then(|c| c.properties),
        Some(vec![w.pa().id])
    );
    assert_eq!(staff_a("manager_b"), None, "never worked at PB");
    let (staff, mut a) = w.login("staff_a");
    let registered = a.register(w.pa(), "楼道灯不亮");
    let (status, body) = staff.post("/api/v1/sync/push", &push_body(a.device, &[registered]));
    assert_eq!(status, 200, "{body}");

    let (admin, _) = w.login("admin");
    let move_to = |name: &str, properties: &[shared::id::PropertyId]| {
        let id = named("gm", name).expect("the GM knows everyone").id;
        let (status, body) = admin.put(
            &format!("/api/v1/admin/users/{id}"),
            &json!({ "display_name": name, "role": "staff", "properties": properties }),
        );
        assert_eq!(status, 200, "{body}");
    };
    move_to("staff_a", &[w.pb().id]);
    let left = staff_a("manager_a").expect("still named where they worked");
    assert_eq!(left.properties, Some(vec![]));
    assert!(!left.works_in(w.pa().id), "offered no case of PA");
    assert_eq!(
        staff_a("manager_b").and_then(|c| c.properties),
        Some(vec![w.pb().id])
    );
    // Given PA by mistake and taken off it before doing anything there.
    move_to("staff_b", &[w.pa().id, w.pb().id]);
    move_to("staff_b", &[w.pb().id]);
    assert_eq!(named("manager_a", "staff_b"), None);
}

#[test]
fn case_list_filters_and_pages() {
    let w = world();
    let (staff, mut a) = w.login("staff_a");
    // An old case whose clocks have run out, and two fresh ones.
    // Recorded twenty days ago (its registration number carries that date),
    // so even its solution clock of three working days is past, holidays
    // or not.
    let old = a.register_at(
        w.pa(),
        shared::case::CaseKind::Complaint,
        chrono::Utc::now() - chrono::Duration::days(20),
        |r| r.content = "三天前的噪音投诉".into(),
    );
    let fresh1 = a.register(w.pa(), "电梯异响");
    let fresh1_id = fresh1.clone();
    let mut fresh2 = a.register(w.pa(), "绿化带积水");
    if let Action::Register(reg) = &mut fresh2.action {
        reg.kind = shared::case::CaseKind::Repair;
        reg.category = "landscaping".into();
    }
    let (_, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(a.device, &[old.clone(), fresh1, fresh2.clone()]),
    );
    assert_eq!(body["acked_seq"], 3, "{body}");
    let total = |q: &str| -> u64 {
        let (s, page) = staff.get(&format!("/api/v1/cases{q}"));
        assert_eq!(s, 200, "{q}: {page}");
        page["total"].as_u64().unwrap()
    };
    assert_eq!(total(""), 3);
    assert_eq!(total("?overdue=true"), 1);
    assert_eq!(total("?kind=repair"), 1);
    assert_eq!(total("?category=landscaping"), 1);
    assert_eq!(total("?state=registered"), 3);
    assert_eq!(total("?mine=true"), 3);
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(total(&format!("?from={two_days_ago}")), 2);
    assert_eq!(total(&format!("?to={two_days_ago}")), 1);
    assert_eq!(total(&format!("?property={}", w.pa().id)), 3);
    let (_, page) = staff.get("/api/v1/cases?per_page=2&page=2");
    assert_eq!(
        (
            page["items"].as_array().map(Vec::len),
            page["total"].as_u64()
        ),
        (Some(1), Some(3))
    );
    let (_, page) = staff.get("/api/v1/cases?overdue=true");
    assert_eq!(
        page["items"][0]["id"],
        serde_json::to_value(old.case_id).unwrap()
    );
    assert_eq!(page["items"][0]["overdue"], true);
    let (s, body) = staff.get("/api/v1/cases?bogus=1");
    assert_eq!((s, code(&body)), (400, "request.bad_query"));
    // Filters and paging come from one query string, percent-encoded as sent.
    assert_eq!(total("?q=%E7%94%B5%E6%A2%AF&per_page=1"), 1);
    // The list parses its filters as the exports do, and takes only its own
    // parameters besides them.
    for (query, expected) in [
        ("?kind=praise", "request.bad_kind"),
        ("?state=in-progress", "request.bad_state"),
        ("?lang=en", "request.bad_query"),
        ("?page=first", "request.bad_query"),
        ("?overdue=maybe", "request.bad_query"),
        ("?after=yesterday", "request.bad_query"),
    ] {
        let (s, body) = staff.get(&format!("/api/v1/cases{query}"));
        assert_eq!((s, code(&body)), (400, expected), "{query}");
    }
    // Paged by the `next` each page gives, a case received while paging
    // neither repeats a row nor makes one skipped (numbered pages shift).
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, first) = staff.get("/api/v1/cases?per_page=2");
    let next = first["next"].as_str().expect("a page follows").to_string();
    let arrived = a.register(w.pa(), "新到的工单");
    let (_, body) = staff.post("/api/v1/sync/push", &push_body(a.device, &[arrived]));
    assert_eq!(body["acked_seq"], 4, "{body}");
    let (_, second) = staff.get(&format!("/api/v1/cases?per_page=2&after={next}"));
    let (mut seen, later) = (ids(&first), ids(&second));
    assert_eq!(later.len(), 1, "{second}");
    assert!(!seen.contains(&later[0]), "{first} {second}");
    assert_eq!(second["next"], serde_json::Value::Null);
    seen.extend(later);
    seen.sort();
    let mut before: Vec<String> = [&old, &fresh1_id, &fresh2]
        .iter()
        .map(|o| o.case_id.to_string())
        .collect();
    before.sort();
    assert_eq!(seen, before);
}

/// A misspelt name, a department, a move to another estate: an admin
/// corrects the user instead of disabling them and making another
/// account. A new scope or department ends their sessions, and the next
/// login works under it; a new name leaves them logged in.
#[test]
fn an_admin_corrects_a_user_and_a_new_scope_ends_their_sessions() {
    let w = world();
    let (admin, admin_login) = w.login("admin");
    let (staff, author) = w.login("staff_a");
    let path = format!("/api/v1/admin/users/{}", author.user);
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [w.pa().id] }),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        staff.get("/api/v1/me").0,
        200,
        "same scope: still logged in"
    );
    // The department decides whose cases they handle, on the tablet too.
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [w.pa().id], "department": " 客服部 " }),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (&body["display_name"], &body["department"], &body["login"]),
        (&json!("张敏"), &json!("客服部"), &json!("staff_a"))
    );
    assert_eq!(
        staff.get("/api/v1/me").0,
        401,
        "a new department ends the session"
    );
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    assert_eq!(login["user"]["department"], "客服部", "{login}");

    // A second administrator's form, opened before that correction, is
    // refused instead of undoing it; one opened on the user as they are
    // now saves.
    let was = |department: Option<&str>| json!({ "display_name": "张敏", "role": "staff", "properties": [w.pa().id], "department": department });
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏敏", "role": "staff", "properties": [w.pa().id], "was": was(None) }),
    );
    assert_eq!((s, code(&body)), (412, "admin.changed_meanwhile"), "{body}");
    // The correction sent again from the form it was made on (its answer
    // lost) is done, not refused, and ends no session again.
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [w.pa().id], "department": "客服部", "was": was(None) }),
    );
    assert_eq!((s, &body["department"]), (200, &json!("客服部")), "{body}");
    assert_eq!(staff.get("/api/v1/me").0, 200);
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [w.pa().id], "department": "客服部", "was": was(Some("客服部")) }),
    );
    assert_eq!(s, 200, "{body}");

    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [w.pb().id] }),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        staff.get("/api/v1/me").0,
        401,
        "a new scope ends the session"
    );
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    assert_eq!(login["user"]["properties"], json!([w.pb().id]), "{login}");
    let (_, page) = staff.get("/api/v1/sync/pull?after=0");
    let page: shared::wire::PullResponse = serde_json::from_value(page).unwrap();
    let codes: Vec<String> = page
        .config
        .iter()
        .find_map(|c| match c {
            shared::wire::ConfigItem::Properties(ps) => {
                Some(ps.iter().map(|p| p.code.clone()).collect())
            }
            _ => None,
        })
        .expect("the properties");
    assert_eq!(codes, ["PB"]);

    // What stays refused.
    let me = admin_login.user;
    let (s, body) = admin.put(
        &format!("/api/v1/admin/users/{me}"),
        &json!({ "display_name": "管理员", "role": "staff", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (409, "admin.change_own_role"), "{body}");
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": " ", "role": "staff", "properties": [w.pa().id] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_display_name"), "{body}");
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.no_properties"), "{body}");
    let (s, body) = admin.put(
        &path,
        &json!({ "display_name": "张敏", "role": "staff", "properties": [uuid::Uuid::from_u128(9)] }),
    );
    assert_eq!((s, code(&body)), (404, "not_found"), "{body}");
    let (manager, _) = w.login("manager_a");
    let (s, _) = manager.put(
        &path,
        &json!({ "display_name": "x", "role": "gm", "properties": [] }),
    );
    assert_eq!(s, 403);

    // Audited with what it was and what it became.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=20");
    let updates: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "user.update")
        .collect();
    assert_eq!(updates.len(), 4, "{log}");
    let moved = updates
        .iter()
        .find(|e| e["detail"]["to"]["properties"] == json!([w.pb().id]))
        .unwrap_or_else(|| panic!("no move in {updates:?}"));
    assert_eq!(moved["detail"]["from"]["properties"], json!([w.pa().id]));
}

/// The command line refuses what the admin API refuses, in the same
/// words: the stable code and the message, not a debug dump.
/// A roster (人员名单) creates a company's staff at once: all of them, or
/// nobody when one is refused; those given no password get one, answered
/// once, and change it at their first login. The command line reads the
/// same roster from a file.
/// Ops a user recorded offline before an admin changed their role are set
/// aside when pushed afterwards (`sync.role_mismatch`). An admin
/// re-applies them, judged under the role the audit of the change says
/// the user held when each was made: those made before the change are
/// taken; one claiming the old role after it stays aside.
#[test]
fn ops_recorded_before_a_role_change_are_reapplied_under_the_role_held_then() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    let secret = secret_of(&login);
    let mut author = Author::new(&login);
    let reg = author.register(w.pa(), "楼道灯不亮");
    let case = reg.case_id;
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200, "{answer}");
    let note = |text: &str| Action::Note {
        note_kind: shared::case::NoteKind::General,
        text: text.into(),
    };
    // Offline, as staff.
    let before = author.op(case, None, note("已联系业主"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{}", author.user),
        &json!({ "display_name": "张敏", "role": "manager", "properties": [w.pa().id] }),
    );
    assert_eq!(status, 200, "{body}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    // A tablet claiming the old role after the change.
    let after = author.op(case, None, note("改角色之后"));
    let (staff, _) = Client::login_on(&w.server.base, "staff_a", author.device, &secret);
    let (status, answer) = staff.post(
        "/api/v1/sync/push",
        &push_body(author.device, &[before.clone(), after.clone()]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        common::quarantined_codes(&answer),
        ["sync.role_mismatch", "sync.role_mismatch"]
    );

    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let outcomes: Vec<Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let id = e["id"].as_i64().unwrap();
            let (status, outcome) = admin.post(
                &format!("/api/v1/admin/quarantine/{id}/reapply"),
                &json!({}),
            );
            assert_eq!(status, 200, "{outcome}");
            outcome
        })
        .collect();
    assert_eq!(outcomes[0]["outcome"], "accepted", "{outcomes:?}");
    assert_eq!(
        (&outcomes[1]["outcome"], &outcomes[1]["code"]),
        (&json!("refused"), &json!("sync.role_mismatch")),
        "{outcomes:?}"
    );
    let (_, folded) = staff.get(&format!("/api/v1/cases/{case}"));
    let notes: Vec<&Value> = folded["notes"].as_array().unwrap().iter().collect();
    assert_eq!(notes.len(), 1, "{folded}");
    assert_eq!(notes[0]["text"], "已联系业主");

    // So with a property: made as PA's manager, pushed once moved to PB.
    author.role = shared::role::Role::Manager;
    let on_pa = author.op(case, None, note("移交前的记录"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{}", author.user),
        &json!({ "display_name": "张敏", "role": "manager", "properties": [w.pb().id] }),
    );
    assert_eq!(status, 200, "{body}");
    let (staff, _) = Client::login_on(&w.server.base, "staff_a", author.device, &secret);
    let (_, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[on_pa]));
    assert_eq!(
        code(&answer["quarantined"][0]),
        "sync.out_of_scope",
        "{answer}"
    );
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let waiting = list.as_array().unwrap();
    let id = waiting.last().unwrap()["id"].as_i64().unwrap();
    let (_, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{id}/reapply"),
        &json!({}),
    );
    assert_eq!(outcome["outcome"], "accepted", "{outcome}");
}

#[test]
fn an_admin_imports_a_roster_all_or_nothing() {
    let w = world();
    let (admin, _) = w.login("admin");
    let user = |login: &str, role: &str, password: &str| {
        json!({ "login": login, "display_name": login, "role": role, "password": password,
                "properties": [w.pa().id], "department": "客服部" })
    };
    let (s, body) = admin.post(
        "/api/v1/admin/users/import",
        &json!({ "users": [user("zhao", "staff", "zhao-own-pass"), user("qian", "department_head", ""), user("sun", "gm", "")] }),
    );
    assert_eq!(s, 201, "{body}");
    let made: Vec<(String, Option<String>)> = body
        .as_array()
        .expect("created users")
        .iter()
        .map(|u| {
            (
                u["user"]["login"].as_str().unwrap_or_default().to_string(),
                u["password"].as_str().map(String::from),
            )
        })
        .collect();
    assert_eq!(made[0], ("zhao".to_string(), None));
    assert_eq!(made[1].0, "qian");
    let made_password = made[1].1.clone().expect("a password made for qian");
    assert_eq!(made_password.chars().count(), 16);
    assert_ne!(made[2].1, made[1].1);
    let (_, answer) = Client::login_with(
        &w.server.base,
        &json!({ "login": "qian", "password": made_password, "device_name": "t" }),
    );
    assert_eq!(answer["must_change_password"], true, "{answer}");
    assert_eq!(answer["user"]["department"], "客服部");

    // One login already in use: nobody of the roster is created.
    let (s, body) = admin.post(
        "/api/v1/admin/users/import",
        &json!({ "users": [user("li", "staff", ""), user("zhao", "staff", "")] }),
    );
    assert_eq!((s, code(&body)), (409, "conflict"), "{body}");
    let (s, _) = Client::new(&w.server.base).post(
        "/api/v1/auth/login",
        &json!({ "login": "li", "password": "whatever-it-is", "device_name": "t" }),
    );
    assert_eq!(s, 401);
    let (_, users) = admin.get("/api/v1/admin/users");
    assert!(
        !users.to_string().contains("\"li\""),
        "li was not created: {users}"
    );
    // A refusal names the user's place in the list.
    let (s, body) = admin.post(
        "/api/v1/admin/users/import",
        &json!({ "users": [user("li", "staff", ""), user("zhou", "staff", "short")] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.weak_password"), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("user 2 (zhou)"),
        "{body}"
    );
    let (s, body) = admin.post("/api/v1/admin/users/import", &json!({ "users": [] }));
    assert_eq!((s, code(&body)), (400, "admin.empty_import"), "{body}");
    let many: Vec<Value> = (0..=shared::roster::MAX_ROSTER_USERS)
        .map(|i| user(&format!("u{i}"), "staff", ""))
        .collect();
    let (s, body) = admin.post("/api/v1/admin/users/import", &json!({ "users": many }));
    assert_eq!((s, code(&body)), (400, "admin.too_many_users"), "{body}");
    // A name over the directory's limit names its user.
    let mut long = user("he", "staff", "");
    long["display_name"] = json!("名".repeat(shared::validation::MAX_DIRECTORY_NAME + 1));
    let (s, body) = admin.post(
        "/api/v1/admin/users/import",
        &json!({ "users": [user("li", "staff", ""), long] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.bad_display_name"), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("user 2 (he)"),
        "{body}"
    );
    let (staff, _) = w.login("staff_a");
    let (s, _) = staff.post(
        "/api/v1/admin/users/import",
        &json!({ "users": [user("wu", "staff", "")] }),
    );
    assert_eq!(s, 403);

    // The command line: a spreadsheet's copy with its header, all or none.
    let dir = tempfile::tempdir().expect("temp dir");
    let roster = dir.path().join("roster.tsv");
    std::fs::write(
        &roster,
        "登录名\t姓名\t角色\t项目\n wu\t吴一\t物管员\tPA\nzheng\t郑二\tstaff\t花园\n",
    )
    .expect("write roster");
    let stderr = common::cli_refused(
        &w.server.data,
        &["user", "import", roster.to_str().expect("utf-8")],
    );
    assert!(
        stderr.contains("line 3: roster.unknown_property: No such property: 花园"),
        "{stderr}"
    );
    std::fs::write(
        &roster,
        "wu,吴一,物管员,PA\nzheng,郑二,staff,\"PA,PB\",工程部\n",
    )
    .expect("write roster");
    let printed = common::cli(
        &w.server.data,
        &["user", "import", roster.to_str().expect("utf-8")],
    );
    assert!(printed.starts_with("created 2 users\nwu\t"), "{printed}");
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("zheng\t"))
        .expect("zheng's password");
    let (_, answer) = Client::login_with(
        &w.server.base,
        &json!({ "login": "zheng", "password": password, "device_name": "t" }),
    );
    assert_eq!(
        answer["user"]["properties"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(answer["must_change_password"], true, "{answer}");

    // One user added on the command line changes the password they were
    // given too, unless it is their own.
    for (login, own) in [("feng", false), ("chen", true)] {
        let mut args = vec![
            "user",
            "add",
            "--login",
            login,
            "--name",
            "冯三",
            "--role",
            "staff",
            "--password",
            "given-Pass-123",
            "--property",
            "PA",
        ];
        if own {
            args.push("--own-password");
        }
        common::cli(&w.server.data, &args);
        let (_, answer) = Client::login_with(
            &w.server.base,
            &json!({ "login": login, "password": "given-Pass-123", "device_name": "t" }),
        );
        assert_eq!(answer["must_change_password"], !own, "{login}: {answer}");
    }

    // The administrator who forgot their password is given a new one on
    // the command line, changed at their next login; their sessions end.
    let (admin, _) = w.login("admin");
    let printed = common::cli(&w.server.data, &["user", "password", "--login", "admin"]);
    let given = printed
        .lines()
        .find_map(|l| l.strip_prefix("new password for admin: "))
        .unwrap_or_else(|| panic!("{printed}"));
    let (status, _) = admin.get("/api/v1/admin/users");
    assert_eq!(status, 401, "the old session ended");
    let (_, answer) = Client::login_with(
        &w.server.base,
        &json!({ "login": "admin", "password": given, "device_name": "t" }),
    );
    assert_eq!(answer["must_change_password"], true, "{answer}");
    let refused = common::cli_refused(&w.server.data, &["user", "password", "--login", "nobody"]);
    assert!(refused.contains("no user nobody"), "{refused}");
}

/// A retired property is given to no new user, by the form, an import or
/// a correction; a user in it when it was retired stays in it.
#[test]
fn a_retired_property_is_given_to_no_new_user() {
    let w = world();
    let (admin, _) = w.login("admin");
    let mut pb = w.pb().clone();
    pb.retired = true;
    let (s, body) = admin.post(
        "/api/v1/admin/properties",
        &serde_json::to_value(&pb).expect("a property"),
    );
    assert_eq!(s, 204, "{body}");
    let new = json!({ "login": "ma", "display_name": "马", "role": "staff",
                      "password": "long-enough-1", "properties": [pb.id] });
    let (s, body) = admin.post("/api/v1/admin/users", &new);
    assert_eq!((s, code(&body)), (400, "admin.retired_property"), "{body}");
    let (s, body) = admin.post("/api/v1/admin/users/import", &json!({ "users": [new] }));
    assert_eq!((s, code(&body)), (400, "admin.retired_property"), "{body}");

    let (_, b) = w.login("staff_b");
    let (s, body) = admin.put(
        &format!("/api/v1/admin/users/{}", b.user),
        &json!({ "display_name": "白敏", "role": "staff", "properties": [pb.id] }),
    );
    assert_eq!(s, 200, "staff_b stays in it: {body}");
    let (_, a) = w.login("staff_a");
    let (s, body) = admin.put(
        &format!("/api/v1/admin/users/{}", a.user),
        &json!({ "display_name": "staff_a", "role": "staff", "properties": [w.pa().id, pb.id] }),
    );
    assert_eq!((s, code(&body)), (400, "admin.retired_property"), "{body}");
}

#[test]
fn the_command_line_says_why_it_refuses() {
    let w = world();
    let stderr = common::cli_refused(
        &w.server.data,
        &[
            "property",
            "add",
            "--code",
            "华苑",
            "--name",
            "华苑小区",
            "--households",
            "480",
        ],
    );
    assert!(
        stderr.contains("admin.bad_property_code: a property code is 1–8 ASCII letters or digits")
            && !stderr.contains("ApiError"),
        "{stderr}"
    );
}

/// A query as a browser sends it in a URL.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn full_width_and_any_letter_case_find_what_the_tablet_finds() {
    let mut w = world();
    let (staff, mut a) = w.login("staff_a");
    let reg = a.register_at(
        w.pa(),
        shared::case::CaseKind::Complaint,
        chrono::Utc::now(),
        |r| {
            r.content = "Ａ栋电梯ＥＲＲ故障".into();
            r.complainant.name = "Émile ZOË".into();
        },
    );
    let (s, body) = staff.post("/api/v1/sync/push", &push_body(a.device, &[reg]));
    assert_eq!(s, 200, "{body}");
    let found = |c: &Client, typed: &str| -> u64 {
        let (s, page) = c.get(&format!("/api/v1/cases?q={}", percent_encoded(typed)));
        assert_eq!(s, 200, "{page}");
        page["total"].as_u64().unwrap()
    };
    // What the tablet's own search finds (`shared::search`), on each engine.
    let typed = [
        "a栋",
        "ｅｒｒ",
        "émile",
        "ÉMILE",
        "ｚｏë",
        // A name is found whatever its spaces.
        "émilezoë",
        "１３９ １２３４ ５６７８",
    ];
    for q in typed {
        assert_eq!(found(&staff, q), 1, "{q}");
    }
    let (head, _) = w.login("head_a");
    assert_eq!(
        found(&head, "émile"),
        0,
        "the name is searched only where it is seen"
    );

    // The database as the build before the folded name left it: the
    // search text lowercased with full width kept, no folded name. The
    // upgrade's migration folds both.
    w.server.kill();
    let data = w.fx.data.path();
    let unfolded = "UPDATE cases SET search = replace(search, 'a栋电梯err', 'ａ栋电梯ｅｒｒ')";
    assert_eq!(common::update(data, unfolded, &[]), 1);
    let older = match common::database_of(data) {
        Some(_) => "DELETE FROM schema_migrations WHERE version >= 4",
        None => "PRAGMA user_version = 13",
    };
    common::update(data, "ALTER TABLE cases DROP COLUMN search_name", &[]);
    // What the migrations after it made.
    common::update(data, "DROP TABLE login_limits", &[]);
    common::update(data, "DROP TABLE user_former_properties", &[]);
    common::update(data, "DROP INDEX IF EXISTS case_deadlines_figures", &[]);
    common::update(
        data,
        "ALTER TABLE case_deadlines DROP COLUMN taken_unmet",
        &[],
    );
    common::update(data, "ALTER TABLE cases DROP COLUMN search_numbers", &[]);
    common::update(data, "ALTER TABLE device_users DROP COLUMN record_key", &[]);
    // Migration 20 made `cases_figures` again with the column it adds.
    common::update(data, "DROP INDEX IF EXISTS cases_figures", &[]);
    common::update(data, "ALTER TABLE cases DROP COLUMN unknown_clocks", &[]);
    for index in [
        "audit_action_at",
        "audit_action_user",
        "tokens_expires",
        "tokens_user",
        "tokens_device",
    ] {
        common::update(data, &format!("DROP INDEX {index}"), &[]);
    }
    common::update(data, older, &[]);
    w.server = common::Server::start(data);
    let staff = Client::login(&w.server.base, "staff_a").0;
    for q in typed {
        assert_eq!(found(&staff, q), 1, "{q} after the upgrade");
    }
}

/// An address as staff write it in short (`1-101`, `1栋101`, `1#102`)
/// finds the case at that unit in the server's list, as on the tablet
/// (`shared::search::place`), and not its neighbour's.
#[test]
fn a_case_is_found_by_its_address_in_short() {
    let w = world();
    let (staff, mut s) = w.login("staff_a");
    let building = w.pa().buildings[0].clone();
    let at = |unit: usize| shared::property::Location::Unit {
        building: building.id,
        unit: building.units[unit].id,
    };
    let mut register = |unit: usize| {
        s.register_at(
            w.pa(),
            shared::case::CaseKind::Complaint,
            chrono::Utc::now(),
            |r| r.location = at(unit),
        )
    };
    let (first, second) = (register(0), register(1));
    let (status, body) = staff.post(
        "/api/v1/sync/push",
        &push_body(s.device, &[first.clone(), second.clone()]),
    );
    assert_eq!(status, 200, "{body}");
    assert!(common::quarantined_codes(&body).is_empty(), "{body}");
    let found = |q: &str| list_ids(&staff, &format!("?q={q}"));
    let (first, second) = (first.case_id.to_string(), second.case_id.to_string());
    for typed in ["1-101", "1栋101", "1号楼101室"] {
        assert_eq!(found(typed), [first.as_str()], "{typed}");
    }
    assert_eq!(found("1%23102"), [second.as_str()]);
}

/// The ids of the cases `c`'s list shows for the query string `q`
/// (`""`, or `?q=…&…`), in order.
fn list_ids(c: &Client, q: &str) -> Vec<String> {
    let (s, page) = c.get(&format!("/api/v1/cases{q}"));
    assert_eq!(s, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}
