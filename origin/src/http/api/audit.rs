//! `/v1/audit_events`: the trail of attribution decisions and status changes, and who made them.

use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use super::list::{ListOf, page_in};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::audit::{self, AuditRow as AuditEvent};

/// The audit trail.
#[derive(Debug, Default)]
pub struct AuditApi;

#[OpenApi]
impl AuditApi {
    /// Lists audit events, newest first.
    #[oai(path = "/v1/audit_events", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Only events about this object (e.g. a commission or conversion id).
        object_id: Query<Option<String>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last event of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<AuditEvent>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&audit::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = audit::list(pool, merchant, object_id.0.as_deref(), &page).await?;
        Ok(ListOf::page(found))
    }
}
