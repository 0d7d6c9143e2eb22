//! Case exports at scale: cases registered through the store's real push
//! path (judgement, fold, materialization), exported over HTTP by the
//! server process, and read back: XLSX with calamine, CSV as text.
//!
//! The number of cases is `EXPORT_CASES`, by default 100,000 in a release
//! build (`cargo test --release -p server --test exports -- --nocapture`)
//! and 10,000 in a debug build; timings and the server's peak memory are
//! printed.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use common::{Author, Client, Fixture, Server, code, push_body, seed_cases};
use server::export::table::{CASE_COLUMNS, case_headers};
use shared::lang::Lang;
use shared::phone::Phone;
use std::io::Cursor;
use std::time::Instant;

/// 100,000 in an optimized build; 10,000 in a debug build, where seeding
/// 100,000 cases through the fold alone takes about 45 s on the 2-core CI
/// box; `EXPORT_CASES` overrides both.
fn cases_to_seed() -> usize {
    let default = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    std::env::var("EXPORT_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn sheet(bytes: Vec<u8>, name: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX file");
    book.worksheet_range(name).expect("the cases sheet")
}

fn texts(row: &[Data]) -> Vec<String> {
    row.iter().map(|c| c.to_string()).collect()
}

#[test]
fn exports_of_many_cases_stream_read_back_and_mask() {
    let n = cases_to_seed();
    let fx = Fixture::new();
    let start = Utc
        .with_ymd_and_hms(2025, 1, 6, 1, 0, 0)
        .single()
        .expect("time");
    let t = Instant::now();
    let ids = seed_cases(fx.data.path(), "staff_a", &fx.pa, n, start, |i, r| {
        r.complainant.name = format!("李{i}");
        r.complainant.phone = Phone::parse(&format!("139{:08}", i)).ok();
        r.content = format!("第{i}号报修：楼道灯不亮");
    });
    println!(
        "seeded {n} cases through Store::push in {:.1?}",
        t.elapsed()
    );
    let server = Server::start(fx.data.path());

    // The admin gets masked personal data, in XLSX.
    let (admin, _) = Client::login(&server.base, "admin");
    let t = Instant::now();
    let (status, headers, bytes) = admin.get_bytes(
        "/api/v1/exports/cases.xlsx",
        &["x-total-rows", "content-length", "content-type"],
    );
    let took = t.elapsed();
    assert_eq!(status, 200);
    println!("cases.xlsx: {n} rows, {} bytes in {took:.1?}", bytes.len());
    assert_eq!(headers[0], Some(n.to_string()), "X-Total-Rows");
    assert_eq!(headers[1], Some(bytes.len().to_string()), "Content-Length");
    assert_eq!(
        headers[2].as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let t = Instant::now();
    let range = sheet(bytes, "工单");
    println!("read back with calamine in {:.1?}", t.elapsed());
    assert_eq!(range.height(), n + 1, "header + one row per case");
    let mut rows = range.rows();
    let header = texts(rows.next().expect("header row"));
    assert_eq!(header, case_headers(Lang::ZhCn));
    assert_eq!(header.len(), CASE_COLUMNS.len());
    let phone = header
        .iter()
        .position(|h| h == "联系电话")
        .expect("phone column");
    let name = header
        .iter()
        .position(|h| h == "联系人姓名")
        .expect("name column");
    let id = header
        .iter()
        .position(|h| h == "工单ID")
        .expect("id column");
    let responder = header
        .iter()
        .position(|h| h == "首问责任人")
        .expect("first responder column");
    let first = texts(rows.next().expect("first row"));
    assert_eq!(
        first[responder], "staff_a",
        "the account that registered it"
    );
    assert!(
        first[0].starts_with("PA-250106-") && first[0].ends_with("-0001"),
        "{}",
        first[0]
    );
    assert_eq!(first[1], "报修");
    assert_eq!(first[3], "华苑小区");
    assert_eq!(first[10], "2025-01-06 09:00", "received, local time");
    assert_eq!(first[id], ids[0].to_string(), "oldest first");
    let mut seen = 1;
    for row in rows {
        seen += 1;
        let phone = row[phone].to_string();
        assert!(
            phone.len() == 11 && &phone[3..7] == "****",
            "row {seen}: phone {phone} is not masked"
        );
        let name = row[name].to_string();
        assert!(name.starts_with('李') && name.ends_with('*') && !name.contains(char::is_numeric));
    }
    assert_eq!(seen, n);
    let last = range.rows().next_back().map(texts).expect("last row");
    assert_eq!(last[id], ids[n - 1].to_string(), "newest last");

    // Head office gets the same rows unmasked, as a streamed CSV.
    let (quality, _) = Client::login(&server.base, "quality");
    let t = Instant::now();
    let (status, headers, csv) = quality.get_bytes(
        "/api/v1/exports/cases.csv",
        &["x-total-rows", "content-length"],
    );
    println!(
        "cases.csv: {n} rows, {} bytes in {:.1?}",
        csv.len(),
        t.elapsed()
    );
    assert_eq!(status, 200);
    assert_eq!(headers[0], Some(n.to_string()));
    assert_eq!(headers[1], None, "streamed: no length known in advance");
    let (header, records) = read_csv(csv);
    assert_eq!(header, case_headers(Lang::ZhCn));
    let mut count = 0;
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.len(), CASE_COLUMNS.len());
        if i == 0 || i + 1 == n {
            // The tab keeps a spreadsheet from reading the phone as a number.
            assert_eq!(&record[phone], format!("139{:08}\t", i));
            assert_eq!(&record[name], format!("李{i}"));
            assert_eq!(&record[id], ids[i].to_string());
        }
        count += 1;
    }
    assert_eq!(count, n);

    // The statistics over the same cases, all of them in SQL.
    let t = Instant::now();
    let (status, stats) = quality.get("/api/v1/stats?period=year&from=2025-01-06");
    println!("stats of the year over {n} cases in {:.1?}", t.elapsed());
    assert_eq!(status, 200);
    assert_eq!(stats["total"], n);
    assert_eq!(
        stats["overdue"]["total"], n,
        "nobody touched them since 2025"
    );
    assert_eq!(
        stats["overdue"]["items"].as_array().map(Vec::len),
        Some(200)
    );

    // The server never held the export (or the database) in memory.
    let db = std::fs::metadata(fx.data.path().join(server::DB_FILE)).map_or(0, |m| m.len());
    if let Some(peak) = server.peak_rss_kb() {
        println!(
            "server peak RSS {} MB; SQLite file {} MB",
            peak / 1024,
            db / (1 << 20)
        );
        assert!(peak < 150 * 1024, "the server peaked at {peak} kB");
    }
}

