//! Nova's extra spec validation (2.86): a key in a namespace Nova knows must
//! be one of its validators' names and its value of their type; keys of other
//! namespaces, and keys without one, pass.

use std::sync::OnceLock;

use regex::Regex;

use super::NovaError;

/// What a validator takes.
enum Kind {
    Bool,
    /// An integer, at least `.0` (and at most `.1`) when given.
    Int(Option<i64>, Option<i64>),
    Str,
    Pattern(&'static str),
    Enum(&'static [&'static str]),
}

use Kind::*;

const CPU_MASK: &str = r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*";
const SHARES: &[&str] = &["custom", "high", "normal", "low"];

/// `(name template, kind)`: `{x}` in a name stands for the pattern after it
/// (`{num:\d+}`).
const VALIDATORS: &[(&str, Kind)] = &[
    ("accel:device_profile", Str),
    ("aggregate_instance_extra_specs:{key:.+}", Str),
    ("capabilities:{key:[a-z_]+(:\\w+)*}", Str),
    ("hw:cpu_realtime", Bool),
    (
        "hw:cpu_realtime_mask",
        Pattern(r"(\^)?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"),
    ),
    ("hw:hide_hypervisor_id", Bool),
    ("hw:cpu_policy", Enum(&["dedicated", "shared", "mixed"])),
    (
        "hw:cpu_thread_policy",
        Enum(&["prefer", "isolate", "require"]),
    ),
    ("hw:emulator_threads_policy", Enum(&["isolate", "share"])),
    ("hw:cpu_dedicated_mask", Pattern(CPU_MASK)),
    (
        "hw:mem_page_size",
        Pattern(r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)"),
    ),
    ("hw:locked_memory", Bool),
    ("hw:numa_nodes", Int(Some(1), None)),
    ("hw:numa_cpus.{num:\\d+}", Pattern(CPU_MASK)),
    ("hw:numa_mem.{num:\\d+}", Int(Some(1), None)),
    (
        "hw:pci_numa_affinity_policy",
        Enum(&["required", "preferred", "legacy", "socket"]),
    ),
    ("hw:cpu_sockets", Int(Some(1), None)),
    ("hw:cpu_cores", Int(Some(1), None)),
    ("hw:cpu_threads", Int(Some(1), None)),
    ("hw:cpu_max_sockets", Int(Some(1), None)),
    ("hw:cpu_max_cores", Int(Some(1), None)),
    ("hw:cpu_max_threads", Int(Some(1), None)),
    ("hw:boot_menu", Bool),
    ("hw:vif_multiqueue_enabled", Bool),
    ("hw:mem_encryption", Bool),
    (
        "hw:mem_encryption_model",
        Enum(&["amd-sev", "amd-sev-es", "amd-sev-snp"]),
    ),
    ("hw:pmem", Pattern(r"([a-zA-Z0-9_]+(,)?)+")),
    ("hw:pmu", Bool),
    ("hw:serial_port_count", Int(Some(0), None)),
    ("hw:tpm_model", Enum(&["tpm-tis", "tpm-crb"])),
    ("hw:tpm_version", Enum(&["1.2", "2.0"])),
    (
        "hw:tpm_secret_security",
        Enum(&["user", "host", "deployment"]),
    ),
    (
        "hw:watchdog_action",
        Enum(&["none", "pause", "poweroff", "reset", "disabled"]),
    ),
    (
        "hw:viommu_model",
        Enum(&["intel", "smmuv3", "virtio", "auto"]),
    ),
    ("hw:virtio_packed_ring", Bool),
    (
        "hw:sound_model",
        Enum(&[
            "sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio",
        ]),
    ),
    ("hw:usb_model", Enum(&["none", "nec-xhci", "qemu-xhci"])),
    ("hw:redirected_usb_ports", Int(Some(0), Some(15))),
    ("hw:ephemeral_encryption", Bool),
    (
        "hw:ephemeral_encryption_format",
        Enum(&["plain", "luks", "luksv2"]),
    ),
    ("hw_rng:allowed", Bool),
    ("hw_rng:rate_bytes", Int(Some(0), None)),
    ("hw_rng:rate_period", Int(Some(0), None)),
    ("hw_video:ram_max_mb", Int(Some(0), None)),
    ("hide_hypervisor_id", Bool),
    ("group_policy", Enum(&["isolate", "none"])),
    ("os:secure_boot", Enum(&["disabled", "required"])),
    (
        "pci_passthrough:alias",
        Pattern(r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*"),
    ),
    (
        "quota:{r:(cpu|memory|disk_io|vif)}_limit",
        Int(Some(0), None),
    ),
    (
        "quota:{r:(cpu|memory|disk_io|vif)}_reservation",
        Int(None, None),
    ),
    (
        "quota:{r:(cpu|memory|disk_io|vif)}_shares_level",
        Enum(SHARES),
    ),
    (
        "quota:{r:(cpu|memory|disk_io|vif)}_shares_share",
        Int(Some(0), None),
    ),
    ("quota:cpu_shares", Int(Some(0), None)),
    ("quota:cpu_period", Int(Some(0), None)),
    ("quota:cpu_quota", Int(None, None)),
    (
        "quota:disk_{op:(read|write|total)_(bytes|iops)}_sec",
        Int(Some(0), None),
    ),
    (
        "quota:vif_{dir:(inbound|outbound)_(average|peak|burst)}",
        Int(Some(0), None),
    ),
    (
        "resources{group:([a-zA-Z0-9_-]{1,64})?}:{rc:[A-Z][A-Z0-9_]*}",
        Int(None, None),
    ),
    (
        "trait{group:([a-zA-Z0-9_-]{1,64})?}:{trait:[A-Z][A-Z0-9_]*}",
        Enum(&["required", "forbidden"]),
    ),
    ("vmware:hw_version", Str),
    ("vmware:storage_policy", Str),
];

/// Namespaces whose keys must be a validator's.
const NAMESPACES: &[&str] = &[
    "accel",
    "aggregate_instance_extra_specs",
    "capabilities",
    "hw",
    "hw_rng",
    "hw_video",
    "os",
    "pci_passthrough",
    "quota",
    "resources([a-zA-Z0-9_-]{1,64})?",
    "trait([a-zA-Z0-9_-]{1,64})?",
    "vmware",
];

/// A name template as an anchored regular expression: `{name:pattern}` (or
/// `{name}`, any text) stands for its pattern, braces inside it balanced.
fn template(name: &str) -> String {
    let mut out = String::from("^(?:");
    let mut literal = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            literal.push(c);
            continue;
        }
        out.push_str(&regex::escape(&literal));
        literal.clear();
        let mut depth = 1;
        let mut inner = String::new();
        for c in chars.by_ref() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            inner.push(c);
        }
        let pattern = inner.split_once(':').map_or(".+", |(_, p)| p);
        out.push_str(&format!("(?:{pattern})"));
    }
    out.push_str(&regex::escape(&literal));
    out.push_str(")$");
    out
}

