//! workers-rs bindings: the fetch routes and the queue consumer. Thin by design; the decisions
//! are in [`crate::click`] and [`crate::forward`].

use worker::{
    Context, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method, Request, RequestInit, Response, Result, console_error, event,
};

use crate::click::{self, MAX_BODY_BYTES, Rejection};
use crate::forward;

const QUEUE: &str = "CLICKS";

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

async fn post_click(mut req: Request, env: &Env, ctx: &Context, origin: Option<&str>) -> Result<Response> {
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return rejection(&Rejection::too_large(), origin);
    }
    let body = req.bytes().await?;
    let country = req.cf().and_then(|cf| cf.country());
    let event = match click::accept(&body, now_ms(), country) {
        Ok(event) => event,
        Err(r) => return rejection(&r, origin),
    };
    let message = serde_json::to_string(&event)?;
    let queue = env.queue(QUEUE)?;
    // Answer now; the queue write finishes after the response.
    ctx.wait_until(async move {
        if let Err(e) = queue.send(message).await {
            console_error!("payref: queue send failed: {e}");
        }
    });
    with_cors(Response::empty()?.with_status(204), origin)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let origin = req.headers().get("Origin")?;
    let origin = origin.as_deref();
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/healthz") => Response::ok("ok"),
        (Method::Options, "/v1/clicks") => with_cors(Response::empty()?.with_status(204), origin),
        (Method::Post, "/v1/clicks") => post_click(req, &env, &ctx, origin).await,
        (_, "/v1/clicks") => json_response(405, error_json("method_not_allowed", "use POST"), origin),
        _ => json_response(404, error_json("not_found", "no such route"), None),
    }
}

fn error_json(code: &str, message: &str) -> String {
    serde_json::json!({ "error": { "code": code, "message": message } }).to_string()
}

async fn deliver(env: &Env, signed: forward::SignedBatch) -> Result<bool> {
    let origin = env.var("ORIGIN_URL")?.to_string();
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set(payref_shared::signature::HEADER, &signed.signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(signed.body.into()));
    let request = Request::new_with_init(&forward::ingest_url(&origin), &init)?;
    let response = Fetch::Request(request).send().await?;
    Ok((200..300).contains(&response.status_code()))
}

#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    let messages: Vec<Message<String>> = batch.messages()?;
    let bodies: Vec<String> = messages.iter().map(|m| m.body().clone()).collect();
    let (events, poison) = forward::parse_messages(&bodies);
    for &i in &poison {
        console_error!("payref: dropping unparseable queue message {}", messages[i].id());
        messages[i].ack();
    }
    if events.is_empty() {
        return Ok(());
    }
    let secret = env.secret("EDGE_SECRET")?.to_string();
    let signed = forward::sign_batch(events, secret.as_bytes(), now_ms());
    let delivered = match deliver(&env, signed).await {
        Ok(ok) => ok,
        Err(e) => {
            console_error!("payref: origin unreachable: {e}");
            false
        }
    };
    // On failure every message is retried with the queue's retry_delay, then dead-lettered.
    for (i, m) in messages.iter().enumerate() {
        if poison.contains(&i) {
            continue;
        }
        if delivered { m.ack() } else { m.retry() }
    }
    Ok(())
}
