//! The S3 store, through `object_store`: multipart uploads (nothing is visible
//! until the upload completes), ranged reads, one object per image.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};

use std::sync::Arc;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};

use super::{ByteStream, Store, StoreError, StoreFactory, StoreWriter};

pub const S3_STORE_HOST: Opt = Opt::new("", "s3_store_host", "", "S3 endpoint URL.");
pub const S3_STORE_ACCESS_KEY: Opt = Opt::secret("", "s3_store_access_key", "S3 access key.");
pub const S3_STORE_SECRET_KEY: Opt = Opt::secret("", "s3_store_secret_key", "S3 secret key.");
pub const S3_STORE_BUCKET: Opt = Opt::new("", "s3_store_bucket", "", "Bucket holding images.");
pub const S3_STORE_REGION: Opt = Opt::new(
    "",
    "s3_store_region_name",
    "us-east-1",
    "Region signed into requests.",
);
pub const S3_STORE_BUCKET_URL_FORMAT: Opt = Opt::new(
    "",
    "s3_store_bucket_url_format",
    "path",
    "path or virtual addressing of the bucket.",
);

/// `<id>:s3`: image objects in an S3 bucket.
pub const PLUGIN: Plugin<Arc<dyn StoreFactory>> = Plugin {
    name: "s3",
    opts: &[
        S3_STORE_HOST,
        S3_STORE_ACCESS_KEY,
        S3_STORE_SECRET_KEY,
        S3_STORE_BUCKET,
        S3_STORE_REGION,
        S3_STORE_BUCKET_URL_FORMAT,
    ],
    configure: configure_s3,
};

fn configure_s3(section: &Section) -> Result<Arc<dyn StoreFactory>, ConfigError> {
    Ok(Arc::new(S3Options {
        endpoint: section.require(&S3_STORE_HOST)?.to_string(),
        access_key: section.require(&S3_STORE_ACCESS_KEY)?.to_string(),
        secret_key: section.require(&S3_STORE_SECRET_KEY)?.to_string(),
        bucket: section.require(&S3_STORE_BUCKET)?.to_string(),
        region: section.get_string(&S3_STORE_REGION),
        virtual_hosted: section.get_string(&S3_STORE_BUCKET_URL_FORMAT) == "virtual",
    }))
}

/// An S3 store's options; its Debug shows no key.
pub struct S3Options {
    endpoint: String,
    access_key: String,
    secret_key: String,
    bucket: String,
    region: String,
    virtual_hosted: bool,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("virtual_hosted", &self.virtual_hosted)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl StoreFactory for S3Options {
    async fn open(&self, id: &str, description: &str) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(S3Store::open(id, description, self)?))
    }
}

/// Parts uploaded at once per image.
const PARALLEL_PARTS: usize = 4;

/// A bucket of image objects.
pub struct S3Store {
    id: String,
    description: String,
    bucket: String,
    client: std::sync::Arc<AmazonS3>,
}

fn backend(err: object_store::Error) -> StoreError {
    match err {
        object_store::Error::NotFound { path, .. } => StoreError::NotFound(path),
        other => StoreError::Backend(other.to_string()),
    }
}

impl S3Store {
    /// A client of the configured endpoint and bucket.
    fn open(id: &str, description: &str, options: &S3Options) -> Result<Self, StoreError> {
        let S3Options {
            endpoint,
            access_key,
            secret_key,
            bucket,
            region,
            virtual_hosted,
        } = options;
        let client = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_bucket_name(bucket)
            .with_access_key_id(access_key)
            .with_secret_access_key(secret_key)
            .with_region(region)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(*virtual_hosted)
            .build()
            .map_err(backend)?;
        Ok(S3Store {
            id: id.to_string(),
            description: description.to_string(),
            bucket: bucket.clone(),
            client: std::sync::Arc::new(client),
        })
    }

    fn key_of(&self, url: &str) -> Result<Path, StoreError> {
        let rest = url
            .strip_prefix("s3://")
            .and_then(|r| r.strip_prefix(self.bucket.as_str()))
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| {
                StoreError::Backend(format!("{url} is not in bucket {}", self.bucket))
            })?;
        Ok(Path::from(rest))
    }
}

struct S3Writer {
    upload: WriteMultipart,
    url: String,
}

#[async_trait::async_trait]
impl Store for S3Store {
    fn id(&self) -> &str {
        &self.id
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn begin(&self, image_id: &str) -> Result<Box<dyn StoreWriter>, StoreError> {
        let key = Path::from(image_id);
        let upload = self.client.put_multipart(&key).await.map_err(backend)?;
        Ok(Box::new(S3Writer {
            upload: WriteMultipart::new(upload),
            url: format!("s3://{}/{image_id}", self.bucket),
        }))
    }

    async fn read(&self, url: &str, range: Option<(u64, u64)>) -> Result<ByteStream, StoreError> {
        let key = self.key_of(url)?;
        let options = GetOptions {
            range: range.map(|(offset, len)| GetRange::Bounded(offset..offset + len)),
            ..GetOptions::default()
        };
        let result = self.client.get_opts(&key, options).await.map_err(backend)?;
        Ok(result
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed())
    }

    async fn delete(&self, url: &str) -> Result<(), StoreError> {
        match self.client.delete(&self.key_of(url)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }
}

#[async_trait::async_trait]
impl StoreWriter for S3Writer {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.upload
            .wait_for_capacity(PARALLEL_PARTS)
            .await
            .map_err(backend)?;
        self.upload.put(chunk);
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<String, StoreError> {
        self.upload.finish().await.map_err(backend)?;
        Ok(self.url)
    }

    async fn abort(self: Box<Self>) {
        if let Err(e) = self.upload.abort().await {
            tracing::warn!(url = self.url, "abandoning a multipart upload failed: {e}");
        }
    }
}
