//! `POST /v2.1/servers/{id}/action`: the actions built so far — os-start,
//! os-stop, reboot, pause/unpause, suspend/resume, lock/unlock, rebuild and
//! os-resetState.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{field_error, only, python_repr};
use super::server_body::rebuild_request;
use super::{parse, AppState};
use crate::domain::servers::{LockRequest, RebuildRequest, ServerOp};
use crate::domain::{Caller, NovaError, Result};

/// What an action body asks for.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Op(ServerOp),
    Lock(LockRequest),
    Unlock,
    Rebuild(Box<RebuildRequest>),
    ResetState(String),
    /// Only soft-deleted servers; deletes are immediate here
    /// (`reclaim_instance_interval` 0), so none is ever in that state.
    Restore,
    ForceDelete,
}

fn reset_state(args: &Value) -> Result<String> {
    only("os-resetState", args, &["state"])?;
    let Some(state) = args.get("state") else {
        return Err(NovaError::BadRequest(
            "'state' is a required property".into(),
        ));
    };
    match state.as_str() {
        Some(s @ ("active" | "error")) => Ok(s.to_string()),
        _ => Err(field_error(
            "state",
            state,
            &format!("{} is not one of ['active', 'error']", python_repr(state)),
        )),
    }
}

fn reboot_type(args: &Value) -> Result<ServerOp> {
    only("reboot", args, &["type"])?;
    let Some(kind) = args.get("type") else {
        return Err(NovaError::BadRequest(
            "'type' is a required property".into(),
        ));
    };
    match kind.as_str().map(str::to_ascii_uppercase).as_deref() {
        Some("SOFT") => Ok(ServerOp::RebootSoft),
        Some("HARD") => Ok(ServerOp::RebootHard),
        _ => Err(field_error(
            "type",
            kind,
            &format!(
                "{} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
                python_repr(kind)
            ),
        )),
    }
}

/// The one action a body names.
fn action(body: &Value, version: ApiVersion) -> Result<Action> {
    let Some((name, args)) = body.as_object().and_then(|m| m.iter().next()) else {
        return Err(NovaError::BadRequest("Malformed request body".into()));
    };
    Ok(match name.as_str() {
        "os-start" => Action::Op(ServerOp::Start),
        "os-stop" => Action::Op(ServerOp::Stop),
        "reboot" => Action::Op(reboot_type(args)?),
        "pause" => Action::Op(ServerOp::Pause),
        "unpause" => Action::Op(ServerOp::Unpause),
        "suspend" => Action::Op(ServerOp::Suspend),
        "resume" => Action::Op(ServerOp::Resume),
        "unlock" => Action::Unlock,
        "rebuild" => Action::Rebuild(Box::new(rebuild_request(args, version)?)),
        "os-resetState" => Action::ResetState(reset_state(args)?),
        "restore" => Action::Restore,
        "forceDelete" => Action::ForceDelete,
        "lock" => {
            let mut request = LockRequest::default();
            if version >= ApiVersion::new(2, 73) && !args.is_null() {
                only("lock", args, &["locked_reason"])?;
                if let Some(reason) = args.get("locked_reason") {
                    let text = reason.as_str().ok_or_else(|| {
                        field_error(
                            "locked_reason",
                            reason,
                            &format!("{} is not of type 'string'", python_repr(reason)),
                        )
                    })?;
                    if text.chars().count() > 255 {
                        return Err(field_error("locked_reason", reason, "is too long"));
                    }
                    request.reason = Some(text.to_string());
                }
            }
            Action::Lock(request)
        }
        other => {
            return Err(NovaError::NotFound(format!(
                "There is no such action: {other}"
            )))
        }
    })
}

/// Run an action on a server.
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/action", tag = "servers",
    operation_id = "server_action", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "One action: {\"os-stop\": null}, {\"reboot\": {\"type\": \"SOFT\"}}, ..."),
    responses((status = 202, description = "Accepted"), (status = 400), (status = 404), (status = 409)))]
async fn run(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let body: Value = parse(&body)?;
    match action(&body, version)? {
        Action::Op(op) => nova.server_op(&caller, &id, op).await?,
        Action::Lock(request) => nova.lock_server(&caller, &id, request).await?,
        Action::Unlock => nova.unlock_server(&caller, &id).await?,
        Action::ResetState(state) => nova.reset_server_state(&caller, &id, &state).await?,
        Action::Restore => nova.soft_deleted_only(&caller, &id, "restore").await?,
        Action::ForceDelete => nova.soft_deleted_only(&caller, &id, "forceDelete").await?,
        Action::Rebuild(request) => {
            let (server, password) = nova.rebuild_server(&caller, &id, *request).await?;
            let base = super::base_url(&nova, &headers);
            let mut view = super::servers::full_views(
                &nova,
                &caller,
                &base,
                version,
                &[server],
                super::server_view::ViewKind::Rebuilt,
            )
            .await?
            .remove(0);
            view["adminPass"] = json!(password);
            return Ok((StatusCode::ACCEPTED, axum::Json(json!({"server": view}))).into_response());
        }
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_name_their_action() {
        let v = ApiVersion::new(2, 73);
        assert_eq!(
            action(&json!({"os-stop": null}), v).unwrap(),
            Action::Op(ServerOp::Stop)
        );
        assert_eq!(
            action(&json!({"reboot": {"type": "hard"}}), v).unwrap(),
            Action::Op(ServerOp::RebootHard)
        );
        assert!(action(&json!({"reboot": {"type": "warm"}}), v).is_err());
        assert!(action(&json!({"reboot": {}}), v).is_err());
        assert_eq!(
            action(&json!({"lock": {"locked_reason": "x"}}), v).unwrap(),
            Action::Lock(LockRequest {
                reason: Some("x".into())
            })
        );
        assert!(matches!(
            action(&json!({"fly": null}), v),
            Err(NovaError::NotFound(_))
        ));
    }
}
