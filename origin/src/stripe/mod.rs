//! Stripe: webhook signature verification and the event shapes payref reads.

pub mod event;
pub mod signature;
