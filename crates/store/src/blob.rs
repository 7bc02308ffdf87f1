//! Blob storage: the bytes of S3 objects and parts, kept in files beside the database and never
//! in records. A record names its blob by [`BlobId`].
//!
//! Durability protocol (the caller's side): stream the bytes into a [`BlobWriter`], `finish` it
//! (the temp file is fsynced), [`StagedBlob::persist`] it (rename into place, fsync the
//! directory), and only THEN commit the record naming the blob. A blob is deleted only after the
//! record naming it is gone. A crash can so leave an unreferenced blob behind, never a record
//! without its bytes. A [`StagedBlob`] dropped without `persist` removes its temp file.
//!
//! Security: blob ids are random (OS RNG) and checked to be hex before they touch a path, so a
//! stored id can never name a file outside the blob directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// A blob's name: 32 lowercase hex digits.
pub type BlobId = String;

/// Where blob bytes live.
pub trait BlobStore: Send + Sync + 'static {
    /// Starts a new blob in a temp file.
    fn writer(&self) -> Result<Box<dyn BlobWriter>, StoreError>;

    /// Opens a persisted blob for reading.
    fn open(&self, id: &str) -> Result<Box<dyn BlobReader>, StoreError>;

    /// Removes a persisted blob; a missing blob is not an error.
    fn delete(&self, id: &str) -> Result<(), StoreError>;
}

/// A blob being written. Drop it (or its [`StagedBlob`]) to discard the bytes.
pub trait BlobWriter: Write + Send {
    /// Flushes and fsyncs the temp file; the bytes are ready to [`StagedBlob::persist`].
    fn finish(self: Box<Self>) -> Result<Box<dyn StagedBlob>, StoreError>;

    /// Bytes written so far.
    fn written(&self) -> u64;
}

/// A complete, fsynced blob not yet in place.
pub trait StagedBlob: Send + Sync {
    /// Its length in bytes.
    fn len(&self) -> u64;

    /// Whether it has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the blob into place durably (rename, fsync of the directory) and returns its id.
    fn persist(self: Box<Self>) -> Result<BlobId, StoreError>;
}

/// A persisted blob opened for reading.
pub trait BlobReader: Read + Seek + Send {
    /// Its length in bytes.
    fn len(&self) -> u64;

    /// Whether it has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Blobs as files under one directory: `DIR/ab/abcdef…` (two-hex fan-out), temp files in
/// `DIR/tmp/`.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    dir: PathBuf,
}

fn io_err(op: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { op, path: path.to_owned(), source }
}

fn new_id() -> Result<BlobId, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        io_err("draw a blob id for", Path::new("blobs"), io::Error::other(e.to_string()))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn fsync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err("fsync the directory", dir, e))
}

impl FsBlobStore {
    /// Opens (creating if needed) the blob directory `dir` and removes temp files a crash left.
    pub fn open(dir: &Path) -> Result<FsBlobStore, StoreError> {
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| io_err("create the blob directory", &tmp, e))?;
        if let Ok(entries) = fs::read_dir(&tmp) {
            for entry in entries.flatten() {
                // Leftovers of interrupted uploads: nothing refers to them.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(FsBlobStore { dir: dir.to_owned() })
    }

    /// The blob directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: &str) -> Result<PathBuf, StoreError> {
        if !valid_id(id) {
            return Err(io_err(
                "resolve the blob",
                &self.dir,
                io::Error::new(io::ErrorKind::InvalidInput, "invalid blob id"),
            ));
        }
        let fan = id.get(..2).unwrap_or("00");
        Ok(self.dir.join(fan).join(id))
    }
}

