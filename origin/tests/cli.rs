//! The `payref` binary as a self-hoster uses it: set a merchant up from nothing, then reach the
//! API with the key it printed. Bad input gets a clear message and a non-zero exit.

use std::process::{Command, Output};

const KEYS: &str = "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct Cli {
    dir: std::path::PathBuf,
    /// Everything the commands logged (at trace level).
    log: std::cell::RefCell<String>,
}

impl Cli {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("payref-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a fresh data folder");
        Self { dir, log: std::cell::RefCell::default() }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command().args(args).output().expect("running payref");
        self.log.borrow_mut().push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_payref"));
        c.env("PAYREF_DATABASE_URL", format!("sqlite://{}", self.dir.join("p.db").display()))
            .env("PAYREF_LOG", "trace")
            .env("PAYREF_ENCRYPTION_KEYS", KEYS)
            .env("PAYREF_EDGE_SECRET", "edge-secret-for-cli-tests-0123456789abcdef")
            .env("PAYREF_LEAD_SECRET", "lead-secret-for-cli-tests");
        c
    }

    /// Runs and returns the first line of stdout, failing the test when the command fails.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "payref {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned()
    }

    /// Runs a command that must fail; returns its stderr.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "payref {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_merchant_is_set_up_from_nothing() {
    let cli = Cli::new("setup");
    assert_eq!(cli.ok(&["migrate"]), "schema is up to date; 0 Stripe secret(s) re-sealed with key v1");
    let merchant = cli.ok(&["merchant", "create", "--name", "Acme", "--currency", "EUR"]);
    assert!(merchant.starts_with("mer_"), "{merchant}");
    let endpoint = cli.ok(&["merchant", "stripe-webhook-secret", "--merchant", &merchant, "--mode", "live", "--secret", "whsec_abc"]);
    assert_eq!(endpoint, format!("webhook endpoint: /v1/stripe/webhooks/{merchant}/live"));
    assert!(cli.ok(&["site", "create", "--merchant", &merchant, "--key", "site_acme"]).starts_with("site_"));
    let campaign = cli.ok(&["campaign", "create", "--merchant", &merchant, "--name", "Launch", "--rate-bps", "2000"]);
    let affiliate = cli.ok(&[
        "affiliate",
        "create",
        "--merchant",
        &merchant,
        "--campaign",
        &campaign,
        "--code",
        "ann",
        "--name",
        "Ann",
        "--email",
        "Ann@Example.com",
    ]);
    assert!(affiliate.starts_with("aff_"), "{affiliate}");
    let token = cli.ok(&["api-key", "create", "--merchant", &merchant]);
    assert!(token.starts_with("prk_"), "{token}");
    let prefix = &token[..12];
    assert_eq!(cli.ok(&["api-key", "revoke", "--prefix", prefix]), format!("revoked {prefix}"));
    assert!(cli.refused(&["api-key", "revoke", "--prefix", prefix]).contains("no live API key"));
}

