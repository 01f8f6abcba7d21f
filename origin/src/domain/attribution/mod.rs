//! The campaign rules applied once an affiliate is found for a payment: the cookie window,
//! first- or last-click among a visitor's referrals, self-referral, and which of a customer's
//! later payments still earn (the campaign's duration). Pure functions; UTC epoch ms.

pub mod decide;
pub mod facts;

pub use super::calendar::add_months;
pub use decide::{Credit, Decision, Earning, Sale, decide};
pub use facts::{Affiliate, Binding, Click, Facts, Lead, Link, Links, Metadata, Payment, Visitor};

use super::campaign::{AttributionModel, Duration};
use super::commission::DAY_MS;

/// How an affiliate was found for a payment, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The `client_reference_id` the tracker wrote (click id and code, or a bare code).
    ClientReferenceId,
    /// `payref_ref` / `payref_click` in the Stripe customer's metadata.
    CustomerMetadata,
    /// A customer already bound to an affiliate (renewals, later purchases).
    CustomerBinding,
    /// A promotion code or coupon mapped to an affiliate.
    PromotionCode,
    /// The buyer's email matched to an identified lead.
    LeadEmail,
}

impl Method {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientReferenceId => "client_reference_id",
            Self::CustomerMetadata => "customer_metadata",
            Self::CustomerBinding => "customer_binding",
            Self::PromotionCode => "promotion_code",
            Self::LeadEmail => "lead_email",
        }
    }
}

/// Clocks differ a little between the edge, Stripe and the origin.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// Whether a referral click at `clicked_at` still counts for a payment at `paid_at`.
pub fn within_window(clicked_at: i64, paid_at: i64, window_days: i64) -> bool {
    clicked_at <= paid_at.saturating_add(CLOCK_SKEW_MS) && paid_at.saturating_sub(clicked_at) <= window_days.saturating_mul(DAY_MS)
}

/// The span of a visitor's clicks that may compete for a payment at `paid_at` under a
/// `window_days` cookie window: exactly the clicks [`within_window`] counts.
pub fn visitor_span(paid_at: i64, window_days: i64) -> (i64, i64) {
    (paid_at.saturating_sub(window_days.saturating_mul(DAY_MS)), paid_at.saturating_add(CLOCK_SKEW_MS))
}

/// A referral click of one visitor: when, and for which affiliate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorClick {
    /// The click id.
    pub click_id: String,
    /// The affiliate its code named.
    pub affiliate_id: String,
    /// Received at the edge.
    pub received_at: i64,
}

/// The click that earns the sale under `model` among a visitor's clicks in the window before
/// `paid_at`: the earliest for first-click, the latest for last-click. `None` when none counts.
pub fn winning_click(model: AttributionModel, clicks: &[VisitorClick], paid_at: i64, window_days: i64) -> Option<&VisitorClick> {
    let counted = clicks.iter().filter(|c| within_window(c.received_at, paid_at, window_days));
    match model {
        AttributionModel::FirstClick => counted.min_by_key(|c| (c.received_at, c.click_id.as_str())),
        AttributionModel::LastClick => counted.max_by_key(|c| (c.received_at, c.click_id.as_str())),
    }
}

/// A purchase completed this soon after its click was too fast for a person.
pub const FAST_PURCHASE_MS: i64 = 10_000;
/// Purchases from one visitor (the edge's visitor hash, salted daily) within this window…
pub const REPEAT_VISITOR_WINDOW_MS: i64 = DAY_MS;
/// …that make this many or more (this one included) deserve a look.
pub const REPEAT_VISITOR_PURCHASES: i64 = 3;

/// Why a sale deserves the merchant's review before its commission is approved: `fast_purchase`
/// (completed within seconds of the click: a script, not a person) and `repeat_visitor` (one
/// visitor bought many times in a day). Flags never deny a commission.
pub fn review_flags(clicked_at: Option<i64>, completed_at: Option<i64>, earlier_visitor_purchases: i64) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if let (Some(click), Some(done)) = (clicked_at, completed_at)
        && done.saturating_sub(click) < FAST_PURCHASE_MS
    {
        flags.push("fast_purchase");
    }
    if earlier_visitor_purchases + 1 >= REPEAT_VISITOR_PURCHASES {
        flags.push("repeat_visitor");
    }
    flags
}

