//! Head-office statistics and the quarterly spot-check against a seeded
//! fixture whose answers are worked out by hand below: two properties,
//! two quarters of 2025, ops with explicit times (Asia/Shanghai), pushed
//! over HTTP by each property's manager.
//!
//! The fixture (handling time = received → latest resolution):
//!
//! | case | property | quarter | kind | what happens | handling | score |
//! |---|---|---|---|---|---|---|
//! | C1 | PA 1栋101 | Q1 | complaint, valid | assigned after 20 min | 4 h | 5 |
//! | C2 | PA 1栋101 | Q1 | complaint, valid | assigned after 3 h (transfer late) | 30 h | 4 |
//! | C3 | PA 1栋102 | Q1 | complaint, valid | score 2 reopens it, resolved again | 54 h | 2 then 4 |
//! | C4 | PA | Q1 | complaint, unfounded | closed at assessment | – | – |
//! | C5 | PA | Q1 | repair | never followed up (open) | 2 h | – |
//! | C6–C9, C11, C12 | PA | Q1 | repair | closed | 8, 1, 6, 12, 20, 5 h | 3, 5, 4, 5, 4, 5 |
//! | C10 | PA | Q1 | repair | score 2 reopens it (open) | (3 h, not finished) | 2 |
//! | D1 | PB | Q1 | complaint, valid | closed | 6 h | 5 |
//! | D2 | PB | Q1 | repair | closed | 1 h | 4 |
//! | E1 | PA | Q2 | complaint, valid | closed | 10 h | 5 |
//! | E2 | PA | Q2 | repair | closed | 3 h | 4 |
//!
//! C1 and C3 share a phone number; C1 and C2 share a unit.
//!
//! One file on purpose (over 900 lines): every figure is checked against
//! the one fixture above, which reads best beside the checks.

mod common;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use common::{Author, World, code, push_body, registered_before_the_schema_floor, world};
use serde_json::{Value, json};
use shared::case::{CaseKind, CaseState, ContactMethod, Registration, Severity, Validity};
use shared::id::CaseId;
use shared::op::{Action, Op};
use shared::phone::Phone;
use shared::property::{Location, Property};
use std::collections::BTreeMap;

/// A local time in Shanghai.
fn local(day: &str, hm: &str) -> DateTime<Utc> {
    let naive =
        NaiveDateTime::parse_from_str(&format!("{day} {hm}"), "%Y-%m-%d %H:%M").expect("test time");
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

/// The ops of one case, each `minutes` after its receipt.
struct Script<'a> {
    author: &'a mut Author,
    id: CaseId,
    t0: DateTime<Utc>,
    ops: Vec<Op>,
}

impl<'a> Script<'a> {
    fn new(
        author: &'a mut Author,
        p: &Property,
        kind: CaseKind,
        t0: DateTime<Utc>,
        edit: impl FnOnce(&mut Registration),
    ) -> Script<'a> {
        let reg = author.register_at(p, kind, t0, edit);
        Script {
            id: reg.case_id,
            author,
            t0,
            ops: vec![reg],
        }
    }

    fn at(&mut self, minutes: i64, action: Action) -> &mut Self {
        let at = self.t0 + Duration::minutes(minutes);
        let op = self.author.op_at(self.id, None, action, at);
        self.ops.push(op);
        self
    }

    fn assess(&mut self, m: i64, valid: bool) -> &mut Self {
        self.at(
            m,
            Action::Assess {
                severity: Severity::General,
                urgent: false,
                validity: if valid {
                    Validity::Valid
                } else {
                    Validity::Unfounded
                },
                reason: if valid { "" } else { "非物业责任" }.into(),
                respondent: String::new(),
                respondent_department: String::new(),
            },
        )
    }

    fn assign(&mut self, m: i64, department: &str) -> &mut Self {
        self.at(
            m,
            Action::Assign {
                department: department.into(),
                user: None,
                name: "张工".into(),
                note: String::new(),
            },
        )
    }

    fn start(&mut self, m: i64) -> &mut Self {
        self.at(m, Action::Start)
    }

    fn propose(&mut self, m: i64) -> &mut Self {
        self.at(
            m,
            Action::Propose {
                measures: "更换部件".into(),
                responsible: "张工".into(),
                planned_date: chrono::NaiveDate::from_ymd_opt(2030, 1, 1),
                compensation_fen: 0,
            },
        )
    }

    fn resolve(&mut self, m: i64) -> &mut Self {
        let at = self.t0 + Duration::minutes(m);
        self.at(
            m,
            Action::Resolve {
                result: "已处理".into(),
                feedback_method: ContactMethod::Phone,
                feedback_at: Some(at),
                on_the_spot: false,
            },
        )
    }

    /// Answered on the spot `m` minutes in, unassessed.
    fn on_the_spot(&mut self, m: i64) -> &mut Self {
        self.at(
            m,
            Action::Resolve {
                result: "当场道歉并清理".into(),
                feedback_method: ContactMethod::Visit,
                feedback_at: None,
                on_the_spot: true,
            },
        )
    }

    fn follow_up(&mut self, m: i64, satisfaction: u8) -> &mut Self {
        self.at(
            m,
            Action::FollowUp {
                method: ContactMethod::Phone,
                satisfaction,
                comment: String::new(),
                spot_check: false,
                ratings: None,
            },
        )
    }

    fn close(&mut self, m: i64) -> &mut Self {
        self.at(
            m,
            Action::Close {
                corrective_action: "加强巡查".into(),
                verification: "已验证".into(),
            },
        )
    }

    fn done(&mut self) -> (CaseId, Vec<Op>) {
        (self.id, std::mem::take(&mut self.ops))
    }
}

fn phone(n: u32) -> Option<Phone> {
    Phone::parse(&format!("139{n:08}")).ok()
}

/// A complaint: assessed after 10 min, assigned after `assign` min,
/// started 10 min later, solution after `propose` min, resolved after
/// `hours`, followed up an hour later with `score`, closed an hour after.
#[allow(clippy::too_many_arguments)]
fn complaint(
    a: &mut Author,
    p: &Property,
    t0: DateTime<Utc>,
    location: Location,
    phone_no: u32,
    assign: i64,
    propose: i64,
    hours: i64,
    score: u8,
) -> (CaseId, Vec<Op>) {
    let m = hours * 60;
    Script::new(a, p, CaseKind::Complaint, t0, |r| {
        r.location = location;
        r.complainant.phone = phone(phone_no);
    })
    .assess(10, true)
    .assign(assign, "客服部")
    .start(assign + 10)
    .propose(propose)
    .resolve(m)
    .follow_up(m + 60, score)
    .close(m + 120)
    .done()
}

