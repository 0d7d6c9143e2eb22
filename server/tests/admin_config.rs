//! The admin's configuration API over real HTTP: settings, categories and
//! the holiday calendar round-trip and reach devices through pull; the
//! quarantine list's re-apply and discard; the audit log; retention
//! deletion.

mod common;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use common::{Author, Client, Fixture, Server, World, code, push_body, world};
use serde_json::{Value, json};
use server::store::AuditEntry;
use shared::calendar::Calendar;
use shared::case::{AttachmentKind, CaseKind, Severity};
use shared::id::CaseId;
use shared::op::{Action, Op};

/// The config items of a full pull, by type.
fn pulled_config(c: &Client) -> Vec<Value> {
    let (status, page) = c.get("/api/v1/sync/pull?after=0&limit=5000");
    assert_eq!(status, 200, "{page}");
    page["config"].as_array().cloned().unwrap_or_default()
}

fn config_item(items: &[Value], kind: &str) -> Value {
    items
        .iter()
        .find(|i| i["type"] == kind)
        .map(|i| i["value"].clone())
        .unwrap_or_else(|| panic!("no {kind} in the pull"))
}

fn audit_actions(admin: &Client) -> Vec<String> {
    let (status, log) = admin.get("/api/v1/admin/audit?limit=100");
    assert_eq!(status, 200, "{log}");
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["action"].as_str().unwrap_or("").starts_with("auth."))
        // The fixture's users and properties, made with the command line.
        .filter(|e| e["address"] != "command line")
        .map(|e| {
            assert_eq!(e["login"], "admin", "{e}");
            assert!(e["address"].is_string() && e["device"].is_string());
            // Named as the devices list names it, by its number.
            assert!(e["device_number"].is_u64(), "{e}");
            e["action"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn settings_and_categories_round_trip_and_reach_devices() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");
    let (quality, _) = w.login("quality");

    let (status, mut settings) = admin.get("/api/v1/admin/settings");
    assert_eq!(status, 200);
    assert_eq!(settings["satisfied_min"], 4);
    assert_eq!(settings["deadlines"]["transfer"], json!({"hours": 1}));
    for path in [
        "/api/v1/admin/settings",
        "/api/v1/admin/categories",
        "/api/v1/admin/audit",
        "/api/v1/admin/audit?limit=all",
        "/api/v1/admin/quarantine?after=yesterday",
    ] {
        let (status, body) = quality.get(path);
        assert_eq!((status, code(&body)), (403, "auth.forbidden"), "{path}");
    }

    settings["satisfied_min"] = json!(5);
    settings["follow_up_target_percent"] = json!(95);
    settings["deadlines"]["transfer"] = json!({"hours": 2});
    let (status, saved) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(admin.get("/api/v1/admin/settings").1, saved);
    // As sent, with the rules the change replaced.
    let mut sent = saved.clone();
    sent["earlier_rules"] = json!([]);
    assert_eq!(sent, settings);
    assert_eq!(
        saved["earlier_rules"][0]["deadlines"]["transfer"],
        json!({"hours": 1})
    );
    let pulled = config_item(&pulled_config(&staff), "settings");
    assert_eq!(pulled["deadlines"]["transfer"], json!({"hours": 2}));
    assert_eq!(pulled["follow_up_target_percent"], 95);
    // The statistics use the new targets at once.
    let (_, stats) = quality.get("/api/v1/stats");
    assert_eq!(stats["satisfaction"]["satisfied_min"], 5);
    assert_eq!(stats["follow_up"]["target_percent"], 95);

    let mut bad = settings.clone();
    bad["reopen_max"] = json!(5);
    let (status, body) = admin.put("/api/v1/admin/settings", &bad);
    assert_eq!(
        (status, code(&body)),
        (400, "settings.satisfaction_overlap")
    );
    let mut zero = settings.clone();
    zero["deadlines"]["transfer"] = json!({"hours": 0});
    let (status, body) = admin.put("/api/v1/admin/settings", &zero);
    assert_eq!(
        (status, code(&body)),
        (400, "settings.deadline_out_of_range")
    );
    // Records are kept at least a year (the regulation); 0 would let an
    // admin delete a case the day it closes.
    let mut forever = settings.clone();
    forever["retention_years"] = json!(0);
    let (status, body) = admin.put("/api/v1/admin/settings", &forever);
    assert_eq!(
        (status, code(&body)),
        (400, "settings.retention_out_of_range")
    );
    let mut typo = settings.clone();
    typo["satisfied_minimum"] = json!(3);
    let (status, body) = admin.put("/api/v1/admin/settings", &typo);
    assert_eq!((status, code(&body)), (400, "settings.unknown_field"));
    let (status, body) = quality.put("/api/v1/admin/settings", &settings);
    assert_eq!((status, code(&body)), (403, "auth.forbidden"));

    // Categories: a case uses `noise`.
    let reg = author.register(&w.fx.pa, "楼上噪音");
    let (status, _) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200);
    let (status, categories) = admin.get("/api/v1/admin/categories");
    assert_eq!(status, 200);
    let mut list = categories.as_array().cloned().unwrap();
    assert_eq!(list.len(), 13);
    list.retain(|c| c["code"] != "fees");
    for c in &mut list {
        if c["code"] == "noise" {
            c["active"] = json!(false);
        }
        if c["code"] == "parking" {
            c["name_zh"] = json!("停车管理");
        }
    }
    list.push(json!({"code": "pets", "name_zh": "宠物", "name_en": "Pets", "active": true}));
    let (status, saved) = admin.put("/api/v1/admin/categories", &json!(list));
    assert_eq!(status, 200, "{saved}");
    let (_, now) = admin.get("/api/v1/admin/categories");
    assert_eq!(now, saved);
    let codes: Vec<&str> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"pets") && codes.contains(&"noise") && !codes.contains(&"fees"));
    let pulled = config_item(&pulled_config(&staff), "categories");
    assert_eq!(pulled, now, "devices get the new list");

    let without_noise: Vec<Value> = list
        .iter()
        .filter(|c| c["code"] != "noise")
        .cloned()
        .collect();
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(without_noise));
    assert_eq!((status, code(&body)), (409, "categories.code_in_use"));
    let mut twice = list.clone();
    twice.push(list[0].clone());
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(twice));
    assert_eq!((status, code(&body)), (400, "categories.duplicate_code"));
    let mut unnamed = list.clone();
    unnamed[0]["name_zh"] = json!(" ");
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(unnamed));
    assert_eq!((status, code(&body)), (400, "categories.missing_name"));
    let mut long = list.clone();
    long[0]["name_en"] = json!("x".repeat(41));
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(long));
    assert_eq!((status, code(&body)), (400, "categories.long_name"));
    let mut many = list.clone();
    for n in 0..200 {
        many.push(json!({"code": format!("extra_{n}"), "name_zh": "其他", "name_en": "Other", "active": false}));
    }
    let (status, body) = admin.put("/api/v1/admin/categories", &json!(many));
    assert_eq!((status, code(&body)), (400, "categories.too_many"));

    let actions = audit_actions(&admin);
    assert_eq!(actions.iter().filter(|a| *a == "settings.put").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "categories.put").count(), 1);
    let (_, log) = admin.get("/api/v1/admin/audit?limit=100");
    let put = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "settings.put")
        .unwrap();
    assert_eq!(put["detail"]["old"]["satisfied_min"], 4);
    assert_eq!(put["detail"]["new"]["satisfied_min"], 5);
    let put = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "categories.put")
        .unwrap();
    let has = |list: &Value, code: &str| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|c| c["code"] == code))
    };
    assert!(
        has(&put["detail"]["old"], "fees") && !has(&put["detail"]["new"], "fees"),
        "{put}"
    );
    assert!(has(&put["detail"]["new"], "pets"), "{put}");
    // Paging: the record before the newest.
    let newest = log[0]["id"].as_i64().unwrap();
    let (_, older) = admin.get(&format!("/api/v1/admin/audit?limit=1&before={newest}"));
    assert_eq!(older[0]["id"], log[1]["id"]);
}

