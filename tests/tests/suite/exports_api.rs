//! CSV exports: streamed across keyset pages, quoted and formula-safe, filtered and scoped to
//! the merchant — on SQLite and PostgreSQL.

use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::json;

use crate::api::{Api, refused};
use crate::on_both_backends;

impl Api {
    async fn csv(&self, key: &str, path: &str) -> (String, Vec<String>) {
        let resp = self.call(key, Method::GET, path, None).await;
        assert_eq!(resp.status(), 200, "{path}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
        let text = resp.text().await.unwrap();
        assert!(text.ends_with("\r\n"), "every line ends with CRLF");
        (content_type, text.split_terminator("\r\n").map(str::to_owned).collect())
    }

    /// `n` conversions with pending commissions for the demo affiliate, written straight to the
    /// database (what the webhook path would store), created one second apart.
    async fn many_conversions(&self, n: usize) {
        let pool = &self.origin.db.pool;
        let (affiliate,): (String,) = sqlx::query_as("SELECT id FROM affiliates WHERE code = 'demo'").fetch_one(pool).await.unwrap();
        for i in 0..n {
            let at = 1_700_000_000_000 + i as i64 * 1_000;
            sqlx::query("INSERT INTO conversions (id, merchant_id, livemode, stripe_object_id, affiliate_id, attribution_method, amount, currency, created_at) VALUES ($1, $2, 0, $3, $4, 'client_reference_id', 1000, 'usd', $5)")
                .bind(format!("cnv_bulk{i:05}")).bind(&self.origin.seed.merchant_id).bind(format!("cs_bulk{i:05}")).bind(&affiliate).bind(at)
                .execute(pool).await.unwrap();
            sqlx::query("INSERT INTO commissions (id, merchant_id, conversion_id, affiliate_id, livemode, rate_bps, amount, currency, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 3000, 300, 'usd', 'pending', $5, $5)")
                .bind(format!("com_bulk{i:05}")).bind(&self.origin.seed.merchant_id).bind(format!("cnv_bulk{i:05}")).bind(&affiliate).bind(at)
                .execute(pool).await.unwrap();
        }
    }
}

async fn commissions_export_as_safe_csv(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_x1", "demo", 4_900, "usd").await;
    api.paid("evt_x2", "demo", 10_000, "eur").await;
    let list = api.ok(api.key(), Method::GET, "/v1/commissions", None).await;
    let newest = list["data"][0]["id"].as_str().unwrap().to_owned();
    let hostile = "=HYPERLINK(\"http://evil.example\",\"click\"), really";
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{newest}/deny"), Some(json!({ "reason": hostile }))).await;

    let (content_type, lines) = api.csv(api.key(), "/v1/commissions.csv").await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("id,created_at,livemode,status,affiliate_id,affiliate_code"));
    assert!(lines[1].starts_with(&format!("{newest},20")), "{}", lines[1]);
    assert!(lines[1].contains(",false,denied,"), "{}", lines[1]);
    assert!(
        lines[1].contains(",3000,eur,3000,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\"), really\","),
        "quoted and neutralised: {}",
        lines[1]
    );
    assert!(lines[2].contains(",false,pending,") && lines[2].contains(",1470,usd,3000,"), "{}", lines[2]);

    let (_, denied) = api.csv(api.key(), "/v1/commissions.csv?status=denied").await;
    assert_eq!(denied.len(), 2);
    let (_, live) = api.csv(api.key(), "/v1/commissions.csv?livemode=true").await;
    assert_eq!(live.len(), 1, "header only: test and live never mix");
    let (_, other) = {
        let (_, _, other) = api.origin.other_merchant().await;
        api.csv(&other, "/v1/commissions.csv").await
    };
    assert_eq!(other.len(), 1, "another merchant's export holds none of these");
    assert_eq!(refused(api.call("prk_nope", Method::GET, "/v1/commissions.csv", None).await, 401).await.0, "unauthorized");
    assert_eq!(refused(api.call(api.key(), Method::GET, "/v1/commissions.csv?status=owed", None).await, 400).await.0, "invalid_request");
}
on_both_backends!(commissions_export_as_safe_csv);

