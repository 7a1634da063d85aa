use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{Envelope, Failure, RequestId};

/// Largest body a rejected-by-axum error text may have to be rendered as a message.
const REJECTION_TEXT_LIMIT: usize = 4096;

/// Checks a request before a protected route sees it — shared/auth's token
/// validation — and answers it itself when it refuses.
pub type Gate = std::sync::Arc<
    dyn Fn(Request, Next) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>
        + Send
        + Sync,
>;

/// What a service gives the generic server: its name, routes and error envelope.
pub struct ApiService {
    /// Short service name (`identity`), used in logs and metrics.
    pub name: &'static str,
    /// The service's open routes (version discovery), state already applied.
    pub router: Router,
    /// Its routes behind a gate (authentication), state already applied; the
    /// server puts the gate in front of them.
    pub protected: Option<(Router, Gate)>,
    /// How failures are rendered.
    pub envelope: Envelope,
    /// Largest accepted request body in bytes (streamed uploads opt out per route).
    pub body_limit: usize,
    /// The OpenAPI document served at `/openapi.json`.
    pub openapi: Option<utoipa::openapi::OpenApi>,
    /// Rewrites a request's path before routing (older URL forms of the same
    /// routes, such as Nova's `/v2/{project_id}/servers`); the access log and
    /// metrics see the rewritten path.
    pub path_rewrite: Option<fn(&mut Request)>,
}

#[derive(Clone, Copy)]
struct Observe {
    name: &'static str,
    envelope: Envelope,
}

impl ApiService {
    /// The complete application: the service's routes plus health, the OpenAPI
    /// document, request ids, tracing, access log, body limit and envelope.
    /// Metrics are not on the API port (see [`run`] and `metrics_port`).
    pub fn into_router(self) -> Router {
        let observe = Observe {
            name: self.name,
            envelope: self.envelope,
        };
        let mut router = self.router.route("/healthcheck", get(|| async { "OK" }));
        if let Some((routes, gate)) = self.protected {
            router = router.merge(routes.layer(middleware::from_fn_with_state(gate, pass_gate)));
        }
        if let Some(doc) = self.openapi {
            let doc = std::sync::Arc::new(doc);
            router = router.route(
                "/openapi.json",
                get(move || {
                    let doc = doc.clone();
                    async move { axum::Json(doc.as_ref().clone()) }
                }),
            );
        }
        let router = router
            .fallback(|| async { Failure::not_found("The resource could not be found.") })
            .layer(DefaultBodyLimit::max(self.body_limit))
            .layer(middleware::from_fn_with_state(observe, observe_request));
        match self.path_rewrite {
            Some(rewrite) => Router::new().fallback_service(
                tower::ServiceBuilder::new()
                    .map_request(move |mut request: Request| {
                        rewrite(&mut request);
                        request
                    })
                    .service(router),
            ),
            None => router,
        }
    }
}

async fn pass_gate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    gate(request, next).await
}

/// Serves `service` on `listener` until `shutdown` fires, then drains in-flight
/// requests.
pub async fn serve(
    service: ApiService,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let name = service.name;
    let addr = listener.local_addr()?;
    tracing::info!(service = name, %addr, "api listening");
    axum::serve(listener, service.into_router())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    tracing::info!(service = name, "api stopped");
    Ok(())
}

/// Binds the configured address, serves grpc health when configured, and serves
/// `service` until `shutdown` fires.
pub async fn run(
    service: ApiService,
    options: &crate::ServiceOptions,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.bind).await?;
    if let Some(port) = options.metrics_port {
        let metrics = TcpListener::bind(std::net::SocketAddr::new(options.bind.ip(), port)).await?;
        tracing::info!(addr = %metrics.local_addr()?, "metrics listening");
        let token = shutdown.clone();
        tokio::spawn(async move {
            let app = Router::new().route(
                "/metrics",
                get(|| async { ferrostack_telemetry::render_metrics() }),
            );
            if let Err(err) = axum::serve(metrics, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
            {
                tracing::error!(%err, "metrics server failed");
            }
        });
    }
    if let Some(port) = options.grpc_health_port {
        let addr = std::net::SocketAddr::new(options.bind.ip(), port);
        let (name, token) = (service.name, shutdown.clone());
        tokio::spawn(async move {
            if let Err(err) = ferrostack_telemetry::serve_grpc_health(addr, name, token).await {
                tracing::error!(%err, "grpc health server failed");
            }
        });
    }
    serve(service, listener, shutdown).await
}

