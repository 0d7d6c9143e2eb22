//! A certificate replaced on disk is served without a restart.
//!
//! Server certificates expire: the local CA's after 825 days, a public
//! one's (Let's Encrypt) after 90. Whoever renews them replaces the files
//! (`server tls init` again, or certbot's deploy hook), and a restart
//! would cut every tablet's open sync. So the HTTPS server looks at the
//! certificate and key files every so often, and at once on `SIGHUP`, and
//! when they changed serves the new pair to the next connections.
//!
//! A certificate that nobody renews stops every tablet's sync on the day
//! it expires, and tablets say only that the server cannot be reached. So
//! from [`WARN_DAYS`] before, the server says so when it starts and once a
//! day.
//!
//! Files are replaced one at a time, so a look may find a new key beside
//! the old certificate, or a half-written file. Such a pair is refused
//! (rustls checks that the key is the certificate's), the previous
//! certificate stays in service, and the next look tries again.

use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How often, by default, the files are looked at.
pub const CHECK_SECS: u64 = 60;

/// How many days before the certificate expires the server warns.
pub const WARN_DAYS: u64 = 30;

/// When the first certificate in the PEM file `cert` expires.
pub fn expires(cert: &Path) -> Result<SystemTime, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use x509_cert::der::Decode;
    let der = CertificateDer::from_pem_file(cert).map_err(|e| e.to_string())?;
    let parsed = x509_cert::Certificate::from_der(der.as_ref()).map_err(|e| e.to_string())?;
    Ok(parsed.tbs_certificate.validity.not_after.to_system_time())
}

/// Warns when the certificate `cert` expires within [`WARN_DAYS`] of `now`
/// (or has); says nothing otherwise. Answers the warning, for the tests.
pub fn expiry_warning(cert: &Path, now: SystemTime) -> Option<String> {
    let until = expires(cert).ok()?;
    let left = until
        .duration_since(now)
        .map_or(0, |d| d.as_secs() / 86_400);
    if left >= WARN_DAYS {
        return None;
    }
    let when = chrono::DateTime::<chrono::Utc>::from(until).format("%Y-%m-%d %H:%M UTC");
    let warning = if until <= now {
        format!(
            "the TLS certificate {} expired at {when}: tablets cannot connect; renew it (`server tls init`)",
            cert.display()
        )
    } else {
        format!(
            "the TLS certificate {} expires at {when} ({left} days): renew it before then (`server tls init`), or tablets cannot connect",
            cert.display()
        )
    };
    tracing::warn!("{warning}");
    println!("warning: {warning}");
    Some(warning)
}

/// What changes when either file is replaced or rewritten: each one's
/// modification time and length (`None` while it cannot be read).
type Stamp = [Option<(SystemTime, u64)>; 2];

fn stamp(cert: &Path, key: &Path) -> Stamp {
    [cert, key].map(|path| {
        std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
    })
}

/// Starts watching `cert` and `key`, which `config` was made from, every
/// `every` and on `SIGHUP`; runs until the process ends.
pub fn watch(config: RustlsConfig, cert: PathBuf, key: PathBuf, every: Duration) {
    tokio::spawn(async move {
        let mut served = stamp(&cert, &key);
        // The last pair that failed, so a file that stays broken is
        // reported once, not at every look.
        let mut refused: Option<Stamp> = None;
        let mut looks = tokio::time::interval(every);
        looks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        looks.tick().await;
        let mut hangups = Hangups::new();
        let mut days = tokio::time::interval(Duration::from_secs(86_400));
        loop {
            let asked = tokio::select! {
                _ = looks.tick() => false,
                () = hangups.next() => true,
                _ = days.tick() => {
                    expiry_warning(&cert, SystemTime::now());
                    continue;
                }
            };
            let now = stamp(&cert, &key);
            if now == served && !asked {
                continue;
            }
            match config.reload_from_pem_file(&cert, &key).await {
                Ok(()) => {
                    served = now;
                    refused = None;
                    tracing::info!(cert = %cert.display(), "reloaded the TLS certificate");
                    println!("reloaded the TLS certificate {}", cert.display());
                    expiry_warning(&cert, SystemTime::now());
                }
                Err(e) => {
                    if asked || refused != Some(now) {
                        tracing::warn!(cert = %cert.display(), key = %key.display(), error = %e,
                            "the TLS certificate was not reloaded; the previous one is still served");
                        println!(
                            "the TLS certificate {} or key {} was not reloaded ({e}); the previous one is still served",
                            cert.display(),
                            key.display()
                        );
                    }
                    refused = Some(now);
                }
            }
        }
    });
}

/// The `SIGHUP`s the process receives (on Unix; elsewhere none arrive).
struct Hangups {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangups {
    fn new() -> Hangups {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::hangup())
                .inspect_err(
                    |e| tracing::warn!(error = %e, "SIGHUP will not reload the TLS certificate"),
                )
                .ok();
            Hangups { signal }
        }
        #[cfg(not(unix))]
        Hangups {}
    }

    /// The next `SIGHUP`; never, if there can be none.
    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal {
            if signal.recv().await.is_some() {
                return;
            }
            self.signal = None;
        }
        std::future::pending::<()>().await
    }
}
