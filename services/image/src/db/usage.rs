//! What a project uses, for quotas.

use ferrostack_db::DbResult;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::entity::image;
use super::Repo;
use crate::domain::model::Status;

/// A project's image usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Images owned.
    pub count: u64,
    /// Images being uploaded, staged or imported.
    pub uploading: u64,
    /// Bytes of data stored (active or deactivated images).
    pub stored: u64,
    /// Bytes staged and not yet imported.
    pub staged: u64,
}

impl Repo {
    /// The usage of the images `owner` owns.
    pub async fn usage(&self, owner: &str) -> DbResult<Usage> {
        let rows: Vec<(String, Option<i64>)> = image::Entity::find()
            .select_only()
            .column(image::Column::Status)
            .column(image::Column::Size)
            .filter(image::Column::Owner.eq(owner))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut usage = Usage::default();
        for (status, size) in rows {
            let bytes = size.unwrap_or(0).max(0) as u64;
            usage.count += 1;
            match Status::parse(&status) {
                Some(Status::Saving) => usage.uploading += 1,
                Some(Status::Uploading | Status::Importing) => {
                    usage.uploading += 1;
                    usage.staged += bytes;
                }
                Some(Status::Active | Status::Deactivated) => usage.stored += bytes,
                _ => {}
            }
        }
        Ok(usage)
    }
}