/// A repair: assigned after 10 min, started after 20, resolved after
/// `hours`, then followed up an hour later with `score` and closed an hour
/// after that when the score does not reopen it.
fn repair(
    a: &mut Author,
    p: &Property,
    t0: DateTime<Utc>,
    phone_no: u32,
    hours: i64,
    score: Option<u8>,
) -> (CaseId, Vec<Op>) {
    let m = hours * 60;
    let mut s = Script::new(a, p, CaseKind::Repair, t0, |r| {
        r.complainant.phone = phone(phone_no);
    });
    s.assign(10, "工程部").start(20).resolve(m);
    if let Some(score) = score {
        s.follow_up(m + 60, score);
        if score > 2 {
            s.close(m + 120);
        }
    }
    s.done()
}

struct Seeded {
    w: World,
    cases: BTreeMap<&'static str, CaseId>,
    reg_nos: BTreeMap<&'static str, String>,
}

fn seeded() -> Seeded {
    let w = world();
    let mut cases = BTreeMap::new();
    let mut reg_nos = BTreeMap::new();
    let (ca, mut a) = w.login("manager_a");
    let (cb, mut b) = w.login("manager_b");
    let (pa, pb) = (w.pa().clone(), w.pb().clone());
    let building = &pa.buildings[0];
    let unit = |i: usize| Location::Unit {
        building: building.id,
        unit: building.units[i].id,
    };
    let mut pa_ops = Vec::new();
    let mut pb_ops = Vec::new();
    let mut keep = |name: &'static str, (id, ops): (CaseId, Vec<Op>), into: &mut Vec<Op>| {
        if let Action::Register(r) = &ops[0].action {
            reg_nos.insert(name, r.reg_no.to_string());
        }
        cases.insert(name, id);
        into.extend(ops);
    };
    let d = |day: &str| local(day, "09:00");
    keep(
        "C1",
        complaint(&mut a, &pa, d("2025-03-03"), unit(0), 1, 20, 120, 4, 5),
        &mut pa_ops,
    );
    keep(
        "C2",
        complaint(&mut a, &pa, d("2025-03-04"), unit(0), 2, 180, 1440, 30, 4),
        &mut pa_ops,
    );
    // C3: resolved after 6 h, a score of 2 reopens it, resolved again after 54 h.
    let c3 = Script::new(&mut a, &pa, CaseKind::Complaint, d("2025-03-05"), |r| {
        r.location = unit(1);
        r.complainant.phone = phone(1);
    })
    .assess(10, true)
    .assign(30, "客服部")
    .start(40)
    .propose(60)
    .resolve(360)
    .follow_up(420, 2)
    .start(480)
    .propose(540)
    .resolve(3240)
    .follow_up(3300, 4)
    .close(3360)
    .done();
    keep("C3", c3, &mut pa_ops);
    let c4 = Script::new(&mut a, &pa, CaseKind::Complaint, d("2025-03-06"), |r| {
        r.complainant.phone = phone(4);
    })
    .assess(10, false)
    .at(
        20,
        Action::Close {
            corrective_action: String::new(),
            verification: String::new(),
        },
    )
    .done();
    keep("C4", c4, &mut pa_ops);
    let repairs: [(&'static str, &str, i64, Option<u8>); 8] = [
        ("C5", "2025-03-07", 2, None),
        ("C6", "2025-03-10", 8, Some(3)),
        ("C7", "2025-03-11", 1, Some(5)),
        ("C8", "2025-03-12", 6, Some(4)),
        ("C9", "2025-03-13", 12, Some(5)),
        ("C10", "2025-03-14", 3, Some(2)),
        ("C11", "2025-03-17", 20, Some(4)),
        ("C12", "2025-03-18", 5, Some(5)),
    ];
    for (i, (name, day, hours, score)) in repairs.into_iter().enumerate() {
        keep(
            name,
            repair(&mut a, &pa, d(day), 100 + i as u32, hours, score),
            &mut pa_ops,
        );
    }
    keep(
        "E1",
        complaint(
            &mut a,
            &pa,
            d("2025-04-08"),
            Location::PublicArea,
            21,
            20,
            120,
            10,
            5,
        ),
        &mut pa_ops,
    );
    keep(
        "E2",
        repair(&mut a, &pa, d("2025-04-09"), 22, 3, Some(4)),
        &mut pa_ops,
    );
    let t = |day: &str| local(day, "10:00");
    keep(
        "D1",
        complaint(
            &mut b,
            &pb,
            t("2025-03-03"),
            Location::PublicArea,
            11,
            20,
            120,
            6,
            5,
        ),
        &mut pb_ops,
    );
    keep(
        "D2",
        repair(&mut b, &pb, t("2025-03-04"), 12, 1, Some(4)),
        &mut pb_ops,
    );

    for (client, dev, ops) in [(&ca, a.device, pa_ops), (&cb, b.device, pb_ops)] {
        let (s, answer) = client.post("/api/v1/sync/push", &push_body(dev, &ops));
        assert_eq!(s, 200, "{answer}");
        assert_eq!(answer["quarantined"], json!([]), "{answer}");
    }
    // Every op applied: no case carries a rule violation.
    let (quality, _) = w.login("quality");
    for (name, id) in &cases {
        let (s, case) = quality.get(&format!("/api/v1/cases/{id}"));
        assert_eq!(s, 200);
        assert_eq!(
            case["violations"],
            json!([]),
            "{name}: {}",
            case["violations"]
        );
    }
    Seeded { w, cases, reg_nos }
}

fn bucket(list: &Value, key: &str) -> u64 {
    list.as_array()
        .and_then(|l| l.iter().find(|b| b["key"] == key))
        .and_then(|b| b["count"].as_u64())
        .unwrap_or_else(|| panic!("no bucket {key} in {list}"))
}

fn clock<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["on_time"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["clock"] == name))
        .unwrap_or_else(|| panic!("no clock {name}"))
}

fn property<'a>(stats: &'a Value, p: &Property) -> &'a Value {
    stats["properties"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["property"] == p.id.to_string()))
        .unwrap_or_else(|| panic!("no property row for {}", p.code))
}

