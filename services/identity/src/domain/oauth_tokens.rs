//! OAuth1 delegation (OS-OAUTH1): a consumer gets a request token for a project,
//! a user authorizes it with some of their roles, the consumer trades it for an
//! access token and then gets Keystone tokens with `oauth1`-signed requests.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime, Timelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::Value;

use super::oauth_signature::{new_verifier, OauthParams};
use super::{new_id, Error, Identity, Result, Target, TokenInfo};
use crate::db::entity::{access_token, consumer, request_token};
use crate::fernet::TokenScope;

/// Keystone's `[oauth1] request_token_duration` and `access_token_duration`.
const REQUEST_TOKEN_SECS: i64 = 28800;
const ACCESS_TOKEN_SECS: i64 = 86400;

/// What a signature covers: the request's method, URL (no query), query pairs and
/// its `Authorization` header.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub authorization: Option<String>,
    pub method: String,
    pub url: String,
    pub query: Vec<(String, String)>,
}

impl SignedRequest {
    fn params(&self) -> Result<OauthParams> {
        let header = self
            .authorization
            .as_deref()
            .ok_or_else(|| Error::invalid("Expecting an OAuth Authorization header."))?;
        OauthParams::parse(header)
    }
}

fn expiry(secs: i64) -> NaiveDateTime {
    let at = Utc::now().naive_utc() + Duration::seconds(secs);
    at.with_nanosecond(0).unwrap_or(at)
}

fn expired(at: Option<NaiveDateTime>) -> bool {
    at.is_some_and(|at| at < Utc::now().naive_utc())
}

/// A token made by delegation (trust or OAuth) or an application credential may
/// not delegate further.
pub fn refuse_delegated(token: &TokenInfo) -> Result<()> {
    if token.trust.is_some() || token.oauth.is_some() || token.app_cred.is_some() {
        return Err(Error::Forbidden(
            "You are not authorized to perform the requested action.".into(),
        ));
    }
    Ok(())
}

