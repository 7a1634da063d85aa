//! Keystone's token payload formats (`keystone/token/token_formatters.py`): a msgpack
//! array `[version, user_id, methods, scope..., expires_at, audit_ids, ...]` where ids
//! that are UUID hex travel as `(true, 16 bytes)` and others as `(false, text)`.

use base64::Engine;
use rmpv::Value;

const UNSCOPED: u64 = 0;
const DOMAIN_SCOPED: u64 = 1;
const PROJECT_SCOPED: u64 = 2;
const TRUST_SCOPED: u64 = 3;
const OAUTH_SCOPED: u64 = 7;
const SYSTEM_SCOPED: u64 = 8;
const APP_CRED_SCOPED: u64 = 9;

/// The id of the default domain, which Keystone packs as text, not bytes.
const DEFAULT_DOMAIN_ID: &str = "default";

/// Authentication methods and their bit in Keystone's default `[auth] methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    External,
    Password,
    Token,
    Oauth1,
    Mapped,
    ApplicationCredential,
    /// `/v3/ec2tokens` (not in Keystone's default list; ferrostack gives it the next bit).
    Ec2Credential,
}

impl AuthMethod {
    const ALL: [AuthMethod; 7] = [
        AuthMethod::External,
        AuthMethod::Password,
        AuthMethod::Token,
        AuthMethod::Oauth1,
        AuthMethod::Mapped,
        AuthMethod::ApplicationCredential,
        AuthMethod::Ec2Credential,
    ];

    fn bit(self) -> u64 {
        1 << AuthMethod::ALL
            .iter()
            .position(|m| *m == self)
            .expect("listed")
    }

    /// The name used in requests and token bodies.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::External => "external",
            AuthMethod::Password => "password",
            AuthMethod::Token => "token",
            AuthMethod::Oauth1 => "oauth1",
            AuthMethod::Mapped => "mapped",
            AuthMethod::ApplicationCredential => "application_credential",
            AuthMethod::Ec2Credential => "ec2credential",
        }
    }
}

/// What a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    Unscoped,
    Domain(String),
    Project(String),
    System,
    /// OAuth1 tokens are project scoped and name their access token.
    Oauth {
        project_id: String,
        access_token_id: String,
    },
    /// Trust tokens are project scoped and name their trust (a UUID).
    Trust {
        project_id: String,
        trust_id: String,
    },
    /// Application-credential tokens are project scoped and name their credential.
    ApplicationCredential {
        project_id: String,
        app_cred_id: String,
    },
}

/// The decrypted content of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenPayload {
    pub user_id: String,
    pub methods: Vec<AuthMethod>,
    pub scope: TokenScope,
    /// Unix seconds.
    pub expires_at: f64,
    /// The token's audit id, then its parent's when re-scoped.
    pub audit_ids: Vec<String>,
}

impl TokenPayload {
    /// Serializes as Keystone does.
    pub fn to_msgpack(&self) -> Vec<u8> {
        let methods = Value::from(self.methods.iter().map(|m| m.bit()).sum::<u64>());
        let user = pack_id(&self.user_id);
        let expires = Value::F64(self.expires_at);
        let audit = Value::Array(
            self.audit_ids
                .iter()
                .map(|a| Value::Binary(audit_bytes(a)))
                .collect(),
        );
        let fields = match &self.scope {
            TokenScope::Unscoped => vec![UNSCOPED.into(), user, methods, expires, audit],
            TokenScope::Domain(domain_id) => {
                let domain = if domain_id == DEFAULT_DOMAIN_ID {
                    Value::from(domain_id.as_str())
                } else {
                    match uuid_bytes(domain_id) {
                        Some(bytes) => Value::Binary(bytes),
                        None => Value::from(domain_id.as_str()),
                    }
                };
                vec![DOMAIN_SCOPED.into(), user, methods, domain, expires, audit]
            }
            TokenScope::Project(project_id) => {
                vec![
                    PROJECT_SCOPED.into(),
                    user,
                    methods,
                    pack_id(project_id),
                    expires,
                    audit,
                ]
            }
            TokenScope::Oauth {
                project_id,
                access_token_id,
            } => vec![
                OAUTH_SCOPED.into(),
                user,
                methods,
                pack_id(project_id),
                pack_id(access_token_id),
                expires,
                audit,
            ],
            TokenScope::Trust {
                project_id,
                trust_id,
            } => vec![
                TRUST_SCOPED.into(),
                user,
                methods,
                pack_id(project_id),
                expires,
                audit,
                // Keystone packs a trust id as its 16 raw bytes, not an (is_uuid, id) pair.
                uuid_bytes(trust_id).map_or_else(|| Value::from(trust_id.as_str()), Value::Binary),
            ],
            TokenScope::System => vec![
                SYSTEM_SCOPED.into(),
                user,
                methods,
                "all".into(),
                expires,
                audit,
            ],
            TokenScope::ApplicationCredential {
                project_id,
                app_cred_id,
            } => vec![
                APP_CRED_SCOPED.into(),
                user,
                methods,
                pack_id(project_id),
                expires,
                audit,
                pack_id(app_cred_id),
            ],
        };
        let mut out = Vec::with_capacity(96);
        rmpv::encode::write_value(&mut out, &Value::Array(fields)).expect("writing to a Vec");
        out
    }

