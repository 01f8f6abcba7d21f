//! The attribution chain: the links that may name the affiliate who brought a payment, tried
//! in order, first match wins, each with its method and evidence for the audit trail.

use payref_shared::client_reference::{self, ParsedReference};
use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::attribution::Payment;
use crate::domain::attribution::Method;
use crate::domain::lead;
use crate::storage::affiliates::{self, AffiliateRef};
use crate::storage::clicks::{self, ClickEvidence};
use crate::storage::customers::CustomerRow;
use crate::storage::stripe_customers::{self, Metadata};
use crate::storage::{StorageError, discounts, leads};

/// An affiliate found for a payment, how, and on what evidence.
#[derive(Debug, Clone)]
pub struct Found {
    /// The affiliate.
    pub affiliate: AffiliateRef,
    /// Which link matched.
    pub method: Method,
    /// The click behind it, when it was stored.
    pub click: Option<ClickEvidence>,
    /// What matched, for the audit trail.
    pub evidence: Value,
    /// Why the match deserves the merchant's look before its commission is approved.
    pub flags: Vec<&'static str>,
}

/// The flag of a link that names a click payref never stored: the code still attributes (an
/// ad blocker may have stopped the click's beacon), but anyone can make such an id up, so no
/// window, click model or fast-purchase check could run on it.
const UNKNOWN_CLICK: &str = "unknown_click";

fn unknown_click(named: Option<&str>, stored: Option<&ClickEvidence>) -> Vec<&'static str> {
    if named.is_some() && stored.is_none() { vec![UNKNOWN_CLICK] } else { Vec::new() }
}

/// Walks the chain, first match wins: `client_reference_id`, the customer's `payref_ref` /
/// `payref_click` metadata, the customer's binding, a promotion code or coupon mapped to an
/// affiliate, the buyer's email matched to a lead.
pub async fn find(
    conn: &mut AnyConnection,
    merchant_id: &str,
    lead_secret: &[u8],
    p: &Payment<'_>,
    binding: Option<&CustomerRow>,
    read: Read,
) -> Result<Option<Found>, StorageError> {
    if let Some(found) = read.reference {
        return Ok(Some(found));
    }
    if let Some(found) = by_metadata(conn, merchant_id, p, read.metadata.as_ref(), binding).await? {
        return Ok(Some(found));
    }
    if let Some(found) = by_binding(conn, merchant_id, binding).await? {
        return Ok(Some(found));
    }
    if let Some(found) = by_discount(conn, merchant_id, p).await? {
        return Ok(Some(found));
    }
    by_lead_email(conn, merchant_id, lead_secret, p).await
}

/// The links read before the chain is walked, because the caller needs them first: the
/// `client_reference_id`'s match (which nothing else can overrule) and the customer's metadata.
#[derive(Debug, Default)]
pub struct Read {
    /// What the payment's `client_reference_id` names, when it names one of the merchant's affiliates.
    pub reference: Option<Found>,
    /// The customer's `payref_ref` / `payref_click`; `None` when payref has never seen the customer.
    pub metadata: Option<Metadata>,
}

impl Read {
    /// Reads both for a payment.
    pub async fn of(conn: &mut AnyConnection, merchant_id: &str, p: &Payment<'_>) -> Result<Self, StorageError> {
        let metadata = match p.customer_id {
            Some(c) => stripe_customers::metadata(&mut *conn, merchant_id, p.livemode, c).await?,
            None => None,
        };
        Ok(Self { reference: by_reference(conn, merchant_id, p).await?, metadata })
    }
}

async fn by_metadata(
    conn: &mut AnyConnection,
    merchant_id: &str,
    p: &Payment<'_>,
    metadata: Option<&Metadata>,
    binding: Option<&CustomerRow>,
) -> Result<Option<Found>, StorageError> {
    let (Some(customer), Some(Metadata { ref_code: Some(code), ref_click })) = (p.customer_id, metadata) else {
        return Ok(None);
    };
    let Some(affiliate) = affiliates::affiliate_by_code(&mut *conn, merchant_id, code).await? else {
        return Ok(None);
    };
    if binding.is_some_and(|b| b.affiliate_id == affiliate.id) {
        // The metadata repeats the binding (payref wrote it): the binding is the evidence.
        return Ok(None);
    }
    let click = match ref_click {
        Some(id) => clicks::evidence(conn, merchant_id, id).await?,
        None => None,
    };
    let evidence = json!({ "customer": customer, "payref_ref": code, "payref_click": ref_click });
    let flags = unknown_click(ref_click.as_deref(), click.as_ref());
    Ok(Some(Found { affiliate, method: Method::CustomerMetadata, click, evidence, flags }))
}