/// The due time of `clock` on the case as the server stores it.
fn stored_due(reader: &Client, case: CaseId, clock: &str) -> Option<String> {
    let (status, case) = reader.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(status, 200, "{case}");
    case["deadlines"]
        .as_array()?
        .iter()
        .find(|d| d["clock"] == clock)
        .and_then(|d| d["due_at"].as_str().map(String::from))
}

/// A change of the settings judges what is done after it and leaves what
/// was done before as it was judged (`shared/src/settings/rules.rs`): a
/// case closed after a callback scored 3 stays closed when 3 comes to
/// reopen, and a clock keeps the rule it started under, even when the
/// server folds the case whole again under the new settings.
#[test]
fn a_change_of_the_settings_judges_what_is_done_after_it_and_leaves_the_rest() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (manager, mut a) = w.login("manager_a");
    let (quality, _) = w.login("quality");
    let pa = w.fx.pa.clone();
    let t0 = Utc::now() - Duration::days(10);
    let mut actions = work(CaseKind::Complaint, Severity::General);
    for action in &mut actions {
        if let Action::FollowUp { satisfaction, .. } = action {
            *satisfaction = 3;
        }
    }
    let reg = a.register_at(&pa, CaseKind::Complaint, t0, |_| {});
    let closed = reg.case_id;
    let mut ops = vec![reg];
    ops.extend(ops_of(&mut a, closed, t0, actions));
    let reg = a.register_at(&pa, CaseKind::Complaint, t0, |_| {});
    let open = reg.case_id;
    ops.push(reg);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]));
    let (_, case) = quality.get(&format!("/api/v1/cases/{closed}"));
    assert_eq!(case["state"], "closed", "{case}");
    let promised = stored_due(&quality, open, "solution").expect("a solution clock");

    let (_, mut settings) = admin.get("/api/v1/admin/settings");
    assert_eq!(settings["earlier_rules"], json!([]));
    settings["reopen_max"] = json!(3);
    settings["deadlines"]["solution"] = json!({"working_days": 5});
    let (status, saved) = admin.put("/api/v1/admin/settings", &settings);
    assert_eq!(status, 200, "{saved}");
    let earlier = saved["earlier_rules"]
        .as_array()
        .expect("the replaced rules");
    assert_eq!(earlier.len(), 1, "{saved}");
    assert_eq!(earlier[0]["reopen_max"], 2);
    assert_eq!(
        earlier[0]["deadlines"]["solution"],
        json!({"working_days": 3})
    );
    // A client cannot write the history: a save that changes no rule
    // keeps the server's.
    let mut forged = saved.clone();
    forged["earlier_rules"] = json!([]);
    forged["retention_years"] = json!(3);
    let (status, again) = admin.put("/api/v1/admin/settings", &forged);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["earlier_rules"], saved["earlier_rules"]);

    // A note on each case after the change: the server folds each whole
    // under the new settings (or has already, in the background).
    let notes: Vec<Op> = [closed, open]
        .into_iter()
        .map(|id| {
            a.op(
                id,
                None,
                Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: "回访后再次联系".into(),
                },
            )
        })
        .collect();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &notes));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]));
    let (_, case) = quality.get(&format!("/api/v1/cases/{closed}"));
    assert_eq!(case["state"], "closed", "{case}");
    // Only the note breaks a rule (a closed case takes none); the
    // callback and the closing stand.
    let broken: Vec<&Value> = case["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| &v["action"])
        .collect();
    assert_eq!(broken, [&json!("note")], "{case}");
    assert_eq!(
        stored_due(&quality, open, "solution").as_deref(),
        Some(promised.as_str())
    );

    // A complaint registered after the change gets the new rule.
    let reg = a.register(&pa, "电梯异响");
    let (case, received) = (reg.case_id, reg.at);
    let (status, _) = manager.post("/api/v1/sync/push", &push_body(a.device, &[reg]));
    assert_eq!(status, 200);
    let expected = shared::deadline::due_at(
        received,
        shared::deadline::DeadlineRule::WorkingDays(5),
        chrono_tz::Asia::Shanghai,
        &Calendar::with_builtin(),
    )
    .expect("the calendar covers the next days");
    let due = stored_due(&quality, case, "solution").expect("a solution clock");
    assert_eq!(
        due.parse::<DateTime<Utc>>().expect("a time"),
        expected,
        "{due}"
    );
}

/// Head office finds a case by its place's current name: renaming a
/// building reaches the search text of the cases already stored there.
#[test]
fn a_renamed_building_finds_its_cases_by_the_new_name() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");
    let (quality, _) = w.login("quality");
    let mut property = w.fx.pa.clone();
    let building = shared::id::BuildingId(uuid::Uuid::now_v7());
    property.buildings.push(shared::property::Building {
        id: building,
        name: "9栋".into(),
        units: Vec::new(),
    });
    let put = |p: &shared::property::Property| {
        let (status, body) = admin.post(
            "/api/v1/admin/properties",
            &serde_json::to_value(p).unwrap(),
        );
        assert_eq!(status, 204, "{body}");
    };
    put(&property);
    let reg = author.register_at(&property, CaseKind::Repair, Utc::now(), |r| {
        r.location = shared::property::Location::Building { building };
    });
    let (status, _) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200);
    let found = |q: &str| -> usize {
        let (status, page) = quality.get(&format!("/api/v1/cases?q={q}"));
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().map_or(0, Vec::len)
    };
    assert_eq!((found("9栋"), found("9号楼")), (1, 0));

    property.buildings.last_mut().unwrap().name = "9号楼".into();
    let households = property.households;
    property.households = 100;
    put(&property);
    // The audit says who changed the households, and from what.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=1");
    let detail = &log[0]["detail"];
    assert_eq!(log[0]["action"], "property.put", "{log}");
    assert_eq!(
        (&detail["old"]["households"], &detail["new"]["households"]),
        (&json!(households), &json!(100)),
        "{detail}"
    );
    assert_eq!(detail["new"]["buildings"], json!(property.buildings.len()));
    // Folded again in the background, a few cases a transaction.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while found("9号楼") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!((found("9栋"), found("9号楼")), (0, 1));
}

