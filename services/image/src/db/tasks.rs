//! Queries of tasks.

use ferrostack_db::DbResult;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entity::task;
use super::Repo;
use crate::domain::tasks::Task;

fn to_json(text: Option<String>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn from_row(m: task::Model) -> Task {
    Task {
        id: m.id,
        kind: m.kind,
        status: m.status,
        owner: m.owner,
        user_id: m.user_id,
        request_id: m.request_id,
        image_id: m.image_id,
        input: to_json(m.input),
        result: to_json(m.result),
        message: m.message.unwrap_or_default(),
        expires_at: m.expires_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn json_text(value: &serde_json::Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

impl Repo {
    /// Records a new task.
    pub async fn insert_task(&self, t: &Task) -> DbResult<()> {
        task::Entity::insert(task::ActiveModel {
            id: Set(t.id.clone()),
            kind: Set(t.kind.clone()),
            status: Set(t.status.clone()),
            owner: Set(t.owner.clone()),
            user_id: Set(t.user_id.clone()),
            request_id: Set(t.request_id.clone()),
            image_id: Set(t.image_id.clone()),
            input: Set(json_text(&t.input)),
            result: Set(json_text(&t.result)),
            message: Set(Some(t.message.clone())),
            expires_at: Set(t.expires_at),
            created_at: Set(t.created_at),
            updated_at: Set(t.updated_at),
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Saves a task's outcome: status, result, message, image and expiry.
    pub async fn update_task(&self, t: &Task) -> DbResult<()> {
        task::Entity::update(task::ActiveModel {
            id: Set(t.id.clone()),
            status: Set(t.status.clone()),
            image_id: Set(t.image_id.clone()),
            result: Set(json_text(&t.result)),
            message: Set(Some(t.message.clone())),
            expires_at: Set(t.expires_at),
            updated_at: Set(t.updated_at),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// The task `id`.
    pub async fn task(&self, id: &str) -> DbResult<Option<Task>> {
        Ok(task::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(from_row))
    }

    /// Tasks, newest first: an image's, or those `owner` owns, or all.
    pub async fn tasks(&self, image_id: Option<&str>, owner: Option<&str>) -> DbResult<Vec<Task>> {
        let mut query = task::Entity::find()
            .order_by_desc(task::Column::CreatedAt)
            .order_by_desc(task::Column::Id);
        if let Some(image_id) = image_id {
            query = query.filter(task::Column::ImageId.eq(image_id));
        }
        if let Some(owner) = owner {
            query = query.filter(task::Column::Owner.eq(owner));
        }
        Ok(query
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect())
    }
}
