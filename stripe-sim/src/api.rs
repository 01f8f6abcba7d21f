//! The simulator's HTTP API: Stripe's routes, authentication, pagination (`limit`,
//! `starting_after`, `ending_before`, `created[…]`), `expand[]`, search and error objects.

use poem::http::{Method, StatusCode};
use poem::{Body, Endpoint, EndpointExt, IntoEndpoint, Request, Response, handler};
use serde_json::{Value, json};

use crate::checkout;
use crate::form::{self, strings};
use crate::objects::{self, id};
use crate::store::{Created, Cursor};
use crate::{SimError, Simulator};

/// The largest page Stripe serves.
const MAX_LIMIT: usize = 100;

/// The routes, sharing `sim`: Stripe's API, and the demo's stand-in for a Payment Link's page.
pub fn routes(sim: Simulator) -> impl IntoEndpoint<Endpoint: Endpoint> {
    poem::Route::new().at("/b/:link", poem::get(checkout::show).post(checkout::pay)).at("/*path", handle).data(sim)
}

#[handler]
async fn handle(req: &Request, body: Body, poem::web::Data(sim): poem::web::Data<&Simulator>) -> Response {
    let request_id = id("req", 14);
    let result = match livemode_of(req) {
        Ok(livemode) => {
            let mut params = form::parse(req.uri().query().unwrap_or_default().as_bytes());
            if req.method() == Method::POST {
                match body.into_bytes().await {
                    Ok(bytes) => merge_params(&mut params, form::parse(&bytes)),
                    Err(e) => {
                        return respond(Err(SimError::invalid("body", &format!("unreadable body: {e}"))), &request_id);
                    }
                }
            }
            let outage = {
                let mut st = sim.state();
                let failing = st.failing_requests > 0;
                st.failing_requests = st.failing_requests.saturating_sub(1);
                failing
            };
            if outage { Err(SimError::outage()) } else { route(sim, req.method(), req.uri().path(), &params, livemode) }
        }
        Err(e) => Err(e),
    };
    respond(result, &request_id)
}

fn merge_params(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn respond(result: Result<Value, SimError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => {
            let mut body = e.body;
            body["error"]["request_log_url"] = json!(format!("https://dashboard.stripe.com/test/logs/{request_id}"));
            (StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), body)
        }
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("request-id", request_id)
        .header("stripe-version", objects::API_VERSION)
        .body(body.to_string())
}

/// Live or test, from the secret or restricted key (`Authorization: Bearer sk_test_…`).
fn livemode_of(req: &Request) -> Result<bool, SimError> {
    let key = req.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
    let unauthorized = |message: &str| SimError { status: 401, body: objects::error("invalid_request_error", None, message, None) };
    if key.is_empty() {
        return Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.",
        ));
    }
    match key.split('_').take(2).collect::<Vec<_>>().as_slice() {
        ["sk" | "rk", "test"] => Ok(false),
        ["sk" | "rk", "live"] => Ok(true),
        _ => Err(unauthorized(&format!("Invalid API Key provided: {}", redact(key)))),
    }
}

fn redact(key: &str) -> String {
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}***{tail}", key.chars().take(8).collect::<String>())
}

