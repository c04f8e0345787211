//! Generates `keyward_ttlv::dictionary` from the tables in `dictionary/` (see its README).
//!
//! The output is plain data (sorted static tables) and typed constants: `Tag::ObjectType`,
//! `enums::ObjectType::SymmetricKey`, `masks::CryptographicUsageMask::Encrypt`. A malformed table
//! fails the build with the file and line at fault.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

#[path = "src/normalize.rs"]
#[allow(dead_code)]
mod normalize;

use normalize::camel_case;

const VERSIONS: [&str; 7] = ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1"];
const TYPES: [&str; 11] = [
    "Structure",
    "Integer",
    "LongInteger",
    "BigInteger",
    "Enumeration",
    "Boolean",
    "TextString",
    "ByteString",
    "DateTime",
    "Interval",
    "DateTimeExtended",
];

struct TagRow {
    value: u32,
    name: String,
    types: u16,
    versions: u8,
    enumeration: Option<String>,
    mask: Option<String>,
}

struct ValueRow {
    value: u32,
    name: String,
    versions: u8,
}

struct Table {
    name: String,
    rows: Vec<ValueRow>,
}

fn fail(file: &str, line: usize, message: impl std::fmt::Display) -> ! {
    panic!("dictionary/{file}:{line}: {message}");
}

/// "1.0-", "1.0-1.4", "2.0-", "1.2", "1.0-1.4,2.1-" into a bit set over VERSIONS.
fn parse_versions(text: &str, file: &str, line: usize) -> u8 {
    let index = |v: &str| {
        VERSIONS
            .iter()
            .position(|known| *known == v.trim())
            .unwrap_or_else(|| fail(file, line, format!("unknown version {v:?}")))
    };
    let mut bits = 0u8;
    for range in text.split(',') {
        let range = range.trim();
        let (first, last) = match range.split_once('-') {
            Some((first, "")) => (index(first), VERSIONS.len() - 1),
            Some((first, last)) => (index(first), index(last)),
            None => (index(range), index(range)),
        };
        if first > last {
            fail(file, line, format!("empty version range {range:?}"));
        }
        for v in first..=last {
            bits |= 1 << v;
        }
    }
    bits
}

fn parse_types(text: &str, file: &str, line: usize) -> u16 {
    if text.trim() == "*" {
        return TYPES.iter().enumerate().fold(0, |bits, (i, _)| bits | 1 << (i + 1));
    }
    text.split('/')
        .map(|t| {
            let position = TYPES.iter().position(|known| *known == t.trim());
            position.unwrap_or_else(|| fail(file, line, format!("unknown item type {t:?}")))
        })
        .fold(0, |bits, i| bits | 1 << (i + 1))
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn parse_hex(text: &str, file: &str, line: usize) -> u32 {
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| fail(file, line, format!("bad hex value {text:?}")))
}

fn read_tags(text: &str) -> Vec<TagRow> {
    let file = "tags.txt";
    let mut rows = Vec::new();
    for (line, content) in data_lines(text) {
        let cells: Vec<&str> = content.split('|').map(str::trim).collect();
        if cells.len() < 4 || cells.len() > 5 {
            fail(file, line, "expected value | name | types | versions | notes");
        }
        let mut row = TagRow {
            value: parse_hex(cells[0], file, line),
            name: cells[1].to_string(),
            types: parse_types(cells[2], file, line),
            versions: parse_versions(cells[3], file, line),
            enumeration: None,
            mask: None,
        };
        for note in cells.get(4).into_iter().flat_map(|n| n.split(';')).map(str::trim).filter(|n| !n.is_empty()) {
            match note.split_once('=') {
                Some(("enum", name)) => row.enumeration = Some(name.trim().to_string()),
                Some(("mask", name)) => row.mask = Some(name.trim().to_string()),
                _ => fail(file, line, format!("unknown note {note:?}")),
            }
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| (r.value, r.versions.trailing_zeros()));
    rows
}

fn read_tables(text: &str, file: &str) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for (line, content) in data_lines(text) {
        if let Some(name) = content.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
            if tables.iter().any(|t| t.name == name.trim()) {
                fail(file, line, format!("[{name}] appears twice"));
            }
            tables.push(Table { name: name.trim().to_string(), rows: Vec::new() });
            continue;
        }
        let cells: Vec<&str> = content.split('|').map(str::trim).collect();
        if cells.len() != 3 {
            fail(file, line, "expected value | name | versions");
        }
        let table = tables.last_mut().unwrap_or_else(|| fail(file, line, "a value before any [Name] header"));
        table.rows.push(ValueRow {
            value: parse_hex(cells[0], file, line),
            name: cells[1].to_string(),
            versions: parse_versions(cells[2], file, line),
        });
    }
    for table in &mut tables {
        table.rows.sort_by_key(|r| (r.value, r.versions.trailing_zeros()));
    }
    tables
}

