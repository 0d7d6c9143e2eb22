//! How the server takes connections: a listening socket with room for a
//! crowd of tablets connecting at once ([`listen`]), and every connection
//! bounded ([`bounded`]): Nagle's algorithm off, TCP keepalive on, and a
//! time limit on a request's head.
//!
//! Tablets walk out of Wi-Fi range in the middle of an estate and their
//! connections end without a word: without keepalive probes the server
//! would hold each such connection for ever, and they pile up over days.
//! And a client that opens connections and sends a request's head a byte at
//! a time (or nothing) would hold them too, until the server runs out of
//! file descriptors and every tablet is refused.

use axum_server::accept::{TcpConfigAcceptor, TcpKeepaliveConfig, TcpSocketConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};

/// How many connections may wait to be accepted. tokio's `bind` leaves
/// 128 (`ss -ltn` shows it): when more tablets than that connect at once
/// (a shift starting, the network coming back to an estate), the kernel
/// drops the rest of the handshakes and each of those tablets waits a
/// second for its retry. The kernel lowers it to `net.core.somaxconn`.
const BACKLOG: u32 = 4096;

/// The default of `serve --request-head-timeout-secs`: how long a client
/// may take to send a request's head (over HTTPS, also to finish the TLS
/// handshake), which is also how long a kept-alive connection may wait
/// idle for its next request. Hyper's own default; a tablet's request
/// head is a few hundred bytes, which even a poor link sends in a second.
pub const REQUEST_HEAD_SECS: u64 = 30;

/// A listening socket on `addr` with room for [`BACKLOG`] connections
/// waiting to be accepted. Called inside a tokio runtime.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `bind` does: a restarted server takes its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The socket options of every accepted connection (over HTTPS, under
/// the TLS acceptor):
/// - Nagle's algorithm off: a pull page goes out in pieces as it is read,
///   and with it on, a small piece sent after another waits for the
///   device's delayed acknowledgement: 40 ms on Linux, for every page;
/// - TCP keepalive: a connection idle for a minute is probed every 10 s,
///   and closed after 6 probes unanswered (a tablet gone out of range).
pub fn accepted() -> TcpConfigAcceptor {
    TcpConfigAcceptor::new(
        TcpSocketConfig::new().nodelay(true).keepalive(
            TcpKeepaliveConfig::new()
                .time(Duration::from_secs(60))
                .interval(Duration::from_secs(10))
                .retries(6),
        ),
    )
}

/// `server` with its connections' time bounded by `head`: the time to
/// send a request's head, the first one included, and over HTTP/2 the
/// time a ping may go unanswered.
pub fn bounded<Acceptor>(
    mut server: axum_server::Server<SocketAddr, Acceptor>,
    head: Duration,
) -> axum_server::Server<SocketAddr, Acceptor> {
    let builder = server.http_builder();
    builder.http1().header_read_timeout(head);
    builder
        .http2()
        .keep_alive_interval(head)
        .keep_alive_timeout(head);
    server.first_request_timeout(head)
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::time::Duration;

    /// More connections than the usual backlog of 128 complete their
    /// handshake while the server is busy and accepts none: with a
    /// backlog of 128 the kernel drops the handshakes past it, and those
    /// connections would wait a second for each retry, in vain here.
    #[tokio::test]
    async fn a_crowd_of_connections_waits_to_be_accepted_without_a_retry() {
        const CROWD: usize = 300;
        // The kernel caps the backlog; below the crowd, it is the
        // machine's limit that is tested, not the server.
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|n| n.trim().parse::<usize>().ok());
        if cap.is_some_and(|cap| cap < CROWD) {
            println!("skipped: net.core.somaxconn is {cap:?}");
            return;
        }
        let listener = super::listen(([127, 0, 0, 1], 0).into()).expect("listen");
        let addr = listener.local_addr().expect("address");
        let connected = tokio::task::spawn_blocking(move || {
            (0..CROWD)
                .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(3)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("connecting thread");
        let streams = connected.expect("every connection is queued for accepting");
        assert_eq!(streams.len(), CROWD);
        drop(listener);
    }
}
