//! Nova's older URL forms of the v2.1 routes: the legacy v2 API under `/v2`
//! (the same routes at microversion 2.1, without version headers) and a project
//! id after the version (`/v2.1/{project_id}/servers`), which must be the token's.

use axum::extract::Request;
use axum::http::uri::{PathAndQuery, Uri};
use axum::middleware::Next;
use axum::response::Response;
use ferrostack_api::Failure;
use ferrostack_auth::AuthContext;

/// The project id a request's URL named.
#[derive(Clone)]
pub struct UrlProject(String);

/// Marks a request made to the legacy v2 API.
#[derive(Clone, Copy)]
pub struct LegacyV2;

/// A URL segment that is a project id rather than a collection: Keystone's ids
/// are hex UUIDs, and no collection's name is hex.
fn is_project_id(segment: &str) -> bool {
    !segment.is_empty() && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The v2.1 path of `path`, with what the older form said: the project id in
/// the URL and whether it was the legacy v2 API. `None` when `path` is already
/// a v2.1 path, or is `/v2` itself (the v2.0 version document).
fn v21_path(path: &str) -> Option<(String, Option<String>, bool)> {
    let (legacy, rest) = match (path.strip_prefix("/v2.1/"), path.strip_prefix("/v2/")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) if !rest.is_empty() => (true, rest),
        _ => return None,
    };
    let (project, rest) = match rest.split_once('/') {
        Some((first, tail)) if is_project_id(first) => (Some(first.to_string()), tail),
        _ => (None, rest),
    };
    if !legacy && project.is_none() {
        return None;
    }
    Some((format!("/v2.1/{rest}"), project, legacy))
}

/// Maps `/v2/...` and `/v2.1/{project_id}/...` onto the `/v2.1/...` routes,
/// leaving what they said in the request's extensions.
pub fn rewrite(request: &mut Request) {
    let Some((path, project, legacy)) = v21_path(request.uri().path()) else {
        return;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    *request.uri_mut() = uri;
    if let Some(project) = project {
        request.extensions_mut().insert(UrlProject(project));
    }
    if legacy {
        request.extensions_mut().insert(LegacyV2);
    }
}

/// Refuses a request whose URL names another project than the token's, with
/// Nova's message.
pub async fn check_project(request: Request, next: Next) -> Result<Response, Failure> {
    if let Some(UrlProject(in_url)) = request.extensions().get::<UrlProject>() {
        let token = request
            .extensions()
            .get::<AuthContext>()
            .and_then(|ctx| ctx.project_id.clone())
            .unwrap_or_default();
        if *in_url != token {
            return Err(Failure::bad_request(format!(
                "Malformed request URL: URL's project_id '{in_url}' doesn't match Context's project_id '{token}'"
            )));
        }
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "0c2a6e3b1f9d4b5c8e7a6d5c4b3a2f10";

    #[test]
    fn older_forms_map_onto_v21_paths() {
        let with_project = format!("/v2.1/{PROJECT}/servers/detail");
        assert_eq!(
            v21_path(&with_project),
            Some(("/v2.1/servers/detail".into(), Some(PROJECT.into()), false))
        );
        let legacy = format!("/v2/{PROJECT}/flavors");
        assert_eq!(
            v21_path(&legacy),
            Some(("/v2.1/flavors".into(), Some(PROJECT.into()), true))
        );
        assert_eq!(
            v21_path("/v2/os-hypervisors"),
            Some(("/v2.1/os-hypervisors".into(), None, true))
        );
    }

    #[test]
    fn v21_paths_and_the_v2_document_stay() {
        for path in ["/v2.1/servers", "/v2.1/", "/v2", "/v2/", "/", "/v2.10/x"] {
            assert_eq!(v21_path(path), None, "{path}");
        }
        // A collection is never taken for a project.
        assert_eq!(v21_path("/v2.1/flavors/42/os-extra_specs"), None);
    }

    #[test]
    fn queries_survive_the_rewrite() {
        let mut request = Request::builder()
            .uri(format!("/v2/{PROJECT}/servers?limit=1&name=a"))
            .body(axum::body::Body::empty())
            .unwrap();
        rewrite(&mut request);
        assert_eq!(request.uri(), "/v2.1/servers?limit=1&name=a");
        assert!(request.extensions().get::<LegacyV2>().is_some());
    }
}
