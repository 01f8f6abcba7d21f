//! Whether a tracker event is let through to the queue, and in which order it is checked:
//! route → site → origin → bot → rate limit → repeat. Each check after the route costs
//! something (a lookup, a limiter token, a slot in the repeat filter), so [`next`] asks for
//! one fact at a time, in that order, and the glue answers it; a bot therefore never spends a
//! visitor's rate limit, and a rate-limited visitor never fills the repeat filter.

use payref_shared::EdgeEvent;

use crate::click::Rejection;

/// The routes that take tracker events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/clicks`: the tracker's beacon.
    Clicks,
    /// `POST /v1/identify`: the tracker's `identify`.
    Identify,
}

impl Route {
    /// The route at `path`, if it takes events.
    pub fn of_path(path: &str) -> Option<Self> {
        match path {
            "/v1/clicks" => Some(Self::Clicks),
            "/v1/identify" => Some(Self::Identify),
            _ => None,
        }
    }

    /// Whether this route takes `event`; `Err` says where it goes instead.
    pub fn takes(self, event: &EdgeEvent) -> Result<(), &'static str> {
        match (event, self) {
            (EdgeEvent::Click(_), Self::Clicks) | (EdgeEvent::Lead(_), Self::Identify) => Ok(()),
            (EdgeEvent::Click(_), Self::Identify) => Err("a click goes to /v1/clicks"),
            (EdgeEvent::Lead(_), Self::Clicks) => Err("an identify goes to /v1/identify"),
        }
    }
}

/// What the site lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteCheck {
    /// A known site; whether it accepts events from the page's origin.
    Known {
        /// The page's `Origin` is one of the site's allowed origins (or none are set yet).
        origin_allowed: bool,
    },
    /// No such site key.
    Unknown,
    /// The origin is unreachable and nothing is cached: the event is taken, and the origin
    /// checks the site again when it arrives.
    Unavailable,
}

/// The facts known so far about one event; `None` until asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gate {
    /// The event is of the kind its route takes (a click at `/v1/clicks`, a lead at
    /// `/v1/identify`); `Err` says where it goes instead.
    pub route: Option<Result<(), &'static str>>,
    /// The site lookup.
    pub site: Option<SiteCheck>,
    /// The user agent is a known bot.
    pub bot: Option<bool>,
    /// The visitor is within its rate limit (this costs a token).
    pub within_rate: Option<bool>,
    /// The event is a click (repeats are filtered for clicks only).
    pub is_click: bool,
    /// The click is the visitor's first for its code in the window (this fills the filter).
    pub first_click: Option<bool>,
}

/// A fact [`next`] needs before it can decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Whether the event suits its route.
    Route,
    /// The site lookup.
    Site,
    /// Whether the user agent is a bot.
    Bot,
    /// The visitor's rate limit.
    RateLimit,
    /// The repeat filter.
    Repeat,
}

/// What to do with the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Find this out, then ask again.
    Ask(Ask),
    /// Answer with this error; nothing is queued.
    Refuse(Rejection),
    /// Answer 204 and queue nothing (a bot, a repeat): nothing to tell the page.
    Ignore,
    /// Answer 204 and queue the event.
    Admit,
}

