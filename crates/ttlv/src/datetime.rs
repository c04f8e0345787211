//! ISO 8601 date-times for the XML and JSON encodings (xsd:dateTime), and the civil calendar
//! arithmetic behind them. TTLV carries seconds (Date-Time) or microseconds (Date-Time Extended)
//! since the Unix epoch; the text forms are `YYYY-MM-DDThh:mm:ss[.ffffff](Z|±hh:mm)`.

/// A text that is not an ISO 8601 date-time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an ISO 8601 date-time (expected YYYY-MM-DDThh:mm:ss with Z or an offset): {0:?}")]
pub struct InvalidDateTime(pub String);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), for the
/// years a Date-Time can hold.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    i64::try_from(days_from_civil_wide(i128::from(year), month, day)).unwrap_or(if year < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats seconds since the epoch as `YYYY-MM-DDThh:mm:ss+00:00`, the form of the test cases.
pub fn format_seconds(seconds: i64) -> String {
    let (date, time) = split(seconds);
    format!("{date}T{time}+00:00")
}

/// Formats microseconds since the epoch, with six fractional digits when they are not zero.
pub fn format_micros(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (date, time) = split(seconds);
    if fraction == 0 { format!("{date}T{time}+00:00") } else { format!("{date}T{time}.{fraction:06}+00:00") }
}

fn split(seconds: i64) -> (String, String) {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let date =
        if year < 0 { format!("-{:04}-{month:02}-{day:02}", -year) } else { format!("{year:04}-{month:02}-{day:02}") };
    (date, format!("{:02}:{:02}:{:02}", of_day / 3600, of_day / 60 % 60, of_day % 60))
}

/// Parses an xsd:dateTime into microseconds since the epoch. A missing zone means UTC.
pub fn parse_micros(text: &str) -> Result<i64, InvalidDateTime> {
    let (seconds, fraction) = parse_inner(text.trim()).ok_or_else(|| InvalidDateTime(text.to_string()))?;
    let micros = seconds.checked_mul(1_000_000).and_then(|m| m.checked_add(i128::from(fraction)));
    micros.and_then(|m| i64::try_from(m).ok()).ok_or_else(|| InvalidDateTime(text.to_string()))
}

/// Parses an xsd:dateTime into seconds since the epoch; fractional seconds are truncated, as the
/// encoding specification says they are for KMIP Date-Times. Every i64 second can be read back.
pub fn parse_seconds(text: &str) -> Result<i64, InvalidDateTime> {
    let (seconds, _) = parse_inner(text.trim()).ok_or_else(|| InvalidDateTime(text.to_string()))?;
    i64::try_from(seconds).map_err(|_| InvalidDateTime(text.to_string()))
}

/// Seconds since the epoch and the microseconds within that second. The arithmetic is done in
/// i128: a year of up to eighteen digits cannot overflow it, so hostile text cannot wrap around
/// into a plausible date.
fn parse_inner(text: &str) -> Option<(i128, i64)> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (date, rest) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = digits(date_parts.next()?, 4, usize::MAX)?;
    let month: u32 = digits(date_parts.next()?, 2, 2)?;
    let day: u32 = digits(date_parts.next()?, 2, 2)?;
    let year = if negative { -year } else { year };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }

    // The time runs until a zone designator: 'Z', '+' or '-'.
    let zone_start = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_start);
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = digits(clock_parts.next()?, 2, 2)?;
    let minute: i64 = digits(clock_parts.next()?, 2, 2)?;
    let second: i64 = digits(clock_parts.next()?, 2, 2)?;
    if hour > 24 || minute > 59 || second > 60 || (hour == 24 && (minute, second) != (0, 0)) {
        return None;
    }
    let micros_fraction = match fraction {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => return None,
        Some(f) => {
            f.bytes().take(6).chain(std::iter::repeat(b'0')).take(6).fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'))
        }
        None => 0,
    };

    let offset_seconds = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            let (h, m): (i64, i64) = (digits(h, 2, 2)?, digits(m, 2, 2)?);
            if h > 14 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil_wide(i128::from(year), month, day);
    let seconds = days * 86_400 + i128::from(hour * 3600 + minute * 60 + second - offset_seconds);
    Some((seconds, micros_fraction))
}

/// [`days_from_civil`] over i128, for years read from untrusted text.
fn days_from_civil_wide(year: i128, month: u32, day: u32) -> i128 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i128::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i128::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn digits<T: std::str::FromStr>(text: &str, min: usize, max: usize) -> Option<T> {
    if text.len() < min || text.len() > max.min(18) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The current time in seconds since the epoch.
pub fn now_seconds() -> i64 {
    now_micros().div_euclid(1_000_000)
}

/// The current time in microseconds since the epoch.
pub fn now_micros() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_specification_example() {
        // KMIP 1.4 §9.1.2: Friday, March 14, 2008, 11:56:40 GMT is 0x47DA67F8.
        assert_eq!(format_seconds(0x47DA67F8), "2008-03-14T11:56:40+00:00");
        assert_eq!(parse_seconds("2008-03-14T11:56:40+00:00"), Ok(0x47DA67F8));
    }

    #[test]
    fn parses_offsets_zones_and_fractions() {
        assert_eq!(parse_seconds("2001-01-01T10:00:00+10:00"), Ok(978_307_200));
        assert_eq!(parse_seconds("2001-01-01T00:00:00Z"), Ok(978_307_200));
        assert_eq!(parse_seconds("2001-01-01T00:00:00"), Ok(978_307_200));
        assert_eq!(parse_seconds("2001-01-01T00:00:00.999-00:00"), Ok(978_307_200));
        assert_eq!(parse_micros("1970-01-01T00:00:01.5Z"), Ok(1_500_000));
        assert_eq!(format_micros(1_500_000), "1970-01-01T00:00:01.500000+00:00");
        assert!(parse_seconds("2001-02-29T00:00:00Z").is_err());
        assert!(parse_seconds("2001-01-01 00:00:00Z").is_err());
        assert!(parse_seconds("not a date").is_err());
    }

    #[test]
    fn every_second_and_microsecond_of_an_i64_round_trips() {
        for seconds in [i64::MIN, i64::MIN + 1, -62_135_596_800, 0, 9_223_372_036_855, i64::MAX] {
            assert_eq!(parse_seconds(&format_seconds(seconds)), Ok(seconds), "{seconds}");
        }
        for micros in [i64::MIN, i64::MIN + 775_807, -1, 0, i64::MAX] {
            assert_eq!(parse_micros(&format_micros(micros)), Ok(micros), "{micros}");
        }
    }

    #[test]
    fn huge_years_are_refused_not_wrapped() {
        assert!(parse_seconds("999999999999999999-01-01T00:00:00Z").is_err());
        assert!(parse_seconds("584554051226-01-01T00:00:00Z").is_err());
        assert!(parse_micros("222222222222222024-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn round_trips_the_calendar() {
        for days in [-800_000, -1, 0, 1, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(format_seconds(-1), "1969-12-31T23:59:59+00:00");
    }
}
