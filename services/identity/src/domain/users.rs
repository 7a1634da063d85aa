use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::password_rules::{self, SetBy};
use super::{new_id, passwords, validate, Error, Extra, Identity, Result};
use crate::db::entity::{assignment, password_history, user};

/// Fields of a user create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct UserInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
    /// `Some(None)` is an explicit `null`: the user gets no password.
    #[serde(default, deserialize_with = "explicit_null")]
    pub password: Option<Option<String>>,
    #[serde(default, deserialize_with = "explicit_null")]
    pub default_project_id: Option<Option<String>>,
    pub options: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Keeps a user's options in its extras (none: no `options` key).
fn set_options(extra: &mut Extra, options: &Map<String, Value>) {
    if options.is_empty() {
        extra.0.remove("options");
    } else {
        extra
            .0
            .insert("options".into(), Value::Object(options.clone()));
    }
}

fn explicit_null<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// List filters for users.
#[derive(Debug, Default)]
pub struct UserFilter {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
}

impl Identity {
    async fn checked_hash(&self, password: String) -> Result<String> {
        password_rules::check_pattern(&self.cfg.security, &password)?;
        if password.len() > self.cfg.max_password_length {
            return Err(Error::invalid(format!(
                "Invalid input for field 'password': the password is longer than {} characters",
                self.cfg.max_password_length
            )));
        }
        passwords::hash(password, self.cfg.password_hash_rounds).await
    }

