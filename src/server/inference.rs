//! `POST /inference`: a multipart `file` (plus optional `age`, `sex`, `site`) or a raw image body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use std::time::Instant;

use super::error::ApiError;
use super::state::AppState;
use crate::classifier::{PatientMetadata, Prediction};

pub async fn inference(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<Prediction>, ApiError> {
    let limit = state.config.body_limit;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        state.metrics.rejected("payload_too_large");
        return Err(ApiError::too_large(limit).before_reading_the_body());
    }
    let Some(classifier) = state.model.get().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "model_loading",
            "the model is still loading",
        )
        .before_reading_the_body());
    };
    // Shed load before reading the body when too many requests are already waiting.
    let Ok(_admitted) = state.admission.clone().try_acquire_owned() else {
        state.metrics.rejected("overloaded");
        state.hold_refusal().await;
        return Err(ApiError::overloaded(1).before_reading_the_body());
    };

    let (image, metadata) = read_upload(&state, request).await?;

    let _worker = state
        .workers
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::overloaded(1))?;
    let metrics = state.metrics.clone();
    let cores = state.cores.clone();
    let prediction = state
        .inference
        .run(move || {
            let _in_flight = metrics.in_flight();
            let started = Instant::now();
            let result = cores.run(|| classifier.classify(&image, &metadata));
            if let Ok(p) = &result {
                metrics.inference(started.elapsed().as_secs_f64(), &p.class);
            }
            result
        })
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the inference failed",
            )
        })??;
    Ok(Json(prediction))
}

async fn read_upload(state: &AppState, request: Request) -> Result<(Bytes, PatientMetadata), ApiError> {
    let limit = state.config.body_limit;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "bad_multipart", e.body_text()))?;
        read_multipart(multipart, limit, state).await
    } else if content_type.starts_with("image/") || content_type == "application/octet-stream" {
        let body = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| body_error(&e.to_string(), limit, state))?;
        Ok((body, PatientMetadata::default()))
    } else {
        state.metrics.rejected("unsupported_media_type");
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send multipart/form-data with a `file` field, or an image/* body (got {:?})",
                if content_type.is_empty() {
                    "no Content-Type"
                } else {
                    &content_type
                }
            ),
        ))
    }
}

fn body_error(detail: &str, limit: usize, state: &AppState) -> ApiError {
    if detail.contains("length limit") || detail.contains("too large") {
        state.metrics.rejected("payload_too_large");
        ApiError::too_large(limit)
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("could not read the request body: {detail}"),
        )
    }
}

async fn read_multipart(
    mut multipart: Multipart,
    limit: usize,
    state: &AppState,
) -> Result<(Bytes, PatientMetadata), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_multipart", m);
    let mut file = None;
    let mut metadata = PatientMetadata::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                state.metrics.rejected("payload_too_large");
                return Err(ApiError::too_large(limit));
            }
            Err(e) => return Err(bad(format!("malformed multipart body: {}", e.body_text()))),
        };
        let name = field.name().unwrap_or("").to_string();
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                state.metrics.rejected("payload_too_large");
                return Err(ApiError::too_large(limit));
            }
            Err(e) => return Err(bad(format!("malformed multipart body: {}", e.body_text()))),
        };
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "file" => file = Some(data.clone()),
            "age" if !text().is_empty() => {
                let age = text()
                    .parse::<f32>()
                    .map_err(|_| bad(format!("age must be a number, got {:?}", text())))?;
                metadata.age = Some(age);
            }
            "sex" if !text().is_empty() => metadata.sex = Some(text()),
            "site" if !text().is_empty() => metadata.site = Some(text()),
            _ => {}
        }
    }
    let file = file.ok_or_else(|| bad("the multipart body has no `file` field".into()))?;
    Ok((file, metadata))
}
