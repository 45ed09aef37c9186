//! Native-only helpers shared by the CLI and the server.

pub mod domain_report;
pub mod heap_reuse;
pub mod model_files;
