//! Opening an ELF object, choosing the XDP program, loading (which runs the verifier).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libbpf_rs::{Object, ObjectBuilder, OpenObject, ProgramAttachType, ProgramType};

use crate::error::{errno_of, LinuxError};
use crate::log;
use crate::maps;
use crate::MapState;

/// An object loaded into the kernel. Dropping it closes every program and map.
pub(crate) struct Loaded {
    pub object: Object,
    /// The chosen XDP program (`None`: verifying the whole object, no program named).
    pub program: Option<String>,
    /// Declared after `object`, so dropped after it.
    _pins: PinRoot,
}

/// Opens `path`, sets the global-data part of `init`, loads every XDP program of the object
/// (the others are not loaded), then writes the rest of `init` into the maps.
///
/// `prog` names the program to run; without it the object's only XDP program is chosen, or,
/// if `need_one` is false, none is (the object must still have an XDP program).
///
/// All XDP programs are loaded, not only the chosen one, so that tail-call targets exist and
/// program arrays initialised in the ELF (`.values = { [0] = &prog }`) can be filled.
pub(crate) fn load(
    path: &Path,
    prog: Option<&str>,
    need_one: bool,
    init: &[MapState],
) -> Result<Loaded, LinuxError> {
    let pins = PinRoot::new();
    let (opened, open_log) = log::capture(|| {
        let mut builder = ObjectBuilder::default();
        builder.pin_root_path(&pins.path)?;
        builder.open_file(path)
    });
    let mut open = opened.map_err(|e| LinuxError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
        log: open_log,
    })?;

    let program = choose(&open, prog, need_one)?;
    for mut p in open.progs_mut() {
        let is_xdp = p.prog_type() == ProgramType::Xdp;
        p.set_autoload(is_xdp);
    }
    let after_load = maps::set_before_load(&mut open, init)?;

    let (loaded, load_log) = log::capture(|| open.load());
    let object = loaded.map_err(|e| match log::verifier_log(&load_log) {
        Some((program, log)) => LinuxError::VerifierRejected {
            program,
            errno: errno_of(&e),
            log,
        },
        None => LinuxError::Load {
            errno: errno_of(&e),
            reason: e.to_string(),
            log: load_log,
        },
    })?;
    let mut loaded = Loaded {
        object,
        program,
        _pins: pins,
    };
    loaded.unpin_all();
    maps::set_after_load(&loaded.object, &after_load)?;
    Ok(loaded)
}

impl Loaded {
    /// Maps declared with `LIBBPF_PIN_BY_NAME` were pinned under our fresh pin root at load;
    /// unpin them now (their file descriptors keep them alive until drop).
    fn unpin_all(&mut self) {
        for mut map in self.object.maps_mut() {
            if let Some(path) = map.get_pin_path().map(PathBuf::from) {
                if map.is_pinned() {
                    // Best effort: PinRoot's drop reports nothing either.
                    let _ = map.unpin(&path);
                }
            }
        }
    }

    /// Why the chosen program cannot be test-run, if it cannot.
    /// The chosen program's name, once it is known to be one `BPF_PROG_TEST_RUN` accepts.
    pub(crate) fn runnable(&self) -> Result<&str, LinuxError> {
        let name = self.program.as_deref().unwrap_or_default();
        let Some(p) = self
            .object
            .progs()
            .find(|p| p.name().to_string_lossy() == name)
        else {
            return Err(LinuxError::ProgramNotFound {
                name: name.to_string(),
                available: Vec::new(),
            });
        };
        match p.attach_type() {
            ProgramAttachType::XdpDevmap | ProgramAttachType::XdpCpumap => {
                Err(LinuxError::NotXdp {
                    name: name.to_string(),
                    kind: format!(
                        "an XDP program for a {:?} entry; BPF_PROG_TEST_RUN refuses those (EINVAL)",
                        p.attach_type()
                    ),
                })
            }
            _ => Ok(name),
        }
    }
}

/// The program to run: the named one, or the object's only XDP program (or, unless
/// `need_one`, no particular one of several).
fn choose(
    open: &OpenObject,
    prog: Option<&str>,
    need_one: bool,
) -> Result<Option<String>, LinuxError> {
    let all: Vec<(String, ProgramType)> = open
        .progs()
        .map(|p| (p.name().to_string_lossy().into_owned(), p.prog_type()))
        .collect();
    let xdp: Vec<String> = all
        .iter()
        .filter(|(_, t)| *t == ProgramType::Xdp)
        .map(|(n, _)| n.clone())
        .collect();
    match prog {
        Some(name) => match all.iter().find(|(n, _)| n == name) {
            None => Err(LinuxError::ProgramNotFound {
                name: name.to_string(),
                available: xdp,
            }),
            Some((_, ProgramType::Xdp)) => Ok(Some(name.to_string())),
            Some((_, other)) => Err(LinuxError::NotXdp {
                name: name.to_string(),
                kind: format!("its program type is {other:?}"),
            }),
        },
        None if xdp.len() == 1 => Ok(Some(xdp[0].clone())),
        None if !need_one && !xdp.is_empty() => Ok(None),
        None => Err(LinuxError::NoUniqueXdpProgram {
            xdp,
            all: all.into_iter().map(|(n, _)| n).collect(),
        }),
    }
}

/// A fresh, unique directory in bpffs for libbpf to pin `LIBBPF_PIN_BY_NAME` maps into, so
/// that no map pinned by anyone else is reused and nothing is left in `/sys/fs/bpf`. libbpf
/// creates it only if such a map exists; it is removed on drop.
struct PinRoot {
    path: PathBuf,
}

impl PinRoot {
    fn new() -> PinRoot {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(format!("/sys/fs/bpf/rvo-linux-{}-{n}", std::process::id()));
        PinRoot { path }
    }
}

impl Drop for PinRoot {
    fn drop(&mut self) {
        if self.path.exists() {
            // Best effort: the maps were unpinned right after load.
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
