//! `/v2.1/servers/{id}/os-volume_attachments`: the volumes attached to a
//! server — list, show, attach (tag 2.49, multiattach 2.60, tag shown 2.70,
//! delete_on_termination 2.79, the mapping's and attachment's ids 2.89),
//! update (delete_on_termination 2.85; swaps refused as Nova) and detach.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use ferrostack_api::microversion::ApiVersion;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Query;
use super::schema::{boolean, field_error, only, python_repr};
use super::{parse, AppState};
use crate::db::entity::block_device_mapping as bdm;
use crate::domain::volume_attachment_update::AttachmentUpdate;
use crate::domain::volume_attachments::AttachRequest;
use crate::domain::{Caller, NovaError, Result};

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(2, minor)
}

/// Nova's pattern for a requested device name.
const DEVICE_PATTERN: &str = "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$";

/// A mapping as each version shows it.
fn view(m: &bdm::Model, version: ApiVersion) -> Value {
    let mut body = Map::new();
    if version < v(89) {
        body.insert("id".into(), json!(m.volume_id));
    }
    body.insert("device".into(), json!(m.device_name));
    body.insert("serverId".into(), json!(m.instance_uuid));
    body.insert("volumeId".into(), json!(m.volume_id));
    if version >= v(70) {
        body.insert("tag".into(), json!(m.tag));
    }
    if version >= v(79) {
        body.insert(
            "delete_on_termination".into(),
            json!(m.delete_on_termination),
        );
    }
    if version >= v(89) {
        body.insert("attachment_id".into(), json!(m.attachment_id));
        body.insert("bdm_uuid".into(), json!(m.uuid));
    }
    Value::Object(body)
}

/// A requested device name: null, or a string of Nova's pattern.
fn device(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(device) => {
            let pattern = regex::Regex::new(DEVICE_PATTERN).expect("the device pattern");
            if !pattern.is_match(device) {
                return Err(field_error(
                    "device",
                    value,
                    &format!("'{device}' does not match '{DEVICE_PATTERN}'"),
                ));
            }
            Ok(Some(device.clone()))
        }
        other => Err(field_error(
            "device",
            other,
            &format!("{} is not of type 'string', 'null'", python_repr(other)),
        )),
    }
}

/// The attach body, checked as Nova's schema for `version`.
fn attach_request(body: &Value, version: ApiVersion) -> Result<AttachRequest> {
    let mut allowed = vec!["volumeId", "device"];
    if version >= v(49) {
        allowed.push("tag");
    }
    if version >= v(79) {
        allowed.push("delete_on_termination");
    }
    only("body", body, &["volumeAttachment"])?;
    let attachment = body.get("volumeAttachment").ok_or_else(|| {
        NovaError::BadRequest("Invalid input for field/attribute body. Value: {}. 'volumeAttachment' is a required property".into())
    })?;
    only("volumeAttachment", attachment, &allowed)?;
    let volume_id = match attachment.get("volumeId") {
        None => {
            return Err(field_error(
                "volumeAttachment",
                attachment,
                "'volumeId' is a required property",
            ))
        }
        Some(value) => super::schema::uuid("volumeId", value)?,
    };
    let device = attachment.get("device").map(device).transpose()?.flatten();
    let tag = attachment
        .get("tag")
        .map(super::schema::device_tag)
        .transpose()?;
    let delete_on_termination = match attachment.get("delete_on_termination") {
        None => false,
        Some(value) => boolean("delete_on_termination", value)?,
    };
    Ok(AttachRequest {
        volume_id,
        device,
        tag,
        delete_on_termination,
        multiattach_allowed: version >= v(60),
        shelved_allowed: version >= v(20),
    })
}

/// The PUT body, checked as Nova's schema for `version` (2.85 takes the
/// fields of the view).
fn update_request(body: &Value, version: ApiVersion) -> Result<AttachmentUpdate> {
    let mut allowed = vec!["volumeId"];
    if version >= v(85) {
        allowed.extend(["device", "tag", "delete_on_termination", "serverId", "id"]);
    }
    only("body", body, &["volumeAttachment"])?;
    let attachment = body.get("volumeAttachment").ok_or_else(|| {
        NovaError::BadRequest("Invalid input for field/attribute body. Value: {}. 'volumeAttachment' is a required property".into())
    })?;
    only("volumeAttachment", attachment, &allowed)?;
    let volume_id = attachment.get("volumeId").ok_or_else(|| {
        field_error(
            "volumeAttachment",
            attachment,
            "'volumeId' is a required property",
        )
    })?;
    let uuid_of = |key: &str| {
        attachment
            .get(key)
            .map(|value| super::schema::uuid(key, value))
            .transpose()
    };
    Ok(AttachmentUpdate {
        volume_id: super::schema::uuid("volumeId", volume_id)?,
        only_swap: version < v(85),
        delete_on_termination: attachment
            .get("delete_on_termination")
            .map(|value| boolean("delete_on_termination", value))
            .transpose()?,
        id: uuid_of("id")?,
        server_id: uuid_of("serverId")?,
        device: attachment.get("device").map(device).transpose()?,
        tag: attachment
            .get("tag")
            .map(super::schema::device_tag)
            .transpose()?,
    })
}

/// List a server's volume attachments.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-volume_attachments", tag = "servers",
    operation_id = "list_volume_attachments", params(("server_id" = String, Path)),
    responses((status = 200, description = "Volume attachments"), (status = 400), (status = 404)))]
async fn list(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = Query::parse(raw.as_deref())?;
    let limit = query.limit(nova.cfg.max_limit)?;
    let offset = query.offset()?;
    let items: Vec<Value> = nova
        .volume_attachments(&caller, &id)
        .await?
        .iter()
        .skip(offset)
        .take(limit)
        .map(|m| view(m, version))
        .collect();
    Ok(axum::Json(json!({"volumeAttachments": items})).into_response())
}