/// The `ETag` a read of `path` answers with, and what it read.
fn tagged(admin: &Client, path: &str) -> (String, Value) {
    let (status, mut headers, body) = admin.get_with_headers(path, &["etag"]);
    assert_eq!(status, 200, "{body}");
    (headers.remove(0).expect("an ETag"), body)
}

#[test]
fn a_save_from_an_older_copy_is_refused_instead_of_undoing_another_admins_change() {
    let w = world();
    let (one, _) = w.login("admin");
    let (other, _) = w.login("admin");
    let property_of = |list: &Value| -> shared::property::Property {
        let found = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == json!(w.fx.pa.id))
            .expect("PA in the list");
        serde_json::from_value(found.clone()).unwrap()
    };
    let with_building = |mut p: shared::property::Property, name: &str| {
        p.buildings.push(shared::property::Building {
            id: shared::id::BuildingId(uuid::Uuid::now_v7()),
            name: name.into(),
            units: Vec::new(),
        });
        serde_json::to_value(p).unwrap()
    };
    let names = || -> Vec<String> {
        let (_, list) = tagged(&one, "/api/v1/admin/properties");
        property_of(&list)
            .buildings
            .into_iter()
            .map(|b| b.name)
            .collect()
    };

    // Both read the properties; the other adds a building first.
    let (tag, list) = tagged(&one, "/api/v1/admin/properties");
    let (other_tag, other_list) = tagged(&other, "/api/v1/admin/properties");
    assert_eq!(tag, other_tag);
    let path = "/api/v1/admin/properties";
    let eight = with_building(property_of(&other_list), "8栋");
    let (status, saved_tag, body) = other.send_if_match("POST", path, &eight, &other_tag);
    assert_eq!(status, 204, "{body}");
    // The save answers the revision it made, the one a read now gives.
    let saved_tag = saved_tag.expect("the saved revision");
    assert_ne!(saved_tag, tag);
    assert_eq!(tagged(&other, "/api/v1/admin/properties").0, saved_tag);
    // Sent again with the tag it was made from (its answer lost), the
    // same save is done, not refused as a change made meanwhile.
    let (status, again_tag, body) = other.send_if_match("POST", path, &eight, &other_tag);
    assert_eq!(
        (status, again_tag),
        (204, Some(saved_tag.clone())),
        "{body}"
    );
    // The first one's copy lacks it: saved, it would remove it.
    let (status, _, body) = one.send_if_match(
        "POST",
        path,
        &with_building(property_of(&list), "9栋"),
        &tag,
    );
    assert_eq!(
        (status, code(&body)),
        (412, "admin.changed_meanwhile"),
        "{body}"
    );
    assert!(names().contains(&"8栋".to_string()));
    assert!(!names().contains(&"9栋".to_string()));
    // Read again, the change goes in beside the other's.
    let (tag, list) = tagged(&one, "/api/v1/admin/properties");
    let (status, _, body) = one.send_if_match(
        "POST",
        path,
        &with_building(property_of(&list), "9栋"),
        &tag,
    );
    assert_eq!(status, 204, "{body}");
    assert!(names().contains(&"8栋".to_string()) && names().contains(&"9栋".to_string()));

    // The settings and the categories, whose saves answer the new tag.
    for (path, edit) in [
        (
            "/api/v1/admin/settings",
            (|v: &mut Value| v["reopen_max"] = json!(3)) as fn(&mut Value),
        ),
        ("/api/v1/admin/categories", |v: &mut Value| {
            v[0]["name_en"] = json!("Renamed")
        }),
    ] {
        let (tag, mut read) = tagged(&one, path);
        let (_, stale) = tagged(&other, path);
        edit(&mut read);
        let (status, new_tag, saved) = one.send_if_match("PUT", path, &read, &tag);
        assert_eq!(status, 200, "{path}: {saved}");
        let new_tag = new_tag.expect("the saved revision");
        assert_ne!(new_tag, tag);
        let (status, again_tag, body) = one.send_if_match("PUT", path, &read, &tag);
        assert_eq!(
            (status, again_tag),
            (200, Some(new_tag.clone())),
            "{path}: {body}"
        );
        let (status, _, body) = other.send_if_match("PUT", path, &stale, &tag);
        assert_eq!(
            (status, code(&body)),
            (412, "admin.changed_meanwhile"),
            "{path}: {body}"
        );
        // As saved (the settings with the rules they replaced).
        assert_eq!(tagged(&one, path), (new_tag.clone(), saved), "{path}");
        // The tag a save answered is the one to save with next.
        let (status, _, body) = one.send_if_match("PUT", path, &read, &new_tag);
        assert_eq!(status, 200, "{path}: {body}");
        // A tag that is not one is refused; none at all replaces (scripts).
        let (status, _, body) = one.send_if_match("PUT", path, &read, "12");
        assert_eq!(
            (status, code(&body)),
            (400, "request.bad_if_match"),
            "{path}: {body}"
        );
        let (status, body) = one.put(path, &read);
        assert_eq!(status, 200, "{path}: {body}");
    }
}

