//! Idempotent processing: edge batches into clicks, Stripe events into conversions and
//! commissions, exactly once in effect however often they arrive.

pub mod attribution;
pub mod customers;
mod dispatch;
pub mod events;
mod fetch;
pub mod ingest;
pub mod jobs;
pub mod ledger;
pub mod payments;
pub mod reconciler;
pub mod step;
mod write_back;