impl Identity {
    async fn signing_consumer(&self, id: &str) -> Result<consumer::Model> {
        consumer::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::Unauthorized("Invalid consumer".into()))
    }

    /// `POST /OS-OAUTH1/request_token`: a consumer-signed request for `project_id`.
    pub async fn create_request_token(
        &self,
        request: &SignedRequest,
        project_id: Option<&str>,
    ) -> Result<request_token::Model> {
        let params = request.params()?;
        let consumer_id = params.require("oauth_consumer_key")?.to_string();
        let project_id = project_id
            .ok_or_else(|| Error::invalid("Expecting to find Requested-Project-Id in request"))?;
        self.get_project(project_id).await?;
        let consumer = self.get_consumer(&consumer_id).await?;
        params.require("oauth_callback")?;
        params.verify(
            &request.method,
            &request.url,
            &request.query,
            &consumer.secret,
            "",
        )?;
        let row = request_token::ActiveModel {
            id: Set(new_id()),
            request_secret: Set(new_id()),
            verifier: Set(None),
            authorizing_user_id: Set(None),
            requested_project_id: Set(project_id.to_string()),
            role_ids: Set(None),
            consumer_id: Set(consumer_id),
            expires_at: Set(Some(expiry(REQUEST_TOKEN_SECS))),
        }
        .insert(&self.store.db)
        .await?;
        Ok(row)
    }

    /// `PUT /OS-OAUTH1/authorize/{id}`: the caller grants roles they hold on the
    /// requested project; answers the verifier.
    pub async fn authorize_request_token(
        &self,
        caller: &TokenInfo,
        id: &str,
        roles: &[Value],
    ) -> Result<String> {
        refuse_delegated(caller)?;
        let token = request_token::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::NotFoundDetail("Request token not found".into()))?;
        if expired(token.expires_at) {
            return Err(Error::Unauthorized("Request token is expired".into()));
        }
        let mut wanted = BTreeSet::new();
        for role in roles {
            let object = role.as_object().filter(|r| r.len() == 1);
            match object.and_then(|r| r.iter().next()) {
                Some((key, Value::String(id))) if key == "id" => {
                    wanted.insert(self.get_role(id).await?.id);
                }
                Some((key, Value::String(name))) if key == "name" => {
                    wanted.insert(self.find_global_role_by_name(name).await?.id);
                }
                _ => {
                    return Err(Error::invalid(
                        "Invalid input for field 'roles': each role needs exactly one of 'id' or 'name'",
                    ))
                }
            }
        }
        let held = self
            .effective_role_ids(
                &caller.payload.user_id,
                &Target::Project(token.requested_project_id.clone()),
            )
            .await?;
        if !wanted.is_subset(&held) {
            return Err(Error::Unauthorized(
                "authorizing user does not have role required".into(),
            ));
        }
        let verifier = new_verifier();
        let mut row = token.into_active_model();
        row.authorizing_user_id = Set(Some(caller.payload.user_id.clone()));
        row.verifier = Set(Some(verifier.clone()));
        row.role_ids = Set(Some(serde_json::to_string(&wanted).unwrap_or_default()));
        row.update(&self.store.db).await?;
        Ok(verifier)
    }

    /// `POST /OS-OAUTH1/access_token`: trades an authorized request token (signed
    /// with its secret, carrying its verifier) for an access token.
    pub async fn create_access_token(
        &self,
        request: &SignedRequest,
    ) -> Result<access_token::Model> {
        let params = request.params()?;
        let consumer_id = params.require("oauth_consumer_key")?;
        let token_id = params.require("oauth_token")?;
        let verifier = params.require("oauth_verifier")?;
        let token = request_token::Entity::find_by_id(token_id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::NotFoundDetail("Request token not found".into()))?;
        if expired(token.expires_at) {
            return Err(Error::Unauthorized("Request token is expired".into()));
        }
        let consumer = self.signing_consumer(consumer_id).await?;
        if consumer.id != token.consumer_id {
            return Err(Error::Unauthorized("Invalid consumer".into()));
        }
        params.verify(
            &request.method,
            &request.url,
            &request.query,
            &consumer.secret,
            &token.request_secret,
        )?;
        let (Some(user_id), Some(stored)) = (&token.authorizing_user_id, &token.verifier) else {
            return Err(Error::Unauthorized(
                "Request Token does not have an authorizing user id.".into(),
            ));
        };
        if stored != verifier {
            return Err(Error::Unauthorized(
                "Provided verifier does not match stored verifier".into(),
            ));
        }
        let txn = self.store.db.begin().await?;
        let row = access_token::ActiveModel {
            id: Set(new_id()),
            access_secret: Set(new_id()),
            authorizing_user_id: Set(user_id.clone()),
            project_id: Set(token.requested_project_id.clone()),
            role_ids: Set(token.role_ids.clone().unwrap_or_else(|| "[]".into())),
            consumer_id: Set(consumer.id.clone()),
            expires_at: Set(Some(expiry(ACCESS_TOKEN_SECS))),
        }
        .insert(&txn)
        .await?;
        request_token::Entity::delete_by_id(token.id.as_str())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.notify("created", "OS-OAUTH1:access_token", &row.id);
        Ok(row)
    }

    /// The user and scope of an `oauth1` authentication: an access-token-signed
    /// request; the scope is the access token's project whatever was asked.
    pub(crate) async fn oauth_scope(
        &self,
        request: &SignedRequest,
    ) -> Result<(String, TokenScope)> {
        let params = request.params()?;
        let token_id = params.require("oauth_token")?;
        let token = access_token::Entity::find_by_id(token_id)
            .one(&self.store.db)
            .await?
            .ok_or_else(|| Error::not_found("access token", token_id))?;
        if expired(token.expires_at) {
            return Err(Error::Unauthorized("Access token is expired".into()));
        }
        let consumer = self.signing_consumer(&token.consumer_id).await?;
        params
            .verify(
                &request.method,
                &request.url,
                &request.query,
                &consumer.secret,
                &token.access_secret,
            )
            .map_err(|_| Error::Unauthorized("Could not validate the access token".into()))?;
        Ok((
            token.authorizing_user_id.clone(),
            TokenScope::Oauth {
                project_id: token.project_id,
                access_token_id: token.id,
            },
        ))
    }

    /// An access token still usable for tokens.
    pub(crate) async fn live_access_token(&self, id: &str) -> Result<access_token::Model> {
        access_token::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(|t| !expired(t.expires_at))
            .ok_or_else(|| Error::not_found("access token", id))
    }

    pub async fn list_access_tokens(&self, user_id: &str) -> Result<Vec<access_token::Model>> {
        self.get_user(user_id).await?;
        Ok(access_token::Entity::find()
            .filter(access_token::Column::AuthorizingUserId.eq(user_id))
            .order_by_asc(access_token::Column::Id)
            .all(&self.store.db)
            .await?)
    }

    pub async fn get_access_token(&self, user_id: &str, id: &str) -> Result<access_token::Model> {
        access_token::Entity::find_by_id(id)
            .one(&self.store.db)
            .await?
            .filter(|t| t.authorizing_user_id == user_id)
            .ok_or_else(|| Error::not_found("access token", id))
    }

    /// Revokes an access token: the Keystone tokens made with it stop working.
    pub async fn delete_access_token(&self, user_id: &str, id: &str) -> Result<()> {
        self.get_access_token(user_id, id).await?;
        access_token::Entity::delete_by_id(id)
            .exec(&self.store.db)
            .await?;
        self.changed().await?;
        self.notify("deleted", "OS-OAUTH1:access_token", id);
        Ok(())
    }

    /// Removes a deleted consumer's request and access tokens.
    pub(crate) async fn forget_consumer_tokens<C: sea_orm::ConnectionTrait>(
        conn: &C,
        consumer_id: &str,
    ) -> Result<()> {
        request_token::Entity::delete_many()
            .filter(request_token::Column::ConsumerId.eq(consumer_id))
            .exec(conn)
            .await?;
        access_token::Entity::delete_many()
            .filter(access_token::Column::ConsumerId.eq(consumer_id))
            .exec(conn)
            .await?;
        Ok(())
    }
}
