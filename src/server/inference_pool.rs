//! Threads of their own for inference, at normal priority, while the async runtime's threads (which
//! accept connections, read uploads and refuse what does not fit with 503) run at a lower one
//! ([`lower_this_threads_priority`], set by `serve`). Under overload a client that re-sends at once
//! makes the server refuse thousands of requests a second; with the refusals at a lower priority,
//! that work no longer takes the cores from the inferences already admitted.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct InferencePool {
    jobs: mpsc::Sender<Job>,
}

/// The job could not run (no inference thread left, or it panicked).
#[derive(Debug)]
pub struct JobFailed;

impl InferencePool {
    /// Starts `threads` inference threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<InferencePool> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("vibe-opsy-inference-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panic ends the job (its caller gets `JobFailed`), not the thread.
                        Ok(job) => drop(catch_unwind(AssertUnwindSafe(job))),
                        Err(_) => return,
                    }
                })?;
        }
        Ok(InferencePool { jobs })
    }

    /// Runs `f` on an inference thread and waits for its result.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, JobFailed> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.jobs.send(job).map_err(|_| JobFailed)?;
        result.await.map_err(|_| JobFailed)
    }
}

/// Lowers the calling thread's scheduling priority (Linux: nice +10 for this thread only); a no-op
/// elsewhere or when refused.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `who = 0` with PRIO_PROCESS names the
    // calling thread on Linux (each thread has its own nice value). Failure is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panic() {
        let pool = InferencePool::new(2).unwrap();
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        assert!(pool.run(|| -> u8 { panic!("boom") }).await.is_err());
        let name = pool
            .run(|| std::thread::current().name().map(String::from))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("vibe-opsy-inference-"));
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
    }
}
