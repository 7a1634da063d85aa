//! Tasks: Glance's record of work done in the background — each image import
//! (`api_image_import`, listed by `GET /v2/images/{id}/tasks` from 2.12) and
//! legacy `import` tasks (`POST /v2/tasks`: a new image from a URI). A task
//! is kept `TIME_TO_LIVE` after it ends.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use super::import::{ImportRequest, Method};
use super::model::now;
use super::{Caller, Glance, ImageError, Result};

/// How long an ended task is kept (Glance's `task_time_to_live`, 48 hours).
const TIME_TO_LIVE: chrono::Duration = chrono::Duration::hours(48);

/// A task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    /// `api_image_import` or `import`.
    pub kind: String,
    /// pending, processing, success or failure.
    pub status: String,
    pub owner: String,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub image_id: Option<String>,
    pub input: Value,
    pub result: Value,
    pub message: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Task {
    /// A task of `kind` for `caller`, starting as `status`.
    fn new(caller: &Caller, id: String, kind: &str, status: &str, input: Value) -> Task {
        let at = now();
        Task {
            id,
            kind: kind.into(),
            status: status.into(),
            owner: caller.project().unwrap_or_default().to_string(),
            user_id: Some(caller.ctx.user_id.clone()),
            request_id: caller.request_id.clone(),
            image_id: None,
            input,
            result: Value::Null,
            message: String::new(),
            expires_at: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A legacy import task's input field `key`.
fn field<'a>(input: &'a Map<String, Value>, key: &str) -> Result<&'a Value> {
    input
        .get(key)
        .ok_or_else(|| ImageError::BadRequest(format!("Input does not contain '{key}' field")))
}

impl Glance {
    /// Records the task of an import of `image_id` (`api_image_import`).
    pub(crate) async fn record_import_task(
        &self,
        caller: &Caller,
        task_id: &str,
        image_id: &str,
        body: &Value,
        stores: &[String],
    ) -> Result<()> {
        let input = json!({"image_id": image_id, "import_req": body, "backend": stores});
        let mut task = Task::new(
            caller,
            task_id.into(),
            "api_image_import",
            "processing",
            input,
        );
        task.image_id = Some(image_id.into());
        Ok(self.repo.insert_task(&task).await?)
    }

    /// Ends task `id`: success with `result`, or failure with a message.
    pub(crate) async fn end_task(&self, id: &str, outcome: std::result::Result<Value, String>) {
        let Ok(Some(mut task)) = self.repo.task(id).await else {
            return;
        };
        match outcome {
            Ok(result) => {
                task.status = "success".into();
                task.result = result;
            }
            Err(message) => {
                task.status = "failure".into();
                task.message = message;
            }
        }
        task.updated_at = now();
        task.expires_at = Some(task.updated_at + TIME_TO_LIVE);
        if let Err(e) = self.repo.update_task(&task).await {
            tracing::error!(task = id, "cannot record the task's end: {e}");
        }
    }

    /// The tasks of an image the caller sees, newest first.
    pub async fn image_tasks(&self, caller: &Caller, image_id: &str) -> Result<Vec<Task>> {
        self.visible(caller, image_id, &format!("Image {image_id} not found."))
            .await?;
        Ok(self.repo.tasks(Some(image_id), None).await?)
    }

    /// Tasks (`tasks_api_access`): an admin's are all, others their project's.
    pub async fn list_tasks(&self, caller: &Caller) -> Result<Vec<Task>> {
        let own = json!({"project_id": caller.project()});
        self.enforce(caller, "tasks_api_access", &own)?;
        self.enforce(caller, "get_tasks", &own)?;
        let owner = (!caller.is_admin).then(|| caller.project().unwrap_or_default());
        Ok(self.repo.tasks(None, owner).await?)
    }

    /// One task (`tasks_api_access`); another project's is not found.
    pub async fn show_task(&self, caller: &Caller, id: &str) -> Result<Task> {
        let own = json!({"project_id": caller.project()});
        self.enforce(caller, "tasks_api_access", &own)?;
        self.enforce(caller, "get_task", &own)?;
        match self.repo.task(id).await? {
            Some(t) if caller.is_admin || Some(t.owner.as_str()) == caller.project() => Ok(t),
            _ => Err(ImageError::NotFound(format!(
                "Task with the given ID {id} not found"
            ))),
        }
    }

    /// A legacy `import` task: a new image with `image_properties`, its data
    /// downloaded from `import_from` (which must pass the web-download filter)
    /// in the background.
    pub async fn create_task(self: &Arc<Self>, caller: &Caller, body: &Value) -> Result<Task> {
        let own = json!({"project_id": caller.project()});
        self.enforce(caller, "tasks_api_access", &own)?;
        self.enforce(caller, "add_task", &own)?;
        match body.get("type").and_then(Value::as_str) {
            Some("import") => {}
            Some(other) => {
                return Err(ImageError::BadRequest(format!(
                    "Invalid type value: {other}"
                )))
            }
            None => return Err(ImageError::BadRequest("Task type is required".into())),
        }
        let input = body
            .get("input")
            .and_then(Value::as_object)
            .ok_or_else(|| ImageError::BadRequest("Task input is required".into()))?;
        let uri = field(input, "import_from")?
            .as_str()
            .ok_or_else(|| ImageError::BadRequest("'import_from' must be a string".into()))?
            .to_string();
        field(input, "import_from_format")?;
        let properties = field(input, "image_properties")?
            .as_object()
            .cloned()
            .ok_or_else(|| ImageError::BadRequest("'image_properties' must be an object".into()))?;
        if !self.cfg.uri_filter.allows(&uri) {
            return Err(ImageError::BadRequest(format!(
                "URI for web-download does not pass filtering: {uri}"
            )));
        }
        let image = self.create_image(caller, properties).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut task = Task::new(
            caller,
            id,
            "import",
            "processing",
            Value::Object(input.clone()),
        );
        task.image_id = Some(image.id.clone());
        self.repo.insert_task(&task).await?;
        let request = ImportRequest {
            method: Method::WebDownload { uri },
            stores: None,
            all_stores: false,
            all_stores_must_succeed: true,
        };
        if let Err(e) = self.start_import(image, request, &task.id).await {
            self.end_task(&task.id, Err(e.to_string())).await;
            return Err(e);
        }
        Ok(task)
    }
}
