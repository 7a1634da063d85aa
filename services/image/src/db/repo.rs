//! Loading and saving image aggregates.

use std::collections::HashMap;

use ferrostack_db::{begin_snapshot, DbResult};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};

use super::entity::{image, location, member, property, tag};
use crate::domain::model::{now, Image, Location, Status, Visibility};

/// The image database.
#[derive(Clone)]
pub struct Repo {
    pub db: DatabaseConnection,
}

impl Repo {
    pub fn new(db: DatabaseConnection) -> Self {
        Repo { db }
    }

    /// The image with `id`, with its properties, tags and locations.
    pub async fn get(&self, id: &str) -> DbResult<Option<Image>> {
        let txn = begin_snapshot(&self.db).await?;
        let Some(row) = image::Entity::find_by_id(id).one(&txn).await? else {
            return Ok(None);
        };
        let image = Self::assemble(&txn, vec![row]).await?.pop();
        txn.commit().await?;
        Ok(image)
    }

    /// Joins rows with their properties, tags and locations (three queries). Run it
    /// in the snapshot the rows were read in, so an image never shows a status from
    /// before a write beside properties from after it.
    pub(super) async fn assemble<C: ConnectionTrait>(
        conn: &C,
        rows: Vec<image::Model>,
    ) -> DbResult<Vec<Image>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut images: Vec<Image> = rows.into_iter().map(from_row).collect();
        let index: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        for p in property::Entity::find()
            .filter(property::Column::ImageId.is_in(ids.clone()))
            .all(conn)
            .await?
        {
            if let Some(&i) = index.get(&p.image_id) {
                images[i].properties.insert(p.name, p.value);
            }
        }
        for t in tag::Entity::find()
            .filter(tag::Column::ImageId.is_in(ids.clone()))
            .all(conn)
            .await?
        {
            if let Some(&i) = index.get(&t.image_id) {
                images[i].tags.insert(t.value);
            }
        }
        let mut locations = location::Entity::find()
            .filter(location::Column::ImageId.is_in(ids))
            .all(conn)
            .await?;
        locations.sort_by_key(|l| l.position);
        for l in locations {
            if let Some(&i) = index.get(&l.image_id) {
                images[i].locations.push(Location {
                    store: l.store,
                    url: l.url,
                });
            }
        }
        Ok(images)
    }

    /// Stores a new image.
    pub async fn insert(&self, image: &Image) -> DbResult<()> {
        let txn = self.db.begin().await?;
        image::Entity::insert(to_active(image)).exec(&txn).await?;
        write_properties(&txn, image).await?;
        write_tags(&txn, image).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Saves what users edit: core metadata, properties and tags. Data fields (status,
    /// size, checksums, locations) are left as they are in the database. The formats
    /// are written only with `formats_changed`, and then only while the image is
    /// still queued: false, and nothing saved, when it no longer is.
    pub async fn save_metadata(&self, image: &Image, formats_changed: bool) -> DbResult<bool> {
        let txn = self.db.begin().await?;
        let mut update = image::Entity::update_many()
            .col_expr(image::Column::Name, Expr::value(image.name.clone()))
            .col_expr(image::Column::Owner, Expr::value(image.owner.clone()))
            .col_expr(
                image::Column::Visibility,
                Expr::value(image.visibility.as_str()),
            )
            .col_expr(image::Column::Protected, Expr::value(image.protected))
            .col_expr(image::Column::OsHidden, Expr::value(image.os_hidden))
            .col_expr(image::Column::MinDisk, Expr::value(image.min_disk))
            .col_expr(image::Column::MinRam, Expr::value(image.min_ram))
            .col_expr(image::Column::UpdatedAt, Expr::value(image.updated_at))
            .filter(image::Column::Id.eq(&image.id));
        if formats_changed {
            update = update
                .col_expr(
                    image::Column::DiskFormat,
                    Expr::value(image.disk_format.clone()),
                )
                .col_expr(
                    image::Column::ContainerFormat,
                    Expr::value(image.container_format.clone()),
                )
                .filter(image::Column::Status.eq(Status::Queued.as_str()));
        }
        let updated = update.exec(&txn).await?.rows_affected == 1;
        if formats_changed && !updated {
            txn.rollback().await?;
            return Ok(false);
        }
        property::Entity::delete_many()
            .filter(property::Column::ImageId.eq(&image.id))
            .exec(&txn)
            .await?;
        write_properties(&txn, image).await?;
        tag::Entity::delete_many()
            .filter(tag::Column::ImageId.eq(&image.id))
            .exec(&txn)
            .await?;
        write_tags(&txn, image).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Moves the image from one of `from` to `to`; false when it was in none of them
    /// (another request won the race).
    pub async fn transition(&self, id: &str, from: &[Status], to: Status) -> DbResult<bool> {
        let result = image::Entity::update_many()
            .col_expr(image::Column::Status, Expr::value(to.as_str()))
            .col_expr(image::Column::UpdatedAt, Expr::value(now()))
            .filter(image::Column::Id.eq(id))
            .filter(image::Column::Status.is_in(from.iter().map(|s| s.as_str())))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records the data's size and hashes and sets `status`, when the image is still
    /// in `from` with the disk format the data was checked against (false
    /// otherwise: it was deleted or changed meanwhile).
    pub async fn save_data(&self, image: &Image, from: Status) -> DbResult<bool> {
        let result = image::Entity::update_many()
            .col_expr(image::Column::Status, Expr::value(image.status.as_str()))
            .col_expr(image::Column::Size, Expr::value(image.size))
            .col_expr(image::Column::VirtualSize, Expr::value(image.virtual_size))
            .col_expr(image::Column::Checksum, Expr::value(image.checksum.clone()))
            .col_expr(
                image::Column::OsHashAlgo,
                Expr::value(image.os_hash_algo.clone()),
            )
            .col_expr(
                image::Column::OsHashValue,
                Expr::value(image.os_hash_value.clone()),
            )
            .col_expr(image::Column::UpdatedAt, Expr::value(now()))
            .filter(image::Column::Id.eq(&image.id))
            .filter(image::Column::Status.eq(from.as_str()))
            .filter(match &image.disk_format {
                Some(format) => image::Column::DiskFormat.eq(format.as_str()),
                None => image::Column::DiskFormat.is_null(),
            })
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records a copy of the data in `store`.
    pub async fn add_location(&self, id: &str, location: &Location) -> DbResult<()> {
        let position = location::Entity::find()
            .filter(location::Column::ImageId.eq(id))
            .count(&self.db)
            .await?;
        location::Entity::insert(location::ActiveModel {
            image_id: Set(id.to_string()),
            store: Set(location.store.clone()),
            url: Set(location.url.clone()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            created_at: Set(now()),
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Forgets the copy of the data in `store`.
    pub async fn remove_location(&self, id: &str, store: &str) -> DbResult<()> {
        location::Entity::delete_many()
            .filter(location::Column::ImageId.eq(id))
            .filter(location::Column::Store.eq(store))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets (or with `None` removes) one extra property, outside any user edit:
    /// the import flow's `os_glance_*` bookkeeping.
    pub async fn set_property(&self, id: &str, name: &str, value: Option<&str>) -> DbResult<()> {
        let txn = self.db.begin().await?;
        property::Entity::delete_many()
            .filter(property::Column::ImageId.eq(id))
            .filter(property::Column::Name.eq(name))
            .exec(&txn)
            .await?;
        if let Some(value) = value {
            property::Entity::insert(property::ActiveModel {
                image_id: Set(id.to_string()),
                name: Set(name.to_string()),
                value: Set(value.to_string()),
            })
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Removes the image and everything attached to it.
    pub async fn delete(&self, id: &str) -> DbResult<()> {
        let txn = self.db.begin().await?;
        for statement in [
            property::Entity::delete_many()
                .filter(property::Column::ImageId.eq(id))
                .exec(&txn)
                .await,
            tag::Entity::delete_many()
                .filter(tag::Column::ImageId.eq(id))
                .exec(&txn)
                .await,
            member::Entity::delete_many()
                .filter(member::Column::ImageId.eq(id))
                .exec(&txn)
                .await,
            location::Entity::delete_many()
                .filter(location::Column::ImageId.eq(id))
                .exec(&txn)
                .await,
        ] {
            statement?;
        }
        image::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn write_properties(db: &impl ConnectionTrait, image: &Image) -> DbResult<()> {
    if image.properties.is_empty() {
        return Ok(());
    }
    property::Entity::insert_many(image.properties.iter().map(|(k, v)| property::ActiveModel {
        image_id: Set(image.id.clone()),
        name: Set(k.clone()),
        value: Set(v.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

async fn write_tags(db: &impl ConnectionTrait, image: &Image) -> DbResult<()> {
    if image.tags.is_empty() {
        return Ok(());
    }
    tag::Entity::insert_many(image.tags.iter().map(|t| tag::ActiveModel {
        image_id: Set(image.id.clone()),
        value: Set(t.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

fn to_active(image: &Image) -> image::ActiveModel {
    image::ActiveModel {
        id: Set(image.id.clone()),
        name: Set(image.name.clone()),
        owner: Set(image.owner.clone()),
        status: Set(image.status.as_str().to_string()),
        visibility: Set(image.visibility.as_str().to_string()),
        protected: Set(image.protected),
        os_hidden: Set(image.os_hidden),
        disk_format: Set(image.disk_format.clone()),
        container_format: Set(image.container_format.clone()),
        size: Set(image.size),
        virtual_size: Set(image.virtual_size),
        checksum: Set(image.checksum.clone()),
        os_hash_algo: Set(image.os_hash_algo.clone()),
        os_hash_value: Set(image.os_hash_value.clone()),
        min_disk: Set(image.min_disk),
        min_ram: Set(image.min_ram),
        created_at: Set(image.created_at),
        updated_at: Set(image.updated_at),
    }
}

fn from_row(row: image::Model) -> Image {
    Image {
        status: Status::parse(&row.status).unwrap_or(Status::Killed),
        visibility: Visibility::parse(&row.visibility).unwrap_or(Visibility::Private),
        id: row.id,
        name: row.name,
        owner: row.owner,
        protected: row.protected,
        os_hidden: row.os_hidden,
        disk_format: row.disk_format,
        container_format: row.container_format,
        size: row.size,
        virtual_size: row.virtual_size,
        checksum: row.checksum,
        os_hash_algo: row.os_hash_algo,
        os_hash_value: row.os_hash_value,
        min_disk: row.min_disk,
        min_ram: row.min_ram,
        created_at: row.created_at,
        updated_at: row.updated_at,
        properties: Default::default(),
        tags: Default::default(),
        locations: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrostack_testkit::TestEnv;

    /// A writer that renames an image and then records the new name in a property;
    /// every read must see the property no later than the name (a snapshot). Reads
    /// that took the row and the properties from different moments failed this.
    #[tokio::test]
    async fn a_read_sees_one_moment() {
        let env = TestEnv::new("image").await;
        let options = ferrostack_db::DbOptions::from_config(&env.config, "").unwrap();
        let db = ferrostack_db::connect(&options).await.unwrap();
        ferrostack_db::migrate::<super::super::migration::Migrator>(&db)
            .await
            .unwrap();
        let repo = Repo::new(db);
        let id = uuid::Uuid::new_v4().to_string();
        repo.insert(&Image::new(id.clone(), None)).await.unwrap();
        let writer = {
            let repo = repo.clone();
            let id = id.clone();
            tokio::spawn(async move {
                for i in 1..=500u32 {
                    image::Entity::update_many()
                        .col_expr(image::Column::Name, Expr::value(i.to_string()))
                        .filter(image::Column::Id.eq(&id))
                        .exec(&repo.db)
                        .await
                        .unwrap();
                    repo.set_property(&id, "seen", Some(&i.to_string()))
                        .await
                        .unwrap();
                }
            })
        };
        while !writer.is_finished() {
            let image = repo.get(&id).await.unwrap().unwrap();
            let name: u32 = image.name.as_deref().unwrap_or("0").parse().unwrap();
            let seen: u32 = image
                .properties
                .get("seen")
                .map_or(0, |v| v.parse().unwrap());
            assert!(seen <= name, "property {seen} beside name {name}");
        }
        writer.await.unwrap();
    }
}