#[test]
fn a_dashboard_owner_is_created_with_a_password_never_stored_or_logged_in_clear() {
    const PASSWORD: &str = "a long enough cli password";
    let cli = Cli::new("user");
    let merchant = cli.ok(&["merchant", "create", "--name", "Acme"]);
    let create = |email: &str, role: &str, password: &str| {
        let mut c = cli.command();
        c.args(["user", "create", "--merchant", &merchant, "--email", email, "--role", role]).env("PAYREF_USER_PASSWORD", password);
        let out = c.output().expect("running payref");
        cli.log.borrow_mut().push_str(&String::from_utf8_lossy(&out.stderr));
        out
    };
    let out = create("Owner@Acme.example", "owner", PASSWORD);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.starts_with("usr_") && printed.contains("owner@acme.example signs in at /dashboard/login as owner"), "{printed}");

    // From standard input, when the variable is not set.
    let mut c = cli.command();
    c.args(["user", "create", "--merchant", &merchant, "--email", "viewer@acme.example", "--role", "viewer"]);
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("running payref");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), format!("{PASSWORD}\n").as_bytes()).expect("typing");
    let out = child.wait_with_output().expect("payref ends");
    cli.log.borrow_mut().push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    for (email, role, password, complaint) in [
        ("owner@acme.example", "owner", PASSWORD, "already has a dashboard account"),
        ("not-an-email", "owner", PASSWORD, "is not an email address"),
        ("new@acme.example", "boss", PASSWORD, "must be owner, admin or viewer"),
        ("new@acme.example", "admin", "short", "at least 12 characters"),
    ] {
        let out = create(email, role, password);
        assert!(!out.status.success(), "{email} {role}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(complaint), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let stored = std::fs::read_dir(&cli.dir).expect("data folder").flatten().map(|e| std::fs::read(e.path()).unwrap_or_default());
    assert!(stored.into_iter().all(|bytes| !String::from_utf8_lossy(&bytes).contains(PASSWORD)), "only the argon2id hash is stored");
    assert!(!cli.log.borrow().contains(PASSWORD));
}

#[test]
fn bad_input_gets_a_clear_message() {
    let cli = Cli::new("bad");
    let merchant = cli.ok(&["merchant", "create", "--name", "Acme"]);
    let campaign = cli.ok(&["campaign", "create", "--merchant", &merchant, "--name", "C", "--rate-bps", "100"]);
    assert!(cli.refused(&["merchant", "create", "--name", "X", "--currency", "dollars"]).contains("--currency"));
    assert!(cli.refused(&["site", "create", "--merchant", "mer_nobody", "--key", "k"]).contains("no merchant mer_nobody"));
    assert!(cli.refused(&["site", "create", "--merchant", &merchant, "--key", "bad key"]).contains("--key is invalid"));
    let site = ["site", "create", "--merchant", &merchant, "--key", "s1", "--allowed-origin", "https://Shop.Example.com/"];
    assert!(cli.ok(&site).starts_with("site_"));
    assert!(cli.refused(&site).contains("already registered"));
    let bad_origin = ["site", "create", "--merchant", &merchant, "--key", "s2", "--allowed-origin", "shop.example.com"];
    assert!(cli.refused(&bad_origin).contains("--allowed-origin \"shop.example.com\" must start with https://"));
    assert!(cli.refused(&["campaign", "create", "--merchant", &merchant, "--name", "C", "--rate-bps", "20000"]).contains("rate-bps"));
    let args = ["affiliate", "create", "--merchant", &merchant, "--campaign", &campaign, "--code", "ann", "--name", "Ann"];
    cli.ok(&args);
    assert!(cli.refused(&args).contains("already used"));
    assert!(
        cli.refused(&["affiliate", "create", "--merchant", &merchant, "--campaign", "cmp_x", "--code", "b", "--name", "B"])
            .contains("no campaign")
    );
    assert!(
        cli.refused(&["merchant", "stripe-webhook-secret", "--merchant", &merchant, "--mode", "test", "--secret", "sk_live_oops"])
            .contains("whsec_")
    );
    assert!(cli.refused(&["frobnicate"]).contains("unrecognized subcommand"));
    // A guessable edge secret is refused before anything is served.
    let short = cli
        .command()
        .arg("serve")
        .env("PAYREF_EDGE_SECRET", "change-me")
        .env("PAYREF_BIND", "127.0.0.1:0")
        .output()
        .expect("running payref");
    assert!(!short.status.success());
    let said = String::from_utf8_lossy(&short.stderr);
    assert!(said.contains("PAYREF_EDGE_SECRET") && said.contains("at least 32 bytes"), "{said}");
}

/// Sends one HTTP/1.1 request to `port`; returns the status code.
fn http(port: u16, request: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connecting to payref serve");
    stream.write_all(request.as_bytes()).expect("sending");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn secrets_never_appear_in_clear_in_the_database_or_the_logs() {
    const WEBHOOK: &str = "whsec_CliSigningSecretValue0123456789";
    const STRIPE: &str = "sk_test_51CliSecretKeyValue000000000000004242";
    let cli = Cli::new("secrets");
    let merchant = cli.ok(&["merchant", "create", "--name", "Acme"]);
    cli.ok(&["merchant", "stripe-webhook-secret", "--merchant", &merchant, "--mode", "test", "--secret", WEBHOOK]);
    assert_eq!(
        cli.ok(&["merchant", "stripe-key", "--merchant", &merchant, "--mode", "test", "--key", STRIPE]),
        "stored sk_test_…4242 (sealed)"
    );
    let token = cli.ok(&["api-key", "create", "--merchant", &merchant]);

    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    // A file, not a pipe: a full pipe would stall the server mid-test.
    let log_path = std::env::temp_dir().join(format!("payref-cli-serve-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log_path).expect("serve log file");
    let mut serve = cli.command().arg("serve").env("PAYREF_BIND", format!("127.0.0.1:{port}")).stderr(log_file).spawn().expect("serve");
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "payref serve did not start");
    let get = |auth: &str| {
        http(port, &format!("GET /v1/merchant HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {auth}\r\nConnection: close\r\n\r\n"))
    };
    assert_eq!(get(&token), 200);
    assert_eq!(get(&format!("{token}x")), 401, "a wrong key is refused (and must not be logged)");
    let body = r#"{"secret_key":"sk_test_51ThroughTheApiKeyValue00000000000001"}"#;
    let post = format!(
        "POST /v1/merchant/stripe/test HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(http(port, &post), 200);
    let webhook = format!(
        "POST /v1/stripe/webhooks/{merchant}/test HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    assert_eq!(http(port, &webhook), 400);
    let _ = serve.kill();
    let _ = serve.wait();
    let log = format!("{}{}", cli.log.borrow(), std::fs::read_to_string(&log_path).unwrap_or_default());
    let _ = std::fs::remove_file(&log_path);
    assert!(log.contains("payref origin listening"), "the log was captured: {log}");

    let mut stored = Vec::new();
    for entry in std::fs::read_dir(&cli.dir).expect("database dir") {
        stored.extend(std::fs::read(entry.expect("entry").path()).expect("database file"));
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("Acme"), "the scan sees the stored data");
    for secret in [WEBHOOK, STRIPE, token.as_str(), "ThroughTheApiKeyValue"] {
        assert!(!stored.contains(secret), "{secret} is stored in clear");
        assert!(!log.contains(secret), "{secret} is in the log");
    }

    let rotated = format!("2:{},{KEYS}", "ff".repeat(32));
    let out = cli.command().arg("migrate").env("PAYREF_ENCRYPTION_KEYS", &rotated).output().expect("migrate");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "schema is up to date; 2 Stripe secret(s) re-sealed with key v2");
    let out = cli.command().arg("migrate").env("PAYREF_ENCRYPTION_KEYS", format!("2:{}", "ff".repeat(32))).output().expect("migrate");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "schema is up to date; 0 Stripe secret(s) re-sealed with key v2",
        "the old key is no longer needed"
    );
}

#[test]
fn reconcile_reads_stripe_and_processes_what_webhooks_missed() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(payref_stripe_sim::Simulator::start()).unwrap();
    let cli = Cli::new("reconcile");
    let merchant = cli.ok(&["merchant", "create", "--name", "Acme"]);
    assert!(cli.refused(&["reconcile"]).contains("no Stripe API key is connected"));
    cli.ok(&["merchant", "stripe-key", "--merchant", &merchant, "--mode", "test", "--key", "sk_test_cli"]);
    let campaign = cli.ok(&["campaign", "create", "--merchant", &merchant, "--name", "C", "--rate-bps", "1000"]);
    cli.ok(&["affiliate", "create", "--merchant", &merchant, "--campaign", &campaign, "--code", "ann", "--name", "Ann"]);
    // Two sales whose webhooks never arrived (no endpoint is registered).
    for total in [5_000, 7_000] {
        sim.pay_payment_link(&payref_stripe_sim::scenario::Purchase::new(Some("ann"), "buyer@example.com", total, 0, "usd")).unwrap();
    }
    let out = cli.command().env("PAYREF_STRIPE_API_BASE", &sim.base_url).args(["reconcile", "--since", "1h"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["report"]["sessions_new"], 2, "{report}");
    assert!(report["report"]["events_new"].as_u64().unwrap() >= 2, "{report}");
    assert!(stderr.contains("sessions listed"), "progress is shown: {stderr}");
    assert!(stderr.contains("event(s) processed"), "{stderr}");
    // Again, from the stored cursor: only the two customer.updated events of payref writing the
    // affiliate onto the buyers; then nothing new.
    for expected in [2, 0] {
        let again = cli.command().env("PAYREF_STRIPE_API_BASE", &sim.base_url).args(["reconcile"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("a JSON report");
        assert_eq!(
            (report["report"]["events_new"].as_u64(), report["report"]["sessions_new"].as_u64()),
            (Some(expected), Some(0)),
            "{report}"
        );
    }
    assert!(cli.refused(&["reconcile", "--since", "90d"]).contains("at most 30d"));
    assert!(cli.refused(&["reconcile", "--mode", "staging"]).contains("--mode"));
    assert!(cli.refused(&["reconcile", "--since", "yesterday"]).contains("--since"));
    drop(runtime);
}