/// The validators' names and the namespaces, compiled once.
struct Rules {
    validators: Vec<(Regex, &'static Kind)>,
    namespaces: Vec<Regex>,
}

fn compiled() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let validators = VALIDATORS
            .iter()
            .filter_map(|(name, kind)| Regex::new(&template(name)).ok().map(|re| (re, kind)))
            .collect();
        let namespaces = NAMESPACES
            .iter()
            .filter_map(|ns| Regex::new(&format!("^(?:{ns})$")).ok())
            .collect();
        Rules {
            validators,
            namespaces,
        }
    })
}

fn failed(why: String) -> NovaError {
    NovaError::BadRequest(format!("Validation failed; {why}"))
}

/// Checks one extra spec as Nova's validators do from 2.86.
pub fn validate(name: &str, value: &str) -> Result<(), NovaError> {
    let Rules {
        validators,
        namespaces,
    } = compiled();
    let Some((_, kind)) = validators.iter().find(|(re, _)| re.is_match(name)) else {
        let Some((namespace, _)) = name.split_once(':') else {
            return Ok(());
        };
        if namespaces.iter().any(|re| re.is_match(namespace)) {
            return Err(failed(format!(
                "extra spec '{name}' does not appear to be a valid extra spec."
            )));
        }
        return Ok(());
    };
    match kind {
        Bool => {
            let word = value.trim().to_ascii_lowercase();
            if ![
                "1", "t", "true", "on", "y", "yes", "0", "f", "false", "off", "n", "no",
            ]
            .contains(&word.as_str())
            {
                return Err(failed(format!(
                    "'{value}' is not a valid boolean-like value."
                )));
            }
        }
        Int(min, max) => {
            let number: i64 = value
                .trim()
                .parse()
                .map_err(|_| failed(format!("'{value}' is not a valid integer value.")))?;
            if let Some(max) = max.filter(|m| number > *m) {
                return Err(failed(format!(
                    "'{value}' is greater than the max value of '{max}'."
                )));
            }
            if let Some(min) = min.filter(|m| number < *m) {
                return Err(failed(format!(
                    "'{value}' is less than the min value of '{min}'."
                )));
            }
        }
        Str => {}
        Pattern(pattern) => {
            let whole = Regex::new(&format!("^(?:{pattern})$"))
                .map(|re| re.is_match(value))
                .unwrap_or(false);
            if !whole {
                return Err(failed(format!(
                    "'{value}' is not of the format '{pattern}'."
                )));
            }
        }
        Enum(allowed) => {
            if !allowed.contains(&value) {
                return Err(failed(format!(
                    "'{value}' is not one of: {}.",
                    allowed.join(", ")
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn validators_namespaces_and_free_keys() {
        assert!(validate("hw:cpu_policy", "shared").is_ok());
        assert_eq!(
            validate("hw:cpu_policy", "lazy").unwrap_err().to_string(),
            "Validation failed; 'lazy' is not one of: dedicated, shared, mixed."
        );
        assert_eq!(
            validate("hw:numa_nodes", "0").unwrap_err().to_string(),
            "Validation failed; '0' is less than the min value of '1'."
        );
        assert!(validate("hw:numa_cpus.0", "0-3").is_ok());
        assert_eq!(
            validate("hw:wings", "2").unwrap_err().to_string(),
            "Validation failed; extra spec 'hw:wings' does not appear to be a valid extra spec."
        );
        assert!(validate("resources:VCPU", "2").is_ok());
        assert!(validate("resources1:CUSTOM_GPU", "x").is_err());
        assert!(validate("trait:HW_CPU_X86_AVX", "required").is_ok());
        assert!(validate("aggregate_instance_extra_specs:ssd", "true").is_ok());
        assert!(
            validate("acme:turbo", "on").is_ok(),
            "unknown namespaces pass"
        );
        assert!(
            validate("plain", "anything").is_ok(),
            "keys without one pass"
        );
        assert!(validate("quota:disk_read_iops_sec", "-1").is_err());
        assert!(validate("hw_rng:allowed", "maybe").is_err());
    }
}
