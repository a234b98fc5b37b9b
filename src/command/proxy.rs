//! `dapreflight proxy`: each context's proxy configuration and the route every endpoint takes in
//! it, without probing.

use std::io::Write;

use crate::catalog;
use crate::command::read_device;
use crate::command::write_stdout;
use crate::config::ProxyConfig;
use crate::error::Error;
use crate::output;
use crate::proxy;
use crate::report::{Outcome, ProxyView};

/// Shows each context's proxy configuration and the route every endpoint takes in it.
pub(crate) async fn run(config: &ProxyConfig, out: &mut impl Write) -> Result<(), Error> {
    let catalog = catalog::load(config.catalog.file.as_deref())?;
    let endpoints = catalog.select(&config.catalog.profile)?;
    let device = read_device(&config.proxy_sources, &config.device_files)?;
    let discovered = tokio::time::timeout(config.deadline, proxy::discover(&device.sources)).await;
    let contexts = discovered.map_err(|_| Error::Deadline {
        deadline: config.deadline,
        during: "proxy discovery",
    })??;
    let connections = device.windows.as_ref().map_or_else(Vec::new, |windows| {
        windows.connections(device.sources.connection.as_deref())
    });
    let view = ProxyView::new(&endpoints, contexts)
        .about(device.report_device())
        .with_connections(connections);
    write_stdout(out, Some(Outcome::Clear), |out| {
        output::render_proxy(&view, config.style, out)
    })
}
