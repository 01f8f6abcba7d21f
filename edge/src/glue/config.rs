//! What the worker knows beyond one request: sites and links from the origin (cached in the
//! isolate's memory and in KV, each value with its own expiry), and the day's visitor salt.

use std::cell::RefCell;
use std::collections::HashMap;
use std::thread::LocalKey;

use payref_shared::edge_config::{self, LinkTarget, SiteConfig};
use payref_shared::{LinkSlug, SiteKey, signature};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Context, Env, Fetch, Headers, Method, Request, RequestInit, Result, console_error};

use super::now_ms;
use crate::site::{Cached, DEFAULT_TTL_MS, link_key, site_key};
use crate::visitor::{SALT_LEN, utc_day};

/// The KV namespace binding.
const KV: &str = "CONFIG";
/// How long KV keeps a value: well past its own expiry, so a stale copy is still there to use
/// while the origin is down.
const KV_KEEP_SECONDS: u64 = 7 * 24 * 60 * 60;

/// Values this isolate has fetched or read, by KV key, parsed once.
type Memory<T> = RefCell<HashMap<String, Cached<T>>>;

thread_local! {
    static SITES: Memory<SiteConfig> = RefCell::new(HashMap::new());
    static LINKS: Memory<LinkTarget> = RefCell::new(HashMap::new());
    static SALT: RefCell<Option<(i64, Vec<u8>)>> = const { RefCell::new(None) };
}

/// `ORIGIN_URL` without a trailing `/`.
pub fn origin_url(env: &Env) -> Result<String> {
    Ok(env.var("ORIGIN_URL")?.to_string().trim_end_matches('/').to_owned())
}

fn ttl_ms(env: &Env) -> i64 {
    env.var("CONFIG_TTL_SECONDS").ok().and_then(|v| v.to_string().parse::<i64>().ok()).map_or(DEFAULT_TTL_MS, |s| s.max(0) * 1000)
}

/// What the origin says at `path`: `Some(json)` on 200, `None` on 404, an error otherwise.
async fn fetch_origin(env: &Env, path: &str) -> Result<Option<String>> {
    let secret = env.secret("EDGE_SECRET")?.to_string();
    let headers = Headers::new();
    headers.set(signature::HEADER, &signature::sign(secret.as_bytes(), now_ms(), &edge_config::signed_payload("GET", path)))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(&format!("{}{path}", origin_url(env)?), &init)?;
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
    match fetch_origin(env, path).await {
        Ok(body) => {
            let value = match body {
                Some(json) => Some(serde_json::from_str::<T>(&json)?),
                None => None,
            };
            let entry = Cached::new(value, now, ttl_ms(env));
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
pub async fn site(env: &Env, ctx: &Context, site: &SiteKey) -> Result<Option<SiteConfig>> {
    cached(&SITES, env, ctx, &site_key(site.as_str()), &edge_config::site_path(site)).await
}

/// A link of `site` by slug; `Ok(None)` when there is no such link.
pub async fn link(env: &Env, ctx: &Context, site: &SiteKey, slug: &LinkSlug) -> Result<Option<LinkTarget>> {
    cached(&LINKS, env, ctx, &link_key(site.as_str(), slug.as_str()), &edge_config::link_path(site, slug)).await
}

/// Random bytes from the runtime's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    let crypto = worker::js_sys::Reflect::get(&worker::js_sys::global(), &"crypto".into())?;
    let array = worker::js_sys::Uint8Array::new_with_length(N as u32);
    let get_random = worker::js_sys::Reflect::get(&crypto, &"getRandomValues".into())?;
    worker::js_sys::Function::from(get_random).call1(&crypto, &array)?;
    array.copy_to(&mut bytes);
    Ok(bytes)
}

/// Today's visitor salt (UTC): shared through KV by every isolate, random, kept two days.
/// Isolates racing on a new day may briefly use different salts; that only lets a repeat
/// through to the origin.
pub async fn visitor_salt(env: &Env, ctx: &Context) -> Result<Vec<u8>> {
    let day = utc_day(now_ms());
    if let Some((d, salt)) = SALT.with(|s| s.borrow().clone())
        && d == day
    {
        return Ok(salt);
    }
    let key = format!("salt:{day}");
    // Without KV this isolate keeps a salt of its own: repeats across isolates then reach the
    // origin, but no click is refused for it.
    let kv = env.kv(KV).map_err(|e| console_error!("payref: no KV for the day's salt: {e}")).ok();
    let stored = match &kv {
        Some(kv) => kv.get(&key).text().await.map_err(|e| console_error!("payref: reading the day's salt: {e}")).ok().flatten(),
        None => None,
    };
    let salt = match stored.and_then(|h| hex::decode(h).ok()) {
        Some(salt) if salt.len() == SALT_LEN => salt,
        _ => {
            let salt = random_bytes::<SALT_LEN>()?.to_vec();
            if let Some(kv) = kv {
                let put = kv.put(&key, hex::encode(&salt)).map(|p| p.expiration_ttl(2 * 24 * 60 * 60));
                ctx.wait_until(async move {
                    if let Err(e) = async { put?.execute().await }.await {
                        console_error!("payref: storing the day's salt: {e}");
                    }
                });
            }
            salt
        }
    };
    SALT.with(|s| *s.borrow_mut() = Some((day, salt.clone())));
    Ok(salt)
}
