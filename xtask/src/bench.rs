//! `cargo xtask bench`: the figures the issues ask for, measured side by side in one run and
//! printed as ratios to their goals.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::Ctx;

fn gzip_size(path: &Path) -> anyhow::Result<u64> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().context("running gzip")?;
    Ok(out.stdout.len() as u64)
}

/// Brotli (quality 11, as a CDN serves static files) through node's zlib.
fn brotli_size(path: &Path) -> anyhow::Result<u64> {
    let script = "const z=require('zlib');const b=require('fs').readFileSync(process.argv[1]);\
                  process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))";
    let out = Command::new("node").args(["-e", script]).arg(path).output().context("running node for brotli")?;
    anyhow::ensure!(out.status.success(), "brotli through node failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().context("reading the brotli size")
}

fn file_named(dir: &Path, prefix: &str, suffix: &str) -> anyhow::Result<std::path::PathBuf> {
    std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix)))
        .with_context(|| format!("no {prefix}*{suffix} in {}", dir.display()))
}

/// Builds, then prints the size figures and the origin's ratios.
pub fn bench(ctx: &Ctx) -> anyhow::Result<()> {
    crate::setup::setup(ctx)?;
    crate::build::build(ctx)?;
    let dist = ctx.dist();
    let (wasm, glue) = (file_named(&dist, "payref-", ".wasm")?, dist.join("payref.js"));
    let rows = [
        ("tracker wasm (gzip)", gzip_size(&wasm)?, None),
        ("tracker payref.js (gzip)", gzip_size(&glue)?, None),
        ("tracker wasm (brotli)", brotli_size(&wasm)?, None),
        ("tracker payref.js (brotli)", brotli_size(&glue)?, None),
        // The budget: everything the tag loads, brotli, 8 KB (aim: 5 KB).
        ("tracker total (brotli)", brotli_size(&wasm)? + brotli_size(&glue)?, Some(8 * 1024)),
        (
            "tracker loader + stub (min.)",
            std::fs::metadata(ctx.root.join("target/dist/.tracker-work/loader.min.js"))?.len(),
            Some(crate::tracker_dist::LOADER_BUDGET),
        ),
        ("worker bundle wasm (gzip)", gzip_size(&ctx.root.join("edge/build/index_bg.wasm"))?, Some(400 * 1024)),
    ];
    println!("\n{:<28} {:>12} {:>12} {:>10}", "figure", "bytes", "goal", "ratio");
    for (name, bytes, goal) in rows {
        match goal {
            Some(g) => println!("{name:<28} {bytes:>12} {g:>12} {:>10.2}", bytes as f64 / g as f64),
            None => println!("{name:<28} {bytes:>12} {:>12} {:>10}", "-", "-"),
        }
    }
    tracker_speed(ctx)?;
    println!("\n{:<28} {:>12} {:>12} {:>10}", "figure", "value", "goal", "of goal");
    // The edge's ratios: the worker in local workerd, delivering to an origin.
    let status = Command::new("cargo")
        .current_dir(&ctx.root)
        .args(["run", "--quiet", "--release", "-p", "payref-tests", "--bin", "payref-edge-bench"])
        .env("PAYREF_WRANGLER", ctx.node_bin("wrangler"))
        .status()
        .context("running the edge bench")?;
    anyhow::ensure!(status.success(), "the edge bench failed ({status})");
    // The origin's ratios, measured in a release build side by side in one process.
    let status = Command::new("cargo")
        .current_dir(&ctx.root)
        .args(["run", "--quiet", "--release", "-p", "payref-tests", "--bin", "payref-origin-bench"])
        .status()
        .context("running the origin bench")?;
    anyhow::ensure!(status.success(), "the origin bench failed ({status})");
    Ok(())
}

/// The tracker against the plain-JavaScript tracker committed beside the bench
/// (`tests/browser/bench/plain.js`), in Chromium, alternating, medians of 9 rounds.
fn tracker_speed(ctx: &Ctx) -> anyhow::Result<()> {
    let out = Command::new("node")
        .arg(ctx.root.join("tests/browser/bench.mjs"))
        .arg(ctx.dist())
        .arg("/usr/bin/chromium")
        .output()
        .context("running the tracker bench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let figures: serde_json::Value = serde_json::from_str(text.trim())
        .with_context(|| format!("the tracker bench printed no figures: {text}{}", String::from_utf8_lossy(&out.stderr)))?;
    anyhow::ensure!(out.status.success(), "the tracker bench found problems: {}", figures["problems"]);
    let f = |path: [&str; 2]| figures[path[0]][path[1]].as_f64().unwrap_or(f64::NAN);
    let r = |name: &str| figures[name].as_f64().unwrap_or(f64::NAN);
    println!("\n{:<44} {:>10} {:>10} {:>8} {:>6}", "tracker (Chromium, medians)", "rust", "plain JS", "ratio", "goal");
    let rows = [
        ("decorate 10,000 links (ms)", f(["decorate_10k_ms", "rust"]), f(["decorate_10k_ms", "js"]), r("decorate_ratio"), "<= 1.0"),
        (
            "observer, per link added (µs)",
            f(["observe_per_link_us", "rust"]),
            f(["observe_per_link_us", "js"]),
            r("observe_ratio"),
            "<= 1.0",
        ),
        (
            "  same, less the page's own append (µs)",
            f(["observe_per_link_us", "rust"]) - f(["observe_per_link_us", "none"]),
            f(["observe_per_link_us", "js"]) - f(["observe_per_link_us", "none"]),
            r("observe_net_ratio"),
            "",
        ),
        ("script start → small page decorated (ms)", f(["small_page_ms", "rust"]), f(["small_page_ms", "js"]), r("small_page_ratio"), "-"),
    ];
    for (name, rust, js, ratio, goal) in rows {
        println!("{name:<44} {rust:>10.2} {js:>10.2} {ratio:>8.2} {goal:>6}");
    }
    Ok(())
}