#[test]
fn a_building_or_unit_with_cases_cannot_be_removed_but_can_be_renamed() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");
    let mut property = w.fx.pa.clone();
    let building = shared::id::BuildingId(uuid::Uuid::now_v7());
    let unit = |name: &str| shared::property::Unit {
        id: shared::id::UnitId(uuid::Uuid::now_v7()),
        name: name.into(),
    };
    let (used, spare) = (unit("101"), unit("102"));
    property.buildings.push(shared::property::Building {
        id: building,
        name: "9栋".into(),
        units: vec![used.clone(), spare.clone()],
    });
    let put = |p: &shared::property::Property| {
        admin.post(
            "/api/v1/admin/properties",
            &serde_json::to_value(p).unwrap(),
        )
    };
    assert_eq!(put(&property).0, 204);
    let reg = author.register_at(&property, CaseKind::Repair, Utc::now(), |r| {
        r.location = shared::property::Location::Unit {
            building,
            unit: used.id,
        };
    });
    let (status, _) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200);

    let mut without = property.clone();
    without
        .buildings
        .last_mut()
        .unwrap()
        .units
        .retain(|u| u.id != used.id);
    let (status, body) = put(&without);
    assert_eq!((status, code(&body)), (409, "admin.place_in_use"), "{body}");
    let mut without = property.clone();
    without.buildings.pop();
    let (status, body) = put(&without);
    assert_eq!((status, code(&body)), (409, "admin.place_in_use"), "{body}");
    // A unit moved to another building loses its place too.
    let mut moved = property.clone();
    moved
        .buildings
        .last_mut()
        .unwrap()
        .units
        .retain(|u| u.id != used.id);
    moved.buildings[0].units.push(used.clone());
    let (status, body) = put(&moved);
    assert_eq!((status, code(&body)), (409, "admin.place_in_use"), "{body}");
    // Nor does its code change: registration numbers carry it.
    let mut recoded = property.clone();
    recoded.code = "ZZ".into();
    let (status, body) = put(&recoded);
    assert_eq!(
        (status, code(&body)),
        (409, "admin.property_code_fixed"),
        "{body}"
    );

    // A unit without cases goes; a used one is renamed. A tablet had
    // registered a case in the one that goes, offline, before it heard.
    let offline = author.register_at(&property, CaseKind::Repair, Utc::now(), |r| {
        r.location = shared::property::Location::Unit {
            building,
            unit: spare.id,
        };
    });
    let mut changed = property.clone();
    let last = changed.buildings.last_mut().unwrap();
    last.units.retain(|u| u.id != spare.id);
    last.units[0].name = "101室".into();
    last.name = "9号楼".into();
    let (status, body) = put(&changed);
    assert_eq!(status, 204, "{body}");
    let (_, list) = admin.get("/api/v1/admin/properties");
    let stored: Vec<shared::property::Property> = serde_json::from_value(list).unwrap();
    let stored = stored.iter().find(|p| p.id == property.id).unwrap();
    assert_eq!(stored.buildings, changed.buildings);
    // The unit that went is kept as removed, offered for no new case...
    assert_eq!(
        stored.removed,
        [shared::property::Building {
            id: building,
            name: "9栋".into(),
            units: vec![spare.clone()],
        }]
    );
    // ...and the case registered there before is taken (it was set aside,
    // and re-applying it could never work).
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[offline]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");

    // A building whose cases are its own (the lift), once one of its units
    // was removed, is still refused removal: the unit kept as removed is
    // not the building kept.
    let mut with_lift = stored.clone();
    let lift = shared::id::BuildingId(uuid::Uuid::now_v7());
    with_lift.buildings.push(shared::property::Building {
        id: lift,
        name: "10栋".into(),
        units: vec![unit("201")],
    });
    assert_eq!(put(&with_lift).0, 204);
    let case = author.register_at(&with_lift, CaseKind::Repair, Utc::now(), |r| {
        r.location = shared::property::Location::Building { building: lift };
    });
    let (_, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[case]));
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let mut no_unit = with_lift.clone();
    no_unit.buildings.last_mut().unwrap().units.clear();
    assert_eq!(put(&no_unit).0, 204);
    let (_, list) = admin.get("/api/v1/admin/properties");
    let stored: Vec<shared::property::Property> = serde_json::from_value(list).unwrap();
    let mut no_building = stored.into_iter().find(|p| p.id == property.id).unwrap();
    no_building.buildings.retain(|b| b.id != lift);
    let (status, body) = put(&no_building);
    assert_eq!((status, code(&body)), (409, "admin.place_in_use"), "{body}");
}

fn schedule(year: i32, rest: &[&str], work: &[&str]) -> Value {
    json!({"year": year, "rest_days": rest, "workdays": work, "source": "国办发明电〔2026〕1号"})
}

/// A schedule of `year` with only the holidays of a fixed date as rest days
/// (`shared::calendar::FIXED_HOLIDAYS`), the least the server takes.
fn fixed_dates_only(year: i32) -> Value {
    let rest: Vec<String> = shared::calendar::FIXED_HOLIDAYS
        .iter()
        .map(|(_, month, day)| format!("{year}-{month:02}-{day:02}"))
        .collect();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    schedule(year, &rest, &[])
}

#[test]
fn calendar_is_previewed_before_it_is_applied() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, _) = w.login("staff_a");

    // 2027-02-06 is a Saturday, listed as a make-up workday; dates come back sorted.
    let good = schedule(
        2027,
        &["2027-02-08", "2027-10-01", "2027-01-01", "2027-02-09"],
        &["2027-02-06"],
    );
    let (status, preview) = admin.post("/api/v1/admin/calendar/preview", &good);
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        preview["rest_days"],
        json!(["2027-01-01", "2027-02-08", "2027-02-09", "2027-10-01"])
    );
    assert_eq!(preview["workdays"], json!(["2027-02-06"]));
    assert_eq!(preview["replaces"], false);
    assert_eq!(preview["loaded_years"], json!([2025, 2026]));
    assert_eq!(preview["error"], Value::Null);
    // Nothing was saved by the preview.
    let calendar = config_item(&pulled_config(&staff), "calendar");
    assert_eq!(calendar["years"].as_array().map(Vec::len), Some(2));

    // Invalid years: a date of another year; a weekday as a make-up workday.
    for (bad, want) in [
        (
            schedule(2027, &["2026-12-31"], &[]),
            "calendar.date_outside_year",
        ),
        (
            schedule(2027, &["2027-01-01"], &["2027-02-08"]),
            "calendar.workday_not_weekend",
        ),
        (
            schedule(2027, &["2027-01-01", "2027-01-01"], &[]),
            "calendar.duplicate_rest_day",
        ),
        // No holidays at all: 1 January, a Friday, would be worked.
        (schedule(2027, &[], &[]), "calendar.statutory_day_at_work"),
        // National Day's Friday left out.
        (
            schedule(2027, &["2027-01-01"], &[]),
            "calendar.statutory_day_at_work",
        ),
    ] {
        let (status, preview) = admin.post("/api/v1/admin/calendar/preview", &bad);
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["error"]["code"], want, "{preview}");
        assert!(
            preview["error"]["message_zh"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        let (status, body) = admin.post("/api/v1/admin/calendar", &bad);
        assert_eq!((status, code(&body)), (400, want));
    }
    let (status, body) = admin.post("/api/v1/admin/calendar/preview", &json!({"year": "next"}));
    assert_eq!(status, 422, "{body}");
    let (status, _) = staff.post("/api/v1/admin/calendar/preview", &good);
    assert_eq!(status, 403);

    let (status, applied) = admin.post("/api/v1/admin/calendar", &good);
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["loaded_years"], json!([2025, 2026, 2027]));
    let calendar = config_item(&pulled_config(&staff), "calendar");
    let years: Vec<i64> = calendar["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2025, 2026, 2027], "devices get the new year");
    let (_, again) = admin.post("/api/v1/admin/calendar/preview", &good);
    assert_eq!(again["replaces"], true);
    assert!(audit_actions(&admin).contains(&"calendar.put".to_string()));
}