async fn exports_stream_every_row_across_pages(backend: Backend) {
    let api = Api::new(backend).await;
    api.many_conversions(1_203).await;
    let (_, lines) = api.csv(api.key(), "/v1/conversions.csv").await;
    assert_eq!(lines.len(), 1 + 1_203);
    assert!(lines[0].starts_with("id,created_at,livemode,affiliate_id,affiliate_code,stripe_object_id,click_id"));
    let ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    let expected: Vec<String> = (0..1_203).rev().map(|i| format!("cnv_bulk{i:05}")).collect();
    assert_eq!(ids, expected, "every row once, newest first, across three pages");
    assert!(lines[1].contains(",2023-11-14T22:33:22.000Z,false,"), "{}", lines[1]);
    let (_, ranged) = api.csv(api.key(), "/v1/conversions.csv?created_gte=1700000000000&created_lt=1700000010000").await;
    assert_eq!(ranged.len(), 1 + 10);
    let (_, commissions) = api.csv(api.key(), "/v1/commissions.csv").await;
    assert_eq!(commissions.len(), 1 + 1_203);
}
on_both_backends!(exports_stream_every_row_across_pages);

/// Each export takes exactly its list's filters: the rows and their order equal the list's for
/// every filter (`GET /v1/conversions.csv?status=` was ignored once).
async fn exports_take_every_filter_of_their_list(backend: Backend) {
    let api = Api::new(backend).await;
    for (n, amount) in [(1, 4_000), (2, 5_000), (3, 6_000)] {
        api.paid(&format!("evt_f{n}"), "demo", amount, "usd").await;
    }
    for (event, session, paid, refunded) in [("evt_rf1", "f1", 4_000, 4_000), ("evt_rf2", "f2", 5_000, 1_000)] {
        let charge = payref_tests::stripe::refunded_charge(&format!("ch_{session}"), &format!("pi_evt_{session}"), paid, refunded, "usd");
        api.deliver(&payref_tests::stripe::event(event, "charge.refunded", charge)).await;
    }
    api.origin.settled().await;
    let (_, _, other) = api.origin.other_merchant().await;
    let affiliate = api.list("/v1/affiliates").await[0]["id"].as_str().unwrap().to_owned();
    let middle = api.list("/v1/conversions").await[1]["created_at"].as_i64().unwrap();
    let ids_of_csv = |lines: Vec<String>| lines[1..].iter().map(|l| l.split(',').next().unwrap().to_owned()).collect::<Vec<_>>();
    let filters = [
        "status=paid".to_owned(),
        "status=refunded".to_owned(),
        "status=partially_refunded".to_owned(),
        format!("affiliate_id={affiliate}"),
        "affiliate_id=aff_nobody".to_owned(),
        "livemode=true".to_owned(),
        format!("created_gte={middle}"),
        format!("created_lt={middle}"),
    ];
    for (resource, filter) in ["conversions", "commissions"].iter().flat_map(|r| filters.iter().map(move |f| (r, f))) {
        if *resource == "commissions" && filter.starts_with("status=") {
            continue; // commissions have statuses of their own, checked below
        }
        let listed: Vec<String> = crate::api::ids(&api.list(&format!("/v1/{resource}?{filter}&limit=100")).await);
        let (_, lines) = api.csv(api.key(), &format!("/v1/{resource}.csv?{filter}")).await;
        assert_eq!(ids_of_csv(lines), listed, "{resource}.csv?{filter}");
    }
    let counts: Vec<usize> = {
        let mut v = Vec::new();
        for f in ["status=paid", "status=refunded", "status=partially_refunded"] {
            v.push(api.csv(api.key(), &format!("/v1/conversions.csv?{f}")).await.1.len() - 1);
        }
        v
    };
    assert_eq!(counts, [1, 1, 1], "one conversion in each state");
    for status in ["pending", "reversed"] {
        let listed = crate::api::ids(&api.list(&format!("/v1/commissions?status={status}&limit=100")).await);
        let (_, lines) = api.csv(api.key(), &format!("/v1/commissions.csv?status={status}")).await;
        assert_eq!(ids_of_csv(lines), listed, "commissions.csv?status={status}");
    }
    assert_eq!(api.csv(&other, "/v1/conversions.csv").await.1.len(), 1, "scoped to the merchant");
    assert_eq!(refused(api.call(api.key(), Method::GET, "/v1/conversions.csv?status=owed", None).await, 400).await.0, "invalid_request");
}
on_both_backends!(exports_take_every_filter_of_their_list);
