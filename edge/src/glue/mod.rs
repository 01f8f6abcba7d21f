//! workers-rs bindings: the fetch routes and the queue consumers. Thin by design; the decisions
//! are the plain functions of the crate's other modules.

mod body;
mod cache;
mod queue;
mod salt;

use std::cell::RefCell;

use payref_shared::batch::ReceivedEvent;
use payref_shared::{ClickId, EdgeEvent, LinkSlug, ReferralCode, ReferralCookie};
use worker::{Context, Env, Headers, MessageBatch, Method, Request, Response, Result, console_error, console_warn, event};

use crate::admission::{self, Ask, Gate, Next, Route, SiteCheck};
use crate::click::{self, MAX_BODY_BYTES, Rejection};
use crate::repeats::RepeatFilter;
use crate::vars::Vars;
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

/// The worker's variables, read once.
fn vars(env: &Env) -> Vars {
    Vars::from_lookup(|name| match name {
        "EDGE_SECRET" => env.secret(name).ok().map(|s| s.to_string()),
        _ => env.var(name).ok().map(|v| v.to_string()),
    })
}

/// The answer to a refused event (no CORS for a page whose origin the site refuses; a wait
/// for a rate-limited visitor).
fn refuse(r: &Rejection, origin: Option<&str>) -> Result<Response> {
    let resp = rejection(r, if r.code == "origin_not_allowed" { None } else { origin })?;
    if r.status == 429 {
        resp.headers().set("Retry-After", RETRY_AFTER_SECONDS)?;
    }
    Ok(resp)
}

async fn post_event(mut req: Request, env: &Env, vars: &Vars, ctx: &Context, origin: Option<&str>, route: Route) -> Result<Response> {
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
    let (ua, ip) = client(&req)?;
    let mut gate = Gate { is_click: matches!(received.event, EdgeEvent::Click(_)), ..Gate::default() };
    let mut visitor = String::new();
    // The order of the checks is `admission::next`'s; each answer is found only when asked.
    loop {
        match admission::next(&gate) {
            Next::Ask(Ask::Route) => gate.route = Some(route.takes(&received.event)),
            Next::Ask(Ask::Site) => {
                gate.site = Some(match cache::site(env, vars, ctx, received.event.site()).await {
                    Ok(Some(site)) => SiteCheck::Known { origin_allowed: site::origin_allowed(&site, origin) },
                    Ok(None) => SiteCheck::Unknown,
                    Err(e) => {
                        console_warn!("payref: site check skipped: {e}");
                        SiteCheck::Unavailable
                    }
                });
            }
            Next::Ask(Ask::Bot) => gate.bot = Some(bots::is_bot(&ua)),
            Next::Ask(Ask::RateLimit) => {
                visitor = visitor::visitor_hash(&salt::visitor_salt(env, ctx).await?, &ip, &ua);
                gate.within_rate = Some(env.rate_limiter(RATE_LIMIT)?.limit(visitor.clone()).await?.success);
            }
            Next::Ask(Ask::Repeat) => {
                let code = match &received.event {
                    EdgeEvent::Click(c) => c.code.as_str(),
                    EdgeEvent::Lead(_) => "",
                };
                gate.first_click = Some(REPEATS.with(|r| r.borrow_mut().first(&visitor, code, now)));
            }
            Next::Refuse(r) => return refuse(&r, origin),
            Next::Ignore => return no_content(origin),
            Next::Admit => break,
        }
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
async fn follow_link(req: Request, env: &Env, vars: &Vars, ctx: &Context, slug: &str) -> Result<Response> {
    let Ok(slug) = LinkSlug::parse(slug) else { return error(404, "not_found", "no such link", None) };
    let Some(site) = vars.site_key.clone() else {
        return error(404, "not_found", "redirect links need the worker's SITE_KEY", None);
    };
    let link = match cache::link(env, vars, ctx, &site, &slug).await {
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
    let click_id = ClickId::from_bytes(salt::random_bytes::<16>()?);
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
        if let Some(set_cookie) =
            redirect::set_cookie(&cookie, redirect::host_of(&host), &location, vars.cookie_domain.as_deref(), vars.window_days)
        {
            headers.set("Set-Cookie", &set_cookie)?;
        }
        let referrer = req.headers().get("Referer")?.unwrap_or_default();
        let salt = salt::visitor_salt(env, ctx).await?;
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
    let route = Route::of_path(&path);
    let vars = vars(&env);
    match (method, path.as_str(), route) {
        (Method::Get, "/healthz", _) => Response::ok("ok"),
        (Method::Options, _, Some(_)) | (Method::Options, "/v1/diagnostics", _) => no_content(origin),
        (Method::Post, _, Some(route)) => post_event(req, &env, &vars, &ctx, origin, route).await,
        (Method::Post, "/v1/diagnostics", _) => diagnostics(req, origin).await,
        (_, _, Some(_)) | (_, "/v1/diagnostics", _) => error(405, "method_not_allowed", "use POST", origin),
        (Method::Get | Method::Head, p, _) if p.starts_with("/r/") => follow_link(req, &env, &vars, &ctx, &p["/r/".len()..]).await,
        (_, p, _) if p.starts_with("/r/") => error(405, "method_not_allowed", "use GET", None),
        _ => error(404, "not_found", "no such route", None),
    }
}

#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    if batch.queue().ends_with("-dlq") { queue::redrive(batch, env).await } else { queue::deliver_batch(batch, &vars(&env)).await }
}
