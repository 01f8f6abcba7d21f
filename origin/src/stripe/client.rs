//! payref's calls to Stripe's API, through async-stripe (only the resources used). Objects that
//! feed the event pipeline come back as Stripe's raw JSON, so they are stored and parsed exactly
//! as a webhook's would be, tolerant of fields a newer or older API version adds or drops.

use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;
use stripe::{Client, ClientBuilder, CustomizedStripeRequest, StripeError, StripeRequest};
use stripe_billing::invoice::RetrieveInvoice;
use stripe_billing::invoice_payment::{ListInvoicePayment, ListInvoicePaymentPayment, ListInvoicePaymentPaymentType};
use stripe_checkout::checkout_session::ListCheckoutSession;
use stripe_client_core::StripeClient;
use stripe_core::charge::RetrieveCharge;
use stripe_core::customer::{RetrieveCustomer, UpdateCustomer};
use stripe_core::event::ListEvent;
use stripe_product::promotion_code::RetrievePromotionCode;
use stripe_types::{RangeBoundsTs, RangeQueryTs};

/// Why a call to Stripe failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Stripe answered with an error object.
    #[error("Stripe answered {status}: {message}")]
    Stripe {
        /// HTTP status.
        status: u16,
        /// Stripe's message.
        message: String,
    },
    /// Stripe could not be reached or its answer not read.
    #[error("calling Stripe failed: {0}")]
    Transport(String),
}

impl From<StripeError> for CallError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(err, status) => Self::Stripe { status, message: err.message.clone().unwrap_or_else(|| format!("{err:?}")) },
            other => Self::Transport(other.to_string()),
        }
    }
}

/// One page of a list: each object's text exactly as Stripe sent it, newest first.
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    /// The objects, newest first.
    pub data: Vec<Box<RawValue>>,
    /// Whether older ones follow.
    #[serde(default)]
    pub has_more: bool,
}

/// What a listed object says about itself, read without building the rest of it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Head {
    /// Stripe's id.
    #[serde(default)]
    pub id: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Live or test mode.
    #[serde(default)]
    pub livemode: Option<bool>,
    /// An event's type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// A Checkout Session's payment status.
    #[serde(default)]
    pub payment_status: Option<String>,
}

impl Head {
    /// Reads an object's head; `None` when the text is not an object with an id.
    pub fn of(object: &RawValue) -> Option<Self> {
        serde_json::from_str::<Self>(object.get()).ok().filter(|h| !h.id.is_empty())
    }
}

/// An async-stripe client that hands back the body as Stripe sent it, so payref parses each
/// answer once, into its own types, instead of through async-stripe's generic value.
struct Capture<'a> {
    client: &'a Client,
    body: std::sync::Mutex<Option<bytes::Bytes>>,
}

impl StripeClient for Capture<'_> {
    type Err = StripeError;

    async fn execute(&self, request: CustomizedStripeRequest) -> Result<bytes::Bytes, StripeError> {
        let body = self.client.execute(request).await?;
        *self.body.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(body);
        // What async-stripe parses: a placeholder; the body itself was kept above.
        Ok(bytes::Bytes::from_static(b"null"))
    }
}

/// Where payref reaches Stripe's API.
#[derive(Debug, Clone, Default)]
pub struct StripeApi {
    /// `PAYREF_STRIPE_API_BASE`: Stripe's API (default) or a simulator.
    pub base_url: Option<String>,
}

impl StripeApi {
    /// A client for one account's key; reuse it for a run of calls (it keeps connections open).
    pub fn connect(&self, key: &str) -> Result<Connected, CallError> {
        Ok(Connected { client: self.client(key)? })
    }

    fn client(&self, key: &str) -> Result<Client, CallError> {
        let mut builder =
            ClientBuilder::new(key).timeout(Duration::from_secs(30)).app_info("payref", Some(env!("CARGO_PKG_VERSION").to_owned()), None);
        if let Some(base) = &self.base_url {
            builder = builder.url(base.clone());
        }
        builder.build().map_err(CallError::from)
    }
}

/// A client bound to one account's key.
pub struct Connected {
    client: Client,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connected { .. }")
    }
}

