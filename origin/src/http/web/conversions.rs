//! `/dashboard/conversions`: attributed sales with the API list's own filters, and one sale's
//! page that shows why it belongs to its affiliate — a timeline of its click, the attribution
//! decision with its evidence, and its commission's trail, read from the audit trail the API
//! serves (`/v1/audit_events`).

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::page::{cursor, link, render, stylesheet};
use super::refusal;
use super::sign_in::{failed, signed_in};
use crate::domain::commission::PaymentStatus;
use crate::domain::csv::iso_utc;
use crate::domain::money;
use crate::http::AppState;
use crate::storage::audit::{self, AuditRow};
use crate::storage::clicks::{self, ClickRow};
use crate::storage::conversions::{self, ConversionFilter, ConversionRow};
use crate::storage::page::PageRequest;
use crate::storage::{Db, StorageError};

/// Conversions a page lists.
const PAGE: i64 = 25;
/// Audit entries read per object.
const TRAIL: i64 = 100;

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    mode: String,
    starting_after: Option<String>,
}

#[derive(Template)]
#[template(path = "conversions.html")]
struct ListPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    status: String,
    live: bool,
    rows: Vec<(String, Vec<String>)>,
    next: Option<String>,
}

/// `GET /dashboard/conversions`.
#[handler]
pub async fn list(req: &Request, Data(state): Data<&AppState>, Query(f): Query<Filters>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let (pool, merchant) = (&state.db.pool, session.user.merchant_id.as_str());
    let live = f.mode == "live";
    let status = PaymentStatus::parse(&f.status);
    let filter = ConversionFilter { livemode: live, status, ..ConversionFilter::default() };
    let found = match cursor(pool, &conversions::LIST, merchant, f.starting_after.as_deref(), PAGE).await {
        Ok(page) => conversions::list_conversions(pool, merchant, &filter, &page).await,
        Err(e) => Err(e),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let mode = if live { "live" } else { "test" };
    let status_text = status.map_or("", PaymentStatus::as_str);
    let next = found
        .data
        .last()
        .filter(|_| found.has_more)
        .map(|c| link("/dashboard/conversions", &[("status", status_text), ("mode", mode), ("starting_after", &c.id)]));
    let rows = found.data.iter().map(|c| (c.id.clone(), cells(c))).collect();
    let page = ListPage {
        stylesheet: stylesheet(),
        email: session.user.email.clone(),
        merchant_name: session.user.merchant_name.clone(),
        status: status_text.to_owned(),
        live,
        rows,
        next,
    };
    render(StatusCode::OK, &page)
}

fn cells(c: &ConversionRow) -> Vec<String> {
    vec![
        crate::domain::calendar::date_of(c.created_at),
        c.affiliate_code.clone(),
        money::format(c.amount, &c.currency),
        c.status.as_str().replace('_', " "),
        format!("{} ({})", money::format(c.commission_amount, &c.currency), c.commission_status.as_str()),
        c.attribution_method.replace('_', " "),
    ]
}

/// One moment of a sale's story.
struct Moment {
    /// ISO 8601, UTC.
    at: String,
    title: String,
    lines: Vec<String>,
}

impl Moment {
    /// `2026-11-30 00:03:19 UTC`.
    fn when(&self) -> String {
        format!("{} {} UTC", self.at.get(..10).unwrap_or(""), self.at.get(11..19).unwrap_or(""))
    }
}

#[derive(Template)]
#[template(path = "conversion.html")]
struct SalePage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    id: String,
    summary: Vec<(&'static str, String)>,
    moments: Vec<Moment>,
}

/// The click behind a sale, as a moment.
fn click_moment(click: &ClickRow) -> Moment {
    let mut lines = vec![format!("landing page: {}", click.landing_url)];
    if !click.referrer.is_empty() {
        lines.push(format!("came from: {}", click.referrer));
    }
    for (name, value) in [("country", &click.country), ("device", &click.device)] {
        if let Some(v) = value {
            lines.push(format!("{name}: {v}"));
        }
    }
    Moment { at: iso_utc(click.created_at), title: format!("Referral click on {}'s link (code {})", click.code, click.code), lines }
}

/// An audit entry as a moment: what happened, who did it, and its details as `key: value`.
fn entry_moment(e: &AuditRow) -> Moment {
    let detail = &e.detail.0.0;
    let mut lines = vec![format!("by {}", e.actor)];
    if let Some(evidence) = detail.get("evidence").and_then(|v| v.as_object()) {
        let known = evidence.iter().filter(|(_, v)| !v.is_null());
        lines.extend(known.map(|(k, v)| format!("evidence {k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned))));
    }
    for key in ["method", "reason", "commission_reason", "payout_reference", "hold_until"] {
        if let Some(v) = detail.get(key).filter(|v| !v.is_null()) {
            lines.push(format!("{}: {}", key.replace('_', " "), v.as_str().map_or_else(|| v.to_string(), str::to_owned)));
        }
    }
    Moment { at: iso_utc(e.created_at), title: e.action.replace(['.', '_'], " "), lines }
}

/// The trail of the sale and of its commission, oldest first.
async fn trail(db: &Db, merchant: &str, sale: &ConversionRow) -> Result<Vec<Moment>, StorageError> {
    let first = PageRequest { after: None, limit: TRAIL };
    let mut entries = audit::list(&db.pool, merchant, Some(&sale.id), &first).await?.data;
    let commission = entries.iter().find_map(|e| e.detail.0.0.get("commission_id").and_then(|v| v.as_str()).map(str::to_owned));
    if let Some(commission) = commission {
        entries.extend(audit::list(&db.pool, merchant, Some(&commission), &first).await?.data);
    }
    entries.sort_by_key(|e| e.created_at);
    let mut moments = Vec::new();
    if let Some(click_id) = &sale.click_id
        && let Some(click) = clicks::LIST.get::<ClickRow>(&db.pool, merchant, click_id).await?
    {
        moments.push(click_moment(&click));
    }
    moments.extend(entries.iter().map(entry_moment));
    Ok(moments)
}

/// `GET /dashboard/conversions/:id`.
#[handler]
pub async fn show(req: &Request, Data(state): Data<&AppState>, Path(id): Path<String>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let merchant = session.user.merchant_id.as_str();
    let sale = match conversions::LIST.get::<ConversionRow>(&state.db.pool, merchant, &id).await {
        Ok(Some(sale)) => sale,
        Ok(None) => return refusal(StatusCode::NOT_FOUND, "No such conversion."),
        Err(e) => return failed(e),
    };
    let moments = match trail(&state.db, merchant, &sale).await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let c = cells(&sale);
    let summary = vec![
        ("Affiliate", c[1].clone()),
        ("Amount", c[2].clone()),
        ("Payment", c[3].clone()),
        ("Commission", c[4].clone()),
        ("Attributed by", c[5].clone()),
        ("Stripe object", sale.stripe_object_id.clone()),
        ("Mode", if sale.livemode.0 { "live" } else { "test" }.to_owned()),
    ];
    let page = SalePage {
        stylesheet: stylesheet(),
        email: session.user.email.clone(),
        merchant_name: session.user.merchant_name.clone(),
        id: sale.id,
        summary,
        moments,
    };
    render(StatusCode::OK, &page)
}
