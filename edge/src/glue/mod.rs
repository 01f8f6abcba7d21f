//! workers-rs bindings: the fetch routes and the queue consumers. Thin by design; the decisions
//! are the plain functions of the crate's other modules.

mod body;
mod config;
mod queue;

use std::cell::RefCell;

use payref_shared::batch::ReceivedEvent;
use payref_shared::{ClickId, EdgeEvent, LinkSlug, ReferralCode, ReferralCookie, SiteKey};
use worker::{Context, Env, Headers, MessageBatch, Method, Request, Response, Result, console_error, console_warn, event};

use crate::click::{self, MAX_BODY_BYTES, Rejection};
use crate::repeats::RepeatFilter;
use crate::{bots, redirect, site, visitor};

/// The queue producer binding.
const QUEUE: &str = "CLICKS";
/// The rate limiter binding, keyed by visitor hash.
const RATE_LIMIT: &str = "VISITOR_LIMIT";
/// Seconds a rate-limited visitor is told to wait (the limiter's period).
const RETRY_AFTER_SECONDS: &str = "60";

thread_local! {
    static REPEATS: RefCell<RepeatFilter> = RefCell::new(RepeatFilter::default());
}

fn now_ms() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}

fn json_response(status: u16, body: String, origin: Option<&str>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let resp = Response::ok(body)?.with_status(status).with_headers(headers);
    with_cors(resp, origin)
}

fn with_cors(mut resp: Response, origin: Option<&str>) -> Result<Response> {
    for (name, value) in click::cors_headers(origin) {
        resp.headers_mut().set(name, &value)?;
    }
    Ok(resp)
}

fn rejection(r: &Rejection, origin: Option<&str>) -> Result<Response> {
    json_response(r.status, r.to_json(), origin)
}

fn error(status: u16, code: &'static str, message: impl Into<String>, origin: Option<&str>) -> Result<Response> {
    rejection(&Rejection::new(status, code, message), origin)
}

fn no_content(origin: Option<&str>) -> Result<Response> {
    with_cors(Response::empty()?.with_status(204), origin)
}

/// Who is asking: user agent and the connecting IP (never stored or forwarded).
fn client(req: &Request) -> Result<(String, String)> {
    let ua = req.headers().get("User-Agent")?.unwrap_or_default();
    let ip = req.headers().get("CF-Connecting-IP")?.unwrap_or_default();
    Ok((ua, ip))
}

/// Which events a route takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Clicks,
    Identify,
}

async fn post_event(mut req: Request, env: &Env, ctx: &Context, origin: Option<&str>, route: Route) -> Result<Response> {
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return rejection(&Rejection::too_large(), origin);
    }
    let Some(body) = body::read_bounded(&mut req, MAX_BODY_BYTES).await? else {
        return rejection(&Rejection::too_large(), origin);
    };
    let now = now_ms();
    let country = visitor::country(req.cf().and_then(|cf| cf.country()));
    let mut received = match click::accept(&body, now, country) {
        Ok(event) => event,
        Err(r) => return rejection(&r, origin),
    };
    match (&received.event, route) {
        (EdgeEvent::Click(_), Route::Clicks) | (EdgeEvent::Lead(_), Route::Identify) => {}
        (EdgeEvent::Click(_), Route::Identify) => return error(400, "wrong_event", "a click goes to /v1/clicks", origin),
        (EdgeEvent::Lead(_), Route::Clicks) => return error(400, "wrong_event", "an identify goes to /v1/identify", origin),
    }
    match config::site(env, ctx, received.event.site()).await {
        Ok(Some(site)) if !site::origin_allowed(&site, origin) => {
            return error(403, "origin_not_allowed", "this site does not accept events from this origin", None);
        }
        Ok(Some(_)) => {}
        Ok(None) => return error(403, "unknown_site", "no such site key", origin),
        // The origin is unreachable and nothing is cached: take the event; the origin checks
        // the site again when it arrives.
        Err(e) => console_warn!("payref: site check skipped: {e}"),
    }
    let (ua, ip) = client(&req)?;
    if bots::is_bot(&ua) {
        return no_content(origin);
    }
    let salt = config::visitor_salt(env, ctx).await?;
    let visitor = visitor::visitor_hash(&salt, &ip, &ua);
    if !env.rate_limiter(RATE_LIMIT)?.limit(visitor.clone()).await?.success {
        let resp = error(429, "rate_limited", "too many requests; try again later", origin)?;
        resp.headers().set("Retry-After", RETRY_AFTER_SECONDS)?;
        return Ok(resp);
    }
    if let EdgeEvent::Click(c) = &received.event
        && !REPEATS.with(|r| r.borrow_mut().first(&visitor, c.code.as_str(), now))
    {
        return no_content(origin);
    }
    received.device = Some(visitor::device_class(&ua).to_owned());
    received.visitor = Some(visitor);
    enqueue(env, ctx, &received)?;
    no_content(origin)
}

/// Queues an event after the response.
fn enqueue(env: &Env, ctx: &Context, event: &ReceivedEvent) -> Result<()> {
    let message = serde_json::to_string(event)?;
    let queue = env.queue(QUEUE)?;
    ctx.wait_until(async move {
        if let Err(e) = queue.send(message).await {
            console_error!("payref: queue send failed: {e}");
        }
    });
    Ok(())
}

