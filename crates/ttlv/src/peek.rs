//! Looking at the direct children of a structure without decoding the message: item headers
//! only, no validation of what lies under them, no allocation. For decisions a transport makes
//! before the real decode (which operations a request holds); anything malformed simply ends the
//! iteration, and [`crate::decode`] reports it properly afterwards.

use crate::{HEADER_LEN, Header, ItemType, parse_header};

/// One child of a structure.
#[derive(Debug, Clone, Copy)]
pub struct Peeked<'a> {
    pub header: Header,
    /// The whole item: header and value, without padding (give it to [`children`] again).
    pub item: &'a [u8],
    /// The value alone.
    pub value: &'a [u8],
}

/// The children of the structure item that starts `item`. Stops at the first child that does not
/// parse or does not fit; yields nothing when `item` is not a structure.
pub fn children(item: &[u8]) -> impl Iterator<Item = Peeked<'_>> {
    let body = match parse_header(item, 0) {
        Ok((rest, header)) if header.item_type == ItemType::Structure => {
            rest.get(..header.length as usize).unwrap_or_default()
        }
        _ => &[],
    };
    let mut rest = body;
    std::iter::from_fn(move || {
        let (_, header) = parse_header(rest, 0).ok()?;
        let end = HEADER_LEN.checked_add(usize::try_from(header.length).ok()?)?;
        let item = rest.get(..end)?;
        let padded = usize::try_from(header.padded_length()).ok()?;
        rest = rest.get(HEADER_LEN + padded..).unwrap_or_default();
        Some(Peeked { header, item, value: &item[HEADER_LEN..] })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoder, Tag};

    #[test]
    fn lists_the_children_of_the_root_and_of_a_child() {
        let mut e = Encoder::new();
        let root = e.begin(Tag::RequestMessage);
        let item = e.begin(Tag::BatchItem);
        e.enumeration(Tag::Operation, 10);
        e.end(item);
        e.text(Tag::UniqueIdentifier, "abc");
        e.end(root);
        let message = e.as_bytes();
        let tags: Vec<_> = children(message).map(|c| c.header.tag).collect();
        assert_eq!(tags, [Tag::BatchItem, Tag::UniqueIdentifier]);
        let batch_item = children(message).next().unwrap();
        let inner: Vec<_> = children(batch_item.item).map(|c| (c.header.tag, c.value.to_vec())).collect();
        assert_eq!(inner, [(Tag::Operation, vec![0, 0, 0, 10])]);
        let name = children(message).nth(1).unwrap();
        assert_eq!(name.value, b"abc");
        assert_eq!(children(name.item).count(), 0, "a text string has no children");
    }

    #[test]
    fn malformed_input_ends_the_iteration() {
        let too_long = [0x42, 0x00, 0x78, 0x01, 0, 0, 0, 200];
        let cut_child =
            [0x42, 0x00, 0x78, 0x01, 0, 0, 0, 16, 0x42, 0x00, 0x0f, 0x01, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0];
        for input in [&[][..], &too_long[..], &cut_child[..], &[0xff; 3][..]] {
            assert_eq!(children(input).count(), 0, "{input:?}");
        }
    }
}