/// A CamelCase name made safe as a Rust identifier.
fn ident(camel: &str) -> String {
    let cleaned: String = camel.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if cleaned.starts_with(|c: char| c.is_ascii_digit()) || matches!(cleaned.as_str(), "Self" | "" | "_") {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

fn main() {
    let dir = Path::new("dictionary");
    for file in ["tags.txt", "enums.txt", "masks.txt", "README.md"] {
        println!("cargo:rerun-if-changed=dictionary/{file}");
    }
    println!("cargo:rerun-if-changed=src/normalize.rs");
    let read =
        |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("dictionary/{file}: {e}"));
    let tags = read_tags(&read("tags.txt"));
    let enums = read_tables(&read("enums.txt"), "enums.txt");
    let masks = read_tables(&read("masks.txt"), "masks.txt");

    let mut out = String::new();
    out.push_str("// @generated by build.rs from dictionary/*.txt. Do not edit.\n\n");
    write_tags(&mut out, &tags, &enums, &masks);
    write_tables(&mut out, "ENUMERATIONS", &enums);
    write_tables(&mut out, "MASKS", &masks);
    write_types(&mut out, "enums", &enums, false);
    write_types(&mut out, "masks", &masks, true);
    write_for_each(&mut out, "for_each_enumeration", &enums);
    write_for_each(&mut out, "for_each_mask", &masks);

    let out_path = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo")).join("dictionary.rs");
    std::fs::write(out_path, out).expect("writing the generated dictionary");
}

fn write_tags(out: &mut String, tags: &[TagRow], enums: &[Table], masks: &[Table]) {
    let position = |tables: &[Table], name: &str, kind: &str| {
        tables
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("dictionary/tags.txt: unknown {kind} {name:?}"))
    };
    out.push_str("/// Every tag KMIP 1.0 to 2.1 define, sorted by value (a renamed tag has a row per name).\n");
    out.push_str("pub static TAGS: &[TagDef] = &[\n");
    for row in tags {
        let values = match (&row.enumeration, &row.mask) {
            (Some(e), None) if e == "Tag" => "TagValues::Tags".to_string(),
            (Some(e), None) => format!("TagValues::Enumeration({})", position(enums, e, "enumeration")),
            (None, Some(m)) => format!("TagValues::Mask({})", position(masks, m, "mask")),
            (None, None) => "TagValues::None".to_string(),
            (Some(_), Some(_)) => panic!("dictionary/tags.txt: {} has both an enumeration and a mask", row.name),
        };
        writeln!(
            out,
            "    TagDef {{ tag: Tag(0x{:06X}), name: {:?}, camel: {:?}, types: TypeSet::from_bits(0x{:04X}), versions: VersionSet::from_bits(0x{:02X}), values: {values} }},",
            row.value,
            row.name,
            camel_case(&row.name),
            row.types,
            row.versions
        )
        .unwrap();
    }
    out.push_str("];\n\n");

    // CamelCase name -> index into TAGS, sorted by name for binary search.
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for (index, row) in tags.iter().enumerate() {
        let camel = camel_case(&row.name);
        if let Some(previous) = by_name.insert(camel.clone(), index)
            && tags[previous].value != row.value
            && tags[previous].versions & row.versions != 0
        {
            panic!("dictionary/tags.txt: {camel} names two tags in the same version");
        }
    }
    out.push_str("/// (CamelCase name, index into TAGS), sorted by name.\n");
    out.push_str("pub(crate) static TAGS_BY_NAME: &[(&str, u16)] = &[\n");
    for (name, index) in &by_name {
        writeln!(out, "    ({name:?}, {index}),").unwrap();
    }
    out.push_str("];\n\n");

    out.push_str("#[allow(non_upper_case_globals)]\nimpl Tag {\n");
    let mut seen = BTreeSet::new();
    for row in tags.iter().rev() {
        let name = ident(&camel_case(&row.name));
        if seen.insert(name.clone()) {
            writeln!(
                out,
                "    /// {} ({})\n    pub const {name}: Tag = Tag(0x{:06X});",
                row.name,
                version_text(row.versions),
                row.value
            )
            .unwrap();
        }
    }
    out.push_str("}\n\n");
}