/// `GET /r/{slug}`.
async fn follow_link(req: Request, env: &Env, ctx: &Context, slug: &str) -> Result<Response> {
    let Ok(slug) = LinkSlug::parse(slug) else { return error(404, "not_found", "no such link", None) };
    let Some(site) = env.var("SITE_KEY").ok().and_then(|v| SiteKey::parse(&v.to_string()).ok()) else {
        return error(404, "not_found", "redirect links need the worker's SITE_KEY", None);
    };
    let link = match config::link(env, ctx, &site, &slug).await {
        Ok(Some(link)) => link,
        Ok(None) => return error(404, "not_found", "no such link", None),
        Err(e) => {
            console_error!("payref: link {}: {e}", slug.as_str());
            return error(503, "origin_unavailable", "the link cannot be looked up right now", None);
        }
    };
    let (ua, ip) = client(&req)?;
    // Bots, link checkers (HEAD) and paused affiliates still reach the page, uncredited.
    let person = req.method() == Method::Get && !bots::is_bot(&ua);
    let code = link.code.as_deref().and_then(|c| ReferralCode::parse(c).ok()).filter(|_| person);
    let click_id = ClickId::from_bytes(config::random_bytes::<16>()?);
    let Some(location) = redirect::location(&link.destination_url, code.as_ref().map(|c| (c, click_id))) else {
        console_error!("payref: link {} has an unusable destination", slug.as_str());
        return error(502, "bad_destination", "the link's destination is not a web address", None);
    };
    let headers = Headers::new();
    headers.set("Location", &location)?;
    headers.set("Cache-Control", "no-store")?;
    headers.set("Referrer-Policy", "no-referrer-when-downgrade")?;
    if let Some(code) = code {
        let now = now_ms();
        let cookie = ReferralCookie { code: code.clone(), click_id, set_at_ms: u64::try_from(now).unwrap_or(0) };
        let host = req.headers().get("Host")?.unwrap_or_default();
        let cookie_domain = env.var("COOKIE_DOMAIN").ok().map(|v| v.to_string()).filter(|d| !d.is_empty());
        let days =
            env.var("WINDOW_DAYS").ok().and_then(|v| v.to_string().parse().ok()).unwrap_or(payref_shared::cookie::DEFAULT_WINDOW_DAYS);
        if let Some(set_cookie) = redirect::set_cookie(&cookie, redirect::host_of(&host), &location, cookie_domain.as_deref(), days) {
            headers.set("Set-Cookie", &set_cookie)?;
        }
        let referrer = req.headers().get("Referer")?.unwrap_or_default();
        let salt = config::visitor_salt(env, ctx).await?;
        let received = ReceivedEvent {
            received_at_ms: now,
            country: visitor::country(req.cf().and_then(|cf| cf.country())),
            visitor: Some(visitor::visitor_hash(&salt, &ip, &ua)),
            device: Some(visitor::device_class(&ua).to_owned()),
            event: EdgeEvent::Click(redirect::click(site, code, click_id, &location, &referrer)),
        };
        enqueue(env, ctx, &received)?;
    }
    Ok(Response::empty()?.with_status(302).with_headers(headers))
}

/// `POST /v1/diagnostics`: the loader's report that the page's CSP blocks WebAssembly.
async fn diagnostics(mut req: Request, origin: Option<&str>) -> Result<Response> {
    let Some(body) = body::read_bounded(&mut req, MAX_BODY_BYTES).await? else {
        return rejection(&Rejection::too_large(), origin);
    };
    match click::diagnostic(&body) {
        Ok(d) => {
            console_warn!("payref: site {} page {}: {}", d.site, d.page, d.kind);
            no_content(origin)
        }
        Err(r) => rejection(&r, origin),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let origin = req.headers().get("Origin")?;
    let origin = origin.as_deref();
    let path = req.path();
    let method = req.method();
    let route = match path.as_str() {
        "/v1/clicks" => Some(Route::Clicks),
        "/v1/identify" => Some(Route::Identify),
        _ => None,
    };
    match (method, path.as_str(), route) {
        (Method::Get, "/healthz", _) => Response::ok("ok"),
        (Method::Options, _, Some(_)) | (Method::Options, "/v1/diagnostics", _) => no_content(origin),
        (Method::Post, _, Some(route)) => post_event(req, &env, &ctx, origin, route).await,
        (Method::Post, "/v1/diagnostics", _) => diagnostics(req, origin).await,
        (_, _, Some(_)) | (_, "/v1/diagnostics", _) => error(405, "method_not_allowed", "use POST", origin),
        (Method::Get | Method::Head, p, _) if p.starts_with("/r/") => follow_link(req, &env, &ctx, &p["/r/".len()..]).await,
        (_, p, _) if p.starts_with("/r/") => error(405, "method_not_allowed", "use GET", None),
        _ => error(404, "not_found", "no such route", None),
    }
}

#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    if batch.queue().ends_with("-dlq") { queue::redrive(batch, env).await } else { queue::deliver_batch(batch, env).await }
}
