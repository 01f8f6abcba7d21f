//! Runs too long for CI, each with a random seed it prints so a failure can be replayed:
//! `cargo xtask fuzz [cases]` runs the outside surface's property tests (every parser a
//! stranger reaches) for many cases in release; `cargo xtask ledger [histories]` runs the
//! ledger's invariants over many random histories.

use std::process::Command;

use anyhow::Context;

use crate::Ctx;
use crate::process::run;

fn random_seed() -> anyhow::Result<u64> {
    let mut bytes = [0u8; 8];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

fn count(args: &[String], default: u64, what: &str) -> anyhow::Result<u64> {
    match args.first() {
        None => Ok(default),
        Some(n) => n.replace(['_', ','], "").parse().with_context(|| format!("{what}: {n:?} is not a whole number")),
    }
}

/// `cargo xtask fuzz [cases]` (default 1,000,000 per property).
pub fn fuzz(ctx: &Ctx, args: &[String]) -> anyhow::Result<()> {
    let cases = count(args, 1_000_000, "cases")?;
    let seed = random_seed()?;
    println!("xtask fuzz: {cases} cases per property, seed {seed} (PROPTEST_RNG_SEED={seed} replays it)");
    run(
        Command::new("cargo")
            .args(["test", "--release", "-p", "payref-shared", "--test", "fuzz_surface", "--", "--test-threads", "2"])
            .current_dir(&ctx.root)
            .env("PROPTEST_CASES", cases.to_string())
            .env("PROPTEST_RNG_SEED", seed.to_string())
            .env("PROPTEST_MAX_SHRINK_ITERS", "10000"),
        "the surface properties",
    )
}

/// `cargo xtask ledger [histories]` (default 20,000).
pub fn ledger(ctx: &Ctx, args: &[String]) -> anyhow::Result<()> {
    let histories = count(args, 20_000, "histories")?;
    let seed = random_seed()?;
    println!("xtask ledger: {histories} histories, seed {seed} (PAYREF_LEDGER_SEED={seed} replays it)");
    run(
        Command::new("cargo")
            .args(["test", "--release", "-p", "payref-origin", "--test", "ledger_properties", "--", "--nocapture"])
            .current_dir(&ctx.root)
            .env("PAYREF_LEDGER_HISTORIES", histories.to_string())
            .env("PAYREF_LEDGER_SEED", seed.to_string()),
        "the ledger properties",
    )
}
