//! Response bodies, shaped as Glance's.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::model::Member;
use crate::domain::model::{format_time, Image};

/// An image as the API shows it: core attributes, links, then extra properties as
/// top-level keys.
#[derive(Serialize)]
pub struct ImageView<'a> {
    #[serde(flatten)]
    properties: &'a BTreeMap<String, String>,
    name: &'a Option<String>,
    disk_format: &'a Option<String>,
    container_format: &'a Option<String>,
    visibility: &'static str,
    size: Option<i64>,
    virtual_size: Option<i64>,
    status: &'static str,
    checksum: &'a Option<String>,
    protected: bool,
    min_ram: i32,
    min_disk: i32,
    owner: &'a Option<String>,
    os_hidden: bool,
    os_hash_algo: &'a Option<String>,
    os_hash_value: &'a Option<String>,
    id: &'a str,
    created_at: String,
    updated_at: String,
    tags: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stores: Option<String>,
    #[serde(rename = "self")]
    self_link: String,
    file: String,
    schema: &'static str,
}

impl<'a> ImageView<'a> {
    pub fn new(image: &'a Image) -> Self {
        let stores = image.stores();
        ImageView {
            properties: &image.properties,
            name: &image.name,
            disk_format: &image.disk_format,
            container_format: &image.container_format,
            visibility: image.visibility.as_str(),
            size: image.size,
            virtual_size: image.virtual_size,
            status: image.status.as_str(),
            checksum: &image.checksum,
            protected: image.protected,
            min_ram: image.min_ram,
            min_disk: image.min_disk,
            owner: &image.owner,
            os_hidden: image.os_hidden,
            os_hash_algo: &image.os_hash_algo,
            os_hash_value: &image.os_hash_value,
            id: &image.id,
            created_at: format_time(&image.created_at),
            updated_at: format_time(&image.updated_at),
            tags: &image.tags,
            stores: (!stores.is_empty()).then_some(stores),
            self_link: format!("/v2/images/{}", image.id),
            file: format!("/v2/images/{}/file", image.id),
            schema: "/v2/schemas/image",
        }
    }
}

/// The list body: images plus `first`, `next` and `schema` links.
#[derive(Serialize)]
pub struct ImageList<'a> {
    pub images: Vec<ImageView<'a>>,
    pub first: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub schema: &'static str,
}

/// A membership.
#[derive(Serialize)]
pub struct MemberView<'a> {
    member_id: &'a str,
    image_id: &'a str,
    status: &'static str,
    created_at: String,
    updated_at: String,
    schema: &'static str,
}

impl<'a> MemberView<'a> {
    pub fn new(m: &'a Member) -> Self {
        MemberView {
            member_id: &m.member_id,
            image_id: &m.image_id,
            status: m.status.as_str(),
            created_at: format_time(&m.created_at),
            updated_at: format_time(&m.updated_at),
            schema: "/v2/schemas/member",
        }
    }
}

/// The members list body.
#[derive(Serialize)]
pub struct MemberList<'a> {
    pub members: Vec<MemberView<'a>>,
    pub schema: &'static str,
}
