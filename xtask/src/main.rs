//! `cargo xtask <command>`: the one entry point for setting up, building, running and testing payref.

mod bench;
mod build;
mod demo;
mod long_runs;
mod postgres;
mod process;
mod setup;
mod test;
mod tracker_dist;

use std::path::PathBuf;

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install what is missing (wasm32 target, wasm-bindgen-cli, worker-build, npm tools,
          chromium, chromium-driver, postgresql); each step is skipped when already present
  build   build the tracker (target/dist/edge-assets/t/), the worker bundle (edge/build/) and the origin
  demo    setup + build, then run the origin, the edge and a demo shop on 127.0.0.1 until Ctrl-C
          [--origin-port 3000] [--edge-port 8787] [--shop-port 8000]
  test    setup + build, then every test; ends with `N passed, N failed, N skipped`
  bench   print the figures the issues ask for, as ratios
  fuzz    every parser a stranger reaches, under arbitrary input, in release [cases, default 1000000]
  ledger  the ledger's invariants over random histories, random seed [histories, default 20000]";

/// Where everything is.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The repository root.
    pub root: PathBuf,
    /// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
    pub target: PathBuf,
    /// Where `cargo install` puts binaries.
    pub cargo_bin: PathBuf,
}

impl Ctx {
    fn new() -> anyhow::Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the running process. Prefer it to the
        // compile-time value: clones sharing one CARGO_TARGET_DIR share this binary's path.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let root = manifest_dir.join("..").canonicalize().context("finding the repository root")?;
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .context("neither CARGO_HOME nor HOME is set")?;
        Ok(Self { root, target, cargo_bin: cargo_home.join("bin") })
    }

    /// The worker's static assets, `target/dist/edge-assets` in the repository (independent of
    /// `CARGO_TARGET_DIR`; `wrangler.toml`'s `[assets]` names it): `_headers` and the tracker.
    pub fn edge_assets(&self) -> PathBuf {
        self.root.join("target/dist/edge-assets")
    }

    /// The tracker's files, which the edge serves under `/t/`.
    pub fn dist(&self) -> PathBuf {
        self.edge_assets().join("t")
    }

    /// A binary installed by npm.
    pub fn node_bin(&self, name: &str) -> PathBuf {
        self.root.join("node_modules/.bin").join(name)
    }

    /// A debug binary of the workspace.
    pub fn debug_bin(&self, name: &str) -> PathBuf {
        self.target.join("debug").join(name)
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ctx = Ctx::new()?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::setup(&ctx),
        Some("build") => build::build(&ctx),
        Some("demo") => demo::demo(&ctx, demo::Ports::from_args(&args[1..])?),
        Some("test") => {
            let ok = test::test(&ctx)?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Some("bench") => bench::bench(&ctx),
        Some("fuzz") => long_runs::fuzz(&ctx, &args[1..]),
        Some("ledger") => long_runs::ledger(&ctx, &args[1..]),
        None | Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}
