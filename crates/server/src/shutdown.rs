//! Stopping: the signals that ask for it, and the flag every connection watches.
//!
//! [`Server::run`](crate::Server::run) takes any future as its shutdown trigger; [`signal`] is the
//! one the command line passes. Once it completes, the server stops accepting, raises the
//! [`StopFlag`], and connections close as soon as they are between requests: idle ones at once,
//! busy ones after they have sent their response.

use tokio::sync::watch;

/// Completes on SIGTERM or SIGINT (Ctrl-C), whichever comes first.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server")
            }
        }
    }
    if let Err(error) = tokio::signal::ctrl_c().await {
        // Without any signal the server can only be killed; say so and wait forever rather than
        // stop at once.
        tracing::error!(%error, "cannot listen for Ctrl-C either");
        std::future::pending::<()>().await;
    }
    tracing::info!("SIGINT received");
}

/// Raises the stop flag.
pub(crate) struct StopTrigger(watch::Sender<bool>);

/// The stop flag as a connection sees it.
#[derive(Clone)]
pub(crate) struct StopFlag(watch::Receiver<bool>);

pub(crate) fn stop_flag() -> (StopTrigger, StopFlag) {
    let (sender, receiver) = watch::channel(false);
    (StopTrigger(sender), StopFlag(receiver))
}

impl StopTrigger {
    pub(crate) fn raise(&self) {
        self.0.send_replace(true);
    }
}

impl StopFlag {
    pub(crate) fn is_raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the flag is raised (or its trigger is gone, which means the same).
    pub(crate) async fn raised(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
