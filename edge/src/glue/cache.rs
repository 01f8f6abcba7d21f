//! A cache of sites and links: fetched from the origin with a signed request, kept in the
//! isolate's memory and in KV, each value with its own expiry, and used stale while the origin
//! cannot be reached.

use std::cell::RefCell;
use std::collections::HashMap;
use std::thread::LocalKey;

use payref_shared::edge_config::{self, LinkTarget, SiteConfig};
use payref_shared::{LinkSlug, SiteKey, signature};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Context, Env, Fetch, Headers, Method, Request, RequestInit, Result, console_error};

use super::now_ms;
use crate::site::{Cached, link_key, site_key};
use crate::vars::Vars;

/// The KV namespace binding.
pub const KV: &str = "CONFIG";
/// How long KV keeps a value: well past its own expiry, so a stale copy is still there to use
/// while the origin is down.
const KV_KEEP_SECONDS: u64 = 7 * 24 * 60 * 60;

/// Values this isolate has fetched or read, by KV key, parsed once.
type Memory<T> = RefCell<HashMap<String, Cached<T>>>;

thread_local! {
    static SITES: Memory<SiteConfig> = RefCell::new(HashMap::new());
    static LINKS: Memory<LinkTarget> = RefCell::new(HashMap::new());
}

/// What the origin says at `path`: `Some(json)` on 200, `None` on 404, an error otherwise.
async fn fetch_origin(vars: &Vars, path: &str) -> Result<Option<String>> {
    let secret = vars.edge_secret().map_err(|e| worker::Error::RustError(e.into()))?;
    let origin_url = vars.origin_url().map_err(|e| worker::Error::RustError(e.into()))?;
    let headers = Headers::new();
    headers.set(signature::HEADER, &signature::sign(secret, now_ms(), &edge_config::signed_payload("GET", path)))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(&format!("{origin_url}{path}"), &init)?;
    let mut response = Fetch::Request(request).send().await?;
    match response.status_code() {
        200 => Ok(Some(response.text().await?)),
        404 => Ok(None),
        status => Err(worker::Error::RustError(format!("origin answered {status} for {path}"))),
    }
}

/// The value under `key`: from memory or KV while fresh, else from the origin at `path` (then
/// remembered); a stale value when the origin cannot be reached. `Err` only when there is
/// neither.
async fn cached<T: Serialize + DeserializeOwned + Clone>(
    memory: &'static LocalKey<Memory<T>>,
    env: &Env,
    vars: &Vars,
    ctx: &Context,
    key: &str,
    path: &str,
) -> Result<Option<T>> {
    let now = now_ms();
    if let Some(value) = memory.with(|m| m.borrow().get(key).filter(|c| c.fresh(now)).map(|c| c.value.clone())) {
        return Ok(value);
    }
    let kv = env.kv(KV)?;
    let stored = kv.get(key).text().await.ok().flatten().and_then(|j| serde_json::from_str::<Cached<T>>(&j).ok());
    if let Some(c) = stored.as_ref().filter(|c| c.fresh(now)) {
        remember(memory, key, c.clone());
        return Ok(c.value.clone());
    }
    match fetch_origin(vars, path).await {
        Ok(body) => {
            let value = match body {
                Some(json) => Some(serde_json::from_str::<T>(&json)?),
                None => None,
            };
            let entry = Cached::new(value, now, vars.config_ttl_ms);
            // Stored after the response: nothing waits on the write.
            let json = serde_json::to_string(&entry)?;
            remember(memory, key, entry.clone());
            let key = key.to_owned();
            ctx.wait_until(async move {
                let written = match kv.put(&key, json) {
                    Ok(put) => put.expiration_ttl(KV_KEEP_SECONDS).execute().await,
                    Err(e) => Err(e),
                };
                if let Err(e) = written {
                    console_error!("payref: caching {key}: {e}");
                }
            });
            Ok(entry.value)
        }
        Err(e) => match stored {
            Some(c) => {
                console_error!("payref: using a stale {key}: {e}");
                Ok(c.value)
            }
            None => Err(e),
        },
    }
}

fn remember<T>(memory: &'static LocalKey<Memory<T>>, key: &str, entry: Cached<T>) {
    memory.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key.to_owned(), entry);
    });
}

/// A site's configuration; `Ok(None)` for a site the origin does not know.
pub async fn site(env: &Env, vars: &Vars, ctx: &Context, site: &SiteKey) -> Result<Option<SiteConfig>> {
    cached(&SITES, env, vars, ctx, &site_key(site.as_str()), &edge_config::site_path(site)).await
}

/// A link of `site` by slug; `Ok(None)` when there is no such link.
pub async fn link(env: &Env, vars: &Vars, ctx: &Context, site: &SiteKey, slug: &LinkSlug) -> Result<Option<LinkTarget>> {
    cached(&LINKS, env, vars, ctx, &link_key(site.as_str(), slug.as_str()), &edge_config::link_path(site, slug)).await
}
