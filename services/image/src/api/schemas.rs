//! `/v2/schemas/*`: the JSON schemas clients validate against, Glance's documents
//! with the disk and container formats this cloud accepts.

use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

const IMAGE: &str = include_str!("schemas/image.json");
const IMAGES: &str = include_str!("schemas/images.json");
const MEMBER: &str = include_str!("schemas/member.json");
const MEMBERS: &str = include_str!("schemas/members.json");
const TASK: &str = include_str!("schemas/task.json");

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("schema documents are valid JSON")
}

fn formats(list: &[String]) -> Value {
    std::iter::once(Value::Null)
        .chain(list.iter().map(|f| Value::String(f.clone())))
        .collect()
}

/// The collection `name` of `item`: a list under `name` (or, for
/// properties, a map), with the item's definitions hoisted.
pub(crate) fn collection(name: &str, mut item: Value, as_map: bool) -> Value {
    let definitions = item.as_object_mut().and_then(|i| i.remove("definitions"));
    let inner = if as_map {
        if let Some(required) = item.get_mut("required") {
            *required = json!(["type", "title"]);
        }
        json!({"type": "object", "additionalProperties": item})
    } else {
        json!({"type": "array", "items": item})
    };
    let mut doc = json!({
        "name": name,
        "properties": {
            name: inner,
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    });
    if let Some(definitions) = definitions {
        doc["definitions"] = definitions;
    }
    doc
}

/// The image schema with the configured formats.
fn image_schema(glance: &AppState) -> Value {
    let mut schema = parse(IMAGE);
    schema["properties"]["disk_format"]["enum"] = formats(&glance.cfg.disk_formats);
    schema["properties"]["container_format"]["enum"] = formats(&glance.cfg.container_formats);
    schema
}

/// Show the image schema.
#[utoipa::path(get, path = "/v2/schemas/image", tag = "schemas", operation_id = "show_image_schema",
    responses((status = 200, description = "The image schema")))]
async fn image(State(glance): State<AppState>) -> impl IntoResponse {
    axum::Json(image_schema(&glance))
}

/// Show the images schema.
#[utoipa::path(get, path = "/v2/schemas/images", tag = "schemas", operation_id = "show_images_schema",
    responses((status = 200, description = "The images (list) schema")))]
async fn images(State(glance): State<AppState>) -> impl IntoResponse {
    let mut schema = parse(IMAGES);
    schema["properties"]["images"]["items"] = image_schema(&glance);
    axum::Json(schema)
}

/// Show the image member schema.
#[utoipa::path(get, path = "/v2/schemas/member", tag = "schemas", operation_id = "show_member_schema",
    responses((status = 200, description = "The member schema")))]
async fn member() -> impl IntoResponse {
    axum::Json(parse(MEMBER))
}

/// Show the image members schema.
#[utoipa::path(get, path = "/v2/schemas/members", tag = "schemas", operation_id = "show_members_schema",
    responses((status = 200, description = "The members schema")))]
async fn members() -> impl IntoResponse {
    axum::Json(parse(MEMBERS))
}

/// Show the task schema.
#[utoipa::path(get, path = "/v2/schemas/task", tag = "schemas", operation_id = "show_task_schema",
    responses((status = 200, description = "The task schema")))]
async fn task() -> impl IntoResponse {
    axum::Json(parse(TASK))
}

/// Show the tasks schema: a list of tasks without their input, result and message.
#[utoipa::path(get, path = "/v2/schemas/tasks", tag = "schemas", operation_id = "show_tasks_schema",
    responses((status = 200, description = "The tasks (list) schema")))]
async fn tasks() -> impl IntoResponse {
    let mut item = parse(TASK);
    if let Some(properties) = item["properties"].as_object_mut() {
        for hidden in ["input", "result", "message"] {
            properties.remove(hidden);
        }
    }
    axum::Json(collection("tasks", item, false))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(task))
        .routes(routes!(tasks))
        .routes(routes!(image))
        .routes(routes!(images))
        .routes(routes!(member))
        .routes(routes!(members))
}
