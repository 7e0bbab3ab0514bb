//! Reading the files a user names: every reader of an input file (scenario, prices, traces,
//! empirical samples, latency profiles, Azure ML YAML, Azure Monitor exports, and the files of an output folder that
//! `merge` and `report` read back) goes through here.
//!
//! Only regular files are read, and only up to a size limit that the error states. A path to
//! `/dev/zero` would otherwise be read until memory runs out, and a named pipe (FIFO) would block
//! the open, or the read, for ever. The file is opened without blocking (`O_NONBLOCK`, which a
//! regular file ignores) and checked on the open descriptor, so a file swapped for a pipe between
//! a check and the open cannot slip through; the read stops one byte past the limit, so a file
//! that grows while it is read is refused rather than cut.
//!
//! Errors are [`io::Error`]s (kind `InvalidInput` for these two refusals), so every caller keeps
//! its own way of naming the file and field.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The most a kind of input file may hold, and what it is called in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// `"a scenario file"`, `"a trace"`, ...
    pub what: &'static str,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A scenario file (TOML, with its sweeps): 16 MiB.
pub const SCENARIO: Limit = Limit {
    bytes: 16 * MIB,
    what: "a scenario file",
};
/// An Azure ML YAML file (`capsim import`, `from = "..."`): 16 MiB.
pub const YAML: Limit = Limit {
    bytes: 16 * MIB,
    what: "an Azure ML YAML file",
};
/// A CSV of prices, empirical samples or a latency profile: 256 MiB.
pub const TABLE: Limit = Limit {
    bytes: 256 * MIB,
    what: "a data file (prices, samples, latency profile)",
};
/// A job or request trace, read whole into memory: 1 GiB.
pub const TRACE: Limit = Limit {
    bytes: GIB,
    what: "a trace",
};
/// An Azure Monitor log export (`capsim calibrate`, `capsim backtest`), read whole: 1 GiB.
pub const MONITOR_EXPORT: Limit = Limit {
    bytes: GIB,
    what: "an Azure Monitor export",
};
/// A file of an output folder that capsim reads back (`merge`, `report`): 4 GiB.
pub const OUTPUT: Limit = Limit {
    bytes: 4 * GIB,
    what: "a result file",
};

/// `bytes` as the messages write sizes: `16 MiB`, `1 GiB`, `3.2 GiB`, `512 bytes`.
pub fn size_text(bytes: u64) -> String {
    let units = [(GIB, "GiB"), (MIB, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in units {
        if bytes >= unit {
            let v = bytes as f64 / unit as f64;
            return if bytes.is_multiple_of(unit) {
                format!("{} {name}", bytes / unit)
            } else {
                format!("{v:.1} {name}")
            };
        }
    }
    format!("{bytes} byte{}", if bytes == 1 { "" } else { "s" })
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn too_large(size: Option<u64>, limit: Limit) -> io::Error {
    let size = size.map_or_else(|| "more".to_string(), size_text);
    refused(format!(
        "the file holds {size}, over the {} limit for {}",
        size_text(limit.bytes),
        limit.what
    ))
}

/// What a path that is not a regular file is, for the message.
#[cfg(unix)]
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading when it is a regular file of at most `limit` bytes; the reader
/// fails, rather than stopping short, should the file grow past the limit while it is read.
pub fn open(path: &Path, limit: Limit) -> io::Result<Limited> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO's open blocks until a writer comes; without blocking it returns at once, and is
        // refused below.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(format!(
            "{}, not a regular file: capsim reads only regular files",
            kind_of(meta.file_type())
        )));
    }
    if meta.len() > limit.bytes {
        return Err(too_large(Some(meta.len()), limit));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // Back to blocking reads (regular files ignore the flag, but do not rely on it).
        // SAFETY: fcntl on a valid open descriptor with integer arguments.
        unsafe {
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(Limited {
        file,
        left: limit.bytes,
        limit,
    })
}

/// A regular file being read, refused once more than its limit has been read.
#[derive(Debug)]
pub struct Limited {
    file: File,
    left: u64,
    limit: Limit,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte past the limit tells a file that grew from one that ends there.
        let want = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(too_large(None, self.limit));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The bytes of `path`, a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    let mut reader = open(path, limit)?;
    let mut bytes = Vec::with_capacity(
        reader
            .file
            .metadata()
            .map_or(0, |m| usize::try_from(m.len()).unwrap_or(0)),
    );
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of `path`, a regular file of at most `limit` bytes; not UTF-8 is an error
/// (`InvalidData`) that names the line and column of the first bad byte.
pub fn read_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|e| {
        let (line, column) = line_column(e.as_bytes(), e.utf8_error().valid_up_to());
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {line}, column {column}: the file is not UTF-8 text"),
        )
    })
}

/// 1-based line and column (in characters) of byte `at`, counting `\n` as the line end.
pub fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_with_their_unit() {
        assert_eq!(size_text(1), "1 byte");
        assert_eq!(size_text(512), "512 bytes");
        assert_eq!(size_text(16 * MIB), "16 MiB");
        assert_eq!(size_text(GIB), "1 GiB");
        assert_eq!(size_text(GIB + GIB / 5), "1.2 GiB");
    }

    #[test]
    fn regular_files_are_read_and_others_refused() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a.txt");
        std::fs::write(&small, "héllo").unwrap();
        assert_eq!(read_to_string(&small, SCENARIO).unwrap(), "héllo");
        let tiny = Limit {
            bytes: 3,
            what: "a test file",
        };
        let e = read(&small, tiny).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            e.to_string(),
            "the file holds 6 bytes, over the 3 bytes limit for a test file"
        );
        let e = read(dir.path(), SCENARIO).unwrap_err();
        assert!(
            e.to_string().contains("a folder, not a regular file"),
            "{e}"
        );
        let e = read(Path::new("/dev/zero"), TRACE).unwrap_err();
        assert!(
            e.to_string()
                .contains("a character device, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn not_utf8_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, b"a = 1\nname = \"\xc3\xa9\xff\"\n").unwrap();
        let e = read_to_string(&f, SCENARIO).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "line 2, column 10: the file is not UTF-8 text"
        );
    }
}
