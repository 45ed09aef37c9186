//! Graph passes run at load time in place of tract's own (same result, less time).

pub mod const_axes;
pub mod declutter;
pub mod optimizer;
