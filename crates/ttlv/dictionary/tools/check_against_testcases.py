#!/usr/bin/env python3
"""Check the KMIP dictionary (tags.txt, enums.txt, masks.txt) against the OASIS test cases.

Usage, from the repository root:

    python3 crates/ttlv/dictionary/tools/check_against_testcases.py [TESTCASES_DIR]

TESTCASES_DIR defaults to ../shared/kmip-testcases (next to the repository). Every *.xml file
below it is read. The test cases use the KMIP XML encoding: an element is named by the CamelCase
form of its tag name, its `type` attribute gives the item type (none means Structure), and its
`value` attribute the value; enumeration values are CamelCase value names (or hex), and masks
are written as space-separated CamelCase bit names.

The checks:

1. Names: normalized with the rules of KMIP Additional Message Encodings 1.0 section 4.1.3, a tag
   name must not collide with another tag that exists in a common version, and a value name must
   not collide with another value of its enumeration (or mask) in a common version. Every
   enum=/mask= note must name a table that exists.
2. Test cases: every element (but the KMIP, KmipTestCase and TTLV wrappers) must be a known tag
   that exists in the protocol version of its file and whose item types allow the element's type;
   every Enumeration value that is not hex must be a value of the enumeration the tag carries,
   valid in that version (an Attribute Value takes the enumeration of the attribute named by
   the sibling Attribute Name, Attribute Reference takes the Tag enumeration); every Integer
   value that is not a number must be made of bit names of the mask the tag (or the attribute)
   carries; every Attribute Name that is not a custom one ("x-...", "y-...", or a 2.x vendor
   attribute next to a Vendor Identification) must be a tag name.

Every problem is printed; the exit status is 1 when there is any. Test-case mistakes that the
dictionary must not imitate are listed in KNOWN_DEVIATIONS and reported separately.
"""

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

VERSIONS = ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1"]
ITEM_TYPES = [
    "Structure", "Integer", "LongInteger", "BigInteger", "Enumeration", "Boolean",
    "TextString", "ByteString", "DateTime", "Interval", "DateTimeExtended",
]
WRAPPERS = {"KMIP", "KmipTestCase", "TTLV"}

DICTIONARY_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TESTCASES = DICTIONARY_DIR.parents[3] / "shared" / "kmip-testcases"

# Values in the test cases that the dictionary deliberately does not accept, as
# (element, value) -> reason. A match is reported as a known deviation, not as a problem.
KNOWN_DEVIATIONS = {
    # None: every value of every test case is in the dictionary.
}


# ------------------------------------------------------------------------------------------
# Name normalization (KMIP Additional Message Encodings 1.0, section 4.1.3)
# ------------------------------------------------------------------------------------------

def camel_case(name):
    """'Cryptographic Usage Mask' -> 'CryptographicUsageMask', 'SHA-256' -> 'SHA_256',
    '3DES' -> 'DES3', 'PKCS#1' -> 'PKCS_1'."""
    # 1. round brackets become spaces
    text = re.sub(r"[()]", " ", name)
    # 2. a non-word character followed by a letter and then a lower case letter becomes a space
    text = re.sub(r"\W([A-Za-z][a-z])", r" \1", text, flags=re.ASCII)
    # 3. the remaining non-word characters (whitespace aside) become underscores
    words = [re.sub(r"\W", "_", word, flags=re.ASCII) for word in text.split()]
    if not words:
        return ""
    # 4. leading digits of the first word move to its end
    words[0] = re.sub(r"^(\d+)(.*)", r"\2\1", words[0])
    # 5. capitalize each word, 6. join them
    return "".join(word[0].upper() + word[1:] for word in words)


def collapse(text):
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------
# Reading the dictionary
# ------------------------------------------------------------------------------------------

def parse_versions(text):
    versions = set()
    for part in text.split(","):
        part = part.strip()
        if part.endswith("-"):
            first, last = part[:-1], VERSIONS[-1]
        elif "-" in part:
            first, last = part.split("-")
        else:
            first = last = part
        versions.update(VERSIONS[VERSIONS.index(first):VERSIONS.index(last) + 1])
    return versions


def data_lines(path):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


class Tag:
    def __init__(self, value, name, types, versions, enum, mask):
        self.value, self.name, self.types, self.versions = value, name, types, versions
        self.enum, self.mask = enum, mask
        self.camel = camel_case(name)

    def allows(self, item_type):
        return "*" in self.types or item_type in self.types


