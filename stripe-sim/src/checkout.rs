//! A stand-in for the page a Stripe Payment Link opens (`buy.stripe.com/<link>`), for the demo:
//! `GET /b/<link>?client_reference_id=…&prefilled_email=…` shows what the buyer would pay and
//! the reference the merchant's page wrote into the link; `POST /b/<link>` pays it in test
//! mode, so Stripe's events for a Payment Link purchase go out, signed, to the endpoints.
//!
//! As at Stripe, a `client_reference_id` that is not 1–200 letters, digits, `-` or `_` is
//! dropped, and the payment goes through without it.

use poem::http::StatusCode;
use poem::web::{Data, Form, Html, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::Simulator;
use crate::scenario::Purchase;

/// What every demo link costs: $49.00.
const PRICE: i64 = 4_900;
const CURRENCY: &str = "usd";

/// The query a Payment Link accepts (others are ignored, as Stripe does).
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    client_reference_id: Option<String>,
    prefilled_email: Option<String>,
}

/// The pay form.
#[derive(Debug, Deserialize)]
pub struct PayForm {
    client_reference_id: Option<String>,
    email: String,
}

/// Stripe's rule for `client_reference_id` on Payment Links.
pub fn valid_reference(value: &str) -> bool {
    (1..=200).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}\
         code{{background:#f4f4f4;padding:0 .25rem;word-break:break-all}}</style></head>\
         <body><p><small>Stripe simulator (test mode)</small></p>{body}</body></html>"
    ))
}

fn link_ok(link: &str) -> bool {
    !link.is_empty() && link.len() <= 100 && link.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, page("Not found", "<h1>No such payment link</h1>")).into_response()
}

/// `GET /b/<link>`: the checkout page.
#[handler]
pub fn show(Path(link): Path<String>, Query(q): Query<LinkQuery>) -> Response {
    if !link_ok(&link) {
        return not_found();
    }
    let reference = q.client_reference_id.filter(|r| valid_reference(r));
    let shown = reference.as_deref().map_or_else(|| "none".to_owned(), |r| format!("<code id=\"reference\">{}</code>", escape(r)));
    let email = escape(q.prefilled_email.as_deref().unwrap_or("buyer@example.com"));
    let hidden = reference.as_deref().map(|r| format!("<input type=\"hidden\" name=\"client_reference_id\" value=\"{}\">", escape(r)));
    page(
        "Pay — Stripe simulator",
        &format!(
            "<h1>Demo T-shirt — $49.00</h1><p>Payment link <code>{link}</code></p>\
             <p>client_reference_id: {shown}</p>\
             <form method=\"post\"><label>Email <input name=\"email\" type=\"email\" value=\"{email}\" required></label>{hidden}\
             <p><button id=\"pay\" type=\"submit\">Pay $49.00</button></p></form>",
            hidden = hidden.unwrap_or_default()
        ),
    )
    .into_response()
}

/// `POST /b/<link>`: pays the link in test mode.
#[handler]
pub fn pay(Path(link): Path<String>, Form(form): Form<PayForm>, Data(sim): Data<&Simulator>) -> Response {
    if !link_ok(&link) {
        return not_found();
    }
    let email = form.email.trim();
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return (StatusCode::BAD_REQUEST, page("Invalid email", "<h1>Enter a valid email address</h1>")).into_response();
    }
    let reference = form.client_reference_id.filter(|r| valid_reference(r));
    match sim.pay_payment_link(&Purchase::new(reference.as_deref(), email, PRICE, 0, CURRENCY)) {
        Ok(paid) => page(
            "Paid — Stripe simulator",
            &format!(
                "<h1>Payment succeeded</h1><p>Checkout Session <code id=\"session\">{}</code> for {}, \
                 client_reference_id {}.</p><p><code>checkout.session.completed</code> is on its way to the webhook \
                 endpoints; payref's <code>/v1/conversions</code> shows the sale once it is processed.</p>",
                paid.session,
                escape(email),
                reference.as_deref().map_or_else(|| "none".to_owned(), |r| format!("<code>{}</code>", escape(r))),
            ),
        )
        .into_response(),
        Err(e) => (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), page("Payment failed", &escape(&e.body.to_string())))
            .into_response(),
    }
}
