//! The OpenAPI frame every service documents its routes in, and a consistency
//! check its tests run.

use std::collections::BTreeSet;

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

/// The security scheme of operations that need an `X-Auth-Token`.
pub const TOKEN_SCHEME: &str = "X-Auth-Token";

/// A document with `title` and `description`, whose operations need a token unless
/// they say otherwise (`security: [{}]`).
pub fn frame(title: &str, description: &str) -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(title)
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    TOKEN_SCHEME,
                    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                        "X-Auth-Token",
                        "A token issued by POST /v3/auth/tokens",
                    ))),
                )
                .build(),
        ))
        .security(Some([SecurityRequirement::new(
            TOKEN_SCHEME,
            Vec::<String>::new(),
        )]))
        .build()
}

fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
        ("trace", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
    .collect()
}

/// Checks that operation ids are unique, every path parameter is declared (and
/// only those), and every operation has a tag, a summary and responses. Returns the
/// number of operations, or the first problem found.
pub fn check(doc: &OpenApi) -> Result<usize, String> {
    let mut ids = BTreeSet::new();
    let mut count = 0;
    for (path, item) in &doc.paths.paths {
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in operations(item) {
            count += 1;
            let id = op.operation_id.clone().unwrap_or_default();
            if id.is_empty() {
                return Err(format!("{method} {path}: no operation id"));
            }
            if !ids.insert(id.clone()) {
                return Err(format!("{method} {path}: duplicate id {id}"));
            }
            if op.tags.as_ref().is_none_or(|t| t.is_empty()) {
                return Err(format!("{id}: no tag"));
            }
            if op.summary.is_none() {
                return Err(format!("{id}: no summary"));
            }
            if op.responses.responses.is_empty() {
                return Err(format!("{id}: no responses"));
            }
            let declared: BTreeSet<&str> = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| p.parameter_in == ParameterIn::Path)
                .map(|p| p.name.as_str())
                .collect();
            if declared != in_path {
                return Err(format!("{id}: path parameters {declared:?} != {in_path:?}"));
            }
        }
    }
    Ok(count)
}
