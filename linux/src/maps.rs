//! Initial map contents in, final map contents out.

use libbpf_rs::{MapCore, MapFlags, MapType, Object, OpenObject};

use crate::error::{errno_of, LinuxError};
use crate::{MapEntry, MapState};

/// The name a map is known by here: libbpf's name, except that global-data maps, which
/// libbpf names after the object file (`prog.rodata` for `prog.o`, the file name cut to fit
/// 15 characters), are named after their section alone: `.rodata`, `.data`, `.bss`,
/// `.kconfig`, `.data.NAME`. (C identifiers have no dot; libbpf's prefix has none either.)
pub(crate) fn map_name(libbpf_name: &std::ffi::OsStr) -> String {
    let name = libbpf_name.to_string_lossy();
    match name.find('.') {
        Some(dot) => name[dot..].to_string(),
        None => name.into_owned(),
    }
}

/// Whether `wanted` names the map libbpf calls `libbpf_name` (by either name).
fn names(wanted: &str, libbpf_name: &std::ffi::OsStr) -> bool {
    libbpf_name.to_string_lossy() == wanted || map_name(libbpf_name) == wanted
}

/// How a map of a type is read back after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    /// Keys by `BPF_MAP_GET_NEXT_KEY`, one value each by `BPF_MAP_LOOKUP_ELEM`.
    Plain,
    /// Keys likewise, one value per possible CPU.
    PerCpu,
    /// Not read (see [`is_readable_map_type`]).
    Skip,
}

fn read_mode(map_type: MapType) -> Read {
    match map_type {
        MapType::Hash
        | MapType::Array
        | MapType::LruHash
        | MapType::LpmTrie
        | MapType::Devmap
        | MapType::DevmapHash
        | MapType::Cpumap => Read::Plain,
        MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash => Read::PerCpu,
        _ => Read::Skip,
    }
}

/// Whether [`crate::run_xdp`] reads maps of this type (a `BPF_MAP_TYPE_*` number) back.
///
/// Read: `HASH`, `ARRAY` (so the `.rodata`/`.data`/`.bss`/`.kconfig` global-data maps),
/// `LRU_HASH`, `LPM_TRIE`, `DEVMAP` and `DEVMAP_HASH` (values are `struct bpf_devmap_val`: the
/// ifindex, then the program id if the value is 8 bytes), `CPUMAP` (queue size, then program
/// id), and the per-CPU `PERCPU_ARRAY`, `PERCPU_HASH`, `LRU_PERCPU_HASH`.
///
/// Not read, and left out of [`crate::LinuxRun::maps`]: maps whose values user space sees as
/// object ids that differ on every load (`PROG_ARRAY`, `ARRAY_OF_MAPS`, `HASH_OF_MAPS`),
/// maps user space cannot look up (`PERF_EVENT_ARRAY`, `XSKMAP`, `SOCKMAP`, `SOCKHASH`,
/// `REUSEPORT_SOCKARRAY`, `CGROUP_ARRAY`, `STRUCT_OPS`, `ARENA`), maps without keys that can
/// only be read destructively or not at all (`QUEUE`, `STACK`, `BLOOM_FILTER`, `RINGBUF`,
/// `USER_RINGBUF`), maps keyed by kernel objects (`STACK_TRACE`, cgroup/socket/inode/task
/// storage), and types this libbpf does not know.
pub fn is_readable_map_type(map_type: u32) -> bool {
    read_mode(MapType::from(map_type)) != Read::Skip
}

/// Checks that every map named in `init` exists, and sets the contents of global-data maps
/// (`.rodata`, `.data`, `.bss`: single-entry ARRAYs with key 0) before load, so the verifier
/// sees `.rodata` as the caller gave it (it is frozen at load). Returns the entries to write
/// after load.
pub(crate) fn set_before_load<'a>(
    open: &mut OpenObject,
    init: &'a [MapState],
) -> Result<Vec<&'a MapState>, LinuxError> {
    let mut after_load = Vec::new();
    for state in init {
        if !open.maps().any(|m| names(&state.name, m.name())) {
            return Err(LinuxError::UnknownMap {
                name: state.name.clone(),
                available: open.maps().map(|m| map_name(m.name())).collect(),
            });
        }
        for mut map in open.maps_mut() {
            if !names(&state.name, map.name()) {
                continue;
            }
            if map.initial_value().is_none() {
                after_load.push(state);
                continue;
            }
            let (key_size, value_size) = (map.key_size(), map.value_size());
            for entry in &state.entries {
                check_entry(&state.name, entry, key_size, value_size, None)?;
                if entry.key.iter().any(|&b| b != 0) {
                    return Err(LinuxError::MapUpdate {
                        map: state.name.clone(),
                        key: entry.key.clone(),
                        errno: Some(7),
                        reason: "a global-data map has the one key 0".to_string(),
                    });
                }
                map.set_initial_value(&entry.values[0])
                    .map_err(|e| LinuxError::MapUpdate {
                        map: state.name.clone(),
                        key: entry.key.clone(),
                        errno: errno_of(&e),
                        reason: e.to_string(),
                    })?;
            }
        }
    }
    Ok(after_load)
}