/// `server calendar import` brings the stored cases up to the new
/// calendar at once, as the admin API does, even while a server runs: a
/// case whose clock needed a year not loaded gets its due time.
#[test]
fn a_calendar_imported_on_the_command_line_reaches_stored_cases() {
    let fx = Fixture::new();
    let data = fx.data.path().to_path_buf();
    // The admin has loaded neither this year nor the next.
    let year = common::local_date(Utc::now()).year();
    let store = common::open_store(&data);
    let loaded = store.config().expect("config").calendar;
    let mut older = Calendar::new();
    for y in loaded.years().filter(|y| *y < year) {
        let schedule = loaded.schedule(y).cloned().expect("a loaded year");
        older.insert(schedule).expect("a loaded year is valid");
    }
    let audit = AuditEntry::unattended("calendar.put", "test", Value::Null);
    store
        .put_calendar(&older, None, &audit)
        .expect("put the calendar");
    drop(store);
    let w = World {
        server: Server::start(&data),
        fx,
    };
    let (staff, mut author) = w.login("staff_a");
    let (quality, _) = w.login("quality");
    let reg = author.register(&w.fx.pa, "年底的噪音投诉");
    let case = reg.case_id;
    let (status, _) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200);
    assert_eq!(
        stored_due(&quality, case, "solution"),
        None,
        "no calendar yet"
    );
    // Neither on time nor late, and not forgotten: counted apart.
    let (solution, all) = unknown_clocks(&quality);
    assert_eq!(solution, 1);
    assert!(all >= solution, "{all}");

    // A file whose second year is refused imports nothing, and says so
    // (it said its first year was imported).
    let file = data.join("broken.json");
    let years = json!([fixed_dates_only(year), schedule(year + 1, &[], &[])]);
    std::fs::write(&file, years.to_string()).expect("write the schedules");
    let refused = common::cli_refused(
        &data,
        &["calendar", "import", file.to_str().expect("utf-8")],
    );
    assert!(refused.contains("nothing was imported"), "{refused}");
    assert_eq!(stored_due(&quality, case, "solution"), None);

    let file = data.join("years.json");
    let years = json!([fixed_dates_only(year), fixed_dates_only(year + 1)]);
    std::fs::write(&file, years.to_string()).expect("write the schedules");
    common::cli(
        &data,
        &["calendar", "import", file.to_str().expect("utf-8")],
    );
    assert!(
        stored_due(&quality, case, "solution").is_some(),
        "the import folded the case again"
    );
    assert_eq!(unknown_clocks(&quality), (0, 0));
}

/// How many clocks of this year's statistics have no due time: solution
/// clocks, and all.
fn unknown_clocks(reader: &Client) -> (u64, u64) {
    let today = common::local_date(Utc::now());
    let (status, stats) = reader.get(&format!("/api/v1/stats?period=year&from={today}"));
    assert_eq!(status, 200, "{stats}");
    let solution = stats["on_time"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["clock"] == "solution"))
        .unwrap_or_else(|| panic!("no solution clock in {stats}"));
    let count = |c: &Value| c["unknown"].as_u64().expect("a count");
    (count(solution), count(&stats["on_time_overall"]))
}

/// The admin deciding on a quarantined op knows which tablet sent it and
/// which case it is about by the numbers staff use, not by an id.
#[test]
fn a_quarantined_op_names_its_tablet_and_case() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");
    let reg = author.register(w.pa(), "电梯异响");
    let case = reg.case_id;
    let (status, _) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
    assert_eq!(status, 200);
    // An action staff never take.
    let assess = author.op(
        case,
        None,
        Action::Assess {
            severity: shared::case::Severity::General,
            urgent: false,
            validity: shared::case::Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        },
    );
    let (_, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[assess]));
    assert_eq!(
        common::quarantined_codes(&answer),
        ["sync.role_not_allowed"]
    );
    let (_, stored) = admin.get(&format!("/api/v1/cases/{case}"));
    let (_, devices) = admin.get("/api/v1/admin/devices");
    let device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == author.device.to_string())
        .cloned()
        .expect("the tablet");
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let entry = &list[0];
    assert_eq!(entry["reg_no"], stored["registration"]["reg_no"], "{entry}");
    assert_eq!(entry["device_number"], device["number"], "{entry}");
    assert_eq!(entry["device_name"], device["name"], "{entry}");
}

#[test]
fn quarantined_ops_are_reapplied_or_discarded_with_a_reason() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");

    // A registration in a category that does not exist yet, and a note for
    // a case nobody registered.
    let reg = pets_registration(&mut author, &w);
    let case = reg.case_id;
    let orphan = author.op(
        CaseId(uuid::Uuid::now_v7()),
        None,
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: "无主记录".into(),
        },
    );
    let (status, answer) = staff.post(
        "/api/v1/sync/push",
        &push_body(author.device, &[reg, orphan]),
    );
    assert_eq!(status, 200);
    assert_eq!(
        common::quarantined_codes(&answer),
        ["sync.invalid_registration", "sync.unknown_case"]
    );
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let list = list.as_array().cloned().unwrap();
    assert_eq!(list.len(), 2);
    // The registration is named by the number it carries; the orphan's
    // case is known to nobody.
    assert!(list[0]["reg_no"].is_string(), "{}", list[0]);
    assert_eq!(list[1]["reg_no"], Value::Null, "{}", list[1]);
    let (reg_entry, orphan_entry) = (
        list[0]["id"].as_i64().unwrap(),
        list[1]["id"].as_i64().unwrap(),
    );

    // Still refused: the category is missing. Nothing changes.
    let (status, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{reg_entry}/reapply"),
        &json!({}),
    );
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["outcome"], "refused");
    assert_eq!(outcome["code"], "sync.invalid_registration");
    assert_eq!(staff.get(&format!("/api/v1/cases/{case}")).0, 404);

    // The admin adds the category; now the op is accepted and the case exists.
    add_pets(&admin);
    let (status, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{reg_entry}/reapply"),
        &json!({}),
    );
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["outcome"], "accepted");
    assert_eq!(outcome["case_id"], case.to_string());
    let server_seq = outcome["server_seq"].as_i64().unwrap();
    let (status, folded) = staff.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(status, 200, "{folded}");
    assert_eq!(folded["registration"]["category"], "pets");
    // Devices pull it with its new sequence number.
    let (_, page) = staff.get(&format!("/api/v1/sync/pull?after={}", server_seq - 1));
    assert_eq!(page["ops"][0]["op"]["case_id"], case.to_string());
    let (status, record) = admin.get(&format!("/api/v1/admin/quarantine/{reg_entry}"));
    assert_eq!(status, 200);
    assert_eq!(record["resolution"], "reapplied");
    assert!(record["resolved_by"].is_string() && record["resolved_at"].is_string());
    let (status, body) = admin.post(
        &format!("/api/v1/admin/quarantine/{reg_entry}/reapply"),
        &json!({}),
    );
    assert_eq!((status, code(&body)), (409, "quarantine.resolved"));

    // The orphan note is discarded with a reason; it stays on record.
    let discard = format!("/api/v1/admin/quarantine/{orphan_entry}/discard");
    let (status, body) = admin.post(&discard, &json!({"reason": " "}));
    assert_eq!((status, code(&body)), (400, "quarantine.reason_required"));
    let (status, _) = admin.post(&discard, &json!({"reason": "设备测试数据，无对应工单"}));
    assert_eq!(status, 204);
    let (status, body) = admin.post(&discard, &json!({"reason": "again"}));
    assert_eq!((status, code(&body)), (409, "quarantine.resolved"));
    let (_, record) = admin.get(&format!("/api/v1/admin/quarantine/{orphan_entry}"));
    assert_eq!(record["resolution"], "discarded");
    assert_eq!(record["resolution_note"], "设备测试数据，无对应工单");
    assert_eq!(record["op"]["action"]["text"], "无主记录", "the op is kept");
    let (_, open) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(open, json!([]), "both settled");

    let (status, _) = staff.post(&discard, &json!({"reason": "x"}));
    assert_eq!(status, 403);
    let (status, body) = admin.post("/api/v1/admin/quarantine/999/reapply", &json!({}));
    assert_eq!((status, code(&body)), (404, "not_found"));
    let actions = audit_actions(&admin);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "quarantine.reapply")
            .count(),
        2
    );
    assert!(actions.contains(&"quarantine.discard".to_string()));
}

