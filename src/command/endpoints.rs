//! `dapreflight endpoints`: the catalog's endpoints for a profile.

use std::io::Write;

use crate::catalog;
use crate::command::write_stdout;
use crate::config::EndpointsConfig;
use crate::error::Error;
use crate::output;
use crate::report::{EndpointList, Outcome};

/// Lists the catalog's endpoints for the chosen profile.
pub(crate) fn run(config: &EndpointsConfig, out: &mut impl Write) -> Result<(), Error> {
    let catalog = catalog::load(config.catalog.file.as_deref())?;
    let list = EndpointList {
        endpoints: catalog.select(&config.catalog.profile)?,
    };
    write_stdout(out, Some(Outcome::Clear), |out| {
        output::render_endpoints(&list, config.style, out)
    })
}
