//! `[security_compliance]` applied to local users: the password pattern, history,
//! minimum age and expiry, and the lockout after failed logins, with Keystone's
//! messages.

use chrono::{Duration, NaiveDateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use serde_json::{Map, Value};

use super::{new_id, passwords, Error, Extra, Identity, Result};
use crate::db::entity::{password_history, user};
use crate::security_compliance::SecurityCompliance;

/// The user options Keystone knows, with their type: booleans, or for the MFA
/// rules a list of lists of method names.
const BOOL_OPTIONS: [&str; 6] = [
    "ignore_change_password_upon_first_use",
    "ignore_password_expiry",
    "ignore_lockout_failure_attempts",
    "lock_password",
    "ignore_user_inactivity",
    "multi_factor_auth_enabled",
];

/// A user's options (stored under `options` in its extras).
pub fn options_of(u: &user::Model) -> Map<String, Value> {
    match Extra::parse(&u.extra).0.get("options") {
        Some(Value::Object(options)) => options.clone(),
        _ => Map::new(),
    }
}

/// Whether a boolean user option is set.
pub fn has_option(options: &Map<String, Value>, name: &str) -> bool {
    options.get(name).and_then(Value::as_bool).unwrap_or(false)
}

/// Applies an options update: known options set, `null` removing one.
pub fn merge_options(
    mut current: Map<String, Value>,
    update: Map<String, Value>,
) -> Result<Map<String, Value>> {
    for (name, value) in update {
        let valid = match (name.as_str(), &value) {
            (_, Value::Null) => true,
            (n, Value::Bool(_)) => BOOL_OPTIONS.contains(&n),
            ("multi_factor_auth_rules", Value::Array(rules)) => rules.iter().all(|rule| {
                rule.as_array()
                    .is_some_and(|methods| methods.iter().all(Value::is_string))
            }),
            _ => false,
        };
        if !valid || !(BOOL_OPTIONS.contains(&name.as_str()) || name == "multi_factor_auth_rules") {
            return Err(Error::invalid(format!(
                "Invalid input for field 'options/{name}': {value} is not a valid value for this option"
            )));
        }
        if value.is_null() {
            current.remove(&name);
        } else {
            current.insert(name, value);
        }
    }
    Ok(current)
}

/// Who sets a password: the user themself (history and age apply) or an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    User,
    Admin,
}

/// A new password against `password_regex`.
pub fn check_pattern(rules: &SecurityCompliance, password: &str) -> Result<()> {
    match &rules.password_regex {
        Some(pattern) if !pattern.is_match(password) => Err(Error::invalid(format!(
            "The password does not meet the requirements: {}",
            rules
                .password_regex_description
                .as_deref()
                .unwrap_or("it does not match the required pattern")
        ))),
        _ => Ok(()),
    }
}

/// When a password set now by `who` for a user with `options` expires.
pub fn expiry(
    rules: &SecurityCompliance,
    who: SetBy,
    options: &Map<String, Value>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    if has_option(options, "ignore_password_expiry") {
        return None;
    }
    if who == SetBy::Admin
        && rules.change_password_upon_first_use
        && !has_option(options, "ignore_change_password_upon_first_use")
    {
        return Some(now);
    }
    rules
        .password_expires_days
        .map(|days| now + Duration::days(i64::from(days)))
}

/// Whether a user is locked out now (too many failures, within the lockout time).
pub fn locked(rules: &SecurityCompliance, u: &user::Model, now: NaiveDateTime) -> bool {
    let Some(attempts) = rules.lockout_failure_attempts else {
        return false;
    };
    if has_option(&options_of(u), "ignore_lockout_failure_attempts") {
        return false;
    }
    let failures = u.failed_auth_count.unwrap_or(0);
    let since = u.failed_auth_at.unwrap_or(now);
    failures >= attempts as i32
        && now < since + Duration::from_std(rules.lockout_duration).unwrap_or_default()
}

/// A history row id that sorts by time (newest last) whatever the database's
/// timestamp precision: microseconds since the epoch in hex, then a random suffix.
fn history_id(now: NaiveDateTime) -> String {
    let micros = now.and_utc().timestamp_micros().max(0) as u64;
    format!("{micros:016x}{}", &new_id()[..16])
}

/// Whether the password can no longer log in.
pub fn expired(u: &user::Model, now: NaiveDateTime) -> bool {
    u.password_expires_at.is_some_and(|at| at <= now)
}

impl Identity {
    /// Refuses what a user may not set as their new password: too soon after the
    /// last change, or among their last passwords.
    pub(crate) async fn check_self_service_change(&self, u: &user::Model, new: &str) -> Result<()> {
        let rules = &self.cfg.security;
        if has_option(&options_of(u), "lock_password") {
            return Err(Error::Forbidden(
                "You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.".into(),
            ));
        }
        // The minimum age holds for a password its user chose, not one an admin set.
        let min_age = i64::from(rules.minimum_password_age_days);
        let current = password_history::Entity::find()
            .filter(password_history::Column::UserId.eq(u.id.as_str()))
            .order_by_desc(password_history::Column::Id)
            .one(&self.store.db)
            .await?;
        if let Some(current) = current.filter(|p| min_age > 0 && p.self_service) {
            let allowed_at = current.created_at + Duration::days(min_age);
            let now = Utc::now().naive_utc();
            if now < allowed_at {
                let days_left = (allowed_at - now).num_days() + 1;
                return Err(Error::invalid(format!(
                    "You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for {min_age} day(s) before it can be changed. Please try again in {days_left} day(s) or contact your administrator to reset your password."
                )));
            }
        }
        let count = rules.unique_last_password_count;
        if count > 0 {
            let recent = password_history::Entity::find()
                .filter(password_history::Column::UserId.eq(u.id.as_str()))
                .order_by_desc(password_history::Column::Id)
                .limit(count as u64)
                .all(&self.store.db)
                .await?;
            for old in recent {
                if passwords::verify(new.to_string(), old.password_hash).await? {
                    return Err(Error::invalid(format!(
                        "The new password cannot be identical to a previous password. The total number which includes the new password must be unique is {count}."
                    )));
                }
            }
        }
        Ok(())
    }

