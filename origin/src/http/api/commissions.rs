//! `/v1/commissions`: list and read commissions (acting on them is `commission_actions.rs`).

use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use super::export::{COMMISSION_HEADER, commission_line};
use super::list::sales_endpoints;
use crate::domain::commission::CommissionStatus;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::commissions::{self, CommissionRow as Commission};

sales_endpoints! {
    /// Lists and exports of commissions.
    CommissionListApi;
    /// Lists commissions, newest first.
    GET "/v1/commissions" => Commission, cursor in commissions::LIST, "Id of the last commission of the previous page.";
    /// Exports commissions as CSV (amounts in minor units, times in UTC ISO 8601), newest first,
    /// with the same filters as the list.
    CommissionExportApi: GET "/v1/commissions.csv" => csv "commissions", COMMISSION_HEADER, commission_line;
    /// Only commissions with this status.
    status: CommissionStatus;
    rows commissions::list;
}

/// Commissions.
#[derive(Debug, Default)]
pub struct CommissionsApi;

#[OpenApi]
impl CommissionsApi {
    /// Retrieves a commission.
    #[oai(path = "/v1/commissions/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        let found = commissions::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such commission"))?;
        Ok(Json(found))
    }
}
