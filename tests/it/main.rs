#![allow(unreachable_pub, clippy::unwrap_used, clippy::missing_panics_doc)]

mod auth;
mod binary;
mod direct;
mod harness;
mod interception;
mod peers;
mod proxy;
mod schema;
mod support;
mod third_party;