async fn by_discount(conn: &mut AnyConnection, merchant_id: &str, p: &Payment<'_>) -> Result<Option<Found>, StorageError> {
    for stripe_id in &p.discounts {
        let Some(code) = discounts::ref_code_of(conn, merchant_id, p.livemode, stripe_id).await? else {
            continue;
        };
        if let Some(affiliate) = affiliates::affiliate_by_code(&mut *conn, merchant_id, &code).await? {
            let kind = if stripe_id.starts_with("promo_") { "promotion_code" } else { "coupon" };
            let evidence = json!({ kind: stripe_id, "code": code });
            return Ok(Some(Found { affiliate, method: Method::PromotionCode, click: None, evidence, flags: Vec::new() }));
        }
    }
    Ok(None)
}

async fn by_reference(conn: &mut AnyConnection, merchant_id: &str, p: &Payment<'_>) -> Result<Option<Found>, StorageError> {
    let Some(reference) = p.client_reference_id else {
        return Ok(None);
    };
    let (code, click_id) = match client_reference::parse(reference) {
        Ok(ParsedReference::Tracked(r)) => (r.code, Some(r.click_id.to_text())),
        // A bare code counts only when it names one of this merchant's affiliates.
        Ok(ParsedReference::CandidateCode(code)) => (code, None),
        Err(_) => return Ok(None),
    };
    let Some(affiliate) = affiliates::affiliate_by_code(&mut *conn, merchant_id, code.as_str()).await? else {
        return Ok(None);
    };
    // The click counts only when the beacon reached us (an ad blocker may have stopped it).
    let click = match &click_id {
        Some(id) => clicks::evidence(conn, merchant_id, id).await?,
        None => None,
    };
    let evidence = json!({ "client_reference_id": reference, "code": code.as_str(), "click_id": click_id });
    let flags = unknown_click(click_id.as_deref(), click.as_ref());
    Ok(Some(Found { affiliate, method: Method::ClientReferenceId, click, evidence, flags }))
}

async fn by_binding(conn: &mut AnyConnection, merchant_id: &str, binding: Option<&CustomerRow>) -> Result<Option<Found>, StorageError> {
    let Some(binding) = binding else {
        return Ok(None);
    };
    let affiliate = affiliates::affiliate_ref(&mut *conn, merchant_id, &binding.affiliate_id).await?;
    let evidence = json!({
        "customer": binding.stripe_customer_id,
        "bound_by": binding.method,
        "bound_at": binding.created_at,
        "bound_from": binding.source_object_id,
    });
    Ok(affiliate.map(|affiliate| Found { affiliate, method: Method::CustomerBinding, click: None, evidence, flags: Vec::new() }))
}

async fn by_lead_email(
    conn: &mut AnyConnection,
    merchant_id: &str,
    lead_secret: &[u8],
    p: &Payment<'_>,
) -> Result<Option<Found>, StorageError> {
    let Some(email) = p.email.filter(|e| e.contains('@')) else {
        return Ok(None);
    };
    let key = lead::email_key(lead_secret, &lead::email_sha256(email));
    let Some(lead) = leads::latest_click(conn, merchant_id, &key).await? else {
        return Ok(None);
    };
    let Some(click) = clicks::evidence(conn, merchant_id, &lead.click_id).await? else {
        return Ok(None);
    };
    let Some(affiliate_id) = click.affiliate_id.clone() else {
        return Ok(None);
    };
    let affiliate = affiliates::affiliate_ref(&mut *conn, merchant_id, &affiliate_id).await?;
    // The email itself is never kept: the evidence is the lead's click.
    let evidence = json!({ "lead_click_id": click.click_id });
    let flags = lead::lead_review_flags(lead.visitor.as_deref(), click.visitor.as_deref(), lead.visitor_emails);
    Ok(affiliate.map(|affiliate| Found { affiliate, method: Method::LeadEmail, click: Some(click), evidence, flags }))
}
