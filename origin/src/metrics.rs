//! Prometheus metrics: lock-free counters kept by the process, rendered in the text
//! exposition format at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the request-duration histogram, seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
/// Status classes counted separately.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// Ingest outcomes.
pub const INGEST_OUTCOMES: [&str; 7] = ["stored", "repeat", "duplicate", "lead", "lead_duplicate", "lead_ignored", "rejected"];

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; 5],
    duration_buckets: [AtomicU64; 10],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    ingest: [AtomicU64; 7],
    webhooks: AtomicU64,
    events: [AtomicU64; 3],
    released: AtomicU64,
    purged_clicks: AtomicU64,
    purged_leads: AtomicU64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// Counts one answered HTTP request.
    pub fn request(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        add(&self.requests[class], 1);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                add(&self.duration_buckets[i], 1);
            }
        }
        add(&self.duration_count, 1);
        add(&self.duration_sum_micros, (seconds * 1e6) as u64);
    }

    /// Counts ingested events by outcome (indexes of [`INGEST_OUTCOMES`]).
    pub fn ingested(&self, counts: [usize; 7]) {
        for (c, n) in self.ingest.iter().zip(counts) {
            add(c, n as u64);
        }
    }

    /// Counts one Stripe webhook event accepted.
    pub fn webhook(&self) {
        add(&self.webhooks, 1);
    }

    /// Counts one attempt of the Stripe event worker.
    pub fn event(&self, result: EventResult) {
        add(&self.events[result as usize], 1);
    }

    /// Counts commissions approved when their hold ended.
    pub fn released(&self, n: usize) {
        add(&self.released, n as u64);
    }

    /// Counts rows purged by retention.
    pub fn purged(&self, clicks: u64, leads: u64) {
        add(&self.purged_clicks, clicks);
        add(&self.purged_leads, leads);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        out.push_str(
            "# HELP payref_http_requests_total HTTP requests answered, by status class.\n# TYPE payref_http_requests_total counter\n",
        );
        for (class, c) in CLASSES.iter().zip(&self.requests) {
            let _ = writeln!(out, "payref_http_requests_total{{status=\"{class}\"}} {}", get(c));
        }
        out.push_str("# HELP payref_http_request_duration_seconds Time to answer HTTP requests.\n# TYPE payref_http_request_duration_seconds histogram\n");
        for (bound, c) in BUCKETS.iter().zip(&self.duration_buckets) {
            let _ = writeln!(out, "payref_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}", get(c));
        }
        let count = get(&self.duration_count);
        let _ = writeln!(out, "payref_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "payref_http_request_duration_seconds_sum {}", get(&self.duration_sum_micros) as f64 / 1e6);
        let _ = writeln!(out, "payref_http_request_duration_seconds_count {count}");
        out.push_str("# HELP payref_ingest_events_total Edge events ingested, by outcome.\n# TYPE payref_ingest_events_total counter\n");
        for (outcome, c) in INGEST_OUTCOMES.iter().zip(&self.ingest) {
            let _ = writeln!(out, "payref_ingest_events_total{{outcome=\"{outcome}\"}} {}", get(c));
        }
        out.push_str(
            "# HELP payref_stripe_events_total Stripe event processing attempts, by result.\n# TYPE payref_stripe_events_total counter\n",
        );
        for (result, c) in EVENT_RESULTS.iter().zip(&self.events) {
            let _ = writeln!(out, "payref_stripe_events_total{{result=\"{result}\"}} {}", get(c));
        }
        let singles = [
            ("payref_stripe_webhook_events_total", "Stripe webhook deliveries with a valid signature, stored.", &self.webhooks),
            ("payref_commissions_released_total", "Held commissions approved when their hold ended.", &self.released),
            ("payref_retention_purged_clicks_total", "Clicks purged by retention.", &self.purged_clicks),
            ("payref_retention_purged_leads_total", "Leads purged by retention.", &self.purged_leads),
        ];
        for (name, help, c) in singles {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", get(c));
        }
        out
    }
}

/// How one attempt of the Stripe event worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventResult {
    /// Applied and marked processed.
    Processed = 0,
    /// Failed; due again later.
    Retried = 1,
    /// Failed for good, or unparseable: parked.
    Parked = 2,
}

/// Labels of [`EventResult`], in order.
pub const EVENT_RESULTS: [&str; 3] = ["processed", "retried", "parked"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.request(200, 0.003);
        m.request(404, 0.2);
        m.ingested([2, 1, 0, 0, 0, 0, 1]);
        let text = m.render();
        assert!(text.contains("payref_http_requests_total{status=\"2xx\"} 1\n"), "{text}");
        assert!(text.contains("payref_http_requests_total{status=\"4xx\"} 1\n"));
        assert!(text.contains("payref_http_request_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("payref_http_request_duration_seconds_bucket{le=\"0.25\"} 2\n"), "cumulative");
        assert!(text.contains("payref_http_request_duration_seconds_count 2\n"));
        assert!(text.contains("payref_ingest_events_total{outcome=\"stored\"} 2\n"));
        assert!(text.contains("payref_ingest_events_total{outcome=\"rejected\"} 1\n"));
    }
}
