//! User metadata of volumes and snapshots: `/{volumes,snapshots}/{id}/metadata[/{key}]`.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{snapshot, volume};

/// Whose metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Volume,
    Snapshot,
}

impl Owner {
    fn noun(self) -> &'static str {
        match self {
            Owner::Volume => "Volume",
            Owner::Snapshot => "Snapshot",
        }
    }

    /// Characters besides ASCII letters and digits a key may hold: snapshot
    /// metadata keys have no `/`.
    fn key_punctuation(self) -> &'static str {
        match self {
            Owner::Volume => "-_:. /",
            Owner::Snapshot => "-_:. ",
        }
    }

    /// The policy rule of reading (`get`), changing (`update`) or removing
    /// (`delete`) this owner's metadata.
    fn rule(self, verb: &str) -> String {
        match self {
            Owner::Volume => format!("volume:{verb}_volume_metadata"),
            Owner::Snapshot => format!("volume:{verb}_snapshot_metadata"),
        }
    }

    /// The error of a key `id` does not have.
    pub fn no_key(self, id: &str, key: &str) -> CinderError {
        CinderError::NotFound(format!(
            "{} {id} has no metadata with key {key}.",
            self.noun()
        ))
    }
}

/// Keys and values as Cinder's schema allows them (snapshot create takes
/// volume-style keys).
pub(crate) fn check(owner: Owner, metadata: &BTreeMap<String, String>) -> Result<()> {
    let punctuation = owner.key_punctuation();
    for (key, value) in metadata {
        let key_ok = !key.is_empty()
            && key.chars().count() <= 255
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || punctuation.contains(c));
        if !key_ok {
            return Err(CinderError::BadRequest(format!(
                "Invalid input for field/attribute metadata. Value: {key}. '{key}' does not match any of the regexes: '^[a-zA-Z0-9{punctuation}]{{1,255}}$'"
            )));
        }
        if value.chars().count() > 255 {
            return Err(CinderError::BadRequest(format!(
                "Invalid input for field/attribute {key}. Value: {value}. '{value}' is too long"
            )));
        }
    }
    Ok(())
}

impl Cinder {
    /// The metadata of `owner` `id`.
    pub async fn metadata(
        &self,
        caller: &Caller,
        owner: Owner,
        id: &str,
    ) -> Result<BTreeMap<String, String>> {
        self.metadata_for(caller, owner, id, "get").await
    }

    /// The metadata of `owner` `id` when the caller may `verb` it.
    async fn metadata_for(
        &self,
        caller: &Caller,
        owner: Owner,
        id: &str,
        verb: &str,
    ) -> Result<BTreeMap<String, String>> {
        let (project, text) = match owner {
            Owner::Volume => {
                let row = self.show_volume(caller, id).await?;
                (row.project_id, row.metadata)
            }
            Owner::Snapshot => {
                let row = self.show_snapshot(caller, id).await?;
                (row.project_id, row.metadata)
            }
        };
        self.authorize(caller, &owner.rule(verb), &project)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    /// Merges (`replace` false) or replaces the metadata; returns it.
    pub async fn set_metadata(
        &self,
        caller: &Caller,
        owner: Owner,
        id: &str,
        metadata: BTreeMap<String, String>,
        replace: bool,
    ) -> Result<BTreeMap<String, String>> {
        check(owner, &metadata)?;
        let mut current = self.metadata_for(caller, owner, id, "update").await?;
        if replace {
            current.clear();
        }
        current.extend(metadata);
        self.store_metadata(owner, id, &current).await?;
        Ok(current)
    }

    /// Removes one key.
    pub async fn delete_metadata(
        &self,
        caller: &Caller,
        owner: Owner,
        id: &str,
        key: &str,
    ) -> Result<()> {
        let mut current = self.metadata_for(caller, owner, id, "delete").await?;
        if current.remove(key).is_none() {
            return Err(owner.no_key(id, key));
        }
        self.store_metadata(owner, id, &current).await
    }

    async fn store_metadata(
        &self,
        owner: Owner,
        id: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<()> {
        let text = serde_json::to_string(metadata).unwrap_or_default();
        match owner {
            Owner::Volume => {
                volume::Entity::update_many()
                    .col_expr(volume::Column::Metadata, Expr::value(text))
                    .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
                    .filter(volume::Column::Id.eq(id))
                    .exec(&self.db)
                    .await?;
            }
            Owner::Snapshot => {
                snapshot::Entity::update_many()
                    .col_expr(snapshot::Column::Metadata, Expr::value(text))
                    .col_expr(snapshot::Column::UpdatedAt, Expr::value(now()))
                    .filter(snapshot::Column::Id.eq(id))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_keys_have_no_slash() {
        let slashed: BTreeMap<String, String> = [("k/x".to_string(), "v".to_string())].into();
        assert!(check(Owner::Volume, &slashed).is_ok());
        assert_eq!(
            check(Owner::Snapshot, &slashed).unwrap_err().to_string(),
            "Invalid input for field/attribute metadata. Value: k/x. 'k/x' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'"
        );
        let long: BTreeMap<String, String> = [("k".to_string(), "v".repeat(256))].into();
        assert!(check(Owner::Snapshot, &long)
            .unwrap_err()
            .to_string()
            .ends_with("is too long"));
    }
}
