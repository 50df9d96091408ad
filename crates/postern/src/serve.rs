//! `postern serve`.
use std::process::ExitCode;
pub fn run(_args: crate::cli::ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
