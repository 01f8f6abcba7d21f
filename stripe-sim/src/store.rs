//! The simulator's state: one account per mode (a test key never sees live objects), each a set
//! of collections ordered as Stripe lists them (newest first), so a page costs O(log n + page
//! size) whether it starts at the top, after a cursor or at a `created` bound.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde_json::Value;

/// Objects of one type, by id and in list order.
#[derive(Debug, Default)]
pub struct Collection {
    by_id: HashMap<String, (Key, Value)>,
    order: BTreeMap<Key, String>,
}

/// `(created, insertion sequence)`: Stripe lists newest first, ties by creation order.
type Key = (i64, u64);

/// `created[gt|gte|lt|lte]` bounds, unix seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    /// Lower bound, inclusive.
    pub from: Option<i64>,
    /// Upper bound, inclusive.
    pub to: Option<i64>,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    /// The objects, newest first.
    pub data: Vec<Value>,
    /// Whether more follow.
    pub has_more: bool,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy)]
pub enum Cursor<'a> {
    /// The newest object.
    Top,
    /// Just older than this id (`starting_after`).
    After(&'a str),
    /// Just newer than this id (`ending_before`).
    Before(&'a str),
}

impl Collection {
    /// Adds or replaces an object (by its `id`), keeping its place when replaced.
    pub fn put(&mut self, seq: u64, object: Value) {
        let id = object["id"].as_str().unwrap_or_default().to_string();
        if let Some((_, stored)) = self.by_id.get_mut(&id) {
            *stored = object;
            return;
        }
        let key = (object["created"].as_i64().unwrap_or_default(), seq);
        self.order.insert(key, id.clone());
        self.by_id.insert(id, (key, object));
    }

    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id).map(|(_, v)| v)
    }

    /// The object with this id, to change in place.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.by_id.get_mut(id).map(|(_, v)| v)
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every object, in no particular order (searches and filters that Stripe itself scans).
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.by_id.values().map(|(_, v)| v)
    }

    /// A page of objects within `created` that satisfy `keep`, from `cursor`. `None` when the
    /// cursor names no object of this collection. Without `keep`'s filtering, the cost is the
    /// page's size.
    pub fn page(&self, created: Created, cursor: Cursor<'_>, limit: usize, keep: impl Fn(&Value) -> bool) -> Option<Page> {
        let low = created.from.map_or(Bound::Unbounded, |t| Bound::Included((t, 0)));
        let high = created.to.map_or(Bound::Unbounded, |t| Bound::Included((t, u64::MAX)));
        let (low, high) = match cursor {
            Cursor::Top => (low, high),
            Cursor::After(id) => (low, tighter_high(high, self.by_id.get(id)?.0)),
            Cursor::Before(id) => (tighter_low(low, self.by_id.get(id)?.0), high),
        };
        if matches!((&low, &high), (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) if a > b) {
            return Some(Page { data: Vec::new(), has_more: false });
        }
        let range = self.order.range((low, high));
        let pick = |id: &String| self.by_id.get(id).map(|(_, v)| v).filter(|v| keep(v)).cloned();
        let mut data: Vec<Value> = match cursor {
            // Ending before a cursor: the page just newer than it, still listed newest first.
            Cursor::Before(_) => {
                let mut d: Vec<Value> = range.filter_map(|(_, id)| pick(id)).take(limit + 1).collect();
                let has_more = d.len() > limit;
                d.truncate(limit);
                d.reverse();
                return Some(Page { data: d, has_more });
            }
            _ => range.rev().filter_map(|(_, id)| pick(id)).take(limit + 1).collect(),
        };
        let has_more = data.len() > limit;
        data.truncate(limit);
        Some(Page { data, has_more })
    }
}

fn tighter_high(high: Bound<Key>, cursor: Key) -> Bound<Key> {
    match high {
        Bound::Included(h) if h < cursor => Bound::Included(h),
        _ => Bound::Excluded(cursor),
    }
}

fn tighter_low(low: Bound<Key>, cursor: Key) -> Bound<Key> {
    match low {
        Bound::Included(l) if l > cursor => Bound::Included(l),
        _ => Bound::Excluded(cursor),
    }
}

/// The resource types the simulator keeps.
pub const KINDS: &[&str] = &[
    "checkout.session",
    "customer",
    "invoice",
    "invoice_payment",
    "charge",
    "payment_intent",
    "refund",
    "dispute",
    "subscription",
    "coupon",
    "promotion_code",
    "customer_balance_transaction",
    "event",
];

/// One mode of the account.
#[derive(Debug)]
pub struct Account {
    /// Live or test.
    pub livemode: bool,
    collections: HashMap<&'static str, Collection>,
}

impl Account {
    /// An empty account.
    pub fn new(livemode: bool) -> Self {
        Self { livemode, collections: KINDS.iter().map(|k| (*k, Collection::default())).collect() }
    }

    /// The collection of `kind` (one of [`KINDS`]).
    pub fn of(&self, kind: &str) -> &Collection {
        self.collections.get(kind).unwrap_or_else(|| panic!("the simulator keeps no {kind}"))
    }

    /// The collection of `kind`, to change.
    pub fn of_mut(&mut self, kind: &str) -> &mut Collection {
        self.collections.get_mut(kind).unwrap_or_else(|| panic!("the simulator keeps no {kind}"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(n: i64) -> Collection {
        let mut c = Collection::default();
        for i in 0..n {
            // Two objects per second, so created ties are broken by insertion.
            c.put(i as u64, json!({"id": format!("o{i}"), "created": 1000 + i / 2}));
        }
        c
    }

    fn ids(p: &Page) -> Vec<&str> {
        p.data.iter().map(|v| v["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn pages_newest_first_through_cursors_and_created_bounds() {
        let c = sample(10);
        let all = Created::default();
        let p = c.page(all, Cursor::Top, 3, |_| true).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec!["o9", "o8", "o7"], true));
        let p = c.page(all, Cursor::After("o7"), 3, |_| true).unwrap();
        assert_eq!(ids(&p), vec!["o6", "o5", "o4"]);
        let p = c.page(all, Cursor::After("o2"), 3, |_| true).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec!["o1", "o0"], false));
        let p = c.page(all, Cursor::Before("o4"), 3, |_| true).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec!["o7", "o6", "o5"], true));
        // created 1001..=1002 holds o2..o5.
        let window = Created { from: Some(1001), to: Some(1002) };
        let p = c.page(window, Cursor::Top, 10, |_| true).unwrap();
        assert_eq!(ids(&p), vec!["o5", "o4", "o3", "o2"]);
        let p = c.page(window, Cursor::After("o4"), 10, |_| true).unwrap();
        assert_eq!(ids(&p), vec!["o3", "o2"]);
        let p = c.page(window, Cursor::After("o0"), 10, |_| true).unwrap();
        assert!(p.data.is_empty());
        assert!(c.page(all, Cursor::After("nope"), 3, |_| true).is_none());
        let p = c.page(all, Cursor::Top, 2, |v| v["id"] == "o3" || v["id"] == "o1").unwrap();
        assert_eq!((ids(&p), p.has_more), (vec!["o3", "o1"], false));
    }

    #[test]
    fn replacing_keeps_the_place() {
        let mut c = sample(3);
        c.put(99, json!({"id": "o0", "created": 1000, "metadata": {"k": "v"}}));
        assert_eq!(c.len(), 3);
        let p = c.page(Created::default(), Cursor::Top, 5, |_| true).unwrap();
        assert_eq!(ids(&p), vec!["o2", "o1", "o0"]);
        assert_eq!(c.get("o0").unwrap()["metadata"]["k"], "v");
    }
}
