//! The listening server: binding, the accept loop with its connection limit, and the orderly stop.
//!
//! There are one or two listeners: KMIP over TLS (TTLV frames), always, and KMIP over HTTPS when
//! `[https]` is configured. Both take their connections from one pool of `max_connections`
//! slots, so that the limit keeps meaning what the operator sized file descriptors and memory for:
//! connections open at once, whatever they carry.
//!
//! Connections still in their TLS handshake do not take one of those slots: they have a pool of
//! their own, `max_handshakes` with at most `max_handshakes_per_peer` from one address (see
//! `admission`), so that unauthenticated peers cannot lock authenticated clients out.
//!
//! Connections beyond `max_connections` are accepted and closed at once rather than left in the
//! kernel's backlog: a client then fails fast and can retry or fail over to another server,
//! instead of hanging until its own connect timeout while the slots are held (possibly by slow or
//! hostile peers). Refusals are logged as warnings, at most one line every few seconds.
//!
//! With [`Metrics`], the server also runs the health and metrics listener (`[metrics]`), counts
//! connections and handshakes, and says it is ready from the moment it accepts until it begins to
//! stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::Dispatcher;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::admission::{HandshakeGate, Slot};
use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::identity_rules::IdentityRules;
use crate::limits::LimitsConfig;
use crate::metrics::Metrics;
use crate::metrics_listener::{MetricsListener, Readiness};
use crate::request_id::RequestIds;
use crate::rotation::Rotator;
use crate::shutdown::{self, StopFlag};
use crate::{connection, https};

/// How often at most a refused connection is logged.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after an error that is not about one connection (out of file
/// descriptors, typically): retrying at once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What every connection shares, whichever listener accepted it.
pub(crate) struct Shared {
    pub(crate) dispatcher: Dispatcher,
    pub(crate) identity: IdentityRules,
    pub(crate) limits: LimitsConfig,
    pub(crate) decoder: keyward_ttlv::Limits,
    /// `None` when the server counts nothing (no [`Metrics`] given): then no request pays for a
    /// clock reading either.
    pub(crate) metrics: Option<Metrics>,
    pub(crate) request_ids: RequestIds,
    /// The automatic rotation scheduler (its timer runs with the server).
    pub(crate) rotator: Arc<Rotator>,
}

/// A bound, not yet running, KMIP server.
pub struct Server {
    kmip: Listener,
    https: Option<Listener>,
    shared: Arc<Shared>,
    max_connections: usize,
    shutdown_grace: Duration,
    monitor: Option<Monitor>,
    readiness: Readiness,
}

/// The health and metrics listener's task, serving from the bind on (`/ready` says 503 until the
/// server runs) and stopped when the server is dropped, whether it ran or not.
struct Monitor {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listening socket, the TLS configuration of its connections and what they carry.
struct Listener {
    socket: TcpListener,
    address: SocketAddr,
    acceptor: TlsAcceptor,
    transport: Transport,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// TTLV frames on the TLS stream, the KMIP port.
    Ttlv = 0,
    /// HTTP/1.1 on the TLS stream, KMIP messages in `POST /kmip` bodies.
    Https = 1,
}

/// Runs the operations the dispatcher answered Operation Pending (KMIP 1.4 §6.8) on tokio's
/// blocking pool, where their work and the wait for their commit hold up no connection.
struct BlockingPool(tokio::runtime::Handle);

impl keyward_core::AsyncWorker for BlockingPool {
    fn spawn(&self, job: Box<dyn FnOnce() + Send>) {
        // Detached: the outcome goes to the dispatcher's table, for the client's Poll.
        drop(self.0.spawn_blocking(job));
    }
}

impl Server {
    /// Checks the configuration, loads the TLS certificates and binds the listening socket. The
    /// configuration must name its certificates (see [`crate::pki::DevPki::adopt`] for the
    /// development PKI); the dispatcher comes from [`crate::open_dispatcher`] or, in tests, from
    /// any store.
    ///
    /// This server counts nothing and runs no health and metrics listener, whatever `[metrics]`
    /// says: that takes [`Self::bind_with_metrics`].
    pub async fn bind(config: &ServerConfig, dispatcher: Dispatcher) -> Result<Server, ServerError> {
        Server::bind_observed(config, dispatcher, None).await
    }

