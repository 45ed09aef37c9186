//! `vibe-opsy serve`: the command-line options of the cloud API, and its logger.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use vibe_opsy::server::{self, Config};

/// `vibe-opsy serve` options.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder of the built web app to serve at `/` (e.g. www/dist).
    #[arg(long = "static")]
    pub static_dir: Option<PathBuf>,
    /// Largest upload, in bytes.
    #[arg(long, default_value_t = 10_000_000)]
    pub body_limit: usize,
    /// Concurrent inferences (default: number of cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Requests allowed to wait for a worker before shedding with 503 (default: 8 per worker).
    #[arg(long)]
    pub queue: Option<usize>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout_s: u64,
    /// Allow this origin to call the API (repeatable; `*` for any). Closed by default.
    #[arg(long = "cors-origin")]
    pub cors_origins: Vec<String>,
    /// Images whose features are kept in memory (a SHA-256 of the upload, never the image) so that
    /// the same image with new metadata re-runs only the model's head; 0 keeps none.
    #[arg(long, default_value_t = vibe_opsy::classifier::seen_images::DEFAULT_CAPACITY)]
    pub remember_images: usize,
    /// Milliseconds a request refused for overload waits before its 503 (no CPU spent): clients
    /// that re-send at once then cannot take the cores from the admitted inferences; 0 answers at once.
    #[arg(long, default_value_t = vibe_opsy::server::DEFAULT_REFUSAL_DELAY_MS)]
    pub refusal_delay_ms: u64,
}

impl ServeArgs {
    /// `threads`: the global `--threads` (cores for one inference running alone; concurrent
    /// inferences split them).
    fn config(&self, threads: Option<usize>) -> Config {
        let defaults = Config::default();
        let workers = self.workers.unwrap_or(defaults.workers).max(1);
        Config {
            body_limit: self.body_limit,
            workers,
            threads: threads.unwrap_or(defaults.threads).max(1),
            queue: self.queue.unwrap_or(workers * 8),
            request_timeout: Duration::from_secs(self.timeout_s.max(1)),
            cors_origins: self.cors_origins.clone(),
            remember_images: self.remember_images,
            refusal_delay: Duration::from_millis(self.refusal_delay_ms),
            ..defaults
        }
    }
}

/// Installs the logger (`RUST_LOG`, default `info`, to stderr) and runs the server.
pub fn run(model: &Path, args: ServeArgs, threads: Option<usize>) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = args.config(threads);
    server::serve(model, args.addr, args.static_dir, config)
}
