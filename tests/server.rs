#![cfg(not(target_arch = "wasm32"))]
//! The HTTP API: `app()` driven with `oneshot`, and the real server over a loopback socket.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use tower::ServiceExt;
use vibe_opsy::server::{app, AppState, Config};
use vibe_opsy::{PatientMetadata, Prediction};

const BOUNDARY: &str = "vibeopsyboundary";

fn ready_state(config: Config) -> AppState {
    AppState::with_classifier(config, common::shared_classifier()).expect("inference threads start")
}

fn multipart(file: &[u8], fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    body.extend(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    body
}

fn post(body: Vec<u8>, content_type: &str) -> Request<Body> {
    Request::post("/inference")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap()
}

fn post_multipart(body: Vec<u8>) -> Request<Body> {
    post(body, &format!("multipart/form-data; boundary={BOUNDARY}"))
}

async fn send(state: AppState, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app(state, None).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn prediction(bytes: &[u8]) -> Prediction {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn reference_image(name: &str) -> Vec<u8> {
    std::fs::read(common::reference().join("images").join(name)).unwrap()
}

#[tokio::test]
async fn health_is_503_while_loading_and_200_with_model_after() {
    let (status, _, body) = send(
        AppState::new(Config::default()).expect("inference threads start"),
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(&body)["status"], "loading");
    let (status, _, body) = send(
        ready_state(Config::default()),
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let body = json(&body);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["model"]["name"], "sklesion");
}

/// POSTs `image` as multipart without metadata; checks the answer is 200, valid and the core's own
/// prediction; returns it.
async fn post_and_compare_with_core(image: &[u8]) -> Prediction {
    let expected = common::classifier()
        .classify(image, &PatientMetadata::default())
        .unwrap();
    let (status, _, body) = send(
        ready_state(Config::default()),
        post_multipart(multipart(image, &[])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    common::assert_valid("prediction.schema.json", &json(&body));
    assert_eq!(prediction(&body), expected);
    expected
}

#[tokio::test]
async fn inference_returns_the_same_prediction_as_the_core() {
    let image = reference_image("lesion_7_2.png");
    let expected = post_and_compare_with_core(&image).await;

    // Raw image body.
    let (status, _, body) = send(ready_state(Config::default()), post(image.clone(), "image/png")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(prediction(&body), expected);

    // Metadata fields.
    let meta = PatientMetadata {
        age: Some(70.0),
        sex: Some("female".into()),
        site: Some("trunk".into()),
    };
    let with_meta = common::classifier().classify(&image, &meta).unwrap();
    let body = multipart(&image, &[("age", "70"), ("sex", "female"), ("site", "trunk")]);
    let (status, _, body) = send(ready_state(Config::default()), post_multipart(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(prediction(&body), with_meta);
}

#[tokio::test]
async fn out_of_domain_photos_are_marked_as_in_the_core() {
    let fx = common::repo().join("tests/fixtures");
    for path in [
        "domain/photos/skimage_astronaut.jpg",
        "domain/photos/opencv_fruits.jpg",
        "reference/dermoscopy/ISIC_0025606.jpg",
    ] {
        let image = std::fs::read(fx.join(path)).unwrap();
        let answered = post_and_compare_with_core(&image).await;
        assert_eq!(answered.in_domain, path.starts_with("reference"), "{path}");
    }
}

#[tokio::test]
async fn bad_requests_get_the_right_status_and_a_json_error() {
    let state = ready_state(Config::default());
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (post(b"hello".to_vec(), "text/plain"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        (post_multipart(multipart(b"", &[])), StatusCode::BAD_REQUEST, "empty_file"),
        (post_multipart(multipart(b"%PDF-1.4 not an image", &[])), StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
        (
            post_multipart(multipart(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", &[])),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_format",
        ),
        (post_multipart(multipart(&reference_image("lesion_7_0.jpg")[..5000], &[])), StatusCode::BAD_REQUEST, "corrupt_image"),
        (post_multipart(multipart(&reference_image("lesion_7_2.png"), &[("sex", "robot")])), StatusCode::BAD_REQUEST, "invalid_metadata"),
        (post_multipart(multipart(&reference_image("lesion_7_2.png"), &[("age", "old")])), StatusCode::BAD_REQUEST, "bad_multipart"),
        (
            post_multipart(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"age\"\r\n\r\n5\r\n--{BOUNDARY}--\r\n").into_bytes()),
            StatusCode::BAD_REQUEST,
            "bad_multipart",
        ),
        (post_multipart(b"--vibeopsyboundary\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".to_vec()), StatusCode::BAD_REQUEST, "bad_multipart"),
    ];
    for (request, want_status, want_code) in cases {
        let (status, _, body) = send(state.clone(), request).await;
        let body = json(&body);
        assert_eq!(
            (status, body["error"]["code"].as_str().unwrap()),
            (want_status, want_code),
            "{body}"
        );
        common::assert_valid("error.schema.json", &body);
    }
}

#[tokio::test]
async fn oversize_uploads_get_413_without_reading_them() {
    let config = Config {
        body_limit: 100_000,
        ..Config::default()
    };
    // Declared too large.
    let request = Request::post("/inference")
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header(header::CONTENT_LENGTH, 1_000_000_000u64)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(ready_state(config.clone()), request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(&body)["error"]["code"], "payload_too_large");
    // Streamed without a length (chunked), raw and multipart.
    for content_type in [
        "image/jpeg".to_string(),
        format!("multipart/form-data; boundary={BOUNDARY}"),
    ] {
        let big = multipart(&vec![0xffu8; 300_000], &[]);
        let stream = chunked_body(big);
        let request = Request::post("/inference")
            .header(header::CONTENT_TYPE, content_type)
            .body(stream)
            .unwrap();
        let (status, _, body) = send(ready_state(config.clone()), request).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// A body with no known length, delivered in chunks.
fn chunked_body(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .chunks(16_384)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn overload_is_shed_with_503_and_retry_after() {
    let state = ready_state(Config {
        workers: 1,
        queue: 0,
        ..Config::default()
    });
    let held = state.admission.clone().try_acquire_owned().unwrap();
    let started = std::time::Instant::now();
    let (status, headers, body) = send(
        state.clone(),
        post_multipart(multipart(&reference_image("lesion_7_2.png"), &[])),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() >= state.config.refusal_delay,
        "the refusal waits (a timer) before answering"
    );
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(
        headers[header::CONNECTION],
        "close",
        "refused before the body was read: the connection closes"
    );
    assert_eq!(json(&body)["error"]["code"], "overloaded");
    drop(held);
    let (status, _, _) = send(
        state.clone(),
        post_multipart(multipart(&reference_image("lesion_7_2.png"), &[])),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, metrics) = send(state, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("vibe_opsy_rejected_requests_total{reason=\"overloaded\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vibe_opsy_http_requests_total{route=\"/inference\",status=\"503\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vibe_opsy_http_requests_total{route=\"/inference\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vibe_opsy_predicted_class_total{class=\"nv\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vibe_opsy_inference_duration_seconds_count 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn refusals_beyond_the_held_ones_answer_at_once() {
    // Every refusal slot taken (none here): a refusal does not wait out the (long) delay.
    let state = ready_state(Config {
        workers: 1,
        queue: 0,
        refusal_delay: std::time::Duration::from_secs(30),
        held_refusals: 0,
        ..Config::default()
    });
    let _held = state.admission.clone().try_acquire_owned().unwrap();
    let started = std::time::Instant::now();
    let (status, headers, _) = send(
        state.clone(),
        post_multipart(multipart(&reference_image("lesion_7_2.png"), &[])),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn precompressed_assets_go_to_clients_that_accept_them_and_identity_to_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    let index = b"<!doctype html><title>vibe-opsy</title>".to_vec();
    let js = b"console.log('vibe-opsy');".repeat(50);
    for (path, body) in [("index.html", &index), ("assets/app-1.js", &js)] {
        std::fs::write(dir.path().join(path), body).unwrap();
        std::fs::write(
            dir.path().join(format!("{path}.br")),
            [b"BR:".as_slice(), body].concat(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(format!("{path}.gz")),
            [b"GZ:".as_slice(), body].concat(),
        )
        .unwrap();
    }
    let router = app(ready_state(Config::default()), Some(dir.path()));
    let fetch = |uri: &'static str, accept: Option<&'static str>| {
        let router = router.clone();
        async move {
            let mut request = Request::get(uri);
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT_ENCODING, accept);
            }
            let response = router
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let (parts, body) = response.into_parts();
            let encoding = parts
                .headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(parts.status, StatusCode::OK, "{uri}");
            assert_eq!(parts.headers[header::VARY], "accept-encoding", "{uri}");
            (encoding, body.collect().await.unwrap().to_bytes().to_vec())
        }
    };
    // Every route, including the SPA fallback (a client-side route answers with index.html).
    for (uri, original) in [
        ("/assets/app-1.js", &js),
        ("/", &index),
        ("/some/client/route", &index),
    ] {
        let (encoding, body) = fetch(uri, Some("gzip, deflate, br")).await;
        assert_eq!(encoding.as_deref(), Some("br"), "{uri}");
        assert_eq!(body, [b"BR:".as_slice(), original].concat(), "{uri}");
        let (encoding, body) = fetch(uri, Some("gzip")).await;
        assert_eq!(encoding.as_deref(), Some("gzip"), "{uri}");
        assert_eq!(body, [b"GZ:".as_slice(), original].concat(), "{uri}");
        let (encoding, body) = fetch(uri, None).await;
        assert_eq!(encoding, None, "{uri}: identity without Accept-Encoding");
        assert_eq!(&body, original, "{uri}");
    }
}

#[tokio::test]
async fn static_files_have_mime_types_cache_and_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>vibe-opsy</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/engine-abc123.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let router = app(ready_state(Config::default()), Some(dir.path()));
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();

    let response = router
        .clone()
        .oneshot(get("/assets/engine-abc123.wasm"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
    assert!(response.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));

    let response = router.clone().oneshot(get("/some/client/route")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "SPA fallback to index.html");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(response.headers()["cross-origin-opener-policy"], "same-origin");
    let html = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&html).contains("vibe-opsy"));

    let response = router.oneshot(get("/health")).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "API routes win over static files"
    );
}

#[tokio::test]
async fn cors_is_closed_by_default_and_opens_per_origin() {
    let preflight = || {
        Request::options("/inference")
            .header(header::ORIGIN, "https://app.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _) = send(ready_state(Config::default()), preflight()).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let config = Config {
        cors_origins: vec!["https://app.example".into()],
        ..Config::default()
    };
    let (_, headers, _) = send(ready_state(config), preflight()).await;
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );
}

// ---- Over a real socket on 127.0.0.1 ----

fn start_server(config: Config) -> SocketAddr {
    let state = ready_state(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app(state, None)).await.unwrap();
        });
    });
    addr
}

/// Sends raw bytes and returns the status code (0 if the connection closed without a response).
/// `close_write` half-closes the connection after sending (the client gives up mid-body).
fn raw_exchange(addr: SocketAddr, request: &[u8], close_write: bool) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(request).unwrap();
    if close_write {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn http_post(addr: SocketAddr, body: &[u8], content_length: usize) -> Vec<u8> {
    let mut request = format!(
        "POST /inference HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {content_length}\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

#[test]
fn real_socket_abuse_then_a_good_request_still_works() {
    let addr = start_server(Config {
        request_timeout: Duration::from_secs(2),
        ..Config::default()
    });
    let good = multipart(&reference_image("lesion_7_2.png"), &[]);

    // A good request.
    let (status, text) = raw_exchange(addr, &http_post(addr, &good, good.len()), false);
    assert_eq!(status, 200, "{text}");

    // Truncated multipart: the body ends early and the client closes its side.
    let (status, _) = raw_exchange(addr, &http_post(addr, &good[..good.len() / 2], good.len()), true);
    assert!(status == 400 || status == 0, "truncated upload: {status}");

    // A 1 GB declared body is refused at once.
    let (status, text) = raw_exchange(addr, &http_post(addr, b"", 1_000_000_000), false);
    assert_eq!(status, 413, "{text}");

    // Slow-loris: headers sent, body trickles and stops; the request times out.
    let started = std::time::Instant::now();
    let (status, _) = raw_exchange(addr, &http_post(addr, &good[..100], good.len()), false);
    assert_eq!(status, 408);
    assert!(started.elapsed() < Duration::from_secs(20));

    // A decompression bomb.
    let bomb = multipart(&common::bomb(), &[]);
    let (status, text) = raw_exchange(addr, &http_post(addr, &bomb, bomb.len()), false);
    assert_eq!(status, 413, "bomb: {text}");
    assert!(text.contains(r#""code":"image_too_large""#), "bomb: {text}");

    // Hundreds of concurrent connections.
    let handles: Vec<_> = (0..300)
        .map(|_| {
            std::thread::spawn(move || {
                raw_exchange(
                    addr,
                    format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
                    false,
                )
                .0
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // Still serving.
    let (status, text) = raw_exchange(addr, &http_post(addr, &good, good.len()), false);
    assert_eq!(status, 200, "{text}");
}