#[test]
fn statistics_match_the_hand_worked_figures() {
    let s = seeded();
    let w = &s.w;
    let (manager, _) = w.login("manager_a");

    // PA, first quarter of 2025, as PA's manager.
    let (status, q1) = manager.get("/api/v1/stats?period=quarter&from=2025-02-15");
    assert_eq!(status, 200, "{q1}");
    assert_eq!(
        q1["period"],
        json!({"kind": "quarter", "first": "2025-01-01", "last": "2025-03-31"})
    );
    assert_eq!(q1["start"], "2024-12-31T16:00:00Z");
    assert_eq!(q1["total"], 12);
    assert_eq!(bucket(&q1["by_kind"], "complaint"), 4);
    assert_eq!(bucket(&q1["by_kind"], "repair"), 8);
    assert_eq!(bucket(&q1["by_kind"], "inquiry"), 0);
    assert_eq!(bucket(&q1["by_month"], "2025-03"), 12);
    assert_eq!(bucket(&q1["by_month"], "2025-01"), 0);
    assert_eq!(bucket(&q1["by_category"], "noise"), 4);
    assert_eq!(bucket(&q1["by_channel"], "phone"), 12);
    assert_eq!(bucket(&q1["by_severity"], "general"), 4);
    assert_eq!(
        bucket(&q1["by_severity"], ""),
        8,
        "repairs are not assessed"
    );
    assert_eq!(bucket(&q1["by_state"], "closed"), 10);
    assert_eq!(bucket(&q1["by_state"], "resolved"), 1);
    assert_eq!(bucket(&q1["by_state"], "reopened"), 1);
    let b = &w.pa().buildings[0];
    assert_eq!(
        bucket(&q1["by_building"], &format!("{}/{}", w.pa().id, b.id)),
        3
    );
    assert_eq!(bucket(&q1["by_building"], &format!("{}/", w.pa().id)), 9);

    // Handling: 1, 2, 4, 5, 6, 8, 12, 20, 30, 54 h (C4 unresolved, C10
    // reopened): mean 142 / 10; the 90th percentile is the 9th of 10.
    assert_eq!(
        q1["handling"],
        json!({"resolved": 10, "avg_hours": 14.2, "p90_hours": 30.0})
    );

    // Satisfaction of the latest regular follow-up: C10 2; C6 3; C2, C3,
    // C8, C11 4; C1, C7, C9, C12 5.
    assert_eq!(
        q1["satisfaction"]["distribution"],
        json!([
            {"score": 1, "count": 0}, {"score": 2, "count": 1}, {"score": 3, "count": 1},
            {"score": 4, "count": 4}, {"score": 5, "count": 4}
        ])
    );
    assert_eq!(q1["satisfaction"]["rated"], 10);
    assert_eq!(q1["satisfaction"]["satisfied"], 8);
    assert_eq!(q1["satisfaction"]["rate"], 80.0);

    // Follow-up: 11 resolved complaints and repairs, C5 never called back.
    assert_eq!(
        q1["follow_up"],
        json!({"due": 11, "done": 10, "pending": 0, "rate": 90.91, "target_percent": 100, "missed": true})
    );

    // Reopen: C3 and C10 of the 11 resolved.
    assert_eq!(
        q1["reopen"],
        json!({"resolved": 11, "reopened": 2, "reopenings": 2, "rate": 18.18})
    );

    // On time. Transfer: 11 assigned (3 complaints, 8 repairs), C2 after
    // 3 h; C4 (unfounded, closed) is never transferred, so it has no
    // transfer clock at all: 10 / 11.
    let transfer = clock(&q1, "transfer");
    assert_eq!(
        (
            &transfer["met"],
            &transfer["on_time"],
            &transfer["late"],
            &transfer["overdue"],
            &transfer["running"]
        ),
        (&json!(11), &json!(10), &json!(1), &json!(0), &json!(0))
    );
    assert_eq!(transfer["rate"], 90.91);
    let repair_follow_up = clock(&q1, "follow_up_repair");
    assert_eq!(
        (
            &repair_follow_up["met"],
            &repair_follow_up["overdue"],
            &repair_follow_up["rate"]
        ),
        (&json!(7), &json!(1), &json!(87.5))
    );
    assert_eq!(clock(&q1, "follow_up_complaint")["rate"], 100.0);
    assert_eq!(clock(&q1, "initial_assessment")["met"], 4);
    assert_eq!(clock(&q1, "initial_assessment")["rate"], 100.0);

    // Valid complaints: C1–C3 for 400 households in a 90-day quarter:
    // 75 bp, 75 × 365 / 90 = 304.17 bp a year, above the 100 bp target.
    let pa_row = property(&q1, w.pa());
    assert_eq!(pa_row["households"], 400);
    assert_eq!(pa_row["valid_complaints"], 3);
    assert_eq!(pa_row["valid_rate_bp"], 75.0);
    assert_eq!(pa_row["valid_rate_annualized_bp"], 304.17);
    assert_eq!(pa_row["valid_missed"], true);
    assert_eq!(pa_row["overdue_open"], 1);
    assert_eq!(
        q1["properties"].as_array().map(Vec::len),
        Some(1),
        "PA only"
    );

    // Departments, by the clocks of their own work: 客服部 C1–C3 (its
    // start, investigation and solution each; C2's late transfer is the
    // manager's, not the department's); 工程部 C5–C12 (its start and
    // solution each; C5's overdue callback is the front desk's).
    let departments = q1["departments"].as_array().expect("departments");
    let dept = |name: &str| {
        departments
            .iter()
            .find(|d| d["department"] == name)
            .expect(name)
    };
    let service = dept("客服部");
    assert_eq!(
        (&service["cases"], &service["resolved"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(service["avg_handling_hours"], 29.33);
    assert_eq!(
        (&service["clocks"]["met"], &service["clocks"]["on_time"]),
        (&json!(9), &json!(9))
    );
    assert_eq!(service["clocks"]["rate"], 100.0);
    let works = dept("工程部");
    assert_eq!(
        (&works["cases"], &works["resolved"]),
        (&json!(8), &json!(7))
    );
    assert_eq!(works["avg_handling_hours"], 7.71);
    assert_eq!(
        (&works["clocks"]["met"], &works["clocks"]["overdue"]),
        (&json!(16), &json!(0))
    );
    assert_eq!(works["clocks"]["rate"], 100.0);

    // Repeats: unit 101 (C1, C2) and phone 13900000001 (C1, C3).
    let units = q1["repeat_units"].as_array().expect("units");
    assert_eq!(units.len(), 1);
    assert_eq!(units[0]["count"], 2);
    assert_eq!(units[0]["unit"], b.units[0].id.to_string());
    let refs: Vec<&Value> = units[0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["reg_no"])
        .collect();
    assert_eq!(refs, [&json!(s.reg_nos["C1"]), &json!(s.reg_nos["C2"])]);
    let people = q1["repeat_complainants"].as_array().expect("people");
    assert_eq!(people.len(), 1);
    assert_eq!(
        people[0]["phone"], "13900000001",
        "a manager sees personal data"
    );
    assert_eq!(people[0]["count"], 2);

    // Overdue now: only C5, whose repair follow-up was due on 10 March 2025.
    assert_eq!(q1["overdue"]["total"], 1);
    let late = &q1["overdue"]["items"][0];
    assert_eq!(late["id"], s.cases["C5"].to_string());
    assert_eq!(late["reg_no"], s.reg_nos["C5"]);
    assert_eq!(late["clocks"], json!(["follow_up_repair"]));

    let missed: Vec<&str> = q1["missed_targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(missed, ["follow_up", "valid_complaint"]);

    // The whole of 2025 as head office: both properties, both quarters.
    let (quality, _) = w.login("quality");
    let (status, year) = quality.get("/api/v1/stats?period=year&from=2025-06-30");
    assert_eq!(status, 200, "{year}");
    assert_eq!(year["total"], 16);
    assert_eq!(bucket(&year["by_month"], "2025-04"), 2);
    assert_eq!(bucket(&year["by_property"], &w.pb().id.to_string()), 2);
    // 14 finished: 1, 1, 2, 3, 4, 5, 6, 6, 8, 10, 12, 20, 30, 54; the 90th
    // percentile is the 13th of 14 (ceil 12.6); the mean is 162 / 14.
    assert_eq!(
        year["handling"],
        json!({"resolved": 14, "avg_hours": 11.57, "p90_hours": 30.0})
    );
    assert_eq!(year["follow_up"]["due"], 15);
    assert_eq!(year["follow_up"]["rate"], 93.33);
    // A whole year is its own rate: PA 4 / 400 = 1.00% (the target is
    // "below 1%": missed); PB 1 / 250 = 0.40% (met).
    let pa_year = property(&year, w.pa());
    assert_eq!(
        (
            &pa_year["valid_rate_bp"],
            &pa_year["valid_rate_annualized_bp"]
        ),
        (&json!(100.0), &json!(100.0))
    );
    assert_eq!(pa_year["valid_missed"], true);
    let pb_year = property(&year, w.pb());
    assert_eq!(
        (
            &pb_year["valid_complaints"],
            &pb_year["valid_rate_annualized_bp"]
        ),
        (&json!(1), &json!(40.0))
    );
    assert_eq!(pb_year["valid_missed"], false);
    assert_eq!(pb_year["follow_up"]["rate"], 100.0);

    // Filters: a kind, a custom period, a month.
    let (_, repairs) = quality.get("/api/v1/stats?period=year&from=2025-01-01&kind=repair");
    assert_eq!(repairs["total"], 10, "C5–C12, E2, D2");
    assert_eq!(property(&repairs, w.pa())["valid_complaints"], 0);
    // Repairs alone say nothing of the valid-complaint rate: no 0%.
    assert_eq!(property(&repairs, w.pa())["valid_rate_bp"], Value::Null);
    assert_eq!(property(&repairs, w.pa())["valid_missed"], false);
    let (_, complaints) = quality.get("/api/v1/stats?period=year&from=2025-01-01&kind=complaint");
    assert_eq!(property(&complaints, w.pa())["valid_rate_bp"], 100.0);
    assert_eq!(property(&complaints, w.pa())["valid_missed"], true);
    let (_, custom) = quality.get("/api/v1/stats?period=custom&from=2025-03-03&to=2025-03-04");
    assert_eq!(custom["total"], 4, "C1, C2, D1, D2");
    let (_, april) = quality.get(&format!(
        "/api/v1/stats?from=2025-04-20&property={}",
        w.pa().id
    ));
    assert_eq!(april["period"]["kind"], "month");
    assert_eq!(april["total"], 2);
    // Labels follow the language.
    let (_, en) = quality.get("/api/v1/stats?period=year&from=2025-01-01&lang=en");
    assert_eq!(en["by_kind"].as_array().unwrap()[0]["label"], "Complaint");
    let (_, zh) = quality.get("/api/v1/stats?period=year&from=2025-01-01");
    assert_eq!(zh["by_kind"].as_array().unwrap()[0]["label"], "投诉");

    // Bad requests.
    for (path, want) in [
        ("/api/v1/stats?period=week", "stats.bad_period"),
        (
            "/api/v1/stats?period=custom&from=2025-01-01",
            "stats.period_bounds",
        ),
        (
            "/api/v1/stats?period=custom&from=2025-02-01&to=2025-01-01",
            "stats.period_reversed",
        ),
        (
            "/api/v1/stats?period=custom&from=2015-01-01&to=2025-01-01",
            "stats.period_too_long",
        ),
        ("/api/v1/stats?kind=praise", "request.bad_kind"),
        ("/api/v1/stats?lang=fr", "request.bad_lang"),
        ("/api/v1/stats?from=yesterday", "request.bad_query"),
        ("/api/v1/stats?property=not-an-id", "request.bad_id"),
    ] {
        let (status, body) = quality.get(path);
        assert_eq!((status, code(&body)), (400, want), "{path}");
    }
}

#[test]
fn roles_and_scope_of_statistics_spot_checks_and_exports() {
    let s = seeded();
    let w = &s.w;
    let (manager, _) = w.login("manager_a");
    let pb = w.pb().id.to_string();

    // Staff and department heads read no statistics, whatever they ask:
    // a malformed query is refused for the role, not described.
    for who in ["staff_a", "head_a"] {
        let (c, _) = w.login(who);
        for path in [
            "/api/v1/stats",
            "/api/v1/spot-checks",
            "/api/v1/exports/cases.csv",
            "/api/v1/exports/stats.xlsx",
            "/api/v1/stats?period=fortnight",
            "/api/v1/spot-checks?limit=many",
            "/api/v1/exports/cases.csv?state=lost",
            "/api/v1/exports/cases.xlsx?nonsense=1",
            "/api/v1/exports/stats.csv?year=last",
        ] {
            let (status, body) = c.get(path);
            assert_eq!(
                (status, code(&body)),
                (403, "auth.forbidden"),
                "{who} {path}"
            );
        }
    }
    // The whole management line, quality and admin do.
    for who in ["regional_a", "deputy_a", "gm", "admin"] {
        let (c, _) = w.login(who);
        assert_eq!(c.get("/api/v1/stats").0, 200, "{who}");
    }

    // A manager of PA asking for PB is refused everywhere.
    for path in [
        format!("/api/v1/stats?property={pb}"),
        format!("/api/v1/spot-checks?property={pb}"),
        format!("/api/v1/exports/cases.csv?property={pb}"),
        format!("/api/v1/exports/cases.xlsx?property={pb}"),
        format!("/api/v1/exports/stats.csv?property={pb}"),
        format!("/api/v1/exports/stats.xlsx?property={pb}"),
    ] {
        let (status, body) = manager.get(&path);
        assert_eq!((status, code(&body)), (403, "auth.forbidden"), "{path}");
    }
    let (status, body) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pb, "year": 2025, "quarter": 1}),
    );
    assert_eq!((status, code(&body)), (403, "auth.forbidden"));

    // Without a filter a manager gets PA only, from every endpoint.
    let (_, year) = manager.get("/api/v1/stats?period=year&from=2025-01-01");
    assert_eq!(year["total"], 14);
    let text = year.to_string();
    assert!(!text.contains(&pb), "PB's id leaks into PA's statistics");
    assert!(
        !text.contains("锦绣花园"),
        "PB's name leaks into PA's statistics"
    );
    for name in ["D1", "D2"] {
        assert!(!text.contains(&s.cases[name].to_string()));
        assert!(!text.contains(&s.reg_nos[name]));
    }

    let (status, headers, csv) = manager.get_bytes(
        "/api/v1/exports/cases.csv",
        &["x-total-rows", "content-type"],
    );
    assert_eq!(status, 200);
    assert_eq!(headers[0].as_deref(), Some("14"));
    assert_eq!(headers[1].as_deref(), Some("text/csv; charset=utf-8"));
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 15, "header + 14 PA cases");
    assert!(rows[0].starts_with("\u{feff}登记号,类型,状态,项目"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.contains("华苑小区") && !r.contains("锦绣花园"))
    );
    assert!(!text.contains(&s.reg_nos["D1"]));

    let (_, stats_csv_headers, stats_csv) = manager.get_bytes(
        "/api/v1/exports/stats.csv?period=year&from=2025-01-01",
        &["content-type"],
    );
    assert_eq!(
        stats_csv_headers[0].as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let stats_text = String::from_utf8(stats_csv).expect("utf-8");
    assert!(stats_text.contains("概况") && stats_text.contains("华苑小区"));
    // The overdue sheet names C5's late clock in words, not by its code.
    assert!(stats_text.contains("报修回访") && !stats_text.contains("follow_up_repair"));
    assert!(!stats_text.contains("锦绣花园") && !stats_text.contains(&s.reg_nos["D1"]));

    // Head office sees both.
    let (quality, _) = w.login("quality");
    let (_, headers, _) = quality.get_bytes("/api/v1/exports/cases.csv", &["x-total-rows"]);
    assert_eq!(headers[0].as_deref(), Some("16"));
}

/// Managers of one property drawing the same quarter at the same moment
/// (on PostgreSQL, possibly through different servers): one draw is
/// recorded, and every other is told the quarter was drawn, never given a
/// database error.
#[test]
fn a_quarter_drawn_twice_at_once_is_drawn_once() {
    let s = seeded();
    let w = &s.w;
    let pa = w.pa().id.to_string();
    let managers: Vec<_> = (0..4).map(|_| w.login("manager_a").0).collect();
    let start = std::sync::Arc::new(std::sync::Barrier::new(managers.len()));
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let draws: Vec<_> = managers
            .iter()
            .map(|m| {
                let (start, pa) = (start.clone(), pa.clone());
                scope.spawn(move || {
                    start.wait();
                    let (status, body) = m.post(
                        "/api/v1/spot-checks",
                        &json!({"property": pa, "year": 2025, "quarter": 2}),
                    );
                    (status, code(&body).to_string())
                })
            })
            .collect();
        draws
            .into_iter()
            .map(|d| d.join().expect("a draw"))
            .collect()
    });
    let drawn = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|a| *a == &(409, "spot_check.already_drawn".to_string()))
        .count();
    assert_eq!((drawn, refused), (1, answers.len() - 1), "{answers:?}");
}

