//! CSV exports of commissions and conversions (their operations are declared with their lists,
//! `list.rs`), streamed: rows are read a keyset page at a time
//! while the response is written, so an export of any size holds one page in memory.

use std::io;

use futures_util::stream;
use poem::Body;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Binary;

use crate::domain::csv::{iso_utc, push_int, push_text};
use crate::storage::commissions::CommissionRow;
use crate::storage::conversions::ConversionRow;
use crate::storage::page::PageRequest;
use crate::storage::{Db, StorageError};

/// Rows read per page while streaming.
const PAGE: i64 = 500;

/// A CSV download.
#[derive(Debug, ApiResponse)]
pub enum Csv {
    /// The rows, newest first, after a header line.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

pub const COMMISSION_HEADER: &str = "id,created_at,livemode,status,affiliate_id,affiliate_code,conversion_id,stripe_object_id,amount,currency,\
                                 rate_bps,reason,hold_until,approved_at,paid_at,payout_reference\r\n";
pub const CONVERSION_HEADER: &str = "id,created_at,livemode,affiliate_id,affiliate_code,stripe_object_id,click_id,attribution_method,amount,\
                                 currency,commission_amount,commission_rate_bps,commission_status,status,amount_paid,amount_refunded\r\n";

fn opt_time(line: &mut String, t: Option<i64>) {
    if let Some(t) = t {
        line.push_str(&iso_utc(t));
    }
}

pub fn commission_line(line: &mut String, r: &CommissionRow) {
    push_text(line, &r.id);
    line.push(',');
    line.push_str(&iso_utc(r.created_at));
    line.push_str(if r.livemode.0 { ",true," } else { ",false," });
    line.push_str(r.status.as_str());
    for text in [&r.affiliate_id, &r.affiliate_code, &r.conversion_id, &r.stripe_object_id] {
        line.push(',');
        push_text(line, text);
    }
    line.push(',');
    push_int(line, r.amount);
    line.push(',');
    push_text(line, &r.currency);
    line.push(',');
    push_int(line, r.rate_bps);
    line.push(',');
    push_text(line, r.reason.as_deref().unwrap_or(""));
    for t in [r.hold_until, r.approved_at, r.paid_at] {
        line.push(',');
        opt_time(line, t);
    }
    line.push(',');
    push_text(line, r.payout_reference.as_deref().unwrap_or(""));
    line.push_str("\r\n");
}

pub fn conversion_line(line: &mut String, r: &ConversionRow) {
    push_text(line, &r.id);
    line.push(',');
    line.push_str(&iso_utc(r.created_at));
    line.push_str(if r.livemode.0 { ",true" } else { ",false" });
    for text in [&r.affiliate_id, &r.affiliate_code, &r.stripe_object_id] {
        line.push(',');
        push_text(line, text);
    }
    line.push(',');
    push_text(line, r.click_id.as_deref().unwrap_or(""));
    line.push(',');
    push_text(line, &r.attribution_method);
    line.push(',');
    push_int(line, r.amount);
    line.push(',');
    push_text(line, &r.currency);
    line.push(',');
    push_int(line, r.commission_amount);
    line.push(',');
    push_int(line, r.commission_rate_bps);
    line.push(',');
    push_text(line, r.commission_status.as_str());
    line.push(',');
    push_text(line, r.status.as_str());
    for n in [r.amount_paid, r.amount_refunded] {
        line.push(',');
        push_int(line, n);
    }
    line.push_str("\r\n");
}

/// Where a streamed export stands.
struct Cursor<F> {
    db: Db,
    merchant: String,
    filter: F,
    after: Option<(i64, String)>,
    header: Option<&'static str>,
    done: bool,
}

/// A row's keyset position: where the next page starts.
pub trait Keyed {
    fn key(&self) -> (i64, String);
}

impl Keyed for CommissionRow {
    fn key(&self) -> (i64, String) {
        (self.created_at, self.id.clone())
    }
}

impl Keyed for ConversionRow {
    fn key(&self) -> (i64, String) {
        (self.created_at, self.id.clone())
    }
}

/// The download `name`: `header`, then every row the merchant's list gives with `filter`,
/// fetched a page at a time with `fetch` and rendered with `render`.
pub fn export<F, R, Fut>(
    db: Db,
    merchant: String,
    filter: F,
    (name, header): (&str, &'static str),
    fetch: fn(Db, String, F, PageRequest) -> Fut,
    render: fn(&mut String, &R),
) -> Csv
where
    F: Clone + Send + 'static,
    R: Keyed + Send + 'static,
    Fut: Future<Output = Result<crate::storage::page::Page<R>, StorageError>> + Send + 'static,
{
    let cursor = Cursor { db, merchant, filter, after: None, header: Some(header), done: false };
    let rows = stream::unfold(cursor, move |mut c| async move {
        if c.done {
            return None;
        }
        let page = PageRequest { after: c.after.take(), limit: PAGE };
        let found = match fetch(c.db.clone(), c.merchant.clone(), c.filter.clone(), page).await {
            Ok(found) => found,
            Err(e) => {
                // The 200 is already sent: cutting the stream tells the client it is incomplete.
                tracing::error!(error = %e, "CSV export failed");
                c.done = true;
                return Some((Err(io::Error::other("export failed")), c));
            }
        };
        let mut out = String::from(c.header.take().unwrap_or(""));
        for row in &found.data {
            render(&mut out, row);
        }
        c.after = found.data.last().map(Keyed::key);
        c.done = !found.has_more;
        Some((Ok::<_, io::Error>(out.into_bytes()), c))
    });
    Csv::Ok(Binary(Body::from_bytes_stream(rows)), attachment(name))
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}-{}.csv\"", &iso_utc(crate::now_ms())[..10])
}
