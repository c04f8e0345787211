#!/usr/bin/env python3
"""Regenerate the KMIP dictionary (tags.txt, enums.txt, masks.txt) from the OASIS specification texts.

Usage, from the repository root:

    python3 crates/ttlv/dictionary/tools/extract_from_spec.py ../shared/kmip-spec

The argument is the directory holding the plain-text renderings of the KMIP 1.0 to 2.1
specifications. The three data files are written next to this script's parent directory
(crates/ttlv/dictionary/). The file formats are described in ../README.md.

How the text renderings look: every table row starts with a line holding exactly "  |"; each
further cell of the row starts with a line holding exactly "   |"; a cell's text is the lines up to
the next marker, where blank lines separate paragraphs. A table normally ends with a caption line
"Table N: ...", but some tables have no caption, so section headings end tables as well.

Where the data comes from:

- Tags: the tag table of each version (1.x section 9.1.3.1 "Tags", 2.x "Tag Enumeration"). A tag
  exists in the versions whose table gives it a name other than "(Reserved)".
- Item types: every table with an "Encoding" column (objects, attributes, structures, message
  contents of every version), plus the appendix table of 1.x that lists the type of every tag
  ("Object | Defined | Type | Notes"). The types found for a tag in any version are merged.
- Enumerations and masks: the sections that define them (1.x 9.1.3.2.* and 9.1.3.3.*, 2.x
  sections 11.* and 12.*). A value exists in the versions whose table lists it.

What the text cannot tell is kept in the small, commented override tables below; each entry says
why it is needed. The script is deterministic: running it again reproduces the committed files.
"""

import re
import sys
from collections import OrderedDict, defaultdict
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Inputs and output locations
# --------------------------------------------------------------------------------------------

VERSIONS = ["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1"]

SPEC_FILES = {
    "1.0": "kmip-spec-1.0-os.txt",
    "1.1": "kmip-spec-v1.1-os.txt",
    "1.2": "kmip-spec-v1.2-os.txt",
    "1.3": "kmip-spec-v1.3-os.txt",
    "1.4": "kmip-spec-v1.4-os.txt",
    "2.0": "kmip-spec-v2.0-os.txt",
    "2.1": "kmip-spec-v2.1-os.txt",
}

DICTIONARY_DIR = Path(__file__).resolve().parent.parent

# The item type names of the README, in the order they are written out.
ITEM_TYPES = [
    "Structure", "Integer", "LongInteger", "BigInteger", "Enumeration", "Boolean",
    "TextString", "ByteString", "DateTime", "Interval", "DateTimeExtended",
]

# --------------------------------------------------------------------------------------------
# Hand corrections. Keep these tables small; every entry carries the reason it exists.
# --------------------------------------------------------------------------------------------

# Tag names that mean "this value is reserved" in a tag table. 2.0 and 2.1 write 420137 as
# "Reserved" without the brackets every other reserved row has; it is not a tag.
RESERVED_TAG_NAMES = {"(Reserved)", "Reserved"}

# Names in Encoding tables that do not spell the tag name as the tag table does.
ENCODING_NAME_ALIASES = {
    # 2.x Server Information structure: "Alternative failover endpoints" is tag 420135,
    # "Alternate Failover Endpoints" in the tag table (the other rows of that table only
    # differ in letter case, which the matching ignores anyway).
    "alternative failover endpoints": "Alternate Failover Endpoints",
}

# Types found in a table that are errors of that table, as (tag value, type): dropped.
ENCODING_ERRATA = {
    # The 1.x type appendix lists MAC/Signature Key Information as "Text String"; its own
    # table (Key Wrapping Data, 1.x 2.1.5 and 2.x) makes it a Structure holding a Unique
    # Identifier and Cryptographic Parameters, and no text uses it as a string.
    ("42004E", "TextString"),
}

