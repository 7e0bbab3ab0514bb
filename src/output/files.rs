//! The one place that writes result files.
//!
//! A run's results are a set of files that belong together (`summary.csv`, `replications.csv`,
//! `tradeoff.csv`, `run.json`, ...), so they are committed as a set: a run killed at any moment,
//! SIGKILL and power loss after the last `fsync` included, leaves in the output folder either the
//! earlier run's complete files or the new run's complete files, never a partial file and never a
//! mix of the two.
//!
//! # The protocol ([`OutputDir::replace`], used by `capsim run`)
//!
//! For an output folder `P/N`, with `ID` = `<pid>-<nonce>` of the writing process:
//!
//! 1. **Clean up** what killed runs left beside `P/N` (see *Stale files* below).
//! 2. **Lock**: create `P/.N.capsim-ID.lock` (exclusively), take an `flock` on it for the life of
//!    the process, then write a marker into it (`capsim output lock`, the pid, the host).
//! 3. **Stage**: create the folder `P/.N.capsim-ID.staging` and write every file into it, each
//!    flushed and `fsync`ed, then `fsync` the folder. Nothing in `P/N` changes during the run.
//! 4. **Swap**: if `P/N` does not exist, rename the staging folder to `P/N`. Otherwise exchange
//!    the two folders in one atomic `renameat2(RENAME_EXCHANGE)`: `P/N` is now the new results
//!    and the staging name holds the earlier ones. Where the file system cannot exchange
//!    (`EINVAL`, e.g. NFS, or not Linux), two renames: `P/N` → `P/.N.capsim-ID.old`, then staging
//!    → `P/N`. Then `fsync` `P`.
//! 5. **Discard** the earlier results (under the staging or `.old` name), then remove the lock.
//!
//! Crash points: before 4, `P/N` is untouched (the earlier run's complete files, or absent). The
//! exchange is one system call: `P/N` is old or new, never both. After it, only hidden
//! `P/.N.capsim-ID.*` entries remain to clean up. In the two-rename fallback, a kill between the
//! two renames leaves no `P/N` for a moment: the earlier results are at `.old`, the complete new
//! ones at `.staging`, and the next `capsim run` into `P/N` finishes the swap (roll forward).
//!
//! A consequence: the output folder is replaced as a whole, so a file of an earlier run that
//! this run does not write (`tradeoff.csv` of an earlier sweep, a stale `report.html`) goes with
//! it rather than sitting beside results it does not describe. To protect other files, a folder
//! holding anything capsim does not write is refused ([`foreign_entries`]).
//!
//! # How a reader tells complete from incomplete
//!
//! Everything at `P/N` is complete: no visible file there is ever partial. `run.json` says how
//! the run ended: `"status": "complete"`, or `"interrupted"` when Ctrl-C stopped it and it wrote
//! only what had finished (see [`super::runinfo`]). A folder without `run.json` was written by an
//! older capsim. Hidden `.N.capsim-*` entries beside the folder are never results. A reader that
//! reads several files while a new run may commit can compare `run.json` before and after.
//!
//! # Stale files
//!
//! A killed run leaves its lock and staging (or `.old`) folder behind. They are removed by the
//! next capsim that writes to the same folder, only when they are provably capsim's and dead:
//! the lock's name has the pattern above, the lock file holds capsim's marker with the pid its
//! name gives (or the start of it, down to nothing: a run killed while writing it), and its
//! `flock` can be taken, which the kernel allows only once the process that
//! held it has ended (whatever its pid namespace, after pid reuse or a reboot). Staging folders
//! without such a lock, or whose lock is held, are left alone.
//!
//! # Rewriting some files of a folder ([`OutputDir::update`], used by `capsim report` and
//! `capsim size`)
//!
//! The same protocol, with the folder's other files carried into the staging folder
//! ([`OutputDir::carry_over`]: hard links, else copies; capsim never rewrites a file in place, so
//! a link is as good as a copy) before the swap. A report is built from the staged files and
//! committed with them, so a folder never shows results without their report or a report of
//! other results. Only regular files are carried: a folder holding a symbolic link, a named
//! pipe or a device, or a folder other than `charts/` (whose entries must be regular files), is
//! refused ([`OutputError::Unsupported`]), so nothing is ever written through a link to a place
//! outside the folder. A file another process adds to the folder between the carry-over and the
//! swap goes with the earlier folder: two capsim commands writing one folder at once were never
//! supported.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The first line of every lock file: what proves a lock (and its staging files) is capsim's.
const LOCK_MAGIC: &str = "capsim output lock";

