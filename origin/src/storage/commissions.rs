//! Commissions: listing, the merchant's actions (approve, deny, mark paid) and holds ending. Every status change is a conditional UPDATE (so concurrent actions
//! cannot both win) with its audit entry in the same transaction.

use serde_json::json;
use sqlx::{AnyConnection, AnyExecutor, AnyPool};

use super::audit::{self, Actor, Entry};
use super::page::{Conditions, Page, PageRequest};
use super::{StorageError, flag};
use crate::domain::commission::{CommissionAction, CommissionStatus};

/// A commission as the merchant API shows it.
#[derive(Debug, Clone)]
pub struct CommissionRow {
    /// `com_…`.
    pub id: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The conversion that earned it.
    pub conversion_id: String,
    /// The Stripe object paid.
    pub stripe_object_id: String,
    /// The affiliate owed.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// Rate applied, basis points (0 for flat amounts).
    pub rate_bps: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Where it stands.
    pub status: CommissionStatus,
    /// Why it was denied or reversed.
    pub reason: Option<String>,
    /// A held commission approves itself at this moment, UTC epoch ms.
    pub hold_until: Option<i64>,
    /// Approved at.
    pub approved_at: Option<i64>,
    /// Paid at.
    pub paid_at: Option<i64>,
    /// The merchant's reference for the payout (transfer id, invoice number).
    pub payout_reference: Option<String>,
    /// Why it is held (an open dispute): neither approved nor paid until the hold lifts.
    pub held_by: Option<String>,
    /// Created at.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

/// A row as selected by [`SELECT`], in its order.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: String,
    livemode: i64,
    conversion_id: String,
    stripe_object_id: String,
    affiliate_id: String,
    affiliate_code: String,
    rate_bps: i64,
    amount: i64,
    currency: String,
    status: String,
    reason: Option<String>,
    hold_until: Option<i64>,
    approved_at: Option<i64>,
    paid_at: Option<i64>,
    payout_reference: Option<String>,
    held_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT m.id, m.livemode, m.conversion_id, v.stripe_object_id, m.affiliate_id, a.code AS affiliate_code, m.rate_bps, m.amount, \
                      m.currency, m.status, m.reason, m.hold_until, m.approved_at, m.paid_at, m.payout_reference, m.held_by, m.created_at, m.updated_at \
                      FROM commissions m JOIN conversions v ON v.id = m.conversion_id JOIN affiliates a ON a.id = m.affiliate_id";

fn from_row(r: Row) -> Result<CommissionRow, StorageError> {
    let status =
        CommissionStatus::parse(&r.status).ok_or_else(|| StorageError::Corrupt(format!("commission {} status {:?}", r.id, r.status)))?;
    Ok(CommissionRow {
        id: r.id,
        livemode: r.livemode != 0,
        conversion_id: r.conversion_id,
        stripe_object_id: r.stripe_object_id,
        affiliate_id: r.affiliate_id,
        affiliate_code: r.affiliate_code,
        rate_bps: r.rate_bps,
        amount: r.amount,
        currency: r.currency,
        status,
        reason: r.reason,
        hold_until: r.hold_until,
        approved_at: r.approved_at,
        paid_at: r.paid_at,
        payout_reference: r.payout_reference,
        held_by: r.held_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Filters of a commission listing; test and live data never mix.
#[derive(Debug, Clone, Default)]
pub struct CommissionFilter {
    /// Live (true) or test (false) data.
    pub livemode: bool,
    /// Only this status.
    pub status: Option<CommissionStatus>,
    /// Only this affiliate's.
    pub affiliate_id: Option<String>,
    /// Created at or after, UTC epoch ms.
    pub created_gte: Option<i64>,
    /// Created before, UTC epoch ms.
    pub created_lt: Option<i64>,
}

/// A page of the merchant's commissions, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    f: &CommissionFilter,
    page: &PageRequest,
) -> Result<Page<CommissionRow>, StorageError> {
    let mut c = Conditions::new();
    c.push("m.merchant_id = {}");
    c.push("m.livemode = {}");
    if f.status.is_some() {
        c.push("m.status = {}");
    }
    if f.affiliate_id.is_some() {
        c.push("m.affiliate_id = {}");
    }
    if f.created_gte.is_some() {
        c.push("m.created_at >= {}");
    }
    if f.created_lt.is_some() {
        c.push("m.created_at < {}");
    }
    if page.after.is_some() {
        c.push("(m.created_at, m.id) < ({}, {})");
    }
    let limit = c.placeholder();
    let sql = format!("{SELECT} WHERE {} ORDER BY m.created_at DESC, m.id DESC LIMIT {limit}", c.to_sql());
    let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(f.livemode));
    if let Some(s) = f.status {
        q = q.bind(s.as_str());
    }
    if let Some(a) = &f.affiliate_id {
        q = q.bind(a);
    }
    if let Some(t) = f.created_gte {
        q = q.bind(t);
    }
    if let Some(t) = f.created_lt {
        q = q.bind(t);
    }
    if let Some((at, id)) = &page.after {
        q = q.bind(*at).bind(id);
    }
    let rows = q.bind(page.fetch_limit()).fetch_all(pool).await?;
    let rows = rows.into_iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page))
}

