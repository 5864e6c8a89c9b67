//! The one error type of the crate.

use std::path::PathBuf;

use thiserror::Error;

/// Why loading, initialising, running or reading back an XDP object failed.
///
/// Every variant names what it is about (file, program, map, packet) so that the message alone
/// tells the user what to fix. Errnos are the kernel's (positive, e.g. 13 = `EACCES`).
#[derive(Debug, Error)]
pub enum LinuxError {
    /// The file could not be read or is not a BPF ELF object libbpf can parse.
    #[error("cannot open BPF object {path}: {reason}{}", log_suffix(log))]
    Open {
        /// The object file.
        path: PathBuf,
        /// libbpf's error.
        reason: String,
        /// What libbpf printed while opening (may be empty).
        log: String,
    },

    /// No program of that name in the object.
    #[error(
        "no program '{name}' in the object; its XDP programs: {}",
        list(available)
    )]
    ProgramNotFound {
        /// The name asked for.
        name: String,
        /// The XDP programs the object does have.
        available: Vec<String>,
    },

    /// No program was named and the object has no XDP program, or more than one.
    #[error(
        "name the program to run: the object has {} XDP programs ({}); all its programs: {}",
        xdp.len(),
        list(xdp),
        list(all)
    )]
    NoUniqueXdpProgram {
        /// The XDP programs of the object.
        xdp: Vec<String>,
        /// All programs of the object.
        all: Vec<String>,
    },

    /// The named program exists but is not an XDP program `BPF_PROG_TEST_RUN` accepts.
    #[error("program '{name}' is not a runnable XDP program: {kind}")]
    NotXdp {
        /// The program.
        name: String,
        /// What it is instead (program type, or why this XDP program cannot be test-run).
        kind: String,
    },

    /// The kernel verifier refused a program. `log` is the verifier's full log.
    #[error("the kernel verifier rejected program '{program}' ({}):\n{log}", errno_text(*errno))]
    VerifierRejected {
        /// The rejected program (every XDP program of the object is loaded).
        program: String,
        /// The errno of the load (13 = `EACCES` for most verifier rejections).
        errno: Option<i32>,
        /// The verifier log, complete, as the kernel wrote it.
        log: String,
    },

    /// Loading failed for a reason other than the verifier (map creation, BTF, relocation).
    #[error("loading the object into the kernel failed ({}): {reason}{}", errno_text(*errno), log_suffix(log))]
    Load {
        /// The errno, if the failure had one.
        errno: Option<i32>,
        /// libbpf's error.
        reason: String,
        /// Everything libbpf printed while loading.
        log: String,
    },

    /// An initial map content names a map the object does not have.
    #[error("no map '{name}' in the object; its maps: {}", list(available))]
    UnknownMap {
        /// The name asked for.
        name: String,
        /// The object's maps.
        available: Vec<String>,
    },

    /// An initial entry's key has the wrong size.
    #[error(
        "map '{map}': key {} is {got} bytes, the map's keys are {expected}",
        hex(key)
    )]
    KeySize {
        /// The map.
        map: String,
        /// The offending key.
        key: Vec<u8>,
        /// The map's key size.
        expected: u32,
        /// The given key's size.
        got: usize,
    },

    /// An initial entry's value has the wrong size.
    #[error(
        "map '{map}': value for key {} is {got} bytes, the map's values are {expected}",
        hex(key)
    )]
    ValueSize {
        /// The map.
        map: String,
        /// The entry's key.
        key: Vec<u8>,
        /// The map's value size.
        expected: u32,
        /// The given value's size.
        got: usize,
    },

    /// An initial entry has the wrong number of values.
    #[error("map '{map}': key {} has {got} values; give {expected}", hex(key))]
    ValueCount {
        /// The map.
        map: String,
        /// The entry's key.
        key: Vec<u8>,
        /// What is accepted: "1" for ordinary maps, "1 or N (one per possible CPU)" for per-CPU.
        expected: String,
        /// How many were given.
        got: usize,
    },

    /// The kernel refused an initial map update.
    #[error("map '{map}': setting key {} failed ({}): {reason}", hex(key), errno_text(*errno))]
    MapUpdate {
        /// The map.
        map: String,
        /// The entry's key.
        key: Vec<u8>,
        /// The errno (e.g. 7 = `E2BIG` when an ARRAY index is out of range).
        errno: Option<i32>,
        /// The error text.
        reason: String,
    },

    /// Reading a map back after the run failed.
    #[error("reading map '{map}' failed ({}): {reason}", errno_text(*errno))]
    MapRead {
        /// The map.
        map: String,
        /// The errno.
        errno: Option<i32>,
        /// The error text.
        reason: String,
    },

    /// The options cannot be passed to the kernel as they are.
    #[error("invalid test-run options: {0}")]
    InvalidOptions(String),

    /// `BPF_PROG_TEST_RUN` failed for one packet.
    #[error("BPF_PROG_TEST_RUN failed on packet {packet} ({len} bytes) ({}): {reason}", errno_text(*errno))]
    TestRun {
        /// The index of the packet in the input.
        packet: usize,
        /// Its length.
        len: usize,
        /// The errno (22 = `EINVAL`: e.g. fewer than 14 bytes, a bad ifindex or queue;
        /// 12 = `ENOMEM`: more than 17 fragments of 4096 bytes past the linear part).
        errno: Option<i32>,
        /// The error text.
        reason: String,
    },

    /// Pinning the running thread to one CPU failed (see [`crate::LinuxRun::cpu`]).
    #[error("cannot pin the thread to one CPU: {0}")]
    CpuAffinity(String),
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn errno_text(errno: Option<i32>) -> String {
    match errno {
        Some(e) => format!("errno {e}"),
        None => "no errno".to_string(),
    }
}

fn log_suffix(log: &str) -> String {
    let log = log.trim_end();
    if log.is_empty() {
        String::new()
    } else {
        format!("\nlibbpf said:\n{log}")
    }
}

/// The errno inside a libbpf-rs error. libbpf-rs keeps it in an `io::Error` that it does not
/// expose, but its text always ends in `(os error N)`.
pub(crate) fn errno_of(error: &libbpf_rs::Error) -> Option<i32> {
    let text = format!("{error:#}");
    let start = text.rfind("(os error ")? + "(os error ".len();
    let end = start + text[start..].find(')')?;
    text[start..end].parse().ok()
}
