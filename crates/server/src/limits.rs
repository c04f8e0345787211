//! What one client may cost the server: message size, connection count and how long each phase of
//! a connection may take. Every limit has a default meant for production and can be changed in
//! the `[limits]` table.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::config::ConfigError;

/// The `[limits]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The largest request, header included, in bytes. A larger announced length closes the
    /// connection before anything is allocated for it.
    pub max_message_size: usize,
    /// The deepest nesting of structures in a request.
    pub max_depth: usize,
    /// The most items in one request.
    pub max_items: usize,
    /// The largest response, and the most a batch's outputs may add up to, in bytes, whatever
    /// the client's Maximum Response Size; an item beyond fails with Response Too Large.
    pub max_response_size: usize,
    /// The most authenticated connections open at once; the ones beyond are accepted and closed
    /// at once.
    pub max_connections: usize,
    /// The most connections in their TLS handshake at once, apart from `max_connections`; a
    /// newcomer beyond evicts the oldest handshake of the peer address holding the most.
    pub max_handshakes: usize,
    /// The most connections in their TLS handshake from one peer address; a newcomer beyond
    /// evicts that address's oldest.
    pub max_handshakes_per_peer: usize,
    /// How long a client has to complete the TLS handshake.
    #[serde(deserialize_with = "duration")]
    pub handshake_timeout: Duration,
    /// How long a request may take to arrive once its first byte has.
    #[serde(deserialize_with = "duration")]
    pub read_timeout: Duration,
    /// How long a response may take to be written (a client that does not read stalls it).
    #[serde(deserialize_with = "duration")]
    pub write_timeout: Duration,
    /// How long a connection may stay open between requests.
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    /// At shutdown, how long requests in progress may take to finish before their connections
    /// are cut.
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        let decoder = keyward_ttlv::Limits::default();
        LimitsConfig {
            max_message_size: decoder.max_message_size,
            max_depth: decoder.max_depth,
            max_items: decoder.max_items,
            max_response_size: keyward_core::dispatch::DEFAULT_MAX_RESPONSE_SIZE,
            max_connections: 1024,
            // A handshake takes milliseconds: 256 at once is a burst of reconnecting clients
            // handled with room to spare, and bounds what unauthenticated peers hold.
            max_handshakes: 256,
            // Room for a NAT or a host running many clients, well under the pool.
            max_handshakes_per_peer: 32,
            // Long enough for a TLS handshake over a slow link, short enough that a silent peer's
            // place comes back soon.
            handshake_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The smallest message a limit may allow: an item header and one eight-byte value.
const SMALLEST_MESSAGE: usize = 16;

/// More connections than any machine serves; the bound keeps the connection semaphore's count in
/// its range.
const MOST_CONNECTIONS: usize = 1_000_000;

impl LimitsConfig {
    /// The limits the TTLV decoder and frame reader apply to requests.
    pub fn decoder(&self) -> keyward_ttlv::Limits {
        keyward_ttlv::Limits {
            max_message_size: self.max_message_size,
            max_depth: self.max_depth,
            max_items: self.max_items,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(format!("limits: {what}")));
        if self.max_message_size < SMALLEST_MESSAGE {
            return invalid(&format!("max_message_size must be at least {SMALLEST_MESSAGE} bytes"));
        }
        if self.max_response_size < SMALLEST_MESSAGE || u32::try_from(self.max_response_size).is_err() {
            // A TTLV length is four bytes: no larger response could be written.
            return invalid(&format!("max_response_size must be {SMALLEST_MESSAGE} to {} bytes", u32::MAX));
        }
        if self.max_depth == 0 || self.max_items == 0 || self.max_connections == 0 {
            return invalid("max_depth, max_items and max_connections must be at least 1");
        }
        if self.max_connections > MOST_CONNECTIONS {
            return invalid(&format!("max_connections must be at most {MOST_CONNECTIONS}"));
        }
        if self.max_handshakes == 0 || self.max_handshakes_per_peer == 0 {
            return invalid("max_handshakes and max_handshakes_per_peer must be at least 1");
        }
        if self.max_handshakes > MOST_CONNECTIONS {
            return invalid(&format!("max_handshakes must be at most {MOST_CONNECTIONS}"));
        }
        let timeouts = [
            ("handshake_timeout", self.handshake_timeout),
            ("read_timeout", self.read_timeout),
            ("write_timeout", self.write_timeout),
            ("idle_timeout", self.idle_timeout),
        ];
        if let Some((name, _)) = timeouts.iter().find(|(_, value)| value.is_zero()) {
            return invalid(&format!("{name} must be longer than zero"));
        }
        Ok(())
    }
}

/// Reads a duration written as text with a unit (`"250ms"`, `"30s"`, `"5m"`, `"1h"`) or as a
/// whole number of seconds.
pub(crate) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"500ms\", \"30s\", \"5m\" or \"1h\", or a number of seconds")
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(seconds))
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Duration, E> {
        u64::try_from(seconds).map(Duration::from_secs).map_err(|_| E::custom("a duration cannot be negative"))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        parse_duration(text).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

/// Parses `<whole number><unit>` with the unit one of `ms`, `s`, `m`, `h`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let millis = match unit.trim() {
        "ms" => number,
        "s" => number.checked_mul(1_000)?,
        "m" | "min" => number.checked_mul(60_000)?,
        "h" => number.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_with_units() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        for bad in ["", "s", "10", "1.5s", "-3s", "10 parsecs", "99999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn refuses_zero_timeouts_and_tiny_messages() {
        let zero = LimitsConfig { read_timeout: Duration::ZERO, ..LimitsConfig::default() };
        assert!(zero.validate().is_err());
        let tiny = LimitsConfig { max_message_size: 8, ..LimitsConfig::default() };
        assert!(tiny.validate().is_err());
        let absurd = LimitsConfig { max_connections: usize::MAX, ..LimitsConfig::default() };
        assert!(absurd.validate().is_err());
        let no_handshakes = LimitsConfig { max_handshakes_per_peer: 0, ..LimitsConfig::default() };
        assert!(no_handshakes.validate().is_err());
        let huge_responses = LimitsConfig { max_response_size: usize::MAX, ..LimitsConfig::default() };
        assert!(huge_responses.validate().is_err());
        assert!(LimitsConfig::default().validate().is_ok());
    }
}
