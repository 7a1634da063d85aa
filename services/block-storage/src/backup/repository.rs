//! The posix backup repository: a backup is a directory `<container>/backup_<id>`
//! under `backup_posix_path` (the container one or more directory names)
//! holding its data objects (runs of the
//! volume's blocks, zlib-compressed unless `backup_compression_algorithm =
//! none`), the SHA-256 of every block (`sha256`, which an incremental backup
//! compares with its parent's to store only the blocks that changed) and
//! `metadata.json`, written last: a backup without it is incomplete. A full
//! backup skips blocks of zeros (restores start from zeros); an incremental
//! stores every changed block, zeros included.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Most directory names in a backup's path.
const MAX_DEPTH: usize = 8;
/// How deep a chain of incremental backups may go.
const MAX_CHAIN: usize = 1000;
const METADATA: &str = "metadata.json";
const SHAS: &str = "sha256";

/// How data objects are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Zlib,
}

impl Compression {
    /// `backup_compression_algorithm`: none (or `off`, `no`) or zlib (`gzip`).
    pub fn parse(text: &str) -> Option<Compression> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "no" => Some(Compression::None),
            "zlib" | "gzip" => Some(Compression::Zlib),
            _ => None,
        }
    }
}

/// A run of blocks stored in one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Object {
    name: String,
    offset: u64,
    length: u64,
}

/// `metadata.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Metadata {
    version: u32,
    backup_id: String,
    volume_id: String,
    /// Bytes of the volume backed up.
    size: u64,
    block_size: u64,
    compression: Compression,
    /// The parent's path, for an incremental backup.
    parent: Option<String>,
    objects: Vec<Object>,
    /// What the backup service keeps about the volume (metadata, bootable, ...).
    volume_meta: serde_json::Value,
}

/// What to back up.
pub struct Source<'a> {
    pub backup_id: &'a str,
    pub volume_id: &'a str,
    /// A raw image of the volume.
    pub data: &'a Path,
    /// The parent's path, for an incremental backup.
    pub parent: Option<&'a str>,
    pub volume_meta: serde_json::Value,
}

/// A backup repository on a local (or mounted) file system.
#[derive(Debug, Clone)]
pub struct Repository {
    pub root: PathBuf,
    /// `backup_sha_block_size_bytes`.
    pub block_size: u64,
    /// `backup_file_size`: most bytes of the volume in one object.
    pub object_size: u64,
    pub compression: Compression,
}

/// A new file of the repository, readable by its owner and group only (as
/// Cinder's posix driver makes them).
fn create_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o660)
        .open(path)
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.into())
}