    /// [`Self::bind`], counting into `metrics` (which the store and the dispatcher should report
    /// to as well: see [`crate::open_dispatcher_with_metrics`]), and binding the health and
    /// metrics listener when `[metrics]` is enabled.
    pub async fn bind_with_metrics(
        config: &ServerConfig,
        dispatcher: Dispatcher,
        metrics: Metrics,
    ) -> Result<Server, ServerError> {
        Server::bind_observed(config, dispatcher, Some(metrics)).await
    }

    async fn bind_observed(
        config: &ServerConfig,
        dispatcher: Dispatcher,
        metrics: Option<Metrics>,
    ) -> Result<Server, ServerError> {
        config.validate()?;
        let files = config.tls.files()?;
        let identity = IdentityRules::new(config.identity, &config.access)?;
        let tls = crate::tls::server_config(&files, &config.tls, &identity.tenant_roots)?;
        let kmip = Listener::bind(config.listen, TlsAcceptor::from(Arc::clone(&tls)), Transport::Ttlv).await?;
        let https = match &config.https {
            Some(https) => {
                let acceptor = TlsAcceptor::from(crate::tls::with_alpn(&tls, https::ALPN_PROTOCOLS));
                Some(Listener::bind(https.listen, acceptor, Transport::Https).await?)
            }
            None => None,
        };
        let readiness = Readiness::default();
        let monitor = match &metrics {
            Some(metrics) if config.metrics.enabled => {
                let listener = MetricsListener::bind(config.metrics.listen, metrics.clone(), readiness.clone()).await?;
                // A task of its own, so that it answers whatever the KMIP connections are doing.
                Some(Monitor { address: listener.address(), task: tokio::spawn(listener.serve()) })
            }
            _ => None,
        };
        let changed = Rotator::listener();
        let dispatcher = dispatcher
            .with_max_response_size(config.limits.max_response_size)
            .with_async_worker(Arc::new(BlockingPool(tokio::runtime::Handle::current())))
            .with_change_listener(Arc::clone(&changed) as Arc<dyn keyward_core::rotation::ChangeListener>);
        let rotator = Arc::new(Rotator::new(&config.rotation, dispatcher.clone(), changed));
        rotator.load_policies().map_err(ServerError::RotationPolicies)?;
        let shared = Shared {
            dispatcher,
            identity,
            limits: config.limits.clone(),
            decoder: config.limits.decoder(),
            metrics,
            request_ids: RequestIds::new(),
            rotator,
        };
        Ok(Server {
            kmip,
            https,
            shared: Arc::new(shared),
            max_connections: config.limits.max_connections,
            shutdown_grace: config.limits.shutdown_grace,
            monitor,
            readiness,
        })
    }

    /// The address the server listens on for KMIP over TLS (with the port chosen when the
    /// configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.kmip.address
    }

