//! `POST /v3/ec2tokens`: a token for a request signed with an EC2 credential.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use ferrostack_api::Json;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::with_subject;
use super::AppState;
use crate::domain::ec2_signature::Ec2Request;
use crate::domain::Error;

/// Check an EC2 (AWS v2 or v4) request signature and issue a project token.
#[utoipa::path(post, path = "/v3/ec2tokens", tag = "credentials", operation_id = "ec2_tokens",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"credentials\": {\"access\", \"signature\", \"host\", \"verb\", \"path\", \"params\", \"headers\", \"body_hash\"}}`"),
    responses((status = 200, description = "The token", headers(("X-Subject-Token" = String, description = "The issued token"))),
        (status = 400), (status = 401)),
    security(()))]
async fn issue(
    State(identity): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Response, Error> {
    let credentials = body
        .get("credentials")
        .or_else(|| body.get("ec2Credentials"))
        .cloned()
        .ok_or_else(|| Error::invalid("Expecting to find credentials in request body."))?;
    let request: Ec2Request = serde_json::from_value(credentials)
        .map_err(|e| Error::invalid(format!("Invalid input for field 'credentials': {e}")))?;
    let (token, info) = identity.ec2_authenticate(request).await?;
    let body = identity.token_body(&info, true).await?;
    Ok(with_subject(StatusCode::OK, &token, Some(body)))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(issue))
}
