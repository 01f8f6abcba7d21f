//! Test harness: runs the real origin, the real worker in workerd, the demo shop and Chromium
//! together on loopback. Everything a test needs comes from environment variables that
//! `cargo xtask test` sets; a missing one fails the test rather than skipping it.

pub mod browser;
pub mod edge;
pub mod origin;
pub mod process;
pub mod shop;
pub mod stripe;

/// Reads a variable `cargo xtask test` sets, failing with the reason when it is absent.
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests with `cargo xtask test`"))
}

/// The repository root (from `cargo test`'s run-time CARGO_MANIFEST_DIR when set, since
/// clones sharing one CARGO_TARGET_DIR must not see each other's paths).
pub fn repo_root() -> std::path::PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
    manifest.join("..")
}