/// Attach a volume to a server.
#[utoipa::path(post, path = "/v2.1/servers/{server_id}/os-volume_attachments", tag = "servers",
    operation_id = "attach_volume", params(("server_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"volumeAttachment\": {\"volumeId\", \"device\", \"tag\", \"delete_on_termination\"}}"),
    responses((status = 200, description = "The attachment"), (status = 400), (status = 404), (status = 409)))]
async fn attach(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let request = attach_request(&parse::<Value>(&body)?, version)?;
    let mapping = nova.attach_volume(&caller, &id, request).await?;
    // The reply keeps the 2.88 shape (with `id`) in every later version.
    let body = view(&mapping, version.min(v(88)));
    Ok(axum::Json(json!({"volumeAttachment": body})).into_response())
}

/// Show a server's volume attachment.
#[utoipa::path(get, path = "/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}", tag = "servers",
    operation_id = "show_volume_attachment",
    params(("server_id" = String, Path), ("volume_id" = String, Path)),
    responses((status = 200, description = "The attachment"), (status = 404)))]
async fn show(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, volume_id)): Path<(String, String)>,
) -> Result<Response> {
    let mapping = nova.volume_attachment(&caller, &id, &volume_id).await?;
    Ok(axum::Json(json!({"volumeAttachment": view(&mapping, version)})).into_response())
}

/// Update a server's volume attachment (2.85), or swap its volume.
#[utoipa::path(put, path = "/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}", tag = "servers",
    operation_id = "update_volume_attachment",
    params(("server_id" = String, Path), ("volume_id" = String, Path)),
    request_body(content = Object, content_type = "application/json", description = "{\"volumeAttachment\": {\"volumeId\", \"delete_on_termination\" (2.85)}}"),
    responses((status = 202, description = "Updated"), (status = 400), (status = 404), (status = 409)))]
async fn update(
    State(nova): State<AppState>,
    caller: Caller,
    Extension(version): Extension<ApiVersion>,
    Path((id, volume_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let update = update_request(&parse::<Value>(&body)?, version)?;
    nova.update_volume_attachment(&caller, &id, &volume_id, update)
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Detach a volume from a server.
#[utoipa::path(delete, path = "/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}", tag = "servers",
    operation_id = "detach_volume",
    params(("server_id" = String, Path), ("volume_id" = String, Path)),
    responses((status = 202, description = "Detaching"), (status = 400), (status = 404), (status = 409)))]
async fn detach(
    State(nova): State<AppState>,
    caller: Caller,
    Path((id, volume_id)): Path<(String, String)>,
) -> Result<Response> {
    nova.detach_volume(&caller, &id, &volume_id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, attach))
        .routes(routes!(show, update, detach))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOLUME: &str = "6e1b1a5e-0c1c-4f44-9d1a-0a4fd5d9f3a1";

    #[test]
    fn bodies_are_checked_as_each_version_allows() {
        let body = json!({"volumeAttachment": {"volumeId": VOLUME, "device": "/dev/vdc"}});
        let request = attach_request(&body, v(1)).unwrap();
        assert_eq!(request.device.as_deref(), Some("/dev/vdc"));
        assert!(!request.multiattach_allowed);
        let tagged = json!({"volumeAttachment": {"volumeId": VOLUME, "tag": "db"}});
        assert!(attach_request(&tagged, v(48)).is_err());
        assert_eq!(
            attach_request(&tagged, v(49)).unwrap().tag.as_deref(),
            Some("db")
        );
        let owned =
            json!({"volumeAttachment": {"volumeId": VOLUME, "delete_on_termination": true}});
        assert!(attach_request(&owned, v(78)).is_err());
        assert!(attach_request(&owned, v(79)).unwrap().delete_on_termination);
    }

    #[test]
    fn bad_bodies_name_their_field() {
        let message = |body: Value| match attach_request(&body, v(79)) {
            Err(NovaError::BadRequest(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            message(json!({"volumeAttachment": {}})).contains("'volumeId' is a required property")
        );
        assert!(
            message(json!({"volumeAttachment": {"volumeId": "x"}})).contains("'x' is not a 'uuid'")
        );
        assert!(
            message(json!({"volumeAttachment": {"volumeId": VOLUME, "device": "vdb"}}))
                .contains("does not match")
        );
        assert!(
            message(json!({"volumeAttachment": {"volumeId": VOLUME, "tag": "a/b"}}))
                .contains("field/attribute tag")
        );
        assert!(
            message(json!({"volumeAttachment": {"volumeId": VOLUME, "x": 1}}))
                .contains("Additional properties")
        );
        assert!(message(json!({})).contains("'volumeAttachment' is a required property"));
    }

    #[test]
    fn views_change_with_the_version() {
        let m = bdm::Model {
            uuid: "b".into(),
            instance_uuid: "s".into(),
            source_type: "volume".into(),
            image_id: None,
            snapshot_id: None,
            volume_size: None,
            volume_id: Some("vol".into()),
            attachment_id: Some("a".into()),
            device_name: "/dev/vdb".into(),
            boot_index: None,
            tag: Some("t".into()),
            delete_on_termination: true,
            connection_info: None,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        };
        assert_eq!(
            view(&m, v(1)),
            json!({"id": "vol", "device": "/dev/vdb", "serverId": "s", "volumeId": "vol"})
        );
        assert_eq!(view(&m, v(79))["delete_on_termination"], true);
        let latest = view(&m, v(89));
        assert!(latest.get("id").is_none());
        assert_eq!(
            (latest["attachment_id"].clone(), latest["bdm_uuid"].clone()),
            (json!("a"), json!("b"))
        );
    }
}
