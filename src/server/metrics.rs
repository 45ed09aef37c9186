//! Prometheus metrics, rendered by hand in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

const BUCKETS_S: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS_S.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS_S) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS_S) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {bucket}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    request_seconds: BTreeMap<String, Histogram>,
    inference_seconds: Histogram,
    rejected: BTreeMap<&'static str, u64>,
    predicted: BTreeMap<String, u64>,
}

/// All server metrics; cheap to update from any thread.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    in_flight: AtomicI64,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        self.with(|m| {
            *m.requests.entry((route.to_string(), status)).or_default() += 1;
            m.request_seconds
                .entry(route.to_string())
                .or_default()
                .observe(seconds);
        });
    }

    pub fn inference(&self, seconds: f64, class: &str) {
        self.with(|m| {
            m.inference_seconds.observe(seconds);
            *m.predicted.entry(class.to_string()).or_default() += 1;
        });
    }

    pub fn rejected(&self, reason: &'static str) {
        self.with(|m| *m.rejected.entry(reason).or_default() += 1);
    }

    /// Counts an inference as in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.with(|m| {
            out.push_str("# HELP vibe_opsy_http_requests_total HTTP requests by route and status.\n# TYPE vibe_opsy_http_requests_total counter\n");
            for ((route, status), n) in &m.requests {
                let _ = writeln!(out, "vibe_opsy_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
            out.push_str("# HELP vibe_opsy_http_request_duration_seconds HTTP request latency by route.\n# TYPE vibe_opsy_http_request_duration_seconds histogram\n");
            for (route, h) in &m.request_seconds {
                h.render(&mut out, "vibe_opsy_http_request_duration_seconds", &format!("route=\"{route}\""));
            }
            out.push_str("# HELP vibe_opsy_inference_duration_seconds Time in decode+preprocess+model.\n# TYPE vibe_opsy_inference_duration_seconds histogram\n");
            m.inference_seconds.render(&mut out, "vibe_opsy_inference_duration_seconds", "");
            out.push_str("# HELP vibe_opsy_rejected_requests_total Requests refused before inference, by reason.\n# TYPE vibe_opsy_rejected_requests_total counter\n");
            for (reason, n) in &m.rejected {
                let _ = writeln!(out, "vibe_opsy_rejected_requests_total{{reason=\"{reason}\"}} {n}");
            }
            out.push_str("# HELP vibe_opsy_predicted_class_total Predictions by top class (for drift watching).\n# TYPE vibe_opsy_predicted_class_total counter\n");
            for (class, n) in &m.predicted {
                let _ = writeln!(out, "vibe_opsy_predicted_class_total{{class=\"{class}\"}} {n}");
            }
        });
        out.push_str("# HELP vibe_opsy_inferences_in_flight Inferences running now.\n# TYPE vibe_opsy_inferences_in_flight gauge\n");
        let _ = writeln!(
            out,
            "vibe_opsy_inferences_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}

pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.request("/inference", 200, 0.3);
        m.request("/inference", 413, 0.001);
        m.inference(0.2, "nv");
        m.rejected("overloaded");
        let _guard = m.in_flight();
        let text = m.render();
        assert!(text.contains("vibe_opsy_http_requests_total{route=\"/inference\",status=\"200\"} 1"));
        assert!(text.contains("vibe_opsy_inference_duration_seconds_bucket{le=\"0.25\"} 1"));
        assert!(text.contains("vibe_opsy_inference_duration_seconds_bucket{le=\"0.1\"} 0"));
        assert!(text.contains("vibe_opsy_predicted_class_total{class=\"nv\"} 1"));
        assert!(text.contains("vibe_opsy_rejected_requests_total{reason=\"overloaded\"} 1"));
        assert!(text.contains("vibe_opsy_inferences_in_flight 1"));
    }
}
