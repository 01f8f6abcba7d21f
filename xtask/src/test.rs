//! `cargo xtask test`: setup, build, a throwaway PostgreSQL, then every test — native unit
//! tests, the end-to-end suite (real Chromium, real workerd, SQLite and PostgreSQL) and the
//! tracker's wasm-bindgen tests and its Playwright page suite in Chromium. Ends with one `N passed, N failed, N skipped` line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::Ctx;
use crate::postgres::Postgres;

/// Summed test counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Tally {
    /// Adds a libtest summary line (`test result: ok. 3 passed; 0 failed; 1 ignored; …`).
    fn add_line(&mut self, line: &str) -> bool {
        let Some(rest) = line.trim().strip_prefix("test result: ") else { return false };
        let count = |label: &str| {
            rest.split(';')
                .find_map(|part| part.trim().trim_start_matches("ok.").trim_start_matches("FAILED.").trim().strip_suffix(label))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        self.passed += count("passed");
        self.failed += count("failed");
        self.skipped += count("ignored");
        true
    }
}

/// Runs a cargo test command, echoing its output and adding its summaries to `tally`.
/// A command that fails without reporting a failed test (a build error) counts as one failure.
fn run_counted(what: &str, cmd: &mut Command, tally: &mut Tally) -> anyhow::Result<()> {
    println!("xtask test: {what}");
    let mut child = cmd.stdout(Stdio::piped()).spawn().with_context(|| format!("starting {what}"))?;
    let before = *tally;
    let stdout = child.stdout.take().context("test stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        tally.add_line(&line);
    }
    let status = child.wait()?;
    if !status.success() && tally.failed == before.failed {
        println!("xtask test: {what} failed without a test result ({status})");
        tally.failed += 1;
    }
    Ok(())
}

/// Runs everything; returns whether all passed.
pub fn test(ctx: &Ctx) -> anyhow::Result<bool> {
    crate::setup::setup(ctx)?;
    crate::build::build(ctx)?;
    let fixtures = ctx.root.join("../shared/stripe-fixtures/fixtures3.json");
    let fixtures = fixtures.canonicalize().with_context(|| format!("Stripe's example objects are missing at {}", fixtures.display()))?;
    let postgres = Postgres::start()?;
    let env: Vec<(&str, std::ffi::OsString)> = vec![
        ("PAYREF_STRIPE_FIXTURES", fixtures.into()),
        ("PAYREF_DIST_DIR", ctx.dist().into()),
        ("PAYREF_WRANGLER", ctx.node_bin("wrangler").into()),
        ("PAYREF_CHROMIUM", "/usr/bin/chromium".into()),
        ("PAYREF_TEST_POSTGRES_URL", postgres.url.clone().into()),
        // The end-to-end tests each start workerd and Chromium: one at a time on 2 cores.
        ("RUST_TEST_THREADS", "1".into()),
        ("WRANGLER_SEND_METRICS", "false".into()),
        ("WRANGLER_SEND_ERROR_REPORTS", "false".into()),
        ("CLOUDFLARE_CF_FETCH_ENABLED", "false".into()),
        ("CHROMEDRIVER", "/usr/bin/chromedriver".into()),
        ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", ctx.cargo_bin.join("wasm-bindgen-test-runner").into()),
        ("WASM_BINDGEN_TEST_TIMEOUT", "60".into()),
    ];
    let cargo = |args: &[&str]| {
        let mut c = Command::new("cargo");
        c.args(args).current_dir(&ctx.root).envs(env.iter().map(|(k, v)| (k, v)));
        c
    };
    let mut tally = Tally::default();
    run_counted(
        "native unit tests and the end-to-end suite (SQLite and PostgreSQL)",
        &mut cargo(&["test", "--workspace", "--no-fail-fast"]),
        &mut tally,
    )?;
    run_counted(
        "tracker DOM tests in Chromium (wasm-bindgen-test)",
        &mut cargo(&["test", "-p", "payref-tracker", "--target", "wasm32-unknown-unknown", "--no-fail-fast"]),
        &mut tally,
    )?;
    run_counted(
        "tracker over every kind of page in Chromium (Playwright)",
        Command::new("node").arg(ctx.root.join("tests/browser/tracker.mjs")).arg(ctx.dist()).arg("/usr/bin/chromium"),
        &mut tally,
    )?;
    drop(postgres);
    println!("{} passed, {} failed, {} skipped", tally.passed, tally.failed, tally.skipped);
    Ok(tally.failed == 0)
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn sums_libtest_summaries() {
        let mut t = Tally::default();
        assert!(t.add_line("test result: ok. 38 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.55s"));
        assert!(t.add_line("test result: FAILED. 1 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out"));
        assert!(!t.add_line("running 4 tests"));
        assert_eq!(t, Tally { passed: 39, failed: 3, skipped: 2 });
    }
}
