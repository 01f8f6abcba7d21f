//! Reads what attribution decides on (`domain::attribution::Facts`): every link of the chain
//! that names a known affiliate, the customer's binding and metadata, the affiliates and
//! campaigns they name, and the visitors behind their clicks. Reads only: which link wins and
//! what follows is `domain/attribution/decide.rs`.

use std::collections::{BTreeMap, BTreeSet};

use payref_shared::client_reference::{self, ParsedReference};
use serde_json::json;
use sqlx::AnyConnection;

use crate::domain::attribution::{
    Affiliate, Binding, Facts, Lead, Link, Links, Metadata, Payment, REPEAT_VISITOR_WINDOW_MS, Visitor, VisitorClick, visitor_span,
};
use crate::domain::campaign::CampaignRules;
use crate::domain::lead;
use crate::storage::{StorageError, affiliates, campaigns, clicks, conversions, customers, discounts, leads, stripe_customers};

/// Reads the facts about one payment.
pub async fn facts<'p>(
    conn: &mut AnyConnection,
    merchant_id: &str,
    lead_secret: &[u8],
    p: &'p Payment<'p>,
    now: i64,
) -> Result<Facts<'p>, StorageError> {
    let mut known = Known { merchant_id, affiliates: BTreeMap::new(), campaigns: BTreeMap::new() };
    let (binding, metadata) = match p.customer_id {
        Some(c) => {
            (customers::get(conn, merchant_id, p.livemode, c).await?, stripe_customers::metadata(conn, merchant_id, p.livemode, c).await?)
        }
        None => (None, None),
    };
    let binding = binding.map(|b| Binding {
        evidence: json!({
            "customer": b.id,
            "bound_by": b.method,
            "bound_at": b.created_at,
            "bound_from": b.source_object_id,
        }),
        affiliate_id: b.affiliate_id,
        bound_at: b.created_at,
    });
    let bound_to = match &binding {
        Some(b) => known.by_id(conn, &b.affiliate_id).await?.then_some(b.affiliate_id.as_str()),
        None => None,
    };
    // The links in the chain's order, read only until they settle it (most payments: the
    // `client_reference_id` alone).
    let mut links = Links { reference: by_reference(conn, &mut known, p).await?, ..Links::default() };
    if links.reference.is_none() {
        links.metadata = by_metadata(conn, &mut known, p, metadata.as_ref()).await?;
        if !links.settled(bound_to) {
            links.discount = by_discount(conn, &mut known, p).await?;
        }
        if !links.settled(bound_to) {
            links.lead = by_lead_email(conn, &mut known, lead_secret, p).await?;
        }
    }
    let first_payment = match (p.customer_id, bound_to) {
        (Some(customer), Some(_)) => !conversions::customer_has_converted(conn, merchant_id, p.livemode, customer).await?,
        _ => true,
    };
    let visitors = visitors(conn, &mut known, p, &links, now).await?;
    let Known { affiliates, campaigns, .. } = known;
    Ok(Facts { payment: p, links, binding, first_payment, metadata, affiliates, campaigns, visitors, now })
}

/// The affiliates read so far, and their campaigns' rules.
struct Known<'m> {
    merchant_id: &'m str,
    affiliates: BTreeMap<String, Affiliate>,
    campaigns: BTreeMap<String, CampaignRules>,
}

impl Known<'_> {
    /// Keeps an affiliate and reads its campaign; its id, when there is one.
    async fn keep(&mut self, conn: &mut AnyConnection, affiliate: Option<Affiliate>) -> Result<Option<String>, StorageError> {
        let Some(affiliate) = affiliate else { return Ok(None) };
        if !self.campaigns.contains_key(&affiliate.campaign_id) {
            let campaign = campaigns::get(&mut *conn, self.merchant_id, &affiliate.campaign_id)
                .await?
                .ok_or_else(|| StorageError::Corrupt(format!("affiliate {} has no campaign {}", affiliate.id, affiliate.campaign_id)))?;
            self.campaigns.insert(campaign.id, campaign.rules);
        }
        let id = affiliate.id.clone();
        self.affiliates.insert(id.clone(), affiliate);
        Ok(Some(id))
    }

    async fn by_code(&mut self, conn: &mut AnyConnection, code: &str) -> Result<Option<String>, StorageError> {
        let affiliate = affiliates::affiliate_by_code(&mut *conn, self.merchant_id, code).await?;
        self.keep(conn, affiliate).await
    }

    /// Reads an affiliate by id unless already known; whether payref knows it.
    async fn by_id(&mut self, conn: &mut AnyConnection, id: &str) -> Result<bool, StorageError> {
        if !self.affiliates.contains_key(id) {
            let affiliate = affiliates::affiliate_ref(&mut *conn, self.merchant_id, id).await?;
            self.keep(conn, affiliate).await?;
        }
        Ok(self.affiliates.contains_key(id))
    }

    /// A link to a known affiliate naming a click, which is read when payref stored it.
    async fn link(
        &self,
        conn: &mut AnyConnection,
        affiliate_id: String,
        named_click: Option<String>,
        evidence: serde_json::Value,
    ) -> Result<Link, StorageError> {
        let click = match &named_click {
            Some(id) => clicks::evidence(conn, self.merchant_id, id).await?,
            None => None,
        };
        Ok(Link { affiliate_id, named_click, click, evidence })
    }
}

