//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root, for example policies.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the built `postern` binary with arguments, in `dir`.
pub fn postern(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(args)
        .current_dir(dir)
        .env_remove("POSTERN_POLICY")
        .env_remove("POSTERN_DATA")
        .env_remove("POSTERN_LISTEN")
        .output()
        .expect("postern runs")
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
