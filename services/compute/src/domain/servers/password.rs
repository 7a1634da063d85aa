//! A server's encrypted password (`os-server-password`): what its guest
//! posted to the metadata service, kept in its system metadata.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entity::instance_system_metadata as system;
use crate::domain::{Caller, Nova, Result};

/// The system metadata key the password is kept under.
const KEY: &str = "password";

impl Nova {
    /// The encrypted password ("" when the guest posted none).
    pub async fn server_password(&self, caller: &Caller, id: &str) -> Result<String> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-server-password:show")
            .await?;
        Ok(system::Entity::find_by_id((row.uuid, KEY.to_string()))
            .one(&self.db)
            .await?
            .and_then(|m| m.value)
            .unwrap_or_default())
    }

    /// Forgets the encrypted password.
    pub async fn clear_server_password(&self, caller: &Caller, id: &str) -> Result<()> {
        let row = self
            .server_row(caller, id, "os_compute_api:os-server-password:clear")
            .await?;
        system::Entity::delete_many()
            .filter(system::Column::InstanceUuid.eq(row.uuid))
            .filter(system::Column::Key.eq(KEY))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
