//! `capsim merge` refuses shards it cannot put together exactly: shards written by another
//! capsim version, a shard file changed after the run (`shard.csv`, `scenario.toml`,
//! `timeseries.csv`: its SHA-256 is not the one `shard.toml` records), shards of different
//! splits (1/2 with 2/3), a damaged `shard.csv` (a row removed, a value that is not a number),
//! and a replication count that no longer matches what the shards ran. Each refusal exits 2,
//! names the file or the shards at fault, and writes nothing.
//!
//! Past the checksum, the other checks are reached by recording the edited file's new digest
//! in `shard.toml`, as a deliberate edit could.

use crate::support::{capsim, write_temp};
use capsim::output::runinfo::sha256_hex;
use std::fs;
use std::path::Path;

/// Two swept settings x 3 replications = 6 pairs, quick to run: shards of 2 and 3 split them
/// 3+3 and 2+2+2.
const SCENARIO: &str = r#"name = "merge-refusals"
horizon = "1d"
start_date = 2026-12-01
replications = 3
seed = 5

[[compute]]
name = "cpu"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 2

[[workload]]
name = "jobs"
compute = "cpu"
arrivals = { process = "poisson", rate_per_hour = 2.0 }
duration = { dist = "constant", value = "20m" }

[sweep]
"compute.cpu.min_instances" = [0, 1]
"#;

/// Runs shard `k/n` into `dir/<out>`.
fn shard(dir: &Path, k: usize, n: usize, out: &str) {
    capsim()
        .current_dir(dir)
        .args(["run", "s.toml", "--quiet", "--threads", "1", "--out", out])
        .args(["--shard", &format!("{k}/{n}")])
        .assert()
        .success();
}

/// A folder with shards a1..a3 of 3 and b1, b2 of 2.
fn setup() -> tempfile::TempDir {
    let (dir, _) = write_temp("s.toml", SCENARIO);
    for k in 1..=3 {
        shard(dir.path(), k, 3, &format!("a{k}"));
    }
    for k in 1..=2 {
        shard(dir.path(), k, 2, &format!("b{k}"));
    }
    dir
}

/// Merges `shards` into `m`: must fail with exit 2, write nothing, and say every one of `words`
/// on stderr.
fn refused(dir: &Path, shards: &[&str], words: &[&str]) {
    let out = capsim()
        .current_dir(dir)
        .arg("merge")
        .args(shards)
        .args(["--out", "m", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{shards:?}: {stderr}");
    assert!(!dir.join("m").exists(), "{shards:?}: nothing is written");
    for w in words {
        assert!(stderr.contains(w), "{shards:?}: no `{w}` in {stderr}");
    }
}

/// Copies shard folder `from` to `to`, to tamper with the copy.
fn copy(dir: &Path, from: &str, to: &str) {
    fs::create_dir(dir.join(to)).unwrap();
    for e in fs::read_dir(dir.join(from)).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.join(to).join(e.file_name())).unwrap();
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{}: no `{from}`", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Records the SHA-256 of shard file `name` as it now is in the shard's `shard.toml`.
fn rehash(shard: &Path, name: &str) {
    let old = sha256_hex(&fs::read(shard.join(name)).unwrap());
    let manifest = shard.join("shard.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("\"{name}\" = ")))
        .unwrap_or_else(|| panic!("{}: no digest of {name} in {text}", manifest.display()))
        .to_string();
    fs::write(
        &manifest,
        text.replacen(&line, &format!("\"{name}\" = \"{old}\""), 1),
    )
    .unwrap();
}

