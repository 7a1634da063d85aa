//! Role grants: `/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}]`,
//! `/v3/system/{users|groups}/{id}/roles[/{role}]` and the OS-INHERIT variants.

use axum::extract::{Path, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::MethodRouter;
use serde_json::{json, Value};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, Paths,
};
use utoipa::openapi::{ObjectBuilder, Required, Response, Type};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::PathItemExt;

use super::context::V3Url;
use super::{render, AppState, Caller};
use crate::domain::{Actor, Error, Target};

#[derive(Clone, Copy)]
enum TargetKind {
    Project,
    Domain,
}

#[derive(Clone, Copy)]
enum ActorKind {
    User,
    Group,
}

impl TargetKind {
    fn noun(self) -> &'static str {
        match self {
            TargetKind::Project => "project",
            TargetKind::Domain => "domain",
        }
    }
}

impl ActorKind {
    fn noun(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Group => "group",
        }
    }
}

#[derive(Clone, Copy)]
struct Kinds {
    target: TargetKind,
    actor: ActorKind,
    inherited: bool,
}

fn actor_of(kind: ActorKind, id: String) -> Actor {
    match kind {
        ActorKind::User => Actor::User(id),
        ActorKind::Group => Actor::Group(id),
    }
}

/// The policy target Keystone builds: the scope, the actor and the role.
async fn policy_target(
    identity: &AppState,
    target: &Target,
    actor: &Actor,
    role_id: Option<&str>,
) -> Result<Value, Error> {
    let mut body = serde_json::Map::new();
    match target {
        Target::Project(id) => {
            let project = identity.get_project_row(id).await?;
            body.insert(
                "project".into(),
                json!({"id": project.id, "domain_id": project.domain_id}),
            );
        }
        Target::Domain(id) => {
            let domain = identity.get_domain(id).await?;
            body.insert("domain".into(), json!({"id": domain.id}));
        }
        Target::System => {}
    }
    match actor {
        Actor::User(id) => {
            let user = identity.get_user(id).await?;
            body.insert(
                "user".into(),
                json!({"id": user.id, "domain_id": user.domain_id}),
            );
        }
        Actor::Group(id) => {
            let group = identity.get_group(id).await?;
            body.insert(
                "group".into(),
                json!({"id": group.id, "domain_id": group.domain_id}),
            );
        }
    }
    if let Some(role_id) = role_id {
        let role = identity.get_role(role_id).await?;
        let domain_id = (role.domain_id != crate::domain::NULL_DOMAIN).then_some(role.domain_id);
        // `domain_managed_target_role` matches on the role's name.
        body.insert(
            "role".into(),
            json!({"id": role.id, "name": role.name, "domain_id": domain_id}),
        );
    }
    Ok(json!({ "target": body }))
}

/// Keystone's rule for `action` on an actor's system grants
/// (`identity:check_system_grant_for_user`, `identity:list_system_grants_for_group`).
fn system_rule(action: &str, actor: &Actor) -> String {
    let who = if matches!(actor, Actor::User(_)) {
        "user"
    } else {
        "group"
    };
    let grants = if action == "list" { "grants" } else { "grant" };
    format!("identity:{action}_system_{grants}_for_{who}")
}

