//! `os-instance_usage_audit_log` (admin): how the compute hosts' instance
//! usage audits of the last completed period (a calendar month, Nova's
//! default `instance_usage_audit_period`) went. No agent here runs the audit
//! (Nova's `instance_usage_audit` is off by default too), so every compute
//! host is reported as not having run it.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::json;

use super::{Caller, Nova, Result};

/// The audit report of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLog {
    pub period_beginning: NaiveDateTime,
    pub period_ending: NaiveDateTime,
    pub hosts: Vec<String>,
    /// Hosts whose audit of the period finished.
    pub done: Vec<String>,
}

impl AuditLog {
    /// Nova's `overall_status`: `ALL hosts done. 0 errors.` or `1 of 3 ...`.
    pub fn overall_status(&self) -> String {
        let done = if self.done.len() == self.hosts.len() {
            "ALL".to_string()
        } else {
            format!("{} of {}", self.done.len(), self.hosts.len())
        };
        format!("{done} hosts done. 0 errors.")
    }

    /// The hosts that did not run the audit.
    pub fn not_run(&self) -> Vec<String> {
        self.hosts
            .iter()
            .filter(|h| !self.done.contains(h))
            .cloned()
            .collect()
    }
}

/// The last calendar month completed before `before`: its first moment and
/// the first moment of the next.
pub fn last_completed_month(before: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let first = |year: i32, month: u32| {
        NaiveDate::from_ymd_opt(year, month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    let end = first(before.year(), before.month());
    let (year, month) = if before.month() == 1 {
        (before.year() - 1, 12)
    } else {
        (before.year(), before.month() - 1)
    };
    (first(year, month), end)
}

impl Nova {
    /// The audit report of the last period completed before `before` (now
    /// when None); `rule` is the list or show rule.
    pub async fn usage_audit_log(
        &self,
        caller: &Caller,
        rule: &str,
        before: Option<NaiveDateTime>,
    ) -> Result<AuditLog> {
        self.authorize(caller, rule, &json!({}))?;
        let (begin, end) =
            last_completed_month(before.unwrap_or_else(|| chrono::Utc::now().naive_utc()));
        let mut hosts: Vec<String> = self
            .services()
            .await?
            .into_iter()
            .filter(|s| s.state.binary == "nova-compute")
            .map(|s| s.state.host)
            .collect();
        hosts.sort();
        hosts.dedup();
        Ok(AuditLog {
            period_beginning: begin,
            period_ending: end,
            hosts,
            done: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn the_last_completed_month() {
        assert_eq!(
            last_completed_month(at("2026-12-06 10:00:00")),
            (at("2026-11-01 00:00:00"), at("2026-12-01 00:00:00"))
        );
        assert_eq!(
            last_completed_month(at("2027-01-01 00:00:00")),
            (at("2026-12-01 00:00:00"), at("2027-01-01 00:00:00"))
        );
    }

    #[test]
    fn statuses_count_the_hosts_done() {
        let mut log = AuditLog {
            period_beginning: at("2026-11-01 00:00:00"),
            period_ending: at("2026-12-01 00:00:00"),
            hosts: vec!["a".into(), "b".into()],
            done: vec![],
        };
        assert_eq!(log.overall_status(), "0 of 2 hosts done. 0 errors.");
        assert_eq!(log.not_run(), ["a", "b"]);
        log.done = log.hosts.clone();
        assert_eq!(log.overall_status(), "ALL hosts done. 0 errors.");
    }
}
