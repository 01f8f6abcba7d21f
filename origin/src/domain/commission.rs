//! Commission arithmetic: integer minor units, rounded half away from zero.

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

#[cfg(test)]
mod tests {
    use super::*;

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
