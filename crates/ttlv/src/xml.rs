//! The KMIP XML encoding (KMIP Additional Message Encodings 1.0 §6), as the OASIS test cases use it.
//!
//! Each item is an element named after its tag (`<ActivationDate type="DateTime" value="..."/>`),
//! or the general `<TTLV tag="0x540001" type="..." value="..."/>` for tags without a name. Structures
//! nest and may omit `type`. Enumerations and masks are written by name, Big Integers and Byte
//! Strings in hex, Date-Times in ISO 8601.

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::names::{Naming, parse_scalar, parse_tag, scalar_text, tag_text};
use crate::{Item, ItemType, Limits, Tag, Value};

/// Why and where an XML text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct XmlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Writes an item as indented XML, one element per line.
pub fn to_string(item: &Item) -> String {
    let mut out = String::new();
    write_item(&mut out, item, &[], 0);
    out
}

fn write_item(out: &mut String, item: &Item, siblings: &[Item], depth: usize) {
    let indent = "  ".repeat(depth);
    let name = item.tag.name();
    let open = match name {
        Some(name) => name.to_string(),
        None => format!("TTLV tag=\"{}\"", tag_text(item.tag)),
    };
    let element = name.unwrap_or("TTLV");
    match &item.value {
        Value::Structure(children) if children.is_empty() => out.push_str(&format!("{indent}<{open}/>\n")),
        Value::Structure(children) => {
            out.push_str(&format!("{indent}<{open}>\n"));
            for (index, child) in children.iter().enumerate() {
                write_item(out, child, &children[..index], depth + 1);
            }
            out.push_str(&format!("{indent}</{element}>\n"));
        }
        value => {
            let text = scalar_text(value, Naming::for_item(item.tag, siblings), " ");
            out.push_str(&format!(
                "{indent}<{open} type=\"{}\" value=\"{}\"/>\n",
                item.item_type(),
                escape_attribute(&text)
            ));
        }
    }
}

/// Escapes an attribute value. Beyond the markup characters, whitespace other than the space is
/// written as a character reference, because an XML parser normalizes a literal tab or line break
/// in an attribute into a space.
fn escape_attribute(text: &str) -> String {
    let escaped = escape(text);
    if !escaped.contains(['\t', '\n', '\r']) {
        return escaped.into_owned();
    }
    escaped.replace('\t', "&#9;").replace('\n', "&#10;").replace('\r', "&#13;")
}

/// Reads the single item of an XML text.
pub fn from_str(text: &str) -> Result<Item, XmlError> {
    let mut items = parse_items(text)?;
    match items.len() {
        1 => Ok(items.remove(0)),
        n => Err(XmlError { line: 1, column: 1, message: format!("expected one item, found {n}") }),
    }
}

/// Reads the items of an XML text. When the root element is a KMIP tag (or `TTLV`) it is the one
/// item; otherwise (a test case's `<KMIP>` or `<KmipTestCase>`) its child elements are the items.
pub fn parse_items(text: &str) -> Result<Vec<Item>, XmlError> {
    parse_items_with(text, &Limits::default())
}

/// [`parse_items`] within limits on nesting depth, item count and text size, so that a hostile
/// document is refused before it costs more than a TTLV message of the same limits would.
pub fn parse_items_with(text: &str, limits: &Limits) -> Result<Vec<Item>, XmlError> {
    let parser = Parser {
        text,
        reader: Reader::from_str(text),
        stack: Vec::new(),
        wrapper: None,
        items: Vec::new(),
        limits,
        count: 0,
    };
    if text.len() > limits.max_message_size.saturating_mul(TEXT_EXPANSION) {
        return Err(parser
            .error(format!("document larger than {} bytes", limits.max_message_size.saturating_mul(TEXT_EXPANSION))));
    }
    parser.run()
}

/// How much larger than its TTLV form a text encoding of a message may be: hex doubles byte
/// strings, and element names and attributes add some fifty bytes to each sixteen-byte item.
pub(crate) const TEXT_EXPANSION: usize = 8;

/// An element being read: a structure and the children read so far, or a scalar written with an
/// end tag (`<BatchCount type="Integer" value="1"></BatchCount>`), complete already.
struct Open {
    tag: Tag,
    element: String,
    children: Vec<Item>,
    scalar: Option<Item>,
}