# Tags that no Encoding table describes. The type is taken from the definition text of the
# field that uses the tag; the reason is written above the tag in tags.txt.
TYPES_FROM_DEFINITION = {
    "4200D4": ("Integer", "Offset Items: the Locate request calls it 'An Integer object' (1.3+)"),
    "4200D5": ("Integer", "Located Items: the Locate response calls it 'An Integer object' (1.3+)"),
    "4200F6": ("Enumeration", "Client Registration Method: the Query response payload 'Contains "
                              "Client Registration Method enumerated values'"),
    "4200F8": ("Enumeration", "Key Wrap Type: the Get and Export requests 'Determine the Key "
                              "Wrap Type', a value of the Key Wrap Type Enumeration"),
    "4200FD": ("TextString", "Comment: the attribute table of 1.4/2.x (Comment Attribute) names "
                             "'Description' by mistake; both are Text String attributes"),
    "420107": ("ByteString", "Digested Data: Sign/Signature Verify say 'as a Byte String'"),
    "420121": ("Boolean", "Always Sensitive: the attribute table names 'Sensitive' by mistake; "
                          "the text sets it to True or False"),
    "420124": ("Boolean", "Replace Existing: the Import request says 'A Boolean'"),
    "420138": ("Enumeration", "Tag: defined only in the 2.x tag table, used nowhere; read as the "
                              "carrier of the Tag Enumeration, like Attribute Reference "
                              "'Enumeration (Tag)'"),
    "420139": ("TextString", "Certificate Request Unique Identifier: Certify request 'The Unique "
                             "Identifier of the Certificate Request'; Unique Identifiers are Text "
                             "Strings"),
    "42014C": ("Integer", "Request Count: the Login and Delegated Login requests 'The integer "
                          "count of the number of requests'"),
    "420151": ("Enumeration", "Endpoint Role: the Set Endpoint Role payloads, a value of the "
                              "Endpoint Role Enumeration"),
    "420154": ("Boolean", "Ephemeral: the Request Batch Item says 'Boolean'"),
    "420155": ("ByteString", "Server Hashed Password: the Response Header, a hash value "
                             "'Hash(Timestamp || S1 || Hash(S2))' like the Byte String Hashed "
                             "Password"),
    "420158": ("Enumeration", "Adjustment Type: the Adjust Attribute request 'The adjustment to "
                              "be made', a value of the Adjustment Type Enumeration"),
    "420162": ("*", "Adjustment Value: the Adjust Attribute request 'The value for the "
                    "adjustment'; its type follows the attribute adjusted (numbers, intervals, "
                    "dates), so any type"),
    "420163": ("Structure", "Common Protection Storage Masks: the Create Key Pair and Re-key "
                            "Key Pair requests 'Specifies all Protection Storage Mask "
                            "selections', a list like the Protection Storage Masks structure"),
    "420164": ("Structure", "Private Protection Storage Masks: as Common Protection Storage "
                            "Masks, for the private key"),
    "420165": ("Structure", "Public Protection Storage Masks: as Common Protection Storage "
                            "Masks, for the public key"),
}

# Enumeration-typed tags whose values are not the enumeration of the same name.
ENUM_FOR_TAG = {
    "Linked Object Identifier": "Unique Identifier",   # 2.x: Text String/Enumeration/Integer
    "Extension Type": "Item Type",                       # 2.x: 'Enumeration (Item Type)'
    "Mask Generator Hashing Algorithm": "Hashing Algorithm",
    "Attribute Reference": "Tag",                        # 2.x: 'Enumeration (Tag)'
    "Tag": "Tag",
}

# Enumeration value names that the text rendering damaged or the specification misspelled,
# as (enumeration, name as extracted) -> name to write.
ENUM_NAME_FIXES = {
    # The superscript of GF(2^16) and GF(2^8) is lost in the text rendering ("GF (216)").
    ("Split Key Method", "Polynomial Sharing GF(216)"): "Polynomial Sharing GF(2^16)",
    ("Split Key Method", "Polynomial Sharing GF (216)"): "Polynomial Sharing GF (2^16)",
    ("Split Key Method", "Polynomial Sharing GF (28)"): "Polynomial Sharing GF (2^8)",
    # 2.0 writes "(PGP" (stray bracket); 1.x and 2.1 write "PGP".
    ("Certificate Type", "(PGP"): "PGP",
    # 2.0 and 2.1 write "MFG1"; the mask generation function is MGF1 (as in 1.4 and in the
    # OASIS test cases of 1.4, 2.0 and 2.1).
    ("Mask Generator", "MFG1"): "MGF1",
}

