//! `/v1/campaigns`: commission rules affiliates belong to.

use std::collections::BTreeMap;

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::DeletedObject;
use super::list::list_endpoint;
use crate::domain::campaign::{Approval, AttributionModel, CampaignRules, CommissionType, Duration};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::campaigns::{self, CampaignRow};
use crate::storage::list::Deleted;

/// A campaign: how much a sale earns, for how long, and when commissions are approved.
#[derive(Debug, Object)]
pub struct Campaign {
    /// `cmp_…`.
    pub id: String,
    /// Always `campaign`.
    pub object: String,
    /// Display name.
    pub name: String,
    /// `percent` or `flat`.
    pub commission_type: String,
    /// Rate of a percent campaign, basis points (3000 = 30%).
    pub commission_bps: Option<i64>,
    /// Amounts of a flat campaign per currency, minor units (`{"usd": 500}`).
    pub flat_amounts: BTreeMap<String, i64>,
    /// `one_time`, `months` or `lifetime`: which of a customer's payments earn.
    pub duration: String,
    /// Months, when `duration` is `months`.
    pub duration_months: Option<i64>,
    /// Days a referral stays valid.
    pub cookie_window_days: i64,
    /// `first_click` or `last_click`.
    pub attribution_model: String,
    /// `auto`, `manual` or `hold` (auto after `hold_days`).
    pub approval: String,
    /// Days of hold, when `approval` is `hold`.
    pub hold_days: Option<i64>,
    /// Zero-revenue payments (trials) earn nothing and are not recorded.
    pub skip_zero_revenue: bool,
    /// Smallest payout per currency, minor units.
    pub min_payouts: BTreeMap<String, i64>,
    /// Created at, UTC epoch ms.
    pub created_at: i64,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

impl From<CampaignRow> for Campaign {
    fn from(c: CampaignRow) -> Self {
        let r = c.rules;
        Self {
            id: c.id,
            object: "campaign".into(),
            name: r.name,
            commission_type: r.commission_type.as_str().into(),
            commission_bps: r.commission_bps,
            flat_amounts: r.flat_amounts,
            duration: r.duration.as_str().into(),
            duration_months: r.duration_months,
            cookie_window_days: r.cookie_window_days,
            attribution_model: r.attribution_model.as_str().into(),
            approval: r.approval.as_str().into(),
            hold_days: r.hold_days,
            skip_zero_revenue: r.skip_zero_revenue,
            min_payouts: r.min_payouts,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Campaign fields to set. On create, `name` is required and the rest default to: percent,
/// lifetime, 60-day window, last click, manual approval, zero revenue skipped. On update,
/// absent fields stay as they are. The merged rules are checked together.
#[derive(Debug, Object)]
pub struct CampaignFields {
    /// Display name, 1–200 characters.
    pub name: Option<String>,
    /// `percent` or `flat`.
    pub commission_type: Option<String>,
    /// Rate of a percent campaign, 0–10000 basis points.
    pub commission_bps: Option<i64>,
    /// Amounts of a flat campaign per lowercase currency, minor units.
    pub flat_amounts: Option<BTreeMap<String, i64>>,
    /// `one_time`, `months` or `lifetime`.
    pub duration: Option<String>,
    /// 1–120, when `duration` is `months`.
    pub duration_months: Option<i64>,
    /// 1–365 days.
    pub cookie_window_days: Option<i64>,
    /// `first_click` or `last_click`.
    pub attribution_model: Option<String>,
    /// `auto`, `manual` or `hold`.
    pub approval: Option<String>,
    /// 1–365, when `approval` is `hold`.
    pub hold_days: Option<i64>,
    /// Skip zero-revenue payments.
    pub skip_zero_revenue: Option<bool>,
    /// Smallest payout per lowercase currency, minor units.
    pub min_payouts: Option<BTreeMap<String, i64>>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn choice<T>(field: &str, value: Option<String>, parse: fn(&str) -> Option<T>, current: T) -> Result<T, ApiError> {
    match value {
        None => Ok(current),
        Some(v) => parse(&v).ok_or_else(|| invalid(format!("{field}: {v:?} is not one of its values"))),
    }
}

impl CampaignFields {
    /// These fields applied over `rules`, checked together.
    fn apply(self, mut rules: CampaignRules) -> Result<CampaignRules, ApiError> {
        if let Some(n) = self.name {
            rules.name = n.trim().to_owned();
        }
        rules.commission_type = choice("commission_type", self.commission_type, CommissionType::parse, rules.commission_type)?;
        rules.duration = choice("duration", self.duration, Duration::parse, rules.duration)?;
        rules.attribution_model = choice("attribution_model", self.attribution_model, AttributionModel::parse, rules.attribution_model)?;
        rules.approval = choice("approval", self.approval, Approval::parse, rules.approval)?;
        rules.commission_bps = self.commission_bps.or(rules.commission_bps);
        rules.flat_amounts = self.flat_amounts.unwrap_or(rules.flat_amounts);
        rules.duration_months = self.duration_months.or(rules.duration_months);
        rules.cookie_window_days = self.cookie_window_days.unwrap_or(rules.cookie_window_days);
        rules.hold_days = self.hold_days.or(rules.hold_days);
        rules.skip_zero_revenue = self.skip_zero_revenue.unwrap_or(rules.skip_zero_revenue);
        rules.min_payouts = self.min_payouts.unwrap_or(rules.min_payouts);
        if rules.commission_type == CommissionType::Flat {
            rules.commission_bps = None;
        }
        rules.validate().map_err(invalid)?;
        Ok(rules)
    }
}

const NO_SUCH: ApiError = ApiError::NotFound("no such campaign");

list_endpoint! {
    /// The list of campaigns.
    CampaignListApi;
    /// Lists campaigns, newest first.
    GET "/v1/campaigns" => Campaign, cursor in campaigns::LIST, "Id of the last campaign of the previous page.";
    filters {}
    |pool, merchant, page| campaigns::list(pool, merchant, page)
}

/// Campaigns.
#[derive(Debug, Default)]
pub struct CampaignsApi;

#[OpenApi]
impl CampaignsApi {
    /// Creates a campaign.
    #[oai(path = "/v1/campaigns", method = "post")]
    async fn create(&self, auth: ApiKey, state: State<'_>, body: Json<CampaignFields>) -> Result<Json<Campaign>, ApiFailure> {
        auth.0.require_write()?;
        if body.0.name.is_none() {
            return Err(invalid("name is required").into());
        }
        if body.0.commission_type.as_deref() != Some("flat") && body.0.commission_bps.is_none() {
            return Err(invalid("commission_bps is required for percent campaigns").into());
        }
        let rules = body.0.apply(CampaignRules::percent("", 0))?;
        let merchant = &auth.0.merchant_id;
        let id = campaigns::insert(&state.db.pool, merchant, &rules, crate::now_ms()).await?;
        let created = campaigns::get(&state.db.pool, merchant, &id).await?.ok_or(NO_SUCH)?;
        Ok(Json(created.into()))
    }

    /// Retrieves a campaign.
    #[oai(path = "/v1/campaigns/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Campaign>, ApiFailure> {
        let found = campaigns::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(NO_SUCH)?;
        Ok(Json(found.into()))
    }

    /// Updates a campaign; absent fields stay as they are. Applies to sales recorded from now on.
    #[oai(path = "/v1/campaigns/:id", method = "patch")]
    async fn update(
        &self,
        auth: ApiKey,
        state: State<'_>,
        id: Path<String>,
        body: Json<CampaignFields>,
    ) -> Result<Json<Campaign>, ApiFailure> {
        auth.0.require_write()?;
        let (pool, merchant) = (&state.db.pool, &auth.0.merchant_id);
        let current = campaigns::get(pool, merchant, &id.0).await?.ok_or(NO_SUCH)?;
        let rules = body.0.apply(current.rules)?;
        if !campaigns::update(pool, merchant, &id.0, &rules, crate::now_ms()).await? {
            return Err(NO_SUCH.into());
        }
        let updated = campaigns::get(pool, merchant, &id.0).await?.ok_or(NO_SUCH)?;
        Ok(Json(updated.into()))
    }

    /// Deletes a campaign no affiliate belongs to.
    #[oai(path = "/v1/campaigns/:id", method = "delete")]
    async fn delete(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<DeletedObject>, ApiFailure> {
        auth.0.require_write()?;
        match campaigns::delete(&state.db.pool, &auth.0.merchant_id, &id.0).await? {
            Deleted::Yes => Ok(Json(DeletedObject { id: id.0, object: "campaign".into(), deleted: true })),
            Deleted::NotFound => Err(NO_SUCH.into()),
            Deleted::InUse => Err(ApiError::Conflict {
                code: "campaign_in_use",
                message: "affiliates belong to this campaign: move them to another campaign first".into(),
            }
            .into()),
        }
    }
}
