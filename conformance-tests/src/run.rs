//! Running one test case: send each request, compare each response with the expected one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use keyward_client::Connection;
use keyward_ttlv::{Item, KmipVersion, Limits, Tag, Value, datetime, version_check, xml};

use crate::compare::{CaseState, Comparison, Difference};
use crate::placeholders::Sentinels;
use crate::testcase::{Direction, is_mandatory, profile_of, raw_messages, version_of};

/// How a test case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The server answered, but not as expected: the message (counted from 0), the difference, and
    /// the response itself (XML) for `--verbose`.
    Fail {
        message: usize,
        difference: String,
        response: String,
    },
    /// The test could not be run to the end (the file, the connection).
    Error(String),
}

/// The result of one test-case file.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub path: PathBuf,
    pub version: String,
    pub profile: String,
    pub mandatory: bool,
    pub outcome: Outcome,
}

/// Sends a TTLV request and returns the TTLV response: over mutual TLS, or over HTTPS in one of
/// the encodings.
#[allow(async_fn_in_trait)] // used by the runner only, which needs no Send bound
pub trait Exchange {
    async fn exchange(&mut self, request: &Item) -> Result<Item, String>;
}

/// TTLV over a mutual-TLS connection.
pub struct TtlvExchange(pub Connection);

impl Exchange for TtlvExchange {
    async fn exchange(&mut self, request: &Item) -> Result<Item, String> {
        let response = self.0.call(&request.to_ttlv()).await.map_err(|e| e.to_string())?;
        keyward_ttlv::decode_owned(response, &Limits::default()).map_err(|e| format!("undecodable response: {e}"))
    }
}

/// A request over KMIP over HTTPS, in one of its three encodings (the MSGENC profiles).
pub struct HttpsExchange {
    pub connection: keyward_client::HttpsConnection,
    pub encoding: keyward_client::Encoding,
}

impl Exchange for HttpsExchange {
    async fn exchange(&mut self, request: &Item) -> Result<Item, String> {
        use keyward_client::Encoding;
        let body = match self.encoding {
            Encoding::Ttlv => request.to_ttlv(),
            Encoding::Json => keyward_ttlv::json::to_string_compact(request).into_bytes(),
            Encoding::Xml => xml::to_string(request).into_bytes(),
        };
        let reply = self.connection.post(self.encoding, &body).await.map_err(|e| e.to_string())?;
        let text = || String::from_utf8(reply.body.clone()).map_err(|e| format!("response is not UTF-8: {e}"));
        match self.encoding {
            Encoding::Ttlv => keyward_ttlv::decode_owned(&reply.body, &Limits::default()).map_err(|e| e.to_string()),
            Encoding::Json => keyward_ttlv::json::from_str(&text()?).map_err(|e| e.to_string()),
            Encoding::Xml => xml::from_str(&text()?).map_err(|e| e.to_string()),
        }
    }
}

/// The encoding a test case is about: MSGENC-HTTPS, -JSON and -XML cases go over HTTPS in TTLV,
/// JSON and XML; every other case over TTLV and mutual TLS.
pub fn https_encoding_of(path: &Path) -> Option<keyward_client::Encoding> {
    let name = path.file_name()?.to_str()?;
    match () {
        _ if name.starts_with("MSGENC-HTTPS") => Some(keyward_client::Encoding::Ttlv),
        _ if name.starts_with("MSGENC-JSON") => Some(keyward_client::Encoding::Json),
        _ if name.starts_with("MSGENC-XML") => Some(keyward_client::Encoding::Xml),
        _ => None,
    }
}

