//! The dashboard's static files, embedded in the binary and served under content-hashed names
//! (`dashboard.<hash>.css`) with `immutable` caching: a new build names a new file.

use std::sync::OnceLock;

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Response, handler};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset {
        stem: "dashboard",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../assets/dashboard.css"),
    },
    Asset { stem: "favicon", extension: "svg", content_type: "image/svg+xml", body: include_str!("../../../assets/favicon.svg") },
];

/// Each asset's served name, its content's hash in it, in the order of `ASSETS`.
fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS.iter().map(|a| format!("{}.{}.{}", a.stem, &hex::encode(Sha256::digest(a.body.as_bytes()))[..12], a.extension)).collect()
    })
}

/// The URL of the asset whose stem is `stem`.
pub fn url(stem: &str) -> String {
    let at = ASSETS.iter().position(|a| a.stem == stem).unwrap_or(0);
    format!("/dashboard/assets/{}", names()[at])
}

/// `GET /dashboard/assets/:name`: only the current names exist.
#[handler]
pub fn serve(Path(name): Path<String>) -> Response {
    let Some(at) = names().iter().position(|n| *n == name) else {
        return super::refusal(StatusCode::NOT_FOUND, "no such asset");
    };
    Response::builder()
        .content_type(ASSETS[at].content_type)
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .body(ASSETS[at].body)
}
