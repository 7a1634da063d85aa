//! Volume transfers: the owner offers an available volume (and, unless
//! `no_snapshots`, its snapshots) to whoever presents the transfer id and the
//! auth key, which is shown once and stored only as a salted hash. While
//! offered the volume is `awaiting-transfer`; accepting moves it, quota-checked,
//! to the acceptor's project.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use sha2::{Digest, Sha256};

use super::quotas::Claim;
use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::{snapshot, transfer, volume, volume_type};

/// Length of the auth key, as Cinder's `volume_transfer_key_length`.
const KEY_LENGTH: usize = 16;
/// Length of the salt, as Cinder's `volume_transfer_salt_length`.
const SALT_LENGTH: usize = 8;

/// Random hex digits a recipient can type.
fn random_hex(length: usize) -> String {
    let mut out = String::new();
    while out.len() < length {
        let seed = [
            uuid::Uuid::new_v4().into_bytes(),
            uuid::Uuid::new_v4().into_bytes(),
        ]
        .concat();
        out.extend(Sha256::digest(seed).iter().map(|b| format!("{b:02x}")));
    }
    out.truncate(length);
    out
}

fn crypt_hash(salt: &str, auth_key: &str) -> String {
    Sha256::digest(format!("{salt}{auth_key}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a create body asks for: the volume, a name, and whether its
/// snapshots stay behind (3.55).
#[derive(Debug, PartialEq)]
pub struct TransferRequest {
    pub volume_id: String,
    pub name: Option<String>,
    pub no_snapshots: bool,
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Transfer {id} could not be found."))
}

/// Deletes a volume's row — only while its status is one of `from_status`,
/// when that is not empty — and its offers in the same transaction, so no
/// reader sees an offer of a volume that is gone.
pub(crate) async fn delete_volume_and_offers(
    db: &sea_orm::DatabaseConnection,
    volume_id: &str,
    from_status: &[String],
) -> std::result::Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    let mut delete = volume::Entity::delete_many().filter(volume::Column::Id.eq(volume_id));
    if !from_status.is_empty() {
        delete = delete.filter(volume::Column::Status.is_in(from_status.iter().cloned()));
    }
    if delete.exec(&txn).await?.rows_affected > 0 {
        transfer::Entity::delete_many()
            .filter(transfer::Column::VolumeId.eq(volume_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}

impl Cinder {
    /// Offers a volume; returns the transfer and its auth key (shown once).
    pub async fn create_transfer(
        &self,
        caller: &Caller,
        request: TransferRequest,
    ) -> Result<(transfer::Model, String)> {
        let row = self.show_volume(caller, &request.volume_id).await?;
        self.authorize(caller, "volume:create_transfer", &row)?;
        if row.status != "available" {
            return Err(CinderError::BadRequest(
                "Invalid volume: status must be available".into(),
            ));
        }
        super::migrate::refuse_while_migrating(&row, "be transferred")?;
        if !request.no_snapshots {
            if let Some(busy) = self
                .snapshots_of(&row.id)
                .await?
                .into_iter()
                .find(|s| s.status != "available")
            {
                return Err(CinderError::BadRequest(format!(
                    "Invalid snapshot: snapshot: {} status must be available",
                    busy.id
                )));
            }
        }
        let salt = random_hex(SALT_LENGTH);
        let auth_key = random_hex(KEY_LENGTH);
        let record = transfer::Model {
            id: uuid::Uuid::new_v4().to_string(),
            volume_id: row.id.clone(),
            name: request.name,
            crypt_hash: crypt_hash(&salt, &auth_key),
            salt,
            no_snapshots: request.no_snapshots,
            source_project_id: row.project_id.clone(),
            created_at: now(),
        };
        let txn = self.db.begin().await?;
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("awaiting-transfer"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(row.id.as_str()))
            .filter(volume::Column::Status.eq("available"))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(
                "Invalid volume: status must be available".into(),
            ));
        }
        transfer::Entity::insert(transfer::ActiveModel::from(record.clone()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok((record, auth_key))
    }

    /// The caller's transfers (every project's with `all_tenants` as admin),
    /// oldest first, filtered by `name` and `volume_id`.
    pub async fn list_transfers(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        all_tenants: bool,
    ) -> Result<Vec<transfer::Model>> {
        self.authorize(caller, "volume:get_all_transfers", caller.project())?;
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let all = caller.is_admin && all_tenants;
        let mut query = transfer::Entity::find()
            .order_by_asc(transfer::Column::CreatedAt)
            .order_by_asc(transfer::Column::Id);
        if !all {
            query = query.filter(transfer::Column::SourceProjectId.eq(caller.project()));
        }
        if let Some(name) = get("name") {
            query = query.filter(transfer::Column::Name.eq(name));
        }
        if let Some(volume_id) = get("volume_id") {
            query = query.filter(transfer::Column::VolumeId.eq(volume_id));
        }
        Ok(query.all(&self.db).await?)
    }

    /// Transfer `id` as its owner (or an admin) sees it.
    pub async fn show_transfer(&self, caller: &Caller, id: &str) -> Result<transfer::Model> {
        self.authorize(caller, "volume:get_transfer", caller.project())?;
        let found = transfer::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|t| caller.is_admin || t.source_project_id == caller.project())
            .ok_or_else(|| not_found(id))?;
        Ok(found)
    }

    /// Withdraws an offer: the volume is available again.
    pub async fn delete_transfer(&self, caller: &Caller, id: &str) -> Result<()> {
        let found = self.show_transfer(caller, id).await?;
        self.authorize(caller, "volume:delete_transfer", &found.source_project_id)?;
        let txn = self.db.begin().await?;
        // Only the withdrawal that removes the offer frees the donor's volume.
        if transfer::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected
            != 1
        {
            return Err(not_found(id));
        }
        volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("available"))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(found.volume_id.as_str()))
            .filter(volume::Column::ProjectId.eq(found.source_project_id.as_str()))
            .filter(volume::Column::Status.eq("awaiting-transfer"))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Takes a volume offered by another project with its auth key.
    pub async fn accept_transfer(
        &self,
        caller: &Caller,
        id: &str,
        auth_key: &str,
    ) -> Result<transfer::Model> {
        self.authorize(caller, "volume:accept_transfer", caller.project())?;
        let found = transfer::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if crypt_hash(&found.salt, auth_key) != found.crypt_hash {
            return Err(CinderError::BadRequest(format!(
                "Invalid auth key: Attempt to transfer {id} with invalid auth key."
            )));
        }
        let row = volume::Entity::find_by_id(found.volume_id.as_str())
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        let snapshots = if found.no_snapshots {
            Vec::new()
        } else {
            self.snapshots_of(&row.id).await?
        };
        let kind = volume_type::Entity::find_by_id(row.volume_type_id.as_str())
            .one(&self.db)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let txn = self
            .claim_quota(
                caller.project(),
                Claim::Transfer {
                    size: row.size,
                    kind: &kind,
                    snapshots: snapshots.len() as i64,
                    snapshot_gb: snapshots.iter().map(|s| s.size).sum(),
                },
            )
            .await?;
        let user = caller.ctx.user_id.clone();
        // The offer is used up first: a withdrawn or already accepted one
        // moves nothing.
        if transfer::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected
            != 1
        {
            return Err(not_found(id));
        }
        let moved = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("available"))
            .col_expr(volume::Column::ProjectId, Expr::value(caller.project()))
            .col_expr(volume::Column::UserId, Expr::value(user.as_str()))
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(row.id.as_str()))
            .filter(volume::Column::ProjectId.eq(found.source_project_id.as_str()))
            .filter(volume::Column::Status.eq("awaiting-transfer"))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Transfer {id}: Volume id {} in unexpected state {}, expected awaiting-transfer",
                row.id, row.status
            )));
        }
        if !found.no_snapshots {
            snapshot::Entity::update_many()
                .col_expr(snapshot::Column::ProjectId, Expr::value(caller.project()))
                .col_expr(snapshot::Column::UserId, Expr::value(user.as_str()))
                .filter(snapshot::Column::VolumeId.eq(row.id.as_str()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_and_hashed_with_their_salt() {
        let key = random_hex(KEY_LENGTH);
        assert_eq!(key.len(), 16);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key, random_hex(KEY_LENGTH));
        assert_eq!(crypt_hash("s", &key), crypt_hash("s", &key));
        assert_ne!(crypt_hash("s", &key), crypt_hash("t", &key));
    }
}