fn route(sim: &Simulator, method: &Method, path: &str, p: &Value, live: bool) -> Result<Value, SimError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    match segments.as_slice() {
        ["v1", "checkout", "sessions"] if get => list(
            sim,
            live,
            "checkout.session",
            "/v1/checkout/sessions",
            p,
            &["customer", "payment_intent", "subscription", "status", "payment_link"],
        ),
        ["v1", "checkout", "sessions", id] if get => retrieve(sim, live, "checkout.session", id, p),
        ["v1", "checkout", "sessions", id, "line_items"] if get => {
            let st = sim.state();
            let session = st.get(live, "checkout.session", id).ok_or_else(|| SimError::missing("checkout.session", id))?;
            Ok(objects::session_line_items(session))
        }
        ["v1", "customers"] if get => list(sim, live, "customer", "/v1/customers", p, &["email"]),
        ["v1", "customers"] if post => {
            let metadata = p.get("metadata").cloned().unwrap_or_else(|| json!({}));
            let mut customer = sim.create_customer(live, p["email"].as_str(), metadata);
            if let Some(name) = p["name"].as_str() {
                customer["name"] = json!(name);
                sim.state().put(live, "customer", customer.clone());
            }
            Ok(customer)
        }
        ["v1", "customers", "search"] if get => search_customers(sim, live, p),
        ["v1", "customers", id] if get => retrieve(sim, live, "customer", id, p),
        ["v1", "customers", id] if post => {
            let metadata = p.get("metadata").cloned().unwrap_or_else(|| json!({}));
            let mut customer = sim.update_customer_metadata(live, id, &metadata)?;
            if let Some(email) = p["email"].as_str() {
                customer["email"] = json!(email);
                sim.state().put(live, "customer", customer.clone());
            }
            Ok(customer)
        }
        ["v1", "customers", id, "balance_transactions"] if get => {
            sim.state().get(live, "customer", id).ok_or_else(|| SimError::missing("customer", id))?;
            let owner = (*id).to_string();
            list_where(sim, live, "customer_balance_transaction", &format!("/v1/customers/{id}/balance_transactions"), p, move |v| {
                v["customer"] == owner.as_str()
            })
        }
        ["v1", "customers", id, "balance_transactions"] if post => {
            let amount = int(p, "amount")?.ok_or_else(|| SimError::invalid("amount", "Missing required param: amount."))?;
            let currency = p["currency"].as_str().ok_or_else(|| SimError::invalid("currency", "Missing required param: currency."))?;
            sim.add_balance_transaction(live, id, amount, currency, p["description"].as_str())
        }
        ["v1", "invoices"] if get => list(sim, live, "invoice", "/v1/invoices", p, &["customer", "subscription", "status"]),
        ["v1", "invoices", id] if get => retrieve(sim, live, "invoice", id, p),
        ["v1", "invoice_payments"] if get => {
            let invoice = p["invoice"].as_str().map(str::to_string);
            let intent = p["payment"]["payment_intent"].as_str().map(str::to_string);
            list_where(sim, live, "invoice_payment", "/v1/invoice_payments", p, move |v| {
                invoice.as_ref().is_none_or(|i| v["invoice"] == i.as_str())
                    && intent.as_ref().is_none_or(|i| v["payment"]["payment_intent"] == i.as_str())
            })
        }
        ["v1", "invoice_payments", id] if get => retrieve(sim, live, "invoice_payment", id, p),
        ["v1", "charges"] if get => list(sim, live, "charge", "/v1/charges", p, &["customer", "payment_intent"]),
        ["v1", "charges", id] if get => retrieve(sim, live, "charge", id, p),
        ["v1", "payment_intents", id] if get => retrieve(sim, live, "payment_intent", id, p),
        ["v1", "refunds"] if get => list(sim, live, "refund", "/v1/refunds", p, &["charge", "payment_intent"]),
        ["v1", "refunds"] if post => {
            let charge = match (p["charge"].as_str(), p["payment_intent"].as_str()) {
                (Some(c), _) => c.to_string(),
                (None, Some(pi)) => {
                    let st = sim.state();
                    let intent = st.get(live, "payment_intent", pi).ok_or_else(|| SimError::missing("payment_intent", pi))?;
                    intent["latest_charge"]
                        .as_str()
                        .ok_or_else(|| SimError::invalid("payment_intent", "This PaymentIntent has no charge to refund."))?
                        .to_string()
                }
                (None, None) => return Err(SimError::invalid("charge", "One of `charge` or `payment_intent` is required.")),
            };
            let refund = sim.refund(live, &charge, int(p, "amount")?)?;
            retrieve(sim, live, "refund", &refund, p)
        }
        ["v1", "refunds", id] if get => retrieve(sim, live, "refund", id, p),
        ["v1", "disputes", id] if get => retrieve(sim, live, "dispute", id, p),
        ["v1", "subscriptions", id] if get => retrieve(sim, live, "subscription", id, p),
        ["v1", "coupons"] if get => list(sim, live, "coupon", "/v1/coupons", p, &[]),
        ["v1", "coupons"] if post => {
            let percent = p["percent_off"]
                .as_str()
                .map(|s| s.parse::<f64>().map_err(|_| SimError::invalid("percent_off", "Invalid decimal: percent_off")))
                .transpose()?;
            let amount = int(p, "amount_off")?;
            let currency = p["currency"].as_str().unwrap_or("usd");
            if percent.is_none() == amount.is_none() {
                return Err(SimError::invalid("percent_off", "You must specify either percent_off or amount_off."));
            }
            let coupon = sim.create_coupon(live, percent, amount.map(|a| (a, currency)));
            retrieve(sim, live, "coupon", &coupon, p)
        }
        ["v1", "coupons", id] if get => retrieve(sim, live, "coupon", id, p),
        ["v1", "promotion_codes"] if get => list(sim, live, "promotion_code", "/v1/promotion_codes", p, &["code", "active"]),
        ["v1", "promotion_codes"] if post => {
            let coupon = p["promotion"]["coupon"]
                .as_str()
                .or_else(|| p["coupon"].as_str())
                .ok_or_else(|| SimError::invalid("promotion", "Missing required param: promotion[coupon]."))?;
            let code = p["code"].as_str().map_or_else(|| id("", 8).trim_start_matches('_').to_uppercase(), str::to_string);
            let promo = sim.create_promotion_code(live, &code, coupon, p.get("metadata").cloned().unwrap_or_else(|| json!({})))?;
            retrieve(sim, live, "promotion_code", &promo, p)
        }
        ["v1", "promotion_codes", id] if get => retrieve(sim, live, "promotion_code", id, p),
        ["v1", "promotion_codes", id] if post => {
            let active = p["active"].as_str().map(|a| a == "true");
            sim.update_promotion_code(live, id, active, p.get("metadata").unwrap_or(&json!({})))
        }
        ["v1", "events"] if get => {
            let types: Vec<String> = match p.get("types") {
                Some(_) => strings(p, "types"),
                None => p["type"].as_str().map(|t| vec![t.to_string()]).unwrap_or_default(),
            };
            list_where(sim, live, "event", "/v1/events", p, move |v| {
                types.is_empty() || types.iter().any(|t| type_matches(t, v["type"].as_str().unwrap_or_default()))
            })
        }
        ["v1", "events", id] if get => retrieve(sim, live, "event", id, p),
        _ => Err(SimError {
            status: 404,
            body: objects::error(
                "invalid_request_error",
                None,
                &format!(
                    "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
                ),
                None,
            ),
        }),
    }
}