async fn grant_op(
    identity: &AppState,
    caller: &Caller,
    target: Target,
    actor: Actor,
    role_id: &str,
    inherited: bool,
    op: &str,
) -> Result<StatusCode, Error> {
    let policy = policy_target(identity, &target, &actor, Some(role_id)).await?;
    let rule = match (&target, op) {
        (Target::System, "create") => system_rule("create", &actor),
        (Target::System, "check") => system_rule("check", &actor),
        (Target::System, _) => system_rule("revoke", &actor),
        (_, "create") => "identity:create_grant".into(),
        (_, "check") => "identity:check_grant".into(),
        _ => "identity:revoke_grant".into(),
    };
    caller.authorize(identity, &rule, &policy)?;
    match op {
        "create" => {
            identity
                .create_grant(&actor, &target, role_id, inherited)
                .await?
        }
        "check" => {
            identity
                .check_grant(&actor, &target, role_id, inherited)
                .await?
        }
        _ => {
            identity
                .revoke_grant(&actor, &target, role_id, inherited)
                .await?
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn grant_list(
    identity: &AppState,
    caller: &Caller,
    base: &str,
    self_url: String,
    target: Target,
    actor: Actor,
    inherited: bool,
) -> Result<axum::Json<Value>, Error> {
    let policy = policy_target(identity, &target, &actor, None).await?;
    let rule = if target == Target::System {
        system_rule("list", &actor)
    } else {
        "identity:list_grants".into()
    };
    caller.authorize(identity, &rule, &policy)?;
    let ids = identity.list_grants(&actor, &target, inherited).await?;
    let roles: Vec<Value> = identity
        .roles_by_ids(&ids)
        .await?
        .values()
        .map(|r| render::role(base, r))
        .collect();
    Ok(axum::Json(
        json!({"roles": roles, "links": render::collection_links(&self_url)}),
    ))
}

fn scoped_routes(prefix: &'static str, kinds: Kinds) -> OpenApiRouter<AppState> {
    let target_of = move |id: String| match kinds.target {
        TargetKind::Project => Target::Project(id),
        TargetKind::Domain => Target::Domain(id),
    };
    let suffix = if kinds.inherited {
        "/inherited_to_projects"
    } else {
        ""
    };
    let one = move |op: &'static str| {
        move |State(identity): State<AppState>,
              caller: Caller,
              Path((target_id, actor_id, role_id)): Path<(String, String, String)>| async move {
            grant_op(
                &identity,
                &caller,
                target_of(target_id),
                actor_of(kinds.actor, actor_id),
                &role_id,
                kinds.inherited,
                op,
            )
            .await
        }
    };
    let list = move |State(identity): State<AppState>,
                     caller: Caller,
                     V3Url(base): V3Url,
                     Path((target_id, actor_id)): Path<(String, String)>| async move {
        let self_url = format!(
            "{base}/{}",
            prefix
                .replace("{target_id}", &target_id)
                .replace("{actor_id}", &actor_id)
        );
        grant_list(
            &identity,
            &caller,
            &base,
            self_url,
            target_of(target_id),
            actor_of(kinds.actor, actor_id),
            kinds.inherited,
        )
        .await
    };
    let (target, actor) = (kinds.target.noun(), kinds.actor.noun());
    let inherited = if kinds.inherited { "inherited_" } else { "" };
    let doc = GrantDoc {
        tag: if kinds.inherited {
            "OS-INHERIT"
        } else {
            "grants"
        },
        id: format!("{inherited}grant_for_{actor}_on_{target}"),
        what: if kinds.inherited {
            format!("a {actor} on a {target}, inherited to projects")
        } else {
            format!("a {actor} on a {target}")
        },
        target: Some(target),
        actor,
    };
    grant_routes(
        &doc,
        format!("/v3/{prefix}{suffix}"),
        format!("/v3/{prefix}/{{role_id}}{suffix}"),
        list,
        one,
    )
}

fn system_routes(prefix: &'static str, actor: ActorKind) -> OpenApiRouter<AppState> {
    let one = move |op: &'static str| {
        move |State(identity): State<AppState>,
              caller: Caller,
              Path((actor_id, role_id)): Path<(String, String)>| async move {
            grant_op(
                &identity,
                &caller,
                Target::System,
                actor_of(actor, actor_id),
                &role_id,
                false,
                op,
            )
            .await
        }
    };
    let list = move |State(identity): State<AppState>,
                     caller: Caller,
                     V3Url(base): V3Url,
                     Path(actor_id): Path<String>| async move {
        let self_url = format!("{base}/{}", prefix.replace("{actor_id}", &actor_id));
        grant_list(
            &identity,
            &caller,
            &base,
            self_url,
            Target::System,
            actor_of(actor, actor_id),
            false,
        )
        .await
    };
    let doc = GrantDoc {
        tag: "grants",
        id: format!("system_grant_for_{}", actor.noun()),
        what: format!("a {} on the system", actor.noun()),
        target: None,
        actor: actor.noun(),
    };
    grant_routes(
        &doc,
        format!("/v3/{prefix}"),
        format!("/v3/{prefix}/{{role_id}}"),
        list,
        one,
    )
}

/// The operations on one grant (`…/roles/{role_id}`): method, grant op, summary.
const GRANT_OPS: [(HttpMethod, &str, &str); 4] = [
    (HttpMethod::Put, "create", "Assign a role to"),
    (HttpMethod::Head, "check", "Check a role assignment of"),
    (HttpMethod::Get, "check", "Check a role assignment of"),
    (HttpMethod::Delete, "revoke", "Unassign a role from"),
];

/// How the OpenAPI document names one family of grant routes.
struct GrantDoc {
    tag: &'static str,
    /// Operation id stem: `grant_for_user_on_project`, `system_grant_for_group`, ...
    id: String,
    /// Who on what: `a user on a project`, `a group on the system`, ...
    what: String,
    /// `project`/`domain`; `None` for the system.
    target: Option<&'static str>,
    /// `user`/`group`.
    actor: &'static str,
}

impl GrantDoc {
    fn operation(&self, path: &str, id: String, summary: String) -> OperationBuilder {
        let mut op = OperationBuilder::new()
            .tag(self.tag)
            .operation_id(Some(id))
            .summary(Some(summary));
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let description = match name {
                "target_id" => format!("{} id", capitalized(self.target.unwrap_or_default())),
                "actor_id" => format!("{} id", capitalized(self.actor)),
                _ => "Role id".to_string(),
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        op.response("401", Response::new("Missing or invalid X-Auth-Token"))
            .response("403", Response::new("Not authorized by policy"))
    }

    fn not_found(&self, role: bool) -> String {
        let target = self.target.map(|t| format!("{t}, ")).unwrap_or_default();
        if role {
            format!("No such {target}{} or role", self.actor)
        } else {
            format!("No such {target}{}", self.actor)
        }
    }

    fn list(&self, path: &str) -> Operation {
        let id = format!("list_{}", self.id.replacen("grant", "grants", 1));
        self.operation(path, id, format!("List the roles of {}.", self.what))
            .response("200", Response::new("The roles"))
            .response("404", Response::new(self.not_found(false)))
            .build()
    }

    fn one(&self, path: &str, method: &HttpMethod, op: &str, summary: &str) -> Operation {
        let mut id = format!("{op}_{}", self.id);
        if *method == HttpMethod::Head {
            id.push_str("_head");
        }
        let (success, not_found) = match op {
            "create" => ("The role is assigned", self.not_found(true)),
            "check" => (
                "The role is assigned",
                format!("{}, or no such assignment", self.not_found(true)),
            ),
            _ => (
                "The role is unassigned",
                format!("{}, or no such assignment", self.not_found(true)),
            ),
        };
        self.operation(path, id, format!("{summary} {}.", self.what))
            .response("204", Response::new(success))
            .response("404", Response::new(not_found))
            .build()
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Registers a grant family's routes together with their OpenAPI operations: `GET
/// list_path` lists, and [`GRANT_OPS`] on `one_path` assign, check and unassign.
fn grant_routes<L, LT, O, OT>(
    doc: &GrantDoc,
    list_path: String,
    one_path: String,
    list: L,
    one: impl Fn(&'static str) -> O,
) -> OpenApiRouter<AppState>
where
    L: Handler<LT, AppState>,
    LT: 'static,
    O: Handler<OT, AppState>,
    OT: 'static,
{
    let mut list_doc = Paths::new();
    list_doc.add_path_operation(&list_path, vec![HttpMethod::Get], doc.list(&list_path));
    let list_router = MethodRouter::new().on(HttpMethod::Get.to_method_filter(), list);

    let mut one_doc = Paths::new();
    let mut one_router = MethodRouter::new();
    for (method, op, summary) in GRANT_OPS {
        let operation = doc.one(&one_path, &method, op, summary);
        one_router = one_router.on(method.to_method_filter(), one(op));
        one_doc.add_path_operation(&one_path, vec![method], operation);
    }

    OpenApiRouter::new()
        .routes((Vec::new(), list_doc, list_router))
        .routes((Vec::new(), one_doc, one_router))
}

pub fn routes() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .merge(system_routes(
            "system/users/{actor_id}/roles",
            ActorKind::User,
        ))
        .merge(system_routes(
            "system/groups/{actor_id}/roles",
            ActorKind::Group,
        ));
    let combos: [(&'static str, &'static str, TargetKind, ActorKind); 4] = [
        (
            "projects/{target_id}/users/{actor_id}/roles",
            "OS-INHERIT/projects/{target_id}/users/{actor_id}/roles",
            TargetKind::Project,
            ActorKind::User,
        ),
        (
            "projects/{target_id}/groups/{actor_id}/roles",
            "OS-INHERIT/projects/{target_id}/groups/{actor_id}/roles",
            TargetKind::Project,
            ActorKind::Group,
        ),
        (
            "domains/{target_id}/users/{actor_id}/roles",
            "OS-INHERIT/domains/{target_id}/users/{actor_id}/roles",
            TargetKind::Domain,
            ActorKind::User,
        ),
        (
            "domains/{target_id}/groups/{actor_id}/roles",
            "OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles",
            TargetKind::Domain,
            ActorKind::Group,
        ),
    ];
    for (direct, inherited, target, actor) in combos {
        router = router
            .merge(scoped_routes(
                direct,
                Kinds {
                    target,
                    actor,
                    inherited: false,
                },
            ))
            .merge(scoped_routes(
                inherited,
                Kinds {
                    target,
                    actor,
                    inherited: true,
                },
            ));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every system grant rule the API asks for is one the defaults define.
    #[test]
    fn system_rules_are_keystones() {
        for action in ["list", "check", "create", "revoke"] {
            for actor in [Actor::User("u".into()), Actor::Group("g".into())] {
                let rule = system_rule(action, &actor);
                assert!(
                    crate::policies::DEFAULTS.iter().any(|d| d.name == rule),
                    "{rule} is not a default rule"
                );
            }
        }
    }
}
