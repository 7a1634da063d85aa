//! Talks to identity: gets (and renews) the service's own token, validates others.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::{AuthContext, AuthOptions};

/// What identity said about a token.
pub(crate) enum Validation {
    Valid(Box<AuthContext>),
    Invalid,
}

/// Identity could not be asked.
#[derive(Debug)]
pub(crate) struct Unavailable(pub String);

pub(crate) struct IdentityClient {
    http: reqwest::Client,
    options: AuthOptions,
    own: Mutex<Option<(String, DateTime<Utc>)>>,
}

impl IdentityClient {
    pub(crate) fn new(options: AuthOptions) -> Self {
        IdentityClient {
            http: reqwest::Client::builder()
                .timeout(options.timeout)
                .build()
                .expect("an HTTP client"),
            options,
            own: Mutex::new(None),
        }
    }

    /// Validates `token`, accepting an expired one when `allow_expired`.
    pub(crate) async fn validate(
        &self,
        token: &str,
        allow_expired: bool,
    ) -> Result<Validation, Unavailable> {
        for attempt in 0..2 {
            let service_token = self.service_token(attempt > 0).await?;
            let mut url = format!("{}/v3/auth/tokens?nocatalog", self.options.auth_url);
            if allow_expired {
                url.push_str("&allow_expired=1");
            }
            let resp = self
                .http
                .get(url)
                .header("X-Auth-Token", service_token)
                .header("X-Subject-Token", token)
                // This middleware enforces application credential access rules.
                .header("OpenStack-Identity-Access-Rules", "1.0")
                .send()
                .await
                .map_err(|e| Unavailable(format!("identity unreachable: {e}")))?;
            match resp.status().as_u16() {
                200 => {
                    let body: Value = resp
                        .json()
                        .await
                        .map_err(|e| Unavailable(format!("unreadable validation: {e}")))?;
                    return Ok(match AuthContext::from_token(&body["token"]) {
                        Some(ctx) => Validation::Valid(Box::new(ctx)),
                        None => Validation::Invalid,
                    });
                }
                404 => return Ok(Validation::Invalid),
                // Our own token expired or was revoked: get a new one and retry once.
                401 if attempt == 0 => continue,
                status => {
                    return Err(Unavailable(format!(
                        "identity answered {status} to a token validation"
                    )))
                }
            }
        }
        Err(Unavailable(
            "identity refuses the service's credentials".into(),
        ))
    }

    /// The service's token, renewed when it is about to expire or `renew` is set.
    pub(crate) async fn service_token(&self, renew: bool) -> Result<String, Unavailable> {
        let mut own = self.own.lock().await;
        if let Some((token, expires_at)) = own.as_ref() {
            if !renew && *expires_at - chrono::Duration::seconds(60) > Utc::now() {
                return Ok(token.clone());
            }
        }
        let o = &self.options;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": o.username, "password": o.password.expose(),
                "domain": {"name": o.user_domain_name}}}},
            "scope": {"project": {"name": o.project_name, "domain": {"name": o.project_domain_name}}}
        }});
        let resp = self
            .http
            .post(format!("{}/v3/auth/tokens?nocatalog", o.auth_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| Unavailable(format!("identity unreachable: {e}")))?;
        if resp.status().as_u16() != 201 {
            return Err(Unavailable(format!(
                "identity refused the service user {} ({})",
                o.username,
                resp.status()
            )));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| Unavailable("identity issued no X-Subject-Token".into()))?;
        let body: Value = resp
            .json()
            .await
            .map_err(|e| Unavailable(format!("unreadable token: {e}")))?;
        let expires_at = body["token"]["expires_at"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(Utc::now);
        *own = Some((token.clone(), expires_at));
        Ok(token)
    }

    /// The URL of the first `interface` endpoint of a `service_type` service in
    /// the service user's catalog.
    pub(crate) async fn endpoint(
        &self,
        service_type: &str,
        interface: &str,
    ) -> Result<Option<String>, Unavailable> {
        for attempt in 0..2 {
            let service_token = self.service_token(attempt > 0).await?;
            let resp = self
                .http
                .get(format!("{}/v3/auth/catalog", self.options.auth_url))
                .header("X-Auth-Token", service_token)
                .send()
                .await
                .map_err(|e| Unavailable(format!("identity unreachable: {e}")))?;
            match resp.status().as_u16() {
                200 => {
                    let body: Value = resp
                        .json()
                        .await
                        .map_err(|e| Unavailable(format!("unreadable catalog: {e}")))?;
                    return Ok(find_endpoint(&body["catalog"], service_type, interface));
                }
                401 if attempt == 0 => continue,
                status => {
                    return Err(Unavailable(format!(
                        "identity answered {status} to a catalog request"
                    )))
                }
            }
        }
        Err(Unavailable(
            "identity refuses the service's credentials".into(),
        ))
    }
}

/// The URL of the first `interface` endpoint of a `service_type` entry of `catalog`.
fn find_endpoint(catalog: &Value, service_type: &str, interface: &str) -> Option<String> {
    catalog
        .as_array()?
        .iter()
        .filter(|service| service["type"] == service_type)
        .flat_map(|service| service["endpoints"].as_array().into_iter().flatten())
        .find(|endpoint| endpoint["interface"] == interface)
        .and_then(|endpoint| endpoint["url"].as_str())
        .map(|url| url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::find_endpoint;
    use serde_json::json;

    #[test]
    fn finds_the_endpoint_of_a_type_and_interface() {
        let catalog = json!([
            {"type": "identity", "endpoints": [{"interface": "public", "url": "http://k:5000/v3"}]},
            {"type": "image", "endpoints": [
                {"interface": "internal", "url": "http://i:9292"},
                {"interface": "public", "url": "http://p:9292/"}]}
        ]);
        assert_eq!(
            find_endpoint(&catalog, "image", "public").as_deref(),
            Some("http://p:9292")
        );
        assert_eq!(
            find_endpoint(&catalog, "image", "internal").as_deref(),
            Some("http://i:9292")
        );
        assert_eq!(find_endpoint(&catalog, "image", "admin"), None);
        assert_eq!(find_endpoint(&catalog, "volumev3", "public"), None);
    }
}
