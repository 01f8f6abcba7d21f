//! The day's visitor salt, shared by every isolate through KV, and the runtime's randomness.

use std::cell::RefCell;

use worker::{Context, Env, Result, console_error};

use super::cache::KV;
use super::now_ms;
use crate::visitor::{SALT_LEN, utc_day};

thread_local! {
    static SALT: RefCell<Option<(i64, Vec<u8>)>> = const { RefCell::new(None) };
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