# KMIP 2.x defines the PKCS#11 Function and Return Code enumerations by reference (2.1 §11.38,
# §11.39): a function is its 1-based position in PKCS#11 3.0's CK_FUNCTION_LIST_3_0, a return
# code its CK_RV value. The specification lists no rows, so they are written out here, named as
# the OASIS test cases name them (function names as in PKCS#11, return codes without "CKR_").
PKCS11_FUNCTIONS = """
    C_Initialize C_Finalize C_GetInfo C_GetFunctionList C_GetSlotList C_GetSlotInfo
    C_GetTokenInfo C_GetMechanismList C_GetMechanismInfo C_InitToken C_InitPIN C_SetPIN
    C_OpenSession C_CloseSession C_CloseAllSessions C_GetSessionInfo C_GetOperationState
    C_SetOperationState C_Login C_Logout C_CreateObject C_CopyObject C_DestroyObject
    C_GetObjectSize C_GetAttributeValue C_SetAttributeValue C_FindObjectsInit C_FindObjects
    C_FindObjectsFinal C_EncryptInit C_Encrypt C_EncryptUpdate C_EncryptFinal C_DecryptInit
    C_Decrypt C_DecryptUpdate C_DecryptFinal C_DigestInit C_Digest C_DigestUpdate C_DigestKey
    C_DigestFinal C_SignInit C_Sign C_SignUpdate C_SignFinal C_SignRecoverInit C_SignRecover
    C_VerifyInit C_Verify C_VerifyUpdate C_VerifyFinal C_VerifyRecoverInit C_VerifyRecover
    C_DigestEncryptUpdate C_DecryptDigestUpdate C_SignEncryptUpdate C_DecryptVerifyUpdate
    C_GenerateKey C_GenerateKeyPair C_WrapKey C_UnwrapKey C_DeriveKey C_SeedRandom
    C_GenerateRandom C_GetFunctionStatus C_CancelFunction C_WaitForSlotEvent
    C_GetInterfaceList C_GetInterface C_LoginUser C_SessionCancel C_MessageEncryptInit
    C_EncryptMessage C_EncryptMessageBegin C_EncryptMessageNext C_MessageEncryptFinal
    C_MessageDecryptInit C_DecryptMessage C_DecryptMessageBegin C_DecryptMessageNext
    C_MessageDecryptFinal C_MessageSignInit C_SignMessage C_SignMessageBegin C_SignMessageNext
    C_MessageSignFinal C_MessageVerifyInit C_VerifyMessage C_VerifyMessageBegin
    C_VerifyMessageNext C_MessageVerifyFinal
""".split()

# The common CK_RV values of PKCS#11 (vendor-defined codes are extensions).
PKCS11_RETURN_CODES = {
    0x000: "OK", 0x001: "CANCEL", 0x002: "HOST_MEMORY", 0x003: "SLOT_ID_INVALID",
    0x005: "GENERAL_ERROR", 0x006: "FUNCTION_FAILED", 0x007: "ARGUMENTS_BAD", 0x008: "NO_EVENT",
    0x009: "NEED_TO_CREATE_THREADS", 0x00A: "CANT_LOCK", 0x010: "ATTRIBUTE_READ_ONLY",
    0x011: "ATTRIBUTE_SENSITIVE", 0x012: "ATTRIBUTE_TYPE_INVALID", 0x013: "ATTRIBUTE_VALUE_INVALID",
    0x01B: "ACTION_PROHIBITED", 0x020: "DATA_INVALID", 0x021: "DATA_LEN_RANGE", 0x030: "DEVICE_ERROR",
    0x031: "DEVICE_MEMORY", 0x032: "DEVICE_REMOVED", 0x040: "ENCRYPTED_DATA_INVALID",
    0x041: "ENCRYPTED_DATA_LEN_RANGE", 0x050: "FUNCTION_CANCELED", 0x051: "FUNCTION_NOT_PARALLEL",
    0x054: "FUNCTION_NOT_SUPPORTED", 0x060: "KEY_HANDLE_INVALID", 0x062: "KEY_SIZE_RANGE",
    0x063: "KEY_TYPE_INCONSISTENT", 0x070: "MECHANISM_INVALID", 0x071: "MECHANISM_PARAM_INVALID",
    0x082: "OBJECT_HANDLE_INVALID", 0x090: "OPERATION_ACTIVE", 0x091: "OPERATION_NOT_INITIALIZED",
    0x0A0: "PIN_INCORRECT", 0x0B3: "SESSION_HANDLE_INVALID", 0x0C0: "SIGNATURE_INVALID",
    0x0C1: "SIGNATURE_LEN_RANGE", 0x0D0: "TEMPLATE_INCOMPLETE", 0x0D1: "TEMPLATE_INCONSISTENT",
    0x0E0: "TOKEN_NOT_PRESENT", 0x101: "USER_NOT_LOGGED_IN", 0x150: "BUFFER_TOO_SMALL",
    0x190: "CRYPTOKI_NOT_INITIALIZED", 0x191: "CRYPTOKI_ALREADY_INITIALIZED",
}


