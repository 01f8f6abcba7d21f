//! Stripe objects that feed attribution without being payments: customers (their
//! `payref_ref` / `payref_click` metadata, the chain's second link), their subscriptions
//! (cancellations are recorded on the customer) and promotion codes (mapped to an affiliate by
//! their `payref_ref` metadata, the chain's fourth link). Each is kept as a snapshot ordered by
//! when Stripe sent it, so events may arrive in any order or twice.

use payref_shared::{ClickId, ReferralCode};
use serde_json::json;
use sqlx::AnyConnection;

use super::step::{Context, Step, Stop};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::discounts;
use crate::storage::stripe_customers::{self, Metadata, Subscription as SubscriptionState};
use crate::stripe::event::{Customer, Event, PromotionCode, Subscription};

/// The metadata key naming the affiliate's referral code.
pub const REF_KEY: &str = "payref_ref";
/// The metadata key naming the click.
pub const CLICK_KEY: &str = "payref_click";

/// A referral code from metadata, when it is one.
pub fn ref_code(metadata: &std::collections::HashMap<String, String>) -> Option<String> {
    metadata.get(REF_KEY).and_then(|c| ReferralCode::parse(c.trim()).ok()).map(|c| c.as_str().to_owned())
}

/// `customer.created` and `customer.updated` (and a fetched customer).
pub async fn customer_changed(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, customer: &Customer) -> Result<Step, Stop> {
    let metadata = Metadata {
        ref_code: ref_code(&customer.metadata),
        ref_click: customer.metadata.get(CLICK_KEY).and_then(|c| ClickId::parse(c.trim()).ok()).map(|c| c.to_text()),
    };
    let changed =
        stripe_customers::record_metadata(conn, cx.merchant_id, event.livemode, &customer.id, &metadata, event.created, cx.now).await?;
    Ok(Step::Done(match (changed, &metadata.ref_code) {
        (false, _) => "customer unchanged (a newer snapshot is kept)".into(),
        (true, Some(code)) => format!("customer recorded: payref_ref {code}"),
        (true, None) => "customer recorded: no payref metadata".into(),
    }))
}

/// `customer.subscription.created`, `.updated` and `.deleted`: the subscription's state on its
/// customer; a cancellation of a customer an affiliate brought goes in the audit trail.
pub async fn subscription_changed(
    conn: &mut AnyConnection,
    cx: Context<'_>,
    event: &Event,
    subscription: &Subscription,
) -> Result<Step, Stop> {
    let Some(customer) = subscription.customer.as_deref() else {
        return Ok(Step::Done("ignored: the subscription has no customer".into()));
    };
    let canceled_at = subscription.canceled_at.or(subscription.ended_at).map(|s| s.saturating_mul(1000));
    let state = SubscriptionState { id: &subscription.id, status: &subscription.status, canceled_at };
    if !stripe_customers::record_subscription(conn, cx.merchant_id, event.livemode, customer, &state, event.created, cx.now).await? {
        return Ok(Step::Done("subscription unchanged (a newer snapshot is kept)".into()));
    }
    let bound = crate::storage::customers::get(conn, cx.merchant_id, event.livemode, customer).await?;
    if let (Some(binding), Some(at)) = (bound, canceled_at) {
        let entry = Entry {
            merchant_id: cx.merchant_id,
            object_type: "customer",
            object_id: customer,
            action: "customer.subscription_canceled",
            actor: &Actor::Stripe(event.id.clone()),
            detail: json!({ "subscription": subscription.id, "status": subscription.status, "canceled_at": at, "affiliate_id": binding.affiliate_id }),
        };
        audit::record(conn, &entry, cx.now).await?;
    }
    Ok(Step::Done(format!("subscription recorded: {}", subscription.status)))
}

/// `promotion_code.created` and `.updated`: `payref_ref` maps the code to an affiliate; taking
/// it away unmaps it (a mapping the merchant made through the API stays).
pub async fn promotion_code_changed(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, promo: &PromotionCode) -> Result<Step, Stop> {
    let code = ref_code(&promo.metadata);
    if code.is_none() && discounts::source_of(conn, cx.merchant_id, event.livemode, &promo.id).await?.as_deref() == Some("api") {
        return Ok(Step::Done("promotion code unchanged (mapped through the API)".into()));
    }
    let changed = discounts::record(
        conn,
        cx.merchant_id,
        event.livemode,
        &promo.id,
        Some(&promo.code),
        code.as_deref(),
        "metadata",
        event.created,
        cx.now,
    )
    .await?;
    Ok(Step::Done(match (changed, code) {
        (false, _) => "promotion code unchanged (a newer snapshot is kept)".into(),
        (true, Some(code)) => format!("promotion code mapped to {code}"),
        (true, None) => "promotion code recorded: not mapped".into(),
    }))
}
