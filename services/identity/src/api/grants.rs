//! Role grants: `/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}]`,
//! `/v3/system/{users|groups}/{id}/roles[/{role}]` and the OS-INHERIT variants.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Value};

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
        body.insert(
            "role".into(),
            json!({"id": role.id, "domain_id": domain_id}),
        );
    }
    Ok(json!({ "target": body }))
}

fn system_rule(action: &str, actor: &Actor) -> String {
    let who = if matches!(actor, Actor::User(_)) {
        "user"
    } else {
        "group"
    };
    format!("identity:{action}_system_grant_for_{who}")
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

fn scoped_routes(prefix: &'static str, kinds: Kinds) -> Router<AppState> {
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
    Router::new()
        .route(&format!("/v3/{prefix}{suffix}"), get(list))
        .route(
            &format!("/v3/{prefix}/{{role_id}}{suffix}"),
            put(one("create"))
                .head(one("check"))
                .get(one("check"))
                .delete(one("revoke")),
        )
}

fn system_routes(prefix: &'static str, actor: ActorKind) -> Router<AppState> {
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
    Router::new()
        .route(&format!("/v3/{prefix}"), get(list))
        .route(
            &format!("/v3/{prefix}/{{role_id}}"),
            put(one("create"))
                .head(one("check"))
                .get(one("check"))
                .delete(one("revoke")),
        )
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
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
