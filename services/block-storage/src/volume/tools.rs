//! The host programs drivers run, checked when a backend starts so a missing one
//! is named at once (with the Debian package that has it), not at the first volume.

use std::path::Path;

use super::driver::DriverError;

/// Fails unless `program` is an executable on `PATH`.
pub fn require(program: &str, package: &str) -> Result<(), DriverError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program))) {
        return Ok(());
    }
    Err(DriverError::Failed(format!(
        "this volume driver runs `{program}`, which is not on PATH; install it (Debian: apt-get install {package})"
    )))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_named_with_its_package() {
        assert!(require("sh", "dash").is_ok());
        let err = require("no-such-program-here", "some-package").unwrap_err();
        assert!(err.to_string().contains("no-such-program-here"), "{err}");
        assert!(
            err.to_string().contains("apt-get install some-package"),
            "{err}"
        );
    }
}
