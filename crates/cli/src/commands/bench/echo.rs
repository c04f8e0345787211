//! The echo server: mutual TLS with Keyward's settings (aws-lc-rs, TLS 1.3 and 1.2 with ECDHE and
//! AES-GCM, a client certificate required, session cache and tickets), reading TTLV frames and
//! sending each back as it came. No decoding, no dispatch, no store: what a request-response
//! protocol over mutual TLS costs on this machine, the ceiling a KMIP server can approach.
//!
//! In-process, it runs on a tokio runtime and threads of its own, named [`THREAD_NAME`], so that
//! the CPU time it spends can be told from the client's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_client::pem;
use keyward_ttlv::Limits;
use keyward_ttlv::frame::FrameReader;
use rustls::RootCertStore;
use rustls::server::{ServerSessionMemoryCache, WebPkiClientVerifier};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::args::EchoServerArgs;
use super::error::BenchError;
use super::target::PemFiles;

/// The name of the echo server's threads (at most 15 bytes: Linux's limit for thread names).
pub const THREAD_NAME: &str = "kw-echo";

/// Keyward's defaults, for the same work per connection.
const SESSION_CACHE_SIZE: usize = 4096;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const READ_BUFFER: usize = 16 * 1024;

/// An echo server running on its own runtime; stops when dropped.
pub struct EchoServer {
    runtime: Option<tokio::runtime::Runtime>,
    pub address: SocketAddr,
}

impl EchoServer {
    /// Starts the server on `listen` (port 0: an ephemeral port).
    pub fn start(files: &PemFiles, listen: SocketAddr) -> Result<EchoServer, BenchError> {
        let acceptor = TlsAcceptor::from(tls_config(files)?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name(THREAD_NAME)
            .build()
            .map_err(BenchError::Runtime)?;
        let listener =
            std::net::TcpListener::bind(listen).map_err(|e| BenchError::Echo(format!("bind {listen}: {e}")))?;
        listener.set_nonblocking(true).map_err(|e| BenchError::Echo(e.to_string()))?;
        let address = listener.local_addr().map_err(|e| BenchError::Echo(e.to_string()))?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener).map_err(|e| BenchError::Echo(e.to_string()))?
        };
        runtime.spawn(accept_loop(listener, acceptor));
        Ok(EchoServer { runtime: Some(runtime), address })
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        // Not a blocking shutdown: the server may be dropped from within another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `keyward bench echo-server`: runs until SIGTERM or Ctrl-C.
pub fn run_standalone(args: EchoServerArgs) -> Result<(), BenchError> {
    let files = PemFiles { ca: args.ca, cert: args.cert, key: args.key };
    let server = EchoServer::start(&files, args.listen)?;
    println!("Echo server (mutual TLS, TTLV frames sent back as received) on {}", server.address);
    let waiter = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(BenchError::Runtime)?;
    waiter.block_on(keyward_server::shutdown::signal());
    Ok(())
}

/// The server side of TLS as Keyward configures it (`keyward_server::tls`), for one certificate.
fn tls_config(files: &PemFiles) -> Result<Arc<rustls::ServerConfig>, BenchError> {
    let tls = |what: &str, error: rustls::Error| BenchError::Echo(format!("{what}: {error}"));
    let pem = |error: pem::PemError| BenchError::Echo(error.to_string());
    let provider = keyward_server::tls::crypto_provider();
    let mut roots = RootCertStore::empty();
    for certificate in pem::certificates_from_file(&files.ca).map_err(pem)? {
        roots.add(certificate).map_err(|e| tls("CA certificate", e))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .build()
        .map_err(|e| BenchError::Echo(format!("client verifier: {e}")))?;
    let chain = pem::certificates_from_file(&files.cert).map_err(pem)?;
    let key = pem::private_key_from_file(&files.key).map_err(pem)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| tls("protocol versions", e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| tls("certificate", e))?;
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().map_err(|e| tls("session tickets", e))?;
    Ok(Arc::new(config))
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                tokio::spawn(echo_connection(tcp, acceptor.clone()));
            }
            // Out of file descriptors, say: wait a moment rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Sends every frame back until the client leaves; any error just ends the connection.
async fn echo_connection(tcp: TcpStream, acceptor: TlsAcceptor) {
    let _ = tcp.set_nodelay(true);
    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await else { return };
    let mut stream = BufReader::with_capacity(READ_BUFFER, tls);
    let mut frames = FrameReader::new();
    let limits = Limits::default();
    while let Ok(frame) = frames.read(&mut stream, &limits).await {
        let sent = async {
            stream.write_all(frame).await?;
            stream.flush().await
        };
        if sent.await.is_err() {
            return;
        }
    }
    let _ = stream.into_inner().shutdown().await;
}