/// Files and folders a capsim run, merge or report writes into an output folder: a folder
/// holding only these (and capsim's hidden temporary files) may be replaced by a new run.
pub const KNOWN_ENTRIES: &[&str] = &[
    "summary.csv",
    "replications.csv",
    "timeseries.csv",
    "tradeoff.csv",
    "commitments.csv",
    "scenario.toml",
    "run.json",
    "report.html",
    "report.md",
    "INCOMPLETE.txt",
    "shard.csv",
    "shard.toml",
    "sizing.csv",
    "workloads.csv",
    "backtest.csv",
    "observed_nodes.csv",
    "backtest_jobs.csv",
];

/// The folder of a report's charts, the one folder an output folder may hold.
pub const CHARTS: &str = "charts";

/// What the names of the request traces `capsim backtest` writes, one per endpoint, start and
/// end with (`backtest_requests_<endpoint>.csv`).
pub const BACKTEST_REQUESTS: (&str, &str) = ("backtest_requests_", ".csv");

/// Files other capsim commands write into a run's default folder (`capsim size`): a run that
/// replaces the folder carries them over (hard-linked, else copied) unless it writes them itself.
pub const CARRIED_OVER: &[&str] = &["sizing.csv"];

/// An output folder being written; nothing appears at its destination before [`commit`].
///
/// [`commit`]: OutputDir::commit
pub struct OutputDir {
    /// Where the files appear at commit.
    dir: PathBuf,
    /// Where they are written until then: the hidden staging folder beside `dir`.
    work: PathBuf,
    /// `dir` resolved: its parent folder and its name there.
    parent: PathBuf,
    base: String,
    id: String,
    /// [`update`](Self::update): the folder's other files are carried over, and have not been yet.
    carry: bool,
    /// Names (within the folder) of the files carried over.
    carried: Vec<String>,
    lock: Option<Lock>,
    committed: bool,
}

/// A lock file held (flock) for as long as it is open.
struct Lock {
    path: PathBuf,
    _file: File,
}

/// Why an output folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The folder holds files capsim did not write: replacing it would lose them.
    #[error(
        "{}: the output folder holds files capsim did not write ({}); a run replaces the whole \
         folder, so choose an empty or new folder with --out",
        dir.display(), names.join(", ")
    )]
    Foreign { dir: PathBuf, names: Vec<String> },
    /// The folder holds what cannot be carried into a new one: not a regular file (a symbolic
    /// link, a named pipe, a device), or a folder other than `charts/`.
    #[error(
        "{}: the output folder holds {}: capsim writes a new folder and carries over only \
         regular files (and charts/ of regular files), so it does not write here; move {} out \
         of the folder",
        dir.display(), names.join(", "), if names.len() == 1 { "it" } else { "them" }
    )]
    Unsupported { dir: PathBuf, names: Vec<String> },
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn err(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// `<pid>-<nonce>`: unique per process and per output folder opened by it.
fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}-{:x}",
        std::process::id(),
        (nanos.wrapping_mul(0x9e37_79b9) ^ n) & 0xffff_ffff
    )
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl Lock {
    /// Creates `path` exclusively, locks it, and writes the marker.
    fn create(path: PathBuf, id: &str) -> io::Result<Lock> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        flock(&file, false)?;
        let pid = id.split('-').next().unwrap_or("");
        write!(
            file,
            "{LOCK_MAGIC}\npid={pid}\nhost={}\nversion={}\n",
            host_name(),
            env!("CARGO_PKG_VERSION")
        )?;
        file.sync_all()?;
        Ok(Lock { path, _file: file })
    }

    fn release(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Takes an exclusive flock; with `try_only`, fails with `WouldBlock` when another process
/// holds it.
#[cfg(unix)]
fn flock(file: &File, try_only: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let op = libc::LOCK_EX | if try_only { libc::LOCK_NB } else { 0 };
    // SAFETY: a valid open descriptor; flock has no memory effects.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn flock(_file: &File, try_only: bool) -> io::Result<()> {
    // Without advisory locks nothing can be proven dead: never clean up.
    if try_only {
        Err(io::Error::from(io::ErrorKind::WouldBlock))
    } else {
        Ok(())
    }
}

/// Exchanges two paths atomically; `Ok(false)` when the file system or OS cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (ca, cb) = (
        CString::new(a.as_os_str().as_bytes())?,
        CString::new(b.as_os_str().as_bytes())?,
    );
    // SAFETY: two NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Whether this process may create files in `dir` (permissions, read-only mounts).