impl Connected {
    /// The body of Stripe's answer, parsed as `T`.
    async fn body<T: serde::de::DeserializeOwned>(&self, request: &impl StripeRequest) -> Result<T, CallError> {
        let capture = Capture { client: &self.client, body: std::sync::Mutex::new(None) };
        let _: miniserde::json::Value = request.build().customize().send(&capture).await?;
        let body = capture.body.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).unwrap_or_default();
        serde_json::from_slice(&body).map_err(|e| CallError::Transport(format!("Stripe's answer could not be read: {e}")))
    }

    async fn raw(&self, request: &impl StripeRequest) -> Result<Value, CallError> {
        self.body(request).await
    }

    async fn page(&self, request: &impl StripeRequest) -> Result<Page, CallError> {
        self.body(request).await
    }

    async fn values(&self, request: &impl StripeRequest) -> Result<Vec<Value>, CallError> {
        Ok(self.body::<Page>(request).await?.data.iter().filter_map(|o| serde_json::from_str(o.get()).ok()).collect())
    }

    /// A page of completed Checkout Sessions created at or after `since` (unix seconds), newest
    /// first, older than `starting_after` when given.
    pub async fn completed_sessions(&self, since: i64, starting_after: Option<&str>, limit: i64) -> Result<Page, CallError> {
        let mut req = ListCheckoutSession::new().created(from(since)).status(stripe_checkout::CheckoutSessionStatus::Complete).limit(limit);
        if let Some(after) = starting_after {
            req = req.starting_after(after);
        }
        self.page(&req).await
    }

    /// The Checkout Sessions of a PaymentIntent (a one-time payment's refund names only that).
    pub async fn sessions_of_payment_intent(&self, payment_intent: &str) -> Result<Vec<Value>, CallError> {
        self.values(&ListCheckoutSession::new().payment_intent(payment_intent).limit(10)).await
    }

    /// The Checkout Sessions that started a subscription.
    pub async fn sessions_of_subscription(&self, subscription: &str) -> Result<Vec<Value>, CallError> {
        self.values(&ListCheckoutSession::new().subscription(subscription).limit(10)).await
    }

    /// The invoice a PaymentIntent paid, through Stripe's invoice payments.
    pub async fn invoice_of_payment_intent(&self, payment_intent: &str) -> Result<Option<String>, CallError> {
        let mut by = ListInvoicePaymentPayment::new(ListInvoicePaymentPaymentType::PaymentIntent);
        by.payment_intent = Some(payment_intent.to_owned());
        let payments = self.values(&ListInvoicePayment::new().payment(by).limit(1)).await?;
        Ok(payments.first().and_then(|p| p["invoice"].as_str().map(str::to_owned)))
    }

    /// An invoice, raw, with its payments (which name the PaymentIntents that paid it).
    pub async fn invoice(&self, id: &str) -> Result<Option<Value>, CallError> {
        match self.raw(&RetrieveInvoice::new(id).expand(vec!["payments".to_owned()])).await {
            Ok(i) => Ok(Some(i)),
            Err(CallError::Stripe { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A charge, raw; `None` when Stripe has no such charge.
    pub async fn charge(&self, id: &str) -> Result<Option<Value>, CallError> {
        match self.raw(&RetrieveCharge::new(id)).await {
            Ok(c) => Ok(Some(c)),
            Err(CallError::Stripe { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A promotion code, raw; `None` when Stripe has no such code.
    pub async fn promotion_code(&self, id: &str) -> Result<Option<Value>, CallError> {
        match self.raw(&RetrievePromotionCode::new(id)).await {
            Ok(c) => Ok(Some(c)),
            Err(CallError::Stripe { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A page of the events payref processes, created at or after `since`.
    pub async fn events(&self, since: i64, starting_after: Option<&str>, limit: i64) -> Result<Page, CallError> {
        let types: Vec<String> = super::event_types::event_types().map(str::to_owned).collect();
        let mut req = ListEvent::new().created(from(since)).types(types).limit(limit);
        if let Some(after) = starting_after {
            req = req.starting_after(after);
        }
        self.page(&req).await
    }

    /// A customer, raw; `None` when Stripe has no such customer (or it was deleted).
    pub async fn customer(&self, id: &str) -> Result<Option<Value>, CallError> {
        match self.raw(&RetrieveCustomer::new(id)).await {
            Ok(c) if c["deleted"].as_bool() == Some(true) => Ok(None),
            Ok(c) => Ok(Some(c)),
            Err(CallError::Stripe { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Merges `metadata` into a customer's (Stripe keeps the other keys).
    pub async fn set_customer_metadata(&self, id: &str, metadata: &[(&str, &str)]) -> Result<(), CallError> {
        let map = metadata.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<std::collections::HashMap<_, _>>();
        UpdateCustomer::new(id).metadata(map).send(&self.client).await?;
        Ok(())
    }
}

fn from(since: i64) -> RangeQueryTs {
    RangeQueryTs::Bounds(RangeBoundsTs { gte: Some(since), gt: None, lt: None, lte: None })
}
