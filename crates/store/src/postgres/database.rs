//! The connection to PostgreSQL: `tokio-postgres` driven on a runtime thread that the store owns,
//! with a small pool of connections, behind a blocking call.
//!
//! Why not the synchronous `postgres` crate: each of its clients blocks on a runtime of its own,
//! and tokio refuses to block on a runtime from inside another one, which is where the server
//! calls the store (it runs cheap requests in place on its async workers). Here the caller's
//! thread only sends the work to the store's runtime and waits on a plain channel, which is
//! allowed anywhere. Called from the server's runtime, that wait is announced with
//! `block_in_place` ([`blocking`]), so that a database round trip does not hold up the other
//! connections of an I/O thread, while a request answered from the cache costs nothing more.
//!
//! Why a pool of our own rather than deadpool or r2d2: what is needed is "an idle connection, or
//! a new one, at most N at a time, and never a closed one", on our runtime; that is a semaphore
//! and a vector.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Notification, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{StoreError, StoreResult};

/// How long a new connection may take before the call fails (when the URL sets no
/// `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long data sent to the database may stay unacknowledged before the connection is given up
/// (a host that died without closing its connections, a network cut), and how soon an idle
/// connection is probed: without them a request waits for the kernel's TCP timeouts (minutes to
/// hours). Each only when the URL sets none.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
const KEEPALIVES_IDLE: Duration = Duration::from_secs(60);
/// tokio-postgres' own default for `keepalives_idle`: the URL did not set it.
const DEFAULT_KEEPALIVES_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// Work to run on a pooled connection, borrowing it.
pub(super) type Work<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// The store's runtime thread and its pool.
pub(super) struct Database {
    runtime: tokio::runtime::Handle,
    pool: Arc<Pool>,
    /// The connections that hold the session advisory locks of the jobs this process leads
    /// (see [`Database::lead`]), by lock key.
    leading: Arc<tokio::sync::Mutex<HashMap<i64, Client>>>,
    /// Dropped to stop the runtime thread, which then closes every connection.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Database {
    /// Starts the runtime thread; connections are made when first needed, over TLS when `tls` is
    /// given (then required, whatever the URL's `sslmode`).
    pub(super) fn start(mut config: Config, pool_size: usize, tls: Option<MakeRustlsConnect>) -> StoreResult<Database> {
        if tls.is_some() {
            config.ssl_mode(SslMode::Require);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if config.get_keepalives_idle() == DEFAULT_KEEPALIVES_IDLE {
            config.keepalives_idle(KEEPALIVES_IDLE);
        }
        if config.get_application_name().is_none() {
            config.application_name("keyward");
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("keyward-postgres".into()).spawn(move || {
            // Runs the connections' tasks until the store is dropped.
            runtime.block_on(async {
                let _ = stopped.await;
            });
        })?;
        let pool = Arc::new(Pool {
            config,
            tls,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(pool_size.max(1))),
        });
        let leading = Arc::new(tokio::sync::Mutex::new(HashMap::new()));
        Ok(Database { runtime: handle, pool, leading, stop: Some(stop), thread: Some(thread) })
    }

    /// Runs `work` on a pooled connection and waits for its result. Callable from any thread.
    pub(super) fn run<T: Send + 'static>(
        &self,
        work: impl for<'a> FnOnce(&'a mut Pooled) -> Work<'a, T> + Send + 'static,
    ) -> StoreResult<T> {
        let pool = Arc::clone(&self.pool);
        self.wait(async move {
            let mut client = pool.checkout().await?;
            let result = work(&mut client).await;
            if result.is_err() {
                client.forget_statements();
            }
            result
        })
    }

    /// Runs `work` on the store's runtime and waits for its result. Callable from any thread.
    pub(super) fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = sender.send(work.await);
        });
        blocking(|| receiver.recv()).map_err(|_| StoreError::Backend("the database runtime stopped".into()))?
    }
}

/// Runs `wait`, which blocks this thread on the database, telling the caller's runtime first when
/// it is a multi-threaded tokio runtime (the server's): its other tasks then move to another
/// thread instead of waiting too (`block_in_place`). Elsewhere (a plain thread, a current-thread
/// runtime, where `block_in_place` is not allowed) it simply blocks.
pub(super) fn blocking<T>(wait: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(wait),
        _ => wait(),
    }
}

impl Database {
    /// Starts the group commit of new objects (see [`super::batch`]) on the store's runtime.
    pub(super) fn start_inserts(&self) -> super::batch::Inserts {
        let _runtime = self.runtime.enter();
        super::batch::Inserts::start(Arc::clone(&self.pool))
    }