#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for syncing everywhere; where they can, this makes renames
    // durable.
    match File::open(dir) {
        Ok(f) => f.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// A hidden capsim entry name: `<prefix>.capsim-<id>.<kind>`, returning (prefix, id, kind).
fn parse_capsim_name(name: &str) -> Option<(&str, &str, &str)> {
    let at = name.rfind(".capsim-")?;
    let (prefix, rest) = (&name[..at], &name[at + ".capsim-".len()..]);
    let (id, kind) = rest.rsplit_once('.')?;
    let (pid, nonce) = id.split_once('-')?;
    let ok = !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !nonce.is_empty()
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(kind, "lock" | "staging" | "old" | "tmp");
    ok.then_some((prefix, id, kind))
}

/// Whether `name` in an output folder is a temporary file of some capsim (this version's or an
/// earlier one's `.<file>.tmp-<pid>`).
fn is_capsim_temp(name: &str) -> bool {
    if name.starts_with('.') && parse_capsim_name(name).is_some() {
        return true;
    }
    let Some((base, pid)) = name
        .strip_prefix('.')
        .and_then(|rest| rest.rsplit_once(".tmp-"))
    else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && (KNOWN_ENTRIES.contains(&base)
            || is_backtest_requests(base)
            || base == ".write-check"
            || base.ends_with(".svg")
            || base.ends_with(".png"))
}

/// A request trace of `capsim backtest` (see [`BACKTEST_REQUESTS`]).
pub fn is_backtest_requests(name: &str) -> bool {
    let (head, tail) = BACKTEST_REQUESTS;
    name.len() > head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
}

/// Entries of an existing output folder that capsim did not write: anything but
/// [`KNOWN_ENTRIES`], a `charts/` folder of SVG files, and capsim's temporary files.
pub fn foreign_entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut foreign = vec![];
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(foreign),
        Err(e) => return Err(err(e, format!("cannot read {}", dir.display()))),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        let ours = if name == "charts" && kind.is_dir() {
            fs::read_dir(entry.path())?.all(|e| {
                e.is_ok_and(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    e.file_type().is_ok_and(|t| t.is_file())
                        && (n.ends_with(".svg") || n.ends_with(".png") || is_capsim_temp(&n))
                })
            })
        } else {
            kind.is_file()
                && (KNOWN_ENTRIES.contains(&name.as_str())
                    || is_backtest_requests(&name)
                    || is_capsim_temp(&name))
        };
        if !ours {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// What `name` (of type `t`) is, when it is not a regular file.
fn what_it_is(path: &Path, t: fs::FileType) -> String {
    if t.is_symlink() {
        let to = fs::read_link(path).map_or(String::new(), |p| format!(" -> {}", p.display()));
        return format!("a symbolic link{to}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe".into();
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
    }
    if t.is_dir() {
        "a folder".into()
    } else {
        "not a regular file".into()
    }
}

/// Entries of an existing folder that [`OutputDir::carry_over`] cannot carry: anything but
/// regular files at the top, and a `charts/` folder of regular files. Each is named with what it
/// is, e.g. `charts (a symbolic link -> /elsewhere)`.
pub fn unsupported_entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut bad = vec![];
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(bad),
        Err(e) => return Err(err(e, format!("cannot read {}", dir.display()))),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_file() {
            continue;
        }
        if name == CHARTS && kind.is_dir() {
            for e in fs::read_dir(entry.path())? {
                let e = e?;
                let t = e.file_type()?;
                if !t.is_file() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    bad.push(format!("{CHARTS}/{n} ({})", what_it_is(&e.path(), t)));
                }
            }
            continue;
        }
        bad.push(format!("{name} ({})", what_it_is(&entry.path(), kind)));
    }
    bad.sort();
    Ok(bad)
}

