//! OpenSSH public keys and X.509 certificates as Nova reads them: checked
//! to parse, fingerprinted (MD5 of the key blob, SHA-1 of the certificate),
//! and RSA key pairs made for users who ask Nova to generate one.

use base64::Engine;
use md5::{Digest, Md5};

/// `aa:bb:...` of `bytes`.
fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Reads the SSH wire-format strings of a key blob.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(self.0.get(..4)?.try_into().ok()?) as usize;
        let field = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        Some(field)
    }
}

/// How many fields follow the type name in a key blob of `kind`.
fn field_count(kind: &str) -> Option<usize> {
    Some(match kind {
        "ssh-rsa" => 2,
        "ssh-dss" => 4,
        "ssh-ed25519" => 1,
        "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" => 2,
        "sk-ssh-ed25519@openssh.com" => 2,
        "sk-ecdsa-sha2-nistp256@openssh.com" => 3,
        _ => return None,
    })
}

/// The fingerprint of an OpenSSH public key line (`type base64 [comment]`):
/// the MD5 of its blob, or `None` when it is not a key of a known type.
pub fn ssh_fingerprint(line: &str) -> Option<String> {
    let mut parts = line
        .trim_start()
        .split([' ', '\t'])
        .filter(|p| !p.is_empty());
    let kind = parts.next()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?;
    let mut fields = Fields(&blob);
    if fields.next()? != kind.as_bytes() {
        return None;
    }
    for _ in 0..field_count(kind)? {
        if fields.next()?.is_empty() {
            return None;
        }
    }
    if kind == "ssh-ed25519" && Fields(&blob).nth_len(1) != Some(32) {
        return None;
    }
    if !fields.0.is_empty() {
        return None;
    }
    Some(colon_hex(&Md5::digest(&blob)))
}

impl Fields<'_> {
    /// The length of field `n` (0 is the type name).
    fn nth_len(mut self, n: usize) -> Option<usize> {
        for _ in 0..n {
            self.next()?;
        }
        self.next().map(<[u8]>::len)
    }
}

/// The fingerprint of a PEM X.509 certificate: the SHA-1 of its DER.
pub fn x509_fingerprint(pem: &str) -> Result<String, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN CERTIFICATE-----")
        .skip(1)
        .take_while(|l| *l != "-----END CERTIFICATE-----")
        .collect();
    if body.is_empty() {
        return Err("Unable to load PEM file. No certificate found.".into());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| e.to_string())?;
    // A certificate is a DER SEQUENCE.
    if der.first() != Some(&0x30) {
        return Err("error parsing asn1 value".into());
    }
    use sha1::Digest as _;
    Ok(colon_hex(&sha1::Sha1::digest(&der)))
}

/// An SSH string (length-prefixed) appended to `out`.
fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An SSH mpint: big-endian, with a leading zero when the top bit is set.
fn put_mpint(out: &mut Vec<u8>, bytes: &[u8]) {
    let trimmed: &[u8] = {
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        &bytes[first..]
    };
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        let mut padded = vec![0];
        padded.extend_from_slice(trimmed);
        put_string(out, &padded);
    } else {
        put_string(out, trimmed);
    }
}

/// A new RSA 2048 key pair as Nova generates one: the private key in PEM
/// (`-----BEGIN RSA PRIVATE KEY-----`) and the public key
/// `ssh-rsa <base64> Generated-by-Nova`.
pub fn generate_rsa() -> Result<(String, String), String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let private = rsa::RsaPrivateKey::new(&mut rand_core(), 2048).map_err(|e| e.to_string())?;
    let pem = private
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| e.to_string())?;
    let public = private.to_public_key();
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, &public.e().to_bytes_be());
    put_mpint(&mut blob, &public.n().to_bytes_be());
    let line = format!(
        "ssh-rsa {} Generated-by-Nova",
        base64::engine::general_purpose::STANDARD.encode(blob)
    );
    Ok((pem.to_string(), line))
}

/// The operating system's random source.
fn rand_core() -> rsa::rand_core::OsRng {
    rsa::rand_core::OsRng
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_novas_test_vectors() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDkbjgPqUSAyPpxHAI/J2wyXVVE3YH0NXJXmWbCywZ4kKXLBkxZwqVJkFpY9vBu3bT+vvh4wZk+Wq0SL1Gj4QePj+fn7cDYyHXWHQ8ZK3nc9I99bChmESD2FDXDVnF8EwLHt4bZh0YVChwyBHTNBqwkaOO3yGu4KdZEHek0f0OETAqGARMfT8IXPFKHR5laz87gZJ/i6nCZEb/Vi73S+dVmrcBqfC+9blQGTqDi5ZvoVMRLzruQDLhvkRwfpZHeUsTT2ia4b82q0f6qSAh1ByicOSaS4rfF/mCjoZLASh3R6szUbW974LjD8wP3wpnhmWif2HLugTatyodd/nyBm05N Generated-by-Nova";
        assert_eq!(
            ssh_fingerprint(rsa).as_deref(),
            Some("e7:66:a1:2c:4f:90:6e:11:19:da:ac:c2:69:e1:ad:89")
        );
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBG1r4wzPTIjSo78POCq+u/czb8gYK0KvqlmCvcRPrnDWxgLw7y6BX51tuYREz7iLRCP7BwUt8R+ZWzFZDeOLIWU= Generated-by-Nova";
        assert_eq!(
            ssh_fingerprint(ecdsa).as_deref(),
            Some("16:6a:c9:ec:80:4d:17:3e:d5:3b:6f:c0:d7:15:04:40")
        );
    }

    #[test]
    fn what_is_not_a_key_has_no_fingerprint() {
        for bad in [
            "",
            "ssh-rsa",
            "ssh-rsa not-base64!",
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQDk",
            "bogus AAAA",
        ] {
            assert_eq!(ssh_fingerprint(bad), None, "{bad}");
        }
        assert!(x509_fingerprint("not a certificate").is_err());
    }

    #[test]
    fn generated_keys_are_keys() {
        let (private, public) = generate_rsa().unwrap();
        assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(public.starts_with("ssh-rsa ") && public.ends_with(" Generated-by-Nova"));
        assert_eq!(ssh_fingerprint(&public).unwrap().len(), 47);
    }
}