    /// The address of the KMIP-over-HTTPS listener, when `[https]` is configured.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https.as_ref().map(|https| https.address)
    }

    /// The address of the health and metrics listener, when it runs.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.monitor.as_ref().map(|monitor| monitor.address)
    }

    /// Serves until `shutdown` completes, then stops: no new connections, idle ones closed,
    /// requests in progress answered (for up to `shutdown_grace`), the store flushed, the audit
    /// trail closed with a checkpoint.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let Server { kmip, https, shared, max_connections, shutdown_grace, monitor, readiness } = self;
        tracing::info!(address = %kmip.address, max_connections, "serving KMIP over TLS");
        if let Some(https) = &https {
            tracing::info!(address = %https.address, path = https::KMIP_PATH, "serving KMIP over HTTPS");
        }
        let slots = Arc::new(Semaphore::new(max_connections));
        let handshakes = HandshakeGate::new(shared.limits.max_handshakes, shared.limits.max_handshakes_per_peer);
        let (trigger, stop) = shutdown::stop_flag();
        let mut connections = JoinSet::new();
        let mut refusals = RefusalLog::default();
        let rotation = tokio::spawn(Arc::clone(&shared.rotator).run(stop.clone()));
        tokio::pin!(shutdown);
        readiness.set(true);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(ended) = connections.join_next(), if !connections.is_empty() => report(ended),
                (accepted, listener) = next_connection(&kmip, https.as_ref()) => match accepted {
                    // With every authenticated slot taken, a handshake would only end in a refusal.
                    Ok((tcp, peer)) => match slots.available_permits() {
                        1.. => {
                            let open = shared.metrics.as_ref().map(|m| m.connection_opened(listener.transport));
                            let slot = Slot::new(handshakes.admit(peer.ip()), Arc::clone(&slots), open);
                            listener.spawn(&mut connections, tcp, peer, Arc::clone(&shared), stop.clone(), slot);
                        }
                        0 => {
                            drop(tcp);
                            if let Some(metrics) = &shared.metrics {
                                metrics.connection_refused();
                            }
                            refusals.refused(peer, max_connections);
                        }
                    },
                    Err(error) => accept_failed(&error).await,
                },
            }
        }

        readiness.set(false);
        // Closing the sockets makes new clients fail at once instead of waiting in the backlog.
        drop(kmip);
        drop(https);
        trigger.raise();
        tracing::info!(open = connections.len(), "stopping: no new connections, finishing requests in progress");
        let drained = tokio::time::timeout(shutdown_grace, drain(&mut connections)).await;
        if drained.is_err() {
            let open = connections.len();
            tracing::warn!(open, grace = ?shutdown_grace, "closing connections still busy after the grace period");
            connections.abort_all();
            drain(&mut connections).await;
        }
        // A rotation in progress finishes (its commit is one write) before the store is flushed.
        if let Err(error) = rotation.await {
            tracing::error!(%error, "the rotation scheduler ended abnormally");
        }
        let store = Arc::clone(&shared.dispatcher.services().store);
        let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
        // The trail ends with a shutdown checkpoint, so that a clean stop is told from a cut.
        if let Some(audit) = shared.dispatcher.audit().map(Arc::clone) {
            match tokio::task::spawn_blocking(move || audit.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "the audit trail was not closed cleanly"),
                Err(error) => tracing::error!(%error, "the audit trail was not closed cleanly"),
            }
        }
        // Health and metrics were served until now, /ready saying 503 while the server drained.
        drop(monitor);
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

impl Listener {
    async fn bind(address: SocketAddr, acceptor: TlsAcceptor, transport: Transport) -> Result<Listener, ServerError> {
        let bind_error = |error| ServerError::Bind { address, error };
        let socket = TcpListener::bind(address).await.map_err(bind_error)?;
        let address = socket.local_addr().map_err(bind_error)?;
        Ok(Listener { socket, address, acceptor, transport })
    }

    /// Starts the task that runs a connection this listener accepted.
    fn spawn(
        &self,
        connections: &mut JoinSet<()>,
        tcp: TcpStream,
        peer: SocketAddr,
        shared: Arc<Shared>,
        stop: StopFlag,
        slot: Slot,
    ) {
        let acceptor = self.acceptor.clone();
        match self.transport {
            Transport::Ttlv => connections.spawn(connection::serve(tcp, peer, acceptor, shared, stop, slot)),
            Transport::Https => connections.spawn(https::serve(tcp, peer, acceptor, shared, stop, slot)),
        };
    }
}

/// The next connection on either listener, and the listener it came to.
async fn next_connection<'l>(
    kmip: &'l Listener,
    https: Option<&'l Listener>,
) -> (std::io::Result<(TcpStream, SocketAddr)>, &'l Listener) {
    match https {
        None => (kmip.socket.accept().await, kmip),
        Some(https) => tokio::select! {
            accepted = kmip.socket.accept() => (accepted, kmip),
            accepted = https.socket.accept() => (accepted, https),
        },
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
