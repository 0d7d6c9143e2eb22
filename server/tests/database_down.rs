//! A server on PostgreSQL whose database goes away (restarting after a
//! power cut, the network to it cut) answers `503 storage.unavailable`,
//! which tells a tablet to send the same again later, and serves again
//! once the database is back, without a restart. The database is reached
//! through a TCP relay in this test, which cuts every connection and
//! refuses new ones while it is down.
//!
//! It runs whenever there is a test cluster (`TEST_POSTGRES_URL`),
//! whatever `TEST_BACKEND` says, and skips without one.

mod common;

use common::{Author, Client, Fixture, Server, code, push_body};
use serde_json::json;
use server::store::postgres::test_database;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[test]
fn a_database_gone_is_answered_as_unavailable_and_served_again_when_back() {
    let Some(url) = test_database::fresh() else {
        return;
    };
    let port: u16 = url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("the test database's port");
    let relay = Relay::to(port);
    let via = url.replace(&format!(":{port}/"), &format!(":{}/", relay.port));
    let fx = Fixture::on_database(&via);
    let server = Server::start(fx.data.path());
    let (staff, login) = Client::login(&server.base, "staff_a");
    let mut author = Author::new(&login);
    let first = author.register(&fx.pa, "楼道灯不亮");
    let (status, answer) = staff.post("/api/v1/sync/push", &push_body(author.device, &[first]));
    assert_eq!((status, &answer["acked_seq"]), (200, &json!(1)), "{answer}");

    relay.cut();
    let (status, body) = staff.get("/api/v1/cases");
    assert_eq!(
        (status, code(&body)),
        (503, "storage.unavailable"),
        "{body}"
    );
    let second = author.register(&fx.pa, "电梯异响");
    let body_of_second = push_body(author.device, &[second]);
    let (status, answer) = staff.post("/api/v1/sync/push", &body_of_second);
    assert_eq!(
        (status, code(&answer)),
        (503, "storage.unavailable"),
        "{answer}"
    );

    // Back: the same push is taken, and both cases are there.
    relay.mend();
    let (status, answer) = staff.post("/api/v1/sync/push", &body_of_second);
    assert_eq!((status, &answer["acked_seq"]), (200, &json!(2)), "{answer}");
    let (status, cases) = staff.get("/api/v1/cases");
    assert_eq!(status, 200, "{cases}");
    assert_eq!(cases["items"].as_array().map(Vec::len), Some(2), "{cases}");
}

/// A TCP relay to `127.0.0.1:{target}` that can be cut and mended.
struct Relay {
    port: u16,
    open: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn to(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a relay port");
        let port = listener.local_addr().expect("its address").port();
        let open = Arc::new(AtomicBool::new(true));
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (open_, live_) = (open.clone(), live.clone());
        std::thread::spawn(move || {
            for incoming in listener.incoming() {
                let Ok(client) = incoming else { continue };
                if !open_.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(database) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut kept = live_.lock().expect("the relay's list");
                for stream in [&client, &database] {
                    kept.push(stream.try_clone().expect("a stream's clone"));
                }
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        database.try_clone().expect("clone"),
                    ),
                    (database, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, open, live }
    }

    /// Cuts every connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for stream in self.live.lock().expect("the relay's list").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Takes new connections again.
    fn mend(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}
