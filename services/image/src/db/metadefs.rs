//! Queries of metadata definitions. Namespaces are few (Glance ships about
//! thirty), so lists are read whole and filtered by the domain.

use ferrostack_db::{begin_snapshot, DbError, DbResult};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde_json::{Map, Value};

use super::entity::{metadef_association, metadef_item, metadef_namespace, metadef_resource_type};
use super::Repo;
use crate::domain::metadefs::model::{
    Association, Contents, Item, Kind, Namespace, NamespaceDetail, ResourceType,
};
use crate::domain::model::now;

fn namespace(m: metadef_namespace::Model) -> Namespace {
    Namespace {
        id: m.id,
        namespace: m.namespace,
        display_name: m.display_name,
        description: m.description,
        visibility: m.visibility,
        protected: m.protected,
        owner: m.owner,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn item(m: metadef_item::Model) -> Item {
    let body = match serde_json::from_str(&m.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Item {
        name: m.name,
        body,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn association(m: metadef_association::Model) -> (String, Association) {
    (
        m.namespace_id,
        Association {
            name: m.resource_type,
            prefix: m.prefix,
            properties_target: m.properties_target,
            created_at: m.created_at,
            updated_at: m.updated_at,
        },
    )
}

fn item_row(
    namespace_id: &str,
    kind: Kind,
    name: &str,
    body: &Map<String, Value>,
) -> metadef_item::ActiveModel {
    let at = now();
    metadef_item::ActiveModel {
        namespace_id: Set(namespace_id.to_string()),
        kind: Set(kind.as_str().to_string()),
        name: Set(name.to_string()),
        body: Set(Value::Object(body.clone()).to_string()),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Inserts the association, making its resource type when it is new.
async fn associate(
    txn: &DatabaseTransaction,
    namespace_id: &str,
    name: &str,
    prefix: Option<String>,
    target: Option<String>,
) -> DbResult<Association> {
    let at = now();
    // A write first: on SQLite a transaction that reads before it writes
    // cannot take the write lock once another writer has committed.
    metadef_resource_type::Entity::insert(metadef_resource_type::ActiveModel {
        name: Set(name.to_string()),
        protected: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(metadef_resource_type::Column::Name)
            .do_nothing_on([metadef_resource_type::Column::Name])
            .to_owned(),
    )
    .do_nothing()
    .exec(txn)
    .await?;
    let row = metadef_association::ActiveModel {
        namespace_id: Set(namespace_id.to_string()),
        resource_type: Set(name.to_string()),
        prefix: Set(prefix),
        properties_target: Set(target),
        created_at: Set(at),
        updated_at: Set(at),
    };
    metadef_association::Entity::insert(row.clone())
        .exec(txn)
        .await?;
    Ok(association(metadef_association::Model {
        namespace_id: namespace_id.to_string(),
        resource_type: name.to_string(),
        prefix: row.prefix.unwrap(),
        properties_target: row.properties_target.unwrap(),
        created_at: at,
        updated_at: at,
    })
    .1)
}

impl Repo {
    /// Every namespace, oldest first, with its associations.
    pub async fn metadef_namespaces(&self) -> DbResult<Vec<(Namespace, Vec<Association>)>> {
        let txn = begin_snapshot(&self.db).await?;
        let rows = metadef_namespace::Entity::find()
            .order_by_asc(metadef_namespace::Column::CreatedAt)
            .order_by_asc(metadef_namespace::Column::Id)
            .all(&txn)
            .await?;
        let associations: Vec<(String, Association)> = metadef_association::Entity::find()
            .order_by_asc(metadef_association::Column::CreatedAt)
            .all(&txn)
            .await?
            .into_iter()
            .map(association)
            .collect();
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let ns = namespace(row);
                let mine = associations
                    .iter()
                    .filter(|(id, _)| *id == ns.id)
                    .map(|(_, a)| a.clone())
                    .collect();
                (ns, mine)
            })
            .collect())
    }

    /// The namespace named `name`.
    pub async fn metadef_namespace(&self, name: &str) -> DbResult<Option<Namespace>> {
        Ok(metadef_namespace::Entity::find()
            .filter(metadef_namespace::Column::Namespace.eq(name))
            .one(&self.db)
            .await?
            .map(namespace))
    }

    /// `ns` with everything in it, read in one snapshot.
    pub async fn metadef_detail(&self, ns: Namespace) -> DbResult<NamespaceDetail> {
        let txn = begin_snapshot(&self.db).await?;
        let associations = self.metadef_associations_in(&txn, &ns.id).await?;
        let mut items = metadef_item::Entity::find()
            .filter(metadef_item::Column::NamespaceId.eq(&ns.id))
            .order_by_asc(metadef_item::Column::CreatedAt)
            .order_by_asc(metadef_item::Column::Name)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut take = |kind: Kind| -> Vec<Item> {
            let (mine, rest) = std::mem::take(&mut items)
                .into_iter()
                .partition(|r| r.kind == kind.as_str());
            items = rest;
            mine.into_iter().map(item).collect()
        };
        Ok(NamespaceDetail {
            objects: take(Kind::Object),
            properties: take(Kind::Property),
            tags: take(Kind::Tag),
            namespace: ns,
            associations,
        })
    }

    async fn metadef_associations_in<C: ConnectionTrait>(
        &self,
        conn: &C,
        namespace_id: &str,
    ) -> DbResult<Vec<Association>> {
        Ok(metadef_association::Entity::find()
            .filter(metadef_association::Column::NamespaceId.eq(namespace_id))
            .order_by_asc(metadef_association::Column::CreatedAt)
            .order_by_asc(metadef_association::Column::ResourceType)
            .all(conn)
            .await?
            .into_iter()
            .map(|m| association(m).1)
            .collect())
    }

    /// The namespace's resource type associations.
    pub async fn metadef_associations(&self, namespace_id: &str) -> DbResult<Vec<Association>> {
        self.metadef_associations_in(&self.db, namespace_id).await
    }

    /// Stores a new namespace with its contents, all or nothing.
    pub async fn create_metadef_namespace(
        &self,
        ns: &Namespace,
        contents: &Contents,
    ) -> DbResult<NamespaceDetail> {
        let txn = self.db.begin().await?;
        metadef_namespace::Entity::insert(metadef_namespace::ActiveModel {
            id: Set(ns.id.clone()),
            namespace: Set(ns.namespace.clone()),
            display_name: Set(ns.display_name.clone()),
            description: Set(ns.description.clone()),
            visibility: Set(ns.visibility.clone()),
            protected: Set(ns.protected),
            owner: Set(ns.owner.clone()),
            created_at: Set(ns.created_at),
            updated_at: Set(ns.updated_at),
        })
        .exec(&txn)
        .await?;
        for (name, prefix, target) in &contents.associations {
            associate(&txn, &ns.id, name, prefix.clone(), target.clone()).await?;
        }
        let tags = contents.tags.iter().map(|t| (t.clone(), Map::new()));
        for (kind, list) in [
            (Kind::Object, contents.objects.clone()),
            (Kind::Property, contents.properties.clone()),
            (Kind::Tag, tags.collect()),
        ] {
            for (name, body) in &list {
                metadef_item::Entity::insert(item_row(&ns.id, kind, name, body))
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        self.metadef_detail(ns.clone()).await
    }

    /// Replaces a namespace's own fields (its name included).
    pub async fn update_metadef_namespace(&self, ns: &Namespace) -> DbResult<()> {
        metadef_namespace::Entity::update(metadef_namespace::ActiveModel {
            id: Set(ns.id.clone()),
            namespace: Set(ns.namespace.clone()),
            display_name: Set(ns.display_name.clone()),
            description: Set(ns.description.clone()),
            visibility: Set(ns.visibility.clone()),
            protected: Set(ns.protected),
            owner: Set(ns.owner.clone()),
            created_at: Set(ns.created_at),
            updated_at: Set(ns.updated_at),
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Deletes a namespace and everything in it.
    pub async fn delete_metadef_namespace(&self, namespace_id: &str) -> DbResult<()> {
        let txn = self.db.begin().await?;
        metadef_item::Entity::delete_many()
            .filter(metadef_item::Column::NamespaceId.eq(namespace_id))
            .exec(&txn)
            .await?;
        metadef_association::Entity::delete_many()
            .filter(metadef_association::Column::NamespaceId.eq(namespace_id))
            .exec(&txn)
            .await?;
        metadef_namespace::Entity::delete_by_id(namespace_id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The namespace's items of `kind`, oldest first.
    pub async fn metadef_items(&self, namespace_id: &str, kind: Kind) -> DbResult<Vec<Item>> {
        Ok(metadef_item::Entity::find()
            .filter(metadef_item::Column::NamespaceId.eq(namespace_id))
            .filter(metadef_item::Column::Kind.eq(kind.as_str()))
            .order_by_asc(metadef_item::Column::CreatedAt)
            .order_by_asc(metadef_item::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(item)
            .collect())
    }

    /// One item.
    pub async fn metadef_item(
        &self,
        namespace_id: &str,
        kind: Kind,
        name: &str,
    ) -> DbResult<Option<Item>> {
        Ok(metadef_item::Entity::find_by_id((
            namespace_id.to_string(),
            kind.as_str().to_string(),
            name.to_string(),
        ))
        .one(&self.db)
        .await?
        .map(item))
    }

    /// Adds items of `kind`; with `replace`, the namespace's others of that
    /// kind go first. All or nothing.
    pub async fn add_metadef_items(
        &self,
        namespace_id: &str,
        kind: Kind,
        items: &[(String, Map<String, Value>)],
        replace: bool,
    ) -> DbResult<Vec<Item>> {
        let txn = self.db.begin().await?;
        if replace {
            delete_items(&txn, namespace_id, kind).await?;
        }
        for (name, body) in items {
            metadef_item::Entity::insert(item_row(namespace_id, kind, name, body))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        let mut added = Vec::new();
        for (name, _) in items {
            if let Some(found) = self.metadef_item(namespace_id, kind, name).await? {
                added.push(found);
            }
        }
        Ok(added)
    }

    /// Replaces item `old` with `name` and `body` (a rename when they differ),
    /// keeping when it was created.
    pub async fn replace_metadef_item(
        &self,
        namespace_id: &str,
        kind: Kind,
        old: &Item,
        name: &str,
        body: &Map<String, Value>,
    ) -> DbResult<Item> {
        let txn = self.db.begin().await?;
        metadef_item::Entity::delete_by_id((
            namespace_id.to_string(),
            kind.as_str().to_string(),
            old.name.clone(),
        ))
        .exec(&txn)
        .await?;
        let mut row = item_row(namespace_id, kind, name, body);
        row.created_at = Set(old.created_at);
        metadef_item::Entity::insert(row).exec(&txn).await?;
        txn.commit().await?;
        self.metadef_item(namespace_id, kind, name)
            .await?
            .ok_or_else(|| DbError::Other(format!("{} {name} vanished", kind.as_str())))
    }

    /// Deletes one item; false when there was none.
    pub async fn delete_metadef_item(
        &self,
        namespace_id: &str,
        kind: Kind,
        name: &str,
    ) -> DbResult<bool> {
        let done = metadef_item::Entity::delete_by_id((
            namespace_id.to_string(),
            kind.as_str().to_string(),
            name.to_string(),
        ))
        .exec(&self.db)
        .await?;
        Ok(done.rows_affected > 0)
    }

    /// Deletes every item of `kind` in the namespace.
    pub async fn delete_metadef_items(&self, namespace_id: &str, kind: Kind) -> DbResult<()> {
        delete_items(&self.db, namespace_id, kind).await
    }

    /// Every resource type, by name.
    pub async fn metadef_resource_types(&self) -> DbResult<Vec<ResourceType>> {
        Ok(metadef_resource_type::Entity::find()
            .order_by_asc(metadef_resource_type::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| ResourceType {
                name: m.name,
                created_at: m.created_at,
                updated_at: m.updated_at,
            })
            .collect())
    }

    /// Associates the namespace with a resource type (made when new).
    pub async fn add_metadef_association(
        &self,
        namespace_id: &str,
        name: &str,
        prefix: Option<String>,
        target: Option<String>,
    ) -> DbResult<Association> {
        let txn = self.db.begin().await?;
        let made = associate(&txn, namespace_id, name, prefix, target).await?;
        txn.commit().await?;
        Ok(made)
    }

    /// Removes an association; false when there was none.
    pub async fn delete_metadef_association(
        &self,
        namespace_id: &str,
        name: &str,
    ) -> DbResult<bool> {
        let done =
            metadef_association::Entity::delete_by_id((namespace_id.to_string(), name.to_string()))
                .exec(&self.db)
                .await?;
        Ok(done.rows_affected > 0)
    }
}

async fn delete_items<C: ConnectionTrait>(
    conn: &C,
    namespace_id: &str,
    kind: Kind,
) -> DbResult<()> {
    metadef_item::Entity::delete_many()
        .filter(metadef_item::Column::NamespaceId.eq(namespace_id))
        .filter(metadef_item::Column::Kind.eq(kind.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}
