//! Export benchmark: 100,000 cases registered through the store's push
//! (judgement, fold, materialization), then exported over real HTTP as
//! XLSX and as CSV, and the year's statistics computed over them; then
//! small pushes sent while the year's statistics run, which should answer
//! as if nothing else ran (the statistics read on a connection of their
//! own).
//!
//! With `BENCH_POSTGRES_URL` set (see `bench::Backend`), the cases are
//! stored in a fresh PostgreSQL database instead. The goals are the ones
//! the issue set for SQLite; the PostgreSQL rows give the figures only.
//!
//! Run in release (`cargo run --release -p server --example export`); prints
//! Markdown table rows in the shape `cargo xtask bench` writes into
//! BENCHMARKS.md. `EXPORT_CASES` changes the number of cases.

use chrono::{TimeZone, Utc};
use server::store::NewUser;
use shared::case::{CaseKind, Channel, Complainant, NoteKind, Registration};
use shared::id::{CaseId, DeviceId, PropertyId};
use shared::op::Action;
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::Role;
use std::time::{Duration, Instant};

mod bench;

/// The year's statistics over the cases should take less than this.
const STATS_GOAL: Duration = Duration::from_secs(1);
/// A push sent while the statistics run should answer within this.
const PUSH_DURING_STATS_GOAL: Duration = Duration::from_millis(50);
/// How many pushes are sent while the statistics run; the slowest counts.
const PUSHES_DURING_STATS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cases: usize = std::env::var("EXPORT_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    // `EXPORT_BENCH_DIR` keeps the data directory (on SQLite, the database)
    // for a closer look afterwards.
    let keep = std::env::var_os("EXPORT_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| bench::data_dir("export"));
    let backend = bench::Backend::from_env();
    let store = backend.open(&dir)?;
    let property = Property {
        id: PropertyId(uuid::Uuid::now_v7()),
        code: "BENCH".into(),
        name: "基准小区".into(),
        households: 5000,
        buildings: Vec::new(),
        retired: false,
        contact: String::new(),
        removed: Vec::new(),
    };
    store.put_property(&property, None, &bench::audit("property.put"))?;
    let hash = server::auth::hash_password(bench::PASSWORD).map_err(|e| format!("{e:?}"))?;
    let mut users = Vec::new();
    for (login, role) in [("staff", Role::Staff), ("quality", Role::Quality)] {
        users.push(store.create_user(
            NewUser {
                login: login.into(),
                display_name: login.into(),
                role,
                properties: vec![property.id],
                department: None,
                password_hash: hash.clone(),
                must_change_password: false,
            },
            Utc::now(),
            &bench::audit("user.create"),
        )?);
    }

    // Seed through Store::push, in batches, as a device would push.
    let device = DeviceId(uuid::Uuid::now_v7());
    let claim = server::store::DeviceClaim {
        claimed: None,
        fresh: (device, server::auth::token_hash("bench-device-secret")),
        name: "bench".into(),
        password_hash: store
            .user_by_login(&users[0].login)?
            .ok_or("the bench user")?
            .password_hash,
        schema_floor: server::api::MIN_CLIENT_SCHEMA,
        record_key: Some(server::auth::new_token()),
    };
    let token = server::auth::token_hash("bench-seed-token");
    let info = store.device_login(
        &claim,
        users[0].id,
        (&token, Utc::now()),
        Utc::now(),
        &bench::audit("auth.login"),
    )?;
    let (device, number) = (info.device.id, info.device.number);
    let mut author = bench::Author::new(device, users[0].id);
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 1, 0, 0)
        .single()
        .ok_or("start time")?;
    let seeding = Instant::now();
    let mut batch = Vec::new();
    for i in 0..cases {
        let at = start + chrono::Duration::seconds(i as i64 * 300);
        batch.push(author.op(
            CaseId(uuid::Uuid::now_v7()),
            at,
            Action::Register(Registration {
                reg_no: RegNo::new(
                    "BENCH",
                    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
                    number,
                    i as u32 + 1,
                )?,
                kind: CaseKind::Repair,
                property: property.id,
                location: Location::PublicArea,
                complainant: Complainant {
                    name: format!("李{i}"),
                    phone: Phone::parse(&format!("139{:08}", i)).ok(),
                    anonymous: false,
                },
                channel: Channel::Phone,
                received_at: at,
                category: "maintenance".into(),
                content: format!("第{i}号报修：楼道灯不亮"),
                requested_remedy: String::new(),
                related_case: None,
                source_ref: String::new(),
            }),
        ));
        if batch.len() == 5000 || i + 1 == cases {
            let now = Utc::now();
            store.push(
                device,
                &users[0],
                std::mem::take(&mut batch),
                now,
                now + chrono::Duration::days(1),
            )?;
        }
    }
    let seeded = seeding.elapsed();

    let (_rt, base) = bench::serve(store.clone())?;
    let agent = bench::agent();
    let token = bench::login(&agent, &base, "quality")?.token;
    let get = |path: &str| -> Result<(usize, f64), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let mut resp = agent
            .get(format!("{base}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .call()?;
        if resp.status() != 200 {
            return Err(format!("{path}: {}", resp.status()).into());
        }
        let bytes = resp.body_mut().with_config().limit(1 << 32).read_to_vec()?;
        Ok((bytes.len(), started.elapsed().as_secs_f64()))
    };
    let (xlsx_bytes, xlsx_s) = get("/api/v1/exports/cases.xlsx")?;
    let (csv_bytes, csv_s) = get("/api/v1/exports/cases.csv")?;
    let (_, stats_s) = get("/api/v1/stats?period=year&from=2025-06-01")?;
    let mb = |b: usize| b as f64 / (1 << 20) as f64;
    let on = backend.suffix();
    println!(
        "| export: cases as XLSX over HTTP (constant-memory writer){on} | {cases} cases (seeded through the push path in {:.1} s) | {:.1} MB in {xlsx_s:.2} s | **{:.0} rows/s** |",
        seeded.as_secs_f64(),
        mb(xlsx_bytes),
        cases as f64 / xlsx_s
    );
    println!(
        "| export: cases as CSV over HTTP (streamed){on} | {cases} cases | {:.1} MB in {csv_s:.2} s | **{:.0} rows/s** |",
        mb(csv_bytes),
        cases as f64 / csv_s
    );
    let stats_goal = match backend {
        bench::Backend::Sqlite => format!(
            " ({})",
            bench::goal(
                stats_s < STATS_GOAL.as_secs_f64(),
                &format!("goal < {} s", STATS_GOAL.as_secs())
            )
        ),
        bench::Backend::Postgres { .. } => String::new(),
    };
    println!(
        "| statistics: one year, every figure, the period's cases read once{on} | {cases} cases | {stats_s:.2} s | **{:.0} cases/s**{stats_goal} |",
        cases as f64 / stats_s,
    );

    // Small pushes from a staff tablet: first alone, then while the year's
    // statistics run in another request.
    let staff = bench::login(&agent, &base, "staff")?;
    let mut tablet = SmallPushes {
        agent: &agent,
        base: &base,
        login: &staff,
        author: bench::Author::new(staff.device, users[0].id),
        property: property.id,
        cases: 0,
    };
    let alone = (0..PUSHES_DURING_STATS)
        .map(|_| tablet.push())
        .collect::<Result<Vec<_>, _>>()?;
    let stats_thread = {
        let (agent, base, token) = (agent.clone(), base.clone(), token.clone());
        std::thread::spawn(move || -> Result<Instant, String> {
            let mut resp = agent
                .get(format!("{base}/api/v1/stats?period=year&from=2025-06-01"))
                .header("Authorization", format!("Bearer {token}"))
                .call()
                .map_err(|e| e.to_string())?;
            resp.body_mut().read_to_vec().map_err(|e| e.to_string())?;
            Ok(Instant::now())
        })
    };
    // Let the statistics start, then spread the pushes over their run.
    std::thread::sleep(Duration::from_millis(200));
    let mut during = Vec::new();
    for _ in 0..PUSHES_DURING_STATS {
        during.push(tablet.push()?);
        std::thread::sleep(Duration::from_secs_f64(
            stats_s / 2.0 / PUSHES_DURING_STATS as f64,
        ));
    }
    let pushes_done = Instant::now();
    let stats_done = stats_thread
        .join()
        .map_err(|_| "the statistics thread panicked")??;
    if stats_done < pushes_done {
        eprintln!("note: the statistics ended before the last push; fewer pushes overlapped them");
    }
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let slowest = during.iter().max().copied().unwrap_or_default();
    let alone_slowest = alone.iter().max().copied().unwrap_or_default();
    let push_goal = match backend {
        bench::Backend::Sqlite => format!(
            " ({})",
            bench::goal(
                slowest < PUSH_DURING_STATS_GOAL,
                &format!("goal < {} ms", PUSH_DURING_STATS_GOAL.as_millis())
            )
        ),
        bench::Backend::Postgres { .. } => String::new(),
    };
    println!(
        "| push while the year's statistics run (each on its own connection){on} | {PUSHES_DURING_STATS} pushes of {} ops over HTTP during the {cases}-case statistics | slowest {:.1} ms (alone: slowest {:.1} ms) | **{:.1} ms**{push_goal} |",
        SmallPushes::OPS,
        ms(&slowest),
        ms(&alone_slowest),
        ms(&slowest),
    );
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// A tablet pushing small batches: each a new case and its notes.
struct SmallPushes<'a> {
    agent: &'a ureq::Agent,
    base: &'a str,
    login: &'a bench::Login,
    author: bench::Author,
    property: PropertyId,
    cases: u32,
}

impl SmallPushes<'_> {
    /// Ops in each push.
    const OPS: usize = 10;

    /// Pushes one batch and returns how long the answer took.
    fn push(&mut self) -> Result<Duration, Box<dyn std::error::Error>> {
        self.cases += 1;
        let case = CaseId(uuid::Uuid::now_v7());
        let at = Utc::now();
        let mut ops = vec![self.author.op(
            case,
            at,
            Action::Register(Registration {
                reg_no: RegNo::new(
                    "BENCH",
                    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
                    self.login.number,
                    self.cases,
                )?,
                kind: CaseKind::Complaint,
                property: self.property,
                location: Location::PublicArea,
                complainant: Complainant {
                    name: "王五".into(),
                    phone: Phone::parse("13800002222").ok(),
                    anonymous: false,
                },
                channel: Channel::Phone,
                received_at: at,
                category: "noise".into(),
                content: "统计期间的推送".into(),
                requested_remedy: String::new(),
                related_case: None,
                source_ref: String::new(),
            }),
        )];
        while ops.len() < Self::OPS {
            let text = format!("记录 {}", ops.len());
            ops.push(self.author.op(
                case,
                at,
                Action::Note {
                    note_kind: NoteKind::General,
                    text,
                },
            ));
        }
        let body = serde_json::json!({ "device": self.login.device, "ops": ops });
        let started = Instant::now();
        let answer: serde_json::Value = self
            .agent
            .post(format!("{}/api/v1/sync/push", self.base))
            .header("Authorization", format!("Bearer {}", self.login.token))
            .send_json(&body)?
            .body_mut()
            .read_json()?;
        let took = started.elapsed();
        if answer["acked_seq"].as_u64() != Some(self.author.seq()) {
            return Err(format!("push not fully acknowledged: {answer}").into());
        }
        Ok(took)
    }
}
