//! The security headers on every answer: API, app files, errors and
//! redirects alike.
//!
//! The content security policy is strict because the app needs nothing
//! more: its scripts are files of its own origin (`cargo xtask dist` moves
//! the start-up script out of `index.html` into a hashed `boot-*.js`), the
//! wasm needs `'wasm-unsafe-eval'` to be compiled, its styles are the CSS
//! files of `style/` (the app sets no `style` attribute, which the policy
//! refuses; the photo viewer's zoom is set as properties), and it talks to
//! this server only. Photos, when they come, are shown from `data:` and
//! `blob:` URLs.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::response::Response;

/// The content security policy of every answer.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; \
manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// HSTS, over HTTPS only: a year, so a tablet that once reached the server
/// over HTTPS never again tries plain HTTP at that name. No
/// `includeSubDomains`: the server does not know what else lives under its
/// name.
pub const HSTS: &str = "max-age=31536000";

/// How the server is reached, which decides whether HSTS is sent (a browser
/// ignores it over plain HTTP, and RFC 6797 forbids sending it there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Http,
    /// HTTPS; with HSTS only on port 443 ([`Transport::https_on`]).
    Https {
        hsts: bool,
    },
}

impl Transport {
    /// HTTPS on `port`. HSTS makes a browser turn `http://name:PORT/` into
    /// `https://name:PORT/`, the same port; only 80 becomes 443. On any
    /// other port that lands on the plain-HTTP redirect port (8080 in the
    /// README), which speaks no TLS: every bookmark of it would fail from
    /// the second visit on. So HSTS is sent only from 443, where the
    /// upgrade of `http://name/` lands on this server.
    pub fn https_on(port: u16) -> Transport {
        Transport::Https { hsts: port == 443 }
    }
}

/// Adds the security headers to `response`; a layer made with
/// `axum::middleware::map_response_with_state(transport, headers::add)`.
pub async fn add(State(transport): State<Transport>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // `frame-ancestors 'none'` for browsers that predate CSP level 2.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if transport == (Transport::Https { hsts: true }) {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hsts_only_over_https_on_port_443() {
        for (transport, want) in [
            (Transport::Http, None),
            (Transport::https_on(8443), None),
            (Transport::https_on(443), Some(HSTS)),
        ] {
            let response = add(State(transport), Response::new(axum::body::Body::empty())).await;
            let sent = response
                .headers()
                .get(STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap_or_default());
            assert_eq!(sent, want, "{transport:?}");
        }
    }
}