#[test]
fn exports_follow_filters_language_and_scope() {
    let fx = Fixture::new();
    let start = Utc
        .with_ymd_and_hms(2025, 3, 3, 1, 0, 0)
        .single()
        .expect("time");
    seed_cases(fx.data.path(), "staff_a", &fx.pa, 30, start, |i, r| {
        if i % 3 == 0 {
            r.category = "cleaning".into();
        }
        // A cell that Excel would run as a formula.
        r.content = "=HYPERLINK(\"http://x\")".into();
    });
    seed_cases(fx.data.path(), "staff_b", &fx.pb, 5, start, |_, _| {});
    let server = Server::start(fx.data.path());
    let (manager, _) = Client::login(&server.base, "manager_a");

    // English headers, PA only for PA's manager, filters as in the case list.
    let (status, headers, bytes) = manager.get_bytes(
        "/api/v1/exports/cases.xlsx?lang=en&category=cleaning",
        &["x-total-rows"],
    );
    assert_eq!(status, 200);
    assert_eq!(headers[0].as_deref(), Some("10"));
    let range = sheet(bytes, "Cases");
    assert_eq!(range.height(), 11);
    let rows: Vec<Vec<String>> = range.rows().map(texts).collect();
    assert_eq!(rows[0], case_headers(Lang::En));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[1] == "Repair" && r[5] == "Cleaning")
    );
    // Managers see personal data; in XLSX text stays text.
    assert_eq!(rows[1][9], "13912345678");
    assert_eq!(rows[1][13], "=HYPERLINK(\"http://x\")");

    let (_, headers, csv) = manager.get_bytes("/api/v1/exports/cases.csv", &["x-total-rows"]);
    assert_eq!(
        headers[0].as_deref(),
        Some("30"),
        "PB's 5 cases are not PA's manager's"
    );
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(
        text.contains("'=HYPERLINK"),
        "CSV cells never start a formula"
    );
    assert!(!text.contains("锦绣花园"));

    let (_, headers, _) = manager.get_bytes(
        &format!("/api/v1/exports/cases.csv?property={}", fx.pa.id),
        &["x-total-rows"],
    );
    assert_eq!(headers[0].as_deref(), Some("30"));
    let (status, body) = manager.get(&format!("/api/v1/exports/cases.csv?property={}", fx.pb.id));
    assert_eq!((status, code(&body)), (403, "auth.forbidden"));
    let (status, body) = manager.get("/api/v1/exports/cases.xlsx?lang=fr");
    assert_eq!((status, code(&body)), (400, "request.bad_lang"));
    let (status, body) = manager.get("/api/v1/exports/cases.csv?page=2");
    assert_eq!((status, code(&body)), (400, "request.bad_query"));
    // HEAD builds nothing and is audited as nothing: the file was not
    // handed out.
    for path in [
        "/api/v1/exports/cases.csv".to_string(),
        "/api/v1/exports/cases.xlsx".to_string(),
        "/api/v1/exports/stats.csv".to_string(),
        format!("/api/v1/exports/cases.csv?property={}", fx.pa.id),
    ] {
        assert_eq!(manager.head(&path), 405, "{path}");
    }
    // Each export that answered is in the audit log, with what it held;
    // those refused are not.
    let (admin, _) = Client::login(&server.base, "admin");
    let (status, log) = admin.get("/api/v1/admin/audit?limit=100");
    assert_eq!(status, 200, "{log}");
    let exports: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.cases")
        .collect();
    assert_eq!(exports.len(), 3, "{exports:?}");
    let first = exports.last().unwrap();
    assert_eq!(first["login"], "manager_a");
    assert!(first["device"].is_string() && first["address"].is_string());
    let detail = &first["detail"];
    assert_eq!(
        (
            &detail["format"],
            &detail["category"],
            &detail["rows"],
            &detail["names"],
            &detail["phones"]
        ),
        (
            &serde_json::json!("xlsx"),
            &serde_json::json!("cleaning"),
            &serde_json::json!(10),
            &serde_json::json!(true),
            &serde_json::json!(true)
        ),
        "{first}"
    );
    assert_eq!(exports[0]["detail"]["property"], fx.pa.id.to_string());

    // The statistics workbook has one sheet per table.
    let (quality, _) = Client::login(&server.base, "quality");
    let (status, _, bytes) = quality.get_bytes(
        "/api/v1/exports/stats.xlsx?period=year&from=2025-01-01",
        &[],
    );
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX file");
    let names = book.sheet_names();
    for want in [
        "概况",
        "按类型",
        "按月份",
        "时限达标",
        "满意度",
        "项目指标",
        "部门绩效",
        "超时工单",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "no sheet {want} in {names:?}"
        );
    }
    let summary = book.worksheet_range("概况").expect("summary");
    let cases_row = summary
        .rows()
        .find(|r| r[0] == "工单总数")
        .map(texts)
        .expect("total row");
    assert_eq!(cases_row[1], "35");
    let by_property = book.worksheet_range("按项目").expect("by property");
    let rows: Vec<Vec<String>> = by_property.rows().map(texts).collect();
    assert_eq!(rows[0], ["项目", "数量"]);
    assert!(rows.contains(&vec!["华苑小区".to_string(), "30".to_string()]));
    assert!(rows.contains(&vec!["锦绣花园".to_string(), "5".to_string()]));
    // A target judged on no data is neither met nor missed: repairs have
    // no valid-complaint rate, and its flag stays as empty as the rate.
    let (status, _, bytes) = quality.get_bytes(
        "/api/v1/exports/stats.xlsx?period=year&from=2025-01-01&kind=repair",
        &[],
    );
    assert_eq!(status, 200);
    let mut repairs: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX file");
    let sheet = repairs.worksheet_range("项目指标").expect("per property");
    let rows: Vec<Vec<String>> = sheet.rows().map(texts).collect();
    let rate = rows[0]
        .iter()
        .position(|h| h == "有效投诉率（%）")
        .expect("rate column");
    let flag = rows[0]
        .iter()
        .position(|h| h == "有效投诉率未达标")
        .expect("flag column");
    assert!(rows.len() > 1, "{rows:?}");
    for row in &rows[1..] {
        assert_eq!(
            (row[rate].as_str(), row[flag].as_str()),
            ("", ""),
            "{row:?}"
        );
    }
    // The statistics name complainants who came back: each download is
    // in the audit log too.
    let (_, log) = admin.get("/api/v1/admin/audit?limit=100");
    let stats: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.stats")
        .collect();
    assert_eq!(stats.len(), 2, "{stats:?}");
    assert_eq!(stats[0]["login"], "quality");
    assert_eq!(stats[0]["detail"]["kind"], "repair", "{}", stats[0]);
    assert_eq!(stats[1]["detail"]["from"], "2025-01-01", "{}", stats[1]);
    assert_eq!(stats[1]["detail"]["format"], "xlsx", "{}", stats[1]);

    // The overdue list says kinds, states and categories in words.
    let overdue = book.worksheet_range("超时工单").expect("overdue");
    let rows: Vec<Vec<String>> = overdue.rows().skip(1).map(texts).collect();
    assert!(!rows.is_empty(), "the 2025 cases are overdue");
    for row in &rows {
        assert!(
            ["投诉", "报修", "建议", "咨询"].contains(&row[2].as_str()),
            "{row:?}"
        );
        assert!(!row[3].is_ascii() && !row[4].is_ascii(), "{row:?}");
    }
    // Every list the dashboard shows is in the workbook, row for row: the
    // people complained about and the major cases not reported too.
    let (status, stats) = quality.get("/api/v1/stats?period=year&from=2025-01-01");
    assert_eq!(status, 200, "{stats}");
    for (sheet, list) in [
        ("被投诉人", &stats["respondents"]),
        ("重大工单未上报", &stats["major_unreported"]["items"]),
        ("超时工单", &stats["overdue"]["items"]),
    ] {
        let range = book
            .worksheet_range(sheet)
            .unwrap_or_else(|e| panic!("no sheet {sheet}: {e}"));
        let listed = list.as_array().map_or(0, Vec::len);
        assert_eq!(range.rows().count(), 1 + listed, "{sheet}: {list}");
    }
}

