//! Affiliates: status, and the rules for the fields a person or a request gives (the API and
//! the dashboard check them here, once).

use payref_shared::ReferralCode;

use super::FieldError;
use super::commission::BPS_WHOLE;

wire_enum!(
    /// Whether an affiliate earns commissions.
    #[oai(rename = "Status")]
    AffiliateStatus {
        /// Earns commissions.
        Active = "active",
        /// Temporarily earns nothing; keeps history.
        Paused = "paused",
        /// Excluded for good; keeps history.
        Banned = "banned",
    }
);

/// A plausible email address: one `@` with text on both sides, a dot in the domain, no
/// whitespace, at most 254 characters. Deliverability is the mail system's business.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

/// Lowercased and trimmed, as payref compares and hashes addresses.
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A new affiliate, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAffiliate {
    /// Campaign (its being the merchant's is checked against storage).
    pub campaign_id: String,
    /// Referral code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Contact email, normalised.
    pub email: Option<String>,
    /// Payout email, normalised.
    pub payout_email: Option<String>,
    /// Rate override, basis points.
    pub commission_bps_override: Option<i64>,
}

/// What is given to create an affiliate, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct AffiliateFields<'a> {
    /// Required: `[A-Za-z0-9_-]`, 1–64.
    pub code: Option<&'a str>,
    /// Required: 1–200 characters.
    pub name: Option<&'a str>,
    /// Required.
    pub campaign_id: Option<&'a str>,
    /// Contact email.
    pub email: Option<&'a str>,
    /// Where payouts go.
    pub payout_email: Option<&'a str>,
    /// Rate overriding the campaign's, basis points.
    pub commission_bps: Option<i64>,
}

fn required<'a>(field: &'static str, value: Option<&'a str>) -> Result<&'a str, FieldError> {
    value.ok_or_else(|| FieldError::new(field, format!("{field} is required")))
}

/// A display name: trimmed, 1–200 characters.
pub fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(FieldError::new("name", "name must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// An optional email, normalised.
pub fn check_email(field: &'static str, email: Option<&str>) -> Result<Option<String>, FieldError> {
    match email {
        None => Ok(None),
        Some(e) if is_plausible_email(e.trim()) => Ok(Some(normalise_email(e))),
        Some(_) => Err(FieldError::new(field, format!("{field} is not an email address"))),
    }
}

/// An optional rate override, 0–10,000 basis points.
pub fn check_rate(bps: Option<i64>) -> Result<Option<i64>, FieldError> {
    match bps {
        Some(b) if !(0..=BPS_WHOLE).contains(&b) => {
            Err(FieldError::new("commission_bps", format!("commission_bps must be between 0 and {BPS_WHOLE}")))
        }
        other => Ok(other),
    }
}

/// A new affiliate from what was given, or the first field that is not right.
pub fn check_new(given: &AffiliateFields<'_>) -> Result<NewAffiliate, FieldError> {
    let code = required("code", given.code)?;
    let code = ReferralCode::parse(code.trim()).map_err(|e| FieldError::new("code", format!("code is invalid: {e}")))?;
    Ok(NewAffiliate {
        code: code.into(),
        name: check_name(required("name", given.name)?)?,
        email: check_email("email", given.email)?,
        payout_email: check_email("payout_email", given.payout_email)?,
        commission_bps_override: check_rate(given.commission_bps)?,
        campaign_id: required("campaign_id", given.campaign_id)?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_affiliate_names_the_first_field_that_is_not_right() {
        let good = AffiliateFields {
            code: Some(" ann_1 "),
            name: Some(" Ann "),
            campaign_id: Some("cmp_1"),
            email: Some("Ann@Example.com"),
            ..AffiliateFields::default()
        };
        let new = check_new(&good).expect("valid");
        assert_eq!((new.code.as_str(), new.name.as_str(), new.email.as_deref()), ("ann_1", "Ann", Some("ann@example.com")));
        let field = |f: AffiliateFields<'_>| check_new(&f).map_err(|e| (e.field, e.message));
        assert_eq!(field(AffiliateFields { code: None, ..good }), Err(("code", "code is required".into())));
        assert_eq!(field(AffiliateFields { code: Some("a b"), ..good }).map_err(|e| e.0), Err("code"));
        assert_eq!(field(AffiliateFields { name: Some("  "), ..good }), Err(("name", "name must be 1 to 200 characters".into())));
        assert_eq!(field(AffiliateFields { payout_email: Some("nope"), ..good }).map_err(|e| e.0), Err("payout_email"));
        assert_eq!(field(AffiliateFields { commission_bps: Some(10_001), ..good }).map_err(|e| e.0), Err("commission_bps"));
        assert_eq!(field(AffiliateFields { campaign_id: None, ..good }).map_err(|e| e.0), Err("campaign_id"));
    }

    #[test]
    fn status_round_trips() {
        for s in [AffiliateStatus::Active, AffiliateStatus::Paused, AffiliateStatus::Banned] {
            assert_eq!(AffiliateStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AffiliateStatus::parse("deleted"), None);
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("ann@example.com"));
        for bad in ["", "ann", "@example.com", "ann@", "ann@example", "a n@example.com", "ann@@example.com", "ann@.com"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        assert_eq!(normalise_email("  Ann@Example.COM "), "ann@example.com");
    }
}
