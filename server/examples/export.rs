//! Export benchmark: 100,000 cases registered through the store's push
//! (judgement, fold, materialization), then exported over real HTTP as
//! XLSX and as CSV, and the year's statistics computed over them.
//!
//! Run in release (`cargo run --release -p server --example export`); prints
//! Markdown table rows in the shape `cargo xtask bench` writes into
//! BENCHMARKS.md. `EXPORT_CASES` changes the number of cases.

use chrono::{TimeZone, Utc};
use server::store::{NewUser, Store};
use shared::case::{CaseKind, Channel, Complainant, Registration};
use shared::id::{CaseId, DeviceId, PropertyId};
use shared::op::Action;
use shared::phone::Phone;
use shared::property::{Location, Property};
use shared::regno::RegNo;
use shared::role::Role;
use std::sync::Arc;
use std::time::Instant;

mod bench;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cases: usize = std::env::var("EXPORT_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    // `EXPORT_BENCH_DIR` keeps the database for a closer look afterwards.
    let keep = std::env::var_os("EXPORT_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| bench::data_dir("export"));
    let store = Arc::new(server::open_store(&dir)?);
    let property = Property {
        id: PropertyId(uuid::Uuid::now_v7()),
        code: "BENCH".into(),
        name: "基准小区".into(),
        households: 5000,
        buildings: Vec::new(),
    };
    store.put_property(&property, &bench::audit("property.put"))?;
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
    };
    let token = server::auth::token_hash("bench-seed-token");
    let (info, _) = store.device_login(
        &claim,
        users[0].id,
        (&token, Utc::now()),
        Utc::now(),
        &bench::audit("auth.login"),
    )?;
    let (device, number) = (info.id, info.number);
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
                },
                channel: Channel::Phone,
                received_at: at,
                category: "maintenance".into(),
                content: format!("第{i}号报修：楼道灯不亮"),
                requested_remedy: String::new(),
                related_case: None,
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
    println!(
        "| export: cases as XLSX over HTTP (constant-memory writer) | {cases} cases (seeded through the push path in {:.1} s) | {:.1} MB in {xlsx_s:.2} s | **{:.0} rows/s** |",
        seeded.as_secs_f64(),
        mb(xlsx_bytes),
        cases as f64 / xlsx_s
    );
    println!(
        "| export: cases as CSV over HTTP (streamed) | {cases} cases | {:.1} MB in {csv_s:.2} s | **{:.0} rows/s** |",
        mb(csv_bytes),
        cases as f64 / csv_s
    );
    println!(
        "| statistics: one year, every figure, in SQL | {cases} cases | {stats_s:.2} s | **{:.0} cases/s** |",
        cases as f64 / stats_s
    );
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
