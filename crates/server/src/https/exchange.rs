//! One KMIP exchange over HTTPS: the request body in its encoding in, the response body in the
//! same encoding out, once the request's changes are on disk.

use std::sync::Arc;

use keyward_core::audit::Durable;
use keyward_core::{AuditOrigin, ClientIdentity, Handled};
use keyward_store::StoreError;
use keyward_ttlv::enums::Operation;
use keyward_ttlv::{DecodeError, Encoder};
use zeroize::Zeroizing;

use super::convert;
use crate::server::Shared;
use keyward_client::Encoding;

/// Why a request got no KMIP response. Each is the server's failure, not the client's: a request
/// the server cannot read is answered in KMIP (Invalid Message).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExchangeError {
    #[error("the dispatcher failed: {0}")]
    Dispatcher(#[from] tokio::task::JoinError),
    #[error("the response cannot be read back to write it in {encoding}: {error}")]
    Response { encoding: Encoding, error: DecodeError },
    #[error("changes not durable, no KMIP response sent: {0}")]
    NotDurable(#[from] StoreError),
}

/// Runs a request and returns the response body to send, and the request's operation (see
/// [`Handled::operation`]) for the metrics.
///
/// A binary TTLV request of quick operations runs in place, as on the TTLV port. Anything else
/// runs on tokio's blocking pool: an operation may take long (an RSA key pair is generated in the
/// request), and so may reading or writing a large JSON or XML message; neither may hold up the
/// other connections' I/O.
pub(crate) async fn run(
    shared: &Arc<Shared>,
    identity: &Arc<ClientIdentity>,
    origin: &Arc<AuditOrigin>,
    encoding: Encoding,
    body: Zeroizing<Vec<u8>>,
) -> Result<(Zeroizing<Vec<u8>>, Option<Operation>), ExchangeError> {
    let quick = encoding == Encoding::Ttlv && !shared.dispatcher.may_take_long(&body);
    let (response, Answered { handled: Handled { ticket, operation, .. }, durable, version }) = if quick {
        answer(shared, identity, origin, encoding, &body)?
    } else {
        let (shared, identity, origin) = (Arc::clone(shared), Arc::clone(identity), Arc::clone(origin));
        // The blocking pool's thread has no span of its own: carry the request's over.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| answer(&shared, &identity, &origin, encoding, &body)))
            .await??
    };
    if let Some(ticket) = ticket {
        // Acknowledging a change that is not on disk would be a lie the client cannot detect.
        ticket.await?;
    }
    if let Some(durable) = durable
        && let Err(error) = durable.await
    {
        // Fail closed: the change is made, but not acknowledged without its record.
        crate::audit::log_refusal(&error);
        return Ok((refusal(shared, encoding, version)?, operation));
    }
    Ok((response, operation))
}

/// A message run and recorded, not yet acknowledged.
struct Answered {
    handled: Handled,
    /// Completes when the audit records of a change are durable.
    durable: Option<Durable>,
    version: Option<keyward_ttlv::KmipVersion>,
}

fn answer(
    shared: &Shared,
    identity: &ClientIdentity,
    origin: &Arc<AuditOrigin>,
    encoding: Encoding,
    body: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, Answered), ExchangeError> {
    let mut response = Encoder::new();
    let (mut handled, unreadable) = match convert::request_ttlv(encoding, body, &shared.decoder) {
        Ok(request) => (shared.dispatcher.handle_message(identity, &request, &shared.decoder, &mut response), None),
        Err(unreadable) => {
            tracing::debug!(reason = %unreadable, "unreadable request");
            // An empty message is never a request: the dispatcher answers it with Invalid Message
            // in its usual form (header, time stamp, version), and the real reason goes in after.
            (shared.dispatcher.handle_message(identity, &[], &shared.decoder, &mut response), Some(unreadable))
        }
    };
    let version = crate::audit::refusal_version(&handled);
    let durable = match crate::audit::record(&shared.dispatcher, origin, &mut handled) {
        Ok(durable) => durable,
        Err(_) => {
            // Fail closed: no answer without its record.
            return Ok((refusal(shared, encoding, version)?, Answered { handled, durable: None, version }));
        }
    };
    let body = convert::response_body(encoding, response, unreadable.as_ref())
        .map_err(|error| ExchangeError::Response { encoding, error })?;
    Ok((body, Answered { handled, durable, version }))
}

/// The refusal of a request whose audit record cannot be written, in the request's encoding.
fn refusal(
    shared: &Shared,
    encoding: Encoding,
    version: Option<keyward_ttlv::KmipVersion>,
) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let mut response = Encoder::new();
    shared.dispatcher.write_unaudited_refusal(&mut response, version);
    convert::response_body(encoding, response, None).map_err(|error| ExchangeError::Response { encoding, error })
}
