//! Failures of the network API: Neutron's exception type (the error body's
//! `type`), its message and its HTTP status.

use std::borrow::Cow;

use ferrostack_db::DbError;

/// A network failure, as Neutron's API reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NeutronError {
    pub status: u16,
    /// Neutron's exception name (`NetworkNotFound`, `HTTPBadRequest`...).
    pub kind: Cow<'static, str>,
    pub message: String,
}

/// Result alias for the network domain.
pub type Result<T, E = NeutronError> = std::result::Result<T, E>;

impl NeutronError {
    pub fn new(
        status: u16,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        NeutronError {
            status,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// 400 from the API layer (`HTTPBadRequest`): a body or query that fails
    /// its attribute's validation.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "HTTPBadRequest", message)
    }

    /// 400 `InvalidInput`: `Invalid input for operation: <why>.`
    pub fn invalid_input(why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "InvalidInput",
            format!("Invalid input for operation: {why}."),
        )
    }

    /// 404 of `kind` (`NetworkNotFound`).
    pub fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(404, kind, message)
    }

    /// 409 of `kind` (`NetworkInUse`).
    pub fn conflict(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, kind, message)
    }

    /// 403 for a policy check the caller fails, named as oslo.policy prints
    /// it (`rule:create_network`, `(rule:create_network and rule:...)`).
    pub fn policy(check: &str) -> Self {
        Self::new(
            403,
            "PolicyNotAuthorized",
            format!("{check} is disallowed by policy"),
        )
    }

    /// 404 for a resource that exists but that the caller may not see.
    pub fn hidden() -> Self {
        Self::new(404, "HTTPNotFound", "The resource could not be found.")
    }

    /// 409 `OverQuota`.
    pub fn over_quota(resource: &str) -> Self {
        Self::new(
            409,
            "OverQuota",
            format!("Quota exceeded for resources: ['{resource}']."),
        )
    }

    /// A server fault (the cause is logged, not shown).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(500, "HTTPInternalServerError", cause.to_string())
    }
}

impl From<DbError> for NeutronError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Duplicate(m) | DbError::Reference(m) => Self::new(409, "HTTPConflict", m),
            DbError::Other(m) => Self::internal(m),
        }
    }
}

impl From<sea_orm::DbErr> for NeutronError {
    fn from(err: sea_orm::DbErr) -> Self {
        if ferrostack_db::is_deadlock(&err) {
            return Self::new(500, DEADLOCK, err.to_string());
        }
        DbError::from(err).into()
    }
}

/// The kind of a transaction the database gave up on (worth trying again).
pub const DEADLOCK: &str = "DBDeadlock";
