use std::collections::BTreeSet;

use axum::extract::State;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::V3Url;
use super::query::QueryPairs;
use super::{render, AppState, Caller};
use crate::domain::{Actor, AssignmentFilter, AssignmentRow, Error, Target};

fn actor_path(actor: &Actor) -> (&'static str, &str) {
    match actor {
        Actor::User(id) => ("users", id),
        Actor::Group(id) => ("groups", id),
    }
}

/// The URL of the stored assignment a row comes from.
fn assignment_link(base: &str, row: &AssignmentRow) -> String {
    let actor = match &row.via_group {
        Some(group) => Actor::Group(group.clone()),
        None => row.actor.clone(),
    };
    let (actor_kind, actor_id) = actor_path(&actor);
    let (target, inherited) = match &row.inherited_from {
        Some(origin) => (origin, true),
        None => (&row.target, row.inherited),
    };
    match target {
        Target::System => format!(
            "{base}/system/{actor_kind}/{actor_id}/roles/{}",
            row.role_id
        ),
        Target::Project(id) | Target::Domain(id) => {
            let kind = if matches!(target, Target::Project(_)) {
                "projects"
            } else {
                "domains"
            };
            if inherited {
                format!("{base}/OS-INHERIT/{kind}/{id}/{actor_kind}/{actor_id}/roles/{}/inherited_to_projects", row.role_id)
            } else {
                format!(
                    "{base}/{kind}/{id}/{actor_kind}/{actor_id}/roles/{}",
                    row.role_id
                )
            }
        }
    }
}

/// Names for `include_names`, looked up once per list.
struct Names {
    identity: AppState,
}

impl Names {
    async fn domain(&self, id: &str) -> Value {
        match self.identity.get_domain(id).await {
            Ok(d) => json!({"id": d.id, "name": d.name}),
            Err(_) => json!({"id": id}),
        }
    }

    async fn with_domain(&self, id: &str, name: &str, domain_id: &str) -> Value {
        json!({"id": id, "name": name, "domain": self.domain(domain_id).await})
    }

    async fn actor(&self, actor: &Actor) -> Value {
        match actor {
            Actor::User(id) => match self.identity.get_user(id).await {
                Ok(u) => self.with_domain(&u.id, &u.name, &u.domain_id).await,
                Err(_) => json!({"id": id}),
            },
            Actor::Group(id) => match self.identity.get_group(id).await {
                Ok(g) => self.with_domain(&g.id, &g.name, &g.domain_id).await,
                Err(_) => json!({"id": id}),
            },
        }
    }

    async fn target(&self, target: &Target) -> Value {
        match target {
            Target::Project(id) => match self.identity.get_project_row(id).await {
                Ok(p) => self.with_domain(&p.id, &p.name, &p.domain_id).await,
                Err(_) => json!({"id": id}),
            },
            Target::Domain(id) => self.domain(id).await,
            Target::System => json!({"all": true}),
        }
    }

    async fn role(&self, id: &str) -> Value {
        match self.identity.get_role(id).await {
            Ok(r) => json!({"id": r.id, "name": r.name}),
            Err(_) => json!({"id": id}),
        }
    }
}

async fn render_row(base: &str, row: &AssignmentRow, names: Option<&Names>) -> Value {
    let mut body = Map::new();
    let (actor_key, actor_id) = match &row.actor {
        Actor::User(id) => ("user", id),
        Actor::Group(id) => ("group", id),
    };
    let actor = match names {
        Some(n) => n.actor(&row.actor).await,
        None => json!({"id": actor_id}),
    };
    body.insert(actor_key.into(), actor);
    let (scope_key, target_id) = match &row.target {
        Target::Project(id) => ("project", Some(id)),
        Target::Domain(id) => ("domain", Some(id)),
        Target::System => ("system", None),
    };
    let mut scope_value = match (names, target_id) {
        (Some(n), _) => n.target(&row.target).await,
        (None, Some(id)) => json!({"id": id}),
        (None, None) => json!({"all": true}),
    };
    if scope_key == "system" {
        scope_value = json!({"all": true});
    }
    let mut scope = Map::new();
    scope.insert(scope_key.into(), scope_value);
    if row.inherited {
        scope.insert("OS-INHERIT:inherited_to".into(), json!("projects"));
    }
    body.insert("scope".into(), Value::Object(scope));
    let role = match names {
        Some(n) => n.role(&row.role_id).await,
        None => json!({"id": row.role_id}),
    };
    body.insert("role".into(), role);
    let mut links = Map::new();
    links.insert("assignment".into(), json!(assignment_link(base, row)));
    if let (Some(group), Actor::User(user)) = (&row.via_group, &row.actor) {
        links.insert(
            "membership".into(),
            json!(format!("{base}/groups/{group}/users/{user}")),
        );
    }
    if let Some(prior) = &row.prior_role {
        links.insert("prior_role".into(), json!(format!("{base}/roles/{prior}")));
        body.insert("prior_role".into(), json!({"id": prior}));
    }
    body.insert("links".into(), Value::Object(links));
    Value::Object(body)
}

