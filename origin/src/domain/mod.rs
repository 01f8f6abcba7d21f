//! Types and rules of the affiliate program, free of I/O.

pub mod api_key;
pub mod commission;
pub mod ids;