#[test]
fn spot_check_draws_are_reproducible_recorded_once_and_counted() {
    let s = seeded();
    let w = &s.w;
    let (manager, _) = w.login("manager_a");
    let pa = w.pa().id.to_string();

    // Not before the quarter is over, not twice.
    let (status, body) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2026, "quarter": 4}),
    );
    assert_eq!((status, code(&body)), (409, "spot_check.quarter_not_over"));
    let (status, body) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2025, "quarter": 5}),
    );
    assert_eq!((status, code(&body)), (400, "spot_check.bad_quarter"));
    // Staff and department heads do not draw.
    for who in ["staff_a", "head_a"] {
        let (c, _) = w.login(who);
        let (status, body) = c.post(
            "/api/v1/spot-checks",
            &json!({"property": pa, "year": 2025, "quarter": 1}),
        );
        assert_eq!((status, code(&body)), (403, "auth.forbidden"), "{who}");
    }

    // The server draws the seed; a manager cannot choose the sample.
    let (status, body) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2025, "quarter": 1, "seed": 42}),
    );
    assert_eq!((status, code(&body)), (422, "request.invalid_json"));
    let (status, drawn) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2025, "quarter": 1}),
    );
    assert_eq!(status, 201, "{drawn}");
    // Completed repairs of Q1: C5 (resolved), C6–C9, C11, C12 (closed);
    // C10 is reopened. 20% of 7, rounded up: 2.
    let seed = drawn["seed"].as_u64().expect("the seed drawn");
    assert!(seed < 1 << 53, "exact in JSON numbers");
    assert_eq!(drawn["percent"], 20);
    assert_eq!(drawn["candidates"], 7);
    assert_eq!(drawn["sampled"], 2);
    let mut candidates: Vec<String> = ["C5", "C6", "C7", "C8", "C9", "C11", "C12"]
        .iter()
        .map(|c| s.cases[c].to_string())
        .collect();
    candidates.sort();
    let expected = shared::report::draw_sample(&candidates, 20, seed);
    let sampled: Vec<String> = drawn["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["case_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sampled, expected,
        "the sample is the documented draw from the seed"
    );
    let item = &drawn["items"][0];
    assert!(
        item["phone"]
            .as_str()
            .is_some_and(|p| p.starts_with("139") && !p.contains('*'))
    );
    assert!(item["resolved_at"].is_string());
    assert_eq!(item["called_at"], Value::Null);
    // The call list names its places in the language asked for.
    let place = |lang: &str| {
        let (status, list) = manager.get(&format!("/api/v1/spot-checks?property={pa}&lang={lang}"));
        assert_eq!(status, 200, "{list}");
        list[0]["items"][0]["place"].as_str().unwrap().to_string()
    };
    let (zh, en) = (place("zh-CN"), place("en"));
    assert!(zh.contains("公共区域"), "{zh}");
    assert_ne!(zh, en);
    let (status, body) = manager.get(&format!("/api/v1/spot-checks?property={pa}&lang=fr"));
    assert_eq!((status, code(&body)), (400, "request.bad_lang"));

    let (status, body) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2025, "quarter": 1}),
    );
    assert_eq!((status, code(&body)), (409, "spot_check.already_drawn"));

    // Head-office quality runs the check too: it draws PB's quarter (one
    // repair: D2).
    let (quality, _) = w.login("quality");
    let (status, pb_draw) = quality.post(
        "/api/v1/spot-checks",
        &json!({"property": w.pb().id, "year": 2025, "quarter": 1}),
    );
    assert_eq!(status, 201, "{pb_draw}");
    assert_eq!(pb_draw["items"][0]["case_id"], s.cases["D2"].to_string());
    assert!(pb_draw["seed"].as_u64().is_some_and(|seed| seed < 1 << 53));

    // The manager records the two calls as spot-check follow-ups, from a
    // tablet of their own.
    let (tablet, mut author) = w.login("manager_a");
    let calls: Vec<Op> = sampled
        .iter()
        .zip([5u8, 3])
        .map(|(id, score)| {
            author.op(
                id.parse().expect("case id"),
                None,
                Action::FollowUp {
                    method: ContactMethod::Phone,
                    satisfaction: score,
                    comment: "抽查回访".into(),
                    spot_check: true,
                    ratings: None,
                },
            )
        })
        .collect();
    let (status, answer) = tablet.post("/api/v1/sync/push", &push_body(author.device, &calls));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]));

    let (status, list) = manager.get(&format!(
        "/api/v1/spot-checks?property={pa}&year=2025&quarter=1"
    ));
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (&list[0]["called"], &list[0]["satisfied"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(list[0]["items"][0]["satisfaction"], 5);
    assert_eq!(list[0]["items"][0]["comment"], "抽查回访");

    // A manager sees only their property's draws; head office sees both;
    // the admin sees masked phones.
    let (_, mine) = manager.get("/api/v1/spot-checks");
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    // Listed for the periods its quarter overlaps, as the figures count it:
    // March 2025 (Shanghai) does, May does not.
    let of_period = |from: &str, to: &str| {
        let (status, list) = manager.get(&format!(
            "/api/v1/spot-checks?property={pa}&from={from}&to={to}"
        ));
        assert_eq!(status, 200, "{list}");
        list.as_array().map(Vec::len)
    };
    assert_eq!(
        of_period("2025-02-28T16:00:00Z", "2025-03-31T16:00:00Z"),
        Some(1)
    );
    assert_eq!(
        of_period("2025-04-30T16:00:00Z", "2025-05-31T16:00:00Z"),
        Some(0)
    );
    let (_, all) = quality.get("/api/v1/spot-checks?year=2025");
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    // The list is bounded: at most `limit` draws, the latest first.
    let (status, first) = quality.get("/api/v1/spot-checks?limit=1");
    assert_eq!(status, 200, "{first}");
    assert_eq!(first, json!([all[0].clone()]));
    let (admin, _) = w.login("admin");
    let (_, masked) = admin.get(&format!("/api/v1/spot-checks?property={pa}"));
    let phone = masked[0]["items"][0]["phone"].as_str().unwrap();
    assert!(phone.contains("****"), "{phone}");
    assert!(
        masked[0]["items"][0]["complainant_name"]
            .as_str()
            .unwrap()
            .ends_with('*')
    );

    // The outcome is in the statistics of every period the quarter overlaps,
    // and spot-check calls do not count as regular follow-ups.
    let (_, q1) = manager.get("/api/v1/stats?period=quarter&from=2025-01-01");
    assert_eq!(
        q1["spot_checks"],
        json!({"draws": 1, "sampled": 2, "called": 2, "satisfied": 1, "called_rate": 100.0, "satisfied_rate": 50.0})
    );
    assert_eq!(q1["satisfaction"]["rated"], 10);
    assert_eq!(q1["follow_up"]["done"], 10);
    let (_, feb) = quality.get("/api/v1/stats?period=month&from=2025-02-01");
    assert_eq!(feb["spot_checks"]["sampled"], 3);
    let (_, q2) = quality.get("/api/v1/stats?period=quarter&from=2025-05-01");
    assert_eq!(q2["spot_checks"]["draws"], 0);

    // The draw is audited with its seed.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=10");
    let draws: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "spot_check.draw")
        .collect();
    assert_eq!(draws.len(), 2);
    let audited = draws
        .iter()
        .find(|e| e["detail"]["seed"] == seed)
        .expect("the draw's audit entry");
    // With its candidates: anyone can draw the same sample again, however
    // the cases changed since.
    let candidates: Vec<String> =
        serde_json::from_value(audited["detail"]["candidate_ids"].clone()).unwrap();
    assert_eq!(candidates.len() as u64, audited["detail"]["candidates"]);
    assert_eq!(shared::report::draw_sample(&candidates, 20, seed), sampled);

    // A sampled case deleted at the end of its retention keeps its place
    // in the sample: the draw stays as it was drawn. It is counted in no
    // figure, as a voided one is not: counted sampled and no longer
    // called, it lowered the quarter's call rate years later.
    let closed = sampled
        .iter()
        .find(|id| **id != s.cases["C5"].to_string())
        .expect("C5 is the one repair of the quarter not closed");
    let closed: CaseId = closed.parse().expect("case id");
    common::received_long_ago(w.fx.data.path(), closed, local("2025-04-01", "09:00"));
    let (status, body) = admin.delete(&format!("/api/v1/admin/cases/{closed}"));
    assert_eq!(status, 200, "{body}");
    let (_, list) = manager.get(&format!(
        "/api/v1/spot-checks?property={pa}&year=2025&quarter=1"
    ));
    let items = list[0]["items"].as_array().expect("the sample's items");
    assert_eq!(items.len(), 2, "{list}");
    let gone = items
        .iter()
        .find(|i| i["case_id"] == closed.to_string())
        .expect("the deleted case keeps its place");
    assert_eq!(gone["reg_no"], "");
    // The list's own count agrees with the statistics' beside it.
    assert_eq!(list[0]["sampled"], 1, "{list}");
    let (_, q1) = manager.get("/api/v1/stats?period=quarter&from=2025-01-01");
    let spot = &q1["spot_checks"];
    assert_eq!(
        (&spot["sampled"], &spot["called"], &spot["called_rate"]),
        (&json!(1), &json!(1), &json!(100.0)),
        "{spot}"
    );
}

