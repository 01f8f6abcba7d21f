//! Sites, affiliate links, and the signed endpoints the edge caches them from — on SQLite and
//! PostgreSQL.

use payref_shared::edge_config::signed_payload;
use payref_shared::signature;
use payref_tests::origin::{Backend, EDGE_SECRET, SITE_KEY};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;

const SHOP: &str = "https://shop.example.com";

impl Api {
    /// A new site with `https://shop.example.com` allowed; returns its id.
    async fn shop_site(&self, key: &str) -> String {
        let site = self.ok(self.key(), Method::POST, "/v1/sites", Some(json!({ "site_key": key, "allowed_origins": [SHOP] }))).await;
        site["id"].as_str().unwrap().to_owned()
    }

    async fn demo_affiliate_id(&self) -> String {
        let list = self.ok(self.key(), Method::GET, "/v1/affiliates", None).await;
        list["data"].as_array().unwrap().iter().find(|a| a["code"] == "demo").unwrap()["id"].as_str().unwrap().to_owned()
    }

    /// `GET path` as the edge sends it, signed with `secret` for `signed_path`.
    async fn edge_get(&self, path: &str, secret: &str, signed_path: &str) -> reqwest::Response {
        let header = signature::sign(secret.as_bytes(), payref_origin::now_ms(), &signed_payload("GET", signed_path));
        self.client.get(format!("{}{path}", self.origin.url)).header(signature::HEADER, header).send().await.expect("edge request")
    }
}

async fn sites_are_registered_with_normalised_origins(backend: Backend) {
    let api = Api::new(backend).await;
    let body = json!({ "site_key": "shop_main", "name": "Main shop", "allowed_origins": ["https://Shop.Example.com/", "https://shop.example.com:443", "http://localhost:8080"] });
    let site = api.ok(api.key(), Method::POST, "/v1/sites", Some(body)).await;
    assert_eq!(site["allowed_origins"], json!(["https://shop.example.com", "http://localhost:8080"]), "normalised, repeats dropped");
    let id = site["id"].as_str().unwrap();
    let (code, _) = refused(api.call(api.key(), Method::POST, "/v1/sites", Some(json!({ "site_key": "shop_main" }))).await, 409).await;
    assert_eq!(code, "site_key_taken");
    let (code, _) = refused(api.call(api.key(), Method::POST, "/v1/sites", Some(json!({ "site_key": SITE_KEY }))).await, 409).await;
    assert_eq!(code, "site_key_taken", "keys are unique across merchants too");

    let patched = api
        .ok(api.key(), Method::PATCH, &format!("/v1/sites/{id}"), Some(json!({ "allowed_origins": ["https://www.shop.example.com"] })))
        .await;
    assert_eq!(
        (patched["allowed_origins"][0].as_str(), patched["name"].as_str()),
        (Some("https://www.shop.example.com"), Some("Main shop"))
    );
    let listed = api.ok(api.key(), Method::GET, "/v1/sites", None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2, "the seeded site and this one");

    let cases = [
        (json!({ "name": "x" }), "site_key"),
        (json!({ "site_key": "a b" }), "site_key"),
        (json!({ "site_key": "ok_key", "allowed_origins": ["https://ok.example", "shop.example.com"] }), "allowed_origins[1]"),
        (json!({ "site_key": "ok_key", "allowed_origins": ["https://shop.example.com/path"] }), "allowed_origins[0]"),
        (json!({ "site_key": "ok_key", "name": "" }), "name"),
    ];
    for (body, field) in cases {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/sites", Some(body.clone())).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains(field), "{body}: {message:?} should name {field}");
    }
    assert_eq!(api.origin.count("sites").await, 2, "nothing stored by refused requests");
}
on_both_backends!(sites_are_registered_with_normalised_origins);

