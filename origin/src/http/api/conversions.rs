//! `GET /v1/conversions` and `GET /v1/conversions.csv`: attributed sales with their commissions.

use super::export::{CONVERSION_HEADER, conversion_line};
use super::list::sales_endpoints;
use crate::domain::commission::PaymentStatus;
use crate::storage::conversions::{self, ConversionRow as Conversion};

sales_endpoints! {
    /// Conversions.
    ConversionsApi;
    /// Lists conversions, newest first.
    GET "/v1/conversions" => Conversion, cursor in conversions::LIST, "Id of the last conversion of the previous page.";
    /// Exports conversions as CSV, newest first, with the same filters as the list.
    ConversionExportApi: GET "/v1/conversions.csv" => csv "conversions", CONVERSION_HEADER, conversion_line;
    /// Only conversions in this state.
    status: PaymentStatus;
    rows conversions::list_conversions;
}
