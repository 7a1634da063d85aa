//! The envelope every message travels in (`proto/ferrostack/rpc/v1`): request,
//! context, reply and remote error.

include!(concat!(env!("OUT_DIR"), "/ferrostack.rpc.v1.rs"));

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.request_id)
            .field("global_request_id", &self.global_request_id)
            .field("user_id", &self.user_id)
            .field("project_id", &self.project_id)
            .field("domain_id", &self.domain_id)
            .field("roles", &self.roles)
            .field("system_scope", &self.system_scope)
            .field(
                "auth_token",
                &if self.auth_token.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .finish()
    }
}

impl Context {
    /// The context of work no request asked for (periodic tasks, recovery):
    /// a fresh request id, no user.
    pub fn internal() -> Self {
        Context {
            request_id: format!("req-{}", uuid::Uuid::new_v4()),
            ..Context::default()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn context_debug_hides_the_token() {
        let context = super::Context {
            user_id: "u".into(),
            auth_token: "gAAAAAsecret".into(),
            ..Default::default()
        };
        let shown = format!("{context:?}");
        assert!(shown.contains("\"u\""));
        assert!(!shown.contains("secret"));
    }
}