/// A general note on `case` by `author`.
fn note(author: &mut Author, case: CaseId, text: &str) -> Op {
    author.op(
        case,
        None,
        Action::Note {
            note_kind: shared::case::NoteKind::General,
            text: text.into(),
        },
    )
}

/// A registration set aside takes the tablet's later ops of its case with
/// it (`sync.unknown_case`); re-applied from the list, it brings them
/// back too, in their order: not another tap for each note while the case
/// stands as only registered. Another case's op stays aside.
#[test]
fn a_registration_reapplied_brings_the_ops_that_waited_for_it() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, mut author) = w.login("staff_a");
    let reg = pets_registration(&mut author, &w);
    let case = reg.case_id;
    let first = note(&mut author, case, "已联系物业巡查");
    let second = note(&mut author, case, "周末再看一次");
    let orphan = note(&mut author, CaseId(uuid::Uuid::now_v7()), "无主记录");
    let (status, answer) = staff.post(
        "/api/v1/sync/push",
        &push_body(author.device, &[reg, first, orphan, second]),
    );
    assert_eq!(status, 200);
    assert_eq!(
        common::quarantined_codes(&answer),
        [
            "sync.invalid_registration",
            "sync.unknown_case",
            "sync.unknown_case",
            "sync.unknown_case"
        ]
    );
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let reg_entry = list[0]["id"].as_i64().expect("the registration's entry");

    add_pets(&admin);
    let (status, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{reg_entry}/reapply"),
        &json!({}),
    );
    assert_eq!(
        (status, &outcome["outcome"]),
        (200, &json!("accepted")),
        "{outcome}"
    );
    let (status, folded) = staff.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(status, 200, "{folded}");
    let notes: Vec<&str> = folded["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(notes, ["已联系物业巡查", "周末再看一次"], "{folded}");
    let (_, open) = admin.get("/api/v1/admin/quarantine");
    let open = open.as_array().cloned().expect("a list");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["op"]["action"]["text"], "无主记录", "{open:?}");
    let actions = audit_actions(&admin);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "quarantine.reapply")
            .count(),
        3
    );
}

/// A tablet asks what became of its ops set aside: the answer names those
/// an administrator re-applied or discarded (with the reason), of the
/// session's own device only, and nothing that still waits.
#[test]
fn a_tablet_learns_which_of_its_records_set_aside_were_settled() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (staff, login) = Client::login(&w.server.base, "staff_a");
    let mut author = Author::new(&login);
    let reg = pets_registration(&mut author, &w);
    let first = note(&mut author, reg.case_id, "已联系物业巡查");
    let orphan = note(&mut author, CaseId(uuid::Uuid::now_v7()), "无主记录");
    let ids = json!({ "ops": [reg.id, first.id, orphan.id] });
    let (status, _) = staff.post(
        "/api/v1/sync/push",
        &push_body(author.device, &[reg.clone(), first.clone(), orphan.clone()]),
    );
    assert_eq!(status, 200);
    let settled = |client: &Client| {
        let (status, answer) = client.post("/api/v1/sync/refusals", &ids);
        assert_eq!(status, 200, "{answer}");
        answer["settled"].as_array().cloned().expect("a list")
    };
    assert_eq!(settled(&staff), Vec::<Value>::new(), "all three wait");

    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let entry_of = |op: &Op| {
        list.as_array()
            .expect("a list")
            .iter()
            .find(|e| e["op"]["id"] == json!(op.id))
            .and_then(|e| e["id"].as_i64())
            .expect("an entry")
    };
    let (status, _) = admin.post(
        &format!("/api/v1/admin/quarantine/{}/discard", entry_of(&orphan)),
        &json!({ "reason": "重复记录" }),
    );
    assert_eq!(status, 204);
    assert_eq!(
        settled(&staff),
        [json!({ "op": orphan.id, "outcome": "discarded", "note": "重复记录" })]
    );

    add_pets(&admin);
    let (status, outcome) = admin.post(
        &format!("/api/v1/admin/quarantine/{}/reapply", entry_of(&reg)),
        &json!({}),
    );
    assert_eq!((status, &outcome["outcome"]), (200, &json!("accepted")));
    // The registration and the note that waited for it (re-applied with
    // it) are held now.
    assert_eq!(
        settled(&staff),
        [
            json!({ "op": reg.id, "outcome": "accepted" }),
            json!({ "op": first.id, "outcome": "accepted" }),
            json!({ "op": orphan.id, "outcome": "discarded", "note": "重复记录" }),
        ]
    );
    // The same user on another tablet learns nothing of this one's ops,
    // nor another user on this tablet.
    let (other_tablet, _) = w.login("staff_a");
    assert_eq!(settled(&other_tablet), Vec::<Value>::new());
    let secret = login["device_secret"].as_str().expect("a secret");
    let (next_user, _) = Client::login_on(&w.server.base, "manager_a", author.device, secret);
    assert_eq!(settled(&next_user), Vec::<Value>::new());
    // Entries from before the server kept who pushed them: by the author
    // their op names.
    let device = author.device.to_string();
    common::update(
        w.fx.data.path(),
        "UPDATE quarantine SET pushed_by = NULL WHERE device_id = $1",
        &[&device],
    );
    assert_eq!(settled(&staff).len(), 3);
    assert_eq!(settled(&next_user), Vec::<Value>::new());

    // An entry waiting again (an import's proven record replaced it) is
    // not settled; one whose case was deleted since says so.
    let orphan_id = orphan.id.to_string();
    let resolve = |resolution: Option<&str>| {
        let changed = match resolution {
            Some(r) => common::update(
                w.fx.data.path(),
                "UPDATE quarantine SET resolution = $1 WHERE device_id = $2 AND op_id = $3",
                &[&r.to_string(), &device, &orphan_id],
            ),
            None => common::update(
                w.fx.data.path(),
                "UPDATE quarantine SET resolution = NULL WHERE device_id = $1 AND op_id = $2",
                &[&device, &orphan_id],
            ),
        };
        assert_eq!(changed, 1);
    };
    resolve(None);
    assert_eq!(settled(&staff).len(), 2, "the orphan waits again");
    resolve(Some("case_deleted"));
    assert_eq!(
        settled(&staff)[2],
        json!({ "op": orphan.id, "outcome": "case_deleted" })
    );

    let too_many: Vec<_> = (0..=shared::wire::MAX_REFUSALS_ASKED)
        .map(|_| uuid::Uuid::now_v7())
        .collect();
    let (status, body) = staff.post("/api/v1/sync/refusals", &json!({ "ops": too_many }));
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("sync.too_many_refusals"))
    );
}

