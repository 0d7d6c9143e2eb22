//! Evidence bytes (photos, signatures, documents) on disk, named by their
//! SHA-256.
//!
//! A blob is uploaded in chunks into `blobs/partial/<hash>.<device>` and
//! becomes `blobs/<first two hex digits>/<hash>` only once all of its bytes
//! are in and their hash is the name: a file under a shard directory is
//! always whole and correct, whatever crashed when. Each device uploads
//! into its own partial file: anyone in the case's scope may upload its
//! blobs (`api::blobs`), and bytes another device appended to a shared
//! partial file would make the honest tablet's last chunk fail the hash,
//! again at every try. The first upload to settle deletes the others. Each accepted chunk is synced
//! to disk before it is acknowledged, so the offset a client is told to
//! resume from survives a server crash.
//!
//! A crash in the middle of a chunk can leave the partial file longer than
//! what was acknowledged, even with bytes the disk never got (zeros); the
//! device resumes from whatever length `HEAD` reports, and such a blob
//! fails its hash at the end and is uploaded again from the start. One
//! that reached its full length but was never checked (the crash came
//! after the last chunk) is checked when a device next asks how far it
//! came ([`BlobStore::progress_toward`]).
//!
//! The same bytes are stored once however many cases reference them. Which
//! cases do, and who may read them, is the database's business, not this
//! module's: there is no SQL here.

use shared::blob::{BlobHash, BlobHasher};
use shared::id::DeviceId;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// After how many days untouched an upload is taken for abandoned
/// ([`BlobStore::partials_of`]): longer than any tablet is expected to
/// stay offline with a photo half sent.
const ABANDONED_UPLOAD_DAYS: u64 = 90;

/// The blob directory next to the database.
pub struct BlobStore {
    root: PathBuf,
    /// Appends, completions and removals run one at a time: chunks are
    /// small and a tablet uploads one blob at a time, and this keeps two
    /// uploads of the same bytes from interleaving in one partial file.
    /// Within this process by the mutex; across the servers that share the
    /// directory (several servers on one PostgreSQL, `README.md`) by an
    /// advisory lock on this file, `partial/.writing`: a tablet that gave
    /// up waiting on one server sends the same chunk to another.
    writing: Mutex<File>,
    /// Whether the directory's file system takes locks. One that does not
    /// (NFSv3 without lockd, some FUSE mounts) still serves one server:
    /// said at start, and the process mutex alone orders the writes.
    locks: bool,
}

/// The right to write, held until dropped.
struct Writing<'a> {
    file: MutexGuard<'a, File>,
    locked: bool,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.locked
            && let Err(e) = self.file.unlock()
        {
            tracing::error!(error = %e, "could not release the blob directory's lock");
        }
    }
}

/// Where an upload stands after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// This many bytes are stored; send the rest from here.
    Partial(u64),
    /// The blob is whole and its hash checked.
    Complete,
}

/// Why a chunk was refused.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The chunk does not start where the stored bytes end.
    #[error("the upload continues at byte {have}, not at byte {offset}")]
    WrongOffset {
        /// Where the chunk said it starts.
        offset: u64,
        /// How many bytes are stored.
        have: u64,
    },
    /// The chunk would make the blob longer than its attachment says.
    #[error("the blob is {size} bytes; this chunk would end at byte {end}")]
    TooLong {
        /// The size the attach op declared.
        size: u64,
        /// Where the chunk would end.
        end: u64,
    },
    /// All bytes arrived but they hash to something else; they are deleted.
    #[error("the bytes received hash to {actual}, not to their name")]
    HashMismatch {
        /// What they hash to.
        actual: BlobHash,
    },
    /// The disk failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What `server check` found wrong with a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobDamage {
    /// The name the file is stored under.
    pub name: String,
    /// What is wrong with it.
    pub problem: String,
}

impl BlobStore {
    /// Opens (creating if needed) the blob directory `root` (`blobs/` in
    /// the data directory).
    pub fn open(root: &Path) -> io::Result<BlobStore> {
        let root = root.to_path_buf();
        fs::create_dir_all(root.join("partial"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join("partial").join(".writing"))?;
        let locks = match lock.try_lock() {
            Ok(()) => {
                lock.unlock()?;
                true
            }
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(
                    error = %e,
                    dir = %root.display(),
                    "the blob directory takes no file locks: servers sharing it could interleave an upload"
                );
                false
            }
        };
        Ok(BlobStore {
            root,
            writing: Mutex::new(lock),
            locks,
        })
    }

