//! Credentials (EC2 and other secrets users keep in identity). Blobs are stored
//! encrypted with the credential key repository (`[credential] key_repository`,
//! Fernet, as Keystone's fernet credential provider); models leaving this module
//! hold them decrypted. An update may not move a credential to another owner
//! unless policy allows it for the result too (CVE-2020-12691), nor change the
//! scope an EC2 blob names.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{new_id, validate, Error, Extra, Identity, Result};
use crate::db::entity::credential;

/// Fields of a credential create or update request.
#[derive(Debug, Default, Deserialize)]
pub struct CredentialInput {
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub blob: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Keys of an EC2 blob that pin what it may be used for: never changed by an
/// update (Keystone's `_validate_blob_update_keys`).
const EC2_PINNED: [&str; 4] = ["trust_id", "app_cred_id", "access_token_id", "access_id"];

fn ec2_blob(blob: &str) -> Result<Map<String, Value>> {
    let invalid =
        || Error::invalid("Invalid blob in credential: an ec2 blob must be JSON with 'access'");
    let parsed: Value = serde_json::from_str(blob).map_err(|_| invalid())?;
    match parsed {
        Value::Object(map) if map.get("access").and_then(Value::as_str).is_some() => Ok(map),
        _ => Err(invalid()),
    }
}

impl CredentialInput {
    /// The credential as it would be after this update, for the policy check on
    /// the result.
    pub fn applied_to(&self, current: &credential::Model) -> credential::Model {
        credential::Model {
            user_id: self.user_id.clone().unwrap_or(current.user_id.clone()),
            project_id: self.project_id.clone().or(current.project_id.clone()),
            kind: self.kind.clone().unwrap_or(current.kind.clone()),
            ..current.clone()
        }
    }
}

impl Identity {
    pub(super) fn seal_blob(&self, blob: &str) -> (String, String) {
        let keys = self.credential_keys.current();
        (
            keys.encrypt(blob.as_bytes()),
            keys.primary_hash().to_string(),
        )
    }

    /// The model with its blob decrypted.
    pub(super) fn opened(&self, mut row: credential::Model) -> Result<credential::Model> {
        if row.key_hash.is_some() {
            if let Some(sealed) = &row.blob {
                let plain = self
                    .credential_keys
                    .current()
                    .decrypt(sealed)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        Error::Internal(format!(
                            "credential {} cannot be decrypted with the credential keys",
                            row.id
                        ))
                    })?;
                row.blob = Some(plain);
            }
        }
        Ok(row)
    }

    pub async fn create_credential(&self, input: CredentialInput) -> Result<credential::Model> {
        let user_id = input.user_id.ok_or_else(|| validate::required("user_id"))?;
        let kind = input.kind.ok_or_else(|| validate::required("type"))?;
        let blob = input.blob.ok_or_else(|| validate::required("blob"))?;
        self.get_user(&user_id).await?;
        let mut id = new_id();
        if kind == super::ec2::EC2 {
            let fields = ec2_blob(&blob)?;
            // Found by its access key, as Keystone keys EC2 credentials.
            if let Some(access) = fields.get("access").and_then(Value::as_str) {
                id = super::ec2::hash_access_key(access);
            }
            if input.project_id.is_none() {
                return Err(Error::invalid(
                    "Invalid input for field 'project_id': ec2 credentials need a project",
                ));
            }
        }
        let mut extra = Extra::default();
        extra.merge(input.extra);
        let (sealed, key_hash) = self.seal_blob(&blob);
        let row = credential::ActiveModel {
            id: Set(id),
            user_id: Set(user_id),
            project_id: Set(input.project_id),
            kind: Set(kind),
            blob: Set(Some(sealed)),
            extra: Set(extra.to_column()),
            key_hash: Set(Some(key_hash)),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "credential", &row.id);
        self.opened(row)
    }

    pub async fn get_credential(&self, id: &str) -> Result<credential::Model> {
        let row = credential::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("credential", id))?;
        self.opened(row)
    }

    pub async fn list_credentials(
        &self,
        user_id: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<credential::Model>> {
        let mut query = credential::Entity::find().order_by_asc(credential::Column::Id);
        if let Some(user_id) = user_id {
            query = query.filter(credential::Column::UserId.eq(user_id));
        }
        if let Some(kind) = kind {
            query = query.filter(credential::Column::Kind.eq(kind));
        }
        query
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| self.opened(row))
            .collect()
    }

    /// Updates `current` (as the caller was authorized on it and on the result).
    pub async fn update_credential(
        &self,
        current: credential::Model,
        input: CredentialInput,
    ) -> Result<credential::Model> {
        let id = current.id.clone();
        let kind = input.kind.clone().unwrap_or(current.kind.clone());
        if let Some(blob) = &input.blob {
            if kind == "ec2" {
                let new = ec2_blob(blob)?;
                let old = current
                    .blob
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<Map<String, Value>>(b).ok())
                    .unwrap_or_default();
                for key in EC2_PINNED {
                    if old.get(key) != new.get(key) {
                        return Err(Error::invalid(format!(
                            "{key} can not be updated for credential"
                        )));
                    }
                }
            }
        }
        if let Some(user_id) = &input.user_id {
            self.get_user(user_id).await?;
        }
        let mut extra = Extra::parse(&current.extra);
        let mut row = current.into_active_model();
        if let Some(user_id) = input.user_id {
            row.user_id = Set(user_id);
        }
        if input.project_id.is_some() {
            row.project_id = Set(input.project_id);
        }
        if let Some(kind) = input.kind {
            row.kind = Set(kind);
        }
        if let Some(blob) = input.blob {
            let (sealed, key_hash) = self.seal_blob(&blob);
            row.blob = Set(Some(sealed));
            row.key_hash = Set(Some(key_hash));
        } else {
            // The model handed in holds the blob decrypted: leave the column alone.
            row.blob = sea_orm::ActiveValue::NotSet;
            row.key_hash = sea_orm::ActiveValue::NotSet;
        }
        extra.merge(input.extra);
        row.extra = Set(extra.to_column());
        let row = row.update(&self.store.db).await?;
        self.changed().await?;
        self.notify("updated", "credential", &id);
        self.opened(row)
    }

    pub async fn delete_credential(&self, id: &str) -> Result<()> {
        self.get_credential(id).await?;
        credential::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("deleted", "credential", id);
        Ok(())
    }

    /// Encrypts with the primary credential key every blob stored in plain text
    /// or under another key (after `credential rotate`, as `keystone-manage
    /// credential_migrate`); returns how many were rewritten.
    pub async fn migrate_credentials(&self) -> Result<u64> {
        let primary = self.credential_keys.current().primary_hash().to_string();
        let stale = credential::Entity::find()
            .filter(
                credential::Column::KeyHash
                    .is_null()
                    .or(credential::Column::KeyHash.ne(primary.as_str())),
            )
            .all(&self.store.db)
            .await?;
        let mut rewritten = 0;
        for row in stale {
            let open = self.opened(row)?;
            let Some(blob) = open.blob.clone() else {
                continue;
            };
            let (sealed, key_hash) = self.seal_blob(&blob);
            let mut update = open.into_active_model();
            update.blob = Set(Some(sealed));
            update.key_hash = Set(Some(key_hash));
            update.update(&self.store.db).await?;
            rewritten += 1;
        }
        Ok(rewritten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_blobs_need_an_access_key() {
        assert!(ec2_blob(r#"{"access": "a", "secret": "s"}"#).is_ok());
        assert!(ec2_blob(r#"{"secret": "s"}"#).is_err());
        assert!(ec2_blob("not json").is_err());
    }
}