/// List role assignments.
#[utoipa::path(
    get,
    path = "/v3/role_assignments",
    tag = "role_assignments",
    operation_id = "list_role_assignments",
    params(
        ("user.id" = Option<String>, Query, description = "Only assignments of this user"),
        ("group.id" = Option<String>, Query, description = "Only assignments of this group"),
        ("scope.project.id" = Option<String>, Query, description = "Only assignments on this project"),
        ("scope.domain.id" = Option<String>, Query, description = "Only assignments on this domain"),
        ("scope.system" = Option<String>, Query, description = "Only assignments on the system"),
        ("role.id" = Option<String>, Query, description = "Only assignments of this role"),
        ("scope.OS-INHERIT:inherited_to" = Option<String>, Query, description = "Only inherited assignments"),
        ("effective" = Option<String>, Query, description = "Expand groups, inheritance and implied roles"),
        ("include_subtree" = Option<String>, Query, description = "Include the projects below scope.project.id"),
        ("include_names" = Option<String>, Query, description = "Add the names of users, groups, scopes and roles"),
    ),
    responses(
        (status = 200, description = "The role assignments"),
        (status = 400, description = "Invalid query string or filter combination"),
        (status = 401, description = "Missing or invalid X-Auth-Token"),
        (status = 403, description = "Not authorized by policy"),
        (status = 404, description = "No such project (scope.project.id)"),
    ),
)]
async fn list(
    State(identity): State<AppState>,
    caller: Caller,
    V3Url(base): V3Url,
    query: QueryPairs,
) -> Result<axum::Json<Value>, Error> {
    let filter = AssignmentFilter {
        user_id: query.string("user.id"),
        group_id: query.string("group.id"),
        project_id: query.string("scope.project.id"),
        domain_id: query.string("scope.domain.id"),
        system: query.get("scope.system").is_some(),
        role_id: query.string("role.id"),
        inherited: query.get("scope.OS-INHERIT:inherited_to").map(|_| true),
        effective: query.flag("effective"),
        include_subtree: query.flag("include_subtree"),
    };
    if filter.include_subtree {
        // Keystone's target for a tree: the project, and its domain as target.domain_id.
        let Some(project_id) = &filter.project_id else {
            return Err(Error::invalid(
                "scope.project.id needs to be specified if include_subtree is also specified",
            ));
        };
        let project = identity.get_project_row(project_id).await?;
        let target = json!({"target": {
            "project": {"id": project.id, "domain_id": project.domain_id},
            "domain_id": project.domain_id,
        }});
        caller.authorize(
            &identity,
            "identity:list_role_assignments_for_tree",
            &target,
        )?;
    } else {
        let target = caller.domain_list_target(|d| json!({ "domain_id": d }));
        caller.authorize(&identity, "identity:list_role_assignments", &target)?;
    }
    let rows = identity.list_role_assignments(&filter).await?;
    let names = query.flag("include_names").then(|| Names {
        identity: identity.clone(),
    });
    let mut rendered = Vec::with_capacity(rows.len());
    let mut seen = BTreeSet::new();
    for row in &rows {
        let value = render_row(&base, row, names.as_ref()).await;
        if seen.insert(value.to_string()) {
            rendered.push(value);
        }
    }
    let self_url = format!("{base}/role_assignments");
    Ok(axum::Json(
        json!({"role_assignments": rendered, "links": render::collection_links(&self_url)}),
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