    /// Starts this node's part in keeping the caches coherent, for as long as the runtime runs.
    pub(super) fn spawn_coherence(&self, coherence: Arc<super::coherence::Coherence>) {
        self.runtime.spawn(super::coherence::run(coherence, Arc::clone(&self.pool)));
    }

    /// Whether this process holds, or now takes, the session advisory lock `key`: held on a
    /// connection of its own outside the pool for as long as it lives, so that PostgreSQL lets it
    /// go when this process stops or its connection dies, and another node takes it then.
    pub(super) fn lead(&self, key: i64) -> StoreResult<bool> {
        let (pool, leading) = (Arc::clone(&self.pool), Arc::clone(&self.leading));
        self.wait(async move {
            let mut leading = leading.lock().await;
            if leading.get(&key).is_some_and(|client| !client.is_closed()) {
                return Ok(true);
            }
            leading.remove(&key);
            let client = pool.connect().await?;
            let row = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(|e| backend("taking a job's lock", &e))?;
            let taken: bool = row.get(0);
            if taken {
                leading.insert(key, client);
            }
            Ok(taken)
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(super) struct Pool {
    config: Config,
    tls: Option<MakeRustlsConnect>,
    idle: Mutex<Vec<(Client, Statements)>>,
    permits: Arc<Semaphore>,
}

/// A connection's prepared statements, by their text: a statement prepared once is then run in
/// one round trip instead of two (parse and describe, then bind and execute).
type Statements = HashMap<&'static str, Statement>;

impl Pool {
    pub(super) async fn checkout(self: &Arc<Pool>) -> StoreResult<Pooled> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("the connection pool is closed".into()))?;
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.retain(|(client, _)| !client.is_closed());
            idle.pop()
        };
        let (client, statements) = match reused {
            Some(reused) => reused,
            None => (self.connect().await?, Statements::new()),
        };
        Ok(Pooled { client: Some(client), statements, pool: Arc::clone(self), _permit: permit })
    }

    /// A connection outside the pool whose notifications (LISTEN) go to `notified`, in the order
    /// the database sends them; the handle completes when the connection ends.
    pub(super) async fn connect_listening(
        &self,
        notified: impl FnMut(Notification) + Send + 'static,
    ) -> StoreResult<(Client, tokio::task::JoinHandle<()>)> {
        let failed = |e: tokio_postgres::Error| backend("connecting", &e);
        match &self.tls {
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await.map_err(failed)?;
                Ok((client, tokio::spawn(deliver(connection, notified))))
            }
            None => {
                let (client, connection) = self.config.connect(NoTls).await.map_err(failed)?;
                Ok((client, tokio::spawn(deliver(connection, notified))))
            }
        }
    }

    /// A connection; its task drives its socket, and ends when the client is dropped.
    async fn connect(&self) -> StoreResult<Client> {
        Ok(self.connect_listening(|_| {}).await?.0)
    }
}

/// Drives a connection's socket, handing each notification to `notified`, until it ends.
async fn deliver<S, T>(mut connection: tokio_postgres::Connection<S, T>, mut notified: impl FnMut(Notification))
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(notification))) => notified(notification),
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                tracing::warn!(%error, "a connection to the database ended");
                return;
            }
            None => return,
        }
    }
}

/// A connection taken from the pool; it goes back when dropped, unless it is closed.
pub(super) struct Pooled {
    client: Option<Client>,
    statements: Statements,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    /// Prepares every statement afresh next time (after an error: a plan cached before a schema
    /// change would fail on this connection for as long as it lives).
    pub(super) fn forget_statements(&mut self) {
        self.statements.clear();
    }

    /// The statement `sql`, prepared on this connection once and kept.
    pub(super) async fn prepared(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

impl std::ops::Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("a pooled client is present until dropped")
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("a pooled client is present until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|c| !c.is_closed()) {
            let statements = std::mem::take(&mut self.statements);
            self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).push((client, statements));
        }
    }
}

/// A database error as a store error; the message names what was being done and why it failed
/// (PostgreSQL's message, or the I/O error under a connection failure). PostgreSQL's messages carry
/// no parameter values; its details (which may name a unique key's value, an HMAC here) are left
/// out.
pub(super) fn backend(doing: &str, error: &tokio_postgres::Error) -> StoreError {
    let why = match (error.as_db_error(), std::error::Error::source(error)) {
        (Some(db), _) => format!("{} ({})", db.message(), db.code().code()),
        (None, Some(source)) => format!("{error}: {source}"),
        (None, None) => error.to_string(),
    };
    StoreError::Backend(format!("database, {doing}: {why}"))
}
