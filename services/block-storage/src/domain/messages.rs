//! User messages (3.3): what went wrong in an asynchronous operation, in
//! Cinder's fixed words (`action:detail`), never the internal error text.
//! Recorded by the api role from the failures other roles report, kept for
//! `message_ttl` seconds.

use crate::rpc::messages::UserMessage;
use ferrostack_api::microversion::ApiVersion;
use ferrostack_db::keyset::SortKey;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{now, Caller, Cinder, CinderError, Result};
use crate::db::entity::message;

/// Cinder's message_field.Action.
const ACTIONS: &[(&str, &str)] = &[
    ("001", "schedule allocate volume"),
    ("002", "attach volume"),
    ("003", "copy volume to image"),
    ("004", "update attachment"),
    ("005", "copy image to volume"),
    ("006", "unmanage volume"),
    ("007", "extend volume"),
    ("008", "create volume from backend storage"),
    ("009", "create snapshot"),
    ("010", "delete snapshot"),
    ("011", "update snapshot"),
    ("012", "update snapshot metadata"),
    ("013", "create backup"),
    ("014", "delete backup"),
    ("015", "restore backup"),
    ("016", "reimage volume"),
];

/// The message_field.Detail entries this service reports.
const DETAILS: &[(&str, &str)] = &[
    ("001", "An unknown error occurred."),
    ("003", "Could not find any available weighted backend."),
    ("004", "Failed to upload volume to image at backend."),
    (
        "007",
        "Image used for creating volume exceeds available space.",
    ),
    ("010", "Volume Driver failed to extend volume."),
    ("012", "Driver failed to create the volume."),
    ("013", "Snapshot failed to create."),
    ("016", "Snapshot failed to delete."),
    (
        "019",
        "Failed to get backup device from the volume service.",
    ),
    ("020", "Backup driver failed to create backup."),
    ("025", "Backup driver failed to delete backup."),
    ("026", "Backup driver failed to restore backup."),
];

/// The filters messages take from 3.33 (Cinder's resource_filters.json).
const MESSAGE_FILTERS: &[&str] = &[
    "resource_uuid",
    "resource_type",
    "event_id",
    "request_id",
    "message_level",
];

/// `action:detail`, as Cinder builds `user_message`.
pub fn user_text(m: &message::Model) -> String {
    let action = ACTIONS
        .iter()
        .find(|(id, _)| *id == m.action_id)
        .map_or("unknown action", |(_, text)| text);
    let detail = DETAILS
        .iter()
        .find(|(id, _)| *id == m.detail_id)
        .map_or(DETAILS[0].1, |(_, text)| text);
    format!("{action}:{detail}")
}

fn not_found(id: &str) -> CinderError {
    CinderError::NotFound(format!("Message {id} could not be found."))
}

