//! payref's end-to-end and API tests, in one binary.

mod api;
mod attribution;
mod campaigns_api;
mod clicks_api;
mod commissions_api;
mod edge_outage;
mod edge_routes;
mod edge_tracker;
mod exports_api;
mod links_api;
mod merchant_api;
mod origin_api;
mod referral_to_sale;
mod refunds;
mod secrets_api;
mod stripe_chain;
mod stripe_delivery;
mod stripe_events_api;
mod stripe_ledger;
mod stripe_reconcile;
mod stripe_shapes;
mod stripe_sim;