def add_pkcs11_values(enums):
    """Fill the PKCS#11 enumerations that the specification defines by reference (2.0 on)."""
    functions = {index + 1: name for index, name in enumerate(PKCS11_FUNCTIONS)}
    for name, values in (("PKCS#11 Function", functions), ("PKCS#11 Return Code", PKCS11_RETURN_CODES)):
        if enums.get(name):
            sys.exit(f"{name} now has values in the specification; drop the override")
        enums[name] = OrderedDict(
            (f"{value:08X}", OrderedDict((v, text) for v in ("2.0", "2.1"))) for value, text in sorted(values.items()))


# --------------------------------------------------------------------------------------------
# Reading the text renderings
# --------------------------------------------------------------------------------------------

CAPTION = re.compile(r"^\s*Table \d+[:\s]")
# A section heading in the body: "9.1.3.2.5 Recommended Curve ...", "11.12 Cryptographic ...".
HEADING = re.compile(r"^[1-9]\d?(\.\d+)* [A-Z]")
# A table of contents entry ends with a page number.
TOC_ENTRY = re.compile(r"\.?\s*\d+\s*$")


def clean(text):
    """Collapse whitespace and drop the replacement characters left by the text conversion."""
    return re.sub(r"\s+", " ", text.replace("\ufffd", " ").replace("\xa0", " ")).strip()


def read_spec(spec_dir, version):
    path = Path(spec_dir) / SPEC_FILES[version]
    return path.read_text(encoding="utf-8", errors="replace").split("\n")


class Cell:
    """One table cell: its paragraphs, cleaned."""

    def __init__(self):
        self.lines = []

    def paragraphs(self):
        result, current = [], []
        for line in self.lines + [""]:
            if clean(line):
                current.append(line)
            elif current:
                result.append(clean(" ".join(current)))
                current = []
        return result

    def first(self):
        paragraphs = self.paragraphs()
        return paragraphs[0] if paragraphs else ""

    def text(self):
        return " ".join(self.paragraphs())


def table_events(lines, start=0, end=None):
    """Walk lines[start:end] and yield ("row", line_number, [Cell]) for each table row and
    ("break", line_number, None) for each caption or heading, which ends the current table."""
    end = len(lines) if end is None else end
    row = None
    for index in range(start, end):
        line = lines[index]
        if line == "  |":
            if row is not None:
                yield ("row", row[0], row[1])
            row = (index + 1, [Cell()])
        elif line == "   |" and row is not None:
            row[1].append(Cell())
        elif CAPTION.match(line.replace("\ufffd", " ")) or HEADING.match(line):
            if row is not None:
                yield ("row", row[0], row[1])
                row = None
            yield ("break", index + 1, None)
        elif row is not None:
            row[1][-1].lines.append(line)
    if row is not None:
        yield ("row", row[0], row[1])


def find_sections(lines, pattern):
    """The body sections whose heading matches pattern, as (heading match, first line, end line);
    a section ends at the next heading of any level."""
    sections = []
    for index, line in enumerate(lines):
        match = pattern.match(line)
        if match and not TOC_ENTRY.search(line):
            end = index + 1
            while end < len(lines) and not HEADING.match(lines[end]):
                end += 1
            sections.append((match, index + 1, end))
    return sections


def format_versions(versions):
    """{"1.0", "1.1", "2.1"} -> "1.0-1.1,2.1-"; an open range runs to the newest version."""
    indexes = sorted(VERSIONS.index(v) for v in versions)
    runs = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    parts = []
    for first, last in runs:
        if last == len(VERSIONS) - 1:
            parts.append(VERSIONS[first] + "-")
        elif first == last:
            parts.append(VERSIONS[first])
        else:
            parts.append(VERSIONS[first] + "-" + VERSIONS[last])
    return ",".join(parts)


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------

