//! keystonemiddleware's `memcache_security_strategy` for cached validations in
//! memcached: whoever reaches memcached must neither read a validation nor plant
//! one (an admin context for any token). Keys are derived per token from
//! `memcache_secret_key` with HMAC-SHA384 — a third each for the cache key, the
//! encryption key and the MAC key — so the token never appears in memcached.
//! `MAC` signs the stored value; `ENCRYPT` encrypts it (AES-128-CBC, random IV)
//! and signs it. A value whose MAC does not verify is treated as a miss.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha384;

type HmacSha384 = Hmac<Sha384>;
const DIGEST_LEN: usize = 48;
const SPLIT: usize = DIGEST_LEN / 3;
/// The base64 length of a SHA-384 MAC.
const MAC_B64_LEN: usize = 64;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How cached values are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Mac,
    Encrypt,
}

impl Strategy {
    /// Parses the option's value; `None` (any case) or empty means unprotected.
    pub fn parse(value: &str) -> Result<Option<Strategy>, String> {
        match value.to_ascii_uppercase().as_str() {
            "" | "NONE" => Ok(None),
            "MAC" => Ok(Some(Strategy::Mac)),
            "ENCRYPT" => Ok(Some(Strategy::Encrypt)),
            other => Err(format!("{other:?} is not one of None, MAC, ENCRYPT")),
        }
    }

    fn name(self) -> &'static [u8] {
        match self {
            Strategy::Mac => b"MAC",
            Strategy::Encrypt => b"ENCRYPT",
        }
    }
}

/// The keys of one token's cache entry.
pub struct EntryKeys {
    strategy: Strategy,
    cache_key: [u8; SPLIT],
    encryption: [u8; SPLIT],
    mac: [u8; SPLIT],
}

impl EntryKeys {
    /// Derives the keys of `token`'s entry.
    pub fn derive(secret: &[u8], token: &str, strategy: Strategy) -> Self {
        let mut hmac = HmacSha384::new_from_slice(secret).expect("HMAC takes any key length");
        hmac.update(token.as_bytes());
        hmac.update(strategy.name());
        let digest = hmac.finalize().into_bytes();
        let part = |i: usize| -> [u8; SPLIT] {
            digest[i * SPLIT..(i + 1) * SPLIT]
                .try_into()
                .expect("a third of the digest")
        };
        EntryKeys {
            strategy,
            cache_key: part(0),
            encryption: part(1),
            mac: part(2),
        }
    }

    /// The memcached key: derived, never the token.
    pub fn cache_key(&self) -> String {
        B64.encode(self.cache_key)
    }

    fn sign(&self, data: &[u8]) -> String {
        let mut hmac = HmacSha384::new_from_slice(&self.mac).expect("HMAC takes any key length");
        hmac.update(data);
        B64.encode(hmac.finalize().into_bytes())
    }

    /// The value stored for `plain`.
    pub fn protect(&self, plain: &[u8]) -> String {
        let data = match self.strategy {
            Strategy::Mac => plain.to_vec(),
            Strategy::Encrypt => {
                let iv: [u8; 16] = rand::random();
                let cipher =
                    cbc::Encryptor::<aes::Aes128>::new(&self.encryption.into(), &iv.into());
                let mut out = iv.to_vec();
                out.extend(cipher.encrypt_padded_vec_mut::<Pkcs7>(plain));
                out
            }
        };
        let encoded = B64.encode(data);
        let mut signed = self.sign(encoded.as_bytes());
        signed.push_str(&encoded);
        signed
    }

    /// What `stored` holds, if its MAC verifies (and it decrypts).
    pub fn unprotect(&self, stored: &str) -> Option<Vec<u8>> {
        if stored.len() < MAC_B64_LEN || !stored.is_char_boundary(MAC_B64_LEN) {
            return None;
        }
        let (mac, encoded) = stored.split_at(MAC_B64_LEN);
        let mac = B64.decode(mac).ok()?;
        let mut hmac = HmacSha384::new_from_slice(&self.mac).expect("HMAC takes any key length");
        hmac.update(encoded.as_bytes());
        hmac.verify_slice(&mac).ok()?;
        let data = B64.decode(encoded).ok()?;
        match self.strategy {
            Strategy::Mac => Some(data),
            Strategy::Encrypt => {
                if data.len() < 32 {
                    return None;
                }
                let (iv, sealed) = data.split_at(16);
                let iv: [u8; 16] = iv.try_into().ok()?;
                cbc::Decryptor::<aes::Aes128>::new(&self.encryption.into(), &iv.into())
                    .decrypt_padded_vec_mut::<Pkcs7>(sealed)
                    .ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering() {
        for strategy in [Strategy::Mac, Strategy::Encrypt] {
            let keys = EntryKeys::derive(b"secret", "gAAAAAtoken", strategy);
            let stored = keys.protect(br#"{"roles":["member"]}"#);
            assert_eq!(
                keys.unprotect(&stored).as_deref(),
                Some(&br#"{"roles":["member"]}"#[..])
            );
            // A planted value without the secret: refused.
            let forged = EntryKeys::derive(b"guess", "gAAAAAtoken", strategy)
                .protect(br#"{"roles":["admin"]}"#);
            assert_eq!(keys.unprotect(&forged), None);
            let mut flipped = stored.clone().into_bytes();
            let last = flipped.len() - 2;
            flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
            assert_eq!(keys.unprotect(&String::from_utf8(flipped).unwrap()), None);
            assert_eq!(keys.unprotect("short"), None);
            assert!(!keys.cache_key().contains("token"));
        }
        let encrypted = EntryKeys::derive(b"secret", "t", Strategy::Encrypt).protect(b"admin");
        assert!(!String::from_utf8_lossy(&B64.decode(&encrypted[64..]).unwrap()).contains("admin"));
    }

    #[test]
    fn strategies_parse_as_keystonemiddleware_names_them() {
        assert_eq!(Strategy::parse("None"), Ok(None));
        assert_eq!(Strategy::parse("mac"), Ok(Some(Strategy::Mac)));
        assert_eq!(Strategy::parse("ENCRYPT"), Ok(Some(Strategy::Encrypt)));
        assert!(Strategy::parse("rot13").is_err());
    }
}
