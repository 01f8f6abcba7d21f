//! `cargo xtask setup`: installs what a fresh machine lacks, in order, each step skipped when
//! already present at the right version. Everything the build and the tests use comes from here.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::Ctx;
use crate::process::{output, run};

/// worker-build release matching the `worker` crate.
pub const WORKER_BUILD_VERSION: &str = "0.8.7";
const APT_PACKAGES: [(&str, &str); 3] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    // Any installed server version will do; found by crate::postgres::bin_dir.
    ("postgresql", ""),
];

fn step(name: &str, present: bool, install: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    if present {
        println!("xtask setup: {name}: present");
        return Ok(());
    }
    println!("xtask setup: {name}: installing");
    install().with_context(|| format!("installing {name}"))
}

/// The version of `package` in Cargo.lock.
pub fn locked_version(ctx: &Ctx, package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(ctx.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle).with_context(|| format!("{package} is not in Cargo.lock"))? + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")?;
    Ok(lock[start..start + end].to_owned())
}

fn tool_version(path: &Path) -> Option<String> {
    output(Command::new(path).arg("--version")).map(|s| s.trim().to_owned())
}

fn npm_current(ctx: &Ctx) -> bool {
    let installed = ctx.root.join("node_modules/.package-lock.json");
    let (Ok(installed), Ok(wanted)) = (std::fs::metadata(installed), std::fs::metadata(ctx.root.join("package-lock.json"))) else {
        return false;
    };
    let newer = matches!((installed.modified(), wanted.modified()), (Ok(i), Ok(w)) if i >= w);
    newer && ["wrangler", "terser", "wasm-opt"].iter().all(|b| ctx.node_bin(b).exists())
}

fn apt_install(missing: &[&str]) -> anyhow::Result<()> {
    let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update"]), "apt-get update")?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(missing);
    run(&mut install, &format!("apt-get install {}", missing.join(" ")))
}

/// Runs every step.
pub fn setup(ctx: &Ctx) -> anyhow::Result<()> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    step("rust target wasm32-unknown-unknown", targets.lines().any(|t| t == "wasm32-unknown-unknown"), || {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]), "rustup target add wasm32-unknown-unknown")
    })?;

    let wb = locked_version(ctx, "wasm-bindgen")?;
    let have = tool_version(&ctx.cargo_bin.join("wasm-bindgen"));
    step(&format!("wasm-bindgen-cli {wb}"), have.as_deref() == Some(&format!("wasm-bindgen {wb}")), || {
        // Not --locked: its lock file wants a webpki-roots the registry mirror lacks.
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wb]), "cargo install wasm-bindgen-cli")
    })?;

    let have = tool_version(&ctx.cargo_bin.join("worker-build"));
    step(&format!("worker-build {WORKER_BUILD_VERSION}"), have.as_deref().is_some_and(|v| v.ends_with(WORKER_BUILD_VERSION)), || {
        run(
            Command::new("cargo").args(["install", "worker-build", "--version", WORKER_BUILD_VERSION, "--locked"]),
            "cargo install worker-build",
        )
    })?;

    step("npm packages (package-lock.json)", npm_current(ctx), || {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&ctx.root), "npm ci")
    })?;

    let present = |(package, path): &&(&str, &str)| match *package {
        "postgresql" => crate::postgres::bin_dir().is_some(),
        _ => Path::new(path).exists(),
    };
    let missing: Vec<&str> = APT_PACKAGES.iter().filter(|p| !present(p)).map(|(p, _)| *p).collect();
    step("Debian packages chromium, chromium-driver, postgresql", missing.is_empty(), || apt_install(&missing))
}
