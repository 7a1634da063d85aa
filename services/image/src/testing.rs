//! A served image service with one local file store, for other services'
//! tests (feature `testing`).

use ferrostack_testkit::{Served, TestEnv};

/// Serves an image service on `env` (whose `[keystone_authtoken]` the caller
/// set) with a local file store; `inspect: false` lets data not match its
/// declared format.
pub async fn serve_file_store(env: &mut TestEnv, inspect: bool) -> Served {
    if !inspect {
        env.config
            .set("image_format", "require_image_format_match", "false");
    }
    env.config.set("DEFAULT", "enabled_backends", "local:file");
    env.config.set("glance_store", "default_backend", "local");
    let glance = crate::build(&env.config).await.expect("image builds");
    ferrostack_testkit::serve(crate::api_service(glance).expect("image api")).await
}
