//! The one table of Stripe event types payref handles: the event worker dispatches on it, and
//! the reconciler asks Stripe's events list for exactly these (README, "Stripe webhooks", lists
//! what each does). A type not in the table is stored and marked ignored.

/// What payref does with an event, by the object it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// A Checkout Session was paid: a conversion, or a subscription's binding.
    SessionPaid,
    /// A Checkout Session's asynchronous payment failed: nothing was paid.
    SessionPaymentFailed,
    /// A subscription's invoice was paid.
    InvoicePaid,
    /// A charge's cumulative refunded amount.
    ChargeRefunded,
    /// A refund failed: its money came back.
    RefundFailed,
    /// A dispute opened or closed.
    Dispute,
    /// A customer's metadata.
    Customer,
    /// A subscription's state.
    Subscription,
    /// A promotion code's metadata.
    PromotionCode,
}

/// Every handled type with what it is. Stripe's events list takes at most 20 types.
pub const HANDLED: [(&str, Handled); 15] = [
    ("checkout.session.completed", Handled::SessionPaid),
    ("checkout.session.async_payment_succeeded", Handled::SessionPaid),
    ("checkout.session.async_payment_failed", Handled::SessionPaymentFailed),
    ("invoice.paid", Handled::InvoicePaid),
    ("charge.refunded", Handled::ChargeRefunded),
    ("charge.dispute.created", Handled::Dispute),
    ("charge.dispute.closed", Handled::Dispute),
    ("customer.created", Handled::Customer),
    ("customer.updated", Handled::Customer),
    ("customer.subscription.created", Handled::Subscription),
    ("customer.subscription.updated", Handled::Subscription),
    ("customer.subscription.deleted", Handled::Subscription),
    ("promotion_code.created", Handled::PromotionCode),
    ("promotion_code.updated", Handled::PromotionCode),
    ("refund.failed", Handled::RefundFailed),
];

/// What payref does with events of `event_type`; `None`: it ignores them.
pub fn handled(event_type: &str) -> Option<Handled> {
    HANDLED.iter().find(|(t, _)| *t == event_type).map(|(_, h)| *h)
}

/// The types to ask Stripe for (and to enable on a webhook endpoint).
pub fn event_types() -> impl Iterator<Item = &'static str> {
    HANDLED.iter().map(|(t, _)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_listed_once_and_found_by_name() {
        let mut names: Vec<&str> = event_types().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HANDLED.len(), "a type listed twice");
        assert!(HANDLED.len() <= 20, "Stripe lists at most 20 event types at once");
        for (t, h) in HANDLED {
            assert_eq!(handled(t), Some(h));
        }
        assert_eq!(handled("payment_intent.succeeded"), None);
        assert_eq!(handled("charge.refunded.extra"), None);
    }
}