/// Literal Date-Times the test case sends: the server must give those back exactly.
fn sent_dates(messages: &[(Direction, String)]) -> Vec<i64> {
    let mut dates = Vec::new();
    for (direction, text) in messages {
        if *direction != Direction::Request {
            continue;
        }
        for line in text.lines().filter(|l| l.contains("type=\"DateTime\"")) {
            let value = line.split("value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap_or("");
            if let Ok(seconds) = datetime::parse_seconds(value) {
                dates.push(seconds);
            }
        }
    }
    dates
}

fn protocol_version(request: &Item) -> Option<KmipVersion> {
    let version = request.child(Tag::RequestHeader)?.child(Tag::ProtocolVersion)?;
    let number = |tag| match version.child(tag).map(|i| &i.value) {
        Some(Value::Integer(v)) => Some(*v),
        _ => None,
    };
    KmipVersion::from_numbers(number(Tag::ProtocolVersionMajor)?, number(Tag::ProtocolVersionMinor)?)
}

/// Runs one test case over an exchange. `generated` carries the objects the server generated from
/// one test case to the next of a sequence (TL-M-3 reads the key TL-M-2 created).
pub async fn run_case(path: &Path, exchange: &mut impl Exchange, generated: &mut HashSet<String>) -> CaseResult {
    let file = path.display().to_string();
    let outcome = match std::fs::read_to_string(path) {
        Ok(text) => run_text(&text, file, exchange, generated).await,
        Err(e) => Outcome::Error(format!("cannot read: {e}")),
    };
    CaseResult {
        path: path.to_path_buf(),
        version: version_of(path),
        profile: profile_of(path),
        mandatory: is_mandatory(path),
        outcome,
    }
}

async fn run_text(text: &str, file: String, exchange: &mut impl Exchange, generated: &mut HashSet<String>) -> Outcome {
    let messages = raw_messages(text);
    if messages.is_empty() {
        return Outcome::Error("no messages".into());
    }
    let mut state = CaseState {
        sent_dates: sent_dates(&messages),
        run_started: datetime::now_seconds(),
        file,
        generated: std::mem::take(generated),
        ..CaseState::default()
    };
    let outcome = run_messages(&messages, exchange, &mut state).await;
    *generated = std::mem::take(&mut state.generated);
    outcome
}

async fn run_messages(
    messages: &[(Direction, String)],
    exchange: &mut impl Exchange,
    state: &mut CaseState,
) -> Outcome {
    let mut last_request: Option<Item> = None;
    let mut last_response: Option<Item> = None;
    for (index, (direction, text)) in messages.iter().enumerate() {
        match direction {
            Direction::Request => {
                let filled = match state.bindings.fill_request(text) {
                    Ok(filled) => filled,
                    Err(e) => return Outcome::Error(format!("message {index}: {e}")),
                };
                let request = match xml::from_str(&filled) {
                    Ok(request) => request,
                    Err(e) => return Outcome::Error(format!("message {index}: the test case does not read: {e}")),
                };
                match exchange.exchange(&request).await {
                    Ok(response) => last_response = Some(response),
                    Err(e) => return Outcome::Error(format!("message {index}: {e}")),
                }
                last_request = Some(request);
            }
            Direction::Response => {
                let (Some(request), Some(actual)) = (&last_request, last_response.take()) else {
                    return Outcome::Error(format!("message {index}: a response without a request"));
                };
                let (marked, sentinels) = Sentinels::mark(text);
                let expected = match xml::from_str(&marked) {
                    Ok(expected) => expected,
                    Err(e) => return Outcome::Error(format!("message {index}: the test case does not read: {e}")),
                };
                if let Some(version) = protocol_version(request)
                    && let Some(problem) = version_check::check(&actual, version).into_iter().next()
                {
                    let difference = format!("not KMIP {version}: {problem}");
                    return Outcome::Fail { message: index, difference, response: xml::to_string(&actual) };
                }
                let mut comparison = Comparison { sentinels: &sentinels, state, now: datetime::now_seconds() };
                if let Err(Difference { path, message }) = comparison.message(&expected, &actual, request) {
                    let difference = format!("{path}: {message}");
                    return Outcome::Fail { message: index, difference, response: xml::to_string(&actual) };
                }
            }
        }
    }
    Outcome::Pass
}
