//! Idempotent processing: edge batches into clicks, Stripe events into conversions and
//! commissions, exactly once in effect however often they arrive.

pub mod attribution;
pub mod chain;
pub mod customers;
pub mod events;
pub mod ingest;
pub mod jobs;
pub mod ledger;
pub mod payments;
pub mod reconciler;
mod write_back;
