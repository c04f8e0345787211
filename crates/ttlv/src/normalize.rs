//! The CamelCase normalization of KMIP names used by the XML and JSON encodings
//! (KMIP Additional Message Encodings 1.0, §4.1.3 and §6.1.3).
//!
//! This file is also compiled into `build.rs` (through `#[path]`), so that the generated dictionary
//! and run-time lookups normalize names in exactly one way.

/// Normalizes a KMIP name as written in the specification ("Cryptographic Usage Mask", "SHA-256",
/// "PKCS#1", "3DES", "Pre-Active") into its CamelCase form ("CryptographicUsageMask", "SHA_256",
/// "PKCS_1", "DES3", "PreActive").
///
/// The rules, in order: round brackets become spaces; a non-word character followed by an upper or
/// lower case letter and then a lower case letter becomes a space; the remaining non-word characters
/// (other than whitespace) become underscores; leading digits of the first word move to its end;
/// each word is capitalized; the words are joined.
pub fn camel_case(name: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<char> = name.chars().map(|c| if c == '(' || c == ')' { ' ' } else { c }).collect();

    // Rule 2: a non-word character followed by [A-Za-z][a-z] separates words. The regular
    // expression of the specification consumes the two letters, so matches never overlap: a
    // non-word character that is itself one of the two letters cannot occur.
    let mut spaced: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let splits = !is_word(c)
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic())
            && chars.get(i + 2).is_some_and(|n| n.is_ascii_lowercase());
        if splits {
            spaced.extend([' ', chars[i + 1], chars[i + 2]]);
            i += 3;
        } else {
            spaced.push(c);
            i += 1;
        }
    }

    let spaced: String = spaced.into_iter().collect();
    let mut out = String::with_capacity(name.len());
    for (index, word) in spaced.split_whitespace().enumerate() {
        // Rule 3: what is still not a word character becomes an underscore.
        let mut word: String = word.chars().map(|c| if is_word(c) { c } else { '_' }).collect();
        // Rule 4: leading digits of the first word move to its end ("3DES" -> "DES3").
        if index == 0 {
            let digits = word.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                word = format!("{}{}", &word[digits..], &word[..digits]);
            }
        }
        // Rule 5: capitalize the first letter.
        let mut letters = word.chars();
        if let Some(first) = letters.next() {
            out.extend(first.to_uppercase());
            out.push_str(letters.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::camel_case;

    #[test]
    fn follows_the_examples_of_the_encoding_specification() {
        assert_eq!(camel_case("Cryptographic Usage Mask"), "CryptographicUsageMask");
        assert_eq!(camel_case("SHA-256"), "SHA_256");
        assert_eq!(camel_case("Pre-Active"), "PreActive");
        assert_eq!(camel_case("PKCS#1"), "PKCS_1");
        assert_eq!(camel_case("3DES"), "DES3");
        assert_eq!(camel_case("Uninterpreted Text String"), "UninterpretedTextString");
        assert_eq!(camel_case("IV/Counter/Nonce"), "IVCounterNonce");
        assert_eq!(camel_case("X.509 Certificate Identifier"), "X_509CertificateIdentifier");
        assert_eq!(camel_case("Private Key Template-Attribute"), "PrivateKeyTemplateAttribute");
        assert_eq!(camel_case("MAC/Signature"), "MACSignature");
        assert_eq!(camel_case("PKCS#11 Interface"), "PKCS_11Interface");
    }
}
