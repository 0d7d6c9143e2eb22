//! `server serve`: the API and the app over HTTP, or HTTPS with a
//! certificate (`tls.rs`), until Ctrl-C.

use super::{Data, runtime};
use clap::Args;
use server::headers::Transport;
use server::proxy::TrustedProxies;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The arguments of `serve`.
#[derive(Args)]
pub struct Serve {
    #[command(flatten)]
    data: Data,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Log level (error, warn, info, debug, trace) or a tracing filter.
    /// The PostgreSQL driver's debug lines, which carry every value a
    /// statement is given (residents' names and phones), are left out
    /// unless the filter names `tokio_postgres` itself.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// The built app to serve at `/`.
    #[arg(long)]
    dist: Option<PathBuf>,
    /// How far a tablet's clock may be off, in minutes: an op's times
    /// further ahead of the server's clock are quarantined as
    /// `clock.out_of_range`; its own time further than this before its
    /// device's first login, or twice this before its own HLC, as
    /// `clock.behind`.
    #[arg(long, default_value_t = server::CLOCK_SKEW_MINUTES)]
    max_clock_skew_minutes: u32,
    #[command(flatten)]
    tls: TlsArgs,
    /// A reverse proxy (IP address) whose `X-Forwarded-For` names the
    /// client; repeat for several. Without it the TCP peer is the client.
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    trusted_proxies: Vec<IpAddr>,
    /// How long, in seconds, a client may take to send a request's head
    /// (over HTTPS, also to finish the TLS handshake), and a kept-alive
    /// connection may stay idle, and a request's body may pause; then the
    /// server closes it.
    #[arg(long, default_value_t = server::listener::REQUEST_HEAD_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_head_timeout_secs: u64,
}

/// `serve` over HTTPS.
#[derive(Args)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate (chain), e.g. `server.crt`
    /// from `server tls init`.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// With TLS, also listen for plain HTTP here, answering only with a
    /// redirect to HTTPS (e.g. 0.0.0.0:80).
    #[arg(long, requires = "tls_cert", value_name = "ADDR")]
    http_redirect_addr: Option<SocketAddr>,
    /// How often, in seconds, to look whether the certificate or key file
    /// was replaced (a renewal), and then serve the new one without a
    /// restart. `SIGHUP` makes the server look at once.
    #[arg(long, requires = "tls_cert", default_value_t = server::renewal::CHECK_SECS, value_parser = clap::value_parser!(u64).range(1..=86400))]
    tls_check_secs: u64,
}

impl Serve {
    /// Serves until Ctrl-C (or until listening fails).
    pub fn run(self) -> Result<(), String> {
        let Serve {
            data,
            addr,
            log_level,
            dist,
            max_clock_skew_minutes,
            tls,
            trusted_proxies,
            request_head_timeout_secs,
        } = self;
        let head = Duration::from_secs(request_head_timeout_secs);
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_new(log_filter(&log_level))
                    .map_err(|e| e.to_string())?,
            )
            .with_writer(std::io::stderr)
            .init();
        // Several servers may share a PostgreSQL database and its blob
        // directory; only the SQLite file is one server's alone.
        let _lock = match data.database {
            Some(_) => None,
            None => Some(data.lock()?),
        };
        let store = data.open()?;
        let dist = dist.filter(|d| d.join("index.html").exists());
        if dist.is_none() {
            tracing::warn!("no built app to serve; run `cargo xtask run`");
        }
        server::refold::at_start(store.clone());
        let mut state = server::state(store);
        state.max_clock_skew = chrono::Duration::minutes(max_clock_skew_minutes.into());
        state.first_admin_file = Some(data.data_dir.join(server::FIRST_ADMIN_FILE));
        let behind_proxy = !trusted_proxies.is_empty();
        state.trusted_proxies = Arc::new(TrustedProxies::new(trusted_proxies));
        state.body_pause = head;
        if let (Some(cert), Some(key)) = (tls.tls_cert, tls.tls_key) {
            let app = server::app_over(state, dist, Transport::https_on(addr.port()));
            return runtime()?.block_on(server::tls::serve(
                app,
                addr,
                (&cert, &key),
                tls.http_redirect_addr,
                head,
                Duration::from_secs(tls.tls_check_secs),
            ));
        }
        let app = server::app(state, dist);
        runtime()?.block_on(async move {
            let listener = server::listener::listen(addr)
                .and_then(|l| l.into_std())
                .map_err(|e| format!("bind {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%local, data_dir = %data.data_dir.display(), "serving");
            println!("listening on http://{local}");
            // Passwords and 30-day tokens would cross the Wi-Fi in clear,
            // and tablets' browsers run no service worker (no offline
            // work) on a plain-HTTP address other than localhost.
            if !local.ip().is_loopback() && !behind_proxy {
                let warning = "plain HTTP on the network: passwords and sessions travel \
                    unencrypted and tablets cannot work offline; serve with \
                    --tls-cert/--tls-key (`server tls init`) or behind a TLS proxy \
                    (--trusted-proxy)";
                tracing::warn!("{warning}");
                println!("warning: {warning}");
            }
            let handle = axum_server::Handle::new();
            let on_stop = handle.clone();
            tokio::spawn(async move {
                server::shutdown::requested().await;
                on_stop.graceful_shutdown(Some(Duration::from_secs(30)));
            });
            let plain = axum_server::from_tcp(listener)
                .map_err(|e| format!("listen on {local}: {e}"))?
                .acceptor(server::listener::accepted());
            server::listener::bounded(plain, head)
                .handle(handle)
                .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The tracing filter of `--log-level`. At debug level the PostgreSQL
/// driver logs each statement with its parameters: the ops' JSON, the
/// complainant's name and phone, search digits, password hashes and
/// record keys would reach a log that people outside the role rules read
/// (an operator chasing a sync problem). The driver is held at `info`
/// unless the filter asks for it by name.
fn log_filter(level: &str) -> String {
    // Asked by name: the driver's own directive, or its statements'.
    if level.contains("tokio_postgres=") || level.contains("tokio_postgres::query") {
        level.to_string()
    } else {
        format!("{level},tokio_postgres=info")
    }
}
