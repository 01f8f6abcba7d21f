//! payref's edge worker. The decisions (what a click request is worth, how a batch is signed)
//! are plain functions tested natively; `worker_glue` binds them to workers-rs on wasm32.

pub mod click;
pub mod forward;

#[cfg(target_arch = "wasm32")]
mod worker_glue;