/// What a tablet pushed before it was revoked, or its user disabled (a
/// lost or stolen one), stays aside when an admin reapplies the
/// quarantine after fixing what kept it there.
#[test]
fn a_revoked_tablets_or_disabled_users_ops_are_not_reapplied() {
    let w = world();
    let (admin, _) = w.login("admin");
    let mut entries = Vec::new();
    for login in ["staff_a", "staff_b"] {
        let (staff, mut author) = w.login(login);
        let property = if login == "staff_a" {
            &w.fx.pa
        } else {
            &w.fx.pb
        };
        let mut reg = author.register(property, "小区里流浪猫太多");
        if let Action::Register(r) = &mut reg.action {
            r.category = "pets".into();
        }
        let (status, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[reg]));
        assert_eq!(status, 200);
        assert_eq!(code(&answer["quarantined"][0]), "sync.invalid_registration");
        entries.push(author);
    }
    let (status, _) = admin.post(
        &format!("/api/v1/admin/devices/{}/revoke", entries[0].device),
        &json!({}),
    );
    assert_eq!(status, 204);
    let (status, body) = admin.put(
        &format!("/api/v1/admin/users/{}/active", entries[1].user),
        &json!({ "active": false }),
    );
    assert_eq!(status, 204, "{body}");
    add_pets(&admin);

    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let mut codes = Vec::new();
    for id in ids {
        let (status, outcome) = admin.post(
            &format!("/api/v1/admin/quarantine/{id}/reapply"),
            &json!({}),
        );
        assert_eq!(status, 200, "{outcome}");
        assert_eq!(outcome["outcome"], "refused", "{outcome}");
        codes.push(outcome["code"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(codes, ["sync.device_revoked", "sync.author_disabled"]);
    // The list gives the reason they wait for now.
    let (_, list) = admin.get("/api/v1/admin/quarantine");
    let listed: Vec<&str> = list.as_array().unwrap().iter().map(code).collect();
    assert_eq!(listed, codes);
}

/// A registration in the category 'pets', which does not exist until
/// [`add_pets`].
fn pets_registration(author: &mut Author, w: &World) -> Op {
    let mut reg = author.register(&w.fx.pa, "小区里流浪猫太多");
    if let Action::Register(r) = &mut reg.action {
        r.category = "pets".into();
    }
    reg
}

/// Adds the category "pets" (宠物), which the tests' quarantined
/// registrations name.
fn add_pets(admin: &Client) {
    let (_, mut categories) = admin.get("/api/v1/admin/categories");
    categories
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "pets", "name_zh": "宠物", "name_en": "Pets"}));
    assert_eq!(admin.put("/api/v1/admin/categories", &categories).0, 200);
}

fn ops_of(a: &mut Author, case: CaseId, t0: DateTime<Utc>, actions: Vec<Action>) -> Vec<Op> {
    actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| a.op_at(case, None, action, t0 + Duration::hours(i as i64 + 1)))
        .collect()
}

fn work(kind: CaseKind, severity: Severity) -> Vec<Action> {
    let mut actions = common::to_proposal(kind, severity, 0);
    actions.extend(common::to_closure("定期检查"));
    actions
}

#[test]
fn retention_deletes_only_old_closed_cases_and_audits_it() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (manager, mut a) = w.login("manager_a");
    let (quality, _) = w.login("quality");
    let pa = w.fx.pa.clone();
    let old = Utc.with_ymd_and_hms(2025, 2, 10, 2, 0, 0).single().unwrap();
    let recent = Utc::now() - Duration::days(30);

    let mut ops = Vec::new();
    let mut make = |a: &mut Author, kind, at, actions: Vec<Action>| {
        let reg = a.register_at(&pa, kind, at, |_| {});
        let id = reg.case_id;
        ops.push(reg);
        ops.extend(ops_of(a, id, at, actions));
        id
    };
    let expired = make(
        &mut a,
        CaseKind::Repair,
        old,
        work(CaseKind::Repair, Severity::General),
    );
    let major = make(
        &mut a,
        CaseKind::Complaint,
        old,
        work(CaseKind::Complaint, Severity::Major),
    );
    let young = make(
        &mut a,
        CaseKind::Repair,
        recent,
        work(CaseKind::Repair, Severity::General),
    );
    let open = make(&mut a, CaseKind::Repair, old, Vec::new());
    // Registered and closed long ago by the tablet's clock, but the server
    // received it today: a clock set years back does not make it old.
    let clock_behind = make(
        &mut a,
        CaseKind::Repair,
        old,
        work(CaseKind::Repair, Severity::General),
    );
    // Withdrawn with a time from long ago (the tablet's to give) on a case
    // registered a month ago: it is no older than its registration.
    let backdated = make(&mut a, CaseKind::Repair, recent, Vec::new());
    let withdraw = Action::Withdraw {
        reason: "业主撤回".into(),
    };
    // Registered in error long ago and voided then: as old as a closed one.
    let voided = make(&mut a, CaseKind::Repair, old, Vec::new());
    let void = Action::Void {
        duplicate_of: None,
        reason: "误登记".into(),
    };
    ops.push(a.op_at(backdated, None, withdraw, old));
    ops.push(a.op_at(voided, None, void, old + Duration::hours(1)));
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200);
    assert_eq!(answer["quarantined"], json!([]));
    let received = old + Duration::days(1);
    for id in [expired, major, open, backdated, voided] {
        common::received_long_ago(w.fx.data.path(), id, received);
    }
    for id in [expired, major, young] {
        let (_, case) = quality.get(&format!("/api/v1/cases/{id}"));
        assert_eq!(case["state"], "closed", "{case}");
    }

    let delete = |id: CaseId| admin.delete(&format!("/api/v1/admin/cases/{id}"));
    let (_, case) = quality.get(&format!("/api/v1/cases/{backdated}"));
    assert_eq!(case["state"], "withdrawn", "{case}");
    for (id, want) in [
        (young, "retention.too_young"),
        (backdated, "retention.too_young"),
        (clock_behind, "retention.too_young"),
        (major, "retention.major_case"),
        (open, "retention.not_closed"),
    ] {
        let (status, body) = delete(id);
        assert_eq!((status, code(&body)), (409, want));
    }
    assert_eq!(
        manager.delete(&format!("/api/v1/admin/cases/{expired}")).0,
        403
    );
    assert_eq!(delete(CaseId(uuid::Uuid::now_v7())).0, 404);

    let (_, before) = quality.get(&format!("/api/v1/cases/{expired}"));
    let reg_no = before["registration"]["reg_no"].clone();
    let (status, deleted) = delete(expired);
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["reg_no"], reg_no);
    assert_eq!(deleted["ops"], 7);
    assert_eq!(quality.get(&format!("/api/v1/cases/{expired}")).0, 404);
    // Its ops are gone from the log; the others are still there.
    let (_, page) = quality.get("/api/v1/sync/pull?after=0&limit=5000");
    let cases: Vec<&str> = page["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["op"]["case_id"].as_str().unwrap())
        .collect();
    assert!(!cases.contains(&expired.to_string().as_str()));
    assert!(cases.contains(&major.to_string().as_str()));
    let (_, log) = admin.get("/api/v1/admin/audit");
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "case.delete")
        .expect("audited");
    assert_eq!(entry["detail"]["reg_no"], reg_no);
    assert_eq!(delete(expired).0, 404, "deleted once");
    let (status, deleted) = delete(voided);
    assert_eq!(
        (status, &deleted["state"]),
        (200, &json!("voided")),
        "{deleted}"
    );
    // Nothing dangles: the integrity check finds no ops without a case.
    assert_eq!(common::cli(w.fx.data.path(), &["check"]).trim(), "ok");
}

