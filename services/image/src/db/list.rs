//! The image list as SQL: visibility for the caller, filters, keyset pagination
//! after a marker, and sorting with `created_at`/`id` tie-breakers.

use ferrostack_db::keyset::SortKey;
use ferrostack_db::{begin_snapshot, DbResult};
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{image, member, property, tag};
use super::Repo;
use crate::domain::model::{Image, Viewer, Visibility};
use crate::domain::query::{Column, Dir, Filter, ListQuery, MemberFilter, Op, Value};

impl Repo {
    /// One page of the images `viewer` may see that match `query`, after the
    /// (already resolved) `marker` image.
    pub async fn list(
        &self,
        query: &ListQuery,
        viewer: &Viewer,
        marker: Option<&Image>,
    ) -> DbResult<Vec<Image>> {
        let mut condition = visible_to(viewer, query);
        for filter in &query.filters {
            condition = condition.add(filter_condition(filter));
        }
        for t in &query.tags {
            condition = condition.add(image::Column::Id.in_subquery(subquery(
                tag::Entity,
                tag::Column::ImageId,
                Condition::all().add(tag::Column::Value.eq(t.as_str())),
            )));
        }
        for (k, v) in &query.properties {
            condition = condition.add(
                image::Column::Id.in_subquery(subquery(
                    property::Entity,
                    property::Column::ImageId,
                    Condition::all()
                        .add(property::Column::Name.eq(k.as_str()))
                        .add(property::Column::Value.eq(v.as_str())),
                )),
            );
        }
        if let Some(hidden) = query.os_hidden {
            condition = condition.add(image::Column::OsHidden.eq(hidden));
        }
        if let Some(marker) = marker {
            condition = condition.add(after(marker, &query.sort));
        }
        let mut select = image::Entity::find().filter(condition);
        for (column, dir) in &query.sort {
            let order = match dir {
                Dir::Asc => Order::Asc,
                Dir::Desc => Order::Desc,
            };
            select = select.order_by(sort_expr(*column), order);
        }
        let txn = begin_snapshot(&self.db).await?;
        let rows = select.limit(query.limit as u64).all(&txn).await?;
        let images = Self::assemble(&txn, rows).await?;
        txn.commit().await?;
        Ok(images)
    }
}

fn subquery<E: EntityTrait>(
    entity: E,
    column: impl ColumnTrait,
    cond: Condition,
) -> SelectStatement {
    Query::select()
        .column(column)
        .from(entity)
        .cond_where(cond)
        .to_owned()
}

/// Glance's visibility rules: admins see everything; others see public and
/// community images, their own, and shared images they are a member of (with the
/// requested member status). The `visibility` parameter narrows that; by default
/// community images of other projects are left out.
fn visible_to(viewer: &Viewer, query: &ListQuery) -> Condition {
    let owner = viewer.project_id.as_deref();
    let mut condition = Condition::all();
    match query.visibility {
        Some(None) => {}
        Some(Some(v)) => condition = condition.add(image::Column::Visibility.eq(v.as_str())),
        None => {
            let mut not_community =
                Condition::any().add(image::Column::Visibility.ne(Visibility::Community.as_str()));
            if let Some(owner) = owner {
                not_community = not_community.add(image::Column::Owner.eq(owner));
            }
            condition = condition.add(not_community);
        }
    }
    if viewer.is_admin {
        return condition;
    }
    let mut reachable = Condition::any().add(
        image::Column::Visibility
            .is_in([Visibility::Public.as_str(), Visibility::Community.as_str()]),
    );
    if let Some(owner) = owner {
        let mut membership = Condition::all().add(member::Column::Member.eq(owner));
        if let MemberFilter::Status(status) = query.member_status {
            membership = membership.add(member::Column::Status.eq(status.as_str()));
        }
        reachable = reachable.add(image::Column::Owner.eq(owner)).add(
            Condition::all()
                .add(image::Column::Visibility.eq(Visibility::Shared.as_str()))
                .add(image::Column::Id.in_subquery(subquery(
                    member::Entity,
                    member::Column::ImageId,
                    membership,
                ))),
        );
    }
    condition.add(reachable)
}