TAG_SECTION = {
    "1": re.compile(r"^9\.1\.3\.1 Tags$"),
    "2": re.compile(r"^11\.\d+ Tag Enumeration$"),
}
# "420001", "420014 (deprecated as of version 1.1)", "0x42016A"; ranges are not tags.
TAG_VALUE = re.compile(r"^(?:0x)?(42[0-9A-F]{4})(?:\s*\([^)]*\))?$")


def extract_tags(specs):
    """value -> OrderedDict(version -> name) for every tag named in some version."""
    tags = defaultdict(OrderedDict)
    for version in VERSIONS:
        lines = specs[version]
        sections = find_sections(lines, TAG_SECTION[version[0]])
        if len(sections) != 1:
            sys.exit(f"KMIP {version}: expected one tag table section, found {len(sections)}")
        _, start, end = sections[0]
        for kind, line, cells in table_events(lines, start, end):
            if kind != "row" or len(cells) != 2:
                continue
            name, value = cells[0].text(), cells[1].first()
            match = TAG_VALUE.match(value)
            if not match or name in RESERVED_TAG_NAMES:
                continue
            tag = match.group(1)
            if version in tags[tag]:
                sys.exit(f"KMIP {version} line {line}: tag {tag} listed twice")
            tags[tag][version] = name
    return tags


# --------------------------------------------------------------------------------------------
# Item types
# --------------------------------------------------------------------------------------------

# Phrases of the Encoding column and the item type they stand for, longest first so that
# "Date Time Extended" is not read as "Date Time".
ENCODING_PHRASES = [
    ("date time extended", "DateTimeExtended"),
    ("date-time", "DateTime"),
    ("date time", "DateTime"),
    ("big integer", "BigInteger"),
    ("long integer", "LongInteger"),
    ("integer", "Integer"),
    ("enumeration", "Enumeration"),
    ("boolean", "Boolean"),
    ("text string", "TextString"),
    ("textstring", "TextString"),
    ("byte string", "ByteString"),
    ("bytestring", "ByteString"),
    ("interval", "Interval"),
    ("structure", "Structure"),
    # Named structures used as an encoding: "Attribute Object, see 2.1.1", "RNG Parameters".
    ("attribute object", "Structure"),
    ("rng parameters", "Structure"),
]


def parse_encoding(text):
    """The item types named by an Encoding cell; {"*"} when the cell allows any type."""
    text = text.lower().strip()
    if text == "*" or text.startswith("any") or text.startswith("varies, depending on attribute"):
        return {"*"}
    found = set()
    for phrase, item_type in ENCODING_PHRASES:
        if phrase in text:
            found.add(item_type)
            text = text.replace(phrase, " ")
    return found


def encoding_rows(lines):
    """(line, name, encoding) for every data row of a table that has an Encoding column (or
    the Type column of the 1.x tag appendix)."""
    column = None
    for kind, line, cells in table_events(lines):
        if kind == "break":
            column = None
            continue
        texts = [cell.first() for cell in cells]
        if texts[0] in ("Object", "Item") and len(texts) > 1:
            # A header row: remember where the encoding is, or forget it for other tables.
            if "Encoding" in texts:
                column = texts.index("Encoding")
            elif texts[1:3] == ["Defined", "Type"]:
                column = 2
            else:
                column = None
            continue
        if column is not None and len(texts) > column:
            yield line, texts[0], texts[column]


def names_in_cell(name, tags_by_name):
    """The tag names an Encoding table row describes. The name cell may carry a reference
    ("Cryptographic Parameters, see 3.6"), a repetition note, or list several tags
    ("Template-Attribute, Common Template-Attribute, ...")."""
    name = clean(name)
    while True:
        stripped = re.sub(r"\s*[,(]\s*(see\b.*|MAY be repeated.*)$", "", name, flags=re.I).strip()
        if stripped == name:
            break
        name = stripped
    name = ENCODING_NAME_ALIASES.get(name.lower(), name)
    if name.lower() in tags_by_name:
        return [name]
    return [part.strip() for part in name.split(",") if part.strip().lower() in tags_by_name]


