//! Pull pagination under concurrent pushes: small pages, three devices
//! pushing all the while, and every op arrives exactly once.

mod common;

use common::{Author, Client, Fixture, Server, push_body};
use shared::op::Action;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Arc, Barrier};

#[test]
fn small_pages_while_others_push_miss_nothing_and_repeat_nothing() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (quality, _) = Client::login(&server.base, "quality");
    let (scoped, _) = Client::login(&server.base, "staff_b");
    // Pushers log in first, then all start pushing together with the puller.
    let start = Arc::new(Barrier::new(4));
    let mut pushers = Vec::new();
    for (login, property) in [
        ("staff_a", fx.pa.clone()),
        ("manager_a", fx.pa.clone()),
        ("staff_b", fx.pb.clone()),
    ] {
        let base = server.base.clone();
        let start = start.clone();
        pushers.push(std::thread::spawn(move || {
            let (client, body) = Client::login(&base, login);
            start.wait();
            let mut author = Author::new(&body);
            let dev = author.device;
            let mut made = Vec::new();
            for _ in 0..25 {
                let mut batch = Vec::new();
                let reg = author.register(&property, "并发登记");
                let case = reg.case_id;
                batch.push(reg);
                for n in 0..5 {
                    batch.push(author.op(
                        case,
                        None,
                        Action::Note {
                            note_kind: shared::case::NoteKind::General,
                            text: format!("记录 {n}"),
                        },
                    ));
                }
                let (status, answer) = client.post("/api/v1/sync/push", &push_body(dev, &batch));
                assert_eq!(status, 200, "{answer}");
                assert_eq!(answer["acked_seq"].as_u64(), batch.last().map(|o| o.seq));
                made.extend(batch.into_iter().map(|o| (o.id, o.case_id)));
            }
            made
        }));
    }
    let mut seen_all = Vec::new();
    let mut seen_b = Vec::new();
    let (mut after_all, mut after_b) = (0i64, 0i64);
    let pull = |c: &Client, after: &mut i64, seen: &mut Vec<shared::id::OpId>| {
        let (status, page) = c.get(&format!("/api/v1/sync/pull?after={after}&limit=7"));
        assert_eq!(status, 200, "{page}");
        let page: shared::wire::PullResponse = serde_json::from_value(page).expect("page");
        assert!(page.cursor >= *after, "cursor went back");
        seen.extend(page.ops.into_iter().map(|p| p.op.id));
        *after = page.cursor;
        page.more
    };
    start.wait();
    // Pull in small pages for as long as the pushers are still pushing.
    let mut rounds_while_pushing = 0;
    while pushers.iter().any(|p| !p.is_finished()) {
        pull(&quality, &mut after_all, &mut seen_all);
        pull(&scoped, &mut after_b, &mut seen_b);
        rounds_while_pushing += 1;
    }
    let made: Vec<_> = pushers
        .into_iter()
        .flat_map(|p| p.join().expect("pusher"))
        .collect();
    println!("{rounds_while_pushing} pull rounds ran while pushes were going on");
    assert!(rounds_while_pushing > 0);
    while pull(&quality, &mut after_all, &mut seen_all) {}
    while pull(&scoped, &mut after_b, &mut seen_b) {}

    let distinct: BTreeSet<_> = seen_all.iter().copied().collect();
    assert_eq!(distinct.len(), seen_all.len(), "an op was delivered twice");
    let expected: BTreeSet<_> = made.iter().map(|(id, _)| *id).collect();
    assert_eq!(distinct, expected, "an op was missed");
    assert_eq!(seen_b.len(), 25 * 6, "staff_b sees exactly PB's ops");
}

