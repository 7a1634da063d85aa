//! Resource bodies as Keystone renders them: columns, extras flattened to the top
//! level, and `links.self`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::db::entity::{
    application_credential, credential, domain, endpoint, group, region, role, service, user,
};
use crate::domain::{AccessRule, Extra, ProjectView};

/// A response whose body is JSON text rendered beforehand.
pub fn json_text(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

/// `{"self": url, "previous": null, "next": null}` for a collection.
pub fn collection_links(self_url: &str) -> Value {
    json!({"self": self_url, "previous": Value::Null, "next": Value::Null})
}

fn with_extra(mut body: Map<String, Value>, extra: &Option<String>) -> Value {
    for (k, v) in Extra::parse(extra).0 {
        body.entry(k).or_insert(v);
    }
    Value::Object(body)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub fn domain(base: &str, d: &domain::Model) -> Value {
    with_extra(
        object(json!({
            "id": d.id,
            "name": d.name,
            "description": d.description.clone().unwrap_or_default(),
            "enabled": d.enabled,
            "tags": [],
            "options": {},
            "links": {"self": format!("{base}/domains/{}", d.id)},
        })),
        &d.extra,
    )
}

/// A project as Keystone renders it, serialized straight from the row (lists
/// render many, and building `Value` maps for each dominated their cost).
#[derive(serde::Serialize)]
pub struct ProjectBody<'a> {
    id: &'a str,
    name: &'a str,
    domain_id: Option<&'a str>,
    parent_id: Option<&'a str>,
    description: &'a str,
    enabled: bool,
    is_domain: bool,
    tags: &'a [String],
    options: Map<String, Value>,
    links: SelfLink,
    /// Extra attributes, minus any that shadow the fields above.
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(serde::Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    href: String,
}

/// Keys of [`ProjectBody`] that extra attributes cannot replace.
const PROJECT_FIELDS: &[&str] = &[
    "id",
    "name",
    "domain_id",
    "parent_id",
    "description",
    "enabled",
    "is_domain",
    "tags",
    "options",
    "links",
];

/// The body of project `p`.
pub fn project_body<'a>(base: &str, p: &'a ProjectView) -> ProjectBody<'a> {
    let row = &p.row;
    let mut extra = match row.extra.as_deref() {
        None | Some("") | Some("{}") => Map::new(),
        Some(_) => Extra::parse(&row.extra).0,
    };
    extra.retain(|k, _| !PROJECT_FIELDS.contains(&k.as_str()));
    ProjectBody {
        id: &row.id,
        name: &row.name,
        domain_id: (!p.is_domain).then_some(row.domain_id.as_str()),
        parent_id: (!p.is_domain).then(|| row.parent_id.as_deref().unwrap_or(&row.domain_id)),
        description: row.description.as_deref().unwrap_or_default(),
        enabled: row.enabled,
        is_domain: p.is_domain,
        tags: &p.tags,
        options: Map::new(),
        links: SelfLink {
            href: format!("{base}/projects/{}", row.id),
        },
        extra,
    }
}

pub fn project(base: &str, p: &ProjectView) -> Value {
    serde_json::to_value(project_body(base, p)).unwrap_or_default()
}

pub fn user(base: &str, u: &user::Model) -> Value {
    let mut body = object(json!({
        "id": u.id,
        "name": u.name,
        "domain_id": u.domain_id,
        "enabled": u.enabled,
        "password_expires_at": u.password_expires_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        "options": Extra::parse(&u.extra).0.get("options").cloned().unwrap_or_else(|| json!({})),
        "links": {"self": format!("{base}/users/{}", u.id)},
    }));
    if let Some(project) = &u.default_project_id {
        body.insert("default_project_id".into(), json!(project));
    }
    with_extra(body, &u.extra)
}

pub fn group(base: &str, g: &group::Model) -> Value {
    with_extra(
        object(json!({
            "id": g.id,
            "name": g.name,
            "domain_id": g.domain_id,
            "description": g.description.clone().unwrap_or_default(),
            "links": {"self": format!("{base}/groups/{}", g.id)},
        })),
        &g.extra,
    )
}

pub fn role(base: &str, r: &role::Model) -> Value {
    let domain_id = (r.domain_id != crate::domain::NULL_DOMAIN).then(|| r.domain_id.clone());
    let mut body = object(json!({
        "id": r.id,
        "name": r.name,
        "domain_id": domain_id,
        "options": {},
        "links": {"self": format!("{base}/roles/{}", r.id)},
    }));
    if let Some(description) = &r.description {
        body.insert("description".into(), json!(description));
    }
    with_extra(body, &r.extra)
}

