//! Histories for the ledger properties: what Stripe reports about a few payments (in Stripe's
//! shapes) and the merchant's actions between (`history`), a harness applying them through the
//! real event worker and storage (`harness`), and the ledger's invariants over a snapshot of
//! one merchant (`invariants`).

mod harness;
mod history;
mod invariants;

pub use harness::Harness;
pub use history::{History, Step};
pub use invariants::snapshot;
