//! What an outside attack found (issue 17), reproduced against a running origin: bodies read
//! whole before the caller is even authorised, and signature headers that cost a MAC per value.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use payref_origin::domain::api_key::Scope;
use payref_shared::signature;
use payref_tests::origin::{Backend, EDGE_SECRET, TestOrigin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_limits";
const MIB: usize = 1024 * 1024;

/// Sends `head` (request line and headers, without the blank line) and then `body_bytes` of
/// chunked or declared body, as fast as the server takes them, while reading its answer.
/// Returns the status line and how many body bytes the server accepted before answering.
async fn raw_post(addr: &str, head: &str, body_bytes: usize, chunked: bool) -> (String, usize) {
    let stream = TcpStream::connect(addr).await.expect("connecting");
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(format!("{head}\r\n\r\n").as_bytes()).await.expect("sending headers");
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let feeding = tokio::spawn(async move {
        let chunk = vec![b'x'; 64 * 1024];
        let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
        while counter.load(Ordering::Relaxed) < body_bytes {
            let piece = if chunked { &framed } else { &chunk };
            if writer.write_all(piece).await.is_err() {
                return;
            }
            counter.fetch_add(chunk.len(), Ordering::Relaxed);
        }
        if chunked {
            let _ = writer.write_all(b"0\r\n\r\n").await;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    read.expect("the origin answered within a minute");
    let accepted = sent.load(Ordering::Relaxed);
    feeding.abort();
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or_default().to_owned(), accepted)
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_it_is_read_or_authorised() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let read_only = origin.api_key(Scope::Read).await;
    let addr = origin.url.trim_start_matches("http://");
    // 64 MiB declared, none of it sent: an origin that waits for the body never answers.
    let head = format!(
        "POST /v1/affiliates HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {read_only}\r\nContent-Type: application/json\r\nContent-Length: {}",
        64 * MIB
    );
    let (status, _) = raw_post(addr, &head, 0, false).await;
    assert!(status.contains(" 413 "), "{status}");
    for path in ["/v1/ingest/events".to_owned(), format!("/v1/stripe/webhooks/{}/test", origin.seed.merchant_id)] {
        let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}", 9 * MIB);
        let (status, _) = raw_post(addr, &head, 0, false).await;
        assert!(status.contains(" 413 "), "{path}: {status}");
    }
}

#[tokio::test]
async fn a_chunked_body_is_read_only_up_to_the_routes_limit() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let read_only = origin.api_key(Scope::Read).await;
    let addr = origin.url.trim_start_matches("http://");
    let head = format!(
        "POST /v1/affiliates HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {read_only}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
    );
    let (status, accepted) = raw_post(addr, &head, 64 * MIB, true).await;
    assert!(status.contains(" 413 "), "{status}");
    // What the server took is its 256 KiB limit plus what loopback's socket buffers hold.
    assert!(accepted < 24 * MIB, "the origin read {accepted} bytes of a 64 MiB body before answering");
    // A body within the limit still reaches the route, which refuses the read-only key.
    let small = reqwest::Client::new()
        .post(format!("{}/v1/affiliates", origin.url))
        .bearer_auth(&read_only)
        .json(&serde_json::json!({ "code": "x" }))
        .send()
        .await
        .expect("request");
    assert_eq!(small.status(), 403);
}

#[tokio::test]
async fn a_signature_header_flooded_with_values_is_refused_without_computing_them() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let body = "x".repeat(4 * MIB);
    let now = payref_origin::now_ms();
    let good = signature::sign(EDGE_SECRET.as_bytes(), now, body.as_bytes());
    let flood = format!("{good}{}", ",v1=".repeat(5_000));
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/v1/ingest/events", origin.url))
        .header(signature::HEADER, &flood)
        .body(body.clone())
        .send()
        .await
        .expect("ingest");
    assert_eq!(resp.status(), 400);
    let answer: serde_json::Value = resp.json().await.expect("JSON");
    assert_eq!(answer["error"]["code"], "bad_signature", "{answer}");
    let stripe_flood = format!("t={},v1={}{}", now / 1000, "0".repeat(64), ",v1=".repeat(5_000));
    let resp = client
        .post(format!("{}/v1/stripe/webhooks/{}/test", origin.url, origin.seed.merchant_id))
        .header("Stripe-Signature", stripe_flood)
        .body(r#"{"id":"evt_1"}"#)
        .send()
        .await
        .expect("webhook");
    assert_eq!(resp.status(), 400);
    let answer: serde_json::Value = resp.json().await.expect("JSON");
    assert!(answer["error"]["message"].as_str().unwrap_or_default().contains("malformed"), "{answer}");
}

#[tokio::test]
async fn an_address_that_keeps_presenting_bad_api_keys_is_throttled() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let client = reqwest::Client::new();
    let get = |key: String| client.get(format!("{}/v1/affiliates", origin.url)).bearer_auth(key).send();
    for n in 0..payref_origin::domain::throttle::API_KEY_FAILURES {
        assert_eq!(get(format!("prk_guess{n}")).await.expect("request").status(), 401);
    }
    let refused = get("prk_one_more".into()).await.expect("request");
    assert_eq!(refused.status(), 429);
    let wait: i64 = refused.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // Until the window ends, the address is refused before any key is looked up.
    assert_eq!(get(origin.seed.api_key.clone()).await.expect("request").status(), 429);
}
