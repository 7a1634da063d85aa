//! Quota classes (admin): named sets of limits. The `default` class's limits
//! replace the configured defaults of every project without its own.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::quota_class;

/// The class whose limits are every project's defaults.
pub(crate) const DEFAULT_CLASS: &str = "default";

/// `class`'s limits over `limits`, for the keys `limits` has.
pub(crate) async fn overlay(
    db: &impl ConnectionTrait,
    class: &str,
    limits: &mut BTreeMap<String, i64>,
) -> Result<()> {
    for row in quota_class::Entity::find()
        .filter(quota_class::Column::ClassName.eq(class))
        .all(db)
        .await?
    {
        if let Some(limit) = limits.get_mut(&row.resource) {
            *limit = row.hard_limit;
        }
    }
    Ok(())
}

impl Cinder {
    /// The limits of quota class `class`: the defaults with its own.
    pub async fn show_quota_class(
        &self,
        caller: &Caller,
        class: &str,
    ) -> Result<BTreeMap<String, i64>> {
        self.authorize(caller, "volume_extension:quota_classes", caller.project())?;
        self.class_limits(class).await
    }

    async fn class_limits(&self, class: &str) -> Result<BTreeMap<String, i64>> {
        let mut limits = self.quota_defaults().await?;
        if class != DEFAULT_CLASS {
            overlay(&self.db, class, &mut limits).await?;
        }
        Ok(limits)
    }

    /// Sets limits of quota class `class`; answers all of its limits.
    pub async fn set_quota_class(
        &self,
        caller: &Caller,
        class: &str,
        values: &BTreeMap<String, i64>,
    ) -> Result<BTreeMap<String, i64>> {
        self.authorize(
            caller,
            "volume_extension:quota_classes:update",
            caller.project(),
        )?;
        if class.is_empty() || class.chars().count() > 255 {
            return Err(CinderError::BadRequest(
                "Invalid input received: quota_class_name has to be between 1 and 255 characters."
                    .into(),
            ));
        }
        let known = self.quota_defaults().await?;
        let unknown: Vec<&str> = values
            .keys()
            .filter(|key| !known.contains_key(*key))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(CinderError::BadRequest(format!(
                "Invalid input received: Bad key(s) in quota set: {}",
                unknown.join(", ")
            )));
        }
        for (resource, limit) in values {
            let row = quota_class::ActiveModel {
                class_name: Set(class.to_string()),
                resource: Set(resource.clone()),
                hard_limit: Set(*limit),
            };
            quota_class::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        quota_class::Column::ClassName,
                        quota_class::Column::Resource,
                    ])
                    .update_column(quota_class::Column::HardLimit)
                    .to_owned(),
                )
                .exec(&self.db)
                .await?;
        }
        self.class_limits(class).await
    }
}
