//! `POST /v1/ingest/events`: the edge's signed `EventBatch`.

use payref_shared::batch::EventBatch;
use payref_shared::signature;
use poem::web::{Data, Json};
use poem::{Body, Request, handler};

use super::AppState;
use super::error::{ApiError, read_body};
use crate::now_ms;
use crate::reconcile::ingest::{IngestReport, store_batch};

/// Largest batch body: 1,000 events of a few KB each.
pub const INGEST_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Verifies, parses and stores a batch.
#[handler]
pub async fn ingest_events(req: &Request, body: Body, Data(state): Data<&AppState>) -> Result<Json<IngestReport>, ApiError> {
    let header = req
        .headers()
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("missing_signature", "Payref-Signature header is required"))?
        .to_owned();
    let bytes = read_body(body, INGEST_BODY_LIMIT).await?;
    let secrets: Vec<&[u8]> = state.edge_secrets.iter().map(Vec::as_slice).collect();
    signature::verify(&header, &bytes, &secrets, now_ms()).map_err(|e| ApiError::bad_request("bad_signature", e.to_string()))?;
    let batch = EventBatch::from_json_each(&bytes).map_err(|e| ApiError::bad_request("invalid_batch", e.to_string()))?;
    let report = store_batch(&state.db, batch, &state.lead_secret, now_ms()).await?;
    state.metrics.ingested([
        report.stored,
        report.repeats,
        report.duplicates,
        report.leads,
        report.lead_duplicates,
        report.leads_ignored,
        report.rejected.len(),
    ]);
    Ok(Json(report))
}
