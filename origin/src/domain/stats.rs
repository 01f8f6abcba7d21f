//! The figures of an overview, from counts the database gives: totals per currency, the days
//! of a span filled in (a day without activity is a zero, not a gap), conversion rate and
//! earnings per click. Money stays in minor units of its currency; rates are basis points.

use poem_openapi::Object;

use super::calendar::date_of;
use super::commission::DAY_MS;
use super::period::Period;

/// An amount of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Object, sqlx::FromRow)]
#[oai(rename = "CurrencyAmount")]
pub struct Amount {
    /// Lowercase ISO 4217.
    pub currency: String,
    /// Minor units.
    pub amount: i64,
}

/// One UTC day of a span.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "OverviewDay")]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Clicks counted (repeats left out).
    pub clicks: i64,
    /// Conversions.
    pub conversions: i64,
    /// Their amounts, per currency.
    pub revenue: Vec<Amount>,
}

/// Adds `amount` of `currency` to `totals`, kept in currency order.
pub fn add(totals: &mut Vec<Amount>, currency: &str, amount: i64) {
    match totals.binary_search_by(|t| t.currency.as_str().cmp(currency)) {
        Ok(at) => totals[at].amount = totals[at].amount.saturating_add(amount),
        Err(at) => totals.insert(at, Amount { currency: currency.to_owned(), amount }),
    }
}

/// Every day of `period`, filled from per-day clicks `(day, count)` and per-day, per-currency
/// conversions `(day, currency, count, amount)`, where `day` is days since 1970-01-01.
pub fn days(period: &Period, clicks: &[(i64, i64)], conversions: &[(i64, String, i64, i64)]) -> Vec<Day> {
    period
        .days()
        .map(|start| {
            let day = start / DAY_MS;
            let mut out = Day { date: date_of(start), clicks: 0, conversions: 0, revenue: Vec::new() };
            out.clicks = clicks.iter().filter(|(d, _)| *d == day).map(|(_, n)| n).sum();
            for (_, currency, n, amount) in conversions.iter().filter(|(d, ..)| *d == day) {
                out.conversions += n;
                add(&mut out.revenue, currency, *amount);
            }
            out
        })
        .collect()
}

/// `part` of `whole` in basis points, rounded half up; `None` without a whole.
pub fn rate_bps(part: i64, whole: i64) -> Option<i64> {
    let (part, whole) = (i128::from(part.max(0)), i128::from(whole));
    (whole > 0).then(|| i64::try_from((part * 20_000 + whole) / (2 * whole)).unwrap_or(i64::MAX))
}

/// Each amount divided by `clicks`, rounded half away from zero; empty without clicks.
pub fn per_click(amounts: &[Amount], clicks: i64) -> Vec<Amount> {
    if clicks <= 0 {
        return Vec::new();
    }
    amounts
        .iter()
        .map(|a| {
            let (q, r) = (a.amount / clicks, a.amount % clicks);
            let rounded = if 2 * r.abs() >= clicks { q + a.amount.signum() } else { q };
            Amount { currency: a.currency.clone(), amount: rounded }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_date;

    fn usd(amount: i64) -> Amount {
        Amount { currency: "usd".into(), amount }
    }

    #[test]
    fn every_day_of_the_span_is_there_with_its_activity() {
        let now = parse_date("2026-11-29").unwrap_or(0) + 5;
        let period = Period::parse(Some("7"), None, None, now).expect("7 days");
        let last = now / DAY_MS;
        let clicks = [(last, 4), (last - 6, 1), (last - 7, 99)];
        let conversions = [(last, "usd".to_owned(), 2, 5_000), (last, "eur".to_owned(), 1, 900), (last - 2, "usd".to_owned(), 1, 100)];
        let d = days(&period, &clicks, &conversions);
        assert_eq!(d.len(), 7);
        assert_eq!((d[0].date.as_str(), d[0].clicks, d[0].conversions), ("2026-11-23", 1, 0), "the day before the span is not counted");
        assert_eq!((d[6].clicks, d[6].conversions), (4, 3));
        assert_eq!(d[6].revenue, vec![Amount { currency: "eur".into(), amount: 900 }, usd(5_000)]);
        assert_eq!(d[4].revenue, vec![usd(100)]);
        assert_eq!(d[5], Day { date: "2026-11-28".into(), clicks: 0, conversions: 0, revenue: vec![] });
    }

    #[test]
    fn rates_and_earnings_per_click_round_and_need_clicks() {
        assert_eq!(rate_bps(1, 3), Some(3_333));
        assert_eq!(rate_bps(2, 3), Some(6_667));
        assert_eq!(rate_bps(5, 0), None);
        assert_eq!(rate_bps(0, 10), Some(0));
        assert_eq!(per_click(&[usd(1_000), usd(-5)], 3), vec![usd(333), usd(-2)]);
        assert_eq!(per_click(&[usd(5)], 2), vec![usd(3)]);
        assert!(per_click(&[usd(1_000)], 0).is_empty());
    }
}
