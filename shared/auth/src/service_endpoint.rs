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
        if let Some(url) = self.servers.first() {
            return Ok(url.clone());
        }
        let mut found = self.found.lock().await;
        if let Some(url) = found.as_ref() {
            return Ok(url.clone());
        }
        let auth = self
            .auth
            .as_ref()
            .ok_or_else(|| "no URL is configured and there is no catalog to look in".to_string())?;
        let (kind, interface) = &self.catalog;
        let url = auth
            .endpoint(kind, interface)
            .await?
            .ok_or_else(|| format!("the catalog has no {interface} {kind} endpoint"))?;
        let url = url.trim_end_matches('/').to_string();
        *found = Some(url.clone());
        Ok(url)
    }
}
