//! Stripe: webhook signature verification and the event shapes payref reads.

pub mod client;
pub mod event;
pub mod event_types;
pub mod signature;