/// Whether `part` may name a directory of the repository: letters, digits,
/// `-`, `_` and `.`, not starting with a dot, at most 255 bytes.
pub fn valid_name(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 255
        && !part.starts_with('.')
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Repository {
    /// The directory of the backup at `path` (`<container>/backup_<id>`),
    /// which must stay inside the repository.
    fn dir(&self, path: &str) -> std::io::Result<PathBuf> {
        let parts: Vec<&str> = path.split('/').collect();
        if !(2..=MAX_DEPTH).contains(&parts.len()) || !parts.iter().all(|p| valid_name(p)) {
            return Err(invalid(format!("'{path}' is not a backup's path")));
        }
        Ok(parts.iter().fold(self.root.clone(), |dir, p| dir.join(p)))
    }

    fn metadata(&self, path: &str) -> std::io::Result<Metadata> {
        let file = File::open(self.dir(path)?.join(METADATA))?;
        serde_json::from_reader(BufReader::new(file))
            .map_err(|e| invalid(format!("the metadata of backup {path} is corrupt: {e}")))
    }

    fn shas(&self, path: &str) -> std::io::Result<Vec<[u8; 32]>> {
        let bytes = std::fs::read(self.dir(path)?.join(SHAS))?;
        if bytes.len() % 32 != 0 {
            return Err(invalid(format!(
                "the checksums of backup {path} are corrupt"
            )));
        }
        Ok(bytes
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0; 32]))
            .collect())
    }

    /// Whether a complete backup is at `path`; its volume metadata when it is.
    pub fn verify(&self, path: &str) -> std::io::Result<serde_json::Value> {
        let metadata = self.metadata(path)?;
        let dir = self.dir(path)?;
        for object in &metadata.objects {
            if !valid_name(&object.name) || !dir.join(&object.name).is_file() {
                return Err(invalid(format!(
                    "backup {path} lacks its object {}",
                    object.name
                )));
            }
        }
        Ok(metadata.volume_meta)
    }

    /// Backs `source` up at `path`; returns how many objects it wrote. A parent
    /// makes it incremental: only the blocks whose checksums differ are stored.
    pub fn write(&self, path: &str, source: &Source<'_>) -> std::io::Result<u64> {
        let dir = self.dir(path)?;
        if dir.join(METADATA).exists() {
            return Err(invalid(format!("backup {path} already has data")));
        }
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o770)
                .create(&dir)?;
        }
        let block_size = self.block_size.max(512);
        let parent = match source.parent {
            Some(parent) => {
                let old = self.metadata(parent)?.block_size;
                if old != block_size {
                    return Err(invalid(format!(
                        "Hash block size has changed since the last backup. New hash block size: {block_size}. Old hash block size: {old}. Do a full backup."
                    )));
                }
                Some(self.shas(parent)?)
            }
            None => None,
        };
        let mut input = BufReader::with_capacity(1 << 20, File::open(source.data)?);
        let size = input.get_ref().metadata()?.len();
        let mut block = vec![0u8; block_size as usize];
        let zeros = vec![0u8; block_size as usize];
        // Volumes are mostly sparse: a block of zeros is hashed once.
        let zero_sha: [u8; 32] = Sha256::digest(&zeros).into();
        let mut shas = Vec::with_capacity(size.div_ceil(block_size) as usize);
        let mut objects = Vec::new();
        let mut open: Option<(Object, ObjectWriter)> = None;
        let mut offset = 0u64;
        while offset < size {
            let length = block_size.min(size - offset) as usize;
            input.read_exact(&mut block[..length])?;
            let data = &block[..length];
            let zero = data == &zeros[..length];
            let sha: [u8; 32] = if zero && length == zeros.len() {
                zero_sha
            } else {
                Sha256::digest(data).into()
            };
            let index = shas.len();
            let store = match &parent {
                Some(old) => old.get(index) != Some(&sha),
                None => !zero,
            };
            shas.push(sha);
            if !store {
                if let Some((object, writer)) = open.take() {
                    writer.finish()?;
                    objects.push(object);
                }
                offset += length as u64;
                continue;
            }
            let full = open
                .as_ref()
                .is_some_and(|(o, _)| o.length + length as u64 > self.object_size);
            if full {
                if let Some((object, writer)) = open.take() {
                    writer.finish()?;
                    objects.push(object);
                }
            }
            let (object, writer) = match &mut open {
                Some(current) => current,
                None => {
                    let name = format!("obj-{:05}", objects.len() + 1);
                    let writer = ObjectWriter::create(&dir.join(&name), self.compression)?;
                    open.insert((
                        Object {
                            name,
                            offset,
                            length: 0,
                        },
                        writer,
                    ))
                }
            };
            writer.write_all(data)?;
            object.length += length as u64;
            offset += length as u64;
        }
        if let Some((object, writer)) = open.take() {
            writer.finish()?;
            objects.push(object);
        }
        create_file(&dir.join(SHAS))?.write_all(&shas.concat())?;
        let count = objects.len() as u64;
        let metadata = Metadata {
            version: 1,
            backup_id: source.backup_id.into(),
            volume_id: source.volume_id.into(),
            size,
            block_size,
            compression: self.compression,
            parent: source.parent.map(str::to_string),
            objects,
            volume_meta: source.volume_meta.clone(),
        };
        let staged = dir.join(format!("{METADATA}.part"));
        let mut file = create_file(&staged)?;
        file.write_all(&serde_json::to_vec(&metadata).map_err(|e| invalid(e.to_string()))?)?;
        file.sync_all()?;
        std::fs::rename(staged, dir.join(METADATA))?;
        Ok(count)
    }

    /// Writes the backup at `path` (its chain of parents first) into `target`,
    /// a raw image it creates of the backed-up size; returns the backup's
    /// volume metadata.
    pub fn restore(&self, path: &str, target: &Path) -> std::io::Result<serde_json::Value> {
        let mut chain = vec![self.metadata(path)?];
        while let Some(parent) = chain.last().and_then(|m| m.parent.clone()) {
            if chain.len() >= MAX_CHAIN {
                return Err(invalid(format!("backup {path} has too many parents")));
            }
            chain.push(self.metadata(&parent)?);
        }
        let size = chain[0].size;
        let mut out = File::create(target)?;
        out.set_len(size)?;
        let mut paths = vec![path.to_string()];
        paths.extend(chain.iter().filter_map(|m| m.parent.clone()));
        for (metadata, at) in chain.iter().zip(&paths).rev() {
            let dir = self.dir(at)?;
            for object in &metadata.objects {
                if !valid_name(&object.name)
                    || object
                        .offset
                        .checked_add(object.length)
                        .is_none_or(|end| end > size)
                {
                    return Err(invalid(format!("backup {at} has a bad object entry")));
                }
                let file = BufReader::new(File::open(dir.join(&object.name))?);
                let mut reader: Box<dyn Read> = match metadata.compression {
                    Compression::None => Box::new(file),
                    Compression::Zlib => Box::new(flate2::bufread::ZlibDecoder::new(file)),
                };
                out.seek(SeekFrom::Start(object.offset))?;
                let copied = std::io::copy(&mut (&mut reader).take(object.length), &mut out)?;
                if copied != object.length {
                    return Err(invalid(format!(
                        "object {} of backup {at} is short",
                        object.name
                    )));
                }
            }
        }
        out.sync_all()?;
        Ok(chain.swap_remove(0).volume_meta)
    }

    /// Removes the backup at `path`; already gone is not an error.
    pub fn delete(&self, path: &str) -> std::io::Result<()> {
        let dir = self.dir(path)?;
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // A container of Cinder's default name (`.../<id>`) goes with its
        // backup when empty; one a user named may hold others' backups.
        let id = path
            .rsplit('/')
            .next()
            .and_then(|d| d.strip_prefix("backup_"));
        if let (Some(container), Some(id)) = (dir.parent(), id) {
            if container.file_name().and_then(|n| n.to_str()) == Some(id) {
                let _ = std::fs::remove_dir(container);
            }
        }
        Ok(())
    }
}

