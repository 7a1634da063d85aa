//! X.509 key pairs generated as Nova generates them: `openssl req` makes a
//! 2048-bit RSA key and a ten-year self-signed client certificate for
//! `CN=<user>` (with the user's `<user>@localhost` UPN), and `openssl pkcs12`
//! packs the key, unencrypted, for the caller. The key only ever sits in a
//! directory of this process's own (mode 0700), removed before returning.

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;

/// A directory removed when dropped.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Result<ScratchDir, String> {
    let path = std::env::temp_dir().join(format!("ferrostack-x509-{}", uuid::Uuid::new_v4()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&path)
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    Ok(ScratchDir(path))
}

/// Whether `user` can go into a subject and a config file as it is.
fn plain(user: &str) -> bool {
    !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

fn run(command: &mut Command, input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if let Some(input) = input {
        child
            .stdin
            .take()
            .ok_or("openssl has no stdin")?
            .write_all(input)
            .map_err(|e| format!("cannot write to openssl: {e}"))?;
    }
    drop(child.stdin.take());
    let out = child
        .wait_with_output()
        .map_err(|e| format!("openssl failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn config(dir: &Path, user: &str) -> Result<PathBuf, String> {
    let path = dir.join("req.conf");
    std::fs::write(
        &path,
        format!(
            "distinguished_name = req_distinguished_name\n[req_distinguished_name]\n[v3_req_client]\nextendedKeyUsage = clientAuth\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:{user}@localhost\n"
        ),
    )
    .map_err(|e| format!("cannot write the request config: {e}"))?;
    Ok(path)
}

/// A new key and certificate for `user`: the key as base64 PKCS#12 (no
/// password) and the certificate as PEM. Blocking.
pub fn generate(user: &str) -> Result<(String, String), String> {
    if !plain(user) {
        return Err(format!("cannot make a certificate for user {user:?}"));
    }
    let dir = scratch()?;
    let conf = config(&dir.0, user)?;
    let key = dir.0.join("key.pem");
    let certificate = run(
        Command::new("openssl")
            .args([
                "req", "-x509", "-nodes", "-days", "3650", "-newkey", "rsa:2048",
            ])
            .arg("-config")
            .arg(&conf)
            .arg("-keyout")
            .arg(&key)
            .args(["-outform", "PEM", "-subj"])
            .arg(format!("/CN={user}"))
            .args(["-extensions", "v3_req_client"]),
        None,
    )?;
    let bundle = run(
        Command::new("openssl")
            .args(["pkcs12", "-export", "-password", "pass:", "-inkey"])
            .arg(&key),
        Some(&certificate),
    )?;
    let certificate =
        String::from_utf8(certificate).map_err(|_| "openssl wrote no PEM".to_string())?;
    Ok((
        base64::engine::general_purpose::STANDARD.encode(bundle),
        certificate,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_are_certificates_for_the_user() {
        let (private, certificate) = generate("u-1").unwrap();
        assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(crate::domain::ssh_key::x509_fingerprint(&certificate).is_ok());
        let bundle = base64::engine::general_purpose::STANDARD
            .decode(private)
            .unwrap();
        assert_eq!(bundle[0], 0x30, "a DER sequence");
        let dir = scratch().unwrap();
        let path = dir.0.join("c.pem");
        std::fs::write(&path, &certificate).unwrap();
        let text = run(
            Command::new("openssl")
                .args(["x509", "-noout", "-subject", "-in"])
                .arg(&path),
            None,
        )
        .unwrap();
        assert!(String::from_utf8_lossy(&text).contains("CN = u-1"));
    }

    #[test]
    fn users_that_could_break_the_request_are_refused() {
        for user in ["", "a/b", "a\nb", "a b", "x=y"] {
            assert!(generate(user).is_err(), "{user:?}");
        }
    }
}