    /// Records a password just set, keeping no more history than the rules need.
    pub(crate) async fn remember_password<C: ConnectionTrait>(
        &self,
        conn: &C,
        user_id: &str,
        hash: &str,
        who: SetBy,
        now: NaiveDateTime,
    ) -> Result<()> {
        password_history::ActiveModel {
            id: Set(history_id(now)),
            user_id: Set(user_id.to_string()),
            password_hash: Set(hash.to_string()),
            self_service: Set(who == SetBy::User),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
        let keep = self.cfg.security.unique_last_password_count.max(1) as u64;
        let stale: Vec<String> = password_history::Entity::find()
            .filter(password_history::Column::UserId.eq(user_id))
            .order_by_desc(password_history::Column::Id)
            .all(conn)
            .await?
            .into_iter()
            .skip(keep as usize)
            .map(|p| p.id)
            .collect();
        if !stale.is_empty() {
            password_history::Entity::delete_many()
                .filter(password_history::Column::Id.is_in(stale))
                .exec(conn)
                .await?;
        }
        Ok(())
    }

    /// Counts a failed password login (when lockout is configured).
    pub(crate) async fn note_failed_login(&self, u: &user::Model) -> Result<()> {
        if self.cfg.security.lockout_failure_attempts.is_none()
            || has_option(&options_of(u), "ignore_lockout_failure_attempts")
        {
            return Ok(());
        }
        let now = Utc::now().naive_utc();
        // Failures older than the lockout time (a lockout that ran out) no longer count.
        let window = Duration::from_std(self.cfg.security.lockout_duration).unwrap_or_default();
        let lapsed = u.failed_auth_at.is_some_and(|at| now >= at + window);
        let count = if lapsed {
            0
        } else {
            u.failed_auth_count.unwrap_or(0)
        };
        let mut row = u.clone().into_active_model();
        row.failed_auth_count = Set(Some(count + 1));
        row.failed_auth_at = Set(Some(now));
        row.update(&self.store.db).await?;
        Ok(())
    }

    /// Clears the failure count after a good login.
    pub(crate) async fn note_good_login(&self, u: &user::Model) -> Result<()> {
        if u.failed_auth_count.unwrap_or(0) == 0 {
            return Ok(());
        }
        let mut row = u.clone().into_active_model();
        row.failed_auth_count = Set(None);
        row.failed_auth_at = Set(None);
        row.update(&self.store.db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(failures: i32, at: Option<NaiveDateTime>) -> user::Model {
        user::Model {
            id: "u".into(),
            name: "u".into(),
            domain_id: "default".into(),
            enabled: true,
            password_hash: None,
            password_created_at: None,
            password_expires_at: None,
            failed_auth_count: Some(failures),
            failed_auth_at: at,
            default_project_id: None,
            extra: None,
            created_at: None,
        }
    }

    #[test]
    fn lockout_lasts_its_duration() {
        let rules = SecurityCompliance {
            lockout_failure_attempts: Some(2),
            lockout_duration: std::time::Duration::from_secs(5),
            ..Default::default()
        };
        let now = Utc::now().naive_utc();
        assert!(!locked(&rules, &user(1, Some(now)), now));
        assert!(locked(&rules, &user(2, Some(now)), now));
        assert!(!locked(
            &rules,
            &user(2, Some(now - Duration::seconds(6))),
            now
        ));
        assert!(!locked(
            &SecurityCompliance::default(),
            &user(9, Some(now)),
            now
        ));
    }

    #[test]
    fn patterns_and_expiry() {
        let rules = SecurityCompliance {
            password_regex: Some(regex::Regex::new("^.{8,}$").unwrap()),
            password_regex_description: Some("at least 8 characters".into()),
            password_expires_days: Some(90),
            change_password_upon_first_use: true,
            ..Default::default()
        };
        assert!(check_pattern(&rules, "short").is_err());
        assert!(check_pattern(&rules, "long enough").is_ok());
        let now = Utc::now().naive_utc();
        let none = Map::new();
        let options = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert_eq!(expiry(&rules, SetBy::Admin, &none, now), Some(now));
        let in_90_days = Some(now + Duration::days(90));
        assert_eq!(expiry(&rules, SetBy::User, &none, now), in_90_days);
        let plain = SecurityCompliance::default();
        assert_eq!(expiry(&plain, SetBy::User, &none, now), None);
        let first_use_ignored = merge_options(
            Map::new(),
            options(serde_json::json!({"ignore_change_password_upon_first_use": true})),
        )
        .unwrap();
        assert_eq!(
            expiry(&rules, SetBy::Admin, &first_use_ignored, now),
            in_90_days
        );
        let never = merge_options(
            Map::new(),
            options(serde_json::json!({"ignore_password_expiry": true})),
        )
        .unwrap();
        assert_eq!(expiry(&rules, SetBy::Admin, &never, now), None);
        assert!(merge_options(Map::new(), options(serde_json::json!({"bogus": true}))).is_err());
        assert!(merge_options(
            Map::new(),
            options(serde_json::json!({"lock_password": "yes"}))
        )
        .is_err());
    }
}
