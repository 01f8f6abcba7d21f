//! Click counting: one click per visitor, referral code and de-duplication window. A repeat is
//! kept (a sale may name its click id) but points at the click it repeats.

use std::collections::HashMap;

use super::commission::DAY_MS;

/// Clicks by the same visitor for the same code closer together than this are one click. The
/// edge's visitor hash changes daily, so a longer window could not be honoured anyway.
pub const DEDUP_WINDOW_MS: i64 = DAY_MS;

/// A click as de-duplication sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The edge's visitor hash.
    pub visitor: String,
    /// The referral code.
    pub code: String,
    /// The click's id.
    pub click_id: String,
    /// When the edge received it, UTC epoch ms.
    pub received_at: i64,
}

/// For each of `clicks` (in any order), the id of the counted click it repeats, if any:
/// a counted click (one of `counted`, already stored, or an earlier one of `clicks`) with the
/// same visitor and code less than [`DEDUP_WINDOW_MS`] away, either way in time (the edge's
/// queue may deliver out of order). A click whose id is already counted is a redelivery: `None`.
pub fn repeats(counted: &[Seen], clicks: &[Seen]) -> Vec<Option<String>> {
    let mut anchors: HashMap<(&str, &str), Vec<(&str, i64)>> = HashMap::new();
    for c in counted {
        anchors.entry((&c.visitor, &c.code)).or_default().push((&c.click_id, c.received_at));
    }
    let mut order: Vec<usize> = (0..clicks.len()).collect();
    order.sort_by_key(|&i| (clicks[i].received_at, i));
    let mut out = vec![None; clicks.len()];
    for i in order {
        let c = &clicks[i];
        let list = anchors.entry((&c.visitor, &c.code)).or_default();
        if list.iter().any(|(id, _)| *id == c.click_id) {
            continue;
        }
        let near = list.iter().filter(|(_, at)| c.received_at.abs_diff(*at) < DEDUP_WINDOW_MS.unsigned_abs()).min_by_key(|(_, at)| *at);
        match near {
            Some((id, _)) => out[i] = Some((*id).to_owned()),
            None => list.push((&c.click_id, c.received_at)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(visitor: &str, code: &str, id: &str, at: i64) -> Seen {
        Seen { visitor: visitor.into(), code: code.into(), click_id: id.into(), received_at: at }
    }

    #[test]
    fn one_click_per_visitor_code_and_window() {
        let stored = [seen("v1", "ann", "c0", 0)];
        let batch = [
            seen("v1", "ann", "c1", 1_000),                // repeat of c0
            seen("v1", "bob", "c2", 1_000),                // another code counts
            seen("v2", "ann", "c3", 1_000),                // another visitor counts
            seen("v1", "ann", "c4", DEDUP_WINDOW_MS),      // the window has passed: counts
            seen("v1", "ann", "c5", DEDUP_WINDOW_MS + 10), // repeat of c4
            seen("v1", "ann", "c0", 0),                    // redelivery of c0
        ];
        let r = repeats(&stored, &batch);
        assert_eq!(r, vec![Some("c0".into()), None, None, None, Some("c4".into()), None]);
    }

    #[test]
    fn out_of_order_arrivals_still_count_once() {
        let batch = [seen("v", "ann", "late", 5_000), seen("v", "ann", "early", 1_000)];
        assert_eq!(repeats(&[], &batch), vec![Some("early".into()), None]);
        let stored = [seen("v", "ann", "later", 9_000)];
        assert_eq!(repeats(&stored, &[seen("v", "ann", "earlier", 1_000)]), vec![Some("later".into())]);
    }
}
