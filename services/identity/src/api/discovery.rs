use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::AppState;

/// The identity API version this service implements.
const VERSION: &str = "v3.14";
const UPDATED: &str = "2020-04-07T00:00:00Z";

#[derive(Serialize)]
struct Link {
    rel: &'static str,
    href: String,
}

#[derive(Serialize)]
struct MediaType {
    base: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The v3 version document, serialized straight from this struct: every client
/// session starts with it.
#[derive(Serialize)]
struct Version {
    id: &'static str,
    status: &'static str,
    updated: &'static str,
    links: [Link; 1],
    #[serde(rename = "media-types")]
    media_types: [MediaType; 1],
}

#[derive(Serialize)]
struct Values {
    values: [Version; 1],
}

#[derive(Serialize)]
struct Versions {
    versions: Values,
}

#[derive(Serialize)]
struct One {
    version: Version,
}

fn version(v3_url: String) -> Version {
    Version {
        id: VERSION,
        status: "stable",
        updated: UPDATED,
        links: [Link {
            rel: "self",
            href: v3_url + "/",
        }],
        media_types: [MediaType {
            base: "application/json",
            kind: "application/vnd.openstack.identity-v3+json",
        }],
    }
}

/// List the identity API versions.
///
/// Answers 300 Multiple Choices with the one version served, v3.
#[utoipa::path(
    get,
    path = "/",
    tag = "discovery",
    operation_id = "list_versions",
    responses(
        (status = 300, description = "The available versions"),
    ),
    security(()),
)]
async fn versions(V3Url(url): V3Url) -> impl IntoResponse {
    let body = Versions {
        versions: Values {
            values: [version(url)],
        },
    };
    (StatusCode::MULTIPLE_CHOICES, axum::Json(body))
}

/// Show the v3 API version.
#[utoipa::path(
    get,
    path = "/v3",
    tag = "discovery",
    operation_id = "get_version_v3",
    responses(
        (status = 200, description = "The v3 version document"),
    ),
    security(()),
)]
async fn v3(V3Url(url): V3Url) -> impl IntoResponse {
    axum::Json(One {
        version: version(url),
    })
}

/// Show the v3 API version (trailing slash).
#[utoipa::path(
    get,
    path = "/v3/",
    tag = "discovery",
    operation_id = "get_version_v3_slash",
    responses((status = 200, description = "The v3 version document")),
    security(()),
)]
async fn v3_slash(url: V3Url) -> impl IntoResponse {
    v3(url).await
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(versions))
        .routes(routes!(v3))
        .routes(routes!(v3_slash))
}
