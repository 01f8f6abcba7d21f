//! `/v1/audit_events`: the trail of attribution decisions and status changes, and who made them.

use super::list::list_endpoint;
use crate::storage::audit::{self, AuditRow as AuditEvent};

list_endpoint! {
    /// The audit trail.
    AuditApi;
    /// Lists audit events, newest first.
    GET "/v1/audit_events" => AuditEvent, cursor in audit::LIST, "Id of the last event of the previous page.";
    filters {
        /// Only events about this object (e.g. a commission or conversion id).
        object_id: Option<String>,
    }
    |pool, merchant, page| audit::list(pool, merchant, object_id.as_deref(), page)
}
