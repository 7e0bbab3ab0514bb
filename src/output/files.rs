//! The one place that writes result files.
//!
//! Every file is written under a temporary name in the destination folder and renamed into place
//! only after the whole run has succeeded, so a failed or killed run never leaves a file that
//! looks complete, and never replaces the results of an earlier run with partial ones.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct OutputDir {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl OutputDir {
    /// Creates the folder if needed and checks that files can be created in it, before any
    /// simulation time is spent.
    pub fn prepare(dir: &Path) -> io::Result<OutputDir> {
        fs::create_dir_all(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create output folder {}: {e}", dir.display()),
            )
        })?;
        let out = OutputDir {
            dir: dir.to_path_buf(),
            staged: vec![],
            committed: false,
        };
        let probe = out.temp_path(".write-check");
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot write to output folder {}: {e}", dir.display()),
                )
            })?;
        Ok(out)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn temp_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.tmp-{}", std::process::id()))
    }

    /// Opens a staged file for streaming; it appears under `name` at [`commit`](Self::commit).
    pub fn create(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let tmp = self.temp_path(name);
        let file = File::create(&tmp).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", tmp.display()))
        })?;
        self.staged.push((tmp, self.dir.join(name)));
        Ok(BufWriter::new(file))
    }

    /// Stages a whole file at once.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut w = self.create(name)?;
        w.write_all(bytes)?;
        finish(w)
    }

    /// Moves every staged file into place.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut done = vec![];
        for (tmp, fin) in &self.staged {
            fs::rename(tmp, fin).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot move {} into place: {e}", fin.display()),
                )
            })?;
            done.push(fin.clone());
        }
        self.committed = true;
        Ok(done)
    }
}

/// Flushes and syncs a staged file so that a rename never exposes unwritten data.
pub fn finish(w: BufWriter<File>) -> io::Result<()> {
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.staged {
                let _ = fs::remove_file(tmp);
            }
        }
    }
}
