//! payref's edge worker. The decisions (what a click request is worth, how a batch is signed)
//! are plain functions tested natively; `glue` binds them to workers-rs on wasm32.

pub mod admission;
pub mod bots;
pub mod click;
pub mod forward;
pub mod redirect;
pub mod repeats;
pub mod site;
pub mod vars;
pub mod visitor;

#[cfg(target_arch = "wasm32")]
mod glue;
