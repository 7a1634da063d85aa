//! Volume transfers: the owner offers an available volume (and, unless
//! `no_snapshots`, its snapshots) to whoever presents the transfer id and the
//! auth key, which is shown once and stored only as a salted hash. While
//! offered the volume is `awaiting-transfer`; accepting moves it, quota-checked,
//! to the acceptor's project.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::quotas::Claim;
use super::schema::{boolean, python_repr, required_object, schema_error};
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

/// What a create body asks for: volume id, name, no_snapshots.
#[derive(Debug, PartialEq)]
struct TransferRequest {
    volume_id: String,
    name: Option<String>,
    no_snapshots: bool,
}

/// Cinder's `create` schema (and `create_v355`, which adds `no_snapshots`).
fn transfer_request(body: &Value, with_snapshots_flag: bool) -> Result<TransferRequest> {
    let fields = required_object(body, "transfer")?;
    let args = &body["transfer"];
    let allowed: &[&str] = if with_snapshots_flag {
        &["volume_id", "name", "no_snapshots"]
    } else {
        &["volume_id", "name"]
    };
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(schema_error(
            "transfer",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    let volume_id = match fields.get("volume_id") {
        Some(Value::String(id)) if uuid::Uuid::parse_str(id).is_ok() => id.clone(),
        Some(other) => {
            return Err(schema_error(
                "volume_id",
                other,
                &format!("{} is not a 'uuid'", python_repr(other)),
            ))
        }
        None => {
            return Err(schema_error(
                "transfer",
                args,
                "'volume_id' is a required property",
            ))
        }
    };
    let name = match fields.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if name.chars().count() > 255 => {
            return Err(schema_error(
                "name",
                &Value::String(name.clone()),
                &format!("'{name}' is too long"),
            ))
        }
        Some(Value::String(name)) => Some(name.trim().to_string()),
        Some(other) => {
            return Err(schema_error(
                "name",
                other,
                &format!(
                    "{} is not valid under any of the given schemas",
                    python_repr(other)
                ),
            ))
        }
    };
    let no_snapshots = boolean("no_snapshots", fields.get("no_snapshots"))?;
    Ok(TransferRequest {
        volume_id,
        name,
        no_snapshots,
    })
}

/// The auth key of an accept body (a string or an integer).
fn accept_key(body: &Value) -> Result<String> {
    let fields = required_object(body, "accept")?;
    let args = &body["accept"];
    if let Some(extra) = fields.keys().find(|k| k.as_str() != "auth_key") {
        return Err(schema_error(
            "accept",
            args,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    match fields.get("auth_key") {
        Some(Value::String(key)) => Ok(key.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(schema_error(
            "auth_key",
            other,
            &format!("{} is not of type 'string', 'integer'", python_repr(other)),
        )),
        None => Err(schema_error(
            "accept",
            args,
            "'auth_key' is a required property",
        )),
    }
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Transfer {id} could not be found."))
}

/// Drops the offers of a volume that is gone.
pub(crate) async fn drop_transfers_of(
    db: &impl sea_orm::ConnectionTrait,
    volume_id: &str,
) -> std::result::Result<(), sea_orm::DbErr> {
    transfer::Entity::delete_many()
        .filter(transfer::Column::VolumeId.eq(volume_id))
        .exec(db)
        .await?;
    Ok(())
}

impl Cinder {
    /// Offers a volume; returns the transfer and its auth key (shown once).
    pub async fn create_transfer(
        &self,
        caller: &Caller,
        body: &Value,
        with_snapshots_flag: bool,
    ) -> Result<(transfer::Model, String)> {
        let request = transfer_request(body, with_snapshots_flag)?;
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
    ) -> Result<Vec<transfer::Model>> {
        self.authorize(caller, "volume:get_all_transfers", caller.project())?;
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let all = caller.is_admin && super::schema::bool_param("all_tenants", get("all_tenants"))?;
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
        body: &Value,
    ) -> Result<transfer::Model> {
        let auth_key = accept_key(body)?;
        self.authorize(caller, "volume:accept_transfer", caller.project())?;
        let found = transfer::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found(id))?;
        if crypt_hash(&found.salt, &auth_key) != found.crypt_hash {
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
    use serde_json::json;

    const ID: &str = "5f3d2f3e-7c55-4c8e-9a55-0c1d2e3f4a5b";

    #[test]
    fn create_and_accept_bodies() {
        assert_eq!(
            transfer_request(
                &json!({"transfer": {"volume_id": ID, "name": " t "}}),
                false
            )
            .unwrap(),
            TransferRequest {
                volume_id: ID.into(),
                name: Some("t".into()),
                no_snapshots: false
            }
        );
        assert!(
            transfer_request(
                &json!({"transfer": {"volume_id": ID, "no_snapshots": true}}),
                true
            )
            .unwrap()
            .no_snapshots
        );
        let err = |body: Value, flag: bool| transfer_request(&body, flag).unwrap_err().to_string();
        assert!(err(
            json!({"transfer": {"volume_id": ID, "no_snapshots": true}}),
            false
        )
        .ends_with("Additional properties are not allowed ('no_snapshots' was unexpected)"));
        assert!(err(json!({"transfer": {}}), true).ends_with("'volume_id' is a required property"));
        assert_eq!(
            err(json!({"transfer": {"volume_id": "x"}}), true),
            "Invalid input for field/attribute volume_id. Value: x. 'x' is not a 'uuid'"
        );
        assert_eq!(
            accept_key(&json!({"accept": {"auth_key": 1234}})).unwrap(),
            "1234"
        );
        assert!(accept_key(&json!({"accept": {}}))
            .unwrap_err()
            .to_string()
            .ends_with("'auth_key' is a required property"));
    }

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
