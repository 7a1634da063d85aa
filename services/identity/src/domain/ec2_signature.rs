//! EC2/S3 request signatures as Keystone's `/v3/ec2tokens` checks them
//! (keystoneclient's `Ec2Signer`): AWS signature version 2 (HMAC-SHA256 or
//! HMAC-SHA1 over verb, host, path and the sorted query) and version 4
//! (`AWS4-HMAC-SHA256` with a derived key and a credential scope).

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// What a client sends to have its request's signature checked.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Ec2Request {
    pub access: Option<String>,
    pub signature: Option<String>,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub verb: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body_hash: String,
}

fn hmac256(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `urllib.parse.quote(value, safe=safe)`.
fn quote(value: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~".contains(&byte) || safe.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The sorted, encoded query string both versions sign (the signature left out).
fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", quote(k, b""), quote(v, b"-_~")))
        .collect::<Vec<_>>()
        .join("&")
}

impl Ec2Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request is signed with version 4.
    fn is_v4(&self) -> bool {
        self.params.get("X-Amz-Algorithm").map(String::as_str) == Some("AWS4-HMAC-SHA256")
            || self
                .header("Authorization")
                .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256"))
    }

    /// The signature `secret` gives this request; `None` for a version that is
    /// neither 2 nor 4, or a malformed version-4 request.
    pub fn expected_signature(&self, secret: &str) -> Option<String> {
        if self.params.get("SignatureVersion").map(String::as_str) == Some("2") {
            return Some(self.signature_v2(secret));
        }
        if self.is_v4() {
            return self.signature_v4(secret);
        }
        None
    }

    fn signature_v2(&self, secret: &str) -> String {
        let mut params = self.params.clone();
        let sha1 = params.get("SignatureMethod").map(String::as_str) == Some("HmacSHA1");
        params.insert(
            "SignatureMethod".into(),
            if sha1 { "HmacSHA1" } else { "HmacSHA256" }.into(),
        );
        let to_sign = format!(
            "{}\n{}\n{}\n{}",
            self.verb,
            self.host,
            self.path,
            canonical_query(&params)
        );
        let digest = if sha1 {
            let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key");
            mac.update(to_sign.as_bytes());
            mac.finalize().into_bytes().to_vec()
        } else {
            hmac256(secret.as_bytes(), &to_sign)
        };
        base64::engine::general_purpose::STANDARD.encode(digest)
    }

    /// A version-4 parameter from the `Authorization` header or `X-Amz-*` query.
    fn auth_param(&self, name: &str) -> Option<String> {
        match self.header("Authorization") {
            Some(auth) => auth
                .split_once(&format!("{name}="))
                .map(|(_, rest)| rest.split(',').next().unwrap_or("").trim().to_string()),
            None => self.params.get(&format!("X-Amz-{name}")).cloned(),
        }
    }

    fn signature_v4(&self, secret: &str) -> Option<String> {
        let signed_headers = self.auth_param("SignedHeaders")?;
        let lower: BTreeMap<String, String> = self
            .headers
            .iter()
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut canonical_headers = String::new();
        for name in signed_headers.split(';') {
            if let Some(value) = lower.get(name) {
                canonical_headers.push_str(&format!("{name}:{value}\n"));
            }
        }
        let query = if self.verb.eq_ignore_ascii_case("POST") {
            String::new()
        } else {
            canonical_query(&self.params)
        };
        let request = [
            self.verb.to_ascii_uppercase().as_str(),
            &self.path,
            &query,
            &canonical_headers,
            &signed_headers,
            &self.body_hash,
        ]
        .join("\n");
        let credential = self.auth_param("Credential")?;
        let parts: Vec<&str> = credential.split('/').collect();
        let (date, region, service) = (*parts.get(1)?, *parts.get(2)?, *parts.get(3)?);
        let scope = parts[1..].join("/");
        let stamp = self
            .header("X-Amz-Date")
            .map(str::to_string)
            .or_else(|| self.params.get("X-Amz-Date").cloned())?;
        if !stamp.starts_with(date) {
            return None;
        }
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex(&Sha256::digest(request.as_bytes()))
        );
        let key = [date, region, service, "aws4_request"]
            .iter()
            .fold(format!("AWS4{secret}").into_bytes(), |key, part| {
                hmac256(&key, part)
            });
        Some(hex(&hmac256(&key, &to_sign)))
    }

    /// When the request was signed (`Timestamp` or `X-Amz-Date`), if it says.
    pub fn timestamp(&self) -> Option<&str> {
        self.params
            .get("Timestamp")
            .map(String::as_str)
            .or_else(|| self.header("X-Amz-Date"))
            .or_else(|| self.params.get("X-Amz-Date").map(String::as_str))
    }
}

/// Parses a signing time: ISO 8601 extended (`2015-08-30T12:36:00Z`) or basic
/// (`20150830T123600Z`), UTC when no zone is given.
pub fn parse_timestamp(text: &str) -> Option<chrono::NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    let text = text.strip_suffix('Z').unwrap_or(text);
    ["%Y%m%dT%H%M%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented signature version 4 example (IAM ListUsers).
    #[test]
    fn aws_v4_example() {
        let request = Ec2Request {
            verb: "GET".into(),
            path: "/".into(),
            host: "iam.amazonaws.com".into(),
            params: [("Action", "ListUsers"), ("Version", "2010-05-08")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                ("Host", "iam.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
                ),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
            body_hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            ..Ec2Request::default()
        };
        assert_eq!(
            request
                .expected_signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                .as_deref(),
            Some("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        );
        assert_eq!(request.timestamp(), Some("20150830T123600Z"));
        assert!(parse_timestamp("20150830T123600Z").is_some());
    }

    #[test]
    fn v2_signs_verb_host_path_and_sorted_query() {
        let mut request = Ec2Request {
            verb: "GET".into(),
            host: "ec2.example.com:8773".into(),
            path: "/services/Cloud".into(),
            params: [
                ("SignatureVersion", "2"),
                ("Action", "DescribeInstances"),
                ("AWSAccessKeyId", "a b"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
            ..Ec2Request::default()
        };
        let expected = request.expected_signature("secret").unwrap();
        let to_sign = "GET\nec2.example.com:8773\n/services/Cloud\nAWSAccessKeyId=a%20b&Action=DescribeInstances&SignatureMethod=HmacSHA256&SignatureVersion=2";
        assert_eq!(
            expected,
            base64::engine::general_purpose::STANDARD.encode(hmac256(b"secret", to_sign))
        );
        request
            .params
            .insert("SignatureMethod".into(), "HmacSHA1".into());
        assert_ne!(request.expected_signature("secret").unwrap(), expected);
        request.params.remove("SignatureVersion");
        assert_eq!(request.expected_signature("secret"), None);
    }
}
