//! The block-storage API as compute calls it, on the user's token: a volume
//! looked up, its attachment reserved for a server, connected to a host's
//! connector, completed and deleted (Cinder's attachments API, 3.44), and the
//! volumes a server took with it deleted.

use std::sync::Arc;

use ferrostack_auth::service_endpoint::ServiceEndpoint;
use ferrostack_auth::{service_http, Authenticator};
use reqwest::Method;
use serde_json::{json, Value};

/// The microversion of every request (attachment complete needs 3.44).
const MICROVERSION: &str = "volume 3.44";

/// Why a call to the block-storage API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VolumeApiError {
    /// The API cannot be reached or answered unexpectedly.
    #[error("The volume service is unavailable: {0}")]
    Unavailable(String),
    /// No such volume (or attachment) is visible to the caller.
    #[error("not found")]
    NotFound,
    /// Block storage refused the request (400, 403, 409, 413): its message.
    #[error("{0}")]
    Refused(String),
}

type Result<T> = std::result::Result<T, VolumeApiError>;

/// Where the block-storage API is and how to reach it.
pub struct VolumeApi {
    http: reqwest::Client,
    endpoint: ServiceEndpoint,
}

/// The message of a Cinder fault body (`{"badRequest": {"message": ...}}`).
fn fault_message(body: &Value) -> String {
    body.as_object()
        .and_then(|fault| fault.values().next())
        .and_then(|fault| fault["message"].as_str())
        .unwrap_or("the volume service refused the request")
        .to_string()
}

/// The project's URL from a catalog or configured one: `%(project_id)s`
/// substituted, else the project after `/v3` replaced or appended.
fn project_url(base: &str, project: &str) -> String {
    if base.contains("%(project_id)s") {
        return base.replace("%(project_id)s", project);
    }
    match base.find("/v3") {
        Some(at) => format!("{}/v3/{project}", &base[..at]),
        None => format!("{base}/v3/{project}"),
    }
}

impl VolumeApi {
    /// `endpoint_template` when configured, else the public `volumev3`
    /// endpoint of the service user's catalog.
    pub fn new(
        endpoint_template: Option<String>,
        auth: Option<Arc<Authenticator>>,
        timeouts: service_http::Timeouts,
    ) -> Self {
        VolumeApi {
            http: service_http::client(timeouts),
            endpoint: ServiceEndpoint::new(
                endpoint_template.into_iter().collect(),
                ("volumev3".into(), "public".into()),
                auth,
            ),
        }
    }

    /// Any request on the project's block-storage API: the answer's body.
    pub async fn call(
        &self,
        token: &str,
        project: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        Ok(self.send(token, project, method, path, body).await?.1)
    }

    async fn send(
        &self,
        token: &str,
        project: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        self.send_at(MICROVERSION, token, project, method, path, body)
            .await
    }

    /// [`Self::send`] at another microversion (`volume 3.68`).
    async fn send_at(
        &self,
        version: &str,
        token: &str,
        project: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let base = self
            .endpoint
            .url()
            .await
            .map_err(VolumeApiError::Unavailable)?;
        let url = format!("{}{path}", project_url(&base, project));
        let (status, body) = service_http::send_json(
            &self.http,
            method,
            &url,
            token,
            &[("OpenStack-API-Version", version)],
            body.as_ref(),
        )
        .await
        .map_err(|e| VolumeApiError::Unavailable(e.to_string()))?;
        match status {
            200..=299 => Ok((status, body)),
            404 => Err(VolumeApiError::NotFound),
            400 | 403 | 409 | 413 => Err(VolumeApiError::Refused(fault_message(&body))),
            other => Err(VolumeApiError::Unavailable(format!("it answered {other}"))),
        }
    }

    /// The volume `id` as the caller sees it.
    pub async fn volume(&self, token: &str, project: &str, id: &str) -> Result<Value> {
        let (_, body) = self
            .send(token, project, Method::GET, &format!("/volumes/{id}"), None)
            .await?;
        Ok(body["volume"].clone())
    }

    /// The snapshot `id` as the caller sees it.
    pub async fn snapshot(&self, token: &str, project: &str, id: &str) -> Result<Value> {
        let (_, body) = self
            .send(
                token,
                project,
                Method::GET,
                &format!("/snapshots/{id}"),
                None,
            )
            .await?;
        Ok(body["snapshot"].clone())
    }

    /// Creates a volume (`{"size", "imageRef" | "snapshot_id", "name"}`): its id.
    pub async fn create(&self, token: &str, project: &str, volume: Value) -> Result<String> {
        let (_, created) = self
            .send(
                token,
                project,
                Method::POST,
                "/volumes",
                Some(json!({"volume": volume})),
            )
            .await?;
        created["volume"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| VolumeApiError::Unavailable("a volume without an id".into()))
    }