#[test]
fn merge_refuses_shards_it_cannot_put_together() {
    let tmp = setup();
    let dir = tmp.path();
    // The untouched shards merge: the refusals below are about what was changed.
    for set in [&["a1", "a2", "a3"][..], &["b2", "b1"][..]] {
        capsim()
            .current_dir(dir)
            .arg("merge")
            .args(set)
            .args(["--out", "ok", "--quiet"])
            .assert()
            .success();
        fs::remove_dir_all(dir.join("ok")).unwrap();
    }

    // Another capsim version wrote shard 2.
    copy(dir, "a2", "v2");
    edit(
        &dir.join("v2/shard.toml"),
        &format!("capsim_version = \"{}\"", env!("CARGO_PKG_VERSION")),
        "capsim_version = \"0.0.1\"",
    );
    refused(
        dir,
        &["a1", "v2", "a3"],
        &["v2/shard.toml", "written by capsim 0.0.1"],
    );

    // One value of shard 2's shard.csv edited to another valid number: without the checksum
    // it merged without complaint.
    copy(dir, "a2", "d2");
    let rows = dir.join("d2/shard.csv");
    let text = fs::read_to_string(&rows).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[6] = format!("{}1", cells[6]);
    lines[1] = cells.join(",");
    fs::write(&rows, lines.join("\n") + "\n").unwrap();
    refused(
        dir,
        &["a1", "d2", "a3"],
        &["d2/shard.csv: changed since the shard wrote it", "SHA-256"],
    );

    // Shard 1's timeseries.csv with a line removed.
    copy(dir, "a1", "s1");
    let ts = dir.join("s1/timeseries.csv");
    let text = fs::read_to_string(&ts).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    fs::write(&ts, lines.join("\n") + "\n").unwrap();
    refused(
        dir,
        &["s1", "a2", "a3"],
        &["s1/timeseries.csv: changed since the shard wrote it"],
    );

    // A shard without digests (as an older capsim wrote them) is refused by name too.
    copy(dir, "a2", "o2");
    let manifest = dir.join("o2/shard.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    let cut = text.find("[sha256]").expect("shard.toml records digests");
    fs::write(&manifest, &text[..cut]).unwrap();
    refused(
        dir,
        &["a1", "o2", "a3"],
        &["o2/scenario.toml: shard.toml records no SHA-256 for it"],
    );

    // Shard 3's scenario.toml was edited after the run: refused by its checksum, and with the
    // digest recorded anew, as the scenario of another run.
    copy(dir, "a3", "e3");
    edit(
        &dir.join("e3/scenario.toml"),
        "rate_per_hour = 2.0",
        "rate_per_hour = 3.0",
    );
    refused(
        dir,
        &["a1", "a2", "e3"],
        &["e3/scenario.toml: changed since the shard wrote it"],
    );
    rehash(&dir.join("e3"), "scenario.toml");
    refused(dir, &["a1", "a2", "e3"], &["shards of different runs"]);

    // Shards of two splits: 1/2 with 2/3 and 3/3 (together they even cover the pairs).
    refused(dir, &["b1", "a2", "a3"], &["of a sweep split 2 ways"]);

    // shard.csv with its last row removed.
    copy(dir, "a2", "t2");
    let rows = dir.join("t2/shard.csv");
    let text = fs::read_to_string(&rows).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 2, "shard 2/3 holds two replications");
    lines.pop();
    fs::write(&rows, lines.join("\n") + "\n").unwrap();
    refused(
        dir,
        &["a1", "t2", "a3"],
        &["t2/shard.csv: changed since the shard wrote it"],
    );
    rehash(&dir.join("t2"), "shard.csv");
    refused(
        dir,
        &["a1", "t2", "a3"],
        &[
            "t2/shard.csv",
            "does not hold the replications of shard 2/3",
        ],
    );

    // shard.csv with a metric value that is not a number.
    copy(dir, "a2", "n2");
    let rows = dir.join("n2/shard.csv");
    let text = fs::read_to_string(&rows).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[6] = "lots".into();
    lines[1] = cells.join(",");
    fs::write(&rows, lines.join("\n") + "\n").unwrap();
    rehash(&dir.join("n2"), "shard.csv");
    refused(
        dir,
        &["a1", "n2", "a3"],
        &["n2/shard.csv: line 2: `lots` is not a number"],
    );

    // The replication count changed in every shard's scenario.toml alike (so they still agree
    // with each other): the scenario now expands to 2 x 4 = 8 pairs, the shards ran 6.
    for k in 1..=3 {
        copy(dir, &format!("a{k}"), &format!("r{k}"));
        edit(
            &dir.join(format!("r{k}/scenario.toml")),
            "replications = 3",
            "replications = 4",
        );
        rehash(&dir.join(format!("r{k}")), "scenario.toml");
    }
    refused(
        dir,
        &["r1", "r2", "r3"],
        &["now expands to 8 replications, the shards ran 6"],
    );

    // A shard run with another --replications is a shard of another sweep.
    capsim()
        .current_dir(dir)
        .args(["run", "s.toml", "--quiet", "--threads", "1", "--out", "x2"])
        .args(["--shard", "2/3", "--replications", "4"])
        .assert()
        .success();
    refused(dir, &["a1", "x2", "a3"], &["shards of different runs"]);
}
