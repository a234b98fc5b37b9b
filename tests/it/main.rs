#![allow(unreachable_pub, clippy::unwrap_used, clippy::missing_panics_doc)]

mod auth;
mod binary;
mod connections;
mod contexts;
mod deadline;
mod diagtrack;
mod direct;
mod dns;
mod exports;
mod first_screen;
mod harness;
mod hop;
mod interception;
mod ntlm;
mod pac;
mod peers;
mod proxy;
mod schema;
mod snapshots;
#[cfg(unix)] // /dev/full and a pseudo-terminal (python3's pty)
mod terminal;
#[cfg(unix)] // starts Squid and tinyproxy, which CI installs on Linux
mod third_party;
mod verdict;
mod wire;
mod wpad;

/// The in-process peers, from the shared dev crate (`testkit/`).
use dapreflight_testkit as support;
