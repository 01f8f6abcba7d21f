//! Keyset pagination, newest first: `(created_at, id) < (cursor)`, never OFFSET, so a page
//! costs the same however deep it is. Cursors are object ids, as in Stripe's `starting_after`.
//! Also the numbered placeholders (`$1`, `$2`…) of dynamic statements, which sqlx's Any driver
//! accepts on both backends.

/// `$first, …, $(first + n - 1)`: an `IN (…)` list.
pub fn placeholder_list(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `($1, …, $k), ($k+1, …, $2k), …`: the VALUES of a multi-row insert of `rows` rows of
/// `per_row` columns.
pub fn values_rows(rows: usize, per_row: usize) -> String {
    (0..rows).map(|r| format!("({})", placeholder_list(r * per_row + 1, per_row))).collect::<Vec<_>>().join(", ")
}

/// One page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Rows strictly after this (created_at, id) position, newest first.
    pub after: Option<(i64, String)>,
    /// Page size; one more row is fetched to know whether there is another page.
    pub limit: i64,
}

/// A page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, at most `limit`.
    pub data: Vec<T>,
    /// Whether rows follow this page.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Trims the extra row fetched by [`PageRequest::fetch_limit`].
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let has_more = rows.len() as i64 > request.limit;
        rows.truncate(usize::try_from(request.limit).unwrap_or(0));
        Self { data: rows, has_more }
    }

    /// The same page with each row converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { data: self.data.into_iter().map(f).collect::<Result<_, _>>()?, has_more: self.has_more })
    }
}

impl PageRequest {
    /// Rows to fetch: one beyond the page.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

/// A `WHERE` clause assembled from fixed fragments with numbered placeholders (`$1`, `$2`…),
/// which sqlx's Any driver accepts on both backends.
#[derive(Debug, Default)]
pub struct Conditions {
    sql: Vec<String>,
    next: usize,
}

impl Conditions {
    /// Starts numbering placeholders at `$1`.
    pub fn new() -> Self {
        Self { sql: Vec::new(), next: 1 }
    }

    /// The next placeholder, e.g. `$3`.
    pub fn placeholder(&mut self) -> String {
        let p = format!("${}", self.next);
        self.next += 1;
        p
    }

    /// Adds `fragment`, in which `{}` stands for each of its placeholders in turn.
    pub fn push(&mut self, fragment: &str) {
        let mut out = String::new();
        let mut parts = fragment.split("{}").peekable();
        while let Some(part) = parts.next() {
            out.push_str(part);
            if parts.peek().is_some() {
                let p = self.placeholder();
                out.push_str(&p);
            }
        }
        self.sql.push(out);
    }

    /// `a AND b AND …`.
    pub fn to_sql(&self) -> String {
        self.sql.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut c = Conditions::new();
        c.push("m = {}");
        c.push("(created_at, id) < ({}, {})");
        assert_eq!(c.to_sql(), "m = $1 AND (created_at, id) < ($2, $3)");
        assert_eq!(c.placeholder(), "$4");
    }

    #[test]
    fn builds_lists_and_multi_row_values() {
        assert_eq!(placeholder_list(4, 3), "$4, $5, $6");
        assert_eq!(values_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }

    #[test]
    fn page_knows_when_more_follow() {
        let req = PageRequest { after: None, limit: 2 };
        let p = Page::from_rows(vec![1, 2, 3], &req);
        assert_eq!((p.data, p.has_more), (vec![1, 2], true));
        let p = Page::from_rows(vec![1], &req);
        assert!(!p.has_more);
    }
}