#[test]
fn the_attachment_column_counts_what_each_case_recorded() {
    use common::{Author, attach, bytes, push_body};
    use shared::case::AttachmentKind;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (staff, login) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&login);
    let with = author.register(&fx.pa, "门禁损坏");
    let without = author.register(&fx.pa, "电梯异响");
    let case = with.case_id;
    let mut ops = vec![with, without];
    // Counted whether or not the bytes have arrived: nothing is uploaded.
    for (kind, seed) in [
        (AttachmentKind::Photo, 1),
        (AttachmentKind::Photo, 2),
        (AttachmentKind::ComplainantSignature, 3),
    ] {
        ops.push(attach(&mut author, case, kind, &bytes(100, seed), None));
    }
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &ops));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["quarantined"], serde_json::json!([]), "{answer}");

    let (manager, _) = Client::login(&server.base, "manager_a");
    let (status, _, csv) = manager.get_bytes("/api/v1/exports/cases.csv", &[]);
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).expect("utf-8");
    let mut reader = ::csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (content, count) = (column("内容"), column("附件数"));
    let mut counts: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            (r[content].to_string(), r[count].to_string())
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("电梯异响".to_string(), "0".to_string()),
            ("门禁损坏".to_string(), "3".to_string()),
        ]
    );

    // The XLSX column holds the same numbers.
    let (status, _, bytes) = manager.get_bytes("/api/v1/exports/cases.xlsx?lang=en", &[]);
    assert_eq!(status, 200);
    let range = sheet(bytes, "Cases");
    let rows: Vec<Vec<String>> = range.rows().map(texts).collect();
    let at = rows[0]
        .iter()
        .position(|h| h == "Attachments")
        .expect("the Attachments column");
    let mut numbers: Vec<&str> = rows[1..].iter().map(|r| r[at].as_str()).collect();
    numbers.sort();
    assert_eq!(numbers, ["0", "3"]);
}

