//! Cinder's CapabilitiesFilter: every volume type extra spec that is unscoped or
//! scoped `capabilities:` must match what the backend reports, by the operators
//! of Cinder's `extra_specs_ops` (`<is>`, `<in>`, `<or>`, `>=`, `s==`, ...).
//! Other scopes (`RESKEY:`, vendor ones) are not the scheduler's business.

use std::collections::HashMap;

use crate::rpc::messages::Capabilities;
use serde_json::Value;

/// Whether backend `c` satisfies every extra spec the filter looks at.
pub fn satisfied(c: &Capabilities, extra_specs: &HashMap<String, String>) -> bool {
    let capabilities = Value::Object(crate::capabilities::as_map(c));
    extra_specs.iter().all(|(key, req)| {
        let mut scope: Vec<&str> = key.split(':').collect();
        if scope.len() > 1 && scope[0] != "capabilities" {
            return true;
        }
        if scope[0] == "capabilities" {
            scope.remove(0);
        }
        let mut cap = &capabilities;
        for name in scope {
            match cap.get(name) {
                Some(inner) => cap = inner,
                None => return false,
            }
        }
        matches(cap, req)
    })
}

/// oslo's `bool_from_string`, not strict.
fn python_bool(value: &Value) -> bool {
    let text = match value {
        Value::Bool(b) => return *b,
        Value::String(s) => s.trim().to_lowercase(),
        other => other.to_string(),
    };
    matches!(text.as_str(), "1" | "t" | "true" | "on" | "y" | "yes")
}

/// Python's `float()` of a capability or requirement; None where it raises.
fn python_float(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `extra_specs_ops.match(value, req)`; where Python would raise a TypeError
/// the backend does not match.
fn matches(value: &Value, req: &str) -> bool {
    let mut words = req.split_whitespace();
    let op = words.next();
    let numeric = |cmp: fn(f64, f64) -> bool| -> Option<bool> {
        let wanted = python_float(&Value::String(words.clone().next()?.into()))?;
        Some(cmp(python_float(value)?, wanted))
    };
    let text_cmp = |cmp: fn(&str, &str) -> bool| -> Option<bool> {
        let wanted = words.clone().next()?;
        Some(cmp(value.as_str()?, wanted))
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
            .map(|y| python_bool(value) == python_bool(&Value::String(y.into()))),
        Some("s==") => Some(
            words
                .clone()
                .next()
                .is_some_and(|y| value.as_str() == Some(y)),
        ),
        Some("s!=") => Some(
            words
                .clone()
                .next()
                .is_some_and(|y| value.as_str() != Some(y)),
        ),
        Some("s<") => text_cmp(|x, y| x < y),
        Some("s<=") => text_cmp(|x, y| x <= y),
        Some("s>") => text_cmp(|x, y| x > y),
        Some("s>=") => text_cmp(|x, y| x >= y),
        Some("<or>") => {
            if value.is_null() {
                return false;
            }
            // <or> v1 <or> v2 ...: every other word is a value.
            Some(words.step_by(2).any(|w| value.as_str() == Some(w)))
        }
        _ => return value.as_str() == Some(req),
    };
    !value.is_null() && outcome.unwrap_or(false)
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