/// A role as listed inside an implied-role body.
pub fn role_ref(base: &str, r: &role::Model) -> Value {
    json!({"id": r.id, "name": r.name, "links": {"self": format!("{base}/roles/{}", r.id)}})
}

pub fn region(base: &str, r: &region::Model) -> Value {
    with_extra(
        object(json!({
            "id": r.id,
            "description": r.description.clone().unwrap_or_default(),
            "parent_region_id": r.parent_region_id,
            "links": {"self": format!("{base}/regions/{}", r.id)},
        })),
        &r.extra,
    )
}

pub fn service(base: &str, s: &service::Model) -> Value {
    with_extra(
        object(json!({
            "id": s.id,
            "type": s.kind,
            "enabled": s.enabled,
            "links": {"self": format!("{base}/services/{}", s.id)},
        })),
        &s.extra,
    )
}

pub fn endpoint(base: &str, e: &endpoint::Model) -> Value {
    with_extra(
        object(json!({
            "id": e.id,
            "service_id": e.service_id,
            "interface": e.interface,
            "url": e.url,
            "region_id": e.region_id,
            "region": e.region_id,
            "enabled": e.enabled,
            "links": {"self": format!("{base}/endpoints/{}", e.id)},
        })),
        &e.extra,
    )
}

pub fn credential(base: &str, c: &credential::Model) -> Value {
    with_extra(
        object(json!({
            "id": c.id,
            "user_id": c.user_id,
            "project_id": c.project_id,
            "type": c.kind,
            "blob": c.blob,
            "links": {"self": format!("{base}/credentials/{}", c.id)},
        })),
        &c.extra,
    )
}

/// An application credential; `roles` are (id, name) of the delegated roles.
pub fn app_cred(
    base: &str,
    c: &application_credential::Model,
    roles: &[(String, String)],
    access_rules: &[AccessRule],
) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "system": c.system,
        "expires_at": c.expires_at.as_ref().map(python_isoformat),
        "unrestricted": c.unrestricted,
        "roles": roles.iter().map(|(id, name)| json!({"id": id, "name": name, "domain_id": Value::Null})).collect::<Vec<_>>(),
        "access_rules": access_rules,
        "links": {"self": format!("{base}/users/{}/application_credentials/{}", c.user_id, c.id)},
    })
}

/// A stored time as Keystone's JSON encoder writes it (Python's `isoformat()`
/// of a naive UTC time: no zone, microseconds only when there are some).
fn python_isoformat(t: &chrono::NaiveDateTime) -> String {
    if t.and_utc().timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_as_pythons_isoformat() {
        let at = |text: &str| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").unwrap()
        };
        assert_eq!(
            python_isoformat(&at("2026-12-06T05:00:00.123400")),
            "2026-12-06T05:00:00.123400"
        );
        assert_eq!(
            python_isoformat(&at("2026-12-06T05:00:00.0")),
            "2026-12-06T05:00:00"
        );
    }
    use crate::db::entity::project;

    #[test]
    fn projects_render_as_keystone_with_extras_flattened_but_not_shadowing() {
        let view = ProjectView {
            row: project::Model {
                id: "p1".into(),
                name: "demo".into(),
                domain_id: "default".into(),
                parent_id: None,
                description: None,
                enabled: true,
                extra: Some(r#"{"color": "blue", "name": "shadow", "enabled": false}"#.into()),
            },
            tags: vec!["a".into()],
            is_domain: false,
        };
        assert_eq!(
            project("http://k/v3", &view),
            json!({
                "id": "p1", "name": "demo", "domain_id": "default", "parent_id": "default",
                "description": "", "enabled": true, "is_domain": false, "tags": ["a"],
                "options": {}, "links": {"self": "http://k/v3/projects/p1"}, "color": "blue"
            })
        );
        let plain = ProjectView {
            row: project::Model {
                extra: None,
                parent_id: Some("p0".into()),
                ..view.row.clone()
            },
            tags: vec![],
            is_domain: false,
        };
        let body = project("http://k/v3", &plain);
        assert_eq!(body["parent_id"], "p0");
        assert!(body.get("color").is_none());
    }
}