/// The case export as `client` gets it: where each column is, by its
/// Chinese header, and the rows.
fn case_csv(client: &Client) -> (impl Fn(&str) -> usize, Vec<csv::StringRecord>) {
    let (status, _, csv) = client.get_bytes("/api/v1/exports/cases.csv", &[]);
    assert_eq!(status, 200);
    let (header, records) = read_csv(csv);
    let column = move |name: &str| header.iter().position(|h| h == name).expect(name);
    (column, records)
}

/// An exported CSV (UTF-8 with a byte-order mark): its header and rows.
fn read_csv(csv: Vec<u8>) -> (Vec<String>, Vec<csv::StringRecord>) {
    let text = String::from_utf8(csv).expect("utf-8");
    let mut reader =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let records = reader.records().map(|r| r.expect("a CSV record")).collect();
    (header, records)
}

/// What quality reads of a finished case without opening it: who took it,
/// the compensation agreed and the corrective action recorded at closure.
#[test]
fn a_case_row_holds_its_first_responder_compensation_and_corrective_action() {
    use shared::case::CaseKind;
    use shared::op::Action;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut m = Author::new(&body);
    let (regional, body) = Client::login(&server.base, "regional_a");
    let mut r = Author::new(&body);
    let at = Utc::now() - chrono::Duration::hours(8);
    let reg = m.register_at(&fx.pa, CaseKind::Repair, at, |_| {});
    let case = reg.case_id;
    let mut ops = vec![reg];
    let steps = common::to_proposal(CaseKind::Repair, shared::case::Severity::General, 12_050);
    for (i, action) in steps.into_iter().enumerate() {
        ops.push(m.op_at(
            case,
            None,
            action,
            at + chrono::Duration::minutes(i as i64 + 1),
        ));
    }
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    let approve = r.op_at(
        case,
        None,
        Action::Approve {
            approved: true,
            comment: String::new(),
            compensation_fen: Some(12_050),
        },
        at + chrono::Duration::minutes(10),
    );
    let (status, answer) = regional.post("/api/v1/sync/push", &push_body(r.device, &[approve]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    let mut finish = common::to_closure("每月巡检水管");
    finish[1] = Action::FollowUp {
        method: shared::case::ContactMethod::Visit,
        satisfaction: 4,
        comment: "修得及时，电话13912345678".into(),
        spot_check: false,
        ratings: Some(shared::case::Ratings {
            result: 5,
            attitude: 4,
            timeliness: 3,
        }),
    };
    let ops: Vec<_> = finish
        .into_iter()
        .enumerate()
        .map(|(i, action)| {
            m.op_at(
                case,
                None,
                action,
                at + chrono::Duration::minutes(20 + i as i64),
            )
        })
        .collect();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    let (_, folded) = manager.get(&format!("/api/v1/cases/{case}"));
    assert_eq!(folded["state"], "closed", "{folded}");
    // Another repair, passed to its department three hours after it was
    // registered (the transfer is due within the hour), then finished.
    let late_at = at + chrono::Duration::minutes(1);
    let late_reg = m.register_at(&fx.pa, CaseKind::Repair, late_at, |_| {});
    let late_case = late_reg.case_id;
    let mut ops = vec![late_reg];
    let steps = common::to_proposal(CaseKind::Repair, shared::case::Severity::General, 0);
    for (i, action) in steps
        .into_iter()
        .chain(common::to_closure("加装防水层"))
        .enumerate()
    {
        ops.push(m.op_at(
            late_case,
            None,
            action,
            late_at + chrono::Duration::minutes(180 + i as i64),
        ));
    }
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );

    let (quality, _) = Client::login(&server.base, "quality");
    let (column, records) = case_csv(&quality);
    assert_eq!(records.len(), 2);
    // Closed, no clock runs any more: the one handled in time was not
    // late, the other was, and the export says which deadline.
    let late = &records[1];
    assert_eq!(&late[column("工单ID")], late_case.to_string());
    assert_eq!(&late[column("状态")], "已结案");
    assert_eq!(&late[column("是否超时")], "是");
    assert_eq!(&late[column("超时时限")], "转交责任部门");
    let record = records.first().expect("one case");
    assert_eq!(
        (&record[column("是否超时")], &record[column("超时时限")]),
        ("否", "")
    );
    assert_eq!(&record[column("首问责任人")], "manager_a");
    assert_eq!(&record[column("赔偿金额（元）")], "120.5");
    assert_eq!(&record[column("纠正预防措施")], "每月巡检水管");
    assert_eq!(&record[column("措施验证")], "已复查");
    assert_eq!(&record[column("建议处理")], "", "a repair has no decision");
    // The follow-up call as head office reads it: when, how, who, what
    // the resident said (quality sees its number, as it sees the phone)
    // and the ratings.
    assert!(!record[column("回访时间")].is_empty());
    assert_eq!(&record[column("回访方式")], "上门/面谈");
    assert_eq!(&record[column("回访人")], "manager_a");
    assert_eq!(&record[column("回访意见")], "修得及时，电话13912345678");
    assert_eq!(
        [
            &record[column("处理结果评分")],
            &record[column("服务态度评分")],
            &record[column("处理效率评分")]
        ],
        ["5", "4", "3"]
    );
}

/// A case the 12345 hotline transferred keeps the hotline's order number
/// (来源单号): the hotline asks about it by that number, so the case is
/// found by it and exported with it, and a correction changes it.
#[test]
fn a_hotline_order_is_found_and_exported_by_its_number() {
    use shared::case::{CaseKind, Channel, RegistrationPatch};
    use shared::op::Action;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (staff, body) = Client::login(&server.base, "staff_a");
    let mut s = Author::new(&body);
    let at = Utc::now() - chrono::Duration::hours(2);
    let reg = s.register_at(&fx.pa, CaseKind::Complaint, at, |r| {
        r.channel = Channel::HotlineTransfer;
        r.source_ref = "GD2026120500123".into();
    });
    let case = reg.case_id;
    let plain = s.register_at(&fx.pa, CaseKind::Complaint, at, |_| {});
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &[reg, plain]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    let found = |q: &str| staff.case_ids(&format!("q={q}"));
    assert_eq!(found("gd2026120500123"), [case.to_string()]);
    // Read aloud in groups, and the registration number without dashes.
    assert_eq!(found("GD%202026%201205%2000123"), [case.to_string()]);
    let reg_no = staff.get(&format!("/api/v1/cases/{case}")).1["registration"]["reg_no"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(found(&reg_no.replace('-', "")), [case.to_string()]);
    assert_eq!(found(&reg_no.replace('-', "%20")), [case.to_string()]);
    // And by its property's name, as the list's row shows it.
    let name = percent_encoding_of(&fx.pa.name);
    assert_eq!(found(&name).len(), 2, "both cases of {}", fx.pa.name);

    let (quality, _) = Client::login(&server.base, "quality");
    let (column, records) = case_csv(&quality);
    let numbers: Vec<&str> = records.iter().map(|r| &r[column("来源单号")]).collect();
    assert_eq!(numbers.iter().filter(|n| !n.is_empty()).count(), 1);
    assert!(numbers.contains(&"GD2026120500123"), "{numbers:?}");

    // Typed wrong at intake, corrected: the new number is the one found.
    let corrected = s.op(
        case,
        None,
        Action::Edit(RegistrationPatch {
            source_ref: Some("GD2026120500132".into()),
            ..Default::default()
        }),
    );
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &[corrected]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    assert!(found("GD2026120500123").is_empty());
    assert_eq!(found("GD2026120500132"), [case.to_string()]);
    // Bounded as a label: a forged one is set aside.
    let long = s.op(
        case,
        None,
        Action::Edit(RegistrationPatch {
            source_ref: Some("9".repeat(121)),
            ..Default::default()
        }),
    );
    let (_, answer) = staff.post("/api/v1/sync/push", &push_body(s.device, &[long]));
    assert_eq!(
        answer["quarantined"][0]["code"], "validation.too_long",
        "{answer}"
    );
}

/// A suggestion's outcome is in its row: accepted or not, why, and the
/// improvement plan with the day residents are told of it.
#[test]
fn a_suggestion_row_holds_its_decision_and_improvement_plan() {
    use shared::case::CaseKind;
    use shared::op::Action;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut m = Author::new(&body);
    let at = Utc::now() - chrono::Duration::hours(8);
    let mut ops = Vec::new();
    for (i, accepted) in [true, false].into_iter().enumerate() {
        let reg = m.register_at(&fx.pa, CaseKind::Suggestion, at, |_| {});
        let case = reg.case_id;
        ops.push(reg);
        let minute = |n: i64| at + chrono::Duration::minutes(10 * i as i64 + n);
        let reason = if accepted {
            "住户需要"
        } else {
            "场地不足"
        };
        ops.push(m.op_at(
            case,
            None,
            Action::Decide {
                accepted,
                reason: reason.into(),
            },
            minute(1),
        ));
        if accepted {
            ops.push(m.op_at(
                case,
                None,
                Action::PlanImprovement {
                    plan: "增设电动车充电桩".into(),
                    publish_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).expect("a date"),
                },
                minute(2),
            ));
        }
    }
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &ops));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    let (quality, _) = Client::login(&server.base, "quality");
    let (column, records) = case_csv(&quality);
    let mut rows: Vec<[String; 4]> = records
        .iter()
        .map(|r| ["建议处理", "处理理由", "整改计划", "公示日期"].map(|c| r[column(c)].to_string()))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ["不采纳", "场地不足", "", ""].map(String::from),
            ["采纳", "住户需要", "增设电动车充电桩", "2026-01-15"].map(String::from),
        ]
    );
}