/// A token cancelled on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
        trigger.cancel();
    });
    token
}

/// Request id, span, envelope rendering, metrics and access log for every request.
async fn observe_request(State(observe): State<Observe>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = RequestId::from_headers(req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let ids = request_id.clone();
    req.extensions_mut().insert(request_id);
    // Lines logged while handling the request carry its ids.
    let scope = ferrostack_telemetry::RequestIds {
        local: ids.local.clone(),
        global: ids.global.clone(),
    };
    let mut response = ferrostack_telemetry::request_scope(scope, next.run(req)).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        response = render_failure(observe.envelope, response).await;
    }
    if let Ok(value) = HeaderValue::from_str(&ids.local) {
        response
            .headers_mut()
            .insert("x-openstack-request-id", value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    ferrostack_telemetry::record_request(observe.name, method.as_str(), &route, status, elapsed);
    ferrostack_telemetry::access_log(&ferrostack_telemetry::AccessEntry {
        request_id: &ids.local,
        global_request_id: ids.global.as_deref(),
        method: method.as_str(),
        path: &path,
        status,
        elapsed,
    });
    response
}

/// Renders an error response in the service's envelope. Failures carry their own
/// message; other errors (axum's own rejections, 405s) use their text or reason.
async fn render_failure(envelope: Envelope, response: Response) -> Response {
    if let Some(failure) = response.extensions().get::<Failure>().cloned() {
        let mut response = response;
        envelope.render(&failure, &mut response);
        return response;
    }
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !is_text {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, REJECTION_TEXT_LIMIT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let status = if parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        parts.status
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        text
    };
    let failure = Failure::new(status, message);
    let mut response = Response::from_parts(parts, axum::body::Body::empty());
    *response.status_mut() = status;
    envelope.render(&failure, &mut response);
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn app() -> Router {
        let router =
            Router::new()
                .route(
                    "/items/{id}",
                    get(
                        |axum::extract::Path(id): axum::extract::Path<u32>| async move {
                            id.to_string()
                        },
                    ),
                )
                .route(
                    "/boom",
                    get(|| async { Failure::conflict("already there") }),
                );
        ApiService {
            name: "test",
            router,
            protected: None,
            envelope: Envelope::Keystone,
            body_limit: 1024,
            openapi: None,
            path_rewrite: None,
        }
        .into_router()
    }

    async fn call(
        uri: &str,
        method: &str,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let response = app()
            .oneshot(
                Request::builder()
                    .uri(uri)
                    .method(method)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, headers, body)
    }

    #[tokio::test]
    async fn every_error_uses_the_envelope_and_has_a_request_id() {
        let (status, headers, body) = call("/boom", "GET").await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["message"], "already there");
        assert!(headers["x-openstack-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req-"));

        let (status, _, body) = call("/nowhere", "GET").await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], 404);

        let (status, _, body) = call("/items/abc", "GET").await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["title"], "Bad Request");

        let (status, _, body) = call("/items/1", "DELETE").await;
        assert_eq!(status, 405);
        assert_eq!(body["error"]["code"], 405);
    }

    #[tokio::test]
    async fn metrics_are_not_on_the_api_port_but_on_their_own() {
        let (status, _, _) = call("/metrics", "GET").await;
        assert_eq!(status, 404);
        let free = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (api_port, metrics_port) = (free(), free());
        let mut config = ferrostack_config::Config::default();
        config.set("DEFAULT", "bind_port", api_port.to_string());
        config.set("DEFAULT", "metrics_port", metrics_port.to_string());
        let options = crate::ServiceOptions::from_config(&config, 1).unwrap();
        let shutdown = CancellationToken::new();
        let service = ApiService {
            name: "test",
            router: Router::new(),
            protected: None,
            envelope: Envelope::Keystone,
            body_limit: 1024,
            openapi: None,
            path_rewrite: None,
        };
        let server = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { run(service, &options, shutdown).await }
        });
        let mut answer = None;
        for _ in 0..100 {
            if let Ok(mut stream) =
                tokio::net::TcpStream::connect(("127.0.0.1", metrics_port)).await
            {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                stream
                    .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut text = String::new();
                stream.read_to_string(&mut text).await.unwrap();
                answer = Some(text);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        shutdown.cancel();
        let _ = server.await;
        assert!(answer.unwrap().starts_with("HTTP/1.0 200"));
    }

    #[tokio::test]
    async fn health_answers() {
        let response = app()
            .oneshot(
                Request::builder()
                    .uri("/healthcheck")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("x-openstack-request-id"));
    }
}