/// `type=charge.dispute.*` matches by prefix, as Stripe's does.
fn type_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

fn int(p: &Value, key: &str) -> Result<Option<i64>, SimError> {
    match &p[key] {
        Value::Null => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| SimError {
            status: 400,
            body: objects::error("invalid_request_error", Some("parameter_invalid_integer"), &format!("Invalid integer: {s}"), Some(key)),
        }),
        _ => Err(SimError::invalid(key, &format!("Invalid {key}"))),
    }
}

fn retrieve(sim: &Simulator, live: bool, kind: &str, id: &str, p: &Value) -> Result<Value, SimError> {
    let st = sim.state();
    let mut object = st.get(live, kind, id).cloned().ok_or_else(|| SimError::missing(kind, id))?;
    for path in strings(p, "expand") {
        expand(&st, live, &mut object, &path)?;
    }
    Ok(object)
}

/// Replaces an id with its object: `customer`, `payment_intent`, `invoice`, `subscription`,
/// `charge`, `line_items`, or `data.<field>` on a list.
fn expand(st: &crate::State, live: bool, object: &mut Value, path: &str) -> Result<(), SimError> {
    if let Some(rest) = path.strip_prefix("data.")
        && let Some(items) = object.get_mut("data").and_then(Value::as_array_mut)
    {
        for item in items {
            expand(st, live, item, rest)?;
        }
        return Ok(());
    }
    if path == "payments" && object["object"] == "invoice" {
        // Includable, as at Stripe: an invoice's payments come only when asked for.
        let id = object["id"].as_str().unwrap_or_default().to_string();
        let data: Vec<Value> = st.account(live).of("invoice_payment").values().filter(|p| p["invoice"] == id.as_str()).cloned().collect();
        object["payments"] =
            json!({ "object": "list", "data": data, "has_more": false, "url": format!("/v1/invoice_payments?invoice={id}") });
        return Ok(());
    }
    if path == "line_items" && object["object"] == "checkout.session" {
        object["line_items"] = objects::session_line_items(object);
        return Ok(());
    }
    let kind = match path {
        "customer" => "customer",
        "payment_intent" => "payment_intent",
        "invoice" => "invoice",
        "subscription" => "subscription",
        "charge" | "latest_charge" => "charge",
        "promotion.coupon" => {
            if let Some(id) = object["promotion"]["coupon"].as_str().map(str::to_string) {
                object["promotion"]["coupon"] = st.get(live, "coupon", &id).cloned().unwrap_or(Value::Null);
            }
            return Ok(());
        }
        _ => return Err(SimError::invalid("expand", &format!("This property cannot be expanded ({path})."))),
    };
    if let Some(id) = object.get(path).and_then(Value::as_str).map(str::to_string) {
        object[path] = st.get(live, kind, &id).cloned().unwrap_or(Value::Null);
    }
    Ok(())
}

fn list(sim: &Simulator, live: bool, kind: &str, url: &str, p: &Value, filters: &[&str]) -> Result<Value, SimError> {
    let wanted: Vec<(String, String)> = filters.iter().filter_map(|f| p[*f].as_str().map(|v| ((*f).to_string(), v.to_string()))).collect();
    list_where(sim, live, kind, url, p, move |v| {
        wanted.iter().all(|(k, want)| match &v[k.as_str()] {
            Value::String(s) => s == want,
            Value::Bool(b) => b.to_string() == *want,
            _ => false,
        })
    })
}

