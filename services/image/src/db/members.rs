//! Image members: the projects a shared image is offered to.

use ferrostack_db::DbResult;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::entity::member;
use super::Repo;
use crate::domain::model::{now, Member, MemberStatus};

fn from_row(row: member::Model) -> Member {
    Member {
        status: MemberStatus::parse(&row.status).unwrap_or(MemberStatus::Pending),
        image_id: row.image_id,
        member_id: row.member,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

impl Repo {
    /// The membership of `member_id` in `image_id`.
    pub async fn member(&self, image_id: &str, member_id: &str) -> DbResult<Option<Member>> {
        Ok(
            member::Entity::find_by_id((image_id.to_string(), member_id.to_string()))
                .one(&self.db)
                .await?
                .map(from_row),
        )
    }

    /// Every membership of `image_id`, oldest first.
    pub async fn members(&self, image_id: &str) -> DbResult<Vec<Member>> {
        Ok(member::Entity::find()
            .filter(member::Column::ImageId.eq(image_id))
            .order_by_asc(member::Column::CreatedAt)
            .order_by_asc(member::Column::Member)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect())
    }

    /// How many members `image_id` has.
    pub async fn member_count(&self, image_id: &str) -> DbResult<u64> {
        Ok(member::Entity::find()
            .filter(member::Column::ImageId.eq(image_id))
            .count(&self.db)
            .await?)
    }

    /// Adds a pending membership; a duplicate is a `DbError::Duplicate`.
    pub async fn add_member(&self, image_id: &str, member_id: &str) -> DbResult<Member> {
        let now = now();
        let row = member::ActiveModel {
            image_id: Set(image_id.to_string()),
            member: Set(member_id.to_string()),
            status: Set(MemberStatus::Pending.as_str().to_string()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        member::Entity::insert(row).exec(&self.db).await?;
        Ok(Member {
            image_id: image_id.to_string(),
            member_id: member_id.to_string(),
            status: MemberStatus::Pending,
            created_at: now,
            updated_at: now,
        })
    }

    /// Records the member's answer.
    pub async fn set_member_status(&self, mut m: Member, status: MemberStatus) -> DbResult<Member> {
        m.status = status;
        m.updated_at = now();
        member::Entity::update(member::ActiveModel {
            image_id: Set(m.image_id.clone()),
            member: Set(m.member_id.clone()),
            status: Set(status.as_str().to_string()),
            created_at: Set(m.created_at),
            updated_at: Set(m.updated_at),
        })
        .exec(&self.db)
        .await?;
        Ok(m)
    }

    /// Ends a membership.
    pub async fn remove_member(&self, image_id: &str, member_id: &str) -> DbResult<()> {
        member::Entity::delete_by_id((image_id.to_string(), member_id.to_string()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
