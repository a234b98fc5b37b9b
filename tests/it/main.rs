#![allow(unreachable_pub, clippy::unwrap_used, clippy::missing_panics_doc)]

mod direct;
mod harness;
mod peers;
mod proxy;
mod support;
