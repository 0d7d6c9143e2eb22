//! Pull pagination under concurrent pushes: small pages, three devices
//! pushing all the while, and every op arrives exactly once.

mod common;

use common::{Author, Client, Fixture, Server, push_body};
use shared::op::Action;
use std::collections::BTreeSet;
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