async fn links_are_created_updated_listed_and_deleted(backend: Backend) {
    let api = Api::new(backend).await;
    let site = api.shop_site("shop_links").await;
    let demo = api.demo_affiliate_id().await;
    let body =
        json!({ "site_id": site, "affiliate_id": demo, "slug": "spring", "destination_url": "https://Shop.Example.com/sale?x=1#top" });
    let link = api.ok(api.key(), Method::POST, "/v1/links", Some(body.clone())).await;
    assert_eq!(link["destination_url"], "https://shop.example.com/sale?x=1#top");
    let id = link["id"].as_str().unwrap().to_owned();
    let (code, _) = refused(api.call(api.key(), Method::POST, "/v1/links", Some(body)).await, 409).await;
    assert_eq!(code, "slug_taken");
    let to_stripe =
        json!({ "site_id": site, "affiliate_id": demo, "slug": "checkout", "destination_url": "https://buy.stripe.com/test_123" });
    let second = api.ok(api.key(), Method::POST, "/v1/links", Some(to_stripe)).await;

    let (code, _) =
        refused(api.call(api.key(), Method::PATCH, &format!("/v1/links/{id}"), Some(json!({ "slug": "checkout" }))).await, 409).await;
    assert_eq!(code, "slug_taken");
    let (_, message) = refused(
        api.call(api.key(), Method::PATCH, &format!("/v1/links/{id}"), Some(json!({ "destination_url": "https://evil.example/" }))).await,
        400,
    )
    .await;
    assert!(message.contains("destination_url") && message.contains(SHOP), "{message}");
    let patched =
        api.ok(api.key(), Method::PATCH, &format!("/v1/links/{id}"), Some(json!({ "slug": "summer", "destination_url": SHOP }))).await;
    assert_eq!((patched["slug"].as_str(), patched["destination_url"].as_str()), (Some("summer"), Some(SHOP)));

    let listed = api.ok(api.key(), Method::GET, &format!("/v1/links?affiliate_id={demo}&limit=1"), None).await;
    assert_eq!((listed["data"][0]["id"].as_str(), listed["has_more"].as_bool()), (second["id"].as_str(), Some(true)));
    assert_eq!(api.ok(api.key(), Method::DELETE, &format!("/v1/links/{id}"), None).await["deleted"], true);
    assert_eq!(refused(api.call(api.key(), Method::GET, &format!("/v1/links/{id}"), None).await, 404).await.0, "not_found");
}
on_both_backends!(links_are_created_updated_listed_and_deleted);

async fn bad_links_are_refused_naming_the_field(backend: Backend) {
    let api = Api::new(backend).await;
    let site = api.shop_site("shop_bad").await;
    let demo = api.demo_affiliate_id().await;
    let seeded_site = {
        let list = api.ok(api.key(), Method::GET, "/v1/sites", None).await;
        list["data"].as_array().unwrap().iter().find(|s| s["site_key"] == SITE_KEY).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let (_, _, other) = api.origin.other_merchant().await;
    let theirs = api.ok(&other, Method::POST, "/v1/sites", Some(json!({ "site_key": "their_site", "allowed_origins": [SHOP] }))).await;
    let link = |site: &str, affiliate: &str, slug: &str, url: &str| json!({ "site_id": site, "affiliate_id": affiliate, "slug": slug, "destination_url": url });
    let cases = [
        (json!({ "affiliate_id": demo, "slug": "a", "destination_url": SHOP }), "site_id"),
        (json!({ "site_id": site, "slug": "a", "destination_url": SHOP }), "affiliate_id"),
        (json!({ "site_id": site, "affiliate_id": demo, "destination_url": SHOP }), "slug"),
        (json!({ "site_id": site, "affiliate_id": demo, "slug": "a" }), "destination_url"),
        (link(&site, &demo, "a/b", SHOP), "slug"),
        (link(&site, "aff_nope", "a", SHOP), "affiliate_id"),
        (link(theirs["id"].as_str().unwrap(), &demo, "a", SHOP), "site_id"),
        (link(&site, &demo, "a", "https://shop.example.com.evil.example/"), "destination_url"),
        (link(&site, &demo, "a", "https://shop.example.com@evil.example/"), "destination_url"),
        (link(&site, &demo, "a", "javascript:alert(1)"), "destination_url"),
        (link(&seeded_site, &demo, "a", SHOP), "allowed_origins"),
    ];
    for (body, field) in cases {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/links", Some(body.clone())).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains(field), "{body}: {message:?} should name {field}");
    }
    assert_eq!(api.origin.count("links").await, 0);
}
on_both_backends!(bad_links_are_refused_naming_the_field);

async fn the_edge_reads_sites_and_links_with_a_signed_request(backend: Backend) {
    let api = Api::new(backend).await;
    let site = api.shop_site("shop_edge").await;
    let body = json!({ "code": "paused1", "name": "P", "campaign_id": api.origin.seed.campaign_id });
    let paused = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(body)).await;
    let demo = api.demo_affiliate_id().await;
    for (slug, affiliate) in [("spring", demo.as_str()), ("quiet", paused["id"].as_str().unwrap())] {
        let body = json!({ "site_id": site, "affiliate_id": affiliate, "slug": slug, "destination_url": format!("{SHOP}/{slug}") });
        api.ok(api.key(), Method::POST, "/v1/links", Some(body)).await;
    }
    api.ok(api.key(), Method::PATCH, &format!("/v1/affiliates/{}", paused["id"].as_str().unwrap()), Some(json!({ "status": "paused" })))
        .await;

    let path = "/v1/edge/sites/shop_edge";
    let config: Value = api.edge_get(path, EDGE_SECRET, path).await.json().await.unwrap();
    assert_eq!(config, json!({ "site_key": "shop_edge", "allowed_origins": [SHOP] }));
    let spring = "/v1/edge/sites/shop_edge/links/spring";
    let target: Value = api.edge_get(spring, EDGE_SECRET, spring).await.json().await.unwrap();
    assert_eq!(target, json!({ "slug": "spring", "destination_url": format!("{SHOP}/spring"), "code": "demo" }));
    let quiet = "/v1/edge/sites/shop_edge/links/quiet";
    let target: Value = api.edge_get(quiet, EDGE_SECRET, quiet).await.json().await.unwrap();
    assert_eq!(target["code"], Value::Null, "a paused affiliate's link still redirects, uncredited");

    let unknown = "/v1/edge/sites/nobody";
    assert_eq!(refused(api.edge_get(unknown, EDGE_SECRET, unknown).await, 404).await.0, "not_found");
    let missing = "/v1/edge/sites/shop_edge/links/nope";
    assert_eq!(refused(api.edge_get(missing, EDGE_SECRET, missing).await, 404).await.0, "not_found");
    assert_eq!(refused(api.edge_get(path, "wrong-secret", path).await, 400).await.0, "bad_signature");
    assert_eq!(refused(api.edge_get(spring, EDGE_SECRET, path).await, 400).await.0, "bad_signature", "a signature is bound to its path");
    let unsigned = api.client.get(format!("{}{path}", api.origin.url)).send().await.unwrap();
    assert_eq!(refused(unsigned, 400).await.0, "missing_signature");
}
on_both_backends!(the_edge_reads_sites_and_links_with_a_signed_request);