/// The `client_reference_id`: a tracked click and code, or a bare code that names one of the
/// merchant's affiliates.
async fn by_reference(conn: &mut AnyConnection, known: &mut Known<'_>, p: &Payment<'_>) -> Result<Option<Link>, StorageError> {
    let Some(reference) = p.client_reference_id else { return Ok(None) };
    let (code, click_id) = match client_reference::parse(reference) {
        Ok(ParsedReference::Tracked(r)) => (r.code, Some(r.click_id.to_text())),
        Ok(ParsedReference::CandidateCode(code)) => (code, None),
        Err(_) => return Ok(None),
    };
    let Some(affiliate_id) = known.by_code(conn, code.as_str()).await? else { return Ok(None) };
    let evidence = json!({ "client_reference_id": reference, "code": code.as_str(), "click_id": click_id });
    Ok(Some(known.link(conn, affiliate_id, click_id, evidence).await?))
}

/// The customer's `payref_ref` / `payref_click` metadata.
async fn by_metadata(
    conn: &mut AnyConnection,
    known: &mut Known<'_>,
    p: &Payment<'_>,
    metadata: Option<&Metadata>,
) -> Result<Option<Link>, StorageError> {
    let (Some(customer), Some(Metadata { ref_code: Some(code), ref_click })) = (p.customer_id, metadata) else {
        return Ok(None);
    };
    let Some(affiliate_id) = known.by_code(conn, code).await? else { return Ok(None) };
    let evidence = json!({ "customer": customer, "payref_ref": code, "payref_click": ref_click });
    Ok(Some(known.link(conn, affiliate_id, ref_click.clone(), evidence).await?))
}

/// The first promotion code or coupon mapped to an affiliate.
async fn by_discount(conn: &mut AnyConnection, known: &mut Known<'_>, p: &Payment<'_>) -> Result<Option<Link>, StorageError> {
    for stripe_id in &p.discounts {
        let Some(code) = discounts::ref_code_of(conn, known.merchant_id, p.livemode, stripe_id).await? else { continue };
        if let Some(affiliate_id) = known.by_code(conn, &code).await? {
            let kind = if stripe_id.starts_with("promo_") { "promotion_code" } else { "coupon" };
            let evidence = json!({ kind: stripe_id, "code": code });
            return Ok(Some(Link { affiliate_id, named_click: None, click: None, evidence }));
        }
    }
    Ok(None)
}

/// The latest lead with the buyer's email, and the click it carried.
async fn by_lead_email(
    conn: &mut AnyConnection,
    known: &mut Known<'_>,
    lead_secret: &[u8],
    p: &Payment<'_>,
) -> Result<Option<(Link, Lead)>, StorageError> {
    let Some(email) = p.email.filter(|e| e.contains('@')) else { return Ok(None) };
    let key = lead::email_key(lead_secret, &lead::email_sha256(email));
    let Some(found) = leads::latest_click(conn, known.merchant_id, &key).await? else { return Ok(None) };
    let Some(click) = clicks::evidence(conn, known.merchant_id, &found.click_id).await? else { return Ok(None) };
    let Some(affiliate_id) = click.affiliate_id.clone() else { return Ok(None) };
    if !known.by_id(conn, &affiliate_id).await? {
        return Ok(None);
    }
    // The email itself is never kept: the evidence is the lead's click.
    let evidence = json!({ "lead_click_id": click.click_id });
    let link = Link { affiliate_id, named_click: Some(click.click_id.clone()), click: Some(click), evidence };
    Ok(Some((link, Lead { visitor: found.visitor, visitor_emails: found.visitor_emails })))
}

/// The visitors behind the links' stored clicks: their first and last referral clicks within
/// each cookie window of the campaigns that name them (a bounded read however many clicks a
/// visitor made), those clicks' affiliates, and their recent purchases.
async fn visitors(
    conn: &mut AnyConnection,
    known: &mut Known<'_>,
    p: &Payment<'_>,
    links: &Links,
    now: i64,
) -> Result<BTreeMap<String, Visitor>, StorageError> {
    let mut windows: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for link in [links.reference.as_ref(), links.metadata.as_ref(), links.lead.as_ref().map(|(l, _)| l)].into_iter().flatten() {
        let visitor = link.click.as_ref().and_then(|c| c.visitor.clone());
        let rules = known.affiliates.get(&link.affiliate_id).and_then(|a| known.campaigns.get(&a.campaign_id));
        if let (Some(visitor), Some(rules)) = (visitor, rules) {
            windows.entry(visitor).or_default().insert(rules.cookie_window_days);
        }
    }
    let mut out = BTreeMap::new();
    for (visitor, days) in windows {
        let mut clicks: Vec<VisitorClick> = Vec::new();
        for window in days {
            for click in clicks::visitor_first_and_last(conn, known.merchant_id, &visitor, visitor_span(p.paid_at, window)).await? {
                if clicks.iter().all(|c| c.click_id != click.click_id) {
                    known.by_id(conn, &click.affiliate_id).await?;
                    clicks.push(click);
                }
            }
        }
        let since = now - REPEAT_VISITOR_WINDOW_MS;
        let recent_purchases = conversions::visitor_purchases(conn, known.merchant_id, p.livemode, &visitor, since).await?;
        out.insert(visitor, Visitor { clicks, recent_purchases });
    }
    Ok(out)
}
