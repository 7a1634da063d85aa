//! Domain-specific configuration (`/v3/domains/{id}/config`): the `identity` and
//! `ldap` options a domain overrides, stored per option. Keystone applies them only
//! with domain-specific drivers; ferrostack stores and serves them (it has no LDAP
//! driver to apply them to). Refusals are Keystone's: an unsupported group or option
//! is a 403, a missing one a 404.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::{Map, Value};

use super::domain_config_options::{self as options, GROUPS};
use super::{Error, Identity, Result};
use crate::db::entity::domain_config;

/// `{group: {option: value}}`.
pub type ConfigGroups = Map<String, Value>;

/// Whether a PUT created the configuration or replaced one.
pub enum Stored {
    Created(ConfigGroups),
    Replaced(ConfigGroups),
}

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::Forbidden(format!("Invalid domain specific configuration: {reason}."))
}

fn missing(domain_id: &str, group: Option<&str>, option: Option<&str>) -> Error {
    let what = match (group, option) {
        (Some(g), Some(o)) => format!("option {o} in group {g}"),
        (Some(g), None) => format!("group {g}"),
        _ => "any options".to_string(),
    };
    Error::NotFoundDetail(format!(
        "Could not find {what} in domain configuration for domain {domain_id}."
    ))
}

/// A group, and an option in it, a domain configuration may hold.
pub fn check_group_and_option(group: &str, option: Option<&str>) -> Result<()> {
    let Some(allowed) = options::whitelisted(group) else {
        return Err(invalid(format!(
            "Group {group} is not supported for domain specific configurations"
        )));
    };
    if let Some(option) = option {
        if !allowed.contains(&option) && !options::sensitive(group, option) {
            return Err(invalid(format!(
                "Option {option} in group {group} is not supported for domain specific configurations"
            )));
        }
    }
    Ok(())
}

/// A whole configuration as a request gives it: groups of options, each known.
fn check_config(config: &ConfigGroups) -> Result<()> {
    if config.is_empty() {
        return Err(invalid("No options specified"));
    }
    for (group, options) in config {
        match options {
            Value::Object(options) if !options.is_empty() => {
                check_group_and_option(group, None)?;
                for option in options.keys() {
                    check_group_and_option(group, Some(option))?;
                }
            }
            _ => {
                return Err(invalid(format!(
                    "The value of group {group} specified in the config should be a dictionary of options"
                )))
            }
        }
    }
    Ok(())
}

/// A partial update's body must name exactly the group (and option) of its URL.
fn check_update(config: &ConfigGroups, group: &str, option: Option<&str>) -> Result<()> {
    if config.is_empty() {
        return Err(invalid("No options specified"));
    }
    let group_body = config.get(group).and_then(Value::as_object);
    let too_many = config.len() != 1
        || option.is_some() && group_body.is_some_and(|options| options.len() != 1);
    if too_many {
        return Err(invalid(match option {
            Some(option) => format!(
                "Trying to update option {option} in group {group}, so that, and only that, option must be specified  in the config"
            ),
            None => format!(
                "Trying to update group {group}, so that, and only that, group must be specified in the config"
            ),
        }));
    }
    let Some(options) = group_body else {
        let other = config.keys().next().cloned().unwrap_or_default();
        return Err(invalid(format!(
            "request to update group {group}, but config provided contains group {other} instead"
        )));
    };
    if let Some(option) = option {
        if !options.contains_key(option) {
            let other = options.keys().next().cloned().unwrap_or_default();
            return Err(invalid(format!(
                "Trying to update option {option} in group {group}, but config provided contains option {other} instead"
            )));
        }
    }
    Ok(())
}

/// Rows as rendered groups: whitelisted options only, Keystone's group order.
fn render(rows: &[domain_config::Model]) -> ConfigGroups {
    let mut config = ConfigGroups::new();
    for group in GROUPS {
        let options: Map<String, Value> = rows
            .iter()
            .filter(|r| r.group_name == group && !r.sensitive)
            .map(|r| {
                let value = serde_json::from_str(&r.value).unwrap_or(Value::Null);
                (r.option_name.clone(), value)
            })
            .collect();
        if !options.is_empty() {
            config.insert(group.to_string(), Value::Object(options));
        }
    }
    config
}

