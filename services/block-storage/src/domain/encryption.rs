//! Volume type encryption (admin): the encryptor, cipher, key size and where
//! encryption happens for volumes of a type. Specs change only while no volume
//! uses the type. This cloud has no key manager, so it refuses to create
//! volumes of an encrypted type rather than create them unencrypted.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{encryption, volume, volume_type};

/// Encryption specs as a request gives them; `None` leaves a field as it is
/// (on create: provider and control location are required by the API).
#[derive(Debug, Default, PartialEq)]
pub struct EncryptionSpecs {
    pub provider: Option<String>,
    pub cipher: Option<Option<String>>,
    pub key_size: Option<Option<i64>>,
    pub control_location: Option<String>,
}

fn no_encryption(type_id: &str) -> CinderError {
    CinderError::NotFound(format!(
        "Volume type encryption for type {type_id} does not exist."
    ))
}

/// Cinder's 400 for an encrypted type a volume cannot use here.
pub(crate) fn unsupported(kind: &volume_type::Model) -> CinderError {
    CinderError::BadRequest(format!(
        "Invalid volume type: Volume type {} is encrypted, and this cloud has no key manager to encrypt volumes with.",
        kind.name
    ))
}

impl Cinder {
    fn authorize_encryption(&self, caller: &Caller, action: &str) -> Result<()> {
        self.authorize(
            caller,
            &format!("volume_extension:volume_type_encryption:{action}"),
            caller.project(),
        )
    }

    /// The type by id, as Cinder's encryption API looks it up.
    async fn check_type(&self, type_id: &str) -> Result<()> {
        volume_type::Entity::find_by_id(type_id)
            .one(&self.db)
            .await?
            .map(|_| ())
            .ok_or_else(|| {
                CinderError::NotFound(format!("Volume type {type_id} could not be found."))
            })
    }

    /// Refuses to change the specs of a type volumes use.
    async fn refuse_in_use(&self, type_id: &str, verb: &str) -> Result<()> {
        let used = volume::Entity::find()
            .filter(volume::Column::VolumeTypeId.eq(type_id))
            .one(&self.db)
            .await?
            .is_some();
        if used {
            return Err(CinderError::BadRequest(format!(
                "Cannot {verb} encryption specs. Volume type in use."
            )));
        }
        Ok(())
    }

    /// The encryption of type `type_id`, if any (no policy check: volume
    /// creation asks it).
    pub(crate) async fn encryption_of(&self, type_id: &str) -> Result<Option<encryption::Model>> {
        Ok(encryption::Entity::find()
            .filter(encryption::Column::VolumeTypeId.eq(type_id))
            .one(&self.db)
            .await?)
    }

    /// The encryption specs of a type (`None`: the type is not encrypted).
    pub async fn show_encryption(
        &self,
        caller: &Caller,
        type_id: &str,
    ) -> Result<Option<encryption::Model>> {
        self.authorize_encryption(caller, "get")?;
        self.check_type(type_id).await?;
        self.encryption_of(type_id).await
    }

    /// Makes a type encrypted; `specs` has a provider and a control location.
    pub async fn create_encryption(
        &self,
        caller: &Caller,
        type_id: &str,
        specs: EncryptionSpecs,
    ) -> Result<encryption::Model> {
        self.authorize_encryption(caller, "create")?;
        self.refuse_in_use(type_id, "create").await?;
        self.check_type(type_id).await?;
        if self.encryption_of(type_id).await?.is_some() {
            return Err(CinderError::BadRequest(format!(
                "Volume type encryption for type {type_id} already exists."
            )));
        }
        let row = encryption::Model {
            encryption_id: uuid::Uuid::new_v4().to_string(),
            volume_type_id: type_id.to_string(),
            provider: specs.provider.unwrap_or_default(),
            cipher: specs.cipher.flatten(),
            key_size: specs.key_size.flatten(),
            control_location: specs.control_location.unwrap_or_default(),
            created_at: now(),
            updated_at: None,
        };
        encryption::Entity::insert(encryption::ActiveModel::from(row.clone()))
            .exec(&self.db)
            .await
            .map_err(|e| match ferrostack_db::DbError::from(e) {
                ferrostack_db::DbError::Duplicate(_) => CinderError::BadRequest(format!(
                    "Volume type encryption for type {type_id} already exists."
                )),
                other => other.into(),
            })?;
        Ok(row)
    }

    /// Changes the specs `specs` gives.
    pub async fn update_encryption(
        &self,
        caller: &Caller,
        type_id: &str,
        specs: EncryptionSpecs,
    ) -> Result<()> {
        self.authorize_encryption(caller, "update")?;
        self.check_type(type_id).await?;
        self.refuse_in_use(type_id, "update").await?;
        let row = self
            .encryption_of(type_id)
            .await?
            .ok_or_else(|| no_encryption(type_id))?;
        let mut active: encryption::ActiveModel = row.into();
        if let Some(provider) = specs.provider {
            active.provider = Set(provider);
        }
        if let Some(cipher) = specs.cipher {
            active.cipher = Set(cipher);
        }
        if let Some(key_size) = specs.key_size {
            active.key_size = Set(key_size);
        }
        if let Some(location) = specs.control_location {
            active.control_location = Set(location);
        }
        active.updated_at = Set(Some(now()));
        active.update(&self.db).await?;
        Ok(())
    }

    /// Makes a type unencrypted again.
    pub async fn delete_encryption(&self, caller: &Caller, type_id: &str) -> Result<()> {
        self.authorize_encryption(caller, "delete")?;
        self.refuse_in_use(type_id, "delete").await?;
        let gone = encryption::Entity::delete_many()
            .filter(encryption::Column::VolumeTypeId.eq(type_id))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(no_encryption(type_id));
        }
        Ok(())
    }
}
