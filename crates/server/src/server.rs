//! The listening server: binding, the accept loop with its connection limit, and the orderly stop.
//!
//! Connections beyond `max_connections` are accepted and closed at once rather than left in the
//! kernel's backlog: a client then fails fast and can retry or fail over to another server,
//! instead of hanging until its own connect timeout while the slots are held (possibly by slow or
//! hostile peers). Refusals are logged as warnings, at most one line every few seconds.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::Dispatcher;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::config::ServerConfig;
use crate::connection::{self, Shared};
use crate::error::ServerError;
use crate::shutdown;

/// How often at most a refused connection is logged.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after an error that is not about one connection (out of file
/// descriptors, typically): retrying at once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// A bound, not yet running, KMIP server.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl Server {
    /// Checks the configuration, loads the TLS certificates and binds the listening socket. The
    /// configuration must name its certificates (see [`crate::pki::DevPki::adopt`] for the
    /// development PKI); the dispatcher comes from [`crate::open_dispatcher`] or, in tests, from
    /// any store.
    pub async fn bind(config: &ServerConfig, dispatcher: Dispatcher) -> Result<Server, ServerError> {
        config.validate()?;
        let files = config.tls.files()?;
        let tls = crate::tls::server_config(&files, &config.tls)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|error| ServerError::Bind { address: config.listen, error })?;
        let local_addr = listener.local_addr().map_err(|error| ServerError::Bind { address: config.listen, error })?;
        let shared = Shared {
            acceptor: TlsAcceptor::from(tls),
            dispatcher,
            identity: config.identity,
            limits: config.limits.clone(),
            decoder: config.limits.decoder(),
        };
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(shared),
            max_connections: config.limits.max_connections,
            shutdown_grace: config.limits.shutdown_grace,
        })
    }

    /// The address the server listens on (with the port chosen when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then stops: no new connections, idle ones closed,
    /// requests in progress answered (for up to `shutdown_grace`), the store flushed.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let Server { listener, local_addr, shared, max_connections, shutdown_grace } = self;
        tracing::info!(address = %local_addr, max_connections, "serving KMIP over TLS");
        let slots = Arc::new(Semaphore::new(max_connections));
        let (trigger, stop) = shutdown::stop_flag();
        let mut connections = JoinSet::new();
        let mut refusals = RefusalLog::default();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(ended) = connections.join_next(), if !connections.is_empty() => report(ended),
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => match Arc::clone(&slots).try_acquire_owned() {
                        Ok(permit) => {
                            connections.spawn(connection::serve(tcp, peer, Arc::clone(&shared), stop.clone(), permit));
                        }
                        Err(_) => {
                            drop(tcp);
                            refusals.refused(peer, max_connections);
                        }
                    },
                    Err(error) => accept_failed(&error).await,
                },
            }
        }

        // Closing the socket makes new clients fail at once instead of waiting in the backlog.
        drop(listener);
        trigger.raise();
        tracing::info!(open = connections.len(), "stopping: no new connections, finishing requests in progress");
        let drained = tokio::time::timeout(shutdown_grace, drain(&mut connections)).await;
        if drained.is_err() {
            let open = connections.len();
            tracing::warn!(open, grace = ?shutdown_grace, "closing connections still busy after the grace period");
            connections.abort_all();
            drain(&mut connections).await;
        }
        let store = Arc::clone(&shared.dispatcher.services().store);
        let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(ServerError::Flush(error)),
            Err(error) => {
                return Err(ServerError::Flush(keyward_store::StoreError::Backend(error.to_string())));
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn drain(connections: &mut JoinSet<()>) {
    while let Some(ended) = connections.join_next().await {
        report(ended);
    }
}

/// A connection task only ends badly by panicking (a bug) or by being aborted (the grace period
/// ran out); say which.
fn report(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended {
        if error.is_panic() {
            tracing::error!(%error, "a connection task panicked");
        } else {
            tracing::debug!(%error, "a connection task was cancelled");
        }
    }
}

/// Errors about one connection (it was reset before we took it) are skipped; others mean the
/// process is short of something, and accepting again at once would only spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        tracing::debug!(%error, "a connection failed before it was accepted");
    } else {
        tracing::error!(%error, "cannot accept connections; pausing");
        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
    }
}

/// Logs refused connections without flooding the log when many arrive.
#[derive(Default)]
struct RefusalLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl RefusalLog {
    fn refused(&mut self, peer: SocketAddr, limit: usize) {
        let now = Instant::now();
        if self.last.is_some_and(|last| now.duration_since(last) < REFUSAL_LOG_INTERVAL) {
            self.unlogged += 1;
            return;
        }
        tracing::warn!(%peer, limit, also_refused = self.unlogged, "connection refused: max_connections reached");
        self.last = Some(now);
        self.unlogged = 0;
    }
}
