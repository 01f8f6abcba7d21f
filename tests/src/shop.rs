//! The demo shop: `demo/shop.html` with the tracker tag filled in; the page loads the tracker
//! from the edge, which serves it under `/t/`. Used by `cargo xtask demo` and the end-to-end
//! tests.

use std::path::PathBuf;

use poem::web::Html;
use poem::{EndpointExt, Route, Server, get, handler, listener::TcpAcceptor};

/// What the page is rendered with.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// The edge's base URL (the tracker's `data-endpoint`).
    pub edge_url: String,
    /// The merchant site's key (`data-site`).
    pub site_key: String,
    /// The page template, `demo/shop.html`.
    pub template: PathBuf,
    /// Where the simulator's Payment Link page is (`http://localhost:<port>/b/`), for the
    /// demo; the page's last link then opens it (a custom payment-link domain to the tracker).
    pub checkout_url: Option<String>,
}

/// The page's HTML for this configuration.
pub fn render(config: &ShopConfig) -> std::io::Result<String> {
    let template = std::fs::read_to_string(&config.template)?;
    let checkout = config.checkout_url.as_deref().unwrap_or("https://buy.stripe.com/");
    let link_domain = config.checkout_url.as_deref().and_then(|u| Some(u.split_once("://")?.1.split(['/', ':']).next()?.to_owned()));
    Ok(template
        .replace("{{SITE_KEY}}", &config.site_key)
        .replace("{{EDGE_URL}}", &config.edge_url)
        .replace("{{CHECKOUT_URL}}", checkout)
        .replace("{{LINK_DOMAINS}}", link_domain.as_deref().unwrap_or_default()))
}

#[handler]
fn page(poem::web::Data(html): poem::web::Data<&String>) -> Html<String> {
    Html(html.clone())
}

/// Serves the shop on an already-bound listener until the process ends.
pub async fn serve(config: ShopConfig, listener: std::net::TcpListener) -> std::io::Result<()> {
    let html = render(&config)?;
    let app = Route::new().at("/", get(page)).data(html);
    listener.set_nonblocking(true)?;
    Server::new_with_acceptor(TcpAcceptor::from_std(listener)?).run(app).await
}
