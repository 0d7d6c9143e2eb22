//! Crash safety: SIGKILL the server in the middle of a large push, restart
//! it on the same SQLite file, and let the device resend. The batch is
//! stored all or nothing, and the resend completes it with no duplicate and
//! no loss.

mod common;

use common::{Author, Client, Fixture, Server, cli, device_of, push_body, secret_of};
use shared::op::{Action, Op};
use std::collections::BTreeSet;
use std::time::Duration;

fn big_batch(author: &mut Author, property: &shared::property::Property, cases: usize) -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..cases {
        let reg = author.register(property, &format!("批量登记 {i}"));
        let case = reg.case_id;
        ops.push(reg);
        for n in 0..4 {
            ops.push(author.op(
                case,
                None,
                Action::Note {
                    note_kind: shared::case::NoteKind::General,
                    text: format!("现场记录 {n}"),
                },
            ));
        }
    }
    ops
}

fn pulled_ids(c: &Client) -> Vec<shared::id::OpId> {
    let mut after = 0;
    let mut ids = Vec::new();
    loop {
        let (_, page) = c.get(&format!("/api/v1/sync/pull?after={after}&limit=1000"));
        let page: shared::wire::PullResponse = serde_json::from_value(page).expect("page");
        ids.extend(page.ops.into_iter().map(|p| p.op.id));
        after = page.cursor;
        if !page.more {
            return ids;
        }
    }
}

#[test]
fn a_killed_push_is_all_or_nothing_and_the_resend_completes_it() {
    let fx = Fixture::new();
    let mut server = Server::start(fx.data.path());
    let (_, body) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&body);
    let (dev, secret) = (author.device, secret_of(&body));
    let mut outbox: Vec<Op> = Vec::new();
    let mut acked = 0u64;

    // Several rounds with different delays, so that some kills land while
    // the transaction is open.
    for (round, delay_ms) in [5u64, 60, 400, 4000].into_iter().enumerate() {
        outbox.extend(big_batch(&mut author, &fx.pa, 300));
        let (client, _) = Client::login_on(&server.base, "staff_a", dev, &secret);
        let body = push_body(dev, &outbox);
        let pusher = std::thread::spawn(move || {
            // The answer may never come: the server dies under it.
            client.try_post("/api/v1/sync/push", &body)
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.kill();
        let _ = pusher.join();

        server = Server::start(fx.data.path());
        let (client, login) = Client::login_on(&server.base, "staff_a", dev, &secret);
        assert_eq!(device_of(&login), dev, "the same device after a restart");
        let stored = login["acked_seq"].as_u64().expect("acked_seq");
        let sent = outbox.last().map_or(0, |o| o.seq);
        assert!(
            stored == acked || stored == sent,
            "round {round}: the batch was partly stored ({stored} of {acked}..{sent})"
        );
        println!(
            "round {round}: kill after {delay_ms} ms left acked at {stored} (before {acked}, batch to {sent})"
        );
        // The device never got an answer: it resends everything unacknowledged.
        let (status, answer) = client.post("/api/v1/sync/push", &push_body(dev, &outbox));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["acked_seq"].as_u64(), Some(sent));
        assert!(
            answer["quarantined"].as_array().is_some_and(Vec::is_empty),
            "{answer}"
        );
        acked = sent;
        outbox.clear();
    }

    let (quality, _) = Client::login(&server.base, "quality");
    let ids = pulled_ids(&quality);
    let distinct: BTreeSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), distinct.len(), "duplicates after crashes");
    assert_eq!(ids.len() as u64, acked, "every op stored once");
    let (_, page) = quality.get("/api/v1/cases?per_page=1");
    assert_eq!(page["total"], 1200);
    drop(server);
    assert_eq!(cli(fx.data.path(), &["check"]).trim(), "ok");
}
