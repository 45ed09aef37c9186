# Multi-stage build of the cloud fallback API + the web app, served from one process.
#   docker build -t vibe-opsy .
#   docker run --rm -p 8080:8080 vibe-opsy
# syntax=docker/dockerfile:1

FROM rust:1.95-bookworm AS wasm
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# the threaded engine is built by the nightly pinned in scripts/lib.sh (WASM_THREADS_TOOLCHAIN), with rust-src
RUN bash -c 'source scripts/lib.sh && rustup toolchain install "$WASM_THREADS_TOOLCHAIN" --profile minimal --component rust-src'
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)" \
 && npm install --no-audit --no-fund \
 && npm run build:web

FROM rust:1.95-bookworm AS server
WORKDIR /src
COPY . .
RUN cargo build --release --bin vibe-opsy

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /nonexistent vibe
COPY --from=server /src/target/release/vibe-opsy /usr/local/bin/vibe-opsy
COPY --from=server /src/models /opt/vibe-opsy/models
COPY --from=wasm /src/www/dist /opt/vibe-opsy/www
ENV VIBE_OPSY_MODEL=/opt/vibe-opsy/models/sklesion.manifest.json RUST_LOG=info
USER 10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/vibe-opsy", "serve", "--addr", "0.0.0.0:8080", "--static", "/opt/vibe-opsy/www"]
