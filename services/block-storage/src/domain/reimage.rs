//! os-reimage (3.68): an image's data in place of a volume's — a volume that
//! is available or in error, or (with `reimage_reserved`, as compute asks
//! when it rebuilds a volume-backed server) one reserved for an attachment.
//! The image is checked as for a volume made from it; the volume downloads on
//! its host, keeps the new image's metadata, and returns to its status.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::volume;
use crate::rpc;
use crate::rpc::messages::{ReimageVolume, VolumeSpec};

/// The statuses a volume is reimaged from.
fn reimageable(reserved: bool) -> &'static [&'static str] {
    if reserved {
        &["available", "error", "reserved"]
    } else {
        &["available", "error"]
    }
}

impl Cinder {
    /// `os-reimage`: 202 once the volume is downloading on its host.
    pub(crate) async fn reimage(
        &self,
        caller: &Caller,
        id: &str,
        image_id: &str,
        reserved: bool,
    ) -> Result<()> {
        let row = self.show_volume(caller, id).await?;
        let rule = if reserved {
            "volume:reimage_reserved"
        } else {
            "volume:reimage"
        };
        self.authorize(caller, rule, &row)?;
        let allowed = reimageable(reserved);
        if !allowed.contains(&row.status.as_str()) {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} status must be {}, but current status is: {}.",
                allowed.join(" or "),
                row.status
            )));
        }
        super::migrate::refuse_while_migrating(&row, "be reimaged")?;
        let image = self.image_source(caller, image_id, Some(row.size)).await?;
        let claimed = volume::Entity::update_many()
            .col_expr(volume::Column::Status, Expr::value("downloading"))
            .col_expr(
                volume::Column::ImageMetadata,
                Expr::value(serde_json::to_string(&image.metadata).ok()),
            )
            .col_expr(volume::Column::UpdatedAt, Expr::value(now()))
            .filter(volume::Column::Id.eq(id))
            .filter(volume::Column::Status.eq(row.status.as_str()))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(CinderError::BadRequest(format!(
                "Invalid volume: Volume {id} changed state during the request."
            )));
        }
        let host = row.host.clone().unwrap_or_default();
        let (hash_algo, hash_value) = image.hash.unwrap_or_default();
        let request = ReimageVolume {
            volume: Some(VolumeSpec {
                id: id.to_string(),
                size_gb: row.size,
                host: host.clone(),
                image_id: image.id,
                image_api_url: self.images.url().await?,
                image_disk_format: image.disk_format,
                image_hash_algo: hash_algo,
                image_hash_value: hash_value,
                ..VolumeSpec::default()
            }),
            done_status: row.status.clone(),
            provider_location: row.provider_location.unwrap_or_default(),
        };
        if let Err(e) = self
            .volume
            .cast::<rpc::volume::ReimageVolume>(&caller.rpc_context(), Some(&host), &request)
            .await
        {
            tracing::error!(volume = id, "volume host unreachable: {e}");
            self.write(id, volume::Column::Status, "error").await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::reimageable;

    #[test]
    fn reserved_volumes_are_reimaged_only_when_asked() {
        assert!(!reimageable(false).contains(&"reserved"));
        assert!(reimageable(true).contains(&"reserved"));
        assert!(!reimageable(true).contains(&"in-use"));
    }
}
