//! `/v3/ec2tokens`: a token for the project of an EC2 credential, to whoever
//! proves they hold its secret by a signed request (what S3 and EC2 style APIs
//! hand identity to check).

use std::sync::Arc;

use chrono::Utc;

use super::ec2_signature::{parse_timestamp, Ec2Request};
use super::oauth_signature::constant_time_eq;
use super::{Error, Identity, Result, TokenInfo};
use crate::fernet::{new_audit_id, AuthMethod, TokenPayload, TokenScope};

/// Keystone's `[credential] auth_ttl`: how old a signed request may be.
const AUTH_TTL_MINUTES: i64 = 15;

fn refused(message: &str) -> Error {
    Error::Unauthorized(message.into())
}

impl Identity {
    /// Checks an EC2 request signature and issues a project token for the
    /// credential's user and project.
    pub async fn ec2_authenticate(
        &self,
        mut request: Ec2Request,
    ) -> Result<(String, Arc<TokenInfo>)> {
        if let Some(stamp) = request.timestamp() {
            let signed_at =
                parse_timestamp(stamp).ok_or_else(|| refused("Credential timestamp is invalid"))?;
            if Utc::now().naive_utc() > signed_at + chrono::Duration::minutes(AUTH_TTL_MINUTES) {
                return Err(refused("Credential is expired"));
            }
        }
        let access = request
            .access
            .clone()
            .ok_or_else(|| refused("EC2 signature not supplied."))?;
        let cred = self
            .get_ec2_credential(&access)
            .await
            .map_err(|_| refused("EC2 access key not found."))?;
        let given = request
            .signature
            .clone()
            .ok_or_else(|| refused("EC2 signature not supplied."))?;
        let matches = |request: &Ec2Request| {
            request
                .expected_signature(&cred.secret)
                .is_some_and(|expected| constant_time_eq(expected.as_bytes(), given.as_bytes()))
        };
        if !matches(&request) {
            // Some clients sign without the port, as Keystone allows for.
            let Some((host, _port)) = request.host.split_once(':') else {
                return Err(refused("Invalid EC2 signature."));
            };
            request.host = host.to_string();
            if !matches(&request) {
                return Err(refused("Invalid EC2 signature."));
            }
        }
        let project_id = cred
            .project_id
            .clone()
            .ok_or_else(|| refused("User not valid for project."))?;
        let expiry =
            Utc::now() + chrono::Duration::from_std(self.cfg.token_expiration).unwrap_or_default();
        let payload = TokenPayload {
            user_id: cred.user_id.clone(),
            methods: vec![AuthMethod::Ec2Credential],
            scope: TokenScope::Project(project_id),
            expires_at: expiry.timestamp_micros() as f64 / 1e6,
            audit_ids: vec![new_audit_id()],
        };
        self.issue(payload).await.map_err(|err| match err {
            Error::Internal(msg) => Error::Internal(msg),
            _ => refused("User not valid for project."),
        })
    }
}
