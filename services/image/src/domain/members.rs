//! Image members: a shared image's owner offers it to projects, which accept or
//! reject it.

use serde_json::Value;

use super::error::{ImageError, Result};
use super::model::{Image, Visibility};
use super::model::{Member, MemberStatus};
use super::{Caller, Glance};

fn not_member(member: &str, image: &str) -> ImageError {
    ImageError::NotFound(format!(
        "{member} not found in the member list of the image {image}."
    ))
}

impl Glance {
    async fn shared_image(
        &self,
        caller: &Caller,
        id: &str,
        action: &str,
    ) -> Result<(Image, Value)> {
        let (image, target) = self
            .visible(caller, id, &format!("Image {id} not found."))
            .await?;
        if image.visibility != Visibility::Shared {
            return Err(ImageError::Forbidden(match action {
                "create" => format!("Not allowed to create members for image {id}."),
                _ => format!(
                    "Not allowed to {action} members for image {id}: Only shared images have members."
                ),
            }));
        }
        Ok((image, target))
    }

    /// Offers image `id` to project `member` (pending).
    pub async fn add_member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        let (_, target) = self.shared_image(caller, id, "create").await?;
        self.enforce(caller, "add_member", &target)?;
        if let Some(max) = self.cfg.member_quota {
            if self.repo.member_count(id).await? >= max as u64 {
                return Err(ImageError::TooLarge(format!(
                    "Maximum number of image members exceeded: {max}"
                )));
            }
        }
        self.repo.add_member(id, member).await.map_err(|e| match e {
            ferrostack_db::DbError::Duplicate(_) => {
                ImageError::Conflict(format!("Member {member} is duplicated for image {id}"))
            }
            other => other.into(),
        })
    }

    /// The members the caller may see: all of them for the owner, its own otherwise.
    pub async fn list_members(&self, caller: &Caller, id: &str) -> Result<Vec<Member>> {
        let (image, target) = self.shared_image(caller, id, "list").await?;
        self.enforce(caller, "get_members", &target)?;
        let members = self.repo.members(id).await?;
        if caller.is_admin || image.owner.as_deref() == caller.project() {
            return Ok(members);
        }
        Ok(members
            .into_iter()
            .filter(|m| Some(m.member_id.as_str()) == caller.project())
            .collect())
    }

    /// One membership, visible to the owner and to the member.
    pub async fn show_member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        let (image, target) = self
            .visible(caller, id, &format!("Image {id} not found."))
            .await?;
        self.enforce(caller, "get_member", &target)?;
        let mine = caller.is_admin
            || image.owner.as_deref() == caller.project()
            || caller.project() == Some(member);
        match self.repo.member(id, member).await? {
            Some(m) if mine => Ok(m),
            _ => Err(not_member(member, id)),
        }
    }

    /// The member's answer: pending, accepted or rejected.
    pub async fn update_member(
        &self,
        caller: &Caller,
        id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<Member> {
        let (_, mut target) = self
            .visible(caller, id, &format!("Image {id} not found."))
            .await?;
        let existing = self
            .repo
            .member(id, member)
            .await?
            .ok_or_else(|| not_member(member, id))?;
        target["member_id"] = Value::String(existing.member_id.clone());
        self.enforce(caller, "modify_member", &target)?;
        Ok(self.repo.set_member_status(existing, status).await?)
    }

    /// Withdraws the offer.
    pub async fn delete_member(&self, caller: &Caller, id: &str, member: &str) -> Result<()> {
        let (_, target) = self
            .visible(caller, id, &format!("Image {id} not found."))
            .await?;
        self.enforce(caller, "delete_member", &target)?;
        if self.repo.member(id, member).await?.is_none() {
            return Err(not_member(member, id));
        }
        self.repo.remove_member(id, member).await?;
        Ok(())
    }
}