#[test]
fn cases_are_counted_by_whom_they_complain_about_and_unreported_major_cases_listed() {
    let w = world();
    let (manager, mut a) = w.login("manager_a");
    let assess = |respondent: &str, department: &str, severity, validity| Action::Assess {
        severity,
        urgent: false,
        validity,
        reason: if validity == Validity::Unfounded {
            "非物业责任".into()
        } else {
            String::new()
        },
        respondent: respondent.into(),
        respondent_department: department.into(),
    };
    let t0 = local("2025-05-06", "09:00");
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for (i, (person, department, severity, validity, reported)) in [
        (
            "保安王某",
            "秩序部",
            Severity::General,
            Validity::Valid,
            false,
        ),
        (
            "保安王某",
            "秩序部",
            Severity::Major,
            Validity::Valid,
            false,
        ),
        (
            "保安王某",
            "秩序部",
            Severity::General,
            Validity::Unfounded,
            false,
        ),
        ("", "保洁部", Severity::Major, Validity::Valid, true),
        ("", "", Severity::General, Validity::Valid, false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut script = Script::new(
            &mut a,
            w.pa(),
            CaseKind::Complaint,
            t0 + Duration::hours(i as i64),
            |_| {},
        );
        script.at(10, assess(person, department, severity, validity));
        if reported {
            script.at(
                40,
                Action::Escalate {
                    to_role: shared::role::Role::RegionalManager,
                    skip_level: false,
                    reason: "重大投诉上报".into(),
                },
            );
        }
        ids.push(script.id);
        ops.extend(script.ops);
    }
    let (s, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");

    let (status, stats) = manager.get("/api/v1/stats?period=month&from=2025-05-06");
    assert_eq!(status, 200, "{stats}");
    assert_eq!(
        stats["respondents"],
        json!([
            {"department": "秩序部", "person": "保安王某", "cases": 3, "valid_complaints": 2},
            {"department": "保洁部", "person": "", "cases": 1, "valid_complaints": 1},
        ])
    );
    // The second case is major and nobody reported it; the fourth was.
    let major = &stats["major_unreported"];
    assert_eq!(major["total"], 1, "{major}");
    assert_eq!(major["items"][0]["id"], json!(ids[1].to_string()));
    assert_eq!(
        major["items"][0]["next_due_at"],
        json!(
            (t0 + Duration::hours(1) + Duration::minutes(10) + Duration::hours(2))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );
}

/// A repair whose resident nobody can call back (anonymous, no phone) is
/// no candidate of the spot-check: drawn, it would keep the called rate
/// below 100% for good.
#[test]
fn a_repair_nobody_can_call_is_not_drawn_for_a_spot_check() {
    let s = seeded();
    let w = &s.w;
    let (manager, mut a) = w.login("manager_a");
    let pa = w.pa().clone();
    let t0 = local("2025-07-07", "09:00");
    let (unreachable, mut ops) = Script::new(&mut a, &pa, CaseKind::Repair, t0, |r| {
        r.complainant.anonymous = true;
        r.complainant.name = String::new();
        r.complainant.phone = None;
    })
    .assign(10, "工程部")
    .start(20)
    .at(
        120,
        Action::Resolve {
            result: "已更换灯泡".into(),
            feedback_method: ContactMethod::Phone,
            feedback_at: None,
            on_the_spot: false,
        },
    )
    .done();
    let (reachable, more) = repair(&mut a, &pa, local("2025-07-08", "09:00"), 7, 2, Some(5));
    ops.extend(more);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let (_, case) = manager.get(&format!("/api/v1/cases/{unreachable}"));
    assert_eq!(case["state"], "resolved", "{case}");

    let (status, drawn) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa.id, "year": 2025, "quarter": 3}),
    );
    assert_eq!(status, 201, "{drawn}");
    assert_eq!(drawn["candidates"], 1, "{drawn}");
    assert_eq!(drawn["items"][0]["case_id"], reachable.to_string());
}