    /// Parses a payload; `None` for any version or shape we do not issue.
    pub fn from_msgpack(bytes: &[u8]) -> Option<TokenPayload> {
        let value = rmpv::decode::read_value(&mut &bytes[..]).ok()?;
        let fields = value.as_array()?;
        let version = fields.first()?.as_u64()?;
        let user_id = unpack_id(fields.get(1)?)?;
        let bits = fields.get(2)?.as_u64()?;
        let methods = AuthMethod::ALL
            .into_iter()
            .filter(|m| bits & m.bit() != 0)
            .collect();
        let (scope, rest) = match version {
            UNSCOPED => (TokenScope::Unscoped, &fields[3..]),
            DOMAIN_SCOPED => {
                let domain_id = match fields.get(3)? {
                    Value::Binary(bytes) => hex_from_bytes(bytes)?,
                    Value::String(text) => text.as_str()?.to_string(),
                    _ => return None,
                };
                (TokenScope::Domain(domain_id), &fields[4..])
            }
            PROJECT_SCOPED => (
                TokenScope::Project(unpack_id(fields.get(3)?)?),
                &fields[4..],
            ),
            TRUST_SCOPED => (
                TokenScope::Trust {
                    project_id: unpack_id(fields.get(3)?)?,
                    trust_id: match fields.get(6)? {
                        Value::Binary(bytes) => hex_from_bytes(bytes)?,
                        _ => return None,
                    },
                },
                &fields[4..6],
            ),
            OAUTH_SCOPED => (
                TokenScope::Oauth {
                    project_id: unpack_id(fields.get(3)?)?,
                    access_token_id: unpack_id(fields.get(4)?)?,
                },
                &fields[5..],
            ),
            SYSTEM_SCOPED => (TokenScope::System, &fields[4..]),
            APP_CRED_SCOPED => (
                TokenScope::ApplicationCredential {
                    project_id: unpack_id(fields.get(3)?)?,
                    app_cred_id: unpack_id(fields.get(6)?)?,
                },
                &fields[4..6],
            ),
            _ => return None,
        };
        let expires_at = match rest.first()? {
            Value::F64(f) => *f,
            Value::F32(f) => f64::from(*f),
            other => other.as_i64()? as f64,
        };
        let audit_ids = rest
            .get(1)?
            .as_array()?
            .iter()
            .map(|v| match v {
                Value::Binary(bytes) => {
                    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
                }
                Value::String(text) => text.as_str().map(str::to_string),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(TokenPayload {
            user_id,
            methods,
            scope,
            expires_at,
            audit_ids,
        })
    }
}

/// A new random audit id (22 url-safe characters, as Keystone's).
pub fn new_audit_id() -> String {
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn uuid_bytes(id: &str) -> Option<Vec<u8>> {
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    uuid::Uuid::parse_str(id)
        .ok()
        .map(|u| u.as_bytes().to_vec())
}

fn hex_from_bytes(bytes: &[u8]) -> Option<String> {
    uuid::Uuid::from_slice(bytes)
        .ok()
        .map(|u| u.simple().to_string())
}

fn pack_id(id: &str) -> Value {
    match uuid_bytes(id) {
        Some(bytes) => Value::Array(vec![true.into(), Value::Binary(bytes)]),
        None => Value::Array(vec![false.into(), id.into()]),
    }
}

fn unpack_id(value: &Value) -> Option<String> {
    let pair = value.as_array()?;
    match (pair.first()?.as_bool()?, pair.get(1)?) {
        (true, Value::Binary(bytes)) => hex_from_bytes(bytes),
        (false, Value::String(text)) => text.as_str().map(str::to_string),
        (false, Value::Binary(bytes)) => String::from_utf8(bytes.clone()).ok(),
        _ => None,
    }
}

fn audit_bytes(audit_id: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(audit_id.trim_end_matches('='))
        .unwrap_or_else(|_| audit_id.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(scope: TokenScope, user_id: &str) {
        let payload = TokenPayload {
            user_id: user_id.into(),
            methods: vec![AuthMethod::Password, AuthMethod::Token],
            scope,
            expires_at: 1_700_000_000.5,
            audit_ids: vec![new_audit_id(), new_audit_id()],
        };
        assert_eq!(
            TokenPayload::from_msgpack(&payload.to_msgpack()).unwrap(),
            payload
        );
    }

    #[test]
    fn every_scope_round_trips() {
        let uuid = "0123456789abcdef0123456789abcdef";
        round_trip(TokenScope::Unscoped, uuid);
        round_trip(TokenScope::Domain("default".into()), uuid);
        round_trip(TokenScope::Domain(uuid.into()), "admin-not-uuid");
        round_trip(TokenScope::Project(uuid.into()), uuid);
        round_trip(TokenScope::System, uuid);
        round_trip(
            TokenScope::Oauth {
                project_id: uuid.into(),
                access_token_id: "fedcba9876543210fedcba9876543210".into(),
            },
            uuid,
        );
        round_trip(
            TokenScope::Trust {
                project_id: uuid.into(),
                trust_id: "fedcba9876543210fedcba9876543210".into(),
            },
            uuid,
        );
        round_trip(
            TokenScope::ApplicationCredential {
                project_id: uuid.into(),
                app_cred_id: "fedcba9876543210fedcba9876543210".into(),
            },
            uuid,
        );
    }

    #[test]
    fn matches_keystone_layout() {
        // A project-scoped payload as Keystone packs it: version 2, (True, bytes) ids,
        // password (bit 2), float expiry, binary audit ids.
        let payload = TokenPayload {
            user_id: "0123456789abcdef0123456789abcdef".into(),
            methods: vec![AuthMethod::Password],
            scope: TokenScope::Project("fedcba9876543210fedcba9876543210".into()),
            expires_at: 1.0,
            audit_ids: vec!["AAAAAAAAAAAAAAAAAAAAAA".into()],
        };
        let value = rmpv::decode::read_value(&mut &payload.to_msgpack()[..]).unwrap();
        let fields = value.as_array().unwrap();
        assert_eq!(fields[0], Value::from(2u64));
        assert_eq!(fields[1].as_array().unwrap()[0], Value::Boolean(true));
        assert_eq!(
            fields[1].as_array().unwrap()[1].as_slice().unwrap().len(),
            16
        );
        assert_eq!(fields[2], Value::from(2u64));
        assert_eq!(fields[4], Value::F64(1.0));
        assert_eq!(fields[5].as_array().unwrap()[0], Value::Binary(vec![0; 16]));
    }

    #[test]
    fn rejects_unknown_versions_and_shapes() {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, &Value::Array(vec![3u64.into()])).unwrap();
        assert!(TokenPayload::from_msgpack(&out).is_none());
        assert!(TokenPayload::from_msgpack(b"\xff\x00").is_none());
        assert!(TokenPayload::from_msgpack(&[]).is_none());
    }
}
