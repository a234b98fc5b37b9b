//! dapreflight: can this Windows device reach the Microsoft diagnostic-data endpoints, and if not,
//! exactly why?
//!
//! The program's story is `command::check`: endpoints and proxy sources → plan → probe → assess →
//! verdict → report → render. `ARCHITECTURE.md` draws the floors.

pub mod assess;
pub mod catalog;
pub mod cli;
pub mod command;
pub mod config;
pub mod error;
pub mod net;
pub mod output;
pub mod plan;
pub mod probe;
pub mod proxy;
pub mod report;
pub mod route;
pub mod settings;
pub mod status;
pub mod time;
pub mod trust;
pub mod url;
pub mod verdict;
pub mod windows;

pub use command::check::build_report;
pub use command::{read_device, run};