def extract_item_types(specs, tags):
    """tag value -> set of item types, from the Encoding tables of every version."""
    tags_by_name = defaultdict(set)
    for tag, names in tags.items():
        for name in names.values():
            tags_by_name[name.lower()].add(tag)
    for name, values in tags_by_name.items():
        if len(values) > 1:
            sys.exit(f"tag name {name!r} is used by several tags: {sorted(values)}")

    types = defaultdict(set)
    used_errata = set()
    for version in VERSIONS:
        for line, name, encoding in encoding_rows(specs[version]):
            for tag_name in names_in_cell(name, tags_by_name):
                (tag,) = tags_by_name[tag_name.lower()]
                for item_type in parse_encoding(encoding):
                    if (tag, item_type) in ENCODING_ERRATA:
                        used_errata.add((tag, item_type))
                    else:
                        types[tag].add(item_type)
    unused = ENCODING_ERRATA - used_errata
    if unused:
        sys.exit(f"ENCODING_ERRATA entries that match nothing: {sorted(unused)}")
    return types


# --------------------------------------------------------------------------------------------
# Enumerations and masks
# --------------------------------------------------------------------------------------------

ENUM_SECTION = {
    "1": re.compile(r"^9\.1\.3\.2\.\d+ (.+)$"),
    "2": re.compile(r"^11\.\d+ (.+)$"),
}
MASK_SECTION = {
    "1": re.compile(r"^9\.1\.3\.3\.\d+ (.+)$"),
    "2": re.compile(r"^12\.\d+ (.+)$"),
}
# "00000001", "00000002 (deprecated)"; "8XXXXXXX" (extensions) and ranges do not match.
ENUM_VALUE = re.compile(r"^([0-9A-F]{8})(?:\s*\(deprecated\))?$")


def section_name(heading):
    """'Recommended Curve Enumeration for ECDSA, ECDH, and ECMQV' -> 'Recommended Curve'."""
    return re.sub(r"\s+Enumeration\b.*$", "", clean(heading))


def extract_values(specs, sections_by_family, used_fixes):
    """name -> OrderedDict(value -> OrderedDict(version -> value name)) for each enumeration
    (or mask) section. Sections without any value still appear, with no values. The keys of
    ENUM_NAME_FIXES that were applied are added to used_fixes."""
    tables = {}
    for version in VERSIONS:
        lines = specs[version]
        for match, start, end in find_sections(lines, sections_by_family[version[0]]):
            name = section_name(match.group(1))
            if name == "Tag":
                continue  # the Tag Enumeration is tags.txt
            table = tables.setdefault(name, OrderedDict())
            for kind, line, cells in table_events(lines, start, end):
                if kind != "row" or len(cells) != 2:
                    continue
                value_name, value = cells[0].text(), cells[1].first()
                match_value = ENUM_VALUE.match(value)
                if not match_value or value_name in ("(Reserved)", "Reserved"):
                    continue
                if (name, value_name) in ENUM_NAME_FIXES:
                    used_fixes.add((name, value_name))
                    value_name = ENUM_NAME_FIXES[(name, value_name)]
                by_version = table.setdefault(match_value.group(1), OrderedDict())
                if version in by_version:
                    sys.exit(f"KMIP {version} line {line}: {name} value {value} listed twice")
                by_version[version] = value_name
    return tables


# --------------------------------------------------------------------------------------------
# Writing the files
# --------------------------------------------------------------------------------------------

HEADER = "# Generated by tools/extract_from_spec.py from the OASIS KMIP 1.0 to 2.1 specifications;\n" \
         "# see README.md for the format. Edit the script's override tables, not this file.\n"


def rows_per_name(by_version):
    """Split a version -> name map into (name, versions) pairs, one per distinct name, in the
    order the names first appear."""
    rows = OrderedDict()
    for version, name in by_version.items():
        rows.setdefault(name, set()).add(version)
    return list(rows.items())


