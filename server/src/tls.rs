//! HTTPS: the local certificate authority `server tls init` makes, serving
//! over rustls, and the plain-HTTP port that only redirects.
//!
//! A tablet runs the app's service worker (and so works offline) only in a
//! secure context, which at any name but `localhost` means HTTPS. A
//! property without a domain gets one from [`init`]: a small certificate
//! authority of its own (`ca.crt`, installed once on every tablet) and a
//! server certificate for the names and addresses the tablets use. A
//! property with a domain and a reverse proxy uses that proxy's real
//! certificate instead (`serve --trusted-proxy`, see [`crate::proxy`]).

use crate::headers::{self, Transport};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::NaiveDate;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The CA's certificate: what tablets install.
pub const CA_CERT: &str = "ca.crt";
/// The CA's private key: whoever has it can make certificates every tablet
/// trusts, so it is written for its owner only.
pub const CA_KEY: &str = "ca.key";
/// The server's certificate, for `serve --tls-cert`.
pub const SERVER_CERT: &str = "server.crt";
/// The server's private key, for `serve --tls-key`.
pub const SERVER_KEY: &str = "server.key";
/// The base64 SHA-256 of the server certificate's public key (what
/// Chromium's `--ignore-certificate-errors-spki-list` takes).
pub const SERVER_SPKI: &str = "server.spki";

/// How long a server certificate is valid: iOS refuses TLS server
/// certificates valid for more than 825 days.
pub const SERVER_CERT_DAYS: i64 = 825;
/// How long the CA is valid: ten years, so tablets install it once.
pub const CA_DAYS: i64 = 3650;

/// What [`init`] wrote.
#[derive(Debug)]
pub struct Issued {
    /// The directory holding the files.
    pub dir: PathBuf,
    /// Whether the CA is new (tablets must install `ca.crt`) or was reused.
    pub ca_created: bool,
    /// The CA's name, as tablets list it among their certificates.
    pub ca_name: String,
    /// The last day the server certificate is valid.
    pub not_after: NaiveDate,
    /// [`SERVER_SPKI`]'s content.
    pub spki: String,
}

/// Writes a CA (unless `dir` has one, which is then reused) and a new
/// server certificate for `hosts` and `ips`, valid from yesterday (a
/// tablet's clock may be behind) for [`SERVER_CERT_DAYS`].
pub fn init(
    dir: &Path,
    hosts: &[String],
    ips: &[IpAddr],
    today: NaiveDate,
) -> Result<Issued, String> {
    if hosts.is_empty() && ips.is_empty() {
        return Err("name the server with --host NAME and/or --ip ADDR".into());
    }
    let mut names = Vec::new();
    for host in hosts {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        // Browsers match an address only against an address entry.
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            names.push(SanType::IpAddress(ip.to_canonical()));
            continue;
        }
        let ia5 = host
            .clone()
            .try_into()
            .map_err(|_| format!("{host:?} is not a host name"))?;
        if host.is_empty() || host.contains(['/', ':', ' ']) {
            return Err(format!("{host:?} is not a host name"));
        }
        names.push(SanType::DnsName(ia5));
    }
    names.extend(ips.iter().map(|ip| SanType::IpAddress(ip.to_canonical())));

    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let (ca_key, ca_created) = ca_key(dir)?;
    let ca = ca_params(&ca_key, today);
    let ca_name = common_name(&ca.distinguished_name);
    if ca_created {
        let cert = ca
            .self_signed(&ca_key)
            .map_err(|e| format!("make the CA: {e}"))?;
        crate::secret_file::write(&dir.join(CA_KEY), &ca_key.serialize_pem())?;
        write(&dir.join(CA_CERT), &cert.pem())?;
    } else {
        check_ca_cert(dir, &ca_key)?;
    }
    let issuer = Issuer::new(ca, &ca_key);

    let key = KeyPair::generate().map_err(|e| format!("make the server key: {e}"))?;
    let mut params = CertificateParams::default();
    let first = match (hosts.first(), ips.first()) {
        (Some(host), _) => host.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => unreachable!("checked above: there is a host or an address"),
    };
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, first);
    params.subject_alt_names = names;
    let not_after = set_validity(
        &mut params,
        today - chrono::Duration::days(1),
        SERVER_CERT_DAYS,
    );
    params.serial_number = Some(random_serial());
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| format!("make the server certificate: {e}"))?;
    crate::secret_file::write(&dir.join(SERVER_KEY), &key.serialize_pem())?;
    write(&dir.join(SERVER_CERT), &cert.pem())?;
    let spki = spki_sha256(&key);
    write(&dir.join(SERVER_SPKI), &format!("{spki}\n"))?;
    Ok(Issued {
        dir: dir.to_path_buf(),
        ca_created,
        ca_name,
        not_after,
        spki,
    })
}