async fn another_merchants_key_reaches_no_site_or_link(backend: Backend) {
    let api = Api::new(backend).await;
    let site = api.shop_site("shop_mine").await;
    let demo = api.demo_affiliate_id().await;
    let body = json!({ "site_id": site, "affiliate_id": demo, "slug": "mine", "destination_url": SHOP });
    let link = api.ok(api.key(), Method::POST, "/v1/links", Some(body)).await;
    let link = link["id"].as_str().unwrap();
    let (_, _, other) = api.origin.other_merchant().await;
    let attempts = [
        (Method::GET, format!("/v1/sites/{site}"), None),
        (Method::PATCH, format!("/v1/sites/{site}"), Some(json!({ "allowed_origins": ["https://evil.example"] }))),
        (Method::GET, format!("/v1/links/{link}"), None),
        (Method::PATCH, format!("/v1/links/{link}"), Some(json!({ "slug": "stolen" }))),
        (Method::DELETE, format!("/v1/links/{link}"), None),
    ];
    for (method, path, body) in attempts {
        assert_eq!(refused(api.call(&other, method.clone(), &path, body).await, 404).await.0, "not_found", "{method} {path}");
    }
    assert_eq!(api.ok(&other, Method::GET, "/v1/links", None).await["data"], json!([]));
    assert_eq!(api.ok(&other, Method::GET, "/v1/sites", None).await["data"], json!([]));
    let mine = api.ok(api.key(), Method::GET, &format!("/v1/sites/{site}"), None).await;
    assert_eq!(mine["allowed_origins"], json!([SHOP]), "untouched");
    assert_eq!(api.ok(api.key(), Method::GET, &format!("/v1/links/{link}"), None).await["slug"], "mine");
}
on_both_backends!(another_merchants_key_reaches_no_site_or_link);

async fn deleting_an_affiliate_removes_its_links(backend: Backend) {
    let api = Api::new(backend).await;
    let site = api.shop_site("shop_del").await;
    let fresh = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("fresh"))).await;
    let body = json!({ "site_id": site, "affiliate_id": fresh["id"], "slug": "fresh", "destination_url": SHOP });
    api.ok(api.key(), Method::POST, "/v1/links", Some(body)).await;
    api.ok(api.key(), Method::DELETE, &format!("/v1/affiliates/{}", fresh["id"].as_str().unwrap()), None).await;
    assert_eq!(api.origin.count("links").await, 0);
}
on_both_backends!(deleting_an_affiliate_removes_its_links);
