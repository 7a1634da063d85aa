//! The image API as other services call it on the caller's token: finds the image
//! a volume or a server is made from, creates the image data is uploaded into.
//! Reads are retried when the image API is briefly away; nothing waits on it
//! forever. Each service words the failures its own way.

use std::sync::Arc;

use crate::service_endpoint::ServiceEndpoint;
use crate::{service_http, Authenticator};
use serde_json::Value;

/// Why a call to the image API failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageApiError {
    /// The API cannot be reached or answered unexpectedly.
    Unavailable(String),
    /// No image by that reference is visible to the caller.
    NotFound,
    /// A name matches several images.
    Ambiguous(String),
    /// Glance refused the request (its message, markup removed).
    Refused(String),
}

impl std::fmt::Display for ImageApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageApiError::Unavailable(m) => write!(f, "The image service is unavailable: {m}"),
            ImageApiError::NotFound => f.write_str("image not found"),
            ImageApiError::Ambiguous(r) => write!(
                f,
                "Multiple matches found for '{r}', use an ID to be more specific."
            ),
            ImageApiError::Refused(m) => f.write_str(m),
        }
    }
}

type Result<T> = std::result::Result<T, ImageApiError>;

/// Where the image API is and how to reach it.
pub struct ImageApi {
    http: reqwest::Client,
    endpoint: ServiceEndpoint,
}

fn unavailable(e: impl std::fmt::Display) -> ImageApiError {
    ImageApiError::Unavailable(e.to_string())
}

impl ImageApi {
    /// `servers` when configured, else the `(type, interface)` endpoint of the
    /// catalog that `auth`'s service user sees.
    pub fn new(
        servers: Vec<String>,
        catalog: (String, String),
        auth: Option<Arc<Authenticator>>,
        timeouts: service_http::Timeouts,
    ) -> Self {
        ImageApi {
            http: service_http::client(timeouts),
            endpoint: ServiceEndpoint::new(servers, catalog, auth),
        }
    }

    /// The image API's base URL.
    pub async fn url(&self) -> Result<String> {
        self.endpoint.url().await.map_err(unavailable)
    }

    async fn get(&self, token: &str, path_and_query: &str) -> Result<(u16, Value)> {
        let url = format!("{}{path_and_query}", self.url().await?);
        let resp =
            service_http::retrying(|| self.http.get(&url).header("X-Auth-Token", token).send())
                .await
                .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Images as `GET /v2/images?{query}` lists them for the caller.
    pub async fn list(&self, token: &str, query: &str) -> Result<Value> {
        let (status, body) = self.get(token, &format!("/v2/images?{query}")).await?;
        match status {
            200 => Ok(body),
            400 => Err(ImageApiError::Refused(body.to_string())),
            other => Err(unavailable(format!("it answered {other}"))),
        }
    }

    /// Changes an image with a JSON patch (`[{"op", "path", "value"}]`).
    pub async fn patch(&self, token: &str, id: &str, ops: &Value) -> Result<Value> {
        let resp = self
            .http
            .patch(format!("{}/v2/images/{id}", self.url().await?))
            .header("X-Auth-Token", token)
            .header(
                "Content-Type",
                "application/openstack-images-v2.1-json-patch",
            )
            .body(ops.to_string())
            .send()
            .await
            .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            200 => serde_json::from_str(&text).map_err(unavailable),
            404 => Err(ImageApiError::NotFound),
            400 | 403 | 409 | 413 => Err(ImageApiError::Refused(glance_message(&text))),
            other => Err(unavailable(format!("it answered {other}"))),
        }
    }

    /// Deletes image `id` for the caller (the failure is the caller's to see).
    pub async fn remove(&self, token: &str, id: &str) -> Result<()> {
        let resp = self
            .http
            .delete(format!("{}/v2/images/{id}", self.url().await?))
            .header("X-Auth-Token", token)
            .send()
            .await
            .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            204 => Ok(()),
            404 => Err(ImageApiError::NotFound),
            400 | 403 | 409 => Err(ImageApiError::Refused(glance_message(&text))),
            other => Err(unavailable(format!("it answered {other}"))),
        }
    }

    /// The image `reference` names, by id or else by unique name, as its
    /// owner's token sees it.
    pub async fn find(&self, token: &str, reference: &str) -> Result<Value> {
        if uuid::Uuid::parse_str(reference).is_ok() {
            let (status, body) = self.get(token, &format!("/v2/images/{reference}")).await?;
            return match status {
                200 => Ok(body),
                404 | 403 => Err(ImageApiError::NotFound),
                other => Err(unavailable(format!("it answered {other}"))),
            };
        }
        let query = serde_urlencoded::to_string([("name", reference)]).unwrap_or_default();
        let (status, body) = self.get(token, &format!("/v2/images?{query}")).await?;
        if status != 200 {
            return Err(unavailable(format!("it answered {status}")));
        }
        match body["images"].as_array().map(Vec::as_slice) {
            Some([image]) => Ok(image.clone()),
            Some([]) | None => Err(ImageApiError::NotFound),
            Some(_) => Err(ImageApiError::Ambiguous(reference.to_string())),
        }
    }

    /// Creates an image record (no data yet) and returns it.
    pub async fn create(&self, token: &str, image: &Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/v2/images", self.url().await?))
            .header("X-Auth-Token", token)
            .json(image)
            .send()
            .await
            .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            201 => serde_json::from_str(&text).map_err(unavailable),
            400 | 403 | 409 | 413 => Err(ImageApiError::Refused(glance_message(&text))),
            other => Err(unavailable(format!("it answered {other}"))),
        }
    }
}

impl ImageApi {
    /// Uploads `data` as the image's data (`PUT /v2/images/{id}/file`).
    pub async fn upload(&self, token: &str, id: &str, data: Vec<u8>) -> Result<()> {
        let resp = self
            .http
            .put(format!("{}/v2/images/{id}/file", self.url().await?))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/octet-stream")
            .body(data)
            .send()
            .await
            .map_err(unavailable)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            204 => Ok(()),
            404 => Err(ImageApiError::NotFound),
            400 | 403 | 409 | 413 => Err(ImageApiError::Refused(glance_message(&text))),
            other => Err(unavailable(format!("it answered {other}"))),
        }
    }

    /// Deletes an image this service created; a failure is only logged.
    pub async fn delete(&self, token: &str, id: &str) {
        let Ok(url) = self.url().await else { return };
        let sent = self
            .http
            .delete(format!("{url}/v2/images/{id}"))
            .header("X-Auth-Token", token)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(image = id, "image left behind: {e}");
        }
    }
}

/// The message of a Glance error page, without its HTML.
fn glance_message(text: &str) -> String {
    let body = text.rsplit_once("</h1>").map_or(text, |(_, rest)| rest);
    let plain = body
        .split('<')
        .map(|part| part.split_once('>').map_or(part, |(_, rest)| rest))
        .collect::<Vec<_>>()
        .join(" ");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::glance_message;

    #[test]
    fn glance_errors_lose_their_markup() {
        let page = "<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  Invalid disk format 'x'.<br /><br />\n</body>\n</html>";
        assert_eq!(glance_message(page), "Invalid disk format 'x'.");
    }
}