/// A case deleted at the end of its retention after the backup that a
/// restore goes back to is deleted again: tablets would pull it back.
#[test]
fn a_restore_deletes_again_what_was_deleted_since_the_backup() {
    if !common::sqlite_only("backup and restore work on the SQLite file") {
        return;
    }
    let mut w = world();
    let (admin, _) = w.login("admin");
    let (manager, mut a) = w.login("manager_a");
    let pa = w.fx.pa.clone();
    let old = Utc.with_ymd_and_hms(2025, 2, 10, 2, 0, 0).single().unwrap();
    let reg = a.register_at(&pa, CaseKind::Repair, old, |_| {});
    let expired = reg.case_id;
    let photo = common::bytes(600, 3);
    let mut ops = vec![
        reg,
        common::attach(&mut a, expired, AttachmentKind::Photo, &photo, None),
    ];
    ops.extend(ops_of(
        &mut a,
        expired,
        old,
        work(CaseKind::Repair, Severity::General),
    ));
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    assert_eq!(manager.blob_upload(&photo, 0).status, 200);
    common::received_long_ago(w.fx.data.path(), expired, old);
    let hash = shared::blob::BlobHash::of(&photo).to_string();
    let file = w.fx.data.path().join("blobs").join(&hash[..2]).join(&hash);
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("backup.db");
    common::cli(
        w.fx.data.path(),
        &["backup", backup.to_str().expect("utf-8")],
    );
    let (status, deleted) = admin.delete(&format!("/api/v1/admin/cases/{expired}"));
    assert_eq!(status, 200, "{deleted}");

    assert!(!file.exists(), "the deletion removed the photo");
    w.server.kill();
    let printed = common::cli(
        w.fx.data.path(),
        &["restore", backup.to_str().expect("utf-8")],
    );
    assert!(printed.contains("deleted again 1 case(s)"), "{printed}");
    assert!(
        !file.exists(),
        "the backup's copy of the photo goes with the case again"
    );
    let server = Server::start(w.fx.data.path());
    let (manager, _) = Client::login(&server.base, "manager_a");
    assert_eq!(manager.get(&format!("/api/v1/cases/{expired}")).0, 404);
    let (_, page) = manager.get("/api/v1/sync/pull?after=0&limit=5000");
    assert!(
        page["deletions"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["case_id"] == expired.to_string())),
        "tablets that hold it are told again: {page}"
    );
    assert!(
        page["ops"].as_array().is_some_and(|ops| ops
            .iter()
            .all(|o| o["op"]["case_id"] != expired.to_string())),
        "{page}"
    );
}

#[test]
fn retention_deletion_removes_the_blobs_no_remaining_case_references() {
    let w = world();
    let (admin, _) = w.login("admin");
    let (manager, mut a) = w.login("manager_a");
    let pa = w.fx.pa.clone();
    let old = Utc.with_ymd_and_hms(2025, 2, 10, 2, 0, 0).single().unwrap();
    let own = common::bytes(700, 1);
    let shared_photo = common::bytes(800, 2);

    let mut ops = Vec::new();
    let mut make = |a: &mut Author, blobs: &[&[u8]]| {
        let reg = a.register_at(&pa, CaseKind::Repair, old, |_| {});
        let id = reg.case_id;
        ops.push(reg);
        for b in blobs {
            ops.push(common::attach(a, id, AttachmentKind::Photo, b, None));
        }
        ops.extend(ops_of(
            a,
            id,
            old,
            work(CaseKind::Repair, Severity::General),
        ));
        id
    };
    let expired = make(&mut a, &[&own, &shared_photo]);
    let kept = make(&mut a, &[&shared_photo]);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    common::received_long_ago(w.fx.data.path(), expired, old);
    for b in [&own, &shared_photo] {
        assert_eq!(manager.blob_upload(b, 0).status, 200);
    }
    let file = |b: &[u8]| {
        let hash = shared::blob::BlobHash::of(b).to_string();
        w.fx.data.path().join("blobs").join(&hash[..2]).join(hash)
    };
    assert!(file(&own).is_file() && file(&shared_photo).is_file());

    let (status, deleted) = admin.delete(&format!("/api/v1/admin/cases/{expired}"));
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["blobs"], 1);
    assert!(
        !file(&own).exists(),
        "the blob only the deleted case named is gone"
    );
    assert!(
        file(&shared_photo).is_file(),
        "a blob another case names stays"
    );
    let (status, _, _) = manager.blob_get(&shared::blob::BlobHash::of(&own));
    assert_eq!(status, 404);
    assert_eq!(
        manager
            .blob_get(&shared::blob::BlobHash::of(&shared_photo))
            .0,
        200
    );
    let (_, case) = manager.get(&format!("/api/v1/cases/{kept}"));
    assert_eq!(case["attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(common::cli(w.fx.data.path(), &["check"]).trim(), "ok");
}
