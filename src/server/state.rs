//! Shared server state: the model (loaded in the background), limits and metrics.

use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

use super::metrics::Metrics;
use crate::core::Classifier;

/// Limits and policies; see `ServeArgs` for the command-line defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest accepted request body for `/inference`.
    pub body_limit: usize,
    /// Inferences running at once (the blocking pool's share).
    pub workers: usize,
    /// Requests allowed to wait for a worker before new ones are shed with 503.
    pub queue: usize,
    /// Whole-request deadline (including a slow upload).
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty = CORS closed.
    pub cors_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            body_limit: 10_000_000,
            workers: cores,
            queue: cores * 8,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
        }
    }
}

/// The model, once loaded (or why it failed).
#[derive(Default)]
pub struct ModelSlot {
    classifier: OnceLock<Arc<Classifier>>,
    failure: OnceLock<String>,
}

impl ModelSlot {
    pub fn get(&self) -> Option<&Arc<Classifier>> {
        self.classifier.get()
    }
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }
    pub fn set(&self, result: Result<Arc<Classifier>, String>) {
        match result {
            Ok(c) => {
                let _ = self.classifier.set(c);
            }
            Err(e) => {
                let _ = self.failure.set(e);
            }
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub model: Arc<ModelSlot>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
    /// Admission: workers + queue permits; when none is left the request is shed.
    pub admission: Arc<Semaphore>,
    /// Execution: one permit per concurrent inference.
    pub workers: Arc<Semaphore>,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        AppState {
            model: Arc::new(ModelSlot::default()),
            metrics: Arc::new(Metrics::default()),
            admission: Arc::new(Semaphore::new(config.workers + config.queue)),
            workers: Arc::new(Semaphore::new(config.workers.max(1))),
            config: Arc::new(config),
        }
    }

    /// A state whose model is already loaded (tests, embedding).
    pub fn with_classifier(config: Config, classifier: Arc<Classifier>) -> Self {
        let state = AppState::new(config);
        state.model.set(Ok(classifier));
        state
    }
}
