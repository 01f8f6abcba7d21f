//! The status changes of commissions: the merchant's actions (approve, deny, mark paid), holds
//! ending, and the refund ledger's settling. Every change is a conditional UPDATE (so
//! concurrent actions cannot both win) with its audit entry in the same transaction.

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::super::StorageError;
use super::super::audit::{self, Actor, Entry};
use super::{CommissionRow, get};
use crate::domain::commission::{CommissionAction, CommissionStatus};

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

/// Applies `action` to each of `ids` (each once, in the order given) in one transaction, with
/// their audit entries; what it came to for each.
pub async fn apply_each(
    pool: &AnyPool,
    merchant_id: &str,
    ids: &[String],
    action: &Action,
    actor: &Actor,
    now: i64,
) -> Result<Vec<(String, Outcome)>, StorageError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut tx = super::super::begin_write(pool).await?;
    for id in ids.iter().filter(|id| seen.insert(id.as_str())) {
        out.push((id.clone(), apply(&mut tx, merchant_id, id, action, actor, now).await?));
    }
    tx.commit().await?;
    Ok(out)
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
        let mut tx = super::super::begin_write(pool).await?;
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
