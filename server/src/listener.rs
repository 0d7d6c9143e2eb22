//! How the server takes connections: a listening socket with room for a
//! crowd of tablets connecting at once ([`listen`]), and Nagle's algorithm
//! off on every connection ([`without_nagle`]; over HTTPS, `tls.rs` does
//! the same with axum-server's acceptor).

use axum::serve::{ListenerExt, TapIo};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// How many connections may wait to be accepted. tokio's `bind` leaves
/// 128 (`ss -ltn` shows it): when more tablets than that connect at once
/// (a shift starting, the network coming back to an estate), the kernel
/// drops the rest of the handshakes and each of those tablets waits a
/// second for its retry. The kernel lowers it to `net.core.somaxconn`.
const BACKLOG: u32 = 4096;

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

/// `listener` with Nagle's algorithm off on every connection it accepts. A
/// pull page goes out in pieces as it is read, and with Nagle's algorithm
/// on, a small piece sent after another waits for the device's delayed
/// acknowledgement: 40 ms on Linux, for every page.
pub fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    fn no_delay(tcp: &mut TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("could not turn Nagle's algorithm off: {e}");
        }
    }
    listener.tap_io(no_delay as fn(&mut TcpStream))
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
