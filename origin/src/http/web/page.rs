//! What every dashboard response shares: the security headers, rendering a template into a
//! page, and refusing forms another site sent.

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use sqlx::AnyPool;

use crate::domain::money;
use crate::domain::stats::Amount;
use crate::storage::StorageError;
use crate::storage::list::Listing;
use crate::storage::page::PageRequest;

/// The Content-Security-Policy of every dashboard response: nothing inline, nothing from
/// elsewhere, no framing, forms posting only here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the dashboard's security headers; pages are never cached (they show one person's data).
pub fn secure(mut resp: Response) -> Response {
    let headers = resp.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, poem::http::HeaderValue::from_static(value));
    }
    if !headers.contains_key("cache-control") {
        headers.insert("cache-control", poem::http::HeaderValue::from_static("no-store"));
    }
    resp
}

/// The page a template renders, with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Response::builder().status(status).content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            tracing::error!(error = %e, "a dashboard template failed to render");
            super::refusal(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be shown")
        }
    }
}

/// Whether a form came from a page of this site: a browser names the sending origin
/// (`Origin`) or says the request is cross-site (`Sec-Fetch-Site`); a request naming neither
/// is judged by its CSRF token alone.
pub fn same_origin(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|site| site == "cross-site" || site == "same-site") {
        return false;
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, authority)| authority == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// The stylesheet every page links.
pub fn stylesheet() -> String {
    super::assets::url("dashboard")
}

/// The icon every page names (so browsers do not ask for `/favicon.ico`).
pub fn icon() -> String {
    super::assets::url("favicon")
}

/// The page of `listing` a page's `starting_after` asks for: after that object of the
/// merchant's, or from the newest when it names none of theirs.
pub async fn cursor(
    pool: &AnyPool,
    listing: &Listing,
    merchant_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> Result<PageRequest, StorageError> {
    let after = match starting_after {
        Some(id) => listing.position(pool, merchant_id, id).await?,
        None => None,
    };
    Ok(PageRequest { after, limit })
}

/// Amounts in several currencies, each written by `domain::money`, or a dash when there are none.
pub fn amounts(list: &[Amount]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter().map(|a| money::format(a.amount, &a.currency)).collect::<Vec<_>>().join(" · ")
}

/// `path?k=v&…`, each value form-encoded.
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    format!("{path}?{}", query.finish())
}
