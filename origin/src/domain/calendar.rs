//! The UTC calendar over epoch milliseconds: whole days, dates (`YYYY-MM-DD`) and calendar
//! months (a campaign's duration).

use crate::domain::commission::DAY_MS;

/// `at` plus `n` calendar months (UTC), the day clamped to the month's length (Jan 31 + 1
/// month = Feb 28 or 29), the time of day kept.
pub fn add_months(at: i64, n: i64) -> i64 {
    let days = at.div_euclid(DAY_MS);
    let time = at.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m - 1) + n;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let d = d.min(days_in_month(y, m));
    days_from_civil(y, m, d).saturating_mul(DAY_MS).saturating_add(time)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms: days since 1970-01-01 ↔ (year, month, day).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// The UTC date of `ms`, `YYYY-MM-DD`.
pub fn date_of(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first millisecond of the UTC day `date` (`YYYY-MM-DD`, a real day of years 1970–9999).
pub fn parse_date(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (y, m, d) = (num(&date[..4])?, num(&date[5..7])?, num(&date[8..])?);
    if y < 1970 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_impossible_ones_are_refused() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-29").map(date_of).as_deref(), Some("2026-11-29"));
        assert_eq!(parse_date("2024-02-29").map(date_of).as_deref(), Some("2024-02-29"));
        for bad in ["2025-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-11-29", "2026/11/29", "1969-12-31", "+026-11-29", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(date_of(DAY_MS - 1), "1970-01-01");
        assert_eq!(add_months(parse_date("2026-01-31").unwrap_or(0), 1), parse_date("2026-02-28").unwrap_or(0));
    }
}
