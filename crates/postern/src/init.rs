//! `postern init`: writes a commented starter policy.
use std::process::ExitCode;
pub fn run(_args: &crate::cli::InitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