/// A callback that ran out unmade and was then taken away by a reopening
/// was never made: it counts against the follow-up rate, and as missed
/// among the clocks, not as met late.
#[test]
fn a_callback_taken_away_by_a_reopening_after_it_ran_out_was_not_made() {
    let w = world();
    let (manager, mut a) = w.login("manager_a");
    let pa = w.pa().clone();
    // Resolved on Monday 7 July at 11:00; the callback is due by the end
    // of the next working day, and nobody calls.
    let (case, ops) = Script::new(
        &mut a,
        &pa,
        CaseKind::Repair,
        local("2025-07-07", "09:00"),
        |r| r.complainant.phone = phone(1),
    )
    .assign(10, "工程部")
    .start(20)
    .resolve(120)
    .at(
        7 * 24 * 60,
        Action::Reopen {
            reason: "复查发现仍漏水".into(),
        },
    )
    .done();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let (_, stored) = manager.get(&format!("/api/v1/cases/{case}"));
    let callback = stored["deadlines"]
        .as_array()
        .and_then(|d| d.iter().find(|c| c["clock"] == "follow_up_repair"))
        .unwrap_or_else(|| panic!("the missed callback stays: {stored}"));
    assert_eq!(callback["taken_unmet"], true, "{stored}");

    let (status, stats) = manager.get("/api/v1/stats?period=year&from=2025-07-07");
    assert_eq!(status, 200, "{stats}");
    let f = &stats["follow_up"];
    assert_eq!((&f["done"], &f["due"]), (&json!(0), &json!(1)), "{stats}");
    let c = clock(&stats, "follow_up_repair");
    assert_eq!(
        (&c["met"], &c["overdue"]),
        (&json!(0), &json!(1)),
        "{stats}"
    );
}

