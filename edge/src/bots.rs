//! Dropping automated traffic: crawlers, link previewers, uptime monitors, scanners, HTTP
//! libraries and headless browsers. A click from any of them is not a person following an
//! affiliate's link. The list is ours and maintained here; `edge/tests/data/` holds the user
//! agents it is tested against (bots that must match, browsers that must not).

/// Lowercase fragments that mark a user agent as automated. Generic words first, then named
/// agents whose user agent carries none of them.
const PATTERNS: &[&str] = &[
    // Generic: self-described robots, and the contact URL or mailbox crawlers put in their agent.
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "scanner",
    "+http",
    "subscribers",
    "feed-id",
    // Search and ads agents without a generic word.
    "mediapartners",
    "google-",
    "googleother",
    "apis-google",
    "feedfetcher",
    "bingpreview",
    "teoma",
    "qwantify",
    "yeti/",
    "daum/",
    "barkrowler",
    "bubing",
    "heritrix",
    "ltx71",
    "linkfluence",
    "proximic",
    "dataprovider",
    "lipperhey",
    "internetmeasurement",
    "megaindex",
    "seokicks",
    "sitebulb",
    "screaming frog",
    "ahrefs",
    "woorank",
    // AI agents.
    "chatgpt-user",
    "claude-",
    "anthropic",
    "cohere-ai",
    "perplexity",
    "webzio",
    // Link previews, feed readers and social fetchers.
    "facebookexternalhit",
    "facebookcatalog",
    "meta-external",
    "whatsapp/",
    "slack-imgproxy",
    "skypeuripreview",
    "vkshare",
    "flipboardproxy",
    "embedly",
    "iframely",
    "feedly",
    "newsblur",
    "feedbin",
    "inoreader",
    "superfeedr",
    // Validators, performance and uptime monitors.
    "validator",
    "checklink",
    "lighthouse",
    "page speed",
    "ptst/",
    "gtmetrix",
    "pingdom",
    "uptime",
    "statuscake",
    "site24x7",
    "pinger",
    "synthetics",
    "checkly",
    // Security scanners.
    "censys",
    "expanse,",
    "zgrab",
    "masscan",
    "nmap",
    "sqlmap",
    "nikto",
    "wpscan",
    "nuclei",
    // HTTP libraries and command-line clients.
    "curl",
    "wget",
    "python",
    "go-http-client",
    "java/",
    "okhttp",
    "axios",
    "node-fetch",
    "libwww",
    "lwp-",
    "httpclient",
    "aiohttp",
    "httpx",
    "faraday",
    "typhoeus",
    "mechanize",
    "postmanruntime",
    "insomnia/",
    "deno/",
    "bun/",
    "sindresorhus/got",
    "dart:io",
    "httpie",
    "powershell",
    "scrapy",
    "colly",
    "httrack",
    "nutch",
    // Automated browsers.
    "headless",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "webdriver",
];

/// Whole user agents some libraries send, too short to search for inside others.
const EXACT: &[&str] = &["node", "undici", "ruby", "mozilla/5.0", "-"];

/// Words in people's user agents that contain a pattern: CUBOT is a phone maker.
const NOT_BOTS: &[&str] = &["cubot"];

/// Whether `user_agent` is automated traffic. A missing or blank user agent is: every browser
/// sends one.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    if ua.is_empty() || EXACT.contains(&ua.as_str()) {
        return true;
    }
    let mut ua = ua;
    for word in NOT_BOTS {
        if ua.contains(word) {
            ua = ua.replace(word, " ");
        }
    }
    PATTERNS.iter().any(|p| ua.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    }

    #[test]
    fn drops_every_known_bot() {
        let bots = lines(include_str!("../tests/data/bot-user-agents.txt"));
        assert!(bots.len() >= 200, "the bot list has {} user agents; keep at least 200", bots.len());
        let missed: Vec<_> = bots.iter().filter(|ua| !is_bot(ua)).collect();
        assert!(missed.is_empty(), "not recognised as bots: {missed:#?}");
    }

    #[test]
    fn keeps_every_browser() {
        let browsers = lines(include_str!("../tests/data/browser-user-agents.txt"));
        assert!(browsers.len() >= 40);
        let dropped: Vec<_> = browsers.iter().filter(|ua| is_bot(ua)).collect();
        assert!(dropped.is_empty(), "browsers dropped as bots: {dropped:#?}");
    }

    #[test]
    fn blank_and_bare_agents_are_bots() {
        for ua in ["", "   ", "node", "Mozilla/5.0", "-"] {
            assert!(is_bot(ua), "{ua:?}");
        }
        assert!(is_bot("Mozilla/5.0 (Linux; Android 11; CUBOT X30) crawler"), "an exception word does not hide other patterns");
    }
}
