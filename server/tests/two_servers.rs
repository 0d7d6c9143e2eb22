//! Two `serve` processes on one PostgreSQL database, sharing a data dir.
//! Simulated devices, each on a thread of its own, make ops offline and
//! push each batch to either server at random, sometimes sending it again
//! to the other one (a retry after a lost answer) or to both at once (a
//! retry while the first try is still in flight), and pull in small pages
//! from either server. At the end every device has pulled every op the
//! servers hold exactly once, in server order, and its fold of each case
//! equals the case either server shows.
//!
//! It runs whenever there is a test cluster (`TEST_POSTGRES_URL`),
//! whatever `TEST_BACKEND` says, and skips without one. The seed is
//! printed; `TWO_SERVERS_SEED` replays each device's choices (the threads'
//! interleaving is the machine's).

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Client, Fixture, Server, device_of, push_body, user_of};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::store::postgres::test_database;
use shared::fold::fold;
use shared::id::{CaseId, OpId};
use shared::op::Op;
use shared::sim::Fleet;
use shared::wire::PullResponse;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};

/// The devices: a login each, with its clock skew in ms.
const DEVICES: [(&str, i64); 6] = [
    ("staff_a", 0),
    ("head_a", -3_600_000),
    ("manager_a", 7_200_000),
    ("regional_a", 90_000),
    ("deputy_a", -86_400_000),
    ("staff_a", 1_800_000),
];

/// How many things each device does before everyone syncs.
const STEPS: usize = 80;

