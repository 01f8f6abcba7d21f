//! The dashboard's session cookie: `payref_session`, HttpOnly, SameSite=Lax, scoped to
//! `/dashboard`, Secure when the request came over TLS. The cookie holds a random token; the
//! database holds its hash (`storage::sessions`).

use poem::Request;

use crate::domain::account::{SESSION_MS, csrf_token, session_key};
use crate::http::AppState;
use crate::storage::StorageError;
use crate::storage::sessions::{self, SessionRow};

/// The cookie's name.
pub const COOKIE: &str = "payref_session";

/// A signed-in request: the user, their merchant and the token their forms prove.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who, and for which merchant.
    pub user: SessionRow,
    /// The cookie's token (never stored).
    pub token: String,
}

impl Session {
    /// The CSRF token this session's forms carry.
    pub fn csrf(&self) -> String {
        csrf_token(&self.token)
    }
}

/// The session token the request's cookie carries, if any (a bounded, plain hex value).
pub fn presented_token(req: &Request) -> Option<String> {
    let cookies = req.headers().get_all("cookie");
    cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The request's live session, if it has one.
pub async fn current(req: &Request, state: &AppState) -> Result<Option<Session>, StorageError> {
    let Some(token) = presented_token(req) else { return Ok(None) };
    let user = sessions::live(&state.db.pool, &session_key(&token), crate::now_ms()).await?;
    Ok(user.map(|user| Session { user, token }))
}

/// Whether the request came over TLS (directly, or through a proxy that says so).
fn over_tls(req: &Request) -> bool {
    req.uri().scheme_str() == Some("https")
        || req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` value opening a session with `token`.
pub fn set_cookie(req: &Request, token: &str) -> String {
    let secure = if over_tls(req) { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age={}{secure}", SESSION_MS / 1000)
}

/// The `Set-Cookie` value clearing the session cookie.
pub fn clear_cookie(req: &Request) -> String {
    let secure = if over_tls(req) { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}
