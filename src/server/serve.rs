//! Running the router: plain HTTP or HTTPS (rustls) over HTTP/1.1, hyper's
//! header-read timeout against clients that connect and say nothing, and a
//! graceful shutdown on SIGINT or SIGTERM that lets requests in flight
//! finish.
//!
//! The accept loop is ours, on hyper's HTTP/1 connection, rather than
//! `axum::serve` (no timeouts, no TLS) or a server crate: hyper-util's
//! HTTP/1-or-2 detection reads the first bytes with no timer at all, so a
//! client that connects and sends nothing would hold its connection
//! forever (hyper's `header_read_timeout` starts only after it). The
//! vendors' clients speak HTTP/1.1.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

/// Whether and how to serve HTTPS.
#[derive(Clone, Debug, Default)]
pub enum Tls {
    /// Plain HTTP.
    #[default]
    None,
    /// A certificate chain and its private key, both PEM files.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate made at start for `localhost` and `127.0.0.1`.
    SelfSigned,
}

/// Where to listen.
pub struct Listen {
    /// A bound listener (bind port 0 to let the system choose).
    pub listener: TcpListener,
    /// HTTP or HTTPS.
    pub tls: Tls,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

/// Serves `app` until SIGINT or SIGTERM, then finishes the requests in
/// flight (up to `grace`). `announce` gets the URL and, for a self-signed
/// certificate, its SHA-256 fingerprint, once the socket is ready.
pub async fn serve(
    app: Router,
    listen: Listen,
    announce: impl FnOnce(&str, Option<&str>),
) -> Result<(), String> {
    let addr = listen
        .listener
        .local_addr()
        .map_err(|e| format!("listener: {e}"))?;
    listen
        .listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let listener =
        tokio::net::TcpListener::from_std(listen.listener).map_err(|e| format!("listener: {e}"))?;
    let tls = rustls_config(&listen.tls)?;
    match &tls {
        None => announce(&format!("http://{addr}"), None),
        Some((_, fingerprint)) => announce(&format!("https://{addr}"), fingerprint.as_deref()),
    }
    let acceptor = tls.map(|(config, _)| TlsAcceptor::from(config));
    let graceful = GracefulShutdown::new();
    let timeout = listen.header_timeout;
    let mut shutdown = std::pin::pin!(signal());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, or a connection reset before
                    // accept: wait a moment rather than spin.
                    tracing::warn!(target: "kfql::server", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeout);
            // Errors here are the client's (a reset, a timeout, bad TLS):
            // nothing to answer, and not worth more than a debug line.
            let done = match acceptor {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
                Some(acceptor) => {
                    // The handshake is bounded like the headers that follow it.
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(timeout, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn).await
                }
            };
            if let Err(e) = done {
                tracing::debug!(target: "kfql::server", error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    tracing::info!(target: "kfql::server", "shutting down: finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(listen.grace) => {
            tracing::warn!(target: "kfql::server", "requests still in flight after the grace period");
        }
    }
    Ok(())
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A rustls configuration and, for a certificate made here, its fingerprint.
type Certified = (Arc<rustls::ServerConfig>, Option<String>);

/// The rustls configuration for `tls`, and the certificate's fingerprint
/// when it was made here.
fn rustls_config(tls: &Tls) -> Result<Option<Certified>, String> {
    let (certs, key, fingerprint) = match tls {
        Tls::None => return Ok(None),
        Tls::Files { cert, key } => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "--tls-cert {}: no certificate in the file",
                    cert.display()
                ));
            }
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
            (certs, key, None)
        }
        Tls::SelfSigned => {
            let made = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
            ])
            .map_err(|e| format!("--tls-self-signed: {e}"))?;
            let der = made.cert.der().clone();
            let fingerprint = Sha256::digest(der.as_ref())
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":");
            let key = PrivateKeyDer::try_from(made.key_pair.serialize_der())
                .map_err(|e| format!("--tls-self-signed: {e}"))?;
            (vec![der], key, Some(fingerprint))
        }
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("TLS certificate and key: {e}"))?;
    Ok(Some((Arc::new(config), fingerprint)))
}
