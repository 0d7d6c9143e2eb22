//! `server tls init`: a local certificate authority (made once, reused
//! afterwards) and a server certificate for the names and addresses the
//! tablets use (`tls.rs` does the work; this says what was done).

use super::Data;
use chrono::Utc;
use clap::Subcommand;
use std::net::IpAddr;
use std::path::PathBuf;

/// The `tls` commands.
#[derive(Subcommand)]
pub enum TlsCommand {
    /// Makes a local certificate authority (once; reused afterwards) and a
    /// server certificate for the names and addresses tablets use. Install
    /// `ca.crt` on every tablet (see the README), then serve with
    /// `--tls-cert DIR/server.crt --tls-key DIR/server.key`.
    Init {
        #[command(flatten)]
        data: Data,
        /// A host name tablets use for the server (repeat for several).
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        /// An IP address tablets use for the server (repeat for several).
        #[arg(long = "ip", value_name = "ADDR")]
        ips: Vec<IpAddr>,
        /// Where to write the files; default `<data-dir>/tls`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

impl TlsCommand {
    /// Issues the certificate and prints what to install and how to serve.
    pub fn run(self) -> Result<(), String> {
        let TlsCommand::Init {
            data,
            hosts,
            ips,
            out,
        } = self;
        let data_dir = data.data_dir.clone();
        let dir = out.unwrap_or_else(|| data.data_dir.join("tls"));
        let issued = server::tls::init(&dir, &hosts, &ips, Utc::now().date_naive())?;
        let ca = dir.join(server::tls::CA_CERT);
        let names: Vec<String> = hosts
            .iter()
            .cloned()
            .chain(ips.iter().map(IpAddr::to_string))
            .collect();
        if issued.ca_created {
            println!(
                "Created the certificate authority \"{}\": install {} on every tablet \
                 (see the README); keep {} private.",
                issued.ca_name,
                ca.display(),
                dir.join(server::tls::CA_KEY).display()
            );
        } else {
            println!(
                "Reused the certificate authority \"{}\" ({}): tablets that have it need nothing new.",
                issued.ca_name,
                ca.display()
            );
        }
        println!(
            "Issued {} for {}, valid until {}.",
            dir.join(server::tls::SERVER_CERT).display(),
            names.join(", "),
            issued.not_after
        );
        println!("Server key SHA-256 (SPKI, base64): {}", issued.spki);
        println!(
            "A server already serving these files serves the new certificate within \
             its --tls-check-secs (a minute by default), or at once on SIGHUP."
        );
        println!(
            "Serve with: server serve --data-dir {} --dist dist --addr 0.0.0.0:8443 --tls-cert {} --tls-key {} --http-redirect-addr 0.0.0.0:8080",
            data_dir.display(),
            dir.join(server::tls::SERVER_CERT).display(),
            dir.join(server::tls::SERVER_KEY).display()
        );
        Ok(())
    }
}
