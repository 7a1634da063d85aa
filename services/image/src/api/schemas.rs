//! `/v2/schemas/*`: the JSON schemas clients validate against, Glance's documents
//! with the disk and container formats this cloud accepts.

use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

const IMAGE: &str = include_str!("schemas/image.json");
const IMAGES: &str = include_str!("schemas/images.json");
const MEMBER: &str = include_str!("schemas/member.json");
const MEMBERS: &str = include_str!("schemas/members.json");

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("schema documents are valid JSON")
}

fn formats(list: &[String]) -> Value {
    std::iter::once(Value::Null)
        .chain(list.iter().map(|f| Value::String(f.clone())))
        .collect()
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

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(image))
        .routes(routes!(images))
        .routes(routes!(member))
        .routes(routes!(members))
}