async fn upsert<C: ConnectionTrait>(
    conn: &C,
    domain_id: &str,
    config: &ConfigGroups,
) -> Result<()> {
    for (group, options) in config {
        let Some(options) = options.as_object() else {
            continue;
        };
        for (option, value) in options {
            domain_config::Entity::delete_by_id((
                domain_id.to_string(),
                group.clone(),
                option.clone(),
            ))
            .exec(conn)
            .await?;
            domain_config::ActiveModel {
                domain_id: Set(domain_id.to_string()),
                group_name: Set(group.clone()),
                option_name: Set(option.clone()),
                value: Set(value.to_string()),
                sensitive: Set(options::sensitive(group, option)),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

impl Identity {
    async fn config_rows(&self, domain_id: &str) -> Result<Vec<domain_config::Model>> {
        Ok(domain_config::Entity::find()
            .filter(domain_config::Column::DomainId.eq(domain_id))
            .order_by_asc(domain_config::Column::GroupName)
            .order_by_asc(domain_config::Column::OptionName)
            .all(&self.store.db)
            .await?)
    }

    /// `PUT /domains/{id}/config`: replaces the whole configuration.
    pub async fn put_domain_config(&self, domain_id: &str, config: ConfigGroups) -> Result<Stored> {
        self.get_domain(domain_id).await?;
        check_config(&config)?;
        let txn = self.store.db.begin().await?;
        let existed = domain_config::Entity::delete_many()
            .filter(domain_config::Column::DomainId.eq(domain_id))
            .exec(&txn)
            .await?
            .rows_affected
            > 0;
        upsert(&txn, domain_id, &config).await?;
        txn.commit().await?;
        self.notify("updated", "domain_config", domain_id);
        let rendered = render(&self.config_rows(domain_id).await?);
        Ok(if existed {
            Stored::Replaced(rendered)
        } else {
            Stored::Created(rendered)
        })
    }

    /// The stored configuration, a group of it, or one option (`{option: value}`).
    pub async fn get_domain_config(
        &self,
        domain_id: &str,
        group: Option<&str>,
        option: Option<&str>,
    ) -> Result<ConfigGroups> {
        self.get_domain(domain_id).await?;
        if let Some(group) = group {
            check_group_and_option(group, option)?;
        }
        let config = render(&self.config_rows(domain_id).await?);
        let Some(group) = group else {
            return match config.is_empty() {
                true => Err(missing(domain_id, None, None)),
                false => Ok(config),
            };
        };
        let options = config
            .get(group)
            .and_then(Value::as_object)
            .ok_or_else(|| missing(domain_id, Some(group), None))?;
        let Some(option) = option else {
            return Ok(ConfigGroups::from_iter([(
                group.to_string(),
                Value::Object(options.clone()),
            )]));
        };
        let value = options
            .get(option)
            .ok_or_else(|| missing(domain_id, Some(group), Some(option)))?;
        Ok(ConfigGroups::from_iter([(
            option.to_string(),
            value.clone(),
        )]))
    }

    /// `PATCH`: merges options into the configuration (into one existing group or
    /// option when the URL names one); answers the whole configuration.
    pub async fn update_domain_config(
        &self,
        domain_id: &str,
        group: Option<&str>,
        option: Option<&str>,
        body: ConfigGroups,
    ) -> Result<ConfigGroups> {
        self.get_domain(domain_id).await?;
        let config = match (group, option) {
            (Some(group), Some(_)) => {
                ConfigGroups::from_iter([(group.to_string(), Value::Object(body))])
            }
            _ => body,
        };
        if let Some(group) = group {
            check_update(&config, group, option)?;
            let rows = self.config_rows(domain_id).await?;
            let in_group = |r: &&domain_config::Model| r.group_name == group;
            if !rows.iter().any(|r| in_group(&r)) {
                return Err(missing(domain_id, Some(group), None));
            }
            if let Some(option) = option {
                if !rows.iter().any(|r| in_group(&r) && r.option_name == option) {
                    return Err(missing(domain_id, Some(group), Some(option)));
                }
            }
        }
        check_config(&config)?;
        let txn = self.store.db.begin().await?;
        upsert(&txn, domain_id, &config).await?;
        txn.commit().await?;
        self.notify("updated", "domain_config", domain_id);
        self.get_domain_config(domain_id, None, None).await
    }

    /// `DELETE`: the whole configuration (always 204), a group or an option.
    pub async fn delete_domain_config(
        &self,
        domain_id: &str,
        group: Option<&str>,
        option: Option<&str>,
    ) -> Result<()> {
        self.get_domain(domain_id).await?;
        let mut delete = domain_config::Entity::delete_many()
            .filter(domain_config::Column::DomainId.eq(domain_id));
        if let Some(group) = group {
            check_group_and_option(group, option)?;
            let rows = self.config_rows(domain_id).await?;
            if !rows.iter().any(|r| r.group_name == group) {
                return Err(missing(domain_id, Some(group), None));
            }
            delete = delete.filter(domain_config::Column::GroupName.eq(group));
            if let Some(option) = option {
                // Keystone treats an option stored with a false-like value as absent.
                let present = rows.iter().any(|r| {
                    r.group_name == group
                        && r.option_name == option
                        && !matches!(
                            r.value.as_str(),
                            "false" | "0" | "\"\"" | "null" | "[]" | "{}"
                        )
                });
                if !present {
                    return Err(missing(domain_id, Some(group), Some(option)));
                }
                delete = delete.filter(domain_config::Column::OptionName.eq(option));
            }
        }
        delete.exec(&self.store.db).await?;
        self.notify("deleted", "domain_config", domain_id);
        Ok(())
    }

    /// Removes a deleted domain's configuration.
    pub(crate) async fn forget_domain_config<C: ConnectionTrait>(
        conn: &C,
        domain_id: &str,
    ) -> Result<()> {
        domain_config::Entity::delete_many()
            .filter(domain_config::Column::DomainId.eq(domain_id))
            .exec(conn)
            .await?;
        Ok(())
    }
}

/// The defaults: every group, one group, or one option (`{option: value}`).
pub fn default_domain_config(group: Option<&str>, option: Option<&str>) -> Result<ConfigGroups> {
    let Some(group) = group else {
        return Ok(GROUPS
            .iter()
            .map(|g| (g.to_string(), Value::Object(options::group_defaults(g))))
            .collect());
    };
    check_group_and_option(group, option)?;
    match option {
        None => Ok(ConfigGroups::from_iter([(
            group.to_string(),
            Value::Object(options::group_defaults(group)),
        )])),
        Some(option) if options::sensitive(group, option) => Err(invalid(format!(
            "Reading the default for option {option} in group {group} is not supported"
        ))),
        Some(option) => Ok(ConfigGroups::from_iter([(
            option.to_string(),
            options::default(group, option),
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn groups(value: Value) -> ConfigGroups {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn whole_configs_are_checked() {
        assert!(check_config(&groups(json!({"identity": {"driver": "ldap"}}))).is_ok());
        assert!(check_config(&groups(json!({"ldap": {"password": "s"}}))).is_ok());
        for bad in [
            json!({}),
            json!({"identity": {}}),
            json!({"identity": "ldap"}),
            json!({"resource": {"driver": "sql"}}),
            json!({"identity": {"bogus": 1}}),
        ] {
            assert!(matches!(
                check_config(&groups(bad)),
                Err(Error::Forbidden(_))
            ));
        }
    }

    #[test]
    fn partial_updates_name_their_target() {
        let one = groups(json!({"identity": {"driver": "x"}}));
        assert!(check_update(&one, "identity", None).is_ok());
        assert!(check_update(&one, "identity", Some("driver")).is_ok());
        assert!(check_update(&one, "ldap", None).is_err());
        assert!(check_update(&one, "identity", Some("list_limit")).is_err());
        let two = groups(json!({"identity": {"driver": "x", "list_limit": 3}}));
        assert!(check_update(&two, "identity", None).is_ok());
        assert!(check_update(&two, "identity", Some("driver")).is_err());
    }

    #[test]
    fn defaults() {
        assert_eq!(default_domain_config(None, None).unwrap().len(), 2);
        assert_eq!(
            default_domain_config(Some("identity"), Some("driver")).unwrap()["driver"],
            "sql"
        );
        assert!(default_domain_config(Some("ldap"), Some("password")).is_err());
        assert!(default_domain_config(Some("resource"), None).is_err());
    }
}