fn version_text(bits: u8) -> String {
    let present: Vec<&str> =
        VERSIONS.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, v)| *v).collect();
    match (present.first(), present.last()) {
        (Some(only), _) if present.len() == 1 => format!("KMIP {only}"),
        (Some(first), Some(last)) => format!("KMIP {first} to {last}"),
        _ => "no version".to_string(),
    }
}

fn write_tables(out: &mut String, static_name: &str, tables: &[Table]) {
    writeln!(out, "pub static {static_name}: &[EnumDef] = &[").unwrap();
    for table in tables {
        writeln!(out, "    EnumDef {{ name: {:?}, camel: {:?}, values: &[", table.name, camel_case(&table.name))
            .unwrap();
        for row in &table.rows {
            writeln!(
                out,
                "        EnumValueDef {{ value: 0x{:08X}, name: {:?}, camel: {:?}, versions: VersionSet::from_bits(0x{:02X}) }},",
                row.value,
                row.name,
                camel_case(&row.name),
                row.versions
            )
            .unwrap();
        }
        out.push_str("    ] },\n");
    }
    out.push_str("];\n\n");
}

fn write_types(out: &mut String, module: &str, tables: &[Table], is_mask: bool) {
    let static_name = if is_mask { "MASKS" } else { "ENUMERATIONS" };
    writeln!(out, "#[allow(non_camel_case_types)]\npub mod {module} {{\n    use super::*;\n").unwrap();
    for (index, table) in tables.iter().enumerate() {
        let type_name = ident(&camel_case(&table.name));
        let derive = "#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]";
        writeln!(
            out,
            "    /// The {} {} (a raw value; unknown and extension values are kept).",
            table.name,
            if is_mask { "mask" } else { "enumeration" }
        )
        .unwrap();
        writeln!(out, "    {derive}\n    pub struct {type_name}(pub u32);\n").unwrap();
        writeln!(out, "    #[allow(non_upper_case_globals)]\n    impl {type_name} {{").unwrap();
        let mut seen = BTreeSet::new();
        // Newest rows first, so that a name reused across versions means its newest value.
        let mut rows: Vec<&ValueRow> = table.rows.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(7 - r.versions.leading_zeros()));
        for row in rows {
            let name = ident(&camel_case(&row.name));
            if seen.insert(name.clone()) {
                writeln!(
                    out,
                    "        /// {} ({})\n        pub const {name}: {type_name} = {type_name}(0x{:08X});",
                    row.name,
                    version_text(row.versions),
                    row.value
                )
                .unwrap();
            }
        }
        writeln!(out, "    }}\n").unwrap();
        writeln!(out, "    impl KmipEnum for {type_name} {{\n        const DEF: &'static EnumDef = &{static_name}[{index}];\n        fn from_value(value: u32) -> Self {{ {type_name}(value) }}\n        fn value(self) -> u32 {{ self.0 }}\n    }}\n").unwrap();
        writeln!(out, "    impl std::fmt::Debug for {type_name} {{\n        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{ debug_enum(self.0, Self::DEF, {is_mask}, f) }}\n    }}\n").unwrap();
        if is_mask {
            writeln!(out, "    impl std::ops::BitOr for {type_name} {{\n        type Output = Self;\n        fn bitor(self, other: Self) -> Self {{ {type_name}(self.0 | other.0) }}\n    }}\n").unwrap();
            writeln!(out, "    impl {type_name} {{\n        /// True when every bit of `bits` is set here.\n        pub const fn contains(self, bits: {type_name}) -> bool {{ self.0 & bits.0 == bits.0 }}\n    }}\n").unwrap();
        }
    }
    out.push_str("}\n\n");
}

/// A macro that applies a caller's macro to every generated type, so that other crates implement
/// their traits for all of them without listing them again.
fn write_for_each(out: &mut String, macro_name: &str, tables: &[Table]) {
    writeln!(out, "/// Calls `$m!(Name)` for every generated type of this kind.\n#[macro_export]\nmacro_rules! {macro_name} {{\n    ($m:ident) => {{").unwrap();
    for table in tables {
        writeln!(out, "        $m!({});", ident(&camel_case(&table.name))).unwrap();
    }
    out.push_str("    };\n}\n\n");
}
