//! Commission arithmetic (integer minor units, rounded half away from zero) and the
//! commission lifecycle: pending → approved → paid, or denied; held ones approve themselves.

use super::FieldError;
use super::campaign::Approval;

/// Basis points in one whole (100%).
pub const BPS_WHOLE: i64 = 10_000;

/// `amount × rate_bps / 10 000`, rounded half away from zero at the minor unit.
/// Computed in i128 so no realistic amount overflows.
pub fn percent_of(amount: i64, rate_bps: i64) -> i64 {
    let product = i128::from(amount) * i128::from(rate_bps);
    let whole = i128::from(BPS_WHOLE);
    let (q, r) = (product / whole, product % whole);
    let rounded = if 2 * r.abs() >= whole { q + product.signum() } else { q };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// What a payment counts for commission: what was paid, less tax and shipping.
pub fn commissionable(amount_total: i64, tax: i64, shipping: i64) -> i64 {
    (amount_total - tax - shipping).max(0)
}

/// What a commission comes to once `refunded` of the `paid` amount went back to the buyer:
/// the original commission scaled by what remains paid, rounded half away from zero. Refunds
/// beyond the payment count as the whole payment.
pub fn after_refund(original: i64, paid: i64, refunded: i64) -> i64 {
    if paid <= 0 {
        return original;
    }
    let kept = i128::from((paid - refunded.clamp(0, paid)).max(0));
    let product = i128::from(original) * kept;
    let whole = i128::from(paid);
    let (q, r) = (product / whole, product % whole);
    let rounded = if 2 * r.abs() >= whole { q + product.signum() } else { q };
    i64::try_from(rounded).unwrap_or(original)
}

wire_enum!(
    /// What became of a conversion's payment.
    #[oai(rename = "ConversionStatus")]
    PaymentStatus {
        /// Paid, nothing refunded.
        Paid = "paid",
        /// Part of it refunded.
        PartiallyRefunded = "partially_refunded",
        /// Refunded in full.
        Refunded = "refunded",
        /// The buyer disputed the charge.
        Disputed = "disputed",
    }
);

/// What refunds of `refunded` in all did to a payment of `paid`.
pub fn payment_status(paid: i64, refunded: i64) -> PaymentStatus {
    match refunded {
        r if r <= 0 => PaymentStatus::Paid,
        r if r >= paid => PaymentStatus::Refunded,
        _ => PaymentStatus::PartiallyRefunded,
    }
}

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

wire_enum!(
    /// Where a commission stands.
    CommissionStatus {
        /// Earned, awaiting approval (or the end of its hold).
        Pending = "pending",
        /// Owed to the affiliate.
        Approved = "approved",
        /// Paid out.
        Paid = "paid",
        /// Refused by the merchant or by a rule, with the reason.
        Denied = "denied",
        /// Taken back (a refund or dispute before payout).
        Reversed = "reversed",
    }
);

wire_enum!(
    /// What a merchant can do to a commission.
    CommissionAction {
        /// pending → approved.
        Approve = "approve",
        /// pending or approved → denied, with a reason.
        Deny = "deny",
        /// approved → paid.
        MarkPaid = "mark_paid",
    }
);

/// A free-text note (a reason, a payout reference): trimmed, 1–`max` characters without
/// control characters; `None` when absent and not `required`.
pub fn check_note(field: &'static str, value: Option<&str>, max: usize, required: bool) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None if required => Err(FieldError::new(field, format!("{field} is required"))),
        None => Ok(None),
        Some(v) if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(FieldError::new(field, format!("{field} must be 1 to {max} characters, without control characters")))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// The reason and payout reference an action takes: a deny needs a reason (≤ 500), only
/// `mark_paid` takes a payout reference (≤ 200).
pub fn action_notes(
    kind: CommissionAction,
    reason: Option<&str>,
    payout_reference: Option<&str>,
) -> Result<(Option<String>, Option<String>), FieldError> {
    let reason = check_note("reason", reason, 500, kind == CommissionAction::Deny)?;
    let payout_reference = check_note("payout_reference", payout_reference, 200, false)?;
    if reason.is_some() && kind != CommissionAction::Deny {
        return Err(FieldError::new("reason", "reason applies only to deny"));
    }
    if payout_reference.is_some() && kind != CommissionAction::MarkPaid {
        return Err(FieldError::new("payout_reference", "payout_reference applies only to mark_paid"));
    }
    Ok((reason, payout_reference))
}

impl CommissionAction {
    /// The statuses the action applies to.
    pub fn applies_to(self) -> &'static [CommissionStatus] {
        match self {
            Self::Approve => &[CommissionStatus::Pending],
            Self::Deny => &[CommissionStatus::Pending, CommissionStatus::Approved],
            Self::MarkPaid => &[CommissionStatus::Approved],
        }
    }

    /// The status it leads to.
    pub fn leads_to(self) -> CommissionStatus {
        match self {
            Self::Approve => CommissionStatus::Approved,
            Self::Deny => CommissionStatus::Denied,
            Self::MarkPaid => CommissionStatus::Paid,
        }
    }

    /// Why a commission in `from` cannot take this action, for the caller.
    pub fn refusal(self, from: CommissionStatus) -> String {
        let allowed: Vec<&str> = self.applies_to().iter().map(|s| s.as_str()).collect();
        format!("cannot {} a {} commission (only {})", self.as_str().replace('_', " "), from.as_str(), allowed.join(" or "))
    }
}

/// The status a new commission starts in under the campaign's approval rule, and the moment
/// a held one approves itself.
pub fn initial_status(approval: Approval, hold_days: Option<i64>, now: i64) -> (CommissionStatus, Option<i64>) {
    match approval {
        Approval::Auto => (CommissionStatus::Approved, None),
        Approval::Manual => (CommissionStatus::Pending, None),
        Approval::Hold => (CommissionStatus::Pending, Some(now.saturating_add(hold_days.unwrap_or(0).saturating_mul(DAY_MS)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_scale_the_commission_and_round_half_away_from_zero() {
        assert_eq!(after_refund(1_470, 5_300, 0), 1_470);
        assert_eq!(after_refund(1_470, 5_300, 5_300), 0);
        assert_eq!(after_refund(1_470, 5_300, 9_999), 0, "capped at the payment");
        assert_eq!(after_refund(1_000, 3, 1), 667, "666.67 rounds up");
        assert_eq!(after_refund(1_001, 2, 1), 501, "500.5 rounds away from zero");
        assert_eq!(after_refund(500, 0, 0), 500, "nothing paid: nothing to scale");
        assert_eq!(payment_status(100, 0), PaymentStatus::Paid);
        assert_eq!(payment_status(100, 40).as_str(), "partially_refunded");
        assert_eq!(payment_status(100, 100), PaymentStatus::Refunded);
    }

    #[test]
    fn actions_follow_the_lifecycle() {
        use CommissionStatus::*;
        assert_eq!(CommissionAction::Approve.applies_to(), &[Pending]);
        assert!(!CommissionAction::MarkPaid.applies_to().contains(&Pending), "unapproved money is never paid");
        assert!(!CommissionAction::Deny.applies_to().contains(&Paid), "paid money is adjusted, not denied");
        assert_eq!(CommissionAction::MarkPaid.refusal(Pending), "cannot mark paid a pending commission (only approved)");
        for a in [CommissionAction::Approve, CommissionAction::Deny, CommissionAction::MarkPaid] {
            assert_eq!(CommissionAction::parse(a.as_str()), Some(a));
            assert!(!a.applies_to().contains(&a.leads_to()), "{a:?} is not a no-op");
        }
    }

    #[test]
    fn approval_decides_the_first_status() {
        assert_eq!(initial_status(Approval::Auto, None, 5), (CommissionStatus::Approved, None));
        assert_eq!(initial_status(Approval::Manual, Some(3), 5), (CommissionStatus::Pending, None));
        assert_eq!(initial_status(Approval::Hold, Some(30), 5), (CommissionStatus::Pending, Some(5 + 30 * DAY_MS)));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(percent_of(4900, 3000), 1470);
        assert_eq!(percent_of(5, 1000), 1); // 0.5 → 1
        assert_eq!(percent_of(4, 1000), 0); // 0.4 → 0
        assert_eq!(percent_of(-5, 1000), -1); // -0.5 → -1
        assert_eq!(percent_of(15, 1000), 2); // 1.5 → 2
        assert_eq!(percent_of(i64::MAX, BPS_WHOLE), i64::MAX);
    }

    #[test]
    fn tax_and_shipping_are_not_commissionable() {
        assert_eq!(commissionable(12_000, 1_500, 500), 10_000);
        assert_eq!(commissionable(100, 200, 0), 0);
    }
}
