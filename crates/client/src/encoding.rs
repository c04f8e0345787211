//! The three encodings of a KMIP message over HTTPS and the media types that name them (KMIP
//! Additional Message Encodings 1.0, §2.4 and §2.5): TTLV as `application/octet-stream`, JSON as
//! `application/json`, XML as `text/xml` (`application/xml`, XML's registered type, is accepted
//! too).

use std::fmt;

/// How a KMIP message is written in an HTTP body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Binary TTLV, as on the KMIP port.
    Ttlv,
    /// The KMIP JSON encoding (`keyward_ttlv::json`).
    Json,
    /// The KMIP XML encoding (`keyward_ttlv::xml`).
    Xml,
}

/// The media types the server accepts, each with its encoding. Lookups ignore case, as media
/// types do.
const MEDIA_TYPES: [(&str, Encoding); 4] = [
    ("application/octet-stream", Encoding::Ttlv),
    ("application/json", Encoding::Json),
    ("text/xml", Encoding::Xml),
    ("application/xml", Encoding::Xml),
];

impl Encoding {
    pub const ALL: [Encoding; 3] = [Encoding::Ttlv, Encoding::Json, Encoding::Xml];

    /// The media type the HTTPS profile names for this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Ttlv => "application/octet-stream",
            Encoding::Json => "application/json",
            Encoding::Xml => "text/xml",
        }
    }

    /// The encoding of a `Content-Type` value, parameters (`; charset=utf-8`) ignored.
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        media_type(value).map(|(_, encoding)| encoding)
    }
}

/// The known media type of a `Content-Type` value, in its canonical lowercase spelling, with its
/// encoding: the server answers in the type it was asked in.
pub fn media_type(value: &str) -> Option<(&'static str, Encoding)> {
    let essence = value.split(';').next().unwrap_or_default().trim();
    MEDIA_TYPES.into_iter().find(|(name, _)| name.eq_ignore_ascii_case(essence))
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Ttlv => "TTLV",
            Encoding::Json => "JSON",
            Encoding::Xml => "XML",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_types_as_media_types_are_read() {
        assert_eq!(Encoding::from_content_type("application/octet-stream"), Some(Encoding::Ttlv));
        assert_eq!(Encoding::from_content_type("Application/JSON; charset=utf-8"), Some(Encoding::Json));
        assert_eq!(Encoding::from_content_type(" text/xml "), Some(Encoding::Xml));
        assert_eq!(media_type("APPLICATION/XML;charset=UTF-8"), Some(("application/xml", Encoding::Xml)));
        for unknown in ["", "text/plain", "application/json-seq", "application", "json", "*/*"] {
            assert_eq!(Encoding::from_content_type(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn each_encoding_is_found_under_its_own_content_type() {
        for encoding in Encoding::ALL {
            assert_eq!(Encoding::from_content_type(encoding.content_type()), Some(encoding));
        }
    }
}
