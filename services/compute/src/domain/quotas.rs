//! Nova's counting quotas: each resource's limit is the project's override
//! (`quotas` table) or the default — the `default` quota class's limit, else
//! the configured one; usage is counted from what exists (servers, their
//! vCPUs and RAM, key pairs). Admins set and reset a project's limits (a
//! limit below what is in use needs `force`) and quota classes' limits.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

use super::{Caller, Nova, NovaError, Result};
use crate::db::entity::{instance, key_pair, project_user_quota, quota, quota_class};

/// Nova's network quotas with their old defaults: quota classes keep them
/// (shown before 2.50); projects' quota sets show the defaults before 2.36.
pub const NETWORK_QUOTAS: &[(&str, i64)] = &[
    ("floating_ips", 10),
    ("fixed_ips", -1),
    ("security_groups", 10),
    ("security_group_rules", 20),
];

/// A resource's limit and what is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDetail {
    pub limit: i64,
    pub in_use: i64,
}

/// What counting finds a project (and its user, for key pairs) using.
pub async fn usage<C: ConnectionTrait>(
    db: &C,
    project: &str,
    user: Option<&str>,
) -> Result<BTreeMap<&'static str, i64>> {
    count(db, project, None, user).await
}

/// What counting finds one user using within a project.
pub async fn user_usage<C: ConnectionTrait>(
    db: &C,
    project: &str,
    user: &str,
) -> Result<BTreeMap<&'static str, i64>> {
    count(db, project, Some(user), Some(user)).await
}

/// The servers of `project` (of `servers_of` only, when given) and the key
/// pairs of `keys_of`.
async fn count<C: ConnectionTrait>(
    db: &C,
    project: &str,
    servers_of: Option<&str>,
    keys_of: Option<&str>,
) -> Result<BTreeMap<&'static str, i64>> {
    let mut servers = instance::Entity::find()
        .select_only()
        .column(instance::Column::Vcpus)
        .column(instance::Column::MemoryMb)
        .filter(instance::Column::ProjectId.eq(project))
        .filter(instance::Column::Deleted.eq(false));
    if let Some(user) = servers_of {
        servers = servers.filter(instance::Column::UserId.eq(user));
    }
    // Summed here: SUM(BIGINT) is NUMERIC on PostgreSQL.
    let servers: Vec<(i64, i64)> = servers.into_tuple().all(db).await?;
    let mut used = BTreeMap::from([
        ("instances", servers.len() as i64),
        ("cores", servers.iter().map(|s| s.0).sum()),
        ("ram", servers.iter().map(|s| s.1).sum()),
    ]);
    if let Some(user) = keys_of {
        let keys = key_pair::Entity::find()
            .filter(key_pair::Column::UserId.eq(user))
            .count(db)
            .await?;
        used.insert("key_pairs", keys as i64);
    }
    Ok(used)
}