def read_tags(path, problems):
    tags = []
    for number, line in data_lines(path):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) not in (4, 5):
            problems.append(f"{path.name}:{number}: expected 4 or 5 columns")
            continue
        value, name, types, versions = cells[:4]
        type_set = {t.strip() for t in types.split("/")}
        unknown = type_set - set(ITEM_TYPES) - {"*"}
        if unknown or not type_set:
            problems.append(f"{path.name}:{number}: unknown item types {sorted(unknown)}")
        notes = dict(n.split("=", 1) for n in cells[4].split(";") if n.strip()) if len(cells) == 5 else {}
        tags.append(Tag(int(value, 16), name, type_set, parse_versions(versions),
                        notes.get("enum"), notes.get("mask")))
    return tags


def read_tables(path, problems):
    """name -> list of (value, name, versions)."""
    tables, current = {}, None
    for number, line in data_lines(path):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            if current in tables:
                problems.append(f"{path.name}:{number}: [{current}] appears twice")
            tables[current] = []
            continue
        cells = [c.strip() for c in line.split("|")]
        if current is None or len(cells) != 3:
            problems.append(f"{path.name}:{number}: expected value | name | versions")
            continue
        tables[current].append((int(cells[0], 16), cells[1], parse_versions(cells[2])))
    return tables


# ------------------------------------------------------------------------------------------
# Checks of the dictionary itself
# ------------------------------------------------------------------------------------------

def check_unique_names(tags, enums, masks, problems):
    by_camel = defaultdict(list)
    for tag in tags:
        by_camel[tag.camel].append(tag)
    for camel, same in by_camel.items():
        for i, a in enumerate(same):
            for b in same[i + 1:]:
                if a.value != b.value and a.versions & b.versions:
                    problems.append(f"tags.txt: {camel} names {a.value:06X} and {b.value:06X} "
                                    f"in {sorted(a.versions & b.versions)}")
    for tag in tags:
        if "Enumeration" in tag.types and tag.enum is None:
            problems.append(f"tags.txt: {tag.name} is an Enumeration without enum=")
        if tag.enum is not None and tag.enum != "Tag" and tag.enum not in enums:
            problems.append(f"tags.txt: {tag.name}: unknown enumeration {tag.enum!r}")
        if tag.mask is not None and tag.mask not in masks:
            problems.append(f"tags.txt: {tag.name}: unknown mask {tag.mask!r}")

    for file_name, tables in (("enums.txt", enums), ("masks.txt", masks)):
        table_names = defaultdict(list)
        for table_name, rows in tables.items():
            table_names[camel_case(table_name)].append(table_name)
            for version in VERSIONS:
                names, values = {}, {}
                for value, name, versions in rows:
                    if version not in versions:
                        continue
                    camel = camel_case(name)
                    if camel in names and names[camel] != value:
                        problems.append(f"{file_name}: [{table_name}] {camel} names "
                                        f"{names[camel]:08X} and {value:08X} in {version}")
                    names[camel] = value
                    if value in values:
                        problems.append(f"{file_name}: [{table_name}] {value:08X} has two names "
                                        f"in {version}: {values[value]!r}, {name!r}")
                    values[value] = name
        for camel, same in table_names.items():
            if len(same) > 1:
                problems.append(f"{file_name}: {same} all normalize to {camel}")


# ------------------------------------------------------------------------------------------
# Checks against the test cases
# ------------------------------------------------------------------------------------------

class Dictionary:
    def __init__(self, tags, enums, masks):
        self.tags_by_camel = defaultdict(list)
        self.tags_by_name = {}
        for tag in tags:
            self.tags_by_camel[tag.camel].append(tag)
            self.tags_by_name[tag.name] = tag
        self.tags = tags
        self.enums = enums
        self.masks = masks

    def tag(self, camel, version):
        """The tag of that CamelCase name, preferring the one that exists in version."""
        candidates = self.tags_by_camel.get(camel, [])
        for tag in candidates:
            if version is None or version in tag.versions:
                return tag
        return candidates[0] if candidates else None

    def values(self, table):
        """CamelCase name -> versions, for an enumeration, a mask or the Tag enumeration."""
        if table == "Tag":
            rows = [(t.value, t.name, t.versions) for t in self.tags]
        else:
            rows = self.enums.get(table) or self.masks.get(table) or []
        return {camel_case(name): versions for _, name, versions in rows}


