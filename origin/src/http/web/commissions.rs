//! `/dashboard/commissions`: commissions by status (pending first: the ones to review), and the
//! form that approves or denies the ones ticked — `storage::commissions::apply_each`, as
//! `POST /v1/commissions/bulk` does, with the rules of `domain::commission::action_notes`.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Query, Redirect};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::page::{render, stylesheet};
use super::refusal;
use super::sign_in::{failed, form_session, signed_in};
use crate::domain::calendar::date_of;
use crate::domain::commission::{CommissionAction, CommissionStatus, action_notes};
use crate::domain::money;
use crate::http::AppState;
use crate::storage::audit::Actor;
use crate::storage::commissions::{self, Action, CommissionFilter, Outcome};
use crate::storage::page::PageRequest;

/// Commissions a page lists (and the most one form acts on).
const PAGE: i64 = 50;

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    mode: String,
    done: Option<String>,
    #[serde(default)]
    n: usize,
    #[serde(default)]
    refused: usize,
    error: Option<String>,
}

/// What an action came to, said from fixed words (never text from the address).
fn outcome_notice(f: &Filters) -> Option<String> {
    let verb = match f.done.as_deref()? {
        "approved" => "approved",
        "denied" => "denied",
        _ => return None,
    };
    let extra = if f.refused > 0 { format!("; {} could not be (their status does not allow it)", f.refused) } else { String::new() };
    Some(format!("{} commission{} {verb}{extra}.", f.n, if f.n == 1 { "" } else { "s" }))
}

/// Why an action was not taken, from fixed words.
fn error_notice(f: &Filters) -> Option<String> {
    Some(
        match f.error.as_deref()? {
            "action" => "Choose approve or deny.",
            "none" => "Tick the commissions to act on.",
            "reason" => "To deny, give a reason (1 to 500 characters).",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "commissions.html")]
struct ListPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    status: String,
    live: bool,
    can_write: bool,
    csrf: String,
    done: Option<String>,
    error: Option<String>,
    rows: Vec<(String, Vec<String>)>,
}

/// `GET /dashboard/commissions`.
#[handler]
pub async fn list(req: &Request, Data(state): Data<&AppState>, Query(f): Query<Filters>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let live = f.mode == "live";
    let status = if f.status.is_empty() { Some(CommissionStatus::Pending) } else { CommissionStatus::parse(&f.status) };
    let filter = CommissionFilter { livemode: live, status, ..CommissionFilter::default() };
    let found = match commissions::list(&state.db.pool, &session.user.merchant_id, &filter, &PageRequest { after: None, limit: PAGE }).await
    {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let rows = found
        .data
        .iter()
        .map(|c| {
            let note = c.reason.clone().or_else(|| c.hold_until.map(|t| format!("held until {}", date_of(t)))).unwrap_or_default();
            let cells = vec![
                date_of(c.created_at),
                c.affiliate_code.clone(),
                money::format(c.amount, &c.currency),
                format!("{}.{:02}%", c.rate_bps / 100, c.rate_bps % 100),
                c.status.as_str().to_owned(),
                note,
            ];
            (c.id.clone(), cells)
        })
        .collect();
    let page = ListPage {
        stylesheet: stylesheet(),
        email: session.user.email.clone(),
        merchant_name: session.user.merchant_name.clone(),
        status: status.map_or("all", CommissionStatus::as_str).to_owned(),
        live,
        can_write: session.user.role.may_write(),
        csrf: session.csrf(),
        done: outcome_notice(&f),
        error: error_notice(&f),
        rows,
    };
    render(StatusCode::OK, &page)
}

/// `POST /dashboard/commissions/act`: `action` (approve or deny) on every ticked `ids`, with the
/// deny `reason`; answers with the list and what came of it.
#[handler]
pub async fn act(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(bytes) = body.into_bytes().await else {
        return refusal(StatusCode::BAD_REQUEST, "the form could not be read");
    };
    let (mut csrf, mut kind, mut reason, mut back, mut ids) = (String::new(), String::new(), String::new(), String::new(), Vec::new());
    for (key, value) in form_urlencoded::parse(&bytes) {
        match key.as_ref() {
            "csrf" => csrf = value.into_owned(),
            "action" => kind = value.into_owned(),
            "reason" => reason = value.into_owned(),
            "back" => back = value.into_owned(),
            "ids" if ids.len() < PAGE as usize => ids.push(value.into_owned()),
            _ => {}
        }
    }
    let session = match form_session(req, state, &csrf).await {
        Ok(s) if !s.user.role.may_write() => {
            let role = s.user.role.as_str();
            return refusal(StatusCode::FORBIDDEN, &format!("Your role ({role}) can read the program but not change it."));
        }
        Ok(s) => s,
        Err(resp) => return resp,
    };
    // Back to the list as it was shown (only its own query: never another site's address).
    let back = if back.bytes().all(|b| b.is_ascii_alphanumeric() || b"=&_".contains(&b)) { back } else { String::new() };
    let to = |what: String| -> Response {
        let sep = if back.is_empty() { "" } else { "&" };
        Redirect::see_other(format!("/dashboard/commissions?{back}{sep}{what}")).into_response()
    };
    let Some(kind) = CommissionAction::parse(&kind).filter(|k| *k != CommissionAction::MarkPaid) else {
        return to("error=action".into());
    };
    if ids.is_empty() {
        return to("error=none".into());
    }
    let reason = Some(reason.trim()).filter(|r| !r.is_empty());
    let Ok((reason, payout_reference)) = action_notes(kind, reason, None) else {
        return to("error=reason".into());
    };
    let action = Action { action: kind, reason, payout_reference };
    let actor = Actor::User(session.user.user_id.clone());
    match commissions::apply_each(&state.db.pool, &session.user.merchant_id, &ids, &action, &actor, crate::now_ms()).await {
        Ok(outcomes) => {
            let done = outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Done(_))).count();
            let verb = if kind == CommissionAction::Approve { "approved" } else { "denied" };
            to(format!("done={verb}&n={done}&refused={}", outcomes.len() - done))
        }
        Err(e) => failed(e),
    }
}