struct Parser<'t> {
    text: &'t str,
    reader: Reader<&'t [u8]>,
    stack: Vec<Open>,
    /// The name of a wrapper root element, once seen.
    wrapper: Option<String>,
    items: Vec<Item>,
    limits: &'t Limits,
    count: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> XmlError {
        let position = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX).min(self.text.len());
        let before = self.text.get(..position).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        XmlError { line, column, message: message.into() }
    }

    fn run(mut self) -> Result<Vec<Item>, XmlError> {
        loop {
            let event = self.reader.read_event().map_err(|e| self.error(e.to_string()))?;
            match event {
                Event::Start(start) => self.start(&start, false)?,
                Event::Empty(start) => self.start(&start, true)?,
                Event::End(end) => self.end(end.name().as_ref())?,
                Event::Text(text) if !text.chars().all(char::is_whitespace) => {
                    return Err(self.error("unexpected text; values belong in the value attribute"));
                }
                Event::CData(_) => return Err(self.error("unexpected CDATA")),
                Event::Eof => break,
                // Declarations, comments, processing instructions and doctypes carry no items.
                _ => {}
            }
        }
        if let Some(open) = self.stack.last() {
            return Err(self.error(format!("<{}> is never closed", open.element)));
        }
        Ok(self.items)
    }

    fn start(&mut self, start: &BytesStart<'_>, empty: bool) -> Result<(), XmlError> {
        self.count += 1;
        if self.count > self.limits.max_items {
            return Err(self.error(format!("more than {} items", self.limits.max_items)));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error(format!("structures nested deeper than {}", self.limits.max_depth)));
        }
        let element = start.name().as_ref().to_string();
        let mut tag_attr = None;
        let mut type_attr = None;
        let mut value_attr = None;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| self.error(e.to_string()))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| self.error(e.to_string()))?
                .into_owned();
            match attribute.key.as_ref() {
                "tag" => tag_attr = Some(value),
                "type" => type_attr = Some(value),
                "value" => value_attr = Some(value),
                // `name` (informative, for extensions) and namespaces carry nothing we need.
                _ => {}
            }
        }

        let tag = if element == "TTLV" {
            let text = tag_attr.ok_or_else(|| self.error("<TTLV> without a tag attribute"))?;
            parse_tag(&text).ok_or_else(|| self.error(format!("unknown tag {text:?}")))?
        } else {
            match parse_tag(&element) {
                Some(tag) => tag,
                None if self.stack.is_empty() && self.wrapper.is_none() && self.items.is_empty() && !empty => {
                    // A root that is no tag wraps the items (<KMIP>, <KmipTestCase>).
                    self.wrapper = Some(element);
                    return Ok(());
                }
                None => return Err(self.error(format!("unknown tag <{element}>"))),
            }
        };

        let item_type = match &type_attr {
            None => ItemType::Structure,
            Some(name) => ItemType::from_name(name).ok_or_else(|| self.error(format!("unknown type {name:?}")))?,
        };
        if item_type == ItemType::Structure {
            if value_attr.is_some() {
                return Err(self.error(format!("structure <{element}> has a value attribute")));
            }
            let open = Open { tag, element, children: Vec::new(), scalar: None };
            if empty {
                self.finish(Item::structure(open.tag, open.children));
            } else {
                self.stack.push(open);
            }
            return Ok(());
        }

        let text = value_attr.ok_or_else(|| self.error(format!("<{element}> has no value attribute")))?;
        let siblings = self.stack.last().map_or(&[][..], |open| &open.children[..]);
        let value = parse_scalar(item_type, &text, Naming::for_item(tag, siblings)).map_err(|m| self.error(m))?;
        let item = Item::new(tag, value);
        if empty {
            self.finish(item);
        } else {
            self.stack.push(Open { tag, element, children: Vec::new(), scalar: Some(item) });
        }
        Ok(())
    }

    fn end(&mut self, element: &str) -> Result<(), XmlError> {
        if self.stack.is_empty() && self.wrapper.as_deref() == Some(element) {
            self.wrapper = None;
            return Ok(());
        }
        let open = self.stack.pop().ok_or_else(|| self.error("closing tag without an opening one"))?;
        if open.element != element {
            return Err(self.error(format!("</{element}> closes <{}>", open.element)));
        }
        let item = match open.scalar {
            Some(scalar) if open.children.is_empty() => scalar,
            Some(_) => return Err(self.error("a scalar element cannot have children")),
            None => Item::structure(open.tag, open.children),
        };
        self.finish(item);
        Ok(())
    }

    fn finish(&mut self, item: Item) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(item),
            None => self.items.push(item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_specification_forms() {
        let item = from_str(r#"<ActivationDate type="DateTime" value="2001-01-01T10:00:00+10:00"/>"#).unwrap();
        assert_eq!(item, Item::date_time(Tag::ActivationDate, 978_307_200));
        let item = from_str(r#"<TTLV tag="0x420001" type="DateTime" value="2001-01-01T10:00:00+10:00"/>"#).unwrap();
        assert_eq!(item, Item::date_time(Tag::ActivationDate, 978_307_200));
        let item = from_str(r#"<TTLV tag="0x540001" name="X" type="LongInteger" value="-2"/>"#).unwrap();
        assert_eq!(item, Item::long_integer(Tag(0x540001), -2));
    }

    #[test]
    fn reads_a_scalar_with_an_end_tag() {
        let item =
            from_str(r#"<ActivationDate type="DateTime" value="1970-01-01T00:00:01Z"></ActivationDate>"#).unwrap();
        assert_eq!(item, Item::date_time(Tag::ActivationDate, 1));
    }

    #[test]
    fn reports_where_it_fails() {
        let error = from_str("<Attribute>\n  <NoSuchTag type=\"Integer\" value=\"1\"/>\n</Attribute>").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("NoSuchTag"), "{error}");
    }

    #[test]
    fn keeps_line_breaks_and_markup_in_text() {
        let item = Item::text(Tag::AttributeName, "a\nb\tc\r<&>\"'");
        assert_eq!(from_str(&to_string(&item)).unwrap(), item);
    }

    #[test]
    fn writes_masks_by_name_inside_attributes() {
        let item = Item::structure(
            Tag::Attribute,
            vec![Item::text(Tag::AttributeName, "Cryptographic Usage Mask"), Item::integer(Tag::AttributeValue, 12)],
        );
        let text = to_string(&item);
        assert!(text.contains(r#"<AttributeValue type="Integer" value="Encrypt Decrypt"/>"#), "{text}");
        assert_eq!(from_str(&text).unwrap(), item);
    }
}
