//! UTC timestamps as seconds since the Unix epoch, parsed and formatted without the wall clock.
//!
//! Formatting is hand-written (the days-to-civil-date conversion of the proleptic Gregorian
//! calendar) because it runs several times per record on the hot path, and a calendar library's
//! general formatter costs more than the rest of a timeline; a test compares it with known dates.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SS` with an optional `Z`, years 1900–2200.
///
/// # Errors
/// Returns `Err(())` for any other text; the caller names the field.
#[allow(clippy::result_unit_err)]
pub fn parse_base_date(text: &str) -> Result<i64, ()> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').or_else(|| t.strip_suffix("+00:00")).unwrap_or(t))),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parse_digits(parts.next(), 4)?;
    let month: i64 = parse_digits(parts.next(), 2)?;
    let day: i64 = parse_digits(parts.next(), 2)?;
    if parts.next().is_some() || !(1900..=2200).contains(&year) || !(1..=12).contains(&month) {
        return Err(());
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(());
    }
    let mut seconds = days_from_civil(year, month, day) * DAY;
    if let Some(time) = time {
        let mut parts = time.split(':');
        let h = parse_digits(parts.next(), 2)?;
        let m = parse_digits(parts.next(), 2)?;
        let s = match parts.next() {
            Some(s) => parse_digits(Some(s), 2)?,
            None => 0,
        };
        if parts.next().is_some() || h > 23 || m > 59 || s > 59 {
            return Err(());
        }
        seconds += h * 3600 + m * 60 + s;
    }
    Ok(seconds)
}

fn parse_digits(part: Option<&str>, len: usize) -> Result<i64, ()> {
    match part {
        Some(p) if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().map_err(|_| ()),
        _ => Err(()),
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A UTC instant in whole seconds since the Unix epoch, serialized as RFC 3339 (`...Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Writes `YYYY-MM-DDTHH:MM:SSZ` into a fixed buffer.
    pub fn format(self) -> [u8; 20] {
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        let mut out = *b"0000-00-00T00:00:00Z";
        let year = year.clamp(0, 9999) as u32;
        put(&mut out[0..4], year);
        put(&mut out[5..7], month);
        put(&mut out[8..10], day);
        put(&mut out[11..13], (secs / 3600) as u32);
        put(&mut out[14..16], (secs / 60 % 60) as u32);
        put(&mut out[17..19], (secs % 60) as u32);
        out
    }

    /// The calendar date part, `YYYY-MM-DD`.
    pub fn date_string(self) -> String {
        let formatted = self.format();
        String::from_utf8_lossy(&formatted[..10]).into_owned()
    }
}

fn put(slot: &mut [u8], mut value: u32) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.format()).expect("ASCII digits"))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(std::str::from_utf8(&self.format()).expect("ASCII digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_known_instants() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_767_225_599, "2025-12-31T23:59:59Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (-2_208_988_800, "1900-01-01T00:00:00Z"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(Timestamp(seconds).to_string(), expected, "{seconds}");
        }
    }

    #[test]
    fn civil_round_trip_every_day() {
        for days in -80_000..120_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m as i64, d as i64), days);
        }
    }

    #[test]
    fn parse_base_date_forms() {
        assert_eq!(parse_base_date("2026-01-05"), Ok(1_767_571_200));
        assert_eq!(parse_base_date("2026-01-05T06:30:00Z"), Ok(1_767_571_200 + 6 * 3600 + 1800));
        assert_eq!(parse_base_date("2026-01-05T06:30"), Ok(1_767_571_200 + 6 * 3600 + 1800));
        for bad in ["2026-02-30", "2026-13-01", "26-01-05", "2026-01-05T25:00:00Z", "yesterday", "", "1899-12-31", "2026-01-05T06:30:00+02:00"] {
            assert_eq!(parse_base_date(bad), Err(()), "{bad}");
        }
    }
}
