//! One path for every filtered list: a resource declares its list once ([`Listing`]: its
//! columns, its table and its keyset order), and a [`Keyset`] query over it takes each filter
//! as its SQL fragment and its value together, so the statement and its bound values cannot
//! drift apart. Pages are newest first and cursors are object ids (`starting_after`).

use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{AnyExecutor, AnyPool, FromRow};

use super::page::{Conditions, Page, PageRequest};
use super::{StorageError, flag};

/// A resource's list, declared once.
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    /// `SELECT … FROM table alias [JOIN …]`: the row's columns.
    pub select: &'static str,
    /// The table a cursor's position is read from (the list's main table).
    pub table: &'static str,
    /// The ordering time column, as the select names it (`v.created_at`).
    pub created: &'static str,
    /// The id column, as the select names it (`v.id`): the tie-break and the cursor.
    pub id: &'static str,
}

impl Listing {
    /// Starts a query over one merchant's rows of this list: every list is a tenant's, so the
    /// scope is where a query begins, not a filter to remember.
    pub fn of(&self, merchant_id: &str) -> Keyset {
        let keyset = Keyset { listing: *self, conditions: Conditions::new(), values: Vec::new() };
        keyset.filter(&format!("{}merchant_id = {{}}", qualifier(self.id)), merchant_id)
    }

    /// The (time, id) position of one of the merchant's rows, for `starting_after`; `None`
    /// when the id is not theirs.
    pub async fn position(&self, pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<(i64, String)>, StorageError> {
        let (created, id_column) = (unqualified(self.created), unqualified(self.id));
        let sql = format!("SELECT {created}, {id_column} FROM {} WHERE merchant_id = $1 AND {id_column} = $2", self.table);
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(id).fetch_optional(pool).await?)
    }

    /// The row a write (`done`) just made or changed, read back; `None` when the write touched
    /// no row (a conflict, or an id that is not the merchant's).
    pub async fn written<R>(&self, done: AnyQueryResult, pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<R>, StorageError>
    where
        R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.get(pool, merchant_id, id).await
    }

    /// Whether one of the merchant's rows may be deleted: `Some` refusal when the id is not
    /// theirs, or when `used` (a query over `$1` the merchant and `$2` the id) finds a row that
    /// must keep pointing at it; `None` when it may go.
    pub async fn refuse_delete(&self, pool: &AnyPool, merchant_id: &str, id: &str, used: &str) -> Result<Option<Deleted>, StorageError> {
        if self.position(pool, merchant_id, id).await?.is_none() {
            return Ok(Some(Deleted::NotFound));
        }
        let found: Option<(i64,)> =
            sqlx::query_as(sqlx::AssertSqlSafe(used.to_owned())).bind(merchant_id).bind(id).fetch_optional(pool).await?;
        Ok(found.map(|_| Deleted::InUse))
    }

    /// One of the merchant's rows by id; `None` when the id is not theirs.
    pub async fn get<R>(&self, conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<R>, StorageError>
    where
        R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = format!("{} WHERE {}merchant_id = $1 AND {} = $2", self.select, qualifier(self.id), self.id);
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(id).fetch_optional(conn).await?)
    }
}

/// `m.` of `m.id`; empty for an unqualified column.
fn qualifier(column: &str) -> &str {
    column.rfind('.').map_or("", |dot| &column[..=dot])
}

fn unqualified(column: &str) -> &str {
    column.rsplit('.').next().unwrap_or(column)
}

/// What deleting one of the merchant's objects came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Removed.
    Yes,
    /// The merchant has no such object.
    NotFound,
    /// Other rows (an affiliate's conversions or clicks, a campaign's affiliates) must keep
    /// pointing at it.
    InUse,
}

/// The filters of a list of commissions or conversions, and of its CSV export: one mode,
/// and, when asked, one status, one affiliate and a window of creation times.
#[derive(Debug, Clone)]
pub struct SalesFilter<S> {
    /// Live (true) or test (false) data.
    pub livemode: bool,
    /// Only this status.
    pub status: Option<S>,
    /// Only this affiliate's.
    pub affiliate_id: Option<String>,
    /// Created at or after, UTC epoch ms.
    pub created_gte: Option<i64>,
    /// Created before, UTC epoch ms.
    pub created_lt: Option<i64>,
}

impl<S> Default for SalesFilter<S> {
    /// Test data, nothing else asked.
    fn default() -> Self {
        Self { livemode: false, status: None, affiliate_id: None, created_gte: None, created_lt: None }
    }
}

impl<S> SalesFilter<S> {
    /// The merchant's rows of `listing` this filter keeps, but for the status, which each
    /// list names in its own column.
    pub fn scope(&self, listing: &Listing, merchant_id: &str) -> Keyset {
        let q = listing.of(merchant_id).mode(self.livemode).affiliate(self.affiliate_id.as_deref());
        q.between((self.created_gte, self.created_lt))
    }
}

/// A value a filter binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// An integer (times, amounts, flags).
    Int(i64),
    /// Text (ids, statuses).
    Text(String),
}

impl From<i64> for Bound {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<bool> for Bound {
    /// A flag column (`livemode`) stores 0 or 1.
    fn from(v: bool) -> Self {
        Self::Int(flag(v))
    }
}

impl From<&str> for Bound {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<&String> for Bound {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

/// A filtered keyset query over one [`Listing`].
#[derive(Debug)]
pub struct Keyset {
    listing: Listing,
    conditions: Conditions,
    values: Vec<Bound>,
}

impl Keyset {
    /// Keeps rows where `fragment` holds, `{}` standing for `value`.
    pub fn filter(mut self, fragment: &str, value: impl Into<Bound>) -> Self {
        debug_assert_eq!(fragment.matches("{}").count(), 1, "one value per filter: {fragment}");
        self.conditions.push(fragment);
        self.values.push(value.into());
        self
    }

