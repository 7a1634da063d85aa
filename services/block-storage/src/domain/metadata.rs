//! Volume metadata: `/volumes/{id}/metadata[/{key}]`.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::{Caller, Cinder, CinderError, Result};
use crate::db::entity::volume;

/// Keys and values as Cinder's schema allows them.
fn check(metadata: &BTreeMap<String, String>) -> Result<()> {
    for (key, value) in metadata {
        let key_ok = !key.is_empty()
            && key.len() <= 255
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:. /".contains(c));
        if !key_ok {
            return Err(CinderError::BadRequest(format!(
                "Invalid input for field/attribute metadata. Value: {key}. '{key}' does not match '^[a-zA-Z0-9-_:. /]{{1,255}}$'"
            )));
        }
        if value.len() > 255 {
            return Err(CinderError::BadRequest(format!(
                "Invalid input for field/attribute {key}. Value: {value}. '{value}' is too long"
            )));
        }
    }
    Ok(())
}

impl Cinder {
    /// The volume's metadata.
    pub async fn volume_metadata(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        let row = self.show_volume(caller, id).await?;
        Ok(serde_json::from_str(&row.metadata).unwrap_or_default())
    }

    /// Merges (`replace` false) or replaces the volume's metadata; returns it.
    pub async fn set_volume_metadata(
        &self,
        caller: &Caller,
        id: &str,
        metadata: BTreeMap<String, String>,
        replace: bool,
    ) -> Result<BTreeMap<String, String>> {
        check(&metadata)?;
        let row = self.show_volume(caller, id).await?;
        let mut current: BTreeMap<String, String> = if replace {
            BTreeMap::new()
        } else {
            serde_json::from_str(&row.metadata).unwrap_or_default()
        };
        current.extend(metadata);
        self.store_metadata(row, &current).await?;
        Ok(current)
    }

    /// Removes one key.
    pub async fn delete_volume_metadata(&self, caller: &Caller, id: &str, key: &str) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        let mut current: BTreeMap<String, String> =
            serde_json::from_str(&row.metadata).unwrap_or_default();
        if current.remove(key).is_none() {
            return Err(CinderError::NotFound(format!(
                "Volume {id} has no metadata with key {key}."
            )));
        }
        self.store_metadata(row, &current).await
    }

    async fn store_metadata(
        &self,
        row: volume::Model,
        metadata: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut active: volume::ActiveModel = row.into();
        active.metadata = Set(serde_json::to_string(metadata).unwrap_or_default());
        active.updated_at = Set(chrono::Utc::now().naive_utc());
        active.update(&self.db).await?;
        Ok(())
    }
}
