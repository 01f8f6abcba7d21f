//! `cargo xtask build`: the tracker's files, the worker bundle and the origin.

use std::process::Command;

use crate::Ctx;
use crate::process::run;

/// Size-optimising settings for the wasm builds only (the origin keeps unwinding panics).
/// worker-build always builds cargo's `release` profile, so it gets them as variables; the
/// tracker uses the equivalent `wasm-release` profile from Cargo.toml.
pub const WASM_PROFILE_ENV: [(&str, &str); 5] = [
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z"),
    ("CARGO_PROFILE_RELEASE_LTO", "true"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
    ("CARGO_PROFILE_RELEASE_STRIP", "false"),
];

fn esbuild_platform() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "linux-arm64",
        _ => "linux-x64",
    }
}

/// Builds the worker with worker-build into `edge/build/`, using our wasm-bindgen, wasm-opt
/// and esbuild (worker-build would otherwise download them).
pub fn build_worker(ctx: &Ctx) -> anyhow::Result<()> {
    let mut cmd = Command::new(ctx.cargo_bin.join("worker-build"));
    cmd.arg("--release")
        .current_dir(ctx.root.join("edge"))
        .env("CARGO_TARGET_DIR", &ctx.target)
        .env("WASM_BINDGEN_BIN", ctx.cargo_bin.join("wasm-bindgen"))
        .env("WASM_OPT_BIN", ctx.node_bin("wasm-opt"))
        .env("ESBUILD_BIN", ctx.root.join("node_modules/@esbuild").join(esbuild_platform()).join("bin/esbuild"));
    for (k, v) in WASM_PROFILE_ENV {
        cmd.env(k, v);
    }
    run(&mut cmd, "building the worker bundle (worker-build → edge/build/)")
}

/// Builds everything.
pub fn build(ctx: &Ctx) -> anyhow::Result<()> {
    crate::tracker_dist::build_tracker(ctx)?;
    build_worker(ctx)?;
    run(
        Command::new("cargo")
            .args(["build", "-p", "payref-origin", "-p", "payref-stripe-sim", "-p", "payref-tests", "--bins"])
            .current_dir(&ctx.root),
        "building the origin and the demo shop",
    )
}