/// `text` percent-encoded for a query string.
fn percent_encoding_of(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// An export's rows are chosen when it starts: a received time corrected
/// while it walks its pages neither repeats a row nor drops one (a walk
/// on from the last row of a page by received time missed a case moved
/// before it, and met again one moved after it).
#[test]
fn a_received_time_corrected_during_an_export_neither_repeats_nor_drops_a_row() {
    use server::store::CaseFilter;
    use shared::case::{CaseKind, RegistrationPatch};
    use shared::op::Action;
    use shared::role::Scope;
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (manager, body) = Client::login(&server.base, "manager_a");
    let mut m = Author::new(&body);
    let start = Utc::now() - chrono::Duration::hours(10);
    let regs: Vec<_> = (0..3)
        .map(|i| {
            m.register_at(
                &fx.pa,
                CaseKind::Repair,
                start + chrono::Duration::hours(i),
                |_| {},
            )
        })
        .collect();
    let cases: Vec<String> = regs.iter().map(|r| r.case_id.to_string()).collect();
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &regs));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([]))
    );

    let store = common::open_store(fx.data.path());
    let all = |store: &dyn server::store::Store| {
        store
            .export_ids(&Scope::All, &CaseFilter::default(), Utc::now())
            .expect("the export's ids")
    };
    let chosen = all(store.as_ref());
    assert_eq!(chosen, cases);
    let first_page = store.export_rows(&chosen[..2]).expect("a page");
    // The third case was received before the first, in fact.
    let corrected = m.op(
        regs[2].case_id,
        None,
        Action::Edit(RegistrationPatch {
            received_at: Some(start - chrono::Duration::hours(1)),
            ..Default::default()
        }),
    );
    let (status, answer) = manager.post("/api/v1/sync/push", &push_body(m.device, &[corrected]));
    assert_eq!(
        (status, &answer["quarantined"]),
        (200, &serde_json::json!([])),
        "{answer}"
    );
    assert_eq!(
        all(store.as_ref()).first(),
        Some(&cases[2]),
        "now before the page's end"
    );
    let second_page = store.export_rows(&chosen[2..]).expect("a page");
    let exported: Vec<&str> = first_page
        .iter()
        .chain(&second_page)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(exported, cases, "each once, in the order chosen");
}