#[test]
fn devices_syncing_with_two_servers_on_one_database_converge() {
    let Some(url) = test_database::fresh() else {
        return;
    };
    let seed = std::env::var("TWO_SERVERS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("TWO_SERVERS_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    let fx = Fixture::on_database(&url);
    // Both on the same data dir: on a database, serve leaves it unlocked.
    let servers = [Server::start(fx.data.path()), Server::start(fx.data.path())];
    let bases = [servers[0].base.clone(), servers[1].base.clone()];
    let devices: Vec<Device> = DEVICES
        .iter()
        .enumerate()
        .map(|(i, (login, skew))| Device::log_in(&bases, &fx, i, login, *skew, &mut rng))
        .collect();

    // The simulated clock all devices share, in ms: it starts two years
    // back so that days of work fit before it reaches the real clock.
    let clock = AtomicI64::new((Utc::now() - Duration::days(2 * 365)).timestamp_millis());
    let mut devices: Vec<Device> = std::thread::scope(|scope| {
        let workers: Vec<_> = devices
            .into_iter()
            .enumerate()
            .map(|(i, mut device)| {
                let clock = &clock;
                let mut rng = StdRng::seed_from_u64(seed ^ (i as u64 + 1));
                scope.spawn(move || {
                    for _ in 0..STEPS {
                        let now = advance(clock, rng.random_range(0..120));
                        match rng.random_range(0..10) {
                            0 | 1 => {
                                device.fleet.register(0, now, rng.random());
                            }
                            2..=5 => {
                                device.fleet.act(0, now, rng.random());
                            }
                            6 | 7 => device.push_some(&mut rng, seed),
                            _ => {
                                let limit = rng.random_range(1..10);
                                for _ in 0..rng.random_range(1..4) {
                                    let server = rng.random_range(0..2);
                                    if !device.pull_page(server, limit, now) {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    device
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a device's thread"))
            .collect()
    });

    // Everyone comes back online: push everything, then pull everything.
    let now = advance(&clock, 0);
    for device in &mut devices {
        device.push_all(&mut rng, seed);
    }
    for device in &mut devices {
        while device.pull_page(rng.random_range(0..2), 7, now) {}
    }

    // The servers hold every op made, each once, and show the same order.
    let (quality, _) = Client::login(&bases[0], "quality");
    let held = full_pull(&quality);
    let mut quality_on_b = quality.clone();
    quality_on_b.base = bases[1].clone();
    assert_eq!(
        held,
        full_pull(&quality_on_b),
        "seed {seed}: the two servers pull differently"
    );
    let held_ids: Vec<OpId> = held.iter().map(|(_, id)| *id).collect();
    let held_set: BTreeSet<OpId> = held_ids.iter().copied().collect();
    assert_eq!(
        held_set.len(),
        held_ids.len(),
        "seed {seed}: an op is stored twice"
    );
    let made: BTreeSet<OpId> = devices
        .iter()
        .flat_map(|d| d.fleet.ops.iter().map(|o| o.id))
        .collect();
    assert_eq!(held_set, made, "seed {seed}: ops lost or invented");
    let (admin, _) = Client::login(&bases[1], "admin");
    let (_, quarantine) = admin.get("/api/v1/admin/quarantine");
    assert_eq!(
        quarantine.as_array().map(Vec::len),
        Some(0),
        "seed {seed}: quarantined {quarantine}"
    );

    // Every device pulled exactly what the servers hold, in their order.
    for (d, device) in devices.iter().enumerate() {
        assert_eq!(
            device.pulled, held,
            "seed {seed}: device {d}'s pulls skipped, repeated or reordered ops"
        );
    }

    let cases: BTreeSet<CaseId> = devices
        .iter()
        .flat_map(|d| d.fleet.ops.iter().map(|o| o.case_id))
        .collect();
    for case in &cases {
        for (d, device) in devices.iter().enumerate() {
            device.check_case(case, rng.random_range(0..2), seed, d);
        }
    }
    println!(
        "{} ops on {} cases from {} devices through two servers",
        held.len(),
        cases.len(),
        devices.len()
    );
}

/// A simulated tablet with a session valid on both servers.
struct Device {
    /// The same session, one client per server.
    clients: [Client; 2],
    /// This device alone (index 0), with what it has seen.
    fleet: Fleet,
    acked: u64,
    cursor: i64,
    /// Every op it pulled, as `(server_seq, id)`, in the order it got them.
    pulled: Vec<(i64, OpId)>,
}

impl Device {
    /// Logs `login` in on a random server as device number `i`.
    fn log_in(
        bases: &[String; 2],
        fx: &Fixture,
        i: usize,
        login: &str,
        skew: i64,
        rng: &mut StdRng,
    ) -> Device {
        let first = rng.random_range(0..2);
        let (client, body) = Client::login(&bases[first], login);
        let mut other = client.clone();
        other.base = bases[1 - first].clone();
        let mut clients = [client, other];
        if first == 1 {
            clients.swap(0, 1);
        }
        let user = user_of(&body);
        let number = body["device_number"]
            .as_u64()
            .expect("device_number in login response") as u32;
        // Ids apart from every other device's.
        let id_base = (i as u128 + 1) << 64;
        let mut fleet = Fleet::with_identities(
            &[(device_of(&body), user.id, user.role, skew, number)],
            fx.pa.id,
            id_base,
        );
        fleet.property_code = fx.pa.code.clone();
        Device {
            clients,
            fleet,
            acked: 0,
            cursor: 0,
            pulled: Vec::new(),
        }
    }

    /// The ops not yet acknowledged, in sequence.
    fn outbox(&self) -> Vec<Op> {
        self.fleet
            .ops
            .iter()
            .filter(|o| o.seq > self.acked)
            .cloned()
            .collect()
    }

    /// Pushes the first ops of the outbox to a random server; sometimes
    /// the answer is lost and the batch goes again to the other server,
    /// and sometimes it goes to both at once.
    fn push_some(&mut self, rng: &mut StdRng, seed: u64) {
        let mut batch = self.outbox();
        if batch.is_empty() {
            return;
        }
        batch.truncate(rng.random_range(1..=batch.len()));
        let server = rng.random_range(0..2);
        let acked = match rng.random_range(0..4) {
            0 => {
                let (first, second) = std::thread::scope(|scope| {
                    let other = scope.spawn(|| self.push(1 - server, &batch, seed));
                    let first = self.push(server, &batch, seed);
                    (first, other.join().expect("the concurrent push"))
                });
                assert_eq!(
                    first, second,
                    "seed {seed}: one batch pushed to both servers at once acked differently"
                );
                first
            }
            1 => {
                let lost = self.push(server, &batch, seed);
                let again = self.push(1 - server, &batch, seed);
                assert_eq!(
                    lost, again,
                    "seed {seed}: a batch pushed again to the other server acked differently"
                );
                again
            }
            _ => self.push(server, &batch, seed),
        };
        let last = batch.last().map_or(0, |o| o.seq);
        assert_eq!(acked, last, "seed {seed}: a gapless batch not acked whole");
        self.acked = acked;
    }

    fn push_all(&mut self, rng: &mut StdRng, seed: u64) {
        let batch = self.outbox();
        if batch.is_empty() {
            return;
        }
        let acked = self.push(rng.random_range(0..2), &batch, seed);
        assert_eq!(
            Some(acked),
            batch.last().map(|o| o.seq),
            "seed {seed}: the outbox not acked whole"
        );
        self.acked = acked;
    }

    /// Pushes `batch` to server `server`, which must take it all; returns
    /// the acknowledged sequence number.
    fn push(&self, server: usize, batch: &[Op], seed: u64) -> u64 {
        let device = self.fleet.devices[0].id;
        let (status, body) =
            self.clients[server].post("/api/v1/sync/push", &push_body(device, batch));
        assert_eq!(status, 200, "seed {seed}: {body}");
        assert!(
            body["quarantined"].as_array().is_some_and(Vec::is_empty),
            "seed {seed}: {body}"
        );
        body["acked_seq"].as_u64().expect("acked_seq")
    }

    /// Pulls a page of at most `limit` ops from server `server`; returns
    /// whether more wait.
    fn pull_page(&mut self, server: usize, limit: u32, now: DateTime<Utc>) -> bool {
        let (status, page) = self.clients[server].get(&format!(
            "/api/v1/sync/pull?after={}&limit={limit}",
            self.cursor
        ));
        assert_eq!(status, 200, "{page}");
        let page: PullResponse = serde_json::from_value(page).expect("pull page");
        assert!(page.cursor >= self.cursor, "the cursor went back");
        self.pulled
            .extend(page.ops.iter().map(|p| (p.server_seq, p.op.id)));
        let ops: Vec<Op> = page.ops.into_iter().map(|p| p.op).collect();
        self.fleet.receive(0, &ops, now);
        self.cursor = page.cursor;
        page.more
    }

    /// The device's fold of `case` equals the case server `server` shows
    /// its user.
    fn check_case(&self, case: &CaseId, server: usize, seed: u64, d: usize) {
        let view = self.fleet.view(0).get(case).cloned().unwrap_or_default();
        let role = self.fleet.devices[0].role;
        let local = fold(&view, self.fleet.ctx()).expect("the device holds the registration");
        // As in the convergence test: the department head handles no case,
        // so the default masks its personal data.
        let local = match shared::personal_data::default_visibility(role) {
            shared::personal_data::Visibility::Full => local,
            _ => shared::personal_data::Shown::NOTHING.case(&local),
        };
        let (status, remote) = self.clients[server].get(&format!("/api/v1/cases/{case}"));
        assert_eq!(status, 200, "{remote}");
        assert!(
            serde_json::to_value(&local).expect("serialize") == remote,
            "seed {seed}: device {d} ({role:?}) differs from server {server} on case {case}"
        );
    }
}

/// Every op a reader may see, as `(server_seq, id)`, in pages of 50.
fn full_pull(reader: &Client) -> Vec<(i64, OpId)> {
    let mut after = 0;
    let mut ops = Vec::new();
    loop {
        let (status, page) = reader.get(&format!("/api/v1/sync/pull?after={after}&limit=50"));
        assert_eq!(status, 200, "{page}");
        let page: PullResponse = serde_json::from_value(page).expect("pull page");
        ops.extend(page.ops.into_iter().map(|p| (p.server_seq, p.op.id)));
        after = page.cursor;
        if !page.more {
            return ops;
        }
    }
}

/// Moves the shared simulated clock `minutes` on and returns it, standing
/// still instead of running so late that the fastest device (+2 h) would
/// be ahead of the real clock.
fn advance(clock: &AtomicI64, minutes: i64) -> DateTime<Utc> {
    let limit = (Utc::now() - Duration::hours(3)).timestamp_millis();
    let by = minutes * 60_000;
    let now = clock
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
            Some(if t + by > limit { t } else { t + by })
        })
        .map(|before| {
            if before + by > limit {
                before
            } else {
                before + by
            }
        })
        .expect("the update always succeeds");
    DateTime::from_timestamp_millis(now).expect("a time in range")
}