/// A complaint answered on the spot and closed before anyone assessed it
/// counts as not assessed, and as valid once the manager assesses it
/// afterwards, closed as it is.
/// The server folds a close of a complaint that may yet be found valid by
/// the rules of the op's schema: recorded now, it needs the corrective
/// action and its verification, whatever client sent it; recorded by a
/// build from before that rule (schema 1), it keeps its meaning.
#[test]
fn a_complaint_closed_unassessed_needs_its_corrective_action_from_schema_2() {
    let w = world();
    let (manager, mut a) = w.login("manager_a");
    // A tablet registered while its app wrote schema 1.
    registered_before_the_schema_floor(w.fx.data.path(), a.device);
    let pa = w.pa().clone();
    let empty_close = Action::Close {
        corrective_action: String::new(),
        verification: String::new(),
    };
    let mut answered = |at: &str| {
        Script::new(
            &mut a,
            &pa,
            CaseKind::Complaint,
            local("2025-07-07", at),
            |_| {},
        )
        .on_the_spot(30)
        .follow_up(600, 4)
        .at(700, empty_close.clone())
        .done()
    };
    // Written before the tablet's app was updated: every op of the case
    // is of schema 1, and comes before the updated app's.
    let (before, mut old) = answered("10:00");
    for op in &mut old {
        op.schema = 1;
    }
    let (now, ops) = answered("09:00");
    let ops: Vec<Op> = old.into_iter().chain(ops).collect();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let (_, stored) = manager.get(&format!("/api/v1/cases/{now}"));
    assert_eq!(stored["state"], "followed_up", "{stored}");
    assert_eq!(
        stored["violations"][0]["rule"]["code"], "corrective_action_required",
        "{stored}"
    );
    let (_, stored) = manager.get(&format!("/api/v1/cases/{before}"));
    assert_eq!(stored["state"], "closed", "{stored}");
    assert_eq!(stored["violations"], json!([]), "{stored}");
}

