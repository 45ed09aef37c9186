//! Native-only helpers shared by the CLI and the server.

pub mod model_files;
