//! `/v2/schemas/metadefs/*`: the JSON schemas of metadata definitions, each
//! item's document and its collection's built from it as Glance builds them.

use axum::response::IntoResponse;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::schemas::collection;
use crate::api::AppState;

const NAMESPACE: &str = include_str!("../schemas/metadefs/namespace.json");
const OBJECT: &str = include_str!("../schemas/metadefs/object.json");
const PROPERTY: &str = include_str!("../schemas/metadefs/property.json");
const RESOURCE_TYPE: &str = include_str!("../schemas/metadefs/resource_type.json");
const TAG: &str = include_str!("../schemas/metadefs/tag.json");

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("schema documents are valid JSON")
}

/// Show the metadata definition namespace schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/namespace", tag = "schemas", operation_id = "show_metadef_namespace_schema",
    responses((status = 200, description = "The schema")))]
async fn namespace() -> impl IntoResponse {
    axum::Json(parse(NAMESPACE))
}

/// Show the metadata definition namespaces schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/namespaces", tag = "schemas", operation_id = "show_metadef_namespaces_schema",
    responses((status = 200, description = "The schema")))]
async fn namespaces() -> impl IntoResponse {
    axum::Json(collection("namespaces", parse(NAMESPACE), false))
}

/// Show the metadata definition object schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/object", tag = "schemas", operation_id = "show_metadef_object_schema",
    responses((status = 200, description = "The schema")))]
async fn object() -> impl IntoResponse {
    axum::Json(parse(OBJECT))
}

/// Show the metadata definition objects schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/objects", tag = "schemas", operation_id = "show_metadef_objects_schema",
    responses((status = 200, description = "The schema")))]
async fn objects() -> impl IntoResponse {
    axum::Json(collection("objects", parse(OBJECT), false))
}

/// Show the metadata definition property schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/property", tag = "schemas", operation_id = "show_metadef_property_schema",
    responses((status = 200, description = "The schema")))]
async fn property() -> impl IntoResponse {
    axum::Json(parse(PROPERTY))
}

/// Show the metadata definition properties schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/properties", tag = "schemas", operation_id = "show_metadef_properties_schema",
    responses((status = 200, description = "The schema")))]
async fn properties() -> impl IntoResponse {
    axum::Json(collection("properties", parse(PROPERTY), true))
}

/// Show the metadata definition resource type association schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/resource_type", tag = "schemas", operation_id = "show_metadef_resource_type_schema",
    responses((status = 200, description = "The schema")))]
async fn resource_type() -> impl IntoResponse {
    axum::Json(parse(RESOURCE_TYPE))
}

/// Show the metadata definition resource type associations schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/resource_types", tag = "schemas", operation_id = "show_metadef_resource_types_schema",
    responses((status = 200, description = "The schema")))]
async fn resource_types() -> impl IntoResponse {
    axum::Json(collection(
        "resource_type_associations",
        parse(RESOURCE_TYPE),
        false,
    ))
}

/// Show the metadata definition tag schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/tag", tag = "schemas", operation_id = "show_metadef_tag_schema",
    responses((status = 200, description = "The schema")))]
async fn tag() -> impl IntoResponse {
    axum::Json(parse(TAG))
}

/// Show the metadata definition tags schema.
#[utoipa::path(get, path = "/v2/schemas/metadefs/tags", tag = "schemas", operation_id = "show_metadef_tags_schema",
    responses((status = 200, description = "The schema")))]
async fn tags() -> impl IntoResponse {
    axum::Json(collection("tags", parse(TAG), false))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(namespace))
        .routes(routes!(namespaces))
        .routes(routes!(object))
        .routes(routes!(objects))
        .routes(routes!(property))
        .routes(routes!(properties))
        .routes(routes!(resource_type))
        .routes(routes!(resource_types))
        .routes(routes!(tag))
        .routes(routes!(tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_named_as_glance_names_them() {
        for (doc, name) in [
            (parse(NAMESPACE), "namespace"),
            (
                collection("namespaces", parse(NAMESPACE), false),
                "namespaces",
            ),
            (parse(PROPERTY), "property"),
            (
                collection("properties", parse(PROPERTY), true),
                "properties",
            ),
            (parse(RESOURCE_TYPE), "resource_type_association"),
            (
                collection("resource_type_associations", parse(RESOURCE_TYPE), false),
                "resource_type_associations",
            ),
            (parse(TAG), "tag"),
        ] {
            assert_eq!(doc["name"], name);
        }
        let properties = collection("properties", parse(PROPERTY), true);
        assert_eq!(
            properties["properties"]["properties"]["additionalProperties"]["required"],
            json!(["type", "title"])
        );
        assert!(properties["definitions"]["stringArray"].is_object());
    }
}
