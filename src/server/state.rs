//! Shared server state: the model (loaded in the background), limits and metrics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

use super::inference_pool::InferencePool;
use super::metrics::Metrics;
use crate::classifier::Classifier;
use crate::engine::threads::{available_cores, MatmulThreads};

/// Default of [`Config::refusal_delay`], in milliseconds.
pub const DEFAULT_REFUSAL_DELAY_MS: u64 = 500;

/// Limits and policies; `vibe-opsy serve` (src/cli/serve.rs) sets them from its options.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest accepted request body for `/inference`.
    pub body_limit: usize,
    /// Inferences running at once (the blocking pool's share).
    pub workers: usize,
    /// Threads one inference may use for its matrix multiplications when it runs alone; with
    /// several inferences running, each gets `threads / running` (at least 1), so the total stays
    /// about `threads`.
    pub threads: usize,
    /// Requests allowed to wait for a worker before new ones are shed with 503.
    pub queue: usize,
    /// Whole-request deadline (including a slow upload).
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty = CORS closed.
    pub cors_origins: Vec<String>,
    /// Images whose features are kept (their SHA-256, never the image), so that the same image
    /// sent again with other metadata re-runs only the model's head; 0 keeps none.
    pub remember_images: usize,
    /// How long a request refused for overload waits before its 503 (a timer: no CPU). A client
    /// that re-sends at once then re-sends a few times a second instead of thousands, and the
    /// cores stay with the inferences admitted. At most [`Config::held_refusals`] wait at once;
    /// refusals beyond that answer at once.
    pub refusal_delay: Duration,
    pub held_refusals: usize,
}

impl Default for Config {
    fn default() -> Self {
        let cores = available_cores();
        Config {
            body_limit: 10_000_000,
            workers: cores,
            threads: cores,
            queue: cores * 8,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            remember_images: crate::classifier::seen_images::DEFAULT_CAPACITY,
            refusal_delay: Duration::from_millis(DEFAULT_REFUSAL_DELAY_MS),
            held_refusals: 1024,
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
    /// The cores inferences share.
    pub cores: Arc<CoreShare>,
    /// The threads inferences run on (`workers` of them).
    pub inference: Arc<InferencePool>,
    /// Refusals waiting out [`Config::refusal_delay`].
    pub held_refusals: Arc<Semaphore>,
}

/// Splits `threads` cores between the inferences running at once: one alone gets them all, and
/// `n` at once get `threads / n` each (at least one), so the machine is never oversubscribed by
/// more than the rounding. Pools of 1, 2, 4, … up to `threads` threads are made once.
#[derive(Debug)]
pub struct CoreShare {
    pools: Vec<MatmulThreads>,
    running: AtomicUsize,
}

impl CoreShare {
    pub fn new(threads: usize) -> CoreShare {
        let threads = threads.max(1);
        let mut pools = vec![MatmulThreads::single()];
        let mut n = 2;
        while n < threads {
            pools.push(MatmulThreads::new(n));
            n *= 2;
        }
        if threads > 1 {
            pools.push(MatmulThreads::new(threads));
        }
        CoreShare {
            pools,
            running: AtomicUsize::new(0),
        }
    }

    /// Runs `f` with this inference's share of the cores.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        let _done = Finished(&self.running);
        self.for_running(running).run(f)
    }

    /// The pool for one of `running` inferences: the largest that fits its share.
    pub fn for_running(&self, running: usize) -> &MatmulThreads {
        let total = self.pools.last().map_or(1, MatmulThreads::threads);
        let share = (total / running.max(1)).max(1);
        self.pools
            .iter()
            .rev()
            .find(|p| p.threads() <= share)
            .unwrap_or(&self.pools[0])
    }
}

struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for CoreShare {
    fn default() -> Self {
        CoreShare::new(available_cores())
    }
}

impl AppState {
    /// Fails only when the operating system refuses to start the inference threads.
    pub fn new(config: Config) -> std::io::Result<Self> {
        Ok(AppState {
            model: Arc::new(ModelSlot::default()),
            metrics: Arc::new(Metrics::default()),
            admission: Arc::new(Semaphore::new(config.workers + config.queue)),
            workers: Arc::new(Semaphore::new(config.workers.max(1))),
            cores: Arc::new(CoreShare::new(config.threads)),
            inference: Arc::new(InferencePool::new(config.workers)?),
            held_refusals: Arc::new(Semaphore::new(config.held_refusals)),
            config: Arc::new(config),
        })
    }

    /// Waits [`Config::refusal_delay`] before an overload refusal, unless too many already wait.
    pub async fn hold_refusal(&self) {
        if self.config.refusal_delay.is_zero() {
            return;
        }
        if let Ok(_held) = self.held_refusals.try_acquire() {
            tokio::time::sleep(self.config.refusal_delay).await;
        }
    }

    /// A state whose model is already loaded (tests, embedding).
    pub fn with_classifier(config: Config, classifier: Arc<Classifier>) -> std::io::Result<Self> {
        let state = AppState::new(config)?;
        state.model.set(Ok(classifier));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::CoreShare;

    #[test]
    fn one_inference_alone_gets_every_thread_and_many_split_them() {
        let share = CoreShare::new(8);
        let threads = |running| share.for_running(running).threads();
        assert_eq!(threads(1), 8);
        assert_eq!(threads(2), 4);
        assert_eq!(threads(3), 2);
        assert_eq!(threads(4), 2);
        assert_eq!(threads(5), 1);
        assert_eq!(threads(64), 1);
        let share = CoreShare::new(6);
        assert_eq!(share.for_running(1).threads(), 6);
        assert_eq!(share.for_running(2).threads(), 2);
        let share = CoreShare::new(1);
        assert_eq!(share.for_running(1).threads(), 1);
    }

    #[test]
    fn the_count_of_running_inferences_goes_back_down() {
        let share = CoreShare::new(2);
        let inside = share.run(|| share.run(|| share.running.load(std::sync::atomic::Ordering::SeqCst)));
        assert_eq!(inside, 2);
        assert_eq!(share.running.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