/// The quota error Nova's servers API answers with (403).
pub fn exceeded(overs: &[(&str, i64, i64, i64)]) -> NovaError {
    let names: Vec<&str> = overs.iter().map(|o| o.0).collect();
    let list = |f: fn(&(&str, i64, i64, i64)) -> i64| {
        overs
            .iter()
            .map(|o| f(o).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    NovaError::OverQuota(format!(
        "Quota exceeded for {names}: Requested {requested}, but already used {used} of {limits} {names}",
        names = names.join(", "),
        requested = list(|o| o.1),
        used = list(|o| o.2),
        limits = list(|o| o.3),
    ))
}

impl Nova {
    /// The limits of quota class `class`: its own over the configured
    /// defaults (Nova's defaults are the `default` class's).
    pub async fn class_limits<C: ConnectionTrait>(
        &self,
        db: &C,
        class: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        let mut limits = self.cfg.quota_defaults.clone();
        limits.extend(NETWORK_QUOTAS.iter().copied());
        for row in quota_class::Entity::find()
            .filter(quota_class::Column::ClassName.eq(class))
            .all(db)
            .await?
        {
            if let Some((key, _)) = limits.get_key_value(row.resource.as_str()) {
                let key: &'static str = key;
                limits.insert(key, row.hard_limit);
            }
        }
        Ok(limits)
    }

    /// The limits that apply to `project`: its overrides over the defaults.
    pub async fn project_limits<C: ConnectionTrait>(
        &self,
        db: &C,
        project: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        let mut limits = self.class_limits(db, "default").await?;
        limits.retain(|key, _| self.cfg.quota_defaults.contains_key(key));
        for row in quota::Entity::find()
            .filter(quota::Column::ProjectId.eq(project))
            .all(db)
            .await?
        {
            if let Some((key, _)) = self.cfg.quota_defaults.get_key_value(row.resource.as_str()) {
                limits.insert(key, row.hard_limit);
            }
        }
        Ok(limits)
    }

    /// The limits that apply to `user` within `project`: the user's own
    /// over the project's.
    pub async fn user_limits<C: ConnectionTrait>(
        &self,
        db: &C,
        project: &str,
        user: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        let mut limits = self.project_limits(db, project).await?;
        for row in project_user_quota::Entity::find()
            .filter(project_user_quota::Column::ProjectId.eq(project))
            .filter(project_user_quota::Column::UserId.eq(user))
            .all(db)
            .await?
        {
            if let Some(limit) = limits.get_mut(row.resource.as_str()) {
                *limit = row.hard_limit;
            }
        }
        Ok(limits)
    }

    /// The quotas a request of `user` in `project` is held to: the
    /// project's, then the user's (when the user has limits of their own),
    /// each with what is in use.
    pub async fn scopes<C: ConnectionTrait>(
        &self,
        db: &C,
        project: &str,
        user: &str,
    ) -> Result<Vec<(BTreeMap<&'static str, i64>, BTreeMap<&'static str, i64>)>> {
        let mut scopes = vec![(
            self.project_limits(db, project).await?,
            usage(db, project, None).await?,
        )];
        let own = project_user_quota::Entity::find()
            .filter(project_user_quota::Column::ProjectId.eq(project))
            .filter(project_user_quota::Column::UserId.eq(user))
            .count(db)
            .await?;
        if own > 0 {
            scopes.push((
                self.user_limits(db, project, user).await?,
                user_usage(db, project, user).await?,
            ));
        }
        Ok(scopes)
    }

    /// `GET /os-quota-sets/{project}` (and `/detail`), of one user within
    /// it with `user_id`.
    pub async fn show_quotas(
        &self,
        caller: &Caller,
        project: &str,
        user: Option<&str>,
        detail: bool,
    ) -> Result<BTreeMap<&'static str, QuotaDetail>> {
        let rule = if detail {
            "os_compute_api:os-quota-sets:detail"
        } else {
            "os_compute_api:os-quota-sets:show"
        };
        self.authorize(caller, rule, &json!({"project_id": project}))?;
        let (limits, used) = match user {
            Some(user) => (
                self.user_limits(&self.db, project, user).await?,
                user_usage(&self.db, project, user).await?,
            ),
            None => (
                self.project_limits(&self.db, project).await?,
                usage(&self.db, project, Some(&caller.ctx.user_id)).await?,
            ),
        };
        Ok(limits
            .into_iter()
            .map(|(key, limit)| {
                let in_use = used.get(key).copied().unwrap_or(0);
                (key, QuotaDetail { limit, in_use })
            })
            .collect())
    }

    /// `GET /os-quota-sets/{project}/defaults`.
    pub async fn default_quotas(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.authorize(
            caller,
            "os_compute_api:os-quota-sets:defaults",
            &json!({"project_id": project}),
        )?;
        let mut limits = self.class_limits(&self.db, "default").await?;
        limits.retain(|key, _| self.cfg.quota_defaults.contains_key(key));
        Ok(limits)
    }

    /// `GET /os-quota-class-sets/{class}` (admin).
    pub async fn show_quota_class(
        &self,
        caller: &Caller,
        class: &str,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.authorize(
            caller,
            "os_compute_api:os-quota-class-sets:show",
            &json!({}),
        )?;
        self.class_limits(&self.db, class).await
    }

    /// `PUT /os-quota-class-sets/{class}` (admin): new limits of the class.
    pub async fn update_quota_class(
        &self,
        caller: &Caller,
        class: &str,
        limits: BTreeMap<String, i64>,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.authorize(
            caller,
            "os_compute_api:os-quota-class-sets:update",
            &json!({}),
        )?;
        for (key, limit) in limits {
            let network = NETWORK_QUOTAS.iter().any(|(k, _)| *k == key);
            if !self.cfg.quota_defaults.contains_key(key.as_str()) && !network {
                continue;
            }
            quota_class::Entity::insert(quota_class::ActiveModel {
                class_name: Set(class.to_string()),
                resource: Set(key),
                hard_limit: Set(limit),
            })
            .on_conflict(
                OnConflict::columns([
                    quota_class::Column::ClassName,
                    quota_class::Column::Resource,
                ])
                .update_column(quota_class::Column::HardLimit)
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        }
        self.class_limits(&self.db, class).await
    }

    /// `PUT /os-quota-sets/{project}`: new limits (each -1 or more); one
    /// below what is in use needs `force`.
    pub async fn update_quotas(
        &self,
        caller: &Caller,
        project: &str,
        user: Option<&str>,
        limits: BTreeMap<String, i64>,
        force: bool,
    ) -> Result<BTreeMap<&'static str, i64>> {
        self.authorize(
            caller,
            "os_compute_api:os-quota-sets:update",
            &json!({"project_id": project}),
        )?;
        if let Some(user) = user {
            return self.update_user_quotas(project, user, limits, force).await;
        }
        let used = usage(&self.db, project, None).await?;
        for (key, limit) in &limits {
            let Some((key, _)) = self.cfg.quota_defaults.get_key_value(key.as_str()) else {
                continue;
            };
            let in_use = used.get(key).copied().unwrap_or(0);
            if !force && *limit >= 0 && *limit < in_use {
                return Err(NovaError::BadRequest(format!(
                    "Quota limit {limit} for {key} must be greater than or equal to already used and reserved {in_use}."
                )));
            }
        }
        for (key, limit) in limits {
            if !self.cfg.quota_defaults.contains_key(key.as_str()) {
                continue;
            }
            quota::Entity::insert(quota::ActiveModel {
                project_id: Set(project.to_string()),
                resource: Set(key),
                hard_limit: Set(limit),
            })
            .on_conflict(
                OnConflict::columns([quota::Column::ProjectId, quota::Column::Resource])
                    .update_column(quota::Column::HardLimit)
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        }
        self.project_limits(&self.db, project).await
    }

    /// A user's new limits within a project: each at least what the user
    /// uses (unless `force`) and at most what the project's limit leaves
    /// after its other users' own limits, in Nova's words.
    async fn update_user_quotas(
        &self,
        project: &str,
        user: &str,
        limits: BTreeMap<String, i64>,
        force: bool,
    ) -> Result<BTreeMap<&'static str, i64>> {
        let used = user_usage(&self.db, project, user).await?;
        let project_limits = self.project_limits(&self.db, project).await?;
        let others = project_user_quota::Entity::find()
            .filter(project_user_quota::Column::ProjectId.eq(project))
            .filter(project_user_quota::Column::UserId.ne(user))
            .all(&self.db)
            .await?;
        let infinite = |l: i64| if l < 0 { i64::MAX } else { l };
        for (key, limit) in &limits {
            let Some(project_limit) = project_limits.get(key.as_str()).copied() else {
                continue;
            };
            let minimum = if force {
                0
            } else {
                used.get(key.as_str()).copied().unwrap_or(0)
            };
            if infinite(*limit) < minimum {
                return Err(NovaError::BadRequest(format!(
                    "Quota limit {limit} for {key} must be greater than or equal to already used and reserved {minimum}."
                )));
            }
            let maximum = if project_limit < 0 {
                -1
            } else {
                project_limit
                    - others
                        .iter()
                        .filter(|o| &o.resource == key && o.hard_limit > 0)
                        .map(|o| o.hard_limit)
                        .sum::<i64>()
            };
            if infinite(*limit) > infinite(maximum) {
                return Err(NovaError::BadRequest(format!(
                    "Quota limit {limit} for {key} must be less than or equal to {maximum}."
                )));
            }
        }
        for (key, limit) in limits {
            if !self.cfg.quota_defaults.contains_key(key.as_str()) {
                continue;
            }
            project_user_quota::Entity::insert(project_user_quota::ActiveModel {
                project_id: Set(project.to_string()),
                user_id: Set(user.to_string()),
                resource: Set(key),
                hard_limit: Set(limit),
            })
            .on_conflict(
                OnConflict::columns([
                    project_user_quota::Column::ProjectId,
                    project_user_quota::Column::UserId,
                    project_user_quota::Column::Resource,
                ])
                .update_column(project_user_quota::Column::HardLimit)
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        }
        self.user_limits(&self.db, project, user).await
    }

    /// `DELETE /os-quota-sets/{project}`: back to the defaults, its users'
    /// own limits gone too; with `user_id`, only that user's.
    pub async fn reset_quotas(
        &self,
        caller: &Caller,
        project: &str,
        user: Option<&str>,
    ) -> Result<()> {
        self.authorize(
            caller,
            "os_compute_api:os-quota-sets:delete",
            &json!({"project_id": project}),
        )?;
        let mut users = project_user_quota::Entity::delete_many()
            .filter(project_user_quota::Column::ProjectId.eq(project));
        if let Some(user) = user {
            users = users.filter(project_user_quota::Column::UserId.eq(user));
        }
        users.exec(&self.db).await?;
        if user.is_none() {
            quota::Entity::delete_many()
                .filter(quota::Column::ProjectId.eq(project))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// `GET /limits`: the project's limits and usage (another project's
    /// with `tenant_id`, for admins).
    pub async fn absolute_limits(
        &self,
        caller: &Caller,
        project: Option<&str>,
    ) -> Result<BTreeMap<&'static str, QuotaDetail>> {
        let own = caller.project().to_string();
        let project = match project {
            Some(other) if other != own => {
                self.authorize(
                    caller,
                    "os_compute_api:limits:other_project",
                    &json!({"project_id": other}),
                )?;
                other.to_string()
            }
            _ => own,
        };
        self.authorize(
            caller,
            "os_compute_api:limits",
            &json!({"project_id": project}),
        )?;
        let limits = self.project_limits(&self.db, &project).await?;
        let used = usage(&self.db, &project, Some(&caller.ctx.user_id)).await?;
        Ok(limits
            .into_iter()
            .map(|(key, limit)| {
                let in_use = used.get(key).copied().unwrap_or(0);
                (key, QuotaDetail { limit, in_use })
            })
            .collect())
    }
}
