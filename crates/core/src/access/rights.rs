//! The grantable operations ("rights") and the right each KMIP operation needs on the objects it
//! names. Several KMIP operations share a right where they give the same power: Get and Export
//! both hand out key material, the five attribute-changing operations all change metadata.

use keyward_kmip::enums::Operation;

macro_rules! rights {
    ($( $variant:ident => $name:literal, )*) => {
        /// What a grant allows on an object.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Right { $( $variant, )* }

        impl Right {
            /// Every right, in the order the CLI and the API list them.
            pub const ALL: &'static [Right] = &[ $( Right::$variant, )* ];

            /// The name the CLI, the API and the store use.
            pub fn name(self) -> &'static str {
                match self { $( Right::$variant => $name, )* }
            }

            /// Reads a name, as written by [`Right::name`]; case and `_` for `-` are forgiven.
            pub fn parse(text: &str) -> Option<Right> {
                let text = text.trim().to_ascii_lowercase().replace('_', "-");
                match text.as_str() { $( $name => Some(Right::$variant), )* _ => None }
            }
        }
    };
}

rights! {
    Get => "get",
    GetAttributes => "get-attributes",
    Locate => "locate",
    ModifyAttributes => "modify-attributes",
    Activate => "activate",
    Revoke => "revoke",
    Destroy => "destroy",
    Archive => "archive",
    ReKey => "re-key",
    Encrypt => "encrypt",
    Decrypt => "decrypt",
    Sign => "sign",
    Verify => "verify",
    Mac => "mac",
    MacVerify => "mac-verify",
    Wrap => "wrap",
    Unwrap => "unwrap",
    Derive => "derive",
    Certify => "certify",
    Import => "import",
}

impl std::fmt::Display for Right {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The right an operation needs on the object it names (its Unique Identifier, or the ID
/// Placeholder); `None` for an operation that names no existing object (Create, Query...), or one
/// whose objects are checked one by one with their own rights.
///
/// Objects named by another field than the Unique Identifier (a wrapping key, the base of Derive
/// Key, the issuer of Certify) are read with the right their use needs, at the place they are
/// read (see docs/security/access-control.md, "Cross-object references").
pub fn right_of(operation: Operation) -> Option<Right> {
    use Operation as O;
    Some(match operation {
        // Key material leaves the server, or may be used outside it.
        O::Get | O::Export | O::ObtainLease | O::GetUsageAllocation | O::CreateSplitKey | O::JoinSplitKey => Right::Get,
        O::GetAttributes | O::GetAttributeList | O::Check => Right::GetAttributes,
        O::Locate => Right::Locate,
        O::AddAttribute | O::ModifyAttribute | O::DeleteAttribute | O::SetAttribute | O::AdjustAttribute => {
            Right::ModifyAttributes
        }
        O::Activate => Right::Activate,
        O::Revoke => Right::Revoke,
        O::Destroy => Right::Destroy,
        O::Archive | O::Recover => Right::Archive,
        O::ReKey | O::ReKeyKeyPair | O::ReCertify => Right::ReKey,
        O::Encrypt => Right::Encrypt,
        O::Decrypt => Right::Decrypt,
        O::Sign => Right::Sign,
        O::SignatureVerify | O::Validate => Right::Verify,
        O::MAC => Right::Mac,
        O::MACVerify => Right::MacVerify,
        O::DeriveKey => Right::Derive,
        O::Certify => Right::Certify,
        O::Import => Right::Import,
        _ => return None,
    })
}

/// Operations that read or change no managed object of anyone (Query, Discover Versions...):
/// every role may run them except the auditor, who runs only those that change nothing.
pub fn is_read_only_service(operation: Operation) -> bool {
    matches!(operation, Operation::Query | Operation::DiscoverVersions | Operation::Ping)
}

/// Parses a comma-separated list of right names (`get,encrypt`); `all` is every right.
pub fn parse_list(text: &str) -> Result<Vec<Right>, String> {
    let mut rights = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.eq_ignore_ascii_case("all") {
            rights.extend_from_slice(Right::ALL);
            continue;
        }
        let right = Right::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Right::ALL.iter().map(|r| r.name()).collect();
            format!("{name:?} is not an operation that can be granted (one of {})", known.join(", "))
        })?;
        rights.push(right);
    }
    rights.sort();
    rights.dedup();
    if rights.is_empty() {
        return Err("no operation named".into());
    }
    Ok(rights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for right in Right::ALL {
            assert_eq!(Right::parse(right.name()), Some(*right));
        }
        assert_eq!(Right::parse("GET_ATTRIBUTES"), Some(Right::GetAttributes));
        assert_eq!(parse_list("encrypt, get,encrypt").unwrap(), vec![Right::Get, Right::Encrypt]);
        assert!(parse_list("get,fly").unwrap_err().contains("fly"));
        assert_eq!(parse_list("all").unwrap().len(), Right::ALL.len());
    }
}