/// Removes what dead capsim processes left in `folder` under names `<prefix>.capsim-<id>.*`
/// (all prefixes when `prefix` is `None`), after finishing an interrupted folder swap into
/// `folder/<base>` when `base` is given. Returns the names removed or restored.
fn clean_stale(folder: &Path, prefix: Option<&str>, base: Option<&str>) -> Vec<String> {
    let mut done = vec![];
    let Ok(entries) = fs::read_dir(folder) else {
        return done;
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for lock_name in &names {
        let Some((p, id, "lock")) = parse_capsim_name(lock_name) else {
            continue;
        };
        if prefix.is_some_and(|want| want != p) {
            continue;
        }
        let lock_path = folder.join(lock_name);
        let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&lock_path) else {
            continue;
        };
        let mut text = String::new();
        if file.read_to_string(&mut text).is_err() {
            continue;
        }
        let pid = id.split('-').next().unwrap_or("");
        let head = format!("{LOCK_MAGIC}\npid={pid}\n");
        // A run killed between creating its lock and writing the marker leaves a prefix of it
        // (often nothing): its own, by name and content, and once its flock is free, dead. Its
        // owner takes the flock before writing, so a live owner still writing holds it; one
        // that has created the file but not yet locked it blocks in flock until this pass is
        // done, and then runs on without a lock file (it only loses the clean-up after it).
        if !(text.starts_with(&head) || head.starts_with(&text)) {
            continue; // not provably capsim's
        }
        if flock(&file, true).is_err() {
            continue; // held: its process is alive
        }
        // The owner is dead and we hold its lock. Finish an interrupted two-rename swap first.
        let stem = format!("{p}.capsim-{id}.");
        let staging = folder.join(format!("{stem}staging"));
        let old = folder.join(format!("{stem}old"));
        if let Some(base) = base {
            let out = folder.join(base);
            if old.is_dir() && fs::symlink_metadata(&out).is_err() {
                let from = if staging.is_dir() { &staging } else { &old };
                if fs::rename(from, &out).is_ok() {
                    done.push(format!("{} -> {base}", from.display()));
                }
            }
        }
        for n in &names {
            if n != lock_name && n.starts_with(&stem) && parse_capsim_name(n).is_some() {
                let path = folder.join(n);
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                if removed.is_ok() {
                    done.push(n.clone());
                }
            }
        }
        if fs::remove_file(&lock_path).is_ok() {
            done.push(lock_name.clone());
        }
    }
    done
}

impl OutputDir {
    /// Prepares to replace the folder `dir` as a whole (see the module docs): creates its parent
    /// if needed, refuses a folder holding files capsim did not write, cleans up what killed
    /// runs left, and creates the staging folder, before any simulation time is spent.
    pub fn replace(dir: &Path) -> Result<OutputDir, OutputError> {
        OutputDir::open(dir, false)
    }

    /// Prepares to rewrite some files of the folder `dir` (created if needed) and keep the rest:
    /// as [`replace`](Self::replace), but the folder's other files are carried into the new one
    /// ([`carry_over`](Self::carry_over), done at the latest by the commit). Files capsim did not
    /// write are kept too; a folder holding anything but regular files (and `charts/`) is
    /// refused ([`unsupported_entries`]).
    pub fn update(dir: &Path) -> Result<OutputDir, OutputError> {
        OutputDir::open(dir, true)
    }

