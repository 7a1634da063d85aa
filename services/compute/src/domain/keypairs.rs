//! Key pairs: users' public keys (imported, or generated below 2.92), unique
//! per user by name, held to the `key_pairs` quota.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::ssh_key;
use super::{now, Caller, Nova, NovaError, Result};
use crate::db::entity::key_pair;

/// What a create asks for, validated by the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKeyPair {
    pub name: String,
    /// `ssh` or `x509`.
    pub kind: String,
    /// Imported when given; generated otherwise.
    pub public_key: Option<String>,
    /// Another user's (2.10, admin); the caller's when `None`.
    pub user_id: Option<String>,
}

/// A key pair just made, with the private key when Nova generated it.
#[derive(Debug, Clone)]
pub struct CreatedKeyPair {
    pub row: key_pair::Model,
    pub private_key: Option<String>,
}

fn not_found(name: &str, user_id: &str) -> NovaError {
    NovaError::NotFound(format!("Keypair {name} not found for user {user_id}"))
}

fn invalid(reason: &str) -> NovaError {
    NovaError::BadRequest(format!("Keypair data is invalid: {reason}"))
}

impl Nova {
    /// The user a key pair request is about: the one named, or the caller.
    fn keypair_user(caller: &Caller, user_id: Option<&str>) -> String {
        user_id
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| caller.ctx.user_id.clone())
    }

    /// Imports or generates a key pair.
    pub async fn create_keypair(&self, caller: &Caller, new: NewKeyPair) -> Result<CreatedKeyPair> {
        let user_id = Self::keypair_user(caller, new.user_id.as_deref());
        self.authorize(
            caller,
            "os_compute_api:os-keypairs:create",
            &json!({"user_id": user_id}),
        )?;
        let quota = self.project_limits(&self.db, caller.project()).await?["key_pairs"];
        if quota >= 0 {
            let count = key_pair::Entity::find()
                .filter(key_pair::Column::UserId.eq(user_id.as_str()))
                .count(&self.db)
                .await?;
            if count as i64 >= quota {
                return Err(NovaError::Forbidden(
                    "Quota exceeded, too many key pairs.".into(),
                ));
            }
        }
        let (public_key, private_key) = match new.public_key {
            Some(key) => (key, None),
            None if new.kind == "x509" => {
                let user = user_id.clone();
                let (private, certificate) =
                    tokio::task::spawn_blocking(move || super::x509_keypair::generate(&user))
                        .await
                        .map_err(|e| NovaError::Internal(e.to_string()))?
                        .map_err(NovaError::Internal)?;
                (certificate, Some(private))
            }
            None => {
                let (private, public) = tokio::task::spawn_blocking(ssh_key::generate_rsa)
                    .await
                    .map_err(|e| NovaError::Internal(e.to_string()))?
                    .map_err(NovaError::Internal)?;
                (public, Some(private))
            }
        };
        let fingerprint = if new.kind == "x509" {
            ssh_key::x509_fingerprint(&public_key).map_err(|e| {
                invalid(&format!(
                    "failed to generate X509 fingerprint. Error message: {e}"
                ))
            })?
        } else {
            ssh_key::ssh_fingerprint(&public_key)
                .ok_or_else(|| invalid("failed to generate fingerprint"))?
        };
        let row = key_pair::ActiveModel {
            user_id: sea_orm::Set(user_id),
            name: sea_orm::Set(new.name.clone()),
            fingerprint: sea_orm::Set(fingerprint),
            public_key: sea_orm::Set(public_key),
            kind: sea_orm::Set(new.kind),
            created_at: sea_orm::Set(now()),
            ..Default::default()
        };
        let inserted = key_pair::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => {
                    NovaError::Conflict(format!("Key pair '{}' already exists.", new.name))
                }
                other => other.into(),
            })?;
        Ok(CreatedKeyPair {
            row: inserted,
            private_key,
        })
    }

    /// A user's key pairs by name, after `marker` (a name), at most `limit`.
    pub async fn list_keypairs(
        &self,
        caller: &Caller,
        user_id: Option<&str>,
        marker: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<key_pair::Model>> {
        let user_id = Self::keypair_user(caller, user_id);
        self.authorize(
            caller,
            "os_compute_api:os-keypairs:index",
            &json!({"user_id": user_id}),
        )?;
        let mut query = key_pair::Entity::find()
            .filter(key_pair::Column::UserId.eq(user_id.as_str()))
            .order_by_asc(key_pair::Column::Name);
        if let Some(marker) = marker {
            let exists = key_pair::Entity::find()
                .filter(key_pair::Column::UserId.eq(user_id.as_str()))
                .filter(key_pair::Column::Name.eq(marker))
                .one(&self.db)
                .await?
                .is_some();
            if !exists {
                return Err(NovaError::BadRequest(format!(
                    "Marker {marker} could not be found."
                )));
            }
            query = query.filter(key_pair::Column::Name.gt(marker));
        }
        if let Some(limit) = limit {
            query = query.limit(limit as u64);
        }
        Ok(query.all(&self.db).await?)
    }

    /// One key pair of a user.
    pub async fn show_keypair(
        &self,
        caller: &Caller,
        name: &str,
        user_id: Option<&str>,
    ) -> Result<key_pair::Model> {
        let user_id = Self::keypair_user(caller, user_id);
        self.authorize(
            caller,
            "os_compute_api:os-keypairs:show",
            &json!({"user_id": user_id}),
        )?;
        self.keypair_row(name, &user_id).await
    }

    async fn keypair_row(&self, name: &str, user_id: &str) -> Result<key_pair::Model> {
        key_pair::Entity::find()
            .filter(key_pair::Column::UserId.eq(user_id))
            .filter(key_pair::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(name, user_id))
    }

    /// Deletes one key pair of a user.
    pub async fn delete_keypair(
        &self,
        caller: &Caller,
        name: &str,
        user_id: Option<&str>,
    ) -> Result<()> {
        let user_id = Self::keypair_user(caller, user_id);
        self.authorize(
            caller,
            "os_compute_api:os-keypairs:delete",
            &json!({"user_id": user_id}),
        )?;
        let row = self.keypair_row(name, &user_id).await?;
        key_pair::Entity::delete_by_id(row.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
