//! The axum middleware: authenticate, then hand the request on with its context.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header::WWW_AUTHENTICATE, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ferrostack_api::Failure;

use crate::{
    cache::TokenCache,
    identity_client::{IdentityClient, Validation},
    AuthContext, AuthOptions,
};

/// Validates tokens for one service; share one per process.
pub struct Authenticator {
    client: IdentityClient,
    cache: Option<TokenCache>,
    options: AuthOptions,
}

impl Authenticator {
    pub fn new(options: AuthOptions) -> Arc<Self> {
        Arc::new(Authenticator {
            client: IdentityClient::new(options.clone()),
            cache: options.token_cache_time.map(|ttl| {
                TokenCache::new(
                    ttl,
                    &options.memcached_servers,
                    options.memcache_protection.clone(),
                )
            }),
            options,
        })
    }

    /// The context of a request's tokens, or the response refusing it.
    pub async fn check(&self, headers: &HeaderMap) -> Result<AuthContext, Response> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let user_token = header("x-auth-token").ok_or_else(|| self.unauthorized())?;
        let service = match header("x-service-token") {
            Some(token) => Some(self.validated(token, false).await?),
            None => None,
        };
        let is_service = service.as_ref().is_some_and(|s| {
            self.options
                .service_token_roles
                .iter()
                .any(|role| s.has_role(role))
        });
        if service.is_some() && !is_service && self.options.service_token_roles_required {
            return Err(self.unauthorized());
        }
        let mut ctx = self.validated(user_token, is_service).await?;
        if let Some(service) = service {
            ctx.service_roles = service.roles;
        }
        ctx.token = crate::context::UserToken(user_token.to_owned());
        Ok(ctx)
    }

    async fn validated(&self, token: &str, allow_expired: bool) -> Result<AuthContext, Response> {
        let key = TokenCache::key(token);
        if let Some(cache) = &self.cache {
            if let Some(ctx) = cache.get(&key).await {
                return Ok((*ctx).clone());
            }
        }
        match self.client.validate(token, allow_expired).await {
            Ok(Validation::Valid(ctx)) => {
                if let Some(cache) = &self.cache {
                    cache.put(&key, Arc::new((*ctx).clone())).await;
                }
                Ok(*ctx)
            }
            Ok(Validation::Invalid) => Err(self.unauthorized()),
            Err(e) => {
                tracing::error!("cannot validate tokens: {}", e.0);
                Err(Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The Keystone service is temporarily unavailable.",
                )
                .into_response())
            }
        }
    }

    /// The URL of the `interface` endpoint of a `service_type` service in the
    /// catalog, as the service's own user sees it; `Ok(None)` when there is none.
    /// The service user's own token (for work no user's request carries,
    /// such as a periodic task's).
    pub async fn service_token(&self) -> Result<String, String> {
        self.client.service_token(false).await.map_err(|e| e.0)
    }

    pub async fn endpoint(
        &self,
        service_type: &str,
        interface: &str,
    ) -> Result<Option<String>, String> {
        self.client
            .endpoint(service_type, interface)
            .await
            .map_err(|e| e.0)
    }

    /// Whether the token's access rules, if it has any, allow this request to this
    /// service (keystonemiddleware answers 401 when they do not).
    fn permits(&self, ctx: &AuthContext, request: &Request) -> bool {
        ctx.access_rules.is_empty()
            || self.options.service_types.iter().any(|service_type| {
                ferrostack_policy::access_rules::permits(
                    &ctx.access_rules,
                    service_type,
                    request.method().as_str(),
                    request.uri().path(),
                )
            })
    }

    fn unauthorized(&self) -> Response {
        let mut response =
            Failure::unauthorized("The request you have made requires authentication.")
                .into_response();
        if let Ok(value) = HeaderValue::from_str(&format!(
            "Keystone uri=\"{}\"",
            self.options.www_authenticate_uri
        )) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The gate `shared/api`'s server puts in front of a service's protected routes.
pub fn gate(auth: Arc<Authenticator>) -> ferrostack_api::Gate {
    Arc::new(move |request, next| {
        let auth = auth.clone();
        Box::pin(async move { authenticate(State(auth), request, next).await })
    })
}

/// Admits a request with a valid token (its context in the extensions) or answers 401/503.
async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    match auth.check(request.headers()).await {
        Ok(ctx) if !auth.permits(&ctx, &request) => auth.unauthorized(),
        Ok(ctx) => {
            request.extensions_mut().insert(ctx);
            next.run(request).await
        }
        Err(response) => response,
    }
}