def aligned(rows):
    """Join the cells of each row with ' | ', padding every column but the last."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        out.append(" | ".join(cells).rstrip())
    return out


def write_tags(tags, types, enums, masks):
    rows, comments, problems, used_enum_overrides = [], {}, [], set()
    for tag in sorted(tags, key=lambda t: int(t, 16)):
        tag_types = set(types.get(tag, ()))
        if not tag_types:
            if tag not in TYPES_FROM_DEFINITION:
                problems.append(f"tag {tag} {list(tags[tag].values())[-1]}: no item type")
                continue
            item_type, reason = TYPES_FROM_DEFINITION[tag]
            tag_types = {item_type}
            comments[tag] = f"# {tag}: no Encoding table; from the definition text: {reason}"
        elif tag in TYPES_FROM_DEFINITION:
            problems.append(f"tag {tag}: has an Encoding table now, drop its override")
        type_text = "*" if "*" in tag_types else "/".join(t for t in ITEM_TYPES if t in tag_types)
        for name, versions in rows_per_name(tags[tag]):
            notes = []
            if "Enumeration" in tag_types:
                enum = ENUM_FOR_TAG.get(name, name)
                used_enum_overrides.add(name)
                if enum != "Tag" and enum not in enums:
                    problems.append(f"tag {tag} {name}: Enumeration without a known enumeration")
                else:
                    notes.append(f"enum={enum}")
            elif name in masks and "Integer" in tag_types:
                notes.append(f"mask={name}")
            rows.append((tag, name, type_text, format_versions(versions), ";".join(notes)))
    for name in sorted(set(ENUM_FOR_TAG) - used_enum_overrides):
        problems.append(f"ENUM_FOR_TAG: {name} is not an Enumeration-typed tag")
    if problems:
        sys.exit("\n".join(problems))

    lines = aligned([("# value", "name", "item types", "versions", "notes")] + rows)
    out = [HEADER.rstrip("\n"), lines[0]]
    for row, line in zip(rows, lines[1:]):
        if row[0] in comments and comments[row[0]] not in out:
            out.append(comments[row[0]])
        out.append(line)
    (DICTIONARY_DIR / "tags.txt").write_text("\n".join(out) + "\n")
    return len(rows)


def write_values(file_name, tables, what):
    out = [HEADER.rstrip("\n")]
    count = 0
    for name in sorted(tables, key=str.lower):
        out.append("")
        out.append(f"[{name}]")
        rows = []
        for value in sorted(tables[name], key=lambda v: int(v, 16)):
            for value_name, versions in rows_per_name(tables[name][value]):
                rows.append((value, value_name, format_versions(versions)))
        if rows:
            out.extend(aligned(rows))
        else:
            out.append(f"# the specification lists no values for this {what}")
        count += len(rows)
    (DICTIONARY_DIR / file_name).write_text("\n".join(out) + "\n")
    return count


def check_names_are_plain(tags, enums, masks):
    """Every name must be printable ASCII: a replacement character would mean the text
    rendering lost a character that needs a hand correction."""
    names = [n for d in tags.values() for n in d.values()]
    for tables in (enums, masks):
        names += list(tables)
        names += [n for t in tables.values() for d in t.values() for n in d.values()]
    bad = sorted({n for n in names if not re.fullmatch(r"[ -~]+", n)})
    if bad:
        sys.exit("names with characters lost in the text rendering: " + ", ".join(map(repr, bad)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    specs = {version: read_spec(sys.argv[1], version) for version in VERSIONS}
    tags = extract_tags(specs)
    types = extract_item_types(specs, tags)
    used_fixes = set()
    enums = extract_values(specs, ENUM_SECTION, used_fixes)
    masks = extract_values(specs, MASK_SECTION, used_fixes)
    add_pkcs11_values(enums)
    if set(ENUM_NAME_FIXES) - used_fixes:
        sys.exit(f"ENUM_NAME_FIXES entries that match nothing: {sorted(set(ENUM_NAME_FIXES) - used_fixes)}")
    check_names_are_plain(tags, enums, masks)

    tag_rows = write_tags(tags, types, enums, masks)
    enum_values = write_values("enums.txt", enums, "enumeration")
    mask_bits = write_values("masks.txt", masks, "mask")
    print(f"tags.txt: {tag_rows} rows for {len(tags)} tags; "
          f"enums.txt: {len(enums)} enumerations, {enum_values} values; "
          f"masks.txt: {len(masks)} masks, {mask_bits} bits")


if __name__ == "__main__":
    main()
