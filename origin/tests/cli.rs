//! The `payref` binary as a self-hoster uses it: set a merchant up from nothing, then reach the
//! API with the key it printed. Bad input gets a clear message and a non-zero exit.

use std::process::{Command, Output};

struct Cli {
    dir: std::path::PathBuf,
}

impl Cli {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("payref-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_payref"))
            .args(args)
            .env("PAYREF_DATABASE_URL", format!("sqlite://{}", self.dir.join("p.db").display()))
            .env("PAYREF_LOG", "warn")
            .output()
            .expect("running payref")
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
    assert_eq!(cli.ok(&["migrate"]), "schema is up to date");
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
}
