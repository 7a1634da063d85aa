//! OAuth 1.0a request signatures (RFC 5849) as Keystone checks them: the
//! `Authorization: OAuth ...` header, HMAC-SHA1 over the signature base string,
//! a timestamp within ten minutes.

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{Error, Result};

/// How far a request's `oauth_timestamp` may be from now.
const TIMESTAMP_WINDOW_SECS: i64 = 600;

/// Keystone's verifier alphabet: letters and digits without look-alikes.
const VERIFIER_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghkmnpqrstuvwxyz23456789";

/// The OAuth parameters of a request's `Authorization` header.
#[derive(Debug, Clone, PartialEq)]
pub struct OauthParams(pub BTreeMap<String, String>);

impl OauthParams {
    /// Parses `OAuth k="v", ...` (values percent-encoded).
    pub fn parse(header: &str) -> Result<Self> {
        let rest = header
            .trim()
            .strip_prefix("OAuth ")
            .ok_or_else(|| Error::invalid("Expecting an OAuth Authorization header."))?;
        let mut params = BTreeMap::new();
        for pair in rest.split(',') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| Error::invalid("Malformed OAuth Authorization header."))?;
            let value = value.trim().trim_matches('"');
            params.insert(decode(key.trim())?, decode(value)?);
        }
        Ok(OauthParams(params))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A parameter the request must carry (400 without it, as Keystone answers).
    pub fn require(&self, key: &str) -> Result<&str> {
        self.get(key)
            .ok_or_else(|| Error::invalid(format!("Expecting to find {key} in request")))
    }

    /// Checks the signature of a `method` request to `url` (no query) with extra
    /// `query` parameters, signed with `consumer_secret` and `token_secret`.
    pub fn verify(
        &self,
        method: &str,
        url: &str,
        query: &[(String, String)],
        consumer_secret: &str,
        token_secret: &str,
    ) -> Result<()> {
        let failed = |detail: &str| {
            Error::invalid(format!(
                "Validation failed with errors: invalid_request, detail message is: {detail}."
            ))
        };
        for key in [
            "oauth_signature",
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_timestamp",
        ] {
            if self.get(key).is_none() {
                return Err(failed(&format!(
                    "Missing mandatory OAuth parameters: {key}"
                )));
            }
        }
        if self.get("oauth_signature_method") != Some("HMAC-SHA1") {
            return Err(failed("Invalid signature method."));
        }
        if self.get("oauth_version").is_some_and(|v| v != "1.0") {
            return Err(failed("Invalid OAuth version."));
        }
        let timestamp: i64 = self
            .require("oauth_timestamp")?
            .parse()
            .map_err(|_| failed("Timestamp must be an integer."))?;
        if (chrono::Utc::now().timestamp() - timestamp).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(failed(
                "Timestamp given is invalid, differ from allowed by over 600 seconds.",
            ));
        }
        let expected = sign(
            &base_string(method, url, self, query),
            consumer_secret,
            token_secret,
        );
        let given = self.require("oauth_signature")?;
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Err(Error::Unauthorized("Invalid signature".into()));
        }
        Ok(())
    }
}

/// RFC 3986 percent-encoding (unreserved characters kept).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::invalid("Malformed OAuth Authorization header."))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::invalid("Malformed OAuth Authorization header."))
}

/// `METHOD&enc(url)&enc(sorted params)`, the signature and realm left out.
pub fn base_string(
    method: &str,
    url: &str,
    params: &OauthParams,
    query: &[(String, String)],
) -> String {
    let mut pairs: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| k.as_str() != "oauth_signature" && k.as_str() != "realm")
        .map(|(k, v)| (encode(k), encode(v)))
        .chain(query.iter().map(|(k, v)| (encode(k), encode(v))))
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(url),
        encode(&normalized)
    )
}

/// base64(HMAC-SHA1(enc(consumer_secret)&enc(token_secret), base)).
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares two signatures in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new 8-character verifier, as Keystone makes them.
pub fn new_verifier() -> String {
    use rand::seq::SliceRandom;
    let mut rng = rand::thread_rng();
    VERIFIER_CHARS
        .choose_multiple(&mut rng, 8)
        .map(|b| *b as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5849_example_signature() {
        // RFC 5849 section 1.2's request-token example (HMAC-SHA1).
        let params = OauthParams::parse(
            "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", \
             oauth_nonce=\"wIjqoS\", oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\", \
             oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\"",
        )
        .unwrap();
        let base = base_string("post", "https://photos.example.net/initiate", &params, &[]);
        assert_eq!(
            sign(&base, "kd94hf93k423kf44", ""),
            "74KNZJeDHnMBp0EMJ9ZHt/XKycU="
        );
        assert_eq!(
            params.get("oauth_signature"),
            Some("74KNZJeDHnMBp0EMJ9ZHt/XKycU=")
        );
    }

    #[test]
    fn stale_or_forged_requests_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let header = |ts: i64, sig: &str| {
            format!(
                "OAuth oauth_consumer_key=\"c\", oauth_signature_method=\"HMAC-SHA1\", \
                 oauth_timestamp=\"{ts}\", oauth_nonce=\"1\", oauth_version=\"1.0\", \
                 oauth_signature=\"{sig}\""
            )
        };
        let unsigned = OauthParams::parse(&header(now, "x")).unwrap();
        let good = sign(
            &base_string("POST", "http://h/v3/x", &unsigned, &[]),
            "s",
            "",
        );
        let signed = OauthParams::parse(&header(now, &encode(&good))).unwrap();
        assert!(signed.verify("POST", "http://h/v3/x", &[], "s", "").is_ok());
        assert!(matches!(
            signed.verify("POST", "http://h/v3/x", &[], "wrong", ""),
            Err(Error::Unauthorized(_))
        ));
        assert!(signed
            .verify("POST", "http://h/v3/y", &[], "s", "")
            .is_err());
        let stale = OauthParams::parse(&header(now - 3600, &encode(&good))).unwrap();
        assert!(matches!(
            stale.verify("POST", "http://h/v3/x", &[], "s", ""),
            Err(Error::Validation(_))
        ));
        assert!(OauthParams::parse("Basic abc").is_err());
    }

    #[test]
    fn verifiers() {
        let v = new_verifier();
        assert_eq!(v.len(), 8);
        assert!(v.bytes().all(|b| VERIFIER_CHARS.contains(&b)));
    }
}
