//! TTLV written as hex text: read with any spacing, including the notation of the KMIP
//! specification's examples (`42 00 20 | 02 | 00 00 00 04 | ...`), and written one message a line.

/// Why hex text could not be read, with the line and column (counted in characters, from 1).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("line {line}, column {column}: {found:?} is not a hex digit")]
    NotHex { line: usize, column: usize, found: char },
    #[error("{digits} hex digits do not make whole bytes (one digit too many or too few)")]
    OddDigitCount { digits: usize },
}

/// Reads hex digits, ignoring whitespace and the `|` separators of the specification's notation.
pub fn parse(text: &[u8]) -> Result<Vec<u8>, HexError> {
    // Invalid UTF-8 turns into U+FFFD, which is then reported as a character that is not hex.
    let text = String::from_utf8_lossy(text);
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut high_nibble: Option<u8> = None;
    let mut digits = 0;
    for (line_index, line) in text.split('\n').enumerate() {
        for (column_index, found) in line.chars().enumerate() {
            if found.is_whitespace() || found == '|' {
                continue;
            }
            let Some(nibble) = found.to_digit(16) else {
                return Err(HexError::NotHex { line: line_index + 1, column: column_index + 1, found });
            };
            // A hex digit is below 16, so it fits in a byte.
            let nibble = nibble as u8;
            digits += 1;
            match high_nibble.take() {
                Some(high) => bytes.push(high << 4 | nibble),
                None => high_nibble = Some(nibble),
            }
        }
    }
    if high_nibble.is_some() {
        return Err(HexError::OddDigitCount { digits });
    }
    Ok(bytes)
}

/// True when the input holds nothing but hex digits, whitespace and `|`: hex text someone forgot to
/// announce with `--input hex`.
pub fn looks_like_hex(input: &[u8]) -> bool {
    input.iter().any(u8::is_ascii_hexdigit)
        && input.iter().all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace() || *b == b'|')
}

/// Upper-case hex of one message, on a line of its own.
pub fn message_line(message: &[u8]) -> String {
    let mut line = hex::encode_upper(message);
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_notation_of_the_specification() {
        let parsed = parse(b"42 00 20 | 02 | 00 00 00 04 |\n 00 00 00 08 00 00 00 00\n");
        assert_eq!(parsed, Ok(vec![0x42, 0x00, 0x20, 0x02, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 0]));
    }

    #[test]
    fn reads_digits_split_across_spaces() {
        assert_eq!(parse(b"4 2\t0\r\n0"), Ok(vec![0x42, 0x00]));
    }

    #[test]
    fn says_where_a_bad_character_is() {
        assert_eq!(parse(b"4200\n 2x"), Err(HexError::NotHex { line: 2, column: 3, found: 'x' }));
    }

    #[test]
    fn refuses_half_a_byte() {
        assert_eq!(parse(b"420"), Err(HexError::OddDigitCount { digits: 3 }));
    }

    #[test]
    fn binary_ttlv_never_looks_like_hex() {
        assert!(looks_like_hex(b"42 00 20 | 02"));
        assert!(!looks_like_hex(&[0x42, 0x00, 0x20, 0x02]));
        assert!(!looks_like_hex(b"  \n"));
    }
}
