//! The cloud fallback API: `GET /health`, `POST /inference`, `GET /metrics`, and the web app.

mod error;
mod inference;
mod inference_pool;
mod metrics;
mod state;
mod static_files;

pub use error::ApiError;
pub use metrics::Metrics;
pub use state::{AppState, Config, DEFAULT_REFUSAL_DELAY_MS};

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::native::model_files;

/// The API routes (and the web app when `static_dir` is given).
pub fn app(state: AppState, static_dir: Option<&Path>) -> Router {
    let body_limit = state.config.body_limit;
    let api = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route(
            "/inference",
            post(inference::inference).layer(DefaultBodyLimit::max(body_limit)),
        );
    let mut router = match static_dir {
        Some(dir) => api.merge(static_files::router(dir)),
        None => api,
    };
    if let Some(cors) = cors_layer(&state.config.cors_origins) {
        router = router.layer(cors);
    }
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .with_state(state)
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Records request counts and latency, and logs each request (never its body).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "static".into());
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.request(&route, status, seconds);
    tracing::info!(%method, route, status, ms = seconds * 1e3, "request");
    response
}

async fn health(State(state): State<AppState>) -> Response {
    match (state.model.get(), state.model.failure()) {
        (Some(c), _) => {
            let m = c.manifest();
            Json(serde_json::json!({
                "status": "ok",
                "model": { "name": m.name, "version": m.version, "sha256": m.sha256 },
                "engine": "tract",
                "version": env!("CARGO_PKG_VERSION"),
            }))
            .into_response()
        }
        (None, Some(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "error", "message": e })),
        )
            .into_response(),
        (None, None) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "loading" })),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

/// Runs the server on `addr` until SIGTERM or Ctrl-C, letting in-flight requests finish. The model
/// loads in the background (`/health` says `loading` until then). Logs through `tracing`: the
/// caller installs a subscriber.
pub fn serve(
    model: &Path,
    addr: SocketAddr,
    static_dir: Option<PathBuf>,
    config: Config,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(config.workers + 2)
        // Accepting, reading and refusing requests yields to the inference threads.
        .on_thread_start(inference_pool::lower_this_threads_priority)
        .build()?;
    runtime.block_on(async move {
        let remember_images = config.remember_images;
        let state = AppState::new(config)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "listening");
        let slot = state.model.clone();
        let model = model.to_path_buf();
        let cores = state.cores.clone();
        tokio::task::spawn_blocking(move || {
            // With the cores an inference alone would get (the weights' fold splits over them).
            let loaded = cores
                .run(|| model_files::load_classifier(&model))
                .map(|(mut c, t)| {
                    tracing::info!(parse_ms = t.parse_ms, optimize_ms = t.optimize_ms, "model loaded");
                    c.remember_images(remember_images);
                    c
                });
            if let Err(e) = &loaded {
                tracing::error!("model failed to load: {e:#}");
            }
            slot.set(loaded.map(Arc::new).map_err(|e| format!("{e:#}")));
        });
        let router = app(state, static_dir.as_deref());
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down; finishing in-flight requests");
}
