//! The file store: one file per image under a directory. Data is written to a
//! temporary file by a blocking writer thread (so the network and the disk work at
//! the same time), fsynced and renamed into place on commit, so a crash never leaves
//! partial data under an image's name.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use std::sync::Arc;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};

use super::{ByteStream, Store, StoreError, StoreFactory, StoreWriter};

pub const FILESYSTEM_STORE_DATADIR: Opt = Opt::new(
    "",
    "filesystem_store_datadir",
    "",
    "Directory of a file store; <state_path>/images/<store id> when unset.",
);

/// `<id>:file`: image files under a directory.
pub const PLUGIN: Plugin<Arc<dyn StoreFactory>> = Plugin {
    name: "file",
    opts: &[FILESYSTEM_STORE_DATADIR],
    configure: configure_file,
};

fn configure_file(section: &Section) -> Result<Arc<dyn StoreFactory>, ConfigError> {
    let datadir = section
        .get(&FILESYSTEM_STORE_DATADIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| section.state_path.join("images").join(section.name));
    Ok(Arc::new(FileStoreOptions { datadir }))
}

/// A file store's options.
#[derive(Debug)]
pub struct FileStoreOptions {
    pub datadir: PathBuf,
}

#[async_trait::async_trait]
impl StoreFactory for FileStoreOptions {
    async fn open(&self, id: &str, description: &str) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(
            FileStore::open(id, description, self.datadir.clone()).await?,
        ))
    }
}

/// Read buffer size for downloads.
const READ_CHUNK: usize = 256 * 1024;
/// Suffix of data being written.
const PARTIAL: &str = ".partial";

/// A directory of image files.
pub struct FileStore {
    id: String,
    description: String,
    dir: PathBuf,
}

impl FileStore {
    /// Opens (creating) `dir` and removes partial files an earlier crash left.
    pub async fn open(id: &str, description: &str, dir: PathBuf) -> Result<Self, StoreError> {
        tokio::fs::create_dir_all(&dir).await?;
        let mut entries = tokio::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        Ok(FileStore {
            id: id.to_string(),
            description: description.to_string(),
            dir,
        })
    }

    fn path_of(&self, url: &str) -> Result<PathBuf, StoreError> {
        let path = PathBuf::from(
            url.strip_prefix("file://")
                .ok_or_else(|| StoreError::Backend(format!("{url} is not a file:// URL")))?,
        );
        if path.parent() != Some(self.dir.as_path()) {
            return Err(StoreError::Backend(format!(
                "{url} is outside store {}",
                self.id
            )));
        }
        Ok(path)
    }
}

/// Chunks queued for the writer thread.
const WRITE_QUEUE: usize = 64;
/// The writer thread's buffer.
const WRITE_BUFFER: usize = 4 * 1024 * 1024;

struct FileWriter {
    tx: Option<tokio::sync::mpsc::Sender<Bytes>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    partial: PathBuf,
    target: PathBuf,
}

impl FileWriter {
    fn start(file: std::fs::File, partial: PathBuf, target: PathBuf) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(WRITE_QUEUE);
        let task = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        FileWriter {
            tx: Some(tx),
            task,
            partial,
            target,
        }
    }

    /// Ends the writer thread, returning its outcome.
    async fn finish(&mut self) -> std::io::Result<()> {
        self.tx = None;
        (&mut self.task)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

#[async_trait::async_trait]
impl Store for FileStore {
    fn id(&self) -> &str {
        &self.id
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    async fn begin(&self, image_id: &str) -> Result<Box<dyn StoreWriter>, StoreError> {
        let name = format!("{image_id}.{}", uuid::Uuid::new_v4().simple());
        let partial = self.dir.join(format!("{name}{PARTIAL}"));
        let file = tokio::fs::File::create(&partial).await?.into_std().await;
        Ok(Box::new(FileWriter::start(
            file,
            partial,
            self.dir.join(name),
        )))
    }

    async fn read(&self, url: &str, range: Option<(u64, u64)>) -> Result<ByteStream, StoreError> {
        let path = self.path_of(url)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(url.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        Ok(match range {
            Some((offset, len)) => {
                file.seek(SeekFrom::Start(offset)).await?;
                ReaderStream::with_capacity(file.take(len), READ_CHUNK).boxed()
            }
            None => ReaderStream::with_capacity(file, READ_CHUNK).boxed(),
        })
    }

    async fn delete(&self, url: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path_of(url)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait::async_trait]
impl StoreWriter for FileWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer thread stopped: its error says why.
        Err(match self.finish().await {
            Err(e) => e.into(),
            Ok(()) => StoreError::Backend("the writer stopped".into()),
        })
    }

    async fn commit(mut self: Box<Self>) -> Result<String, StoreError> {
        if let Err(e) = self.finish().await {
            let _ = tokio::fs::remove_file(&self.partial).await;
            return Err(e.into());
        }
        tokio::fs::rename(&self.partial, &self.target).await?;
        sync_dir(self.target.parent()).await?;
        Ok(format!("file://{}", self.target.display()))
    }

    async fn abort(mut self: Box<Self>) {
        let _ = self.finish().await;
        let _ = tokio::fs::remove_file(&self.partial).await;
    }
}

/// Makes a rename durable.
async fn sync_dir(dir: Option<&Path>) -> std::io::Result<()> {
    if let Some(dir) = dir {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}
