//! `GET /dashboard`: the overview — a span of days and a mode chosen in a plain GET form, the
//! program's figures for them (`storage::stats::overview`, the same function as
//! `GET /v1/overview`), the latest conversions (the conversions list's own query) and what
//! waits for the merchant.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::chart::bars;
use super::page::{amounts, render, stylesheet};
use super::sign_in::{failed, signed_in};
use crate::domain::money;
use crate::domain::period::{Period, PeriodError};
use crate::http::AppState;
use crate::storage::conversions::{self, ConversionFilter};
use crate::storage::page::PageRequest;
use crate::storage::stats::{self, Overview};

/// Conversions the overview lists.
const RECENT: i64 = 5;

/// The overview's form, as the query string gives it.
#[derive(Debug, Default, Deserialize)]
pub struct Choice {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    mode: Option<String>,
}

/// A figure and its name.
struct Card {
    label: &'static str,
    value: String,
}

/// A table row of strings.
type Row = Vec<String>;

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    range: String,
    from: String,
    to: String,
    live: bool,
    error: Option<PeriodError>,
    cards: Vec<Card>,
    tasks: Vec<Card>,
    funnel: Vec<Card>,
    charts: Vec<Card>,
    days: Vec<Row>,
    top: Vec<Row>,
    recent: Vec<Row>,
}

fn percent(bps: Option<i64>) -> String {
    bps.map_or_else(|| "—".into(), |b| format!("{}.{:02}%", b / 100, b % 100))
}

fn figures(page: &mut OverviewPage, o: &Overview) {
    page.cards = vec![
        Card { label: "Clicks", value: o.clicks.to_string() },
        Card { label: "Leads", value: o.leads.to_string() },
        Card { label: "Conversions", value: o.conversions.to_string() },
        Card { label: "Conversion rate", value: percent(o.conversion_rate_bps) },
        Card { label: "Revenue", value: amounts(&o.revenue) },
        Card { label: "Commissions earned", value: amounts(&o.commissions) },
        Card { label: "Earnings per click", value: amounts(&o.earnings_per_click) },
        Card { label: "Owed now", value: amounts(&o.owed) },
    ];
    page.tasks = vec![
        Card { label: "Commissions to review", value: o.commissions_to_review.to_string() },
        Card { label: "Payouts due", value: o.payouts_due.to_string() },
        Card { label: "Parked Stripe events", value: o.parked_stripe_events.to_string() },
    ];
    page.funnel = vec![
        Card { label: "Clicks", value: o.clicks.to_string() },
        Card { label: "Leads", value: format!("{} ({})", o.leads, percent(crate::domain::stats::rate_bps(o.leads, o.clicks))) },
        Card { label: "Sales", value: format!("{} ({})", o.conversions, percent(o.conversion_rate_bps)) },
    ];
    let main = o.revenue.iter().max_by_key(|a| a.amount).map(|a| a.currency.clone()).unwrap_or_default();
    let revenue_of = |d: &crate::domain::stats::Day| d.revenue.iter().find(|a| a.currency == main).map_or(0, |a| a.amount);
    let revenue_title = if main.is_empty() { "Revenue per day".to_owned() } else { format!("Revenue per day ({})", main.to_uppercase()) };
    let chart = |label: &'static str, title: &str, values: Vec<i64>| Card { label, value: bars(title, &values) };
    page.charts = vec![
        chart("Clicks", "Clicks per day", o.days.iter().map(|d| d.clicks).collect()),
        chart("Conversions", "Conversions per day", o.days.iter().map(|d| d.conversions).collect()),
        chart("Revenue", &revenue_title, o.days.iter().map(revenue_of).collect()),
    ];
    page.days =
        o.days.iter().rev().map(|d| vec![d.date.clone(), d.clicks.to_string(), d.conversions.to_string(), amounts(&d.revenue)]).collect();
    page.top = o
        .top_affiliates
        .iter()
        .map(|a| vec![a.code.clone(), a.name.clone(), a.clicks.to_string(), a.conversions.to_string(), amounts(&a.revenue)])
        .collect();
}

/// `GET /dashboard`.
#[handler]
pub async fn show(req: &Request, Data(state): Data<&AppState>, Query(choice): Query<Choice>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let live = choice.mode.as_deref() == Some("live");
    let mut page = OverviewPage {
        stylesheet: stylesheet(),
        email: session.user.email.clone(),
        merchant_name: session.user.merchant_name.clone(),
        range: choice.range.clone().unwrap_or_else(|| "30".into()),
        from: choice.from.clone().unwrap_or_default(),
        to: choice.to.clone().unwrap_or_default(),
        live,
        error: None,
        cards: Vec::new(),
        tasks: Vec::new(),
        funnel: Vec::new(),
        charts: Vec::new(),
        days: Vec::new(),
        top: Vec::new(),
        recent: Vec::new(),
    };
    let period = match Period::parse(choice.range.as_deref(), choice.from.as_deref(), choice.to.as_deref(), crate::now_ms()) {
        Ok(p) => p,
        Err(e) => {
            page.error = Some(e);
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    (page.from, page.to) = (period.first_day(), period.last_day());
    let merchant = &session.user.merchant_id;
    let overview = match stats::overview(&state.db.pool, merchant, live, &period).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    figures(&mut page, &overview);
    let filter = ConversionFilter { livemode: live, ..ConversionFilter::default() };
    let latest = PageRequest { after: None, limit: RECENT };
    match conversions::list_conversions(&state.db.pool, merchant, &filter, &latest).await {
        Ok(found) => {
            page.recent = found
                .data
                .iter()
                .map(|c| {
                    let day = crate::domain::calendar::date_of(c.created_at);
                    vec![day, c.affiliate_code.clone(), money::format(c.amount, &c.currency), c.status.as_str().replace('_', " ")]
                })
                .collect();
        }
        Err(e) => return failed(e),
    }
    render(StatusCode::OK, &page)
}
