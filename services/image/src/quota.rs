//! Per-project image quotas from configuration, with the resource names of Glance's
//! unified limits (`image_count_total`, `image_count_uploading`, `image_size_total`,
//! `image_stage_total`, sizes in MiB) and the legacy `[DEFAULT] user_storage_quota`.

use ferrostack_config::{Config, ConfigError, Opt};

pub const IMAGE_COUNT_TOTAL: Opt = Opt::new(
    "image_quota",
    "image_count_total",
    "-1",
    "Images a project may have; -1 is unlimited.",
);
pub const IMAGE_COUNT_UPLOADING: Opt = Opt::new(
    "image_quota",
    "image_count_uploading",
    "-1",
    "Images a project may be uploading or importing at once; -1 is unlimited.",
);
pub const IMAGE_SIZE_TOTAL: Opt = Opt::new(
    "image_quota",
    "image_size_total",
    "-1",
    "MiB of image data a project may store; -1 is unlimited.",
);
pub const IMAGE_STAGE_TOTAL: Opt = Opt::new(
    "image_quota",
    "image_stage_total",
    "-1",
    "MiB of staged (not yet imported) data a project may hold; -1 is unlimited.",
);
pub const USER_STORAGE_QUOTA: Opt = Opt::new(
    "DEFAULT",
    "user_storage_quota",
    "0",
    "Bytes of image data a project may store (suffixes B, KB, MB, GB, TB); 0 is unlimited.",
);

/// Every quota option.
pub const QUOTA_OPTS: &[Opt] = &[
    IMAGE_COUNT_TOTAL,
    IMAGE_COUNT_UPLOADING,
    IMAGE_SIZE_TOTAL,
    IMAGE_STAGE_TOTAL,
    USER_STORAGE_QUOTA,
];

const MIB: u64 = 1024 * 1024;

/// The limits; `None` is unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaLimits {
    pub image_count_total: Option<u64>,
    pub image_count_uploading: Option<u64>,
    /// Bytes: the smaller of `image_size_total` and `user_storage_quota`.
    pub image_size_total: Option<u64>,
    /// Bytes.
    pub image_stage_total: Option<u64>,
}

impl QuotaLimits {
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let limit = |opt: &Opt| -> Result<Option<u64>, ConfigError> {
            let value: i64 = config.get_parsed(opt)?;
            Ok(u64::try_from(value).ok())
        };
        let legacy = parse_size(&config.get_string(&USER_STORAGE_QUOTA)).ok_or_else(|| {
            ConfigError::invalid(
                &USER_STORAGE_QUOTA,
                "expected bytes with an optional B/KB/MB/GB/TB suffix",
            )
        })?;
        let size_total = limit(&IMAGE_SIZE_TOTAL)?.map(|mib| mib.saturating_mul(MIB));
        let legacy = (legacy > 0).then_some(legacy);
        Ok(QuotaLimits {
            image_count_total: limit(&IMAGE_COUNT_TOTAL)?,
            image_count_uploading: limit(&IMAGE_COUNT_UPLOADING)?,
            image_size_total: match (size_total, legacy) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            image_stage_total: limit(&IMAGE_STAGE_TOTAL)?.map(|mib| mib.saturating_mul(MIB)),
        })
    }
}

/// `10GB` → bytes (binary multiples, as Glance's `user_storage_quota`).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let multiplier: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(multiplier)
}

/// A limit `resource` would pass: Glance's `LimitExceeded` text, for a 413.
pub fn exceeded(resource: &str, limit: u64, usage: u64, delta: u64) -> String {
    format!(
        "Resource {resource} is over limit of {limit} due to current usage {usage} and delta {delta}"
    )
}

/// Whether `usage + delta` stays within `limit`.
pub fn within(limit: Option<u64>, usage: u64, delta: u64) -> bool {
    limit.is_none_or(|l| usage.saturating_add(delta) <= l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_limits() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("10GB"), Some(10 << 30));
        assert_eq!(parse_size("5 mb"), Some(5 << 20));
        assert_eq!(parse_size("x"), None);
        let mut config = Config::default();
        config.set("image_quota", "image_size_total", "2");
        config.set("DEFAULT", "user_storage_quota", "1MB");
        let limits = QuotaLimits::from_config(&config).unwrap();
        assert_eq!(limits.image_size_total, Some(MIB));
        assert_eq!(limits.image_count_total, None);
        assert!(within(Some(3), 2, 1));
        assert!(!within(Some(3), 3, 1));
        assert!(within(None, u64::MAX, 1));
        config.set("DEFAULT", "user_storage_quota", "lots");
        assert!(QuotaLimits::from_config(&config).is_err());
    }
}
