//! `payref-demo-shop`: serves the demo shop for `cargo xtask demo`.
//! Usage: payref-demo-shop <port> <edge url> <site key> <page template> [checkout url]

use payref_tests::shop::{ShopConfig, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, edge_url, site_key, template, checkout_url) = match args.as_slice() {
        [port, edge, site, template] => (port, edge, site, template, None),
        [port, edge, site, template, checkout] => (port, edge, site, template, Some(checkout.clone())),
        _ => anyhow::bail!("usage: payref-demo-shop <port> <edge url> <site key> <page template> [checkout url]"),
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?))?;
    let config = ShopConfig { edge_url: edge_url.clone(), site_key: site_key.clone(), template: template.into(), checkout_url };
    serve(config, listener).await?;
    Ok(())
}