/// A page large enough to go out in several pieces, pulled as a browser
/// asks for it (compressed), arrives whole: every op, then the cursor.
#[test]
fn a_compressed_pull_of_a_page_in_many_pieces_arrives_whole() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (client, body) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&body);
    let dev = author.device;
    let mut batch = Vec::new();
    for c in 0..100 {
        let reg = author.register(&fx.pa, &format!("第{c}号：夜间施工噪音，影响休息"));
        let case = reg.case_id;
        batch.push(reg);
        for n in 0..9 {
            batch.push(author.op(
                case,
                None,
                Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: format!("跟进记录 {n}：已联系施工方，约定整改时间"),
                },
            ));
        }
    }
    let (status, answer) = client.post("/api/v1/sync/push", &push_body(dev, &batch));
    assert_eq!(status, 200, "{answer}");
    let token = client.token.clone().expect("logged in");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for encoding in ["gzip", "br", "identity"] {
        let mut resp = agent
            .get(format!(
                "{}/api/v1/sync/pull?after=0&limit=5000",
                server.base
            ))
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept-Encoding", encoding)
            .call()
            .expect("pull");
        assert_eq!(resp.status().as_u16(), 200);
        let sent = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().expect("ascii").to_string());
        let wire = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .expect("the whole answer, to its end");
        let mut json = Vec::new();
        match sent.as_deref() {
            Some("gzip") => {
                flate2::read::GzDecoder::new(&wire[..])
                    .read_to_end(&mut json)
                    .expect("whole gzip");
            }
            Some("br") => {
                brotli::Decompressor::new(&wire[..], 4096)
                    .read_to_end(&mut json)
                    .expect("whole brotli");
            }
            None => json = wire.clone(),
            Some(other) => panic!("unexpected encoding {other}"),
        }
        assert_eq!(sent.is_some(), encoding != "identity", "{encoding}");
        assert!(
            json.len() > 3 * 64 * 1024,
            "the page spans several pieces: {} bytes",
            json.len()
        );
        let page: shared::wire::PullResponse =
            serde_json::from_slice(&json).expect("a whole pull response");
        let pulled: Vec<_> = page.ops.iter().map(|p| p.op.id).collect();
        let pushed: Vec<_> = batch.iter().map(|o| o.id).collect();
        assert_eq!(pulled, pushed, "{encoding}");
        assert!(!page.more);
    }
}

/// A page is bounded in bytes as well as in ops: long notes fill it
/// sooner, so one pull never holds more than `MAX_PAGE_BYTES` of ops for a
/// slow device in the server's memory. Paging on still brings every op,
/// once and in order.
#[test]
fn a_page_of_long_ops_ends_at_its_byte_bound() {
    let fx = Fixture::new();
    let server = Server::start(fx.data.path());
    let (client, body) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&body);
    let dev = author.device;
    let text = "噪".repeat(shared::validation::MAX_TEXT);
    let mut pushed = Vec::new();
    for _ in 0..3 {
        let reg = author.register(&fx.pa, "夜间施工噪音");
        let case = reg.case_id;
        let mut batch = vec![reg];
        for _ in 0..130 {
            batch.push(author.op(
                case,
                None,
                Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: text.clone(),
                },
            ));
        }
        let (status, answer) = client.post("/api/v1/sync/push", &push_body(dev, &batch));
        assert_eq!(status, 200, "{answer}");
        pushed.extend(batch.iter().map(|o| o.id));
    }

    let mut pulled = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let (status, page) = client.get(&format!("/api/v1/sync/pull?after={after}&limit=5000"));
        assert_eq!(status, 200, "{page}");
        let ops_bytes: usize = page["ops"]
            .as_array()
            .expect("ops")
            .iter()
            .map(|p| p["op"].to_string().len())
            .sum();
        assert!(
            ops_bytes <= shared::wire::MAX_PAGE_BYTES,
            "page {pages}: {ops_bytes} bytes of ops"
        );
        let page: shared::wire::PullResponse = serde_json::from_value(page).expect("a page");
        pulled.extend(page.ops.iter().map(|p| p.op.id));
        pages += 1;
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    assert!(pages > 1, "the ops were more than one page's bytes");
    assert_eq!(pulled, pushed);
}
