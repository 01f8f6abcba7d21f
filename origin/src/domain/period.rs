//! The span of whole UTC days an overview covers: the last 7, 30 or 90 days (today included),
//! or a custom span of at most 366 days ending no later than today. Errors name their field.

use super::FieldError;
use super::calendar::{date_of, parse_date};
use super::commission::DAY_MS;

/// The longest custom span, days.
pub const MAX_DAYS: i64 = 366;

/// A chosen span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `7`, `30`, `90` or `custom`, as the form sends it.
    pub range: &'static str,
    /// First millisecond of the first day.
    pub from: i64,
    /// First millisecond after the last day.
    pub to: i64,
}

/// A span refused: the field is `range`, `from` or `to`.
pub type PeriodError = FieldError;

fn refuse(field: &'static str, message: impl Into<String>) -> PeriodError {
    FieldError::new(field, message)
}

impl Period {
    /// The span `range` (default 30 days) names at `now`; `from` and `to` (`YYYY-MM-DD`, both
    /// days included) only for `custom`.
    pub fn parse(range: Option<&str>, from: Option<&str>, to: Option<&str>, now: i64) -> Result<Self, PeriodError> {
        let tomorrow = (now.div_euclid(DAY_MS) + 1) * DAY_MS;
        let last = |range: &'static str, days: i64| Ok(Self { range, from: tomorrow - days * DAY_MS, to: tomorrow });
        match range.unwrap_or("30") {
            "7" => last("7", 7),
            "30" => last("30", 30),
            "90" => last("90", 90),
            "custom" => {
                let day = |field: &'static str, value: Option<&str>| {
                    let value = value.map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| refuse(field, "Choose a date."))?;
                    parse_date(value).ok_or_else(|| refuse(field, "Enter a date as YYYY-MM-DD."))
                };
                let (first, last_day) = (day("from", from)?, day("to", to)?);
                if last_day >= tomorrow {
                    return Err(refuse("to", "The last day cannot be after today."));
                }
                if first > last_day {
                    return Err(refuse("from", "The first day must not be after the last."));
                }
                if (last_day - first) / DAY_MS + 1 > MAX_DAYS {
                    return Err(refuse("from", format!("Choose at most {MAX_DAYS} days.")));
                }
                Ok(Self { range: "custom", from: first, to: last_day + DAY_MS })
            }
            _ => Err(refuse("range", "Choose 7, 30 or 90 days, or your own dates.")),
        }
    }

    /// The first day, `YYYY-MM-DD`.
    pub fn first_day(&self) -> String {
        date_of(self.from)
    }

    /// The last day, `YYYY-MM-DD`.
    pub fn last_day(&self) -> String {
        date_of(self.to - 1)
    }

    /// Each day's first millisecond, in order.
    pub fn days(&self) -> impl Iterator<Item = i64> + '_ {
        (self.from..self.to).step_by(usize::try_from(DAY_MS).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> i64 {
        parse_date(date).unwrap_or(0)
    }

    #[test]
    fn the_last_days_end_with_today() {
        let now = at("2026-11-29") + 15 * 3_600_000;
        let p = Period::parse(None, None, None, now).expect("30 days by default");
        assert_eq!((p.range, p.first_day(), p.last_day(), p.days().count()), ("30", "2026-10-31".into(), "2026-11-29".into(), 30));
        let p = Period::parse(Some("7"), Some("ignored"), None, now).expect("7 days");
        assert_eq!((p.first_day(), p.last_day()), ("2026-11-23".into(), "2026-11-29".into()));
        assert_eq!(Period::parse(Some("90"), None, None, now).map(|p| p.days().count()), Ok(90));
    }

    #[test]
    fn a_custom_span_is_whole_days_up_to_today_and_errors_name_their_field() {
        let now = at("2026-11-29") + 1;
        let p = Period::parse(Some("custom"), Some("2026-11-01"), Some(" 2026-11-03 "), now).expect("3 days");
        assert_eq!((p.from, p.to, p.days().count()), (at("2026-11-01"), at("2026-11-04"), 3));
        let field = |range, from, to| Period::parse(Some(range), from, to, now).map_err(|e| e.field);
        assert_eq!(field("custom", None, Some("2026-11-03")), Err("from"));
        assert_eq!(field("custom", Some("2026-11-01"), Some("03/11/2026")), Err("to"));
        assert_eq!(field("custom", Some("2026-11-01"), Some("2026-11-30")), Err("to"), "tomorrow");
        assert_eq!(field("custom", Some("2026-11-05"), Some("2026-11-03")), Err("from"));
        assert_eq!(field("custom", Some("2025-11-27"), Some("2026-11-28")), Err("from"), "367 days");
        assert!(field("custom", Some("2025-11-28"), Some("2026-11-28")).is_ok(), "366 days");
        assert_eq!(field("365", None, None), Err("range"));
    }
}