fn column(c: Column) -> image::Column {
    match c {
        Column::Id => image::Column::Id,
        Column::Name => image::Column::Name,
        Column::Status => image::Column::Status,
        Column::Owner => image::Column::Owner,
        Column::Visibility => image::Column::Visibility,
        Column::DiskFormat => image::Column::DiskFormat,
        Column::ContainerFormat => image::Column::ContainerFormat,
        Column::Checksum => image::Column::Checksum,
        Column::OsHashValue => image::Column::OsHashValue,
        Column::Protected => image::Column::Protected,
        Column::Size => image::Column::Size,
        Column::VirtualSize => image::Column::VirtualSize,
        Column::MinDisk => image::Column::MinDisk,
        Column::MinRam => image::Column::MinRam,
        Column::CreatedAt => image::Column::CreatedAt,
        Column::UpdatedAt => image::Column::UpdatedAt,
    }
}

fn value(v: &Value) -> sea_orm::Value {
    match v {
        Value::Text(t) => t.clone().into(),
        Value::Int(i) => (*i).into(),
        Value::Bool(b) => (*b).into(),
        Value::Time(t) => (*t).into(),
    }
}

fn filter_condition(filter: &Filter) -> SimpleExpr {
    let col = Expr::col((image::Entity, column(filter.column)));
    let first = filter
        .values
        .first()
        .map(value)
        .unwrap_or(sea_orm::Value::String(None));
    match filter.op {
        Op::Eq => col.eq(first),
        Op::Neq => col.ne(first),
        Op::Gt => col.gt(first),
        Op::Gte => col.gte(first),
        Op::Lt => col.lt(first),
        Op::Lte => col.lte(first),
        Op::In => col.is_in(filter.values.iter().map(value)),
    }
}

/// The sort expression: nullable columns are coalesced so that every database
/// orders (and compares against a marker) the same way.
fn sort_expr(c: Column) -> SimpleExpr {
    let col = Expr::col((image::Entity, column(c)));
    match c {
        Column::Name
        | Column::DiskFormat
        | Column::ContainerFormat
        | Column::Owner
        | Column::Checksum
        | Column::OsHashValue => Func::coalesce([col.into(), Expr::val("").into()]).into(),
        Column::Size | Column::VirtualSize => {
            Func::coalesce([col.into(), Expr::val(-1i64).into()]).into()
        }
        _ => col.into(),
    }
}

fn marker_value(marker: &Image, c: Column) -> sea_orm::Value {
    let text = |v: &Option<String>| v.clone().unwrap_or_default().into();
    match c {
        Column::Id => marker.id.clone().into(),
        Column::Name => text(&marker.name),
        Column::Status => marker.status.as_str().into(),
        Column::Owner => text(&marker.owner),
        Column::Visibility => marker.visibility.as_str().into(),
        Column::DiskFormat => text(&marker.disk_format),
        Column::ContainerFormat => text(&marker.container_format),
        Column::Checksum => text(&marker.checksum),
        Column::OsHashValue => text(&marker.os_hash_value),
        Column::Protected => marker.protected.into(),
        Column::Size => marker.size.unwrap_or(-1).into(),
        Column::VirtualSize => marker.virtual_size.unwrap_or(-1).into(),
        Column::MinDisk => marker.min_disk.into(),
        Column::MinRam => marker.min_ram.into(),
        Column::CreatedAt => marker.created_at.into(),
        Column::UpdatedAt => marker.updated_at.into(),
    }
}

/// Rows strictly after `marker` in the sort order.
fn after(marker: &Image, sort: &[(Column, Dir)]) -> Condition {
    let keys: Vec<SortKey> = sort
        .iter()
        .map(|(c, dir)| SortKey {
            expr: sort_expr(*c),
            marker: marker_value(marker, *c),
            descending: *dir == Dir::Desc,
        })
        .collect();
    ferrostack_db::keyset::after(&keys)
}
