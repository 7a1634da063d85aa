//! Glance's views of metadata definitions: unset fields left out, times as
//! `2024-01-31T12:00:00Z`, `self` and `schema` links.

use serde_json::{json, Map, Value};

use crate::domain::metadefs::model::{Association, Item, Namespace, NamespaceDetail, ResourceType};
use crate::domain::model::format_time;

/// `/v2/metadefs/namespaces/<ns>`.
pub fn namespace_path(name: &str) -> String {
    format!("/v2/metadefs/namespaces/{name}")
}

fn stamps(
    view: &mut Map<String, Value>,
    created: &chrono::NaiveDateTime,
    updated: &chrono::NaiveDateTime,
) {
    view.insert("created_at".into(), json!(format_time(created)));
    view.insert("updated_at".into(), json!(format_time(updated)));
}

/// An association.
pub fn association(a: &Association) -> Value {
    let mut view = Map::new();
    view.insert("name".into(), json!(a.name));
    if let Some(prefix) = &a.prefix {
        view.insert("prefix".into(), json!(prefix));
    }
    if let Some(target) = &a.properties_target {
        view.insert("properties_target".into(), json!(target));
    }
    stamps(&mut view, &a.created_at, &a.updated_at);
    Value::Object(view)
}

/// A namespace's own fields and its associations (when any).
pub fn namespace(ns: &Namespace, associations: &[Association]) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("namespace".into(), json!(ns.namespace));
    if let Some(name) = &ns.display_name {
        view.insert("display_name".into(), json!(name));
    }
    if let Some(description) = &ns.description {
        view.insert("description".into(), json!(description));
    }
    view.insert("visibility".into(), json!(ns.visibility));
    view.insert("protected".into(), json!(ns.protected));
    view.insert("owner".into(), json!(ns.owner));
    stamps(&mut view, &ns.created_at, &ns.updated_at);
    view.insert("self".into(), json!(namespace_path(&ns.namespace)));
    view.insert("schema".into(), json!("/v2/schemas/metadefs/namespace"));
    if !associations.is_empty() {
        view.insert(
            "resource_type_associations".into(),
            associations.iter().map(association).collect(),
        );
    }
    view
}

/// A namespace with its contents (each kind left out when empty).
pub fn detail(d: &NamespaceDetail) -> Value {
    let mut view = namespace(&d.namespace, &d.associations);
    if !d.properties.is_empty() {
        view.insert("properties".into(), properties(&d.properties));
    }
    if !d.objects.is_empty() {
        let ns = &d.namespace.namespace;
        view.insert(
            "objects".into(),
            d.objects.iter().map(|o| object(ns, o)).collect(),
        );
    }
    if !d.tags.is_empty() {
        view.insert("tags".into(), tag_names(&d.tags));
    }
    Value::Object(view)
}

/// An object, `required` and `properties` always present.
pub fn object(ns: &str, o: &Item) -> Value {
    let mut view = Map::new();
    view.insert("name".into(), json!(o.name));
    view.extend(o.body.clone());
    view.entry("required").or_insert_with(|| json!([]));
    view.entry("properties").or_insert_with(|| json!({}));
    stamps(&mut view, &o.created_at, &o.updated_at);
    view.insert(
        "self".into(),
        json!(format!("{}/objects/{}", namespace_path(ns), o.name)),
    );
    view.insert("schema".into(), json!("/v2/schemas/metadefs/object"));
    Value::Object(view)
}

/// A property with its name.
pub fn property(p: &Item) -> Value {
    let mut view = Map::new();
    view.insert("name".into(), json!(p.name));
    view.extend(p.body.clone());
    Value::Object(view)
}

/// Properties as a map by name.
pub fn properties(list: &[Item]) -> Value {
    Value::Object(
        list.iter()
            .map(|p| (p.name.clone(), Value::Object(p.body.clone())))
            .collect(),
    )
}

/// A tag.
pub fn tag(t: &Item) -> Value {
    let mut view = Map::new();
    view.insert("name".into(), json!(t.name));
    stamps(&mut view, &t.created_at, &t.updated_at);
    Value::Object(view)
}

/// Tags by name only, as lists show them.
pub fn tag_names(list: &[Item]) -> Value {
    list.iter().map(|t| json!({"name": t.name})).collect()
}

/// A resource type.
pub fn resource_type(r: &ResourceType) -> Value {
    let mut view = Map::new();
    view.insert("name".into(), json!(r.name));
    stamps(&mut view, &r.created_at, &r.updated_at);
    Value::Object(view)
}