    pub async fn create_user(&self, input: UserInput) -> Result<user::Model> {
        let name = input.name.ok_or_else(|| validate::required("name"))?;
        validate::name("name", &name, 255)?;
        let domain_id = input
            .domain_id
            .unwrap_or_else(|| self.cfg.default_domain_id.clone());
        // Keystone: DomainNotFound, 404.
        self.get_domain(&domain_id).await?;
        let password_hash = match input.password.flatten() {
            Some(password) => Some(self.checked_hash(password).await?),
            None => None,
        };
        let options = password_rules::merge_options(Map::new(), input.options.unwrap_or_default())?;
        let mut extra = Extra::default();
        extra.merge(input.extra);
        set_options(&mut extra, &options);
        let now = chrono::Utc::now().naive_utc();
        let row = user::ActiveModel {
            id: Set(input.id.unwrap_or_else(new_id)),
            name: Set(name.clone()),
            domain_id: Set(domain_id.clone()),
            enabled: Set(input.enabled.unwrap_or(true)),
            password_created_at: Set(password_hash.as_ref().map(|_| now)),
            password_expires_at: Set(password_hash.as_ref().and_then(|_| {
                password_rules::expiry(&self.cfg.security, SetBy::Admin, &options, now)
            })),
            password_hash: Set(password_hash.clone()),
            failed_auth_count: Set(None),
            failed_auth_at: Set(None),
            default_project_id: Set(input.default_project_id.flatten()),
            extra: Set(extra.to_column()),
            created_at: Set(Some(now)),
        }
        .insert(&self.store.db)
        .await
        .map_err(|e| {
            Error::from_write("user", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        if let Some(hash) = &password_hash {
            self.remember_password(&self.store.db, &row.id, hash, SetBy::Admin, now)
                .await?;
        }
        self.changed().await?;
        self.notify("created", "user", &row.id);
        Ok(row)
    }

    pub async fn get_user(&self, id: &str) -> Result<user::Model> {
        user::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("user", id))
    }

    pub async fn find_user_by_name(&self, name: &str, domain_id: &str) -> Result<user::Model> {
        user::Entity::find()
            .filter(user::Column::Name.eq(name))
            .filter(user::Column::DomainId.eq(domain_id))
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("user", name))
    }

    pub async fn list_users(&self, filter: &UserFilter) -> Result<Vec<user::Model>> {
        let mut query = user::Entity::find().order_by_asc(user::Column::Name);
        if let Some(name) = &filter.name {
            query = query.filter(user::Column::Name.eq(name));
        }
        if let Some(domain_id) = &filter.domain_id {
            query = query.filter(user::Column::DomainId.eq(domain_id));
        }
        if let Some(enabled) = filter.enabled {
            query = query.filter(user::Column::Enabled.eq(enabled));
        }
        Ok(query.all(&self.store.db).await?)
    }

    pub async fn update_user(&self, id: &str, input: UserInput) -> Result<user::Model> {
        let current = self.get_user(id).await?;
        if input
            .domain_id
            .as_deref()
            .is_some_and(|d| d != current.domain_id)
        {
            return Err(Error::invalid("Update of `domain_id` is not allowed."));
        }
        let domain_id = current.domain_id.clone();
        let mut extra = Extra::parse(&current.extra);
        let options = password_rules::merge_options(
            password_rules::options_of(&current),
            input.options.unwrap_or_default(),
        )?;
        let mut row = current.into_active_model();
        if let Some(name) = input.name {
            validate::name("name", &name, 255)?;
            row.name = Set(name);
        }
        if let Some(enabled) = input.enabled {
            row.enabled = Set(enabled);
        }
        if let Some(default_project_id) = input.default_project_id {
            row.default_project_id = Set(default_project_id);
        }
        let password_changed = input.password.is_some();
        if let Some(password) = input.password {
            let hash = match password {
                Some(password) => Some(self.checked_hash(password).await?),
                None => None,
            };
            let now = chrono::Utc::now().naive_utc();
            row.password_created_at = Set(hash.as_ref().map(|_| now));
            row.password_expires_at = Set(hash.as_ref().and_then(|_| {
                password_rules::expiry(&self.cfg.security, SetBy::Admin, &options, now)
            }));
            row.failed_auth_count = Set(None);
            row.failed_auth_at = Set(None);
            if let Some(hash) = &hash {
                self.remember_password(&self.store.db, id, hash, SetBy::Admin, now)
                    .await?;
            }
            row.password_hash = Set(hash);
        }
        extra.merge(input.extra);
        set_options(&mut extra, &options);
        row.extra = Set(extra.to_column());
        let name = row.name.clone().unwrap();
        let row = row.update(&self.store.db).await.map_err(|e| {
            Error::from_write("user", || {
                format!("Duplicate entry found with name {name} at domain ID {domain_id}.")
            })(e.into())
        })?;
        if password_changed {
            self.revoke_user_tokens(id).await?;
        }
        self.changed().await?;
        self.notify("updated", "user", id);
        Ok(row)
    }

    /// `POST /v3/users/{id}/password`: needs the current password.
    pub async fn change_password(&self, id: &str, original: String, new: String) -> Result<()> {
        let current = self.get_user(id).await?;
        let Some(stored) = current.password_hash.clone() else {
            return Err(Error::unauthenticated());
        };
        if password_rules::locked(&self.cfg.security, &current, chrono::Utc::now().naive_utc()) {
            return Err(Error::Unauthorized(format!(
                "The account is locked for user: {id}."
            )));
        }
        if !passwords::verify(original, stored).await? {
            self.note_failed_login(&current).await?;
            return Err(Error::unauthenticated());
        }
        self.check_self_service_change(&current, &new).await?;
        let hash = self.checked_hash(new).await?;
        let now = chrono::Utc::now().naive_utc();
        self.remember_password(&self.store.db, id, &hash, SetBy::User, now)
            .await?;
        let options = password_rules::options_of(&current);
        let mut row = current.into_active_model();
        row.password_hash = Set(Some(hash));
        row.password_created_at = Set(Some(now));
        row.password_expires_at = Set(password_rules::expiry(
            &self.cfg.security,
            SetBy::User,
            &options,
            now,
        ));
        row.failed_auth_count = Set(None);
        row.failed_auth_at = Set(None);
        row.update(&self.store.db).await?;
        self.revoke_user_tokens(id).await?;
        self.changed().await?;
        self.notify("updated", "user", id);
        Ok(())
    }

    /// Deletes a user with its role assignments (memberships, application and other
    /// credentials go with it through foreign keys).
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        self.get_user(id).await?;
        let txn = self.store.db.begin().await?;
        assignment::Entity::delete_many()
            .filter(assignment::Column::ActorType.eq("user"))
            .filter(assignment::Column::ActorId.eq(id))
            .exec(&txn)
            .await?;
        Identity::forget_user_trusts(&txn, id).await?;
        Identity::forget_user_access_rules(&txn, id).await?;
        password_history::Entity::delete_many()
            .filter(password_history::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        user::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.changed().await?;
        self.notify("deleted", "user", id);
        Ok(())
    }

    /// Revokes every token of `user_id` issued up to now. Token timestamps have
    /// second precision, so the event covers the current second and the call returns
    /// only once that second has passed: a token issued after it is never caught.
    pub(crate) async fn revoke_user_tokens(&self, user_id: &str) -> Result<()> {
        self.add_revocation(Some(user_id), None).await
    }
}
