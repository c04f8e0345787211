//! An indented, human-readable dump of an item tree, with tag and enumeration names: what an
//! operator reads when a client misbehaves.

use crate::names::{Naming, scalar_text, tag_text};
use crate::{Item, Value};

/// One line per item: `Name (Type): value`, children indented below their structure.
pub fn dump(item: &Item) -> String {
    let mut out = String::new();
    write(&mut out, item, &[], 0);
    out
}

fn write(out: &mut String, item: &Item, siblings: &[Item], depth: usize) {
    let indent = "  ".repeat(depth);
    let name = tag_text(item.tag);
    match &item.value {
        Value::Structure(children) => {
            out.push_str(&format!("{indent}{name}\n"));
            for (index, child) in children.iter().enumerate() {
                write(out, child, &children[..index], depth + 1);
            }
        }
        value => {
            let text = scalar_text(value, Naming::for_item(item.tag, siblings), " | ");
            out.push_str(&format!("{indent}{name} ({}): {text}\n", item.item_type()));
        }
    }
}
