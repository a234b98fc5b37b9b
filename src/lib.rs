//! dapreflight: can this Windows device reach the Microsoft diagnostic-data endpoints, and if not,
//! exactly why?
//!
//! The program's story is [`run`]: endpoints and proxy sources → plan → probe → assess → render.

pub mod endpoints;
pub mod error;
pub mod interception;
pub mod proxy;
