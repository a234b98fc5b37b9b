#![allow(unreachable_pub, clippy::unwrap_used, clippy::missing_panics_doc)]

mod peers;
mod support;
