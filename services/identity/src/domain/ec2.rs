//! EC2 credentials (OS-EC2): an access key and secret a user holds for one
//! project, kept as a credential of type `ec2` whose id is the SHA-256 of the
//! access key (so the key finds it) and whose blob is sealed like any other.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::tokens::TokenInfo;
use super::{Error, Extra, Identity, Result};
use crate::db::entity::credential;

/// The credential type of EC2 credentials.
pub const EC2: &str = "ec2";

/// The id of the EC2 credential with access key `access`, as Keystone's
/// `hash_access_key`.
pub fn hash_access_key(access: &str) -> String {
    Sha256::digest(access.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An EC2 credential as the OS-EC2 API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ec2Credential {
    pub user_id: String,
    pub project_id: Option<String>,
    pub access: String,
    pub secret: String,
    pub trust_id: Option<String>,
}

impl Ec2Credential {
    fn of(row: &credential::Model) -> Result<Self> {
        let blob: serde_json::Value = row
            .blob
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or_default();
        let text = |key: &str| blob.get(key).and_then(|v| v.as_str()).map(str::to_string);
        Ok(Ec2Credential {
            user_id: row.user_id.clone(),
            project_id: row.project_id.clone(),
            access: text("access").unwrap_or_default(),
            secret: text("secret").unwrap_or_default(),
            trust_id: text("trust_id"),
        })
    }
}

impl Identity {
    /// A new access key and secret for `user_id` on `project_id`. Tokens of a
    /// restricted application credential may not make one.
    pub async fn create_ec2_credential(
        &self,
        user_id: &str,
        project_id: Option<&str>,
        token: &TokenInfo,
    ) -> Result<Ec2Credential> {
        if let Some((_, _, true)) = token.app_cred {
            return Err(Error::Forbidden(
                "Using method 'application_credential' is not allowed for managing additional application credentials.".into(),
            ));
        }
        self.get_user(user_id).await?;
        let project_id = project_id.ok_or_else(|| Error::not_found("project", "None"))?;
        self.get_project_row(project_id).await?;
        let access = uuid::Uuid::new_v4().simple().to_string();
        let secret = uuid::Uuid::new_v4().simple().to_string();
        let blob = json!({"access": access, "secret": secret, "trust_id": null}).to_string();
        let (sealed, key_hash) = self.seal_blob(&blob);
        let id = hash_access_key(&access);
        credential::ActiveModel {
            id: Set(id.clone()),
            user_id: Set(user_id.to_string()),
            project_id: Set(Some(project_id.to_string())),
            kind: Set(EC2.to_string()),
            blob: Set(Some(sealed)),
            extra: Set(Extra::default().to_column()),
            key_hash: Set(Some(key_hash)),
        }
        .insert(&self.store.db)
        .await?;
        self.changed().await?;
        self.notify("created", "credential", &id);
        Ok(Ec2Credential {
            user_id: user_id.to_string(),
            project_id: Some(project_id.to_string()),
            access,
            secret,
            trust_id: None,
        })
    }

    /// The EC2 credentials of `user_id`.
    pub async fn list_ec2_credentials(&self, user_id: &str) -> Result<Vec<Ec2Credential>> {
        self.get_user(user_id).await?;
        credential::Entity::find()
            .filter(credential::Column::UserId.eq(user_id))
            .filter(credential::Column::Kind.eq(EC2))
            .order_by_asc(credential::Column::Id)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|row| Ec2Credential::of(&self.opened(row)?))
            .collect()
    }

    /// The EC2 credential with access key `access`: 404 when there is none,
    /// 401 when that id holds another kind of credential (as Keystone).
    pub async fn get_ec2_credential(&self, access: &str) -> Result<Ec2Credential> {
        let row = self.get_credential(&hash_access_key(access)).await?;
        if row.kind != EC2 {
            return Err(Error::Unauthorized("EC2 access key not found.".into()));
        }
        Ec2Credential::of(&row)
    }

    /// Deletes the EC2 credential with access key `access`.
    pub async fn delete_ec2_credential(&self, access: &str) -> Result<()> {
        self.get_ec2_credential(access).await?;
        self.delete_credential(&hash_access_key(access)).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn access_keys_hash_as_keystones() {
        // hashlib.sha256(b"abc").hexdigest()
        assert_eq!(
            super::hash_access_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