/// One object being written.
enum ObjectWriter {
    Plain(BufWriter<File>),
    Zlib(flate2::write::ZlibEncoder<BufWriter<File>>),
}

impl ObjectWriter {
    fn create(path: &Path, compression: Compression) -> std::io::Result<ObjectWriter> {
        let file = BufWriter::new(create_file(path)?);
        Ok(match compression {
            Compression::None => ObjectWriter::Plain(file),
            Compression::Zlib => ObjectWriter::Zlib(flate2::write::ZlibEncoder::new(
                file,
                flate2::Compression::fast(),
            )),
        })
    }

    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            ObjectWriter::Plain(w) => w.write_all(data),
            ObjectWriter::Zlib(w) => w.write_all(data),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        let file = match self {
            ObjectWriter::Plain(w) => w,
            ObjectWriter::Zlib(w) => w.finish()?,
        };
        file.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository(compression: Compression) -> (Repository, PathBuf) {
        let root = std::env::temp_dir().join(format!("ferro-backups-{}", uuid::Uuid::new_v4()));
        let repo = Repository {
            root: root.clone(),
            block_size: 4096,
            object_size: 3 * 4096,
            compression,
        };
        (repo, root)
    }

    fn source<'a>(id: &'a str, data: &'a Path, parent: Option<&'a str>) -> Source<'a> {
        Source {
            backup_id: id,
            volume_id: "vol",
            data,
            parent,
            volume_meta: serde_json::json!({"metadata": {"k": id}}),
        }
    }

    #[test]
    fn full_and_incremental_backups_restore_what_was_written() {
        for compression in [Compression::Zlib, Compression::None] {
            let (repo, root) = repository(compression);
            std::fs::create_dir_all(&root).unwrap();
            let image = root.join("volume.raw");
            // 16 blocks: data in blocks 1-5 (two objects at most 3 blocks) and 9.
            let mut data = vec![0u8; 16 * 4096];
            data[4096..6 * 4096].fill(7);
            data[9 * 4096 + 10] = 1;
            std::fs::write(&image, &data).unwrap();
            assert_eq!(
                repo.write("c/full", &source("full", &image, None)).unwrap(),
                3
            );
            // Change block 2 to zeros and block 12 to data: two one-block objects.
            data[2 * 4096..3 * 4096].fill(0);
            data[12 * 4096] = 9;
            std::fs::write(&image, &data).unwrap();
            let written = repo
                .write("c/incr", &source("incr", &image, Some("c/full")))
                .unwrap();
            assert_eq!(written, 2);
            let out = root.join("restored.raw");
            let meta = repo.restore("c/incr", &out).unwrap();
            assert_eq!(meta["metadata"]["k"], "incr");
            assert_eq!(std::fs::read(&out).unwrap(), data);
            // The full backup still restores as it was.
            repo.restore("c/full", &out).unwrap();
            let restored = std::fs::read(&out).unwrap();
            assert_eq!(restored[2 * 4096], 7);
            assert_eq!(restored[12 * 4096], 0);
            assert!(repo.verify("c/incr").is_ok());
            repo.delete("c/incr").unwrap();
            repo.delete("c/incr").unwrap();
            assert!(repo.verify("c/incr").is_err());
            std::fs::remove_dir_all(root).unwrap();
        }
    }

    #[test]
    fn paths_outside_the_repository_and_rewrites_are_refused() {
        let (repo, root) = repository(Compression::Zlib);
        for bad in [
            "../x",
            "c/..",
            "c",
            "c//e",
            "/etc/x",
            ".hidden/x",
            "c/x y",
            "a/b/c/d/e/f/g/h/i",
        ] {
            let err = repo.verify(bad).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{bad}");
            assert!(repo.delete(bad).is_err(), "{bad}");
        }
        std::fs::create_dir_all(&root).unwrap();
        let image = root.join("volume.raw");
        std::fs::write(&image, vec![1u8; 4096]).unwrap();
        repo.write("c/one", &source("one", &image, None)).unwrap();
        assert!(repo.write("c/one", &source("one", &image, None)).is_err());
        let other = Repository {
            block_size: 8192,
            ..repo.clone()
        };
        let err = other
            .write("c/two", &source("two", &image, Some("c/one")))
            .unwrap_err();
        assert!(err.to_string().contains("Do a full backup"), "{err}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn corrupt_entries_fail_the_restore() {
        let (repo, root) = repository(Compression::None);
        std::fs::create_dir_all(&root).unwrap();
        let image = root.join("volume.raw");
        std::fs::write(&image, vec![1u8; 8192]).unwrap();
        repo.write("c/one", &source("one", &image, None)).unwrap();
        let meta = root.join("c/one").join(METADATA);
        let text = std::fs::read_to_string(&meta).unwrap();
        std::fs::write(&meta, text.replace("\"offset\":0", "\"offset\":8000")).unwrap();
        let err = repo.restore("c/one", &root.join("out.raw")).unwrap_err();
        assert!(err.to_string().contains("bad object entry"), "{err}");
        std::fs::write(&meta, text.replace("obj-00001", "../../x")).unwrap();
        assert!(repo.restore("c/one", &root.join("out.raw")).is_err());
        std::fs::remove_dir_all(root).unwrap();
    }
}