fn list_where(sim: &Simulator, live: bool, kind: &str, url: &str, p: &Value, keep: impl Fn(&Value) -> bool) -> Result<Value, SimError> {
    let limit = match int(p, "limit")? {
        None => 10,
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
        Some(_) => return Err(SimError::invalid("limit", "This value must be greater than or equal to 1 and less than or equal to 100.")),
    };
    let created = created_filter(p)?;
    let cursor = match (p["starting_after"].as_str(), p["ending_before"].as_str()) {
        (Some(a), None) => Cursor::After(a),
        (None, Some(b)) => Cursor::Before(b),
        (None, None) => Cursor::Top,
        (Some(_), Some(_)) => {
            return Err(SimError::invalid(
                "starting_after",
                "You may only specify one of these parameters: ending_before, starting_after.",
            ));
        }
    };
    let st = sim.state();
    let page = st.account(live).of(kind).page(created, cursor, limit, keep).ok_or_else(|| {
        let id = p["starting_after"].as_str().or(p["ending_before"].as_str()).unwrap_or_default();
        SimError::missing(kind, id)
    })?;
    let mut list = json!({ "object": "list", "data": page.data, "has_more": page.has_more, "url": url });
    for path in strings(p, "expand") {
        expand(&st, live, &mut list, &path)?;
    }
    Ok(list)
}

fn created_filter(p: &Value) -> Result<Created, SimError> {
    let mut c = Created::default();
    match &p["created"] {
        Value::Null => {}
        Value::String(exact) => {
            let t = exact.parse().map_err(|_| SimError::invalid("created", "Invalid timestamp: created"))?;
            c = Created { from: Some(t), to: Some(t) };
        }
        Value::Object(bounds) => {
            for (op, v) in bounds {
                let t: i64 = v
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| SimError::invalid("created", &format!("Invalid timestamp: created[{op}]")))?;
                match op.as_str() {
                    "gte" => c.from = Some(c.from.map_or(t, |f| f.max(t))),
                    "gt" => c.from = Some(c.from.map_or(t + 1, |f| f.max(t + 1))),
                    "lte" => c.to = Some(c.to.map_or(t, |f| f.min(t))),
                    "lt" => c.to = Some(c.to.map_or(t - 1, |f| f.min(t - 1))),
                    _ => return Err(SimError::invalid("created", &format!("Received unknown parameter: created[{op}]"))),
                }
            }
        }
        _ => return Err(SimError::invalid("created", "Invalid created")),
    }
    Ok(c)
}

/// `GET /v1/customers/search?query=email:'a@b.c'` (and `metadata['k']:'v'`), Stripe's search
/// result object, paged by `page`.
fn search_customers(sim: &Simulator, live: bool, p: &Value) -> Result<Value, SimError> {
    let query = p["query"].as_str().ok_or_else(|| SimError::invalid("query", "Missing required param: query."))?;
    let clauses: Vec<(String, String)> = query
        .split(" AND ")
        .map(|clause| {
            let (field, value) =
                clause.split_once(':').ok_or_else(|| SimError::invalid("query", &format!("Invalid search query: {clause}")))?;
            Ok((field.trim().to_string(), value.trim().trim_matches('\'').trim_matches('"').to_string()))
        })
        .collect::<Result<_, SimError>>()?;
    let limit = int(p, "limit")?.unwrap_or(10).clamp(1, MAX_LIMIT as i64) as usize;
    let skip: usize = p["page"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    let st = sim.state();
    let mut hits: Vec<&Value> = st
        .account(live)
        .of("customer")
        .values()
        .filter(|c| {
            clauses.iter().all(|(field, want)| match field.strip_prefix("metadata[").and_then(|f| f.strip_suffix(']')) {
                Some(key) => c["metadata"][key.trim_matches('\'').trim_matches('"')] == want.as_str(),
                None => c[field.as_str()].as_str().is_some_and(|v| v.eq_ignore_ascii_case(want)),
            })
        })
        .collect();
    hits.sort_by_key(|c| std::cmp::Reverse(c["created"].as_i64()));
    let has_more = hits.len() > skip + limit;
    let data: Vec<Value> = hits.into_iter().skip(skip).take(limit).cloned().collect();
    Ok(json!({
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": if has_more { json!((skip + limit).to_string()) } else { Value::Null },
        "url": "/v1/customers/search"
    }))
}