    /// [`Keyset::filter`] when the caller asked for it (`Some`).
    pub fn filter_some<V: Into<Bound>>(self, fragment: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.filter(fragment, v),
            None => self,
        }
    }

    /// Keeps one mode's rows: test and live data never mix.
    pub fn mode(self, livemode: bool) -> Self {
        let column = format!("{}livemode = {{}}", qualifier(self.listing.id));
        self.filter(&column, livemode)
    }

    /// Keeps one affiliate's rows, when asked.
    pub fn affiliate(self, affiliate_id: Option<&str>) -> Self {
        let column = format!("{}affiliate_id = {{}}", qualifier(self.listing.id));
        self.filter_some(&column, affiliate_id)
    }

    /// Keeps rows of the list's time column at or after `gte` and before `lt`, each when asked.
    pub fn between(self, (gte, lt): (Option<i64>, Option<i64>)) -> Self {
        let created = self.listing.created;
        self.filter_some(&format!("{created} >= {{}}"), gte).filter_some(&format!("{created} < {{}}"), lt)
    }

    /// Keeps rows where `fragment` (a condition without values) holds, when there is one.
    pub fn only(mut self, fragment: Option<&'static str>) -> Self {
        if let Some(fragment) = fragment {
            debug_assert!(!fragment.contains("{}"), "a fixed condition binds nothing: {fragment}");
            self.conditions.push(fragment);
        }
        self
    }

    /// The statement and its values for one page.
    fn statement(mut self, page: &PageRequest) -> (String, Vec<Bound>) {
        let Listing { select, created, id, .. } = self.listing;
        if let Some((at, after)) = &page.after {
            self.conditions.push(&format!("({created}, {id}) < ({{}}, {{}})"));
            self.values.extend([Bound::Int(*at), Bound::Text(after.clone())]);
        }
        let limit = self.conditions.placeholder();
        self.values.push(Bound::Int(page.fetch_limit()));
        let sql = format!("{select} WHERE {} ORDER BY {created} DESC, {id} DESC LIMIT {limit}", self.conditions.to_sql());
        (sql, self.values)
    }

    /// How many rows the filters keep.
    pub async fn count(self, pool: &AnyPool) -> Result<i64, StorageError> {
        let sql = format!("SELECT COUNT(*) FROM ({} WHERE {}) kept", self.listing.select, self.conditions.to_sql());
        Ok(bound::<(i64,)>(sql, self.values).fetch_one(pool).await?.0)
    }

    /// Reads one page of rows.
    pub async fn page<R>(self, pool: &AnyPool, page: &PageRequest) -> Result<Page<R>, StorageError>
    where
        R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let (sql, values) = self.statement(page);
        Ok(Page::from_rows(bound::<R>(sql, values).fetch_all(pool).await?, page))
    }
}

/// `sql` with `values` bound in order.
fn bound<'q, R>(sql: String, values: Vec<Bound>) -> sqlx::query::QueryAs<'q, sqlx::Any, R, sqlx::any::AnyArguments>
where
    R: for<'r> FromRow<'r, AnyRow>,
{
    let mut q = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql));
    for v in values {
        q = match v {
            Bound::Int(i) => q.bind(i),
            Bound::Text(t) => q.bind(t),
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    const THINGS: Listing = Listing { select: "SELECT t.id FROM things t", table: "things", created: "t.created_at", id: "t.id" };

    #[test]
    fn each_filter_binds_its_own_value_in_order() {
        let page = PageRequest { after: Some((7, "thg_1".into())), limit: 10 };
        let (sql, values) =
            THINGS.of("mer_1").affiliate(None).only(Some("t.duplicate_of IS NULL")).between((Some(5), None)).statement(&page);
        assert_eq!(
            sql,
            "SELECT t.id FROM things t WHERE t.merchant_id = $1 AND t.duplicate_of IS NULL AND t.created_at >= $2 \
             AND (t.created_at, t.id) < ($3, $4) ORDER BY t.created_at DESC, t.id DESC LIMIT $5"
        );
        assert_eq!(values, [Bound::Text("mer_1".into()), Bound::Int(5), Bound::Int(7), Bound::Text("thg_1".into()), Bound::Int(11)]);
    }

    #[test]
    fn the_common_filters_name_the_list_s_own_columns() {
        let page = PageRequest { after: None, limit: 1 };
        let (sql, values) = THINGS.of("mer_1").mode(true).affiliate(Some("aff_1")).between((None, Some(9))).statement(&page);
        assert_eq!(
            sql,
            "SELECT t.id FROM things t WHERE t.merchant_id = $1 AND t.livemode = $2 AND t.affiliate_id = $3 AND t.created_at < $4 \
             ORDER BY t.created_at DESC, t.id DESC LIMIT $5"
        );
        assert_eq!(values[1..4], [Bound::Int(1), Bound::Text("aff_1".into()), Bound::Int(9)]);
    }

    #[test]
    fn positions_read_the_unqualified_columns() {
        assert_eq!(unqualified(THINGS.created), "created_at");
        assert_eq!(unqualified("received_at"), "received_at");
        assert_eq!((qualifier(THINGS.id), qualifier("event_id")), ("t.", ""));
    }
}