impl Cinder {
    /// Records a message for `project` about `resource_uuid` (a `resource_type`)
    /// failing in request `request_id`; a failure to record is only logged.
    pub(crate) async fn record_message(
        &self,
        project: &str,
        request_id: &str,
        resource_type: &str,
        resource_uuid: &str,
        what: &UserMessage,
    ) {
        let created = now();
        let ttl = chrono::Duration::from_std(self.cfg.message_ttl).unwrap_or_default();
        let row = message::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            project_id: Set(project.to_string()),
            request_id: Set(request_id.to_string()),
            resource_type: Set(resource_type.to_string()),
            resource_uuid: Set(Some(resource_uuid.to_string())),
            action_id: Set(what.action_id.clone()),
            detail_id: Set(what.detail_id.clone()),
            event_id: Set(format!(
                "VOLUME_{resource_type}_{}_{}",
                what.action_id, what.detail_id
            )),
            message_level: Set("ERROR".into()),
            created_at: Set(created),
            expires_at: Set(created + ttl),
        };
        if let Err(e) = message::Entity::insert(row).exec(&self.db).await {
            tracing::error!(request_id, "user message not recorded: {e}");
        }
    }

    /// The caller's messages (every project's for admins), newest first.
    pub async fn list_messages(
        &self,
        caller: &Caller,
        pairs: &[(String, String)],
        version: ApiVersion,
    ) -> Result<Vec<message::Model>> {
        self.authorize(caller, "message:get_all", caller.project())?;
        // Filters and pages arrive with 3.5; unknown filters are refused
        // from 3.33 (admins may use any).
        let pairs: &[(String, String)] = if version >= ApiVersion::new(3, 5) {
            pairs
        } else {
            &[]
        };
        let paging = ["marker", "limit", "offset", "sort", "sort_key", "sort_dir"];
        let filters: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| !paging.contains(k))
            .collect();
        if version >= ApiVersion::new(3, 33) && !caller.is_admin {
            let invalid: Vec<&str> = filters
                .iter()
                .map(|(k, _)| *k)
                .filter(|k| !MESSAGE_FILTERS.contains(k))
                .collect();
            if !invalid.is_empty() {
                return Err(CinderError::invalid_filters(&invalid));
            }
        }
        let mut query = message::Entity::find()
            .order_by_desc(message::Column::CreatedAt)
            .order_by_desc(message::Column::Id);
        if !caller.is_admin {
            query = query.filter(message::Column::ProjectId.eq(caller.project()));
        }
        for (key, value) in filters {
            let column = match key {
                "resource_uuid" => message::Column::ResourceUuid,
                "resource_type" => message::Column::ResourceType,
                "event_id" => message::Column::EventId,
                "request_id" => message::Column::RequestId,
                "message_level" => message::Column::MessageLevel,
                _ => continue,
            };
            query = query.filter(column.eq(value));
        }
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        if let Some(marker) = get("marker") {
            let row = self.show_message(caller, marker).await.map_err(|_| {
                CinderError::NotFound(format!("Marker {marker} could not be found."))
            })?;
            query = query.filter(ferrostack_db::keyset::after(&[
                SortKey {
                    expr: Expr::col(message::Column::CreatedAt).into(),
                    marker: row.created_at.into(),
                    descending: true,
                },
                SortKey {
                    expr: Expr::col(message::Column::Id).into(),
                    marker: row.id.into(),
                    descending: true,
                },
            ]));
        }
        let limit = match get("limit") {
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| CinderError::BadRequest("limit param must be an integer".into()))?,
            None => self.cfg.max_limit as u64,
        };
        Ok(query
            .limit(limit.min(self.cfg.max_limit as u64))
            .all(&self.db)
            .await?)
    }

    /// Message `id`, when it is the caller's project's (or the caller is an admin).
    pub async fn show_message(&self, caller: &Caller, id: &str) -> Result<message::Model> {
        let found = message::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|m| caller.is_admin || m.project_id == caller.project())
            .ok_or_else(|| not_found(id))?;
        self.authorize(caller, "message:get", &found.project_id)?;
        Ok(found)
    }

    /// Deletes message `id`.
    pub async fn delete_message(&self, caller: &Caller, id: &str) -> Result<()> {
        let found = self.show_message(caller, id).await?;
        self.authorize(caller, "message:delete", &found.project_id)?;
        message::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(())
    }

    /// Deletes the messages past their `expires_at`; returns how many.
    pub(crate) async fn reap_messages(&self) -> Result<u64> {
        Ok(message::Entity::delete_many()
            .filter(message::Column::ExpiresAt.lt(now()))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_as_cinder_builds_them() {
        let mut m = message::Model {
            id: "m".into(),
            project_id: "p".into(),
            request_id: "req-1".into(),
            resource_type: "VOLUME".into(),
            resource_uuid: None,
            action_id: "001".into(),
            detail_id: "003".into(),
            event_id: "VOLUME_VOLUME_001_003".into(),
            message_level: "ERROR".into(),
            created_at: now(),
            expires_at: now(),
        };
        assert_eq!(
            user_text(&m),
            "schedule allocate volume:Could not find any available weighted backend."
        );
        m.action_id = "999".into();
        m.detail_id = "999".into();
        assert_eq!(user_text(&m), "unknown action:An unknown error occurred.");
    }
}