/// Whether an email belongs to the affiliate: compared trimmed and case-insensitively.
pub fn same_email(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// Whether a customer's payment at `paid_at` still earns commission under the campaign's
/// duration, the customer having been bound at `bound_at`. `first_payment` is whether no
/// earlier payment of this customer earned.
pub fn duration_covers(duration: Duration, months: Option<i64>, bound_at: i64, paid_at: i64, first_payment: bool) -> bool {
    match duration {
        Duration::Lifetime => true,
        Duration::OneTime => first_payment,
        Duration::Months => paid_at < add_months(bound_at, months.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_repeated_purchases_are_flagged() {
        assert_eq!(review_flags(Some(0), Some(FAST_PURCHASE_MS - 1), 0), ["fast_purchase"]);
        assert!(review_flags(Some(0), Some(FAST_PURCHASE_MS), 0).is_empty(), "ten seconds is humanly possible");
        assert!(review_flags(None, Some(5), 0).is_empty(), "no click: nothing to compare");
        assert!(review_flags(Some(0), None, 0).is_empty(), "completion unknown (a reconciled session)");
        assert_eq!(review_flags(Some(1_000), Some(0), 0), ["fast_purchase"], "completed before the click: clocks, or forged");
        assert!(review_flags(Some(0), Some(DAY_MS), REPEAT_VISITOR_PURCHASES - 2).is_empty());
        assert_eq!(review_flags(Some(0), Some(DAY_MS), REPEAT_VISITOR_PURCHASES - 1), ["repeat_visitor"]);
        assert_eq!(review_flags(Some(0), Some(1), 9), ["fast_purchase", "repeat_visitor"]);
    }

    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn click(id: &str, affiliate: &str, days_before: i64) -> VisitorClick {
        VisitorClick { click_id: id.into(), affiliate_id: affiliate.into(), received_at: T0 - days_before * DAY_MS }
    }

    #[test]
    fn the_window_is_inclusive_and_tolerates_small_skew() {
        assert!(within_window(T0 - 30 * DAY_MS, T0, 30));
        assert!(!within_window(T0 - 30 * DAY_MS - 1, T0, 30));
        assert!(within_window(T0 + 60_000, T0, 30), "edge clock a minute ahead");
        assert!(!within_window(T0 + 3_600_000, T0, 30), "a click after the payment does not count");
    }

    #[test]
    fn the_visitor_span_is_the_window() {
        let (from, to) = visitor_span(T0, 30);
        for at in [from - 1, from, T0, to, to + 1] {
            assert_eq!((from..=to).contains(&at), within_window(at, T0, 30), "a click at {at}");
        }
    }

    #[test]
    fn first_and_last_click_pick_within_the_window() {
        let clicks = [click("c_old", "a_old", 40), click("c_first", "a_first", 20), click("c_last", "a_last", 2)];
        assert_eq!(winning_click(AttributionModel::FirstClick, &clicks, T0, 30).unwrap().click_id, "c_first", "c_old is outside");
        assert_eq!(winning_click(AttributionModel::LastClick, &clicks, T0, 30).unwrap().click_id, "c_last");
        assert_eq!(winning_click(AttributionModel::FirstClick, &clicks, T0, 60).unwrap().click_id, "c_old");
        assert!(winning_click(AttributionModel::LastClick, &clicks, T0, 1).is_none());
    }

    #[test]
    fn durations() {
        assert!(duration_covers(Duration::Lifetime, None, T0, T0 + 3_000 * DAY_MS, false));
        assert!(duration_covers(Duration::OneTime, None, T0, T0, true));
        assert!(!duration_covers(Duration::OneTime, None, T0, T0 + DAY_MS, false));
        // Bound on Jan 31: three months run to Apr 30, the day clamped.
        let jan31 = add_months(T0, 0) + 30 * DAY_MS;
        assert_eq!(add_months(jan31, 1), T0 + (31 + 27) * DAY_MS, "2026-02-28");
        let apr30 = add_months(jan31, 3);
        assert!(duration_covers(Duration::Months, Some(3), jan31, apr30 - 1, false));
        assert!(!duration_covers(Duration::Months, Some(3), jan31, apr30, false));
        assert_eq!(add_months(T0, 12), T0 + 365 * DAY_MS);
        assert_eq!(add_months(T0 + 1234, -1), T0 - 31 * DAY_MS + 1234, "time of day kept");
        // Leap years: 2028-01-31 + 1 month = 2028-02-29.
        let y2028 = add_months(T0, 24) + 30 * DAY_MS;
        assert_eq!(add_months(y2028, 1) - y2028, 29 * DAY_MS);
    }

    #[test]
    fn self_referral_emails_compare_loosely() {
        assert!(same_email(" Ann@Example.COM", "ann@example.com "));
        assert!(!same_email("", ""));
        assert!(!same_email("ann@example.com", "bob@example.com"));
    }
}