    fn open(dir: &Path, carry: bool) -> Result<OutputDir, OutputError> {
        let named = |e: io::Error| {
            OutputError::Io(err(
                e,
                format!("cannot use output folder {}", dir.display()),
            ))
        };
        // Resolve `.`, `..` and symbolic links, so that the swap replaces the real folder.
        let absolute = std::path::absolute(dir).map_err(named)?;
        let resolved = match fs::canonicalize(&absolute) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => absolute,
            Err(e) => return Err(named(e)),
        };
        let (Some(parent), Some(base)) = (resolved.parent(), resolved.file_name()) else {
            return Err(named(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a run replaces the whole output folder, and this one cannot be replaced",
            )));
        };
        let (parent, base) = (parent.to_path_buf(), base.to_string_lossy().into_owned());
        match fs::symlink_metadata(&resolved) {
            Ok(m) if !m.is_dir() => {
                return Err(named(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists and is not a folder",
                )));
            }
            Ok(_) if carry => {
                let unsupported = unsupported_entries(&resolved).map_err(named)?;
                if !unsupported.is_empty() {
                    return Err(OutputError::Unsupported {
                        dir: dir.to_path_buf(),
                        names: unsupported,
                    });
                }
                if !writable(&parent) {
                    return Err(named(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "its parent folder is not writable, and capsim writes a new folder \
                         beside it",
                    )));
                }
            }
            Ok(_) => {
                let foreign = foreign_entries(&resolved).map_err(named)?;
                if !foreign.is_empty() {
                    return Err(OutputError::Foreign {
                        dir: dir.to_path_buf(),
                        names: foreign,
                    });
                }
                if !writable(&resolved) {
                    return Err(named(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "the folder is not writable",
                    )));
                }
            }
            Err(_) => {}
        }
        fs::create_dir_all(&parent).map_err(named)?;
        clean_stale(&parent, Some(&format!(".{base}")), Some(&base));

        let id = new_id();
        let stem = format!(".{base}.capsim-{id}.");
        let lock = Lock::create(parent.join(format!("{stem}lock")), &id).map_err(named)?;
        let work = parent.join(format!("{stem}staging"));
        if let Err(e) = fs::create_dir(&work) {
            lock.release();
            return Err(named(e));
        }
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            work,
            parent,
            base,
            id,
            carry,
            carried: vec![],
            lock: Some(lock),
            committed: false,
        })
    }

    /// [`update`](Self::update): carries the folder's files into the staging folder now (hard
    /// links, else copies), except those already staged, capsim's temporary files, and those
    /// `keep` refuses (given the name within the folder, `charts/x.svg` for a chart), so that
    /// what is built from the staged files (a report) sees the folder as it will be. Does
    /// nothing after the first call, or for [`replace`](Self::replace).
    pub fn carry_over(&mut self, keep: &dyn Fn(&str) -> bool) -> io::Result<()> {
        if !self.carry {
            return Ok(());
        }
        self.carry = false;
        let from = self.parent.join(&self.base);
        let entries = match fs::read_dir(&from) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(err(e, format!("cannot read {}", self.dir.display()))),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            if kind.is_file() && !is_capsim_temp(&name) && keep(&name) {
                self.carry_file(&entry.path(), &name)?;
            } else if kind.is_dir() && name == CHARTS {
                for e in fs::read_dir(entry.path())? {
                    let e = e?;
                    let n = format!("{CHARTS}/{}", e.file_name().to_string_lossy());
                    if e.file_type()?.is_file()
                        && !is_capsim_temp(&n[CHARTS.len() + 1..])
                        && keep(&n)
                    {
                        self.carry_file(&e.path(), &n)?;
                    }
                }
            } else if !kind.is_file() {
                // What [`update`] checked can have changed since: never follow it.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: {name} is {}: capsim carries over only regular files",
                        self.dir.display(),
                        what_it_is(&entry.path(), kind)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn carry_file(&mut self, from: &Path, name: &str) -> io::Result<()> {
        let to = self.work.join(name);
        if fs::symlink_metadata(&to).is_ok() {
            return Ok(()); // written by this command
        }
        if let Some(folder) = to.parent() {
            fs::create_dir_all(folder)?;
        }
        fs::hard_link(from, &to)
            .or_else(|_| fs::copy(from, &to).map(|_| ()))
            .map_err(|e| err(e, format!("cannot keep {}", self.dir.join(name).display())))?;
        self.carried.push(name.to_string());
        Ok(())
    }

    /// Where the files will be at commit.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where files are being written until the commit: the hidden staging folder. Files
    /// written here directly, by name, are committed too.
    pub fn staging(&self) -> &Path {
        &self.work
    }

    /// Opens a staged file for streaming; it appears under `name` at [`commit`](Self::commit).
    /// `name` may be in `charts/` (created as needed).
    pub fn create(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let (path, fin) = (self.work.join(name), self.dir.join(name));
        if let Some((folder, _)) = name.split_once('/') {
            fs::create_dir_all(self.work.join(folder)).map_err(|e| {
                err(
                    e,
                    format!("cannot create {}", self.dir.join(folder).display()),
                )
            })?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| err(e, format!("cannot create {}", fin.display())))?;
        Ok(BufWriter::new(file))
    }

    /// Stages a whole file at once.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut w = self.create(name)?;
        w.write_all(bytes)?;
        finish(w)
    }

    /// Makes the staged files visible, the whole folder at once. Returns the final paths of the
    /// files this command wrote (not those carried over), sorted.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut names: Vec<PathBuf> = vec![];
        for e in fs::read_dir(&self.work)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                for c in fs::read_dir(e.path())?.flatten() {
                    let inner = format!("{name}/{}", c.file_name().to_string_lossy());
                    if !self.carried.contains(&inner) {
                        names.push(self.dir.join(inner));
                    }
                }
            } else if !self.carried.contains(&name) {
                names.push(self.dir.join(name));
            }
        }
        names.sort();
        let out = self.parent.join(&self.base);
        self.carry_over(&|_| true)?;
        for name in CARRIED_OVER {
            let (from, to) = (out.join(name), self.work.join(name));
            if from.is_file() && !to.exists() {
                fs::hard_link(&from, &to)
                    .or_else(|_| fs::copy(&from, &to).map(|_| ()))
                    .map_err(|e| err(e, format!("cannot keep {}", from.display())))?;
            }
        }
        if let Ok(charts) = fs::metadata(self.work.join(CHARTS))
            && charts.is_dir()
        {
            sync_dir(&self.work.join(CHARTS))?;
        }
        sync_dir(&self.work)?;
        let into_place = |e: io::Error| {
            err(
                e,
                format!("cannot move the results into {}", self.dir.display()),
            )
        };
        // What holds the earlier results once the new ones are in place.
        let leftover = if fs::symlink_metadata(&out).is_err() {
            fs::rename(&self.work, &out).map_err(into_place)?;
            None
        } else if exchange(&self.work, &out).map_err(into_place)? {
            Some(self.work.clone())
        } else {
            let old = self
                .parent
                .join(format!(".{}.capsim-{}.old", self.base, self.id));
            fs::rename(&out, &old).map_err(into_place)?;
            if let Err(e) = fs::rename(&self.work, &out) {
                let _ = fs::rename(&old, &out);
                return Err(into_place(e));
            }
            Some(old)
        };
        self.committed = true;
        sync_dir(&self.parent)?;
        if let Some(old) = leftover
            && fs::remove_dir_all(old).is_err()
        {
            // Keep the lock file (its flock ends with the process), so that the next
            // run can prove the leftover is a dead run's and remove it.
            self.lock = None;
        }
        if let Some(lock) = self.lock.take() {
            lock.release();
        }
        Ok(names)
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
            let _ = fs::remove_dir_all(&self.work);
        }
        if let Some(lock) = self.lock.take() {
            lock.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn capsim_names_parse_and_others_do_not() {
        assert_eq!(
            parse_capsim_name(".out.capsim-123-ab12.staging"),
            Some((".out", "123-ab12", "staging"))
        );
        assert_eq!(
            parse_capsim_name(".capsim-7-f.lock"),
            Some(("", "7-f", "lock"))
        );
        assert_eq!(parse_capsim_name(".out.capsim-x1-ab.lock"), None);
        assert_eq!(parse_capsim_name(".out.capsim-1-zz.lock"), None);
        assert_eq!(parse_capsim_name(".out.capsim-1-ab.txt"), None);
        assert_eq!(parse_capsim_name("notes.txt"), None);
        assert!(is_capsim_temp(".summary.csv.tmp-42"));
        assert!(!is_capsim_temp(".notes.txt.tmp-42"));
    }

    #[test]
    fn replace_swaps_the_whole_folder_and_leaves_nothing_beside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("summary.csv"), "old").unwrap();
        fs::write(out.join("tradeoff.csv"), "old sweep").unwrap();
        let mut o = OutputDir::replace(&out).unwrap();
        o.write("summary.csv", b"new").unwrap();
        // Nothing visible changes before the commit.
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"old");
        assert_eq!(names(tmp.path()).len(), 3, "out, staging and lock");
        o.commit().unwrap();
        assert_eq!(names(&out), ["summary.csv"]);
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"new");
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn a_dropped_run_leaves_the_earlier_results_and_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("summary.csv"), "old").unwrap();
        let mut o = OutputDir::replace(&out).unwrap();
        o.write("summary.csv", b"new").unwrap();
        drop(o);
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"old");
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn foreign_files_are_refused_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        fs::write(tmp.path().join("summary.csv"), "old").unwrap();
        match OutputDir::replace(tmp.path()) {
            Err(OutputError::Foreign { names, .. }) => assert_eq!(names, ["notes.txt"]),
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(names(tmp.path()), ["notes.txt", "summary.csv"]);
    }

    /// Writes a dead process's lock (no flock held) and its staging folder, as a SIGKILL leaves
    /// them.
    fn dead_lock(parent: &Path, base: &str, id: &str) {
        fs::write(
            parent.join(format!(".{base}.capsim-{id}.lock")),
            format!("{LOCK_MAGIC}\npid={}\n", id.split('-').next().unwrap()),
        )
        .unwrap();
    }

    #[test]
    fn stale_staging_of_dead_runs_is_removed_and_live_or_unproven_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        // Dead: marker, no flock.
        dead_lock(p, "out", "999999-ab");
        fs::create_dir(p.join(".out.capsim-999999-ab.staging")).unwrap();
        fs::write(p.join(".out.capsim-999999-ab.staging/summary.csv"), "x").unwrap();
        // No marker: not provably ours.
        fs::write(p.join(".out.capsim-999998-ab.lock"), "something else\n").unwrap();
        fs::create_dir(p.join(".out.capsim-999998-ab.staging")).unwrap();
        // A staging folder without a lock.
        fs::create_dir(p.join(".out.capsim-999997-ab.staging")).unwrap();
        // Killed before its marker was written, or half way through it: dead, as no flock is
        // held (the lock then stood beside the folder for good).
        fs::write(p.join(".out.capsim-999996-ab.lock"), "").unwrap();
        fs::write(p.join(".out.capsim-999995-ab.lock"), &LOCK_MAGIC[..9]).unwrap();
        fs::create_dir(p.join(".out.capsim-999995-ab.staging")).unwrap();
        // Live: another OutputDir of this process holds its flock.
        let live = OutputDir::replace(&p.join("out")).unwrap();
        let live_names: Vec<String> = names(p)
            .into_iter()
            .filter(|n| {
                n.contains(&format!("-{}-", std::process::id()))
                    || n.contains(&format!("capsim-{}-", std::process::id()))
            })
            .collect();
        assert_eq!(live_names.len(), 2, "{:?}", names(p));
        // The live one's replace cleaned the dead one already; check with a second pass too.
        let again = OutputDir::replace(&p.join("out")).unwrap();
        let left = names(p);
        for dead in ["999999", "999996", "999995"] {
            assert!(!left.iter().any(|n| n.contains(dead)), "{dead}: {left:?}");
        }
        assert!(left.contains(&".out.capsim-999998-ab.lock".to_string()));
        assert!(left.contains(&".out.capsim-999998-ab.staging".to_string()));
        assert!(left.contains(&".out.capsim-999997-ab.staging".to_string()));
        for n in &live_names {
            assert!(left.contains(n), "a live run's {n} was removed: {left:?}");
        }
        drop(again);
        drop(live);
    }

    #[test]
    fn an_interrupted_two_rename_swap_is_rolled_forward() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        // Killed between `out -> .old` and `staging -> out`.
        dead_lock(p, "out", "999999-cd");
        let staging = p.join(".out.capsim-999999-cd.staging");
        let old = p.join(".out.capsim-999999-cd.old");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("summary.csv"), "new").unwrap();
        fs::create_dir(&old).unwrap();
        fs::write(old.join("summary.csv"), "old").unwrap();
        let o = OutputDir::replace(&p.join("out")).unwrap();
        drop(o);
        assert_eq!(names(p), ["out"]);
        assert_eq!(fs::read(p.join("out/summary.csv")).unwrap(), b"new");

        // Killed after the swap, while discarding the earlier results.
        dead_lock(p, "out", "999999-ef");
        let old = p.join(".out.capsim-999999-ef.old");
        fs::create_dir(&old).unwrap();
        fs::write(old.join("summary.csv"), "older").unwrap();
        drop(OutputDir::replace(&p.join("out")).unwrap());
        assert_eq!(names(p), ["out"]);
        assert_eq!(fs::read(p.join("out/summary.csv")).unwrap(), b"new");
    }

    #[test]
    fn sizing_results_are_carried_over_a_run() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("sizing.csv"), "sized").unwrap();
        fs::write(out.join("summary.csv"), "old").unwrap();
        let mut o = OutputDir::replace(&out).unwrap();
        o.write("summary.csv", b"new").unwrap();
        o.commit().unwrap();
        assert_eq!(names(&out), ["sizing.csv", "summary.csv"]);
        assert_eq!(fs::read(out.join("sizing.csv")).unwrap(), b"sized");
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"new");
    }

    #[test]
    fn update_keeps_the_other_files_and_swaps_the_whole_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(out.join("charts")).unwrap();
        fs::write(out.join("summary.csv"), "results").unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        fs::write(out.join("report.md"), "old report").unwrap();
        fs::write(out.join("charts/cost.svg"), "old chart").unwrap();
        fs::write(out.join("charts/mine.svg"), "my chart").unwrap();
        let mut o = OutputDir::update(&out).unwrap();
        // The old report and its charts are not carried; the rest is, before the new report.
        o.carry_over(&|n| n != "report.md" && n != "charts/cost.svg")
            .unwrap();
        assert_eq!(
            fs::read(o.staging().join("summary.csv")).unwrap(),
            b"results"
        );
        o.write("report.md", b"# report").unwrap();
        o.write("charts/waits.svg", b"new chart").unwrap();
        assert_eq!(fs::read(out.join("report.md")).unwrap(), b"old report");
        let written = o.commit().unwrap();
        assert_eq!(
            written,
            [out.join("charts/waits.svg"), out.join("report.md")]
        );
        assert_eq!(
            names(&out),
            ["charts", "notes.txt", "report.md", "summary.csv"]
        );
        assert_eq!(names(&out.join("charts")), ["mine.svg", "waits.svg"]);
        assert_eq!(fs::read(out.join("report.md")).unwrap(), b"# report");
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn update_refuses_links_and_special_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        fs::write(out.join("summary.csv"), "results").unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("charts")).unwrap();
        match OutputDir::update(&out) {
            Err(e @ OutputError::Unsupported { .. }) => {
                let m = e.to_string();
                assert!(m.contains("charts (a symbolic link -> "), "{m}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(names(&elsewhere).len(), 0);
        assert_eq!(names(tmp.path()), ["elsewhere", "out"]);
    }
}
