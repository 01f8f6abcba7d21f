//! Types and rules of the affiliate program, free of I/O.

pub mod affiliate;
pub mod api_key;
pub mod campaign;
pub mod commission;
pub mod ids;
