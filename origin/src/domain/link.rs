//! Affiliate redirect links: where a link may send a visitor.

use payref_shared::WebOrigin;

/// Longest destination URL stored.
pub const MAX_DESTINATION_LEN: usize = 2_048;

/// Stripe's Payment Link host: a link may send visitors straight to checkout.
pub const STRIPE_PAYMENT_LINKS: &str = "https://buy.stripe.com";

/// Checks a destination URL: absolute http(s), no user info, on one of the site's allowed
/// origins (or a Stripe Payment Link), so links can never be turned into an open redirect.
/// Returns the URL with its origin normalised; the message names what is wrong.
pub fn check_destination(url: &str, allowed_origins: &[String]) -> Result<String, String> {
    let url = url.trim();
    if url.len() > MAX_DESTINATION_LEN || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("destination_url must be at most {MAX_DESTINATION_LEN} characters, without spaces"));
    }
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    let origin = WebOrigin::parse(&url[..end]).map_err(|e| format!("destination_url {e}"))?;
    let rest = &url[end..];
    if origin.as_str() != STRIPE_PAYMENT_LINKS && !allowed_origins.iter().any(|a| a == origin.as_str()) {
        if allowed_origins.is_empty() {
            return Err("destination_url: the site has no allowed_origins yet; set them on the site first".into());
        }
        return Err(format!(
            "destination_url must be on one of the site's allowed origins ({}) or {STRIPE_PAYMENT_LINKS}",
            allowed_origins.join(", ")
        ));
    }
    Ok(format!("{origin}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["https://shop.example.com".into()]
    }

    #[test]
    fn destinations_stay_on_the_merchants_origins() {
        assert_eq!(check_destination("https://Shop.Example.com/p?a=1#x", &allowed()).as_deref(), Ok("https://shop.example.com/p?a=1#x"));
        assert_eq!(check_destination("https://shop.example.com", &allowed()).as_deref(), Ok("https://shop.example.com"));
        assert!(check_destination("https://buy.stripe.com/test_abc", &allowed()).is_ok());
        let refused = [
            "https://evil.example/",
            "https://shop.example.com.evil.example/",
            "https://shop.example.com@evil.example/",
            "http://shop.example.com/",
            "javascript:alert(1)",
            "//shop.example.com/",
            "https://shop.example.com/a b",
        ];
        for url in refused {
            let err = check_destination(url, &allowed()).unwrap_err();
            assert!(err.contains("destination_url"), "{url}: {err}");
        }
        assert!(check_destination("https://shop.example.com/", &[]).unwrap_err().contains("allowed_origins"));
    }
}