    /// Reserves volume `volume_id` for server `instance_uuid`: the attachment's id.
    pub async fn reserve(
        &self,
        token: &str,
        project: &str,
        volume_id: &str,
        instance_uuid: &str,
    ) -> Result<String> {
        let body =
            json!({"attachment": {"volume_uuid": volume_id, "instance_uuid": instance_uuid}});
        let (_, created) = self
            .send(token, project, Method::POST, "/attachments", Some(body))
            .await?;
        created["attachment"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| VolumeApiError::Unavailable("an attachment without an id".into()))
    }

    /// Exports attachment `id` to a host's `connector`: the connection info.
    pub async fn connect(
        &self,
        token: &str,
        project: &str,
        id: &str,
        connector: &Value,
    ) -> Result<Value> {
        let body = json!({"attachment": {"connector": connector}});
        let (_, updated) = self
            .send(
                token,
                project,
                Method::PUT,
                &format!("/attachments/{id}"),
                Some(body),
            )
            .await?;
        Ok(updated["attachment"]["connection_info"].clone())
    }

    /// Marks attachment `id` attached (the volume in-use).
    pub async fn complete(&self, token: &str, project: &str, id: &str) -> Result<()> {
        self.send(
            token,
            project,
            Method::POST,
            &format!("/attachments/{id}/action"),
            Some(json!({"os-complete": null})),
        )
        .await
        .map(drop)
    }

    /// Ends attachment `id` (the volume available again when it was the last);
    /// one already gone is ended.
    pub async fn release(&self, token: &str, project: &str, id: &str) -> Result<()> {
        match self
            .send(
                token,
                project,
                Method::DELETE,
                &format!("/attachments/{id}"),
                None,
            )
            .await
        {
            Ok(_) | Err(VolumeApiError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Marks volume `id` detaching (`os-begin_detaching`), or back
    /// (`os-roll_detaching`).
    pub async fn detaching(&self, token: &str, project: &str, id: &str, begin: bool) -> Result<()> {
        let action = if begin {
            "os-begin_detaching"
        } else {
            "os-roll_detaching"
        };
        self.send(
            token,
            project,
            Method::POST,
            &format!("/volumes/{id}/action"),
            Some(json!({ action: null })),
        )
        .await
        .map(drop)
    }

    /// Rewrites reserved volume `id` with image `image_id` (`os-reimage`,
    /// 3.68): a volume-backed server's rebuild.
    pub async fn reimage(
        &self,
        token: &str,
        project: &str,
        id: &str,
        image_id: &str,
    ) -> Result<()> {
        self.send_at(
            "volume 3.68",
            token,
            project,
            Method::POST,
            &format!("/volumes/{id}/action"),
            Some(json!({"os-reimage": {"image_id": image_id, "reimage_reserved": true}})),
        )
        .await
        .map(drop)
    }

    /// Sets snapshot `id`'s status (`os-update_snapshot_status`), as the
    /// hypervisor that made it for the volume host sees it.
    pub async fn update_snapshot_status(
        &self,
        token: &str,
        project: &str,
        id: &str,
        status: &str,
    ) -> Result<()> {
        self.send(
            token,
            project,
            Method::POST,
            &format!("/snapshots/{id}/action"),
            Some(json!({"os-update_snapshot_status": {"status": status}})),
        )
        .await
        .map(drop)
    }

    /// Deletes volume `id` (a server's `delete_on_termination` volume).
    pub async fn delete(&self, token: &str, project: &str, id: &str) -> Result<()> {
        match self
            .send(
                token,
                project,
                Method::DELETE,
                &format!("/volumes/{id}"),
                None,
            )
            .await
        {
            Ok(_) | Err(VolumeApiError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_goes_where_the_catalog_put_one() {
        let project = "p1";
        assert_eq!(
            project_url("http://h:8776/v3/%(project_id)s", project),
            "http://h:8776/v3/p1"
        );
        assert_eq!(
            project_url("http://h:8776/v3/service-project", project),
            "http://h:8776/v3/p1"
        );
        assert_eq!(project_url("http://h:8776", project), "http://h:8776/v3/p1");
    }

    #[test]
    fn faults_give_their_message() {
        let body = json!({"badRequest": {"code": 400, "message": "Invalid volume: in-use"}});
        assert_eq!(fault_message(&body), "Invalid volume: in-use");
        assert_eq!(
            fault_message(&Value::Null),
            "the volume service refused the request"
        );
    }
}
