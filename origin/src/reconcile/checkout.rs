//! `checkout.session.completed` → attributed conversion with its commission.
//!
//! Runs inside the transaction that stored the raw event, so a redelivered event (already
//! stored) never records a second conversion, and a failure stores neither.

use payref_shared::client_reference::{self, ParsedReference};
use sqlx::AnyConnection;

use serde_json::json;

use crate::domain::campaign::CommissionType;
use crate::domain::commission::{commissionable, initial_status};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::{StorageError, affiliates, campaigns, clicks, conversions};
use crate::stripe::event::CheckoutSession;

/// What processing a session came to, for the log and the webhook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A conversion was recorded for this affiliate.
    Attributed { affiliate_id: String, commission: i64 },
    /// The session was already recorded.
    AlreadyRecorded,
    /// Nothing to record, and why.
    NotAttributed(&'static str),
}

/// Records the session's conversion when it names an affiliate of this merchant.
pub async fn record_session(
    conn: &mut AnyConnection,
    merchant_id: &str,
    event_id: &str,
    session: &CheckoutSession,
    now: i64,
) -> Result<Outcome, StorageError> {
    if session.payment_status == "unpaid" {
        // Delayed payment methods: the money has not arrived; async_payment_succeeded follows.
        return Ok(Outcome::NotAttributed("payment not completed"));
    }
    let Some(reference) = session.client_reference_id.as_deref() else {
        return Ok(Outcome::NotAttributed("no client_reference_id"));
    };
    let (code, click_id) = match client_reference::parse(reference) {
        Ok(ParsedReference::Tracked(r)) => (r.code, Some(r.click_id.to_text())),
        // A bare code counts only when it names one of this merchant's affiliates (below).
        Ok(ParsedReference::CandidateCode(code)) => (code, None),
        Err(_) => {
            return Ok(Outcome::NotAttributed("client_reference_id is not a referral"));
        }
    };
    let Some(affiliate) = affiliates::affiliate_by_code(&mut *conn, merchant_id, code.as_str()).await? else {
        return Ok(Outcome::NotAttributed("no affiliate with this code"));
    };
    if affiliate.status != "active" {
        return Ok(Outcome::NotAttributed("affiliate is not active"));
    }
    let (Some(total), Some(currency)) = (session.amount_total, session.currency.clone()) else {
        return Ok(Outcome::NotAttributed("session has no amount"));
    };
    // Link the click only when we stored it (an ad blocker may have stopped the beacon).
    let click_id = match click_id {
        Some(id) if clicks::click_exists(conn, merchant_id, &id).await? => Some(id),
        _ => None,
    };
    let Some(campaign) = campaigns::get(&mut *conn, merchant_id, &affiliate.campaign_id).await? else {
        return Err(StorageError::Corrupt(format!("affiliate {} has no campaign {}", affiliate.id, affiliate.campaign_id)));
    };
    let rules = campaign.rules;
    let (tax, shipping) = session.tax_and_shipping();
    let amount = commissionable(total, tax, shipping);
    if amount == 0 && rules.skip_zero_revenue {
        return Ok(Outcome::NotAttributed("zero revenue (the campaign skips it)"));
    }
    let currency = currency.to_ascii_lowercase();
    let commission = rules.commission(amount, &currency, affiliate.commission_bps_override);
    let rate_bps = match (affiliate.commission_bps_override, rules.commission_type) {
        (Some(bps), _) => bps,
        (None, CommissionType::Percent) => rules.commission_bps.unwrap_or(0),
        (None, CommissionType::Flat) => 0,
    };
    let (commission_status, hold_until) = initial_status(rules.approval, rules.hold_days, now);
    let new = conversions::NewConversion {
        merchant_id: merchant_id.to_owned(),
        livemode: session.livemode,
        stripe_object_id: session.id.clone(),
        affiliate_id: affiliate.id.clone(),
        click_id,
        attribution_method: "client_reference_id",
        amount,
        currency,
        rate_bps,
        commission,
        commission_status,
        hold_until,
    };
    let Some(recorded) = conversions::insert_conversion(conn, &new, now).await? else {
        return Ok(Outcome::AlreadyRecorded);
    };
    let entry = Entry {
        merchant_id,
        object_type: "conversion",
        object_id: &recorded.conversion_id,
        action: "conversion.attributed",
        actor: &Actor::Stripe(event_id.to_owned()),
        detail: json!({
            "method": new.attribution_method,
            "evidence": { "client_reference_id": reference, "click_id": new.click_id, "code": code.as_str() },
            "stripe_object_id": session.id,
            "affiliate_id": affiliate.id,
            "campaign_id": campaign.id,
            "amount": new.amount,
            "currency": new.currency,
            "commission_id": recorded.commission_id,
            "commission": commission,
            "commission_status": commission_status.as_str(),
            "hold_until": hold_until,
        }),
    };
    audit::record(conn, &entry, now).await?;
    Ok(Outcome::Attributed { affiliate_id: affiliate.id, commission })
}