    /// Waits until no other writer, in this process or another, writes.
    fn writing(&self) -> io::Result<Writing<'_>> {
        let file = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if self.locks {
            file.lock()?;
        }
        Ok(Writing {
            file,
            locked: self.locks,
        })
    }

    /// Where a whole blob lives.
    pub fn path(&self, hash: &BlobHash) -> PathBuf {
        let hex = hash.to_string();
        self.root.join(&hex[..2]).join(hex)
    }

    /// Where `device`'s upload of a blob gathers.
    fn partial_path(&self, hash: &BlobHash, device: DeviceId) -> PathBuf {
        self.root.join("partial").join(format!("{hash}.{device}"))
    }

    /// Every partial file of a blob, whichever device uploads it (also one
    /// named by the hash alone, from a server before uploads were kept
    /// apart by device, and a restore's staging copy left by a crash).
    /// On the way it deletes every upload untouched for
    /// [`ABANDONED_UPLOAD_DAYS`], of whatever blob: a tablet lost or wiped
    /// in the middle of one would leave it for ever (its device, if it
    /// ever comes back, is told to start again from 0). Called with the
    /// blob lock held.
    fn partials_of(&self, hash: &BlobHash) -> io::Result<Vec<PathBuf>> {
        let abandoned = SystemTime::now()
            .checked_sub(Duration::from_secs(ABANDONED_UPLOAD_DAYS * 24 * 3600))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut paths = Vec::new();
        for entry in fs::read_dir(self.root.join("partial"))? {
            let entry = entry?;
            match blob_of_partial(&entry.file_name().to_string_lossy()) {
                Some(of) if of == *hash => paths.push(entry.path()),
                // Only uploads: never the lock file beside them.
                Some(_) => forget_if_abandoned(&entry, abandoned),
                None => {}
            }
        }
        Ok(paths)
    }

    /// Whether the whole blob is stored.
    pub fn has(&self, hash: &BlobHash) -> bool {
        self.path(hash).is_file()
    }

    /// How far `device`'s upload of a blob of `size` bytes has come, as it
    /// is told to resume from: `Complete`, or the bytes it stored so far.
    ///
    /// A partial file already `size` bytes long (or longer) was never
    /// settled: the server stopped between the last chunk and its hash
    /// check, or the disk failed the check or the move. No further chunk
    /// would come to settle it, so it is checked here: moved into place
    /// when it is the blob, else deleted, to be uploaded again from 0.
    /// An offset equal to the size thus always means the blob is whole.
    pub fn progress_toward(
        &self,
        hash: &BlobHash,
        device: DeviceId,
        size: u64,
    ) -> io::Result<Progress> {
        let _writing = self.writing()?;
        match self.progress(hash, device)? {
            Progress::Partial(have) if have >= size => {
                let partial = self.partial_path(hash, device);
                if hash_file(&partial)? == *hash {
                    self.settle(&partial, hash)?;
                    Ok(Progress::Complete)
                } else {
                    fs::remove_file(&partial)?;
                    Ok(Progress::Partial(0))
                }
            }
            progress => Ok(progress),
        }
    }

    /// How far `device`'s upload has come: `Complete`, or the bytes it
    /// stored so far (0 when nothing arrived yet).
    fn progress(&self, hash: &BlobHash, device: DeviceId) -> io::Result<Progress> {
        if self.has(hash) {
            return Ok(Progress::Complete);
        }
        let own = self.partial_path(hash, device);
        // An upload a server before uploads were kept apart by device left
        // under the hash alone: the first device to ask takes it on, so
        // that one whose bytes all came is settled, not lost.
        let legacy = self.root.join("partial").join(hash.to_string());
        if legacy.is_file() && !own.exists() {
            fs::rename(&legacy, &own)?;
        }
        match fs::metadata(own) {
            Ok(meta) => Ok(Progress::Partial(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Progress::Partial(0)),
            Err(e) => Err(e),
        }
    }

    /// Appends `chunk` at `offset` to `device`'s upload of a blob of `size`
    /// bytes. A chunk for a blob already whole is accepted and ignored, so
    /// a retried upload is harmless. The last chunk checks the hash and
    /// moves the blob into place, or deletes what this device sent.
    pub fn append(
        &self,
        hash: &BlobHash,
        device: DeviceId,
        size: u64,
        offset: u64,
        chunk: &[u8],
    ) -> Result<Progress, BlobError> {
        let _writing = self.writing()?;
        let have = match self.progress(hash, device)? {
            Progress::Complete => return Ok(Progress::Complete),
            Progress::Partial(have) => have,
        };
        if offset != have {
            return Err(BlobError::WrongOffset { offset, have });
        }
        let end = offset + chunk.len() as u64;
        if end > size {
            return Err(BlobError::TooLong { size, end });
        }
        let partial = self.partial_path(hash, device);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)?;
        file.write_all(chunk)?;
        file.sync_data()?;
        if offset == 0 {
            // A new file's name is durable only once its directory is synced.
            File::open(self.root.join("partial"))?.sync_all()?;
        }
        if end < size {
            return Ok(Progress::Partial(end));
        }
        let actual = hash_file(&partial)?;
        if actual != *hash {
            fs::remove_file(&partial)?;
            return Err(BlobError::HashMismatch { actual });
        }
        self.settle(&partial, hash)?;
        Ok(Progress::Complete)
    }

    /// Moves a checked file into its shard directory, durably, and deletes
    /// the other devices' uploads of the same blob: none is needed now.
    fn settle(&self, from: &Path, hash: &BlobHash) -> io::Result<()> {
        let whole = self.path(hash);
        let shard = whole
            .parent()
            .expect("a blob path is <root>/<shard>/<hash>, so it has a parent");
        if !shard.is_dir() {
            fs::create_dir_all(shard)?;
            // The new shard's name is durable only once the root is synced.
            File::open(&self.root)?.sync_all()?;
        }
        fs::rename(from, &whole)?;
        // The rename is durable only once the directory is synced.
        File::open(shard)?.sync_all()?;
        for other in self.partials_of(hash)? {
            remove_if_present(&other)?;
        }
        Ok(())
    }

    /// Copies every whole blob into `dir` (created; same layout), for a
    /// backup. Returns how many were copied.
    pub fn copy_to(&self, dir: &Path) -> io::Result<u64> {
        let mut copied = 0;
        fs::create_dir_all(dir)?;
        let mut shards = BTreeSet::new();
        for (name, path) in whole_files(&self.root)? {
            let shard = dir.join(name.get(..2).unwrap_or("xx"));
            fs::create_dir_all(&shard)?;
            let to = shard.join(&name);
            match fs::copy(&path, &to) {
                Ok(_) => {}
                // Deleted since it was listed (a retention deletion): no
                // case of the copy made after it references it any more.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            File::open(&to)?.sync_all()?;
            shards.insert(shard);
            copied += 1;
        }
        for shard in shards {
            File::open(shard)?.sync_all()?;
        }
        File::open(dir)?.sync_all()?;
        Ok(copied)
    }

    /// Takes in every blob of a backup's blob directory `dir` that is not
    /// stored yet (or stored damaged), each checked against its name first: a damaged file in
    /// the backup is skipped and named in the answer. Returns (blobs taken
    /// in, names skipped).
    pub fn import_from(&self, dir: &Path) -> io::Result<(u64, Vec<String>)> {
        let _writing = self.writing()?;
        let mut taken = 0;
        let mut skipped = Vec::new();
        for (name, path) in whole_files(dir)? {
            let Ok(hash) = name.parse::<BlobHash>() else {
                skipped.push(name);
                continue;
            };
            // A stored blob stays, unless it is damaged: then the backup's
            // (checked) copy replaces it.
            if self.has(&hash) && hash_file(&self.path(&hash))? == hash {
                continue;
            }
            let staging = self.root.join("partial").join(format!("{hash}.restoring"));
            fs::copy(&path, &staging)?;
            if hash_file(&staging)? != hash {
                fs::remove_file(&staging)?;
                skipped.push(name);
                continue;
            }
            File::open(&staging)?.sync_all()?;
            self.settle(&staging, &hash)?;
            taken += 1;
        }
        Ok((taken, skipped))
    }

    /// Opens a whole blob for reading, `None` when it is not (yet) stored.
    pub fn open_blob(&self, hash: &BlobHash) -> io::Result<Option<File>> {
        match File::open(self.path(hash)) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a blob (whole, and every device's upload of it); nothing
    /// happens when it is absent.
    pub fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        let _writing = self.writing()?;
        remove_if_present(&self.path(hash))?;
        for partial in self.partials_of(hash)? {
            remove_if_present(&partial)?;
        }
        Ok(())
    }

    /// Every whole blob's hash, sorted.
    pub fn list(&self) -> io::Result<Vec<BlobHash>> {
        let mut hashes = Vec::new();
        for (name, _) in whole_files(&self.root)? {
            if let Ok(hash) = name.parse() {
                hashes.push(hash);
            }
        }
        hashes.sort();
        Ok(hashes)
    }

    /// Every blob with bytes stored, whole or partly uploaded, sorted.
    pub fn list_with_partial(&self) -> io::Result<Vec<BlobHash>> {
        let mut hashes = self.list()?;
        for entry in fs::read_dir(self.root.join("partial"))? {
            if let Some(hash) = blob_of_partial(&entry?.file_name().to_string_lossy()) {
                hashes.push(hash);
            }
        }
        hashes.sort();
        hashes.dedup();
        Ok(hashes)
    }

    /// Re-hashes every stored blob: a file whose name is not its hash, or
    /// that is not a hash at all, is damage.
    pub fn verify(&self) -> io::Result<Vec<BlobDamage>> {
        let mut damage = Vec::new();
        for (name, path) in whole_files(&self.root)? {
            let problem = match name.parse::<BlobHash>() {
                Err(_) => "the file name is not a SHA-256".to_string(),
                Ok(hash) => match hash_file(&path)? {
                    actual if actual == hash => continue,
                    actual => format!("the content hashes to {actual}"),
                },
            };
            damage.push(BlobDamage { name, problem });
        }
        Ok(damage)
    }
}

/// Deletes the upload `entry` if it was last written before `abandoned`.
/// Best effort: the sweep rides along a blob's own work, which must not
/// fail for a file it was not about (one gone meanwhile, one it may not
/// touch); what it could not delete it says, and tries again next time.
fn forget_if_abandoned(entry: &fs::DirEntry, abandoned: SystemTime) {
    let old = entry
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|at| at < abandoned);
    if old && let Err(e) = remove_if_present(&entry.path()) {
        tracing::warn!(file = %entry.path().display(), "an abandoned upload was not deleted: {e}");
    }
}

