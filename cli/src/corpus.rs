//! The XDP corpus (`tests/corpus`): its manifest, build and check against Linux. Used by
//! `cargo xtask corpus` and by the test suite.

use crate::check::{check, CheckReport};
use anyhow::{bail, Context, Result};
use rvo_compiler::Options;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One corpus program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Object name (`NAME.c` builds `NAME.o`).
    pub object: String,
    /// Program to run, when the object has several.
    pub program: Option<String>,
    /// Packets.
    pub pcap: PathBuf,
    /// Initial maps.
    pub maps: Option<PathBuf>,
}

/// The corpus directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

/// Read `manifest.txt`.
pub fn manifest() -> Result<Vec<Entry>> {
    let dir = dir();
    let path = dir.join("manifest.txt");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let [object, program, pcap, maps] = f[..] else {
            bail!(
                "{}:{}: expected 4 fields: object program pcap maps",
                path.display(),
                n + 1
            );
        };
        let opt = |s: &str| (s != "-").then(|| s.to_string());
        out.push(Entry {
            object: object.into(),
            program: opt(program),
            pcap: dir.join("pcap").join(pcap),
            maps: opt(maps).map(|m| dir.join("maps").join(m)),
        });
    }
    Ok(out)
}

/// Build every corpus object with clang into `out` (tests/corpus/build.sh).
pub fn build(out: &Path) -> Result<()> {
    let script = dir().join("build.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(out)
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!(
            "{} failed ({status}): the corpus needs clang and libbpf-dev",
            script.display()
        );
    }
    Ok(())
}

/// Check one entry against Linux.
pub fn check_entry(e: &Entry, objects: &Path, opts: &Options, device: &str) -> Result<CheckReport> {
    let (packets, maps) = crate::check::inputs(&e.pcap, e.maps.as_deref())?;
    let object = objects.join(format!("{}.o", e.object));
    check(&object, e.program.as_deref(), &packets, &maps, opts, device)
}

/// Run one corpus entry on the RTL and the model in lockstep (`--device lockstep`): its maps
/// file, every packet (each run compared bundle by bundle, map memory included) and a dump of
/// every map through both devices. No Linux needed. Returns the packets run.
///
/// # Errors
/// The first divergence, or a device refusing the program.
pub fn lockstep_entry(e: &Entry, objects: &Path, opts: &Options) -> Result<usize> {
    let (packets, maps) = crate::check::inputs(&e.pcap, e.maps.as_deref())?;
    let object = objects.join(format!("{}.o", e.object));
    let mut session =
        crate::xdp::XdpSession::load(&object, e.program.as_deref(), opts, "lockstep")?;
    session.set_maps(&maps)?;
    session.run(&packets)?;
    session.dump_maps()?;
    Ok(packets.len())
}
