//! payref's browser tracker. Reads the referral from the URL, keeps it first-party (cookie with
//! a localStorage mirror), reports the click once, and writes `client_reference_id` into every
//! Stripe payment link, `<stripe-buy-button>` and `<stripe-pricing-table>`, including ones the
//! page adds later, inside open shadow roots and at click time.
//!
//! The decisions live in plain modules ([`href`], [`options`], [`referral`], [`visit`]) tested
//! natively; the browser glue ([`js`], `page`, `decorate`, `store`) only compiles for wasm32.
//!
//! Shadow roots: open ones are found and observed; closed ones (`attachShadow({mode:
//! 'closed'})`) are out of reach of any script but their owner's, so links inside them are not
//! decorated (the click-time listener cannot see into them either: the composed path stops at
//! the host).

#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod href;
pub mod options;
pub mod referral;
pub mod visit;

#[cfg(target_arch = "wasm32")]
mod decorate;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
pub use page::start;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod tiny;