#[test]
fn a_complaint_closed_unassessed_counts_once_assessed() {
    let w = world();
    let (manager, mut a) = w.login("manager_a");
    let pa = w.pa().clone();
    let (case, ops) = Script::new(
        &mut a,
        &pa,
        CaseKind::Complaint,
        local("2025-07-07", "09:00"),
        |_| {},
    )
    .on_the_spot(30)
    .follow_up(600, 4)
    .close(700)
    .done();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let year = || {
        let (status, stats) = manager.get("/api/v1/stats?period=year&from=2025-07-07");
        assert_eq!(status, 200, "{stats}");
        let row = property(&stats, &pa);
        (
            row["unassessed_complaints"].clone(),
            row["valid_complaints"].clone(),
        )
    };
    assert_eq!(year(), (json!(1), json!(0)));

    let assessed = a.op_at(
        case,
        Some(CaseState::Closed),
        Action::Assess {
            severity: Severity::Minor,
            urgent: false,
            validity: Validity::Valid,
            reason: String::new(),
            respondent: String::new(),
            respondent_department: String::new(),
        },
        local("2025-07-09", "10:00"),
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(a.device, &[assessed]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    let (_, stored) = manager.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(stored["state"], "closed", "{stored}");
    assert_eq!(stored["violations"], json!([]), "{stored}");
    assert_eq!(year(), (json!(0), json!(1)));
}

#[test]
fn a_case_registered_twice_and_voided_leaves_every_figure() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let (staff, mut s) = w.login("staff_a");
    let pa = w.pa().clone();
    let t0 = local("2025-07-07", "09:00");
    let unit = || Location::Unit {
        building: pa.buildings[0].id,
        unit: pa.buildings[0].units[0].id,
    };
    // Staff and the manager both register the same leak from the same
    // resident; the manager's is the one worked.
    let (kept, ops) = complaint(&mut m, &pa, t0, unit(), 7, 30, 60, 5, 5);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let (twice, ops) = Script::new(&mut s, &pa, CaseKind::Complaint, t0, |r| {
        r.location = unit();
        r.complainant.phone = phone(7);
    })
    .done();
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let year = || {
        let (status, stats) = manager.get("/api/v1/stats?period=year&from=2025-07-07");
        assert_eq!(status, 200, "{stats}");
        stats
    };
    let before = year();
    assert_eq!(
        (before["total"].clone(), before["voided"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(
        before["repeat_complainants"].as_array().map(Vec::len),
        Some(1)
    );

    let (_, original) = manager.get(&format!("/api/v1/cases/{kept}"));
    let original: shared::regno::RegNo =
        serde_json::from_value(original["registration"]["reg_no"].clone()).expect("a number");
    let void = |author: &mut common::Author| {
        author.op_at(
            twice,
            Some(CaseState::Registered),
            Action::Void {
                duplicate_of: Some(original.clone()),
                reason: "重复登记".into(),
            },
            t0 + Duration::hours(1),
        )
    };
    // Staff cannot take the complaint out of the figures.
    let refused = void(&mut s);
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &[refused]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        code(&answer["quarantined"][0]),
        "sync.role_not_allowed",
        "{answer}"
    );

    let voided = void(&mut m);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[voided]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let (_, stored) = manager.get(&format!("/api/v1/cases/{twice}"));
    assert_eq!(stored["state"], "voided", "{stored}");
    assert_eq!(
        stored["voiding"]["duplicate_of"],
        json!(original.to_string())
    );
    assert_eq!(stored["deadlines"], json!([]), "{stored}");

    let after = year();
    assert_eq!(
        (after["total"].clone(), after["voided"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(bucket(&after["by_kind"], "complaint"), 1);
    assert_eq!(after["repeat_complainants"], json!([]), "{after}");
    assert_eq!(property(&after, &pa)["valid_complaints"], json!(1));
    assert!(
        after["by_state"]
            .as_array()
            .is_some_and(|b| b.iter().all(|b| b["key"] != "voided")),
        "{after}"
    );
}

#[test]
fn a_repair_voided_after_its_draw_leaves_the_sample() {
    let w = world();
    let (manager, mut m) = w.login("manager_a");
    let pa = w.pa().clone();
    // Resolved and waiting for its callback: completed, so it is drawn.
    let (case, ops) = repair(&mut m, &pa, local("2025-08-04", "09:00"), 3, 2, None);
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    let (status, drawn) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa.id, "year": 2025, "quarter": 3}),
    );
    assert_eq!(status, 201, "{drawn}");
    assert_eq!(drawn["items"][0]["case_id"], json!(case.to_string()));
    let sampled = || {
        let (_, q3) = manager.get("/api/v1/stats?period=quarter&from=2025-07-01");
        let (_, list) = manager.get(&format!(
            "/api/v1/spot-checks?property={}&year=2025&quarter=3",
            pa.id
        ));
        (
            q3["spot_checks"]["sampled"].clone(),
            list[0]["items"].clone(),
        )
    };
    assert_eq!(sampled().0, json!(1));

    // It was the second registration of a repair already recorded.
    let void = m.op_at(
        case,
        Some(CaseState::Resolved),
        Action::Void {
            duplicate_of: None,
            reason: "重复登记".into(),
        },
        local("2025-08-05", "10:00"),
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[void]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &json!([])),
        "{answer}"
    );
    assert_eq!(sampled(), (json!(0), json!([])));
}

/// A draw is answered by the calls made for it: a spot-check call of an
/// earlier quarter, about work done again since, is not this quarter's
/// call, neither in the call list nor in the statistics.
#[test]
fn a_spot_check_call_of_an_earlier_quarter_does_not_answer_the_draw() {
    let w = world();
    let (manager, mut author) = w.login("manager_a");
    let spot_check = |satisfaction| Action::FollowUp {
        method: ContactMethod::Phone,
        satisfaction,
        comment: "抽查回访".into(),
        spot_check: true,
        ratings: None,
    };
    let t0 = local("2024-12-20", "09:00");
    let minutes_to = |day: &str| (local(day, "10:00") - t0).num_minutes();
    // Repaired and called back in December, spot-checked at the end of
    // the year; reopened in January and repaired again.
    let (_, ops) = Script::new(&mut author, w.pa(), CaseKind::Repair, t0, |_| {})
        .assign(10, "工程部")
        .start(20)
        .resolve(60)
        .follow_up(120, 5)
        .at(minutes_to("2024-12-28"), spot_check(2))
        .at(
            minutes_to("2025-01-05"),
            Action::Reopen {
                reason: "漏水复发".into(),
            },
        )
        .start(minutes_to("2025-01-05") + 10)
        .resolve(minutes_to("2025-01-06"))
        .done();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(author.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");

    let pa = w.pa().id.to_string();
    let (status, drawn) = manager.post(
        "/api/v1/spot-checks",
        &json!({"property": pa, "year": 2025, "quarter": 1}),
    );
    assert_eq!(status, 201, "{drawn}");
    assert_eq!(drawn["sampled"], 1, "{drawn}");
    let counts = || {
        let (_, list) = manager.get(&format!(
            "/api/v1/spot-checks?property={pa}&year=2025&quarter=1"
        ));
        let (_, stats) = manager.get("/api/v1/stats?period=quarter&from=2025-01-01");
        (
            (
                list[0]["called"].clone(),
                list[0]["items"][0]["satisfaction"].clone(),
            ),
            (
                stats["spot_checks"]["called"].clone(),
                stats["spot_checks"]["satisfied"].clone(),
            ),
        )
    };
    assert_eq!(counts(), ((json!(0), Value::Null), (json!(0), json!(0))));

    // The call made for the draw answers it.
    let case = ops[0].case_id;
    let call = author.op_at(case, None, spot_check(4), local("2025-04-03", "10:00"));
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(author.device, &[call]));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], json!([]), "{answer}");
    assert_eq!(counts(), ((json!(1), json!(4)), (json!(1), json!(1))));
}