/// Writes the remaining initial entries into the loaded maps.
pub(crate) fn set_after_load(object: &Object, init: &[&MapState]) -> Result<(), LinuxError> {
    let cpus = possible_cpus()?;
    for state in init {
        let Some(map) = object.maps().find(|m| names(&state.name, m.name())) else {
            return Err(LinuxError::UnknownMap {
                name: state.name.clone(),
                available: object.maps().map(|m| map_name(m.name())).collect(),
            });
        };
        let per_cpu = map.map_type().is_percpu();
        for (key, prog) in &state.programs {
            set_program_slot(object, &state.name, &map, key, prog)?;
        }
        for entry in &state.entries {
            check_entry(
                &state.name,
                entry,
                map.key_size(),
                map.value_size(),
                per_cpu.then_some(cpus),
            )?;
            let result = if per_cpu {
                let values = if entry.values.len() == 1 {
                    vec![entry.values[0].clone(); cpus]
                } else {
                    entry.values.clone()
                };
                map.update_percpu(&entry.key, &values, MapFlags::ANY)
            } else {
                map.update(&entry.key, &entry.values[0], MapFlags::ANY)
            };
            result.map_err(|e| LinuxError::MapUpdate {
                map: state.name.clone(),
                key: entry.key.clone(),
                errno: errno_of(&e),
                reason: e.to_string(),
            })?;
        }
    }
    Ok(())
}

/// Puts the file descriptor of the object's program `prog` into slot `key` of a program array.
fn set_program_slot(
    object: &Object,
    name: &str,
    map: &libbpf_rs::Map,
    key: &[u8],
    prog: &str,
) -> Result<(), LinuxError> {
    use std::os::fd::{AsFd, AsRawFd};
    let err = |errno, reason: String| LinuxError::MapUpdate {
        map: name.to_string(),
        key: key.to_vec(),
        errno,
        reason,
    };
    if map.map_type() != MapType::ProgArray {
        return Err(err(
            Some(22),
            "only a program array takes program names".to_string(),
        ));
    }
    let program = object
        .progs()
        .find(|p| p.name().to_string_lossy() == prog)
        .ok_or_else(|| {
            err(
                Some(2),
                format!("no program `{prog}` is loaded from this object"),
            )
        })?;
    let fd = program.as_fd().as_raw_fd() as u32;
    map.update(key, &fd.to_ne_bytes(), MapFlags::ANY)
        .map_err(|e| err(errno_of(&e), e.to_string()))
}

/// Sizes and value counts; `cpus` is `Some(possible CPUs)` for per-CPU maps.
fn check_entry(
    map: &str,
    entry: &MapEntry,
    key_size: u32,
    value_size: u32,
    cpus: Option<usize>,
) -> Result<(), LinuxError> {
    if entry.key.len() != key_size as usize {
        return Err(LinuxError::KeySize {
            map: map.to_string(),
            key: entry.key.clone(),
            expected: key_size,
            got: entry.key.len(),
        });
    }
    let count_ok = match cpus {
        Some(n) => entry.values.len() == 1 || entry.values.len() == n,
        None => entry.values.len() == 1,
    };
    if !count_ok {
        return Err(LinuxError::ValueCount {
            map: map.to_string(),
            key: entry.key.clone(),
            expected: match cpus {
                Some(n) => format!("1 (for every CPU) or {n} (one per possible CPU)"),
                None => "exactly 1".to_string(),
            },
            got: entry.values.len(),
        });
    }
    if let Some(value) = entry.values.iter().find(|v| v.len() != value_size as usize) {
        return Err(LinuxError::ValueSize {
            map: map.to_string(),
            key: entry.key.clone(),
            expected: value_size,
            got: value.len(),
        });
    }
    Ok(())
}

/// The contents of every readable map of the object, in the object's map order.
///
/// Array-like maps list their entries in index order; hash-like maps (`HASH`, `LRU_HASH`,
/// `LPM_TRIE`, `DEVMAP_HASH`, per-CPU hashes) sorted by key bytes. `DEVMAP`/`CPUMAP` slots
/// that hold nothing are left out.
pub(crate) fn read_all(object: &Object) -> Result<Vec<MapState>, LinuxError> {
    let mut states = Vec::new();
    for map in object.maps() {
        let name = map_name(map.name());
        let read_error = |e: libbpf_rs::Error| LinuxError::MapRead {
            map: name.clone(),
            errno: errno_of(&e),
            reason: e.to_string(),
        };
        let map_type = map.info().map_err(read_error)?.info.type_;
        let mode = read_mode(MapType::from(map_type));
        if mode == Read::Skip {
            continue;
        }
        let mut entries = Vec::new();
        for key in map.keys() {
            let values = match mode {
                Read::PerCpu => map.lookup_percpu(&key, MapFlags::ANY).map_err(read_error)?,
                _ => map
                    .lookup(&key, MapFlags::ANY)
                    .map_err(read_error)?
                    .map(|v| vec![v]),
            };
            if let Some(values) = values {
                entries.push(MapEntry { key, values });
            }
        }
        let hashed = !matches!(
            MapType::from(map_type),
            MapType::Array | MapType::PercpuArray | MapType::Devmap | MapType::Cpumap
        );
        if hashed {
            entries.sort_by(|a, b| a.key.cmp(&b.key));
        }
        states.push(MapState {
            name,
            map_type,
            key_size: map.key_size(),
            value_size: map.value_size(),
            max_entries: map.max_entries(),
            per_cpu: mode == Read::PerCpu,
            entries,
            programs: Vec::new(),
        });
    }
    Ok(states)
}

/// The number of possible CPUs: the length of every per-CPU value list.
pub(crate) fn possible_cpus() -> Result<usize, LinuxError> {
    libbpf_rs::num_possible_cpus().map_err(|e| LinuxError::MapRead {
        map: "(per-CPU maps)".to_string(),
        errno: errno_of(&e),
        reason: format!("cannot count the possible CPUs: {e}"),
    })
}