/// One of the merchant's commissions.
pub async fn get(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<CommissionRow>, StorageError> {
    let sql = format!("{SELECT} WHERE m.merchant_id = $1 AND m.id = $2");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(id).fetch_optional(conn).await?;
    row.map(from_row).transpose()
}

/// The (created_at, id) position of a commission, for `starting_after`.
pub async fn position(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<(i64, String)>, StorageError> {
    Ok(sqlx::query_as("SELECT created_at, id FROM commissions WHERE merchant_id = $1 AND id = $2")
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// A merchant's action with what it carries.
#[derive(Debug, Clone)]
pub struct Action {
    /// Which.
    pub action: CommissionAction,
    /// Why (required to deny; already validated).
    pub reason: Option<String>,
    /// The payout's reference, when marking paid.
    pub payout_reference: Option<String>,
}

/// What an action came to for one commission.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Applied; the commission as it now is.
    Done(Box<CommissionRow>),
    /// The merchant has no such commission.
    NotFound,
    /// Its status does not allow the action; the message says why.
    Refused(String),
}

/// Applies `action` to one commission inside `conn`'s transaction, with its audit entry.
pub async fn apply(
    conn: &mut AnyConnection,
    merchant_id: &str,
    id: &str,
    action: &Action,
    actor: &Actor,
    now: i64,
) -> Result<Outcome, StorageError> {
    let Some(before) = get(&mut *conn, merchant_id, id).await? else {
        return Ok(Outcome::NotFound);
    };
    let from = action.action.applies_to();
    if !from.contains(&before.status) {
        return Ok(Outcome::Refused(action.action.refusal(before.status)));
    }
    let releases_money = action.action != CommissionAction::Deny;
    if let (true, Some(by)) = (releases_money, &before.held_by) {
        return Ok(Outcome::Refused(format!("cannot {} a held commission ({by})", action.action.as_str().replace('_', " "))));
    }
    let to = action.action.leads_to();
    let done = sqlx::query(
        "UPDATE commissions SET status = $1, updated_at = $2, hold_until = NULL, \
         approved_at = CASE WHEN $1 = 'approved' THEN $2 ELSE approved_at END, \
         paid_at = CASE WHEN $1 = 'paid' THEN $2 ELSE paid_at END, \
         reason = COALESCE($3, reason), payout_reference = COALESCE($4, payout_reference) \
         WHERE merchant_id = $5 AND id = $6 AND status IN ($7, $8) AND (held_by IS NULL OR $1 = 'denied')",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(&action.reason)
    .bind(&action.payout_reference)
    .bind(merchant_id)
    .bind(id)
    .bind(from[0].as_str())
    .bind(from[from.len() - 1].as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        // Another request changed it between the read and the update.
        let status = get(&mut *conn, merchant_id, id).await?.map_or(before.status, |c| c.status);
        return Ok(Outcome::Refused(action.action.refusal(status)));
    }
    let entry = Entry {
        merchant_id,
        object_type: "commission",
        object_id: id,
        action: audit_action(to),
        actor,
        detail: json!({
            "from": before.status.as_str(),
            "to": to.as_str(),
            "reason": action.reason,
            "payout_reference": action.payout_reference,
            "amount": before.amount,
            "currency": before.currency,
        }),
    };
    audit::record(conn, &entry, now).await?;
    // The row as the UPDATE above left it, without reading it back.
    let mut after = before;
    after.status = to;
    after.updated_at = now;
    after.hold_until = None;
    match to {
        CommissionStatus::Approved => after.approved_at = Some(now),
        CommissionStatus::Paid => after.paid_at = Some(now),
        _ => {}
    }
    if action.reason.is_some() {
        after.reason.clone_from(&action.reason);
    }
    if action.payout_reference.is_some() {
        after.payout_reference.clone_from(&action.payout_reference);
    }
    Ok(Outcome::Done(Box::new(after)))
}

fn audit_action(to: CommissionStatus) -> &'static str {
    match to {
        CommissionStatus::Pending => "commission.pending",
        CommissionStatus::Approved => "commission.approved",
        CommissionStatus::Paid => "commission.paid",
        CommissionStatus::Denied => "commission.denied",
        CommissionStatus::Reversed => "commission.reversed",
    }
}

/// Approves every held commission whose hold has ended (any merchant); returns how many.
/// Safe to run from several processes at once: each approval is conditional.
pub async fn release_held(pool: &AnyPool, now: i64) -> Result<usize, StorageError> {
    let mut released = 0;
    loop {
        let due: Vec<(String, String, i64, i64, String)> = sqlx::query_as(
            "SELECT id, merchant_id, hold_until, amount, currency FROM commissions \
             WHERE status = 'pending' AND hold_until IS NOT NULL AND hold_until <= $1 AND held_by IS NULL ORDER BY hold_until LIMIT 500",
        )
        .bind(now)
        .fetch_all(pool)
        .await?;
        if due.is_empty() {
            return Ok(released);
        }
        let mut tx = super::begin_write(pool).await?;
        for (id, merchant_id, hold_until, amount, currency) in &due {
            let done = sqlx::query(
                "UPDATE commissions SET status = 'approved', approved_at = $1, updated_at = $1, hold_until = NULL \
                 WHERE id = $2 AND status = 'pending' AND hold_until IS NOT NULL AND hold_until <= $1 AND held_by IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                let entry = Entry {
                    merchant_id,
                    object_type: "commission",
                    object_id: id,
                    action: "commission.approved",
                    actor: &Actor::System("hold"),
                    detail: json!({ "from": "pending", "to": "approved", "reason": "hold ended", "hold_until": hold_until, "amount": amount, "currency": currency }),
                };
                audit::record(&mut tx, &entry, now).await?;
                released += 1;
            }
        }
        tx.commit().await?;
    }
}

/// Sets a pending (or reversed) commission to what the payment's refunds and disputes leave
/// of it: `reversed` (nothing left) moves it to reversed with the reason, otherwise it is
/// pending again (a failed refund or a won dispute restores it). The hold, if any, is kept.
/// Returns false when it was in neither status any more.
pub async fn settle_unapproved(
    conn: &mut AnyConnection,
    merchant_id: &str,
    id: &str,
    amount: i64,
    reversed: Option<&str>,
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE commissions SET amount = $1, updated_at = $2, \
                status = CASE WHEN $3 = '' THEN 'pending' ELSE 'reversed' END, reason = CASE WHEN $3 = '' THEN NULL ELSE $3 END \
         WHERE merchant_id = $4 AND id = $5 AND status IN ('pending', 'reversed')",
    )
    .bind(amount)
    .bind(now)
    .bind(reversed.unwrap_or(""))
    .bind(merchant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Holds a commission (`by`: why, e.g. an open dispute) or lifts the hold (`None`): a held
/// commission is neither approved nor paid.
pub async fn set_held(conn: &mut AnyConnection, merchant_id: &str, id: &str, by: Option<&str>, now: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE commissions SET held_by = $1, updated_at = $2 WHERE merchant_id = $3 AND id = $4")
        .bind(by)
        .bind(now)
        .bind(merchant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
