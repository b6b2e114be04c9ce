//! The uploads folder: files deposited through the pages for a job to read, under the data
//! directory that `mutualis serve` and `mutualis worker` share. A job's payload names its file
//! by its name in this folder, never by a path.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The folder where uploads wait for their job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploads {
    dir: PathBuf,
}

impl Uploads {
    pub fn new(dir: impl Into<PathBuf>) -> Uploads {
        Uploads { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new empty file in the folder (created when missing), named `PREFIX-UUID.upload`; it
    /// is deleted when dropped unless [`Upload::keep`] is called.
    pub fn create(&self, prefix: &str) -> io::Result<Upload> {
        std::fs::create_dir_all(&self.dir)?;
        let name = format!("{prefix}-{}.upload", uuid::Uuid::new_v4().simple());
        let path = self.dir.join(&name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Upload {
            file,
            path,
            name,
            kept: false,
        })
    }

    /// The path of the upload named `name`; `None` for a name that is not a bare file name of
    /// this folder (a separator, `..`).
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        let bare = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\', '\0'])
            && Path::new(name).file_name() == Some(std::ffi::OsStr::new(name));
        bare.then(|| self.dir.join(name))
    }

    /// Deletes the upload named `name`, if it is there.
    pub fn remove(&self, name: &str) {
        if let Some(path) = self.path(name) {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "an upload could not be deleted");
                }
            }
        }
    }
}

/// A file being received, deleted when dropped unless kept (an upload cut short leaves
/// nothing behind).
#[derive(Debug)]
pub struct Upload {
    file: File,
    path: PathBuf,
    name: String,
    kept: bool,
}

impl Upload {
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The upload is complete: it stays for its job. Its name in the folder.
    pub fn keep(mut self) -> String {
        self.kept = true;
        std::mem::take(&mut self.name)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test that cannot unwrap has failed
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_upload_stays_only_when_kept_and_names_never_leave_the_folder() {
        let uploads = Uploads::new(std::env::temp_dir().join("mutualis-app-uploads-test"));
        let mut dropped = uploads.create("decp").unwrap();
        dropped.file().write_all(b"{}").unwrap();
        let dropped_path = dropped.path.clone();
        drop(dropped);
        assert!(!dropped_path.exists());

        let mut kept = uploads.create("decp").unwrap();
        kept.file().write_all(b"{}").unwrap();
        let name = kept.keep();
        let path = uploads.path(&name).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        uploads.remove(&name);
        assert!(!path.exists());
        uploads.remove(&name);

        for bad in ["", "..", "../x", "a/b", "/etc/passwd", ".hidden", "a\\b"] {
            assert_eq!(uploads.path(bad), None, "{bad}");
        }
    }
}
