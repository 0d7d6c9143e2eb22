//! When the server stops: at Ctrl-C, and at `SIGTERM`, which a service
//! manager sends (`systemctl stop`, a reboot, `docker stop`). Without the
//! latter the process died at once, cutting every tablet's sync in the
//! middle of its request instead of letting them finish.

/// Waits until the server is asked to stop.
pub async fn requested() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "listening for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("stopping: requests under way may finish within 30 s");
}