def file_version(root):
    major = root.find(".//ProtocolVersionMajor")
    minor = root.find(".//ProtocolVersionMinor")
    if major is None or minor is None:
        return None
    version = f"{major.get('value')}.{minor.get('value')}"
    return version if version in VERSIONS else None


def is_vendor_attribute(parent):
    """2.x vendor attributes (Vendor Identification + Attribute Name) name no KMIP tag."""
    return parent is not None and parent.find("VendorIdentification") is not None


def is_number(text):
    return re.fullmatch(r"-?\d+|0x[0-9A-Fa-f]+", text.strip()) is not None


def check_file(path, dictionary, problems, deviations):
    root = ET.parse(path).getroot()
    version = file_version(root)
    where = f"{path}"
    if version is None:
        problems.append(f"{where}: no protocol version found")

    def report(element, message):
        problems.append(f"{where}: <{element.tag}> {message}")

    def walk(element, parent):
        if element.tag not in WRAPPERS:
            check_element(element, parent)
        for child in element:
            walk(child, element)

    def attribute_tag(element, parent):
        """For an Attribute Value: the tag named by the sibling Attribute Name."""
        if parent is None or is_vendor_attribute(parent):
            return None
        name = parent.find("AttributeName")
        if name is None or name.get("value") is None:
            return None
        return dictionary.tags_by_name.get(collapse(name.get("value")))

    def check_values(element, table, names, kind):
        known = dictionary.values(table)
        for name in names:
            if (element.tag, name) in KNOWN_DEVIATIONS:
                deviations.append(f"{where}: <{element.tag}> {name!r}: "
                                  f"{KNOWN_DEVIATIONS[(element.tag, name)]}")
            elif name not in known:
                report(element, f"value {name!r} is not a {kind} of {table}")
            elif version is not None and version not in known[name]:
                report(element, f"value {name!r} of {table} does not exist in KMIP {version}")

    def check_element(element, parent):
        tag = dictionary.tag(element.tag, version)
        if tag is None:
            report(element, "is not a known tag")
            return
        if version is not None and version not in tag.versions:
            report(element, f"tag {tag.name} does not exist in KMIP {version}")
        item_type = element.get("type", "Structure")
        if not tag.allows(item_type):
            report(element, f"type {item_type} is not one of {'/'.join(sorted(tag.types))}")
        value = element.get("value")

        if tag.name == "Attribute Name" and value is not None and not is_vendor_attribute(parent):
            name = collapse(value)
            if not re.match(r"^[xy]-", name) and name not in dictionary.tags_by_name:
                report(element, f"attribute name {value!r} is not a tag name")

        # Which tag decides the values: the attribute named next to an Attribute Value.
        carrier = tag
        if tag.name == "Attribute Value":
            carrier = attribute_tag(element, parent)
            if carrier is None:
                return  # a custom attribute or no name: nothing to check against
        if value is None:
            return
        if item_type == "Enumeration" and not value.strip().lower().startswith("0x"):
            table = carrier.enum
            if table is None:
                report(element, f"{carrier.name} carries no enumeration, value {value!r}")
            else:
                check_values(element, table, [value.strip()], "value")
        elif item_type == "Integer" and not is_number(value):
            if carrier.mask is None:
                report(element, f"{carrier.name} carries no mask, value {value!r}")
            else:
                check_values(element, carrier.mask, value.split(), "bit")

    walk(root, None)


def main():
    testcases = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TESTCASES
    problems, deviations = [], []
    tags = read_tags(DICTIONARY_DIR / "tags.txt", problems)
    enums = read_tables(DICTIONARY_DIR / "enums.txt", problems)
    masks = read_tables(DICTIONARY_DIR / "masks.txt", problems)
    check_unique_names(tags, enums, masks, problems)

    files = sorted(testcases.rglob("*.xml"))
    if not files:
        problems.append(f"no test case files under {testcases}")
    dictionary = Dictionary(tags, enums, masks)
    for path in files:
        try:
            check_file(path, dictionary, problems, deviations)
        except ET.ParseError as error:
            problems.append(f"{path}: not well-formed XML: {error}")

    for line in deviations:
        print(f"known test-case deviation: {line}")
    for line in problems:
        print(f"PROBLEM: {line}")
    print(f"{len(files)} test case files, {len(tags)} tag rows, {len(enums)} enumerations, "
          f"{len(masks)} masks: {len(problems)} problems, {len(deviations)} known deviations")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
