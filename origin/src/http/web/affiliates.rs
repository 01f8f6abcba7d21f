//! `/dashboard/affiliates`: the merchant's affiliates with a search, a status filter and each
//! one's totals (the API's list and `storage::stats` underneath), and the form that adds one
//! (owners and admins; the server refuses a viewer, whatever the page shows).

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::page::{amounts, cursor, link, render, stylesheet};
use super::refusal;
use super::session::Session;
use super::sign_in::{failed, form_session, signed_in};
use crate::domain::FieldError;
use crate::domain::affiliate::{AffiliateFields, AffiliateStatus, check_new};
use crate::http::AppState;
use crate::storage::page::PageRequest;
use crate::storage::{StorageError, affiliates, campaigns, stats};

/// Affiliates a page lists.
const PAGE: i64 = 25;

/// The list's filters, as the query string gives them.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    mode: String,
    starting_after: Option<String>,
    created: Option<String>,
}

#[derive(Template)]
#[template(path = "affiliates.html")]
struct ListPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    q: String,
    status: String,
    live: bool,
    can_write: bool,
    created: Option<String>,
    rows: Vec<Vec<String>>,
    next: Option<String>,
}

/// `GET /dashboard/affiliates`.
#[handler]
pub async fn list(req: &Request, Data(state): Data<&AppState>, Query(f): Query<Filters>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let live = f.mode == "live";
    let status = AffiliateStatus::parse(&f.status);
    match rows(state, &session, &f, (status, live)).await {
        Ok((rows, next)) => {
            let page = ListPage {
                stylesheet: stylesheet(),
                email: session.user.email.clone(),
                merchant_name: session.user.merchant_name.clone(),
                q: f.q.trim().to_owned(),
                status: status.map_or("", AffiliateStatus::as_str).to_owned(),
                live,
                can_write: session.user.role.may_write(),
                created: f.created.clone(),
                rows,
                next,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => failed(e),
    }
}

/// A page of rows, and the query of the next page when there is one.
async fn rows(
    state: &AppState,
    session: &Session,
    f: &Filters,
    (status, live): (Option<AffiliateStatus>, bool),
) -> Result<(Vec<Vec<String>>, Option<String>), StorageError> {
    let (pool, merchant) = (&state.db.pool, session.user.merchant_id.as_str());
    let page = cursor(pool, &affiliates::LIST, merchant, f.starting_after.as_deref(), PAGE).await?;
    let found = affiliates::list(pool, merchant, (status.map(AffiliateStatus::as_str), Some(f.q.as_str())), &page).await?;
    let ids: Vec<String> = found.data.iter().map(|a| a.id.clone()).collect();
    // All time: every row there is.
    let totals = stats::affiliate_totals(pool, (merchant, live), (0, i64::MAX), &ids).await?;
    let next = found.data.last().filter(|_| found.has_more).map(|last| {
        let (status, mode) = (status.map_or("", AffiliateStatus::as_str), if live { "live" } else { "test" });
        link("/dashboard/affiliates", &[("q", f.q.trim()), ("status", status), ("mode", mode), ("starting_after", &last.id)])
    });
    let rows = found
        .data
        .iter()
        .zip(totals)
        .map(|(a, t)| {
            vec![
                a.code.clone(),
                a.name.clone(),
                a.status.as_str().to_owned(),
                a.email.clone().unwrap_or_default(),
                t.clicks.to_string(),
                t.conversions.to_string(),
                amounts(&t.revenue),
            ]
        })
        .collect();
    Ok((rows, next))
}

/// The new-affiliate form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    payout_email: String,
    #[serde(default)]
    commission_bps: String,
}

#[derive(Template)]
#[template(path = "affiliate_new.html")]
struct NewPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    csrf: String,
    campaigns: Vec<(String, String)>,
    form: NewForm,
    error: Option<FieldError>,
}

fn forbidden(session: &Session) -> Response {
    let role = session.user.role.as_str();
    refusal(StatusCode::FORBIDDEN, &format!("Your role ({role}) can read the program but not change it."))
}

async fn new_page(state: &AppState, session: &Session, form: NewForm, error: Option<FieldError>) -> Response {
    let found = match campaigns::list(&state.db.pool, &session.user.merchant_id, &PageRequest { after: None, limit: 100 }).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = NewPage {
        stylesheet: stylesheet(),
        email: session.user.email.clone(),
        merchant_name: session.user.merchant_name.clone(),
        csrf: session.csrf(),
        campaigns: found.data.into_iter().map(|c| (c.id, c.rules.name)).collect(),
        form,
        error,
    };
    render(status, &page)
}

/// `GET /dashboard/affiliates/new`.
#[handler]
pub async fn new_form(req: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(req, state).await {
        Ok(s) if !s.user.role.may_write() => forbidden(&s),
        Ok(s) => new_page(state, &s, NewForm::default(), None).await,
        Err(resp) => resp,
    }
}

/// A typed field: trimmed, and absent when empty.
fn text(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

fn given(f: &NewForm) -> Result<AffiliateFields<'_>, FieldError> {
    let bps = match text(&f.commission_bps) {
        None => None,
        Some(b) => {
            Some(b.parse::<i64>().map_err(|_| FieldError::new("commission_bps", "commission_bps must be a whole number of basis points"))?)
        }
    };
    Ok(AffiliateFields {
        code: text(&f.code),
        name: text(&f.name),
        campaign_id: text(&f.campaign_id),
        email: text(&f.email),
        payout_email: text(&f.payout_email),
        commission_bps: bps,
    })
}

/// `POST /dashboard/affiliates/new`: checked by the same rules as `POST /v1/affiliates`.
#[handler]
pub async fn create(req: &Request, Data(state): Data<&AppState>, Form(form): Form<NewForm>) -> Response {
    let session = match form_session(req, state, &form.csrf).await {
        Ok(s) if !s.user.role.may_write() => return forbidden(&s),
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let (pool, merchant) = (&state.db.pool, session.user.merchant_id.as_str());
    let new = match given(&form).and_then(|g| check_new(&g)) {
        Ok(new) => new,
        Err(e) => return new_page(state, &session, form, Some(e)).await,
    };
    match affiliates::campaign_exists(pool, merchant, &new.campaign_id).await {
        Ok(true) => {}
        Ok(false) => {
            return new_page(state, &session, form, Some(FieldError::new("campaign_id", "campaign_id names no campaign of yours"))).await;
        }
        Err(e) => return failed(e),
    }
    match affiliates::insert(pool, merchant, &new, crate::now_ms()).await {
        Ok(Some(created)) => Redirect::see_other(format!("/dashboard/affiliates?created={}", created.code)).into_response(),
        Ok(None) => {
            let taken = FieldError::new("code", format!("code {} is already used by another affiliate", new.code));
            new_page(state, &session, form, Some(taken)).await
        }
        Err(e) => failed(e),
    }
}
