//! Campaign rules: how much a sale earns, for how long, and when it is approved.

use std::collections::BTreeMap;

use super::commission::{BPS_WHOLE, percent_of};

/// Amounts per currency (lowercase ISO 4217 → minor units).
pub type CurrencyAmounts = BTreeMap<String, i64>;

wire_enum!(
    /// Percent of the sale or a flat amount per currency.
    CommissionType { Percent = "percent", Flat = "flat" }
);
wire_enum!(
    /// Which payments of a customer earn commission.
    Duration { OneTime = "one_time", Months = "months", Lifetime = "lifetime" }
);
wire_enum!(
    /// Which click wins when a visitor came through several affiliates.
    AttributionModel { FirstClick = "first_click", LastClick = "last_click" }
);
wire_enum!(
    /// How a commission becomes approved.
    Approval { Auto = "auto", Manual = "manual", Hold = "hold" }
);

/// Every rule of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRules {
    /// Display name.
    pub name: String,
    /// Percent or flat.
    pub commission_type: CommissionType,
    /// Rate for percent campaigns, basis points.
    pub commission_bps: Option<i64>,
    /// Amounts for flat campaigns.
    pub flat_amounts: CurrencyAmounts,
    /// Which payments earn.
    pub duration: Duration,
    /// Months, for `Duration::Months`.
    pub duration_months: Option<i64>,
    /// Days a referral stays valid.
    pub cookie_window_days: i64,
    /// First or last click.
    pub attribution_model: AttributionModel,
    /// How commissions are approved.
    pub approval: Approval,
    /// Days of hold, for `Approval::Hold`.
    pub hold_days: Option<i64>,
    /// Zero-revenue payments (trials) earn nothing and are not recorded.
    pub skip_zero_revenue: bool,
    /// Smallest payout per currency.
    pub min_payouts: CurrencyAmounts,
}

impl CampaignRules {
    /// A percentage campaign with the defaults: lifetime, 60-day window, last click, manual
    /// approval, zero-revenue payments skipped.
    pub fn percent(name: &str, bps: i64) -> Self {
        Self {
            name: name.to_owned(),
            commission_type: CommissionType::Percent,
            commission_bps: Some(bps),
            flat_amounts: CurrencyAmounts::new(),
            duration: Duration::Lifetime,
            duration_months: None,
            cookie_window_days: 60,
            attribution_model: AttributionModel::LastClick,
            approval: Approval::Manual,
            hold_days: None,
            skip_zero_revenue: true,
            min_payouts: CurrencyAmounts::new(),
        }
    }

    /// Checks the rules hang together; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let name_len = self.name.trim().chars().count();
        if name_len == 0 || name_len > 200 {
            return Err("name must be 1 to 200 characters".into());
        }
        match self.commission_type {
            CommissionType::Percent => match self.commission_bps {
                Some(b) if (0..=BPS_WHOLE).contains(&b) => {}
                _ => {
                    return Err(format!("commission_bps is required for percent campaigns, 0 to {BPS_WHOLE}"));
                }
            },
            CommissionType::Flat if self.flat_amounts.is_empty() => {
                return Err("flat_amounts needs at least one currency for flat campaigns".into());
            }
            CommissionType::Flat => {}
        }
        check_amounts("flat_amounts", &self.flat_amounts)?;
        check_amounts("min_payouts", &self.min_payouts)?;
        if self.duration == Duration::Months && !matches!(self.duration_months, Some(1..=120)) {
            return Err("duration_months must be 1 to 120 when duration is months".into());
        }
        if self.approval == Approval::Hold && !matches!(self.hold_days, Some(1..=365)) {
            return Err("hold_days must be 1 to 365 when approval is hold".into());
        }
        if !(1..=365).contains(&self.cookie_window_days) {
            return Err("cookie_window_days must be 1 to 365".into());
        }
        Ok(())
    }

    /// The rate a commission is recorded at, in basis points: the affiliate's own, else the
    /// campaign's percentage; 0 for a flat commission.
    pub fn rate_bps(&self, override_bps: Option<i64>) -> i64 {
        match (override_bps, self.commission_type) {
            (Some(bps), _) => bps,
            (None, CommissionType::Percent) => self.commission_bps.unwrap_or(0),
            (None, CommissionType::Flat) => 0,
        }
    }

    /// The commission on `amount` in `currency`; an affiliate's rate override turns any
    /// campaign into a percentage at that rate. A flat campaign pays nothing in a currency it
    /// has no amount for.
    pub fn commission(&self, amount: i64, currency: &str, override_bps: Option<i64>) -> i64 {
        match (override_bps, self.commission_type) {
            (None, CommissionType::Flat) => self.flat_amounts.get(currency).copied().unwrap_or(0),
            _ => percent_of(amount, self.rate_bps(override_bps)),
        }
    }
}

/// Currency codes are three lowercase letters; amounts are not negative.
fn check_amounts(field: &str, amounts: &CurrencyAmounts) -> Result<(), String> {
    for (currency, amount) in amounts {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!("{field}: {currency:?} is not a lowercase ISO 4217 currency"));
        }
        if *amount < 0 {
            return Err(format!("{field}: the {currency} amount is negative"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_flat_and_override() {
        let p = CampaignRules::percent("P", 3000);
        assert_eq!(p.commission(4900, "usd", None), 1470);
        assert_eq!(p.commission(4900, "usd", Some(1000)), 490);
        let f = CampaignRules {
            commission_type: CommissionType::Flat,
            commission_bps: None,
            flat_amounts: [("usd".to_owned(), 500)].into(),
            ..p
        };
        assert_eq!(f.commission(4900, "usd", None), 500);
        assert_eq!(f.commission(4900, "eur", None), 0, "no amount in this currency");
    }

    #[test]
    fn validation_names_the_field() {
        let ok = CampaignRules::percent("P", 3000);
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (CampaignRules { commission_bps: Some(10_001), ..ok.clone() }, "commission_bps"),
            (CampaignRules { commission_type: CommissionType::Flat, ..ok.clone() }, "flat_amounts"),
            (CampaignRules { duration: Duration::Months, ..ok.clone() }, "duration_months"),
            (CampaignRules { approval: Approval::Hold, hold_days: Some(0), ..ok.clone() }, "hold_days"),
            (CampaignRules { cookie_window_days: 0, ..ok.clone() }, "cookie_window_days"),
            (CampaignRules { min_payouts: [("USD".to_owned(), 1)].into(), ..ok.clone() }, "min_payouts"),
            (CampaignRules { name: " ".into(), ..ok.clone() }, "name"),
        ];
        for (rules, field) in cases {
            let err = rules.validate().unwrap_err();
            assert!(err.contains(field), "{err} should name {field}");
        }
    }

    #[test]
    fn wire_forms_round_trip() {
        for a in [Approval::Auto, Approval::Manual, Approval::Hold] {
            assert_eq!(Approval::parse(a.as_str()), Some(a));
        }
        assert_eq!(Duration::parse("forever"), None);
    }
}
