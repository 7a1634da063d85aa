//! Cinder's CapabilitiesFilter: every volume type extra spec that is unscoped or
//! scoped `capabilities:` must match what the backend reports, by the operators
//! of Cinder's `extra_specs_ops` (`<is>`, `<in>`, `<or>`, `>=`, `s==`, ...).
//! Other scopes (`RESKEY:`, vendor ones) are not the scheduler's business.

use std::collections::HashMap;

use crate::capabilities::{capability, Reported};
use crate::rpc::messages::Capabilities;

/// Whether backend `c` satisfies every extra spec the filter looks at.
pub fn satisfied(c: &Capabilities, extra_specs: &HashMap<String, String>) -> bool {
    extra_specs.iter().all(|(key, req)| {
        let name = match key.split_once(':') {
            None => key.as_str(),
            Some(("capabilities", rest)) => rest,
            Some(_) => return true,
        };
        // Every capability is a plain value: a deeper scope names nothing.
        !name.contains(':') && capability(c, name).is_some_and(|value| matches(&value, req))
    })
}

/// Python's truth of a word, as `<is>` reads it.
fn word_bool(word: &str) -> bool {
    matches!(
        word.trim().to_lowercase().as_str(),
        "1" | "t" | "true" | "on" | "y" | "yes"
    )
}

/// `<is>`'s view of a capability (its text, for what is not a bool).
fn python_bool(value: &Reported) -> bool {
    match value {
        Reported::Flag(b) => *b,
        Reported::Text(s) => word_bool(s),
        Reported::Int(n) => *n == 1,
        Reported::Number(_) | Reported::Null => false,
    }
}

/// Python's `float()` of a capability; None where it raises.
fn python_float(value: &Reported) -> Option<f64> {
    match value {
        Reported::Flag(b) => Some(f64::from(u8::from(*b))),
        Reported::Int(n) => Some(*n as f64),
        Reported::Number(n) => Some(*n),
        Reported::Text(s) => s.trim().parse().ok(),
        Reported::Null => None,
    }
}

fn as_str<'v>(value: &'v Reported) -> Option<&'v str> {
    match value {
        Reported::Text(s) => Some(s),
        _ => None,
    }
}

/// `extra_specs_ops.match(value, req)`; where Python would raise a TypeError
/// the backend does not match.
fn matches(value: &Reported, req: &str) -> bool {
    let mut words = req.split_whitespace();
    let op = words.next();
    let numeric = |cmp: fn(f64, f64) -> bool| -> Option<bool> {
        let wanted: f64 = words.clone().next()?.trim().parse().ok()?;
        Some(cmp(python_float(value)?, wanted))
    };
    let text_cmp = |cmp: fn(&str, &str) -> bool| -> Option<bool> {
        let wanted = words.clone().next()?;
        Some(cmp(as_str(value)?, wanted))
    };
    let outcome = match op {
        Some("=") | Some(">=") => numeric(|x, y| x >= y),
        Some("==") => numeric(|x, y| x == y),
        Some("!=") => numeric(|x, y| x != y),
        Some("<=") => numeric(|x, y| x <= y),
        Some("<in>") => text_cmp(|x, y| x.contains(y)),
        Some("<is>") => words
            .clone()
            .next()
            .map(|y| python_bool(value) == word_bool(y)),
        Some("s==") => Some(
            words
                .clone()
                .next()
                .is_some_and(|y| as_str(value) == Some(y)),
        ),
        Some("s!=") => Some(
            words
                .clone()
                .next()
                .is_some_and(|y| as_str(value) != Some(y)),
        ),
        Some("s<") => text_cmp(|x, y| x < y),
        Some("s<=") => text_cmp(|x, y| x <= y),
        Some("s>") => text_cmp(|x, y| x > y),
        Some("s>=") => text_cmp(|x, y| x >= y),
        Some("<or>") => {
            if *value == Reported::Null {
                return false;
            }
            // <or> v1 <or> v2 ...: every other word is a value.
            Some(words.step_by(2).any(|w| as_str(value) == Some(w)))
        }
        _ => return as_str(value) == Some(req),
    };
    *value != Reported::Null && outcome.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> Capabilities {
        Capabilities {
            volume_backend_name: "gold".into(),
            storage_protocol: "iSCSI".into(),
            vendor_name: "Open Source".into(),
            free_capacity_gb: 90.5,
            total_capacity_gb: 100.0,
            multiattach: true,
            thin_provisioning_support: true,
            ..Capabilities::default()
        }
    }

    fn passes(specs: &[(&str, &str)]) -> bool {
        let specs = specs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        satisfied(&backend(), &specs)
    }

    #[test]
    fn the_operators_as_cinder_has_them() {
        assert!(passes(&[]));
        assert!(passes(&[("volume_backend_name", "gold")]));
        assert!(!passes(&[("volume_backend_name", "Gold")]));
        assert!(passes(&[("capabilities:storage_protocol", "iSCSI")]));
        assert!(passes(&[("storage_protocol", "<in> SCS")]));
        assert!(passes(&[("storage_protocol", "<or> FC <or> iSCSI")]));
        assert!(!passes(&[("storage_protocol", "<or> FC <or> NFS")]));
        assert!(passes(&[("storage_protocol", "s== iSCSI")]));
        assert!(passes(&[("storage_protocol", "s!= FC")]));
        assert!(passes(&[("storage_protocol", "s> iAAA")]));
        assert!(passes(&[("multiattach", "<is> True")]));
        assert!(passes(&[("thick_provisioning_support", "<is> False")]));
        assert!(!passes(&[("multiattach", "<is> False")]));
        assert!(passes(&[("free_capacity_gb", ">= 90")]));
        assert!(passes(&[("free_capacity_gb", "= 90.5")]));
        assert!(!passes(&[("free_capacity_gb", "== 90")]));
        assert!(passes(&[("free_capacity_gb", "<= 100")]));
        assert!(passes(&[("multiattach", "== 1")]));
        // A bool is not the string "True" unless asked with <is>.
        assert!(!passes(&[("multiattach", "True")]));
        // Numbers against words, strings against numbers: no match, no error.
        assert!(!passes(&[("storage_protocol", ">= 3")]));
        assert!(!passes(&[("free_capacity_gb", "<in> 9")]));
        assert!(!passes(&[("free_capacity_gb", ">=")]));
    }

    #[test]
    fn scopes() {
        // Vendor scopes are ignored, unknown capabilities fail.
        assert!(passes(&[("RESKEY:availability_zones", "nowhere")]));
        assert!(passes(&[("acme:fast", "yes")]));
        assert!(!passes(&[("capabilities:turbo", "<is> True")]));
        assert!(!passes(&[("tier", "gold")]));
        assert!(!passes(&[("capabilities:storage_protocol:x", "iSCSI")]));
    }
}
