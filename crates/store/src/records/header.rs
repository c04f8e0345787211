//! The clear header in front of each sealed object record: what the store needs to rebuild the
//! indexes without decrypting, bound to the record as associated data.

use crate::sealing::INDEX_MAC_LEN;
use crate::{StoreError, StoreResult};

const FORMAT: u8 = 1;
const FIXED_LEN: usize = 19;
pub(crate) const INDEX_KEY_LEN: usize = 1 + INDEX_MAC_LEN;

/// An index key: the term's kind and the HMAC of its value.
pub(crate) type IndexKey = [u8; INDEX_KEY_LEN];

pub(crate) struct Header {
    pub(crate) revision: u64,
    /// The object's creation sequence (listings are newest first).
    pub(crate) sequence: u64,
    /// The index keys of the object at this revision, from which the indexes are rebuilt.
    pub(crate) index_keys: Vec<IndexKey>,
}

impl Header {
    /// The header's bytes; more index keys than its 16-bit count can say is an error, never a
    /// saturated count (which would make the record unreadable).
    pub(crate) fn to_bytes(&self) -> StoreResult<Vec<u8>> {
        let count = u16::try_from(self.index_keys.len()).map_err(|_| {
            StoreError::LimitExceeded(format!("{} index keys in one record header", self.index_keys.len()))
        })?;
        let mut out = Vec::with_capacity(FIXED_LEN + self.index_keys.len() * INDEX_KEY_LEN);
        out.push(FORMAT);
        out.extend_from_slice(&self.revision.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        for key in &self.index_keys {
            out.extend_from_slice(key);
        }
        Ok(out)
    }

    /// Splits a stored value into its header, the header's bytes and the sealed record.
    pub(crate) fn parse(value: &[u8]) -> StoreResult<(Header, &[u8], &[u8])> {
        let corrupt = || StoreError::Corrupt("bad object header".into());
        let fixed = value.get(..FIXED_LEN).ok_or_else(corrupt)?;
        if fixed[0] != FORMAT {
            return Err(StoreError::Corrupt(format!("unknown record format {}", fixed[0])));
        }
        let revision = u64::from_be_bytes(fixed[1..9].try_into().map_err(|_| corrupt())?);
        let sequence = u64::from_be_bytes(fixed[9..17].try_into().map_err(|_| corrupt())?);
        let count = usize::from(u16::from_be_bytes(fixed[17..19].try_into().map_err(|_| corrupt())?));
        let header_len = FIXED_LEN + count * INDEX_KEY_LEN;
        let keys = value.get(FIXED_LEN..header_len).ok_or_else(corrupt)?;
        let index_keys = keys
            .chunks_exact(INDEX_KEY_LEN)
            .map(|k| k.try_into().map_err(|_| corrupt()))
            .collect::<StoreResult<_>>()?;
        Ok((Header { revision, sequence, index_keys }, &value[..header_len], &value[header_len..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back() {
        let header = Header { revision: 7, sequence: 42, index_keys: vec![[3; INDEX_KEY_LEN], [9; INDEX_KEY_LEN]] };
        let mut value = header.to_bytes().unwrap();
        value.extend_from_slice(b"sealed");
        let (read, bytes, sealed) = Header::parse(&value).unwrap();
        assert_eq!((read.revision, read.sequence, read.index_keys), (7, 42, header.index_keys));
        assert_eq!(bytes.len(), value.len() - 6);
        assert_eq!(sealed, b"sealed");
        assert!(Header::parse(&value[..10]).is_err());
    }

    #[test]
    fn more_index_keys_than_the_count_can_say_is_an_error() {
        let header =
            Header { revision: 1, sequence: 1, index_keys: vec![[0; INDEX_KEY_LEN]; usize::from(u16::MAX) + 1] };
        assert!(matches!(header.to_bytes(), Err(StoreError::LimitExceeded(_))));
    }
}