impl BlobStore for FsBlobStore {
    fn writer(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        let id = new_id()?;
        let temp = self.dir.join("tmp").join(&id);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| io_err("create the temp blob", &temp, e))?;
        Ok(Box::new(FsWriter {
            store: self.clone(),
            id,
            temp: Some(temp),
            file: Some(io::BufWriter::with_capacity(256 * 1024, file)),
            written: 0,
        }))
    }

    fn open(&self, id: &str) -> Result<Box<dyn BlobReader>, StoreError> {
        let path = self.path_of(id)?;
        let file = File::open(&path).map_err(|e| io_err("open the blob", &path, e))?;
        let len = file.metadata().map_err(|e| io_err("stat the blob", &path, e))?.len();
        Ok(Box::new(FsReader { file, len }))
    }

    fn delete(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path_of(id)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("delete the blob", &path, e)),
        }
    }
}

struct FsWriter {
    store: FsBlobStore,
    id: BlobId,
    /// `None` once handed to the staged blob.
    temp: Option<PathBuf>,
    file: Option<io::BufWriter<File>>,
    written: u64,
}

impl Write for FsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("blob writer finished"))?;
        let n = file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl BlobWriter for FsWriter {
    fn finish(mut self: Box<Self>) -> Result<Box<dyn StagedBlob>, StoreError> {
        let temp = self.temp.take().unwrap_or_default();
        let file = self.file.take().ok_or_else(|| {
            io_err("finish the temp blob", &temp, io::Error::other("already finished"))
        })?;
        let staged = FsStaged {
            store: self.store.clone(),
            id: std::mem::take(&mut self.id),
            temp: Some(temp.clone()),
            len: self.written,
        };
        let file = file.into_inner().map_err(|e| io_err("write the temp blob", &temp, e.into()))?;
        file.sync_all().map_err(|e| io_err("fsync the temp blob", &temp, e))?;
        Ok(Box::new(staged))
    }

    fn written(&self) -> u64 {
        self.written
    }
}

impl Drop for FsWriter {
    fn drop(&mut self) {
        drop(self.file.take());
        if let Some(t) = self.temp.take() {
            let _ = fs::remove_file(t);
        }
    }
}

struct FsStaged {
    store: FsBlobStore,
    id: BlobId,
    /// `None` once persisted.
    temp: Option<PathBuf>,
    len: u64,
}

impl StagedBlob for FsStaged {
    fn len(&self) -> u64 {
        self.len
    }

    fn persist(mut self: Box<Self>) -> Result<BlobId, StoreError> {
        let final_path = self.store.path_of(&self.id)?;
        let parent = final_path.parent().map(Path::to_owned).unwrap_or_default();
        fs::create_dir_all(&parent).map_err(|e| io_err("create the blob directory", &parent, e))?;
        let temp = self.temp.clone().unwrap_or_default();
        fs::rename(&temp, &final_path).map_err(|e| io_err("move the blob into place", &temp, e))?;
        self.temp = None;
        fsync_dir(&parent)?;
        fsync_dir(&self.store.dir.join("tmp"))?;
        Ok(std::mem::take(&mut self.id))
    }
}

impl Drop for FsStaged {
    fn drop(&mut self) {
        if let Some(t) = self.temp.take() {
            let _ = fs::remove_file(t);
        }
    }
}

struct FsReader {
    file: File,
    len: u64,
}

impl Read for FsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Seek for FsReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl BlobReader for FsReader {
    fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn write_persist_read_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        assert_eq!(w.written(), 11);
        let staged = w.finish().unwrap();
        assert_eq!(staged.len(), 11);
        let id = staged.persist().unwrap();
        assert!(valid_id(&id));
        let mut r = store.open(&id).unwrap();
        assert_eq!(r.len(), 11);
        r.seek(SeekFrom::Start(6)).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "world");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        store.delete(&id).unwrap();
        store.delete(&id).unwrap();
        assert!(store.open(&id).is_err());
    }

    #[test]
    fn dropped_blobs_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        w.write_all(b"abandoned").unwrap();
        drop(w);
        let mut w = store.writer().unwrap();
        w.write_all(b"staged").unwrap();
        drop(w.finish().unwrap());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn ids_never_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        for bad in ["../../etc/passwd", "", "ABCDEF00000000000000000000000000", "zz"] {
            assert!(store.open(bad).is_err());
            assert!(store.delete(bad).is_err());
        }
    }
}
