use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;

/// Serves grpc.health.v1 on `addr` until `shutdown` fires, reporting SERVING for the
/// overall server and for `service_name`.
pub async fn serve_grpc_health(
    addr: SocketAddr,
    service_name: &'static str,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(service_name, tonic_health::ServingStatus::Serving)
        .await;
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_shutdown(addr, shutdown.cancelled_owned())
        .await
}
