//! The image aggregate: core properties, extra properties, tags and locations.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;

/// An image's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Queued,
    Saving,
    Active,
    Killed,
    Deleted,
    PendingDelete,
    Deactivated,
    Uploading,
    Importing,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Queued,
        Status::Saving,
        Status::Active,
        Status::Killed,
        Status::Deleted,
        Status::PendingDelete,
        Status::Deactivated,
        Status::Uploading,
        Status::Importing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Saving => "saving",
            Status::Active => "active",
            Status::Killed => "killed",
            Status::Deleted => "deleted",
            Status::PendingDelete => "pending_delete",
            Status::Deactivated => "deactivated",
            Status::Uploading => "uploading",
            Status::Importing => "importing",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Who may see an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Public,
    Private,
    Shared,
    Community,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Community,
        Visibility::Public,
        Visibility::Private,
        Visibility::Shared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Shared => "shared",
            Visibility::Community => "community",
        }
    }

    pub fn parse(text: &str) -> Option<Visibility> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// Where a copy of the image's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub store: String,
    pub url: String,
}

/// One image with everything the API shows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub status: Status,
    pub visibility: Visibility,
    pub protected: bool,
    pub os_hidden: bool,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub min_disk: i32,
    pub min_ram: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// User-defined properties, shown as top-level keys.
    pub properties: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    pub locations: Vec<Location>,
}

impl Image {
    /// A new queued image owned by `owner`, created now.
    pub fn new(id: String, owner: Option<String>) -> Image {
        let now = now();
        Image {
            id,
            name: None,
            owner,
            status: Status::Queued,
            visibility: Visibility::Shared,
            protected: false,
            os_hidden: false,
            disk_format: None,
            container_format: None,
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: 0,
            min_ram: 0,
            created_at: now,
            updated_at: now,
            properties: BTreeMap::new(),
            tags: BTreeSet::new(),
            locations: Vec::new(),
        }
    }

    /// The ids of the stores holding the data, comma-separated as Glance shows them.
    pub fn stores(&self) -> String {
        self.locations
            .iter()
            .filter(|l| l.store != super::data::STAGING_STORE)
            .map(|l| l.store.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Forgets the data: no size, checksums or locations.
    pub fn clear_data(&mut self) {
        self.size = None;
        self.virtual_size = None;
        self.checksum = None;
        self.os_hash_algo = None;
        self.os_hash_value = None;
        self.locations.clear();
    }
}

/// The current time at the seconds precision every database keeps.
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// Glance's timestamp format: `2024-01-31T12:00:00Z`.
pub fn format_time(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A member's answer to the offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Accepted => "accepted",
            MemberStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub image_id: String,
    pub member_id: String,
    pub status: MemberStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Who is listing.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub project_id: Option<String>,
    pub is_admin: bool,
}
