//! Records an attribution decision: the customer's binding, the metadata write-back, the
//! conversion with its commission, each with its audit entry. Writes only: what to write was
//! decided by `domain/attribution/decide.rs`.

use serde_json::json;
use sqlx::AnyConnection;

use super::Outcome;
use crate::domain::attribution::{Credit, Earning, Payment, Sale};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::customers::{self, NewBinding};
use crate::storage::{StorageError, conversions, stripe_customers};

/// Records what `credit` says about payment `p`.
pub async fn credit(
    conn: &mut AnyConnection,
    merchant_id: &str,
    p: &Payment<'_>,
    credit: &Credit,
    now: i64,
) -> Result<Outcome, StorageError> {
    let affiliate = &credit.affiliate;
    let click_id = credit.click.as_ref().map(|c| c.click_id.as_str());
    if let (Some(customer), true) = (p.customer_id, credit.bind_customer) {
        bind(conn, merchant_id, p, credit, customer, now).await?;
    }
    // The customer carries the match from now on (renewals, later purchases, other systems).
    if let (Some(customer), true) = (p.customer_id, credit.write_metadata) {
        stripe_customers::queue_write(conn, merchant_id, p.livemode, customer, &affiliate.code, click_id, now).await?;
    }
    match &credit.sale {
        Sale::BindsOnly => Ok(Outcome::Bound { affiliate_id: affiliate.id.clone() }),
        Sale::Skipped(why) => Ok(Outcome::NotAttributed(why.clone())),
        Sale::Earns(earning) => conversion(conn, merchant_id, p, credit, earning, now).await,
    }
}

async fn bind(
    conn: &mut AnyConnection,
    merchant_id: &str,
    p: &Payment<'_>,
    credit: &Credit,
    customer: &str,
    now: i64,
) -> Result<(), StorageError> {
    let new = NewBinding {
        merchant_id,
        livemode: p.livemode,
        customer_id: customer,
        affiliate_id: &credit.affiliate.id,
        method: credit.method.as_str(),
        click_id: credit.click.as_ref().map(|c| c.click_id.as_str()),
        source_object_id: p.stripe_object_id,
    };
    if customers::bind(conn, &new, now).await? {
        let detail = json!({
            "affiliate_id": credit.affiliate.id,
            "method": credit.method.as_str(),
            "evidence": credit.evidence,
            "stripe_object_id": p.stripe_object_id,
        });
        let actor = Actor::Stripe(p.event_id.to_owned());
        let entry = Entry { merchant_id, object_type: "customer", object_id: customer, action: "customer.bound", actor: &actor, detail };
        audit::record(conn, &entry, now).await?;
    }
    Ok(())
}

async fn conversion(
    conn: &mut AnyConnection,
    merchant_id: &str,
    p: &Payment<'_>,
    credit: &Credit,
    e: &Earning,
    now: i64,
) -> Result<Outcome, StorageError> {
    let affiliate = &credit.affiliate;
    let new = conversions::NewConversion {
        merchant_id: merchant_id.to_owned(),
        livemode: p.livemode,
        stripe_object_id: p.stripe_object_id.to_owned(),
        affiliate_id: affiliate.id.clone(),
        click_id: credit.click.as_ref().map(|c| c.click_id.clone()),
        attribution_method: credit.method.as_str(),
        amount: p.commissionable,
        amount_paid: p.amount_paid,
        currency: p.currency.to_owned(),
        customer_id: p.customer_id.map(str::to_owned),
        payment_intent_id: p.payment_intent_id.map(str::to_owned),
        rate_bps: e.rate_bps,
        commission: e.commission,
        commission_status: e.status,
        hold_until: e.hold_until,
        commission_reason: e.reason.clone(),
        review_flags: (!e.flags.is_empty()).then(|| e.flags.join(",")),
    };
    let Some(recorded) = conversions::insert_conversion(conn, &new, now).await? else {
        return Ok(Outcome::AlreadyRecorded);
    };
    let detail = json!({
        "method": new.attribution_method,
        "evidence": credit.evidence,
        "stripe_object_id": p.stripe_object_id,
        "affiliate_id": affiliate.id,
        "campaign_id": affiliate.campaign_id,
        "amount": new.amount,
        "currency": new.currency,
        "commission_id": recorded.commission_id,
        "commission": e.commission,
        "commission_status": e.status.as_str(),
        "commission_reason": e.reason,
        "hold_until": e.hold_until,
        "review_flags": e.flags,
    });
    let actor = Actor::Stripe(p.event_id.to_owned());
    let entry = Entry {
        merchant_id,
        object_type: "conversion",
        object_id: &recorded.conversion_id,
        action: "conversion.attributed",
        actor: &actor,
        detail,
    };
    audit::record(conn, &entry, now).await?;
    Ok(Outcome::Attributed { affiliate_id: affiliate.id.clone(), commission: e.commission })
}
