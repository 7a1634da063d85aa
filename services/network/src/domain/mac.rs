//! Port MAC addresses: random under the configured `base_mac` prefix, and the
//! checks on one a request names.

use rand::Rng;

use super::{NeutronError, Result};

/// A random address keeping the first `fixed` bytes of `base`.
pub fn random(base: &([u8; 6], usize)) -> String {
    let (bytes, fixed) = base;
    let mut rng = rand::thread_rng();
    let mac: Vec<String> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| if i < *fixed { *b } else { rng.gen() })
        .map(|b| format!("{b:02x}"))
        .collect();
    mac.join(":")
}

/// A MAC address a request names, in Neutron's lower-case colon form; 400
/// for anything else (or a multicast, broadcast or all-zero address).
pub fn parse(value: &str) -> Result<String> {
    let invalid = || {
        NeutronError::bad_request(format!(
            "Invalid input for mac_address. Reason: '{value}' is not a valid MAC address."
        ))
    };
    let bytes: Vec<u8> = value
        .split([':', '-'])
        .map(|b| {
            (b.len() == 2)
                .then(|| u8::from_str_radix(b, 16).ok())
                .flatten()
        })
        .collect::<Option<_>>()
        .ok_or_else(invalid)?;
    if bytes.len() != 6 || bytes.iter().all(|b| *b == 0) || bytes[0] & 1 == 1 {
        return Err(invalid());
    }
    Ok(bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_addresses_keep_the_prefix() {
        let mac = random(&([0xfa, 0x16, 0x3e, 0, 0, 0], 3));
        assert!(mac.starts_with("fa:16:3e:"), "{mac}");
        assert_eq!(parse(&mac).unwrap(), mac);
    }

    #[test]
    fn named_addresses_are_checked() {
        assert_eq!(parse("FA-16-3E-00-00-01").unwrap(), "fa:16:3e:00:00:01");
        for bad in [
            "00:00:00:00:00:00",
            "ff:ff:ff:ff:ff:ff",
            "01:00:5e:00:00:01",
            "fa:16:3e",
            "zz:16:3e:00:00:01",
            "fa:16:3e:0:0:1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
