//! Where another service's API is: a configured URL, else the endpoint of its
//! type and interface in the catalog the service user sees, looked up once.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::Authenticator;

/// A peer service's base URL, configured or found in the catalog.
pub struct ServiceEndpoint {
    servers: Vec<String>,
    catalog: (String, String),
    auth: Option<Arc<Authenticator>>,
    found: Mutex<Option<String>>,
}

impl ServiceEndpoint {
    /// `servers` when configured, else the `(type, interface)` endpoint of the
    /// catalog that `auth`'s service user sees.
    pub fn new(
        servers: Vec<String>,
        catalog: (String, String),
        auth: Option<Arc<Authenticator>>,
    ) -> Self {
        ServiceEndpoint {
            servers,
            catalog,
            auth,
            found: Mutex::new(None),
        }
    }

    /// The base URL, or why there is none.
    pub async fn url(&self) -> Result<String, String> {
        let (kind, interface) = &self.catalog;
        self.url_if_any()
            .await?
            .ok_or_else(|| format!("the catalog has no {interface} {kind} endpoint"))
    }

    /// The base URL; none when nothing is configured and the catalog has no
    /// such endpoint (the service is not deployed); an error when the catalog
    /// cannot be read.
    pub async fn url_if_any(&self) -> Result<Option<String>, String> {
        if let Some(url) = self.servers.first() {
            return Ok(Some(url.clone()));
        }
        let mut found = self.found.lock().await;
        if let Some(url) = found.as_ref() {
            return Ok(Some(url.clone()));
        }
        let auth = self
            .auth
            .as_ref()
            .ok_or_else(|| "no URL is configured and there is no catalog to look in".to_string())?;
        let (kind, interface) = &self.catalog;
        let Some(url) = auth.endpoint(kind, interface).await? else {
            return Ok(None);
        };
        let url = url.trim_end_matches('/').to_string();
        *found = Some(url.clone());
        Ok(Some(url))
    }
}
