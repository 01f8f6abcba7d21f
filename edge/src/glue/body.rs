//! Reading a request body without trusting its `Content-Length`: a body sent chunked, or longer
//! than it declared, is read only up to the limit.

use futures_util::StreamExt;
use worker::{Request, Result};

/// The body, or `None` when it is longer than `limit` bytes (the rest is never read).
pub async fn read_bounded(req: &mut Request, limit: usize) -> Result<Option<Vec<u8>>> {
    if req.inner().body().is_none() {
        return Ok(Some(Vec::new()));
    }
    let mut stream = req.stream()?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
