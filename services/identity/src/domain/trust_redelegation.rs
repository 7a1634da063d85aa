//! Redelegation: the trustee of a trust that allows it (`redelegation_count`
//! above 0) makes, with a token scoped to that trust, a trust of their own
//! delegating no more than it: a subset of its roles, no later expiry, no
//! impersonation it lacks, no limited uses, and one redelegation fewer. Every
//! trust up the chain (its pedigree) must allow it, and each of their trustees
//! stay enabled, as Keystone checks.

use chrono::NaiveDateTime;
use sea_orm::EntityTrait;

use super::trusts::{Trust, MAX_REDELEGATION_COUNT};
use super::{Error, Identity, Result};
use crate::db::entity::trust;

/// What a new trust delegates, as the redelegation checks see it.
pub(crate) struct Delegation<'a> {
    pub role_ids: &'a std::collections::BTreeSet<String>,
    pub impersonation: bool,
    pub remaining_uses: Option<i64>,
    /// Filled with the parent's expiry when the request gave none.
    pub expires_at: Option<NaiveDateTime>,
}

/// Refuses (403, Keystone's texts) `new` delegating more than `parent` allows.
pub(crate) fn check(parent: &Trust, new: &mut Delegation<'_>) -> Result<()> {
    let depth = parent.row.redelegation_count;
    if !(0 < depth && depth <= MAX_REDELEGATION_COUNT) {
        return Err(Error::Forbidden(format!(
            "Remaining redelegation depth of {depth} out of allowed range of [0..{MAX_REDELEGATION_COUNT}]"
        )));
    }
    if let Some(uses) = new.remaining_uses {
        return Err(Error::Forbidden(format!(
            "Field \"remaining_uses\" is set to {uses} while it must not be set in order to redelegate a trust"
        )));
    }
    match (new.expires_at, parent.row.expires_at) {
        (Some(wanted), Some(limit)) if limit < wanted => {
            return Err(Error::Forbidden(
                "Requested expiration time is more than redelegated trust can provide".into(),
            ))
        }
        (None, limit) => new.expires_at = limit,
        _ => {}
    }
    if !new.role_ids.is_subset(&parent.role_ids) {
        return Err(Error::Forbidden(
            "Some of requested roles are not in redelegated trust".into(),
        ));
    }
    if !parent.row.impersonation && new.impersonation {
        return Err(Error::Forbidden(format!(
            "Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: {}",
            parent.row.id
        )));
    }
    Ok(())
}

impl Identity {
    /// The trust `id` and the trusts it was redelegated from, nearest first.
    pub(crate) async fn trust_pedigree(&self, id: &str) -> Result<Vec<Trust>> {
        let mut chain: Vec<Trust> = Vec::new();
        let mut next = Some(id.to_string());
        while let Some(current) = next {
            if chain.len() > MAX_REDELEGATION_COUNT as usize {
                return Err(Error::Forbidden(
                    "The trust's chain of redelegations is too long".into(),
                ));
            }
            let row = trust::Entity::find_by_id(current.as_str())
                .one(&self.store.db)
                .await?
                .ok_or_else(|| Error::not_found("trust", &current))?;
            next = row.redelegated_trust_id.clone();
            chain.push(Trust {
                role_ids: self.trust_role_ids(&row.id).await?,
                row,
            });
        }
        Ok(chain)
    }

    /// A redelegated trust is usable while every link of its chain is valid
    /// and every trustee up the chain is enabled (Keystone's get_trust).
    pub(crate) async fn check_pedigree(&self, trust: &Trust) -> Result<()> {
        if trust.row.redelegated_trust_id.is_none() {
            return Ok(());
        }
        let chain = self.trust_pedigree(&trust.row.id).await?;
        for pair in chain.windows(2) {
            let (child, parent) = (&pair[0], &pair[1]);
            let mut delegation = Delegation {
                role_ids: &child.role_ids,
                impersonation: child.row.impersonation,
                remaining_uses: child.row.remaining_uses,
                expires_at: child.row.expires_at,
            };
            check(parent, &mut delegation)?;
            if self
                .enabled_user(&parent.row.trustee_user_id)
                .await
                .is_err()
            {
                return Err(Error::Forbidden(
                    "One of the trust agents is disabled or deleted".into(),
                ));
            }
        }
        Ok(())
    }

    /// Who first delegated the roles of `trust`: the trustor at the root of
    /// its chain, whose roles its tokens carry.
    pub(crate) async fn original_trustor(&self, trust: &Trust) -> Result<String> {
        if trust.row.redelegated_trust_id.is_none() {
            return Ok(trust.row.trustor_user_id.clone());
        }
        let chain = self.trust_pedigree(&trust.row.id).await?;
        Ok(chain.last().map_or_else(
            || trust.row.trustor_user_id.clone(),
            |t| t.row.trustor_user_id.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn parent(count: i64, impersonation: bool, expires: Option<NaiveDateTime>) -> Trust {
        Trust {
            row: trust::Model {
                id: "p".into(),
                trustor_user_id: "a".into(),
                trustee_user_id: "b".into(),
                project_id: Some("x".into()),
                impersonation,
                expires_at: expires,
                remaining_uses: None,
                redelegated_trust_id: None,
                redelegation_count: count,
                deleted_at: None,
                extra: None,
            },
            role_ids: ["r1".to_string(), "r2".to_string()].into(),
        }
    }

    #[test]
    fn redelegations_delegate_no_more_than_their_parent() {
        let day = |d: u32| {
            chrono::NaiveDate::from_ymd_opt(2999, 1, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        let roles: BTreeSet<String> = ["r1".to_string()].into();
        let mut ok = Delegation {
            role_ids: &roles,
            impersonation: false,
            remaining_uses: None,
            expires_at: None,
        };
        check(&parent(2, false, Some(day(5))), &mut ok).unwrap();
        assert_eq!(
            ok.expires_at,
            Some(day(5)),
            "the parent's expiry is inherited"
        );
        let cases: Vec<(Trust, Delegation, &str)> = vec![
            (
                parent(0, true, None),
                Delegation {
                    role_ids: &roles,
                    impersonation: false,
                    remaining_uses: None,
                    expires_at: None,
                },
                "Remaining redelegation depth of 0",
            ),
            (
                parent(1, true, None),
                Delegation {
                    role_ids: &roles,
                    impersonation: false,
                    remaining_uses: Some(2),
                    expires_at: None,
                },
                "\"remaining_uses\" is set to 2",
            ),
            (
                parent(1, true, Some(day(5))),
                Delegation {
                    role_ids: &roles,
                    impersonation: false,
                    remaining_uses: None,
                    expires_at: Some(day(6)),
                },
                "more than redelegated trust",
            ),
            (
                parent(1, false, None),
                Delegation {
                    role_ids: &roles,
                    impersonation: true,
                    remaining_uses: None,
                    expires_at: None,
                },
                "Impersonation is not allowed",
            ),
        ];
        for (parent, mut new, want) in cases {
            let err = check(&parent, &mut new).unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
        let more: BTreeSet<String> = ["r3".to_string()].into();
        let mut wider = Delegation {
            role_ids: &more,
            impersonation: false,
            remaining_uses: None,
            expires_at: None,
        };
        let err = check(&parent(1, true, None), &mut wider).unwrap_err();
        assert!(err.to_string().contains("Some of requested roles"), "{err}");
    }
}
