//! Inputs the fuzz targets (`crates/ttlv/fuzz`, see docs/fuzzing.md) made fail, minimized by hand.
//!
//! Every input the fuzzer found troublesome must decode (or be refused) without a panic, and
//! round-trip through the text encodings. The Date-Time overflow inputs of docs/fuzzing.md, fixed
//! by doing the calendar arithmetic in i128, stay here as regressions.

use keyward_ttlv::{Item, Limits, decode, json, xml};

fn bytes(spec: &str) -> Vec<u8> {
    let digits: String = spec.chars().filter(char::is_ascii_hexdigit).collect();
    hex::decode(digits).expect("hex")
}

/// An Activation Date of 0x00000A0000000000 seconds (10,995,116,277,760 s, in the year 350391).
/// Both writers print it as `350391-05-14T06:02:40+00:00`; both readers then refuse that text,
/// because they count the time in microseconds, and the count overflows an i64.
const DATE_TIME_PAST_THE_MICROSECOND_RANGE: &str = "42 00 01 | 09 | 00 00 00 08 | 00 00 0A 00 00 00 00 00";

/// An Activation Date of i64::MIN seconds (`-292277026596-12-04T15:30:08+00:00`). Reading the text
/// back multiplies days by 86,400 without a check: a panic where overflow checks are on (tests,
/// fuzzing), a wrapped value otherwise.
const EARLIEST_DATE_TIME: &str = "42 00 01 | 09 | 00 00 00 08 | 80 00 00 00 00 00 00 00";

/// An Activation Date written as a Date-Time Extended of i64::MIN microseconds
/// (`-290308-12-21T19:59:05.224192+00:00`). The reader multiplies the whole seconds, rounded down,
/// by a million before it adds the fraction, and that intermediate product is below i64::MIN.
const EARLIEST_DATE_TIME_EXTENDED: &str = "42 00 01 | 0B | 00 00 00 08 | 80 00 00 00 00 00 00 00";

/// A Date-Time with an 18-digit year, which the text readers accept as digits and then overflow on
/// in the day count of `datetime::days_from_civil`.
const XML_WITH_AN_18_DIGIT_YEAR: &str =
    r#"<ActivationDate type="DateTime" value="999999999999999999-01-01T00:00:00Z"/>"#;
const JSON_WITH_AN_18_DIGIT_YEAR: &str =
    r#"{"tag":"ActivationDate","type":"DateTime","value":"999999999999999999-01-01T00:00:00Z"}"#;

/// Found by reading the code after the fuzzer's report: a year chosen so that its count of seconds
/// wraps around 2^64 to a small number. Where overflow checks are off (release builds) it is read,
/// silently, as 1972-02-23T16:59:44Z; where they are on, it panics.
const XML_WITH_A_WRAPPING_YEAR: &str = r#"<ActivationDate type="DateTime" value="584554051226-01-01T00:00:00Z"/>"#;

fn decoded(spec: &str) -> Item {
    decode(&bytes(spec), &Limits::default()).expect("the input decodes").to_owned_item()
}

#[test]
fn the_crash_inputs_decode_and_write_as_text_without_a_panic() {
    for spec in [DATE_TIME_PAST_THE_MICROSECOND_RANGE, EARLIEST_DATE_TIME, EARLIEST_DATE_TIME_EXTENDED] {
        let item = decoded(spec);
        assert_eq!(item.to_ttlv(), bytes(spec));
        assert!(!xml::to_string(&item).is_empty());
        assert!(!json::to_string(&item).is_empty());
    }
}

#[test]
fn a_date_time_past_the_microsecond_range_survives_xml_and_json() {
    let item = decoded(DATE_TIME_PAST_THE_MICROSECOND_RANGE);
    assert_eq!(xml::from_str(&xml::to_string(&item)), Ok(item.clone()));
    assert_eq!(json::from_str(&json::to_string(&item)), Ok(item));
}

#[test]
fn the_earliest_date_time_survives_xml_and_json() {
    let item = decoded(EARLIEST_DATE_TIME);
    assert_eq!(xml::from_str(&xml::to_string(&item)), Ok(item.clone()));
    assert_eq!(json::from_str(&json::to_string(&item)), Ok(item));
}

#[test]
fn the_earliest_date_time_extended_survives_xml_and_json() {
    let item = decoded(EARLIEST_DATE_TIME_EXTENDED);
    assert_eq!(xml::from_str(&xml::to_string(&item)), Ok(item.clone()));
    assert_eq!(json::from_str(&json::to_string(&item)), Ok(item));
}

#[test]
fn a_date_time_with_an_18_digit_year_is_refused_without_a_panic() {
    assert!(xml::parse_items(XML_WITH_AN_18_DIGIT_YEAR).is_err());
    assert!(json::parse_items(JSON_WITH_AN_18_DIGIT_YEAR).is_err());
}

#[test]
fn a_year_whose_seconds_wrap_around_is_refused() {
    assert!(xml::parse_items(XML_WITH_A_WRAPPING_YEAR).is_err());
}
