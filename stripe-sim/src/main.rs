//! `payref-stripe-sim [ADDR]`: runs the Stripe simulator (for the demo), delivering test-mode
//! events to `PAYREF_SIM_WEBHOOK_URL` signed with `PAYREF_SIM_WEBHOOK_SECRET` when both are set.

use payref_stripe_sim::Simulator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12111".to_string());
    let sim = Simulator::start_on(&addr).await?;
    if let (Ok(url), Ok(secret)) = (std::env::var("PAYREF_SIM_WEBHOOK_URL"), std::env::var("PAYREF_SIM_WEBHOOK_SECRET")) {
        sim.add_endpoint(&url, &[&secret], false);
        println!("delivering test-mode events to {url}");
    }
    println!("Stripe simulator on {}", sim.base_url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
