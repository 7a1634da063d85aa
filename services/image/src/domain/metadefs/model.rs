//! Metadata definitions as the domain sees them: namespaces, the objects,
//! properties and tags inside them, and the resource types they apply to.

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

/// A namespace's own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub id: String,
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `public` or `private`.
    pub visibility: String,
    pub protected: bool,
    pub owner: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What lives in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Property,
    Tag,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Property => "property",
            Kind::Tag => "tag",
        }
    }
}

/// An object, property or tag: its name and its other fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    /// The fields but `name` and the timestamps (a tag has none).
    pub body: Map<String, Value>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A namespace's association with a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Association {
    pub name: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A resource type namespaces can be associated with.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A namespace with everything in it, as create and show return it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceDetail {
    pub namespace: Namespace,
    pub associations: Vec<Association>,
    pub objects: Vec<Item>,
    pub properties: Vec<Item>,
    pub tags: Vec<Item>,
}

/// The contents of a new namespace besides its own fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contents {
    /// (name, prefix, properties_target).
    pub associations: Vec<(String, Option<String>, Option<String>)>,
    pub objects: Vec<(String, Map<String, Value>)>,
    pub properties: Vec<(String, Map<String, Value>)>,
    pub tags: Vec<String>,
}
