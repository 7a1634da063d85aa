//! Where image data lives: one [`Store`] trait, implemented by the file store
//! (`file://`) and the S3 store (`s3://`), chosen per store id by configuration.

mod file;
mod s3;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;

use ferrostack_config::Registry;

use crate::config::StoreConfig;

pub use file::FileStore;
pub use s3::S3Store;

/// A store configured from its section (its type's own options), ready to open.
#[async_trait::async_trait]
pub trait StoreFactory: std::fmt::Debug + Send + Sync {
    /// Opens the store `id` (described as `description` in `/v2/info/stores`).
    async fn open(&self, id: &str, description: &str) -> Result<Arc<dyn Store>, StoreError>;
}

/// The store types `enabled_backends` can name (`<id>:<type>`).
pub const STORE_TYPES: Registry<Arc<dyn StoreFactory>> = Registry {
    plugins: &[file::PLUGIN, s3::PLUGIN],
};

/// A stream of data read from a store.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no data at {0}")]
    NotFound(String),
    #[error("store error: {0}")]
    Backend(String),
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        StoreError::Backend(err.to_string())
    }
}

/// One image data store.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// The store id (`enabled_backends` name).
    fn id(&self) -> &str;
    /// What `/v2/info/stores` says about it.
    fn description(&self) -> &str;
    /// The store type (`file`, `s3`), shown in the stores detail.
    fn kind(&self) -> &'static str;
    /// Starts writing the data of `image_id`. Nothing is visible until commit.
    async fn begin(&self, image_id: &str) -> Result<Box<dyn StoreWriter>, StoreError>;
    /// Streams the data at `url`: all of it, or `len` bytes from `offset`.
    async fn read(&self, url: &str, range: Option<(u64, u64)>) -> Result<ByteStream, StoreError>;
    /// Removes the data at `url`; data already gone is not an error.
    async fn delete(&self, url: &str) -> Result<(), StoreError>;
}

/// Data being written to a store.
#[async_trait::async_trait]
pub trait StoreWriter: Send {
    /// Appends a chunk.
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError>;
    /// Makes the data durable and visible; returns its location URL.
    async fn commit(self: Box<Self>) -> Result<String, StoreError>;
    /// Throws the partial data away.
    async fn abort(self: Box<Self>);
}

/// The configured stores by id, and the default one.
#[derive(Clone)]
pub struct Stores {
    stores: BTreeMap<String, Arc<dyn Store>>,
    order: Vec<String>,
    default: String,
}

impl Stores {
    /// Opens every configured store.
    pub async fn open(configs: &[StoreConfig], default: &str) -> Result<Self, StoreError> {
        let mut stores: BTreeMap<String, Arc<dyn Store>> = BTreeMap::new();
        for config in configs {
            let store = config.store.open(&config.id, &config.description).await?;
            stores.insert(config.id.clone(), store);
        }
        Ok(Stores {
            stores,
            order: configs.iter().map(|c| c.id.clone()).collect(),
            default: default.to_string(),
        })
    }

    /// The store with `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Store>> {
        self.stores.get(id)
    }

    /// The store uploads go to when they name none.
    pub fn default_store(&self) -> &Arc<dyn Store> {
        &self.stores[&self.default]
    }

    /// The default store's id.
    pub fn default_id(&self) -> &str {
        &self.default
    }

    /// Every store, in configuration order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Store>> {
        self.order.iter().filter_map(|id| self.stores.get(id))
    }
}