/// The next step for an event with the facts in `gate`.
pub fn next(gate: &Gate) -> Next {
    match gate.route {
        None => return Next::Ask(Ask::Route),
        Some(Err(where_to)) => return Next::Refuse(Rejection::new(400, "wrong_event", where_to)),
        Some(Ok(())) => {}
    }
    match gate.site {
        None => return Next::Ask(Ask::Site),
        Some(SiteCheck::Unknown) => return Next::Refuse(Rejection::new(403, "unknown_site", "no such site key")),
        Some(SiteCheck::Known { origin_allowed: false }) => {
            return Next::Refuse(Rejection::new(403, "origin_not_allowed", "this site does not accept events from this origin"));
        }
        Some(SiteCheck::Known { origin_allowed: true } | SiteCheck::Unavailable) => {}
    }
    match gate.bot {
        None => return Next::Ask(Ask::Bot),
        Some(true) => return Next::Ignore,
        Some(false) => {}
    }
    match gate.within_rate {
        None => return Next::Ask(Ask::RateLimit),
        Some(false) => return Next::Refuse(Rejection::new(429, "rate_limited", "too many requests; try again later")),
        Some(true) => {}
    }
    if !gate.is_click {
        return Next::Admit;
    }
    match gate.first_click {
        None => Next::Ask(Ask::Repeat),
        Some(false) => Next::Ignore,
        Some(true) => Next::Admit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the gate over `facts` (answers by ask), recording what was asked, as the glue does.
    fn run(facts: Gate) -> (Vec<Ask>, Next) {
        let mut gate = Gate { is_click: facts.is_click, ..Gate::default() };
        let mut asked = Vec::new();
        loop {
            match next(&gate) {
                Next::Ask(ask) => {
                    asked.push(ask);
                    match ask {
                        Ask::Route => gate.route = facts.route,
                        Ask::Site => gate.site = facts.site,
                        Ask::Bot => gate.bot = facts.bot,
                        Ask::RateLimit => gate.within_rate = facts.within_rate,
                        Ask::Repeat => gate.first_click = facts.first_click,
                    }
                    assert!(asked.len() <= 5, "asked the same fact twice: {asked:?}");
                }
                verdict => return (asked, verdict),
            }
        }
    }

    fn person_click() -> Gate {
        Gate {
            route: Some(Ok(())),
            site: Some(SiteCheck::Known { origin_allowed: true }),
            bot: Some(false),
            within_rate: Some(true),
            is_click: true,
            first_click: Some(true),
        }
    }

    fn code(next: &Next) -> Option<&'static str> {
        match next {
            Next::Refuse(r) => Some(r.code),
            _ => None,
        }
    }

    #[test]
    fn a_person_s_first_click_is_admitted_after_every_check_in_order() {
        let (asked, verdict) = run(person_click());
        assert_eq!(asked, [Ask::Route, Ask::Site, Ask::Bot, Ask::RateLimit, Ask::Repeat]);
        assert_eq!(verdict, Next::Admit);
    }

    #[test]
    fn a_lead_skips_the_repeat_filter() {
        let (asked, verdict) = run(Gate { is_click: false, first_click: None, ..person_click() });
        assert_eq!(asked, [Ask::Route, Ask::Site, Ask::Bot, Ask::RateLimit]);
        assert_eq!(verdict, Next::Admit);
    }

    #[test]
    fn the_wrong_route_is_refused_before_any_lookup() {
        let (asked, verdict) = run(Gate { route: Some(Err("a click goes to /v1/clicks")), bot: Some(true), ..person_click() });
        assert_eq!(asked, [Ask::Route]);
        assert_eq!(code(&verdict), Some("wrong_event"));
    }

    #[test]
    fn unknown_sites_and_foreign_origins_are_refused_before_the_bot_check() {
        let (asked, verdict) = run(Gate { site: Some(SiteCheck::Unknown), bot: Some(true), ..person_click() });
        assert_eq!((asked.len(), code(&verdict)), (2, Some("unknown_site")));
        let (asked, verdict) = run(Gate { site: Some(SiteCheck::Known { origin_allowed: false }), ..person_click() });
        assert_eq!((asked.len(), code(&verdict)), (2, Some("origin_not_allowed")));
    }

    #[test]
    fn an_unreachable_origin_does_not_stop_the_event() {
        assert_eq!(run(Gate { site: Some(SiteCheck::Unavailable), ..person_click() }).1, Next::Admit);
    }

    #[test]
    fn a_bot_is_ignored_without_spending_a_rate_limit_token() {
        let (asked, verdict) = run(Gate { bot: Some(true), within_rate: Some(false), ..person_click() });
        assert_eq!(asked, [Ask::Route, Ask::Site, Ask::Bot]);
        assert_eq!(verdict, Next::Ignore);
    }

    #[test]
    fn a_rate_limited_visitor_is_refused_before_the_repeat_filter() {
        let (asked, verdict) = run(Gate { within_rate: Some(false), ..person_click() });
        assert_eq!(asked.last(), Some(&Ask::RateLimit));
        assert_eq!(code(&verdict), Some("rate_limited"));
    }

    #[test]
    fn a_repeat_click_is_ignored() {
        assert_eq!(run(Gate { first_click: Some(false), ..person_click() }).1, Next::Ignore);
    }
}