/// The base64 SHA-256 of a key's SubjectPublicKeyInfo.
pub fn spki_sha256(key: &impl PublicKeyData) -> String {
    let digest = Sha256::digest(key.subject_public_key_info());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The CA's key from `dir`, or a new one (`true`) if there is none.
fn ca_key(dir: &Path) -> Result<(KeyPair, bool), String> {
    let key_path = dir.join(CA_KEY);
    let cert_path = dir.join(CA_CERT);
    if key_path.exists() {
        let pem = std::fs::read_to_string(&key_path)
            .map_err(|e| format!("read {}: {e}", key_path.display()))?;
        let key = KeyPair::from_pem(&pem)
            .map_err(|e| format!("{}: not a key: {e}", key_path.display()))?;
        return Ok((key, false));
    }
    if cert_path.exists() {
        return Err(format!(
            "{} exists without its key {}: move it away to make a new CA \
             (and install the new ca.crt on every tablet)",
            cert_path.display(),
            key_path.display()
        ));
    }
    let key = KeyPair::generate().map_err(|e| format!("make the CA key: {e}"))?;
    Ok((key, true))
}

/// The CA's parameters. Its name is made from its key, so a reused CA gets
/// the same issuer name without parsing `ca.crt` back.
fn ca_params(key: &KeyPair, today: NaiveDate) -> CertificateParams {
    let id = Sha256::digest(key.subject_public_key_info());
    let id: String = id[..4].iter().map(|b| format!("{b:02X}")).collect();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("物业工单本地证书 CA {id}"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "物业投诉与服务工单");
    set_validity(&mut params, today - chrono::Duration::days(1), CA_DAYS);
    params.serial_number = Some(random_serial());
    // No intermediate CAs: this CA only signs server certificates.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Fails unless `ca.crt` in `dir` is the certificate of `key`.
fn check_ca_cert(dir: &Path, key: &KeyPair) -> Result<(), String> {
    let path = dir.join(CA_CERT);
    let der = CertificateDer::from_pem_file(&path).map_err(|e| {
        format!(
            "{}: {e}; it must be the certificate of {CA_KEY}",
            path.display()
        )
    })?;
    let spki = key.subject_public_key_info();
    if der.windows(spki.len()).any(|w| w == spki.as_slice()) {
        Ok(())
    } else {
        Err(format!(
            "{} is not the certificate of {}",
            path.display(),
            dir.join(CA_KEY).display()
        ))
    }
}

fn common_name(dn: &DistinguishedName) -> String {
    match dn.get(&DnType::CommonName) {
        Some(rcgen::DnValue::Utf8String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Makes `params` valid from the start of `from` for `days` days, and
/// returns the last day.
fn set_validity(params: &mut CertificateParams, from: NaiveDate, days: i64) -> NaiveDate {
    use chrono::Datelike;
    let until = from + chrono::Duration::days(days);
    // Months and days of a NaiveDate fit a u8 by construction.
    let ymd = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    params.not_before = ymd(from);
    params.not_after = ymd(until);
    until
}

/// A random positive serial number: browsers refuse two certificates from
/// one CA with the same serial, and `tls init` may run many times.
fn random_serial() -> SerialNumber {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

/// Serves `app` over HTTPS on `addr` with the PEM certificate chain and key
/// in `cert` and `key` (read again when they change, see
/// [`crate::renewal`], looking every `check`), and, if `redirect` is given,
/// plain HTTP there that only redirects to HTTPS. Prints `listening on
/// https://ADDR` first (the tests read the port from it), then
/// `redirecting http://ADDR`. Returns at Ctrl-C, after the open requests
/// finish.
pub async fn serve(
    app: Router,
    addr: SocketAddr,
    (cert, key): (&Path, &Path),
    redirect: Option<SocketAddr>,
    head: Duration,
    check: Duration,
) -> Result<(), String> {
    // Both ring and aws-lc may be compiled into rustls one day through some
    // other crate; then rustls needs to be told which to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| {
            format!(
                "the TLS certificate {} or key {}: {e}",
                cert.display(),
                key.display()
            )
        })?;
    crate::renewal::watch(config.clone(), cert.into(), key.into(), check);
    let listener = crate::listener::listen(addr)
        .and_then(|l| l.into_std())
        .map_err(|e| format!("bind {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%local, "serving HTTPS");
    println!("listening on https://{local}");

    let handle = axum_server::Handle::new();
    let redirect_handle = axum_server::Handle::new();
    let redirector = match redirect {
        Some(redirect) => {
            let plain = crate::listener::listen(redirect)
                .and_then(|l| l.into_std())
                .map_err(|e| format!("bind {redirect}: {e}"))?;
            let plain_local = plain.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%plain_local, "redirecting plain HTTP to HTTPS");
            println!("redirecting http://{plain_local} to https");
            let plain = axum_server::from_tcp(plain)
                .map_err(|e| format!("listen on {plain_local}: {e}"))?
                .acceptor(crate::listener::accepted());
            let server = crate::listener::bounded(plain, head)
                .handle(redirect_handle.clone())
                .serve(redirect_app(local.port()).into_make_service());
            Some(tokio::spawn(server))
        }
        None => None,
    };
    let on_stop = handle.clone();
    tokio::spawn(async move {
        crate::shutdown::requested().await;
        redirect_handle.graceful_shutdown(Some(Duration::from_secs(30)));
        on_stop.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let tls = axum_server::from_tcp_rustls(listener, config)
        .map_err(|e| format!("listen on {local}: {e}"))?
        // The socket options under TLS, and the handshake bounded as a
        // request's head is.
        .map(|tls| {
            tls.handshake_timeout(head)
                .acceptor(crate::listener::accepted())
        });
    let served = crate::listener::bounded(tls, head)
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
        .map_err(|e| e.to_string());
    if let Some(redirector) = redirector {
        let _ = redirector.await;
    }
    served
}

/// The plain-HTTP side: every request gets a permanent redirect (308, so
/// the method and body are kept) to the same host and path over HTTPS on
/// `https_port`, with the security headers but never HSTS.
pub fn redirect_app(https_port: u16) -> Router {
    Router::new()
        .fallback(to_https)
        .with_state(https_port)
        .layer(axum::middleware::map_response_with_state(
            Transport::Http,
            headers::add,
        ))
}

async fn to_https(State(port): State<u16>, req: Request) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .and_then(host_without_port);
    let Some(host) = host else {
        return (StatusCode::BAD_REQUEST, "use https://").into_response();
    };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let target = match port {
        443 => format!("https://{host}{path}"),
        port => format!("https://{host}:{port}{path}"),
    };
    Redirect::permanent(&target).into_response()
}

/// The host part of a `Host` header (`name`, `name:port`, `[v6]:port`), if
/// it is a plausible host name or address and nothing else.
fn host_without_port(host: &str) -> Option<&str> {
    let host = if host.starts_with('[') {
        // [v6] or [v6]:port
        let end = host.find(']')?;
        &host[..=end]
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
    plausible.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_loses_its_port_only() {
        assert_eq!(host_without_port("tablet.test:8080"), Some("tablet.test"));
        assert_eq!(host_without_port("tablet.test"), Some("tablet.test"));
        assert_eq!(host_without_port("192.168.1.5:80"), Some("192.168.1.5"));
        assert_eq!(host_without_port("[fd00::5]:80"), Some("[fd00::5]"));
        assert_eq!(host_without_port("[fd00::5]"), Some("[fd00::5]"));
        assert_eq!(host_without_port("evil.test/x"), None);
        assert_eq!(host_without_port(""), None);
    }

    #[test]
    fn a_second_init_reuses_the_ca_and_issues_a_new_certificate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        let hosts = ["wuye.local".to_string()];
        let ips: [IpAddr; 1] = ["192.168.1.5".parse().expect("an address")];
        let first = init(dir.path(), &hosts, &ips, today).expect("first init");
        assert!(first.ca_created);
        let ca = std::fs::read(dir.path().join(CA_CERT)).expect("ca.crt");
        let server = std::fs::read(dir.path().join(SERVER_CERT)).expect("server.crt");
        let second = init(dir.path(), &hosts, &ips, today).expect("second init");
        assert!(!second.ca_created);
        assert_eq!(second.ca_name, first.ca_name);
        assert_eq!(std::fs::read(dir.path().join(CA_CERT)).expect("ca.crt"), ca);
        assert_ne!(
            std::fs::read(dir.path().join(SERVER_CERT)).expect("server.crt"),
            server
        );
        assert_ne!(second.spki, first.spki);
        assert_eq!(
            second.not_after,
            NaiveDate::from_ymd_opt(2029, 3, 3).expect("a date")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for secret in [CA_KEY, SERVER_KEY] {
                let mode = std::fs::metadata(dir.path().join(secret))
                    .expect("the key exists")
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{secret}");
            }
        }
    }

    #[test]
    fn an_expiring_certificate_is_warned_of_from_thirty_days_before() {
        use crate::renewal::expiry_warning;
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().expect("temp dir");
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        let made = init(dir.path(), &["wuye.local".into()], &[], today).expect("init");
        let cert = dir.path().join(SERVER_CERT);
        let at = |date: NaiveDate| {
            let secs = date
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp();
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
        };
        assert_eq!(expiry_warning(&cert, at(today)), None);
        assert_eq!(
            expiry_warning(&cert, at(made.not_after - chrono::Days::new(31))),
            None
        );
        let soon = expiry_warning(&cert, at(made.not_after - chrono::Days::new(10)))
            .expect("ten days before");
        assert!(
            soon.contains("(10 days)") && soon.contains("2029-03-03"),
            "{soon}"
        );
        let late = expiry_warning(&cert, at(made.not_after + chrono::Days::new(2))).expect("after");
        assert!(late.contains("expired"), "{late}");
    }

    #[test]
    fn a_ca_certificate_without_its_key_is_not_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(CA_CERT), "x").expect("write");
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        let result = init(dir.path(), &["a.test".into()], &[], today);
        assert!(result.is_err());
    }

    #[test]
    fn init_needs_a_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        assert!(init(dir.path(), &[], &[], today).is_err());
        assert!(init(dir.path(), &["bad name".into()], &[], today).is_err());
    }
}
