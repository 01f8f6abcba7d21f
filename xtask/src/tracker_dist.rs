//! The tracker's files in `target/dist/edge-assets/t/`: `payref.js` (the classic one-tag
//! script), `payref.mjs` (ES module for bundlers) and `payref-<content hash>.wasm` they both
//! load. The edge serves that folder as static assets, with `edge/_headers`' cache rules.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::Ctx;
use crate::process::run;

/// Most bytes the hand-written loader and queue stub may take, minified.
pub const LOADER_BUDGET: u64 = 600;

/// FNV-1a 64: a stable content hash for cache-busting file names.
fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

fn bindgen(ctx: &Ctx, wasm: &Path, target: &str, out: &Path) -> anyhow::Result<()> {
    run(
        Command::new(ctx.cargo_bin.join("wasm-bindgen")).args(["--target", target, "--no-typescript", "--out-dir"]).arg(out).arg(wasm),
        &format!("wasm-bindgen --target {target}"),
    )
}

fn minify(ctx: &Ctx, input: &Path, output: &Path, module: bool) -> anyhow::Result<()> {
    let mut cmd = Command::new(ctx.node_bin("terser"));
    cmd.arg(input).args(["--compress", "--mangle", "--output"]).arg(output);
    if module {
        cmd.arg("--module");
    }
    run(&mut cmd, &format!("minifying {}", output.display()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Builds the tracker and assembles its distribution files.
pub fn build_tracker(ctx: &Ctx) -> anyhow::Result<()> {
    run(
        Command::new("cargo")
            // Without std: the tracker's own allocator and a panic handler that formats nothing.
            .args([
                "build",
                "-p",
                "payref-tracker",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "wasm-release",
                "--no-default-features",
            ])
            .current_dir(&ctx.root),
        "building the tracker (wasm32, size profile, no std)",
    )?;
    let wasm = ctx.target.join("wasm32-unknown-unknown/wasm-release/payref_tracker.wasm");
    let work = ctx.root.join("target/dist/.tracker-work");
    let _ = std::fs::remove_dir_all(&work);
    let (classic, esm) = (work.join("classic"), work.join("esm"));
    bindgen(ctx, &wasm, "no-modules", &classic)?;
    bindgen(ctx, &wasm, "web", &esm)?;
    let (classic_wasm, esm_wasm) = (classic.join("payref_tracker_bg.wasm"), esm.join("payref_tracker_bg.wasm"));
    if std::fs::read(&classic_wasm)? != std::fs::read(&esm_wasm)? {
        bail!("wasm-bindgen produced different wasm for the classic and module builds; both would need their own file");
    }
    let optimised = work.join("opt.wasm");
    run(Command::new(ctx.node_bin("wasm-opt")).arg("-Oz").arg(&classic_wasm).arg("-o").arg(&optimised), "wasm-opt -Oz (tracker)")?;
    let bytes = std::fs::read(&optimised)?;
    let wasm_name = format!("payref-{}.wasm", content_hash(&bytes));

    let dist = ctx.dist();
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist)?;
    std::fs::write(dist.join(&wasm_name), &bytes)?;
    std::fs::copy(ctx.root.join("edge/_headers"), ctx.edge_assets().join("_headers")).context("copying edge/_headers")?;

    let loader = read(&ctx.root.join("tracker-wasm/js/loader.js"))?.replace("__WASM__", &wasm_name);
    // The only hand-written JavaScript in payref.js: the loader with its queue stub.
    std::fs::write(work.join("loader.js"), &loader)?;
    minify(ctx, &work.join("loader.js"), &work.join("loader.min.js"), false)?;
    let loader_bytes = std::fs::metadata(work.join("loader.min.js"))?.len();
    if loader_bytes > LOADER_BUDGET {
        bail!("the tracker's loader and queue stub are {loader_bytes} bytes minified, over the {LOADER_BUDGET}-byte budget");
    }
    let classic_src = format!("(function(){{\n{}\n{loader}\n}})();\n", read(&classic.join("payref_tracker.js"))?);
    std::fs::write(work.join("payref.js"), classic_src)?;
    minify(ctx, &work.join("payref.js"), &dist.join("payref.js"), false)?;

    let entry = read(&ctx.root.join("tracker-wasm/js/esm.js"))?.replace("__WASM__", &wasm_name);
    let module_src = format!("{}\n{entry}", read(&esm.join("payref_tracker.js"))?);
    std::fs::write(work.join("payref.mjs"), module_src)?;
    minify(ctx, &work.join("payref.mjs"), &dist.join("payref.mjs"), true)?;
    println!(
        "xtask: tracker → {} ({wasm_name}, {} bytes of wasm; loader and stub {loader_bytes} bytes minified)",
        dist.display(),
        bytes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_hash_is_fnv1a_64() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(super::content_hash(b""), "cbf29ce484222325");
        assert_eq!(super::content_hash(b"a"), "af63dc4c8601ec8c");
    }
}
