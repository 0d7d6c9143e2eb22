//! The client's address behind a reverse proxy.
//!
//! A property that already has a domain and a real certificate runs the
//! server behind its reverse proxy (nginx, Caddy…), which connects from its
//! own address and names the client in `X-Forwarded-For`. That header is
//! believed only on a connection from a proxy named with `serve
//! --trusted-proxy`: anyone else could write any address into it and escape
//! the login limiter or forge the audit log's address.

use std::net::IpAddr;

/// The header a reverse proxy appends the client's address to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The addresses of the reverse proxies whose `X-Forwarded-For` is believed.
/// Empty by default: the TCP peer is the client.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// Trusts the proxies at `addrs`.
    pub fn new(addrs: impl IntoIterator<Item = IpAddr>) -> TrustedProxies {
        TrustedProxies(addrs.into_iter().map(|a| a.to_canonical()).collect())
    }

    /// Whether `addr` is a trusted proxy.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&addr.to_canonical())
    }

    /// The client's address for a connection from `peer` that carried the
    /// `X-Forwarded-For` values `forwarded` (each a comma-separated list,
    /// in the order the header lines came).
    ///
    /// From a trusted proxy, it is the right-most address in the list that
    /// is not itself a trusted proxy: every proxy appends the address it got
    /// the request from, so the entries to the left of that one were written
    /// by the client and prove nothing. From anyone else, and whenever the
    /// list has no usable entry, it is the peer.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            if !forwarded.is_empty() {
                untrusted_proxy(peer);
            }
            return peer;
        }
        let entries = forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .rev();
        for entry in entries {
            match parse_entry(entry) {
                Some(addr) if self.contains(addr) => continue,
                Some(addr) => return addr,
                // Garbage where the nearest untrusted hop should be: the
                // proxy did not append, so nothing in the header is its word.
                None => return peer,
            }
        }
        peer
    }
}

/// Says once per process that a peer not named with `--trusted-proxy`
/// sent `X-Forwarded-For`: most likely the company's reverse proxy, left
/// out, so every tablet seems to come from its address and shares one
/// login limit (a few wrong passwords anywhere lock everyone out) and one
/// address in the audit log. A client forging the header is why it is
/// not believed, so nothing else changes.
fn untrusted_proxy(peer: IpAddr) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            %peer,
            "X-Forwarded-For from a peer that is not a trusted proxy, ignored; if it is \
             your reverse proxy, start the server with --trusted-proxy {peer}"
        );
    });
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`203.0.113.9:4711`, `[2001:db8::1]:4711`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(addr) = entry.parse::<IpAddr>() {
        return Some(addr.to_canonical());
    }
    if let Ok(addr) = entry.parse::<std::net::SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("a test address")
    }

    fn check(trusted: &[&str], peer: &str, forwarded: &[&str], expected: &str) {
        let proxies = TrustedProxies::new(trusted.iter().map(|s| ip(s)));
        assert_eq!(
            proxies.client(ip(peer), forwarded),
            ip(expected),
            "trusted {trusted:?}, peer {peer}, forwarded {forwarded:?}"
        );
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        check(&[], "198.51.100.7", &["203.0.113.9"], "198.51.100.7");
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_address() {
        check(
            &["10.0.0.1"],
            "198.51.100.7",
            &["203.0.113.9"],
            "198.51.100.7",
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        check(&["10.0.0.1"], "10.0.0.1", &["203.0.113.9"], "203.0.113.9");
    }

    #[test]
    fn what_the_client_wrote_left_of_the_proxy_entry_is_ignored() {
        check(
            &["10.0.0.1"],
            "10.0.0.1",
            &["1.2.3.4, 203.0.113.9"],
            "203.0.113.9",
        );
        check(
            &["10.0.0.1"],
            "10.0.0.1",
            &["1.2.3.4", "203.0.113.9"],
            "203.0.113.9",
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_skipped() {
        check(
            &["10.0.0.1", "10.0.0.2"],
            "10.0.0.1",
            &["203.0.113.9, 10.0.0.2"],
            "203.0.113.9",
        );
    }

    #[test]
    fn a_missing_or_garbled_header_leaves_the_peer() {
        check(&["10.0.0.1"], "10.0.0.1", &[], "10.0.0.1");
        check(&["10.0.0.1"], "10.0.0.1", &["1.2.3.4, unknown"], "10.0.0.1");
        check(&["10.0.0.1"], "10.0.0.1", &["10.0.0.1"], "10.0.0.1");
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        check(
            &["127.0.0.1"],
            "::ffff:127.0.0.1",
            &["203.0.113.9:4711"],
            "203.0.113.9",
        );
        check(&["::1"], "::1", &["[2001:db8::1]:4711"], "2001:db8::1");
    }
}
