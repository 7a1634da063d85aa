//! Revocation events, indexed in memory: the revoked audit ids, and per user the
//! time before which its tokens are revoked. A validation — cached or not — is
//! checked against the index (two hash lookups), so a revocation drops nothing
//! from the caches: other tokens stay cached. Each process learns the events
//! other processes add by polling for ids past the last it has, and events older
//! than any token they could match (token lifetime plus the `allow_expired`
//! window) are pruned from the database.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{Identity, Result};
use crate::db::entity::revocation_event;
use crate::fernet::TokenPayload;

/// The events this process knows.
#[derive(Debug, Default)]
pub struct Revocations {
    /// The highest event id applied.
    last_id: i64,
    audit_ids: HashSet<String>,
    /// Tokens of the user issued up to this time are revoked.
    users: HashMap<String, NaiveDateTime>,
}

impl Revocations {
    fn apply(&mut self, events: impl IntoIterator<Item = revocation_event::Model>) {
        for event in events {
            self.last_id = self.last_id.max(event.id);
            if let Some(audit_id) = event.audit_id {
                self.audit_ids.insert(audit_id);
            }
            if let Some(user_id) = event.user_id {
                let before = self.users.entry(user_id).or_insert(event.issued_before);
                *before = (*before).max(event.issued_before);
            }
        }
    }

    /// Whether a token with `payload`, issued at `issued_at`, is revoked.
    pub fn revokes(&self, payload: &TokenPayload, issued_at: NaiveDateTime) -> bool {
        payload.audit_ids.iter().any(|a| self.audit_ids.contains(a))
            || self
                .users
                .get(&payload.user_id)
                .is_some_and(|before| issued_at <= *before)
    }
}

impl Identity {
    /// Whether `payload` (issued at `issued_at`) is revoked, by what this process knows.
    pub(crate) fn is_revoked(&self, payload: &TokenPayload, issued_at: NaiveDateTime) -> bool {
        self.revocations
            .read()
            .expect("revocations lock")
            .revokes(payload, issued_at)
    }

    /// Records a revocation of `user_id`'s tokens or of an audit chain, issued
    /// up to now.
    pub(crate) async fn add_revocation(
        &self,
        user_id: Option<&str>,
        audit_id: Option<&str>,
    ) -> Result<()> {
        let now = chrono::Utc::now();
        let second = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let event = revocation_event::ActiveModel {
            user_id: Set(user_id.map(str::to_string)),
            audit_id: Set(audit_id.map(str::to_string)),
            issued_before: Set(second.naive_utc()),
            revoked_at: Set(now.naive_utc()),
            ..Default::default()
        }
        .insert(&self.store.db)
        .await?;
        self.revocations
            .write()
            .expect("revocations lock")
            .apply([event]);
        if user_id.is_some() {
            // Token timestamps have second precision: return once this second
            // has passed, so a token issued after the call is never caught.
            let next_second = second + chrono::Duration::seconds(1);
            if let Ok(wait) = (next_second - chrono::Utc::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(())
    }

    /// Applies the events other processes added since the last refresh.
    pub async fn refresh_revocations(&self) -> Result<()> {
        let last = self.revocations.read().expect("revocations lock").last_id;
        let events = revocation_event::Entity::find()
            .filter(revocation_event::Column::Id.gt(last))
            .order_by_asc(revocation_event::Column::Id)
            .all(&self.store.db)
            .await?;
        if !events.is_empty() {
            self.revocations
                .write()
                .expect("revocations lock")
                .apply(events);
        }
        Ok(())
    }

    /// Deletes the events no token can match any more and rebuilds the index;
    /// returns how many went.
    pub async fn prune_revocations(&self) -> Result<u64> {
        let horizon =
            chrono::Duration::from_std(self.cfg.token_expiration + self.cfg.allow_expired_window)
                .unwrap_or_default();
        let cutoff = (chrono::Utc::now() - horizon).naive_utc();
        let pruned = revocation_event::Entity::delete_many()
            .filter(revocation_event::Column::RevokedAt.lt(cutoff))
            .exec(&self.store.db)
            .await?
            .rows_affected;
        let mut fresh = Revocations::default();
        fresh.apply(
            revocation_event::Entity::find()
                .order_by_asc(revocation_event::Column::Id)
                .all(&self.store.db)
                .await?,
        );
        *self.revocations.write().expect("revocations lock") = fresh;
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fernet::{AuthMethod, TokenScope};

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap()
            .naive_utc()
    }

    fn event(
        id: i64,
        user: Option<&str>,
        audit: Option<&str>,
        before: i64,
    ) -> revocation_event::Model {
        revocation_event::Model {
            id,
            user_id: user.map(str::to_string),
            project_id: None,
            domain_id: None,
            audit_id: audit.map(str::to_string),
            issued_before: at(before),
            revoked_at: at(before),
        }
    }

    #[test]
    fn audit_chains_and_users_are_revoked_from_the_index() {
        let payload = TokenPayload {
            user_id: "u".into(),
            methods: vec![AuthMethod::Password],
            scope: TokenScope::Unscoped,
            expires_at: 0.0,
            audit_ids: vec!["child".into(), "parent".into()],
        };
        let mut index = Revocations::default();
        assert!(!index.revokes(&payload, at(100)));
        index.apply([event(1, None, Some("parent"), 50)]);
        assert!(index.revokes(&payload, at(100)), "a revoked parent chain");
        let mut index = Revocations::default();
        index.apply([
            event(3, Some("u"), None, 100),
            event(2, Some("u"), None, 10),
        ]);
        assert!(index.revokes(&payload, at(100)));
        assert!(!index.revokes(&payload, at(101)));
        assert_eq!(index.last_id, 3);
    }
}