/// The blob a file of `partial/` is an upload of: named `<hash>.<device>`
/// (or `<hash>` alone by a server before uploads were kept apart).
fn blob_of_partial(name: &str) -> Option<BlobHash> {
    name.split('.').next()?.parse().ok()
}

/// Deletes a file; one already gone is no error.
fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// (file name, path) of every file in a shard directory of the blob
/// directory `root`, sorted.
fn whole_files(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    if !root.is_dir() {
        return Ok(files);
    }
    for shard in fs::read_dir(root)? {
        let shard = shard?;
        if shard.file_name() == "partial" || !shard.file_type()?.is_dir() {
            continue;
        }
        for entry in fs::read_dir(shard.path())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// The SHA-256 of a file, read in pieces.
fn hash_file(path: &Path) -> io::Result<BlobHash> {
    let mut file = File::open(path)?;
    let mut hasher = BlobHasher::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The device that uploads, in most tests.
    const TABLET: DeviceId = DeviceId(uuid::Uuid::from_u128(1));

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = BlobStore::open(&dir.path().join("blobs")).expect("open");
        (dir, store)
    }

    #[test]
    fn chunks_make_a_blob_once_the_hash_holds() {
        let (_dir, blobs) = store();
        let bytes = b"a photo of the leaking ceiling".to_vec();
        let hash = BlobHash::of(&bytes);
        let size = bytes.len() as u64;
        assert_eq!(blobs.progress(&hash, TABLET).unwrap(), Progress::Partial(0));
        assert_eq!(
            blobs.append(&hash, TABLET, size, 0, &bytes[..10]).unwrap(),
            Progress::Partial(10)
        );
        // Reopened (a restart), the upload stands where it stood.
        let blobs = BlobStore::open(&blobs.root).unwrap();
        assert_eq!(
            blobs.progress(&hash, TABLET).unwrap(),
            Progress::Partial(10)
        );
        assert!(matches!(
            blobs.append(&hash, TABLET, size, 5, &bytes[5..]),
            Err(BlobError::WrongOffset {
                offset: 5,
                have: 10
            })
        ));
        assert!(matches!(
            blobs.append(&hash, TABLET, size, 10, &[0; 100]),
            Err(BlobError::TooLong { .. })
        ));
        assert_eq!(
            blobs.append(&hash, TABLET, size, 10, &bytes[10..]).unwrap(),
            Progress::Complete
        );
        assert!(blobs.has(&hash));
        assert_eq!(fs::read(blobs.path(&hash)).unwrap(), bytes);
        // Again: nothing changes.
        assert_eq!(
            blobs.append(&hash, TABLET, size, 0, &bytes).unwrap(),
            Progress::Complete
        );
        assert_eq!(blobs.list().unwrap(), vec![hash]);
        assert!(blobs.verify().unwrap().is_empty());
    }

    #[test]
    fn a_whole_length_upload_never_settled_is_settled_or_dropped_when_asked() {
        let (_dir, blobs) = store();
        let bytes = b"the complainant's signature".to_vec();
        let hash = BlobHash::of(&bytes);
        let size = bytes.len() as u64;
        // The last chunk was synced, then the server stopped before its
        // hash check: no chunk is left to send that would settle it.
        fs::write(blobs.partial_path(&hash, TABLET), &bytes).unwrap();
        assert_eq!(
            blobs.progress_toward(&hash, TABLET, size).unwrap(),
            Progress::Complete
        );
        assert_eq!(fs::read(blobs.path(&hash)).unwrap(), bytes);
        assert!(!blobs.partial_path(&hash, TABLET).exists());

        // Zeros the disk never wrote, or bytes past the size: uploaded again.
        let other = b"a photo of the stairwell".to_vec();
        let other_hash = BlobHash::of(&other);
        for stored in [vec![0; other.len()], [other.clone(), vec![0; 3]].concat()] {
            fs::write(blobs.partial_path(&other_hash, TABLET), &stored).unwrap();
            assert_eq!(
                blobs
                    .progress_toward(&other_hash, TABLET, other.len() as u64)
                    .unwrap(),
                Progress::Partial(0)
            );
            assert!(!blobs.has(&other_hash));
        }
        // One a server before this kept under the hash alone is taken on.
        fs::write(blobs.root.join("partial").join(hash.to_string()), &bytes).unwrap();
        fs::remove_file(blobs.path(&hash)).unwrap();
        assert_eq!(
            blobs.progress_toward(&hash, TABLET, size).unwrap(),
            Progress::Complete
        );
        assert_eq!(fs::read(blobs.path(&hash)).unwrap(), bytes);

        // A shorter partial file is an upload under way: left as it is.
        fs::write(blobs.partial_path(&other_hash, TABLET), &other[..5]).unwrap();
        assert_eq!(
            blobs
                .progress_toward(&other_hash, TABLET, other.len() as u64)
                .unwrap(),
            Progress::Partial(5)
        );
    }

    #[test]
    fn another_devices_bytes_never_spoil_an_upload() {
        let (_dir, blobs) = store();
        let colleague = DeviceId(uuid::Uuid::from_u128(2));
        let bytes = b"a photo of the broken gate, taken on the tablet".to_vec();
        let hash = BlobHash::of(&bytes);
        let size = bytes.len() as u64;
        blobs.append(&hash, TABLET, size, 0, &bytes[..20]).unwrap();
        // A colleague in scope sends junk for the same blob: into their own
        // upload, which fails its hash alone.
        assert_eq!(
            blobs.progress(&hash, colleague).unwrap(),
            Progress::Partial(0)
        );
        blobs.append(&hash, colleague, size, 0, &[7; 20]).unwrap();
        assert!(matches!(
            blobs.append(&hash, colleague, size, 20, &bytes[20..]),
            Err(BlobError::HashMismatch { .. })
        ));
        blobs.append(&hash, colleague, size, 0, &[7; 5]).unwrap();
        assert_eq!(
            blobs.progress(&hash, TABLET).unwrap(),
            Progress::Partial(20)
        );
        assert_eq!(
            blobs.append(&hash, TABLET, size, 20, &bytes[20..]).unwrap(),
            Progress::Complete
        );
        assert_eq!(fs::read(blobs.path(&hash)).unwrap(), bytes);
        // The whole blob ends every other upload of it.
        assert!(blobs.partials_of(&hash).unwrap().is_empty());
        assert_eq!(blobs.list_with_partial().unwrap(), vec![hash]);
    }

    #[test]
    fn an_upload_left_for_months_goes_when_another_ends() {
        let (_dir, blobs) = store();
        let lost = BlobHash::of(b"a photo on a tablet lost mid-upload");
        let recent = BlobHash::of(b"a photo whose upload goes on tomorrow");
        let aged = |path: &Path, days: u64| {
            File::options()
                .append(true)
                .open(path)
                .unwrap()
                .set_modified(SystemTime::now() - Duration::from_secs(days * 24 * 3600))
                .unwrap();
        };
        for (hash, days) in [(lost, ABANDONED_UPLOAD_DAYS + 1), (recent, 3)] {
            blobs.append(&hash, TABLET, 100, 0, b"first bytes").unwrap();
            aged(&blobs.partial_path(&hash, TABLET), days);
        }
        // The lock file beside them is only ever locked, never written.
        let lock = blobs.root.join("partial").join(".writing");
        assert!(lock.is_file());
        aged(&lock, ABANDONED_UPLOAD_DAYS + 1);
        let bytes = b"a signature uploaded whole".to_vec();
        let hash = BlobHash::of(&bytes);
        blobs
            .append(&hash, TABLET, bytes.len() as u64, 0, &bytes)
            .unwrap();
        assert_eq!(blobs.progress(&lost, TABLET).unwrap(), Progress::Partial(0));
        assert_eq!(
            blobs.progress(&recent, TABLET).unwrap(),
            Progress::Partial(11)
        );
        assert!(lock.is_file(), "the lock file stays");
    }

    #[test]
    fn a_mismatch_keeps_nothing() {
        let (_dir, blobs) = store();
        let hash = BlobHash::of(b"signature");
        assert!(matches!(
            blobs.append(&hash, TABLET, 9, 0, b"signaturE"),
            Err(BlobError::HashMismatch { .. })
        ));
        assert!(!blobs.has(&hash));
        assert_eq!(blobs.progress(&hash, TABLET).unwrap(), Progress::Partial(0));
        assert!(blobs.list().unwrap().is_empty());
    }

    #[test]
    fn two_servers_on_one_directory_write_one_at_a_time() {
        let (_dir, one) = store();
        let other = BlobStore::open(&one.root).unwrap();
        let bytes = b"a photo sent again to the other server".to_vec();
        let hash = BlobHash::of(&bytes);
        let size = bytes.len() as u64;
        let held = one.writing().unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            let progress = other.append(&hash, TABLET, size, 0, &bytes);
            done.send(()).unwrap();
            progress.unwrap()
        });
        // Without the lock across processes the other server's append
        // finishes at once; with it, it waits for as long as this one holds
        // it.
        assert!(
            finished
                .recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the other server wrote while this one held the directory"
        );
        drop(held);
        assert_eq!(writer.join().unwrap(), Progress::Complete);
        assert!(one.has(&hash));
    }

    #[test]
    fn verify_finds_a_file_changed_on_disk() {
        let (_dir, blobs) = store();
        let hash = BlobHash::of(b"document");
        blobs.append(&hash, TABLET, 8, 0, b"document").unwrap();
        fs::write(blobs.path(&hash), b"Document").unwrap();
        let damage = blobs.verify().unwrap();
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].name, hash.to_string());
        assert!(
            damage[0]
                .problem
                .contains(&BlobHash::of(b"Document").to_string())
        );
    }

    #[test]
    fn a_backup_copy_is_taken_in_checked() {
        let (dir, blobs) = store();
        let good = BlobHash::of(b"good");
        let bad = BlobHash::of(b"bad");
        blobs.append(&good, TABLET, 4, 0, b"good").unwrap();
        blobs.append(&bad, TABLET, 3, 0, b"bad").unwrap();
        let copy = dir.path().join("backup.blobs");
        assert_eq!(blobs.copy_to(&copy).unwrap(), 2);
        let bad_copy = copy.join(&bad.to_string()[..2]).join(bad.to_string());
        fs::write(bad_copy, b"BAD").unwrap();
        let restored = BlobStore::open(&dir.path().join("restored")).unwrap();
        let (taken, skipped) = restored.import_from(&copy).unwrap();
        assert_eq!((taken, skipped), (1, vec![bad.to_string()]));
        assert!(restored.has(&good) && !restored.has(&bad));
        blobs.remove(&good).unwrap();
        assert!(!blobs.has(&good));
    }
}
