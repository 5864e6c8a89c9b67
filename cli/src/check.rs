//! `rvo check`: the same program, packets and maps on Linux (`BPF_PROG_TEST_RUN`) and on rvo,
//! and every difference between them: verdict, output bytes, metadata, final map contents.

use crate::maps_json::{Contents, MapsState};
use crate::xdp::{canonical_map_name, XdpSession};
use anyhow::{anyhow, Result};
use rvo_compiler::Options;
use rvo_isa::Verdict;
use std::fmt;
use std::path::Path;

/// One way rvo and Linux disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Different verdicts.
    Verdict { packet: usize, linux: u32, rvo: u64 },
    /// Different packet bytes after the run.
    Bytes {
        packet: usize,
        linux: Vec<u8>,
        rvo: Vec<u8>,
    },
    /// Different metadata in front of the packet.
    Meta {
        packet: usize,
        linux: Vec<u8>,
        rvo: Vec<u8>,
    },
    /// A map entry differs, or exists on one side only.
    MapEntry {
        map: String,
        key: Vec<u8>,
        linux: Option<Vec<Vec<u8>>>,
        rvo: Option<Vec<Vec<u8>>>,
    },
    /// A map exists on one side only.
    Map { map: String, on: &'static str },
}

fn first_diff(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = |v: u64| Verdict::from_r0(v).name();
        match self {
            Difference::Verdict { packet, linux, rvo } => write!(
                f,
                "packet {packet}: verdict {} ({linux}) on Linux, {} ({rvo}) on rvo",
                verdict(*linux as u64),
                verdict(*rvo)
            ),
            Difference::Bytes { packet, linux, rvo } | Difference::Meta { packet, linux, rvo } => {
                let what = if matches!(self, Difference::Meta { .. }) {
                    "metadata"
                } else {
                    "bytes"
                };
                let at = first_diff(linux, rvo);
                write!(
                    f,
                    "packet {packet}: {what} differ from offset {at} (Linux {} bytes{}, rvo {} bytes{})",
                    linux.len(),
                    linux.get(at).map(|b| format!(", {b:#04x} there")).unwrap_or_default(),
                    rvo.len(),
                    rvo.get(at).map(|b| format!(", {b:#04x} there")).unwrap_or_default()
                )
            }
            Difference::MapEntry {
                map,
                key,
                linux,
                rvo,
            } => {
                write!(
                    f,
                    "map `{map}` key {key:02x?}: Linux {linux:02x?}, rvo {rvo:02x?}"
                )
            }
            Difference::Map { map, on } => write!(f, "map `{map}` exists only on {on}"),
        }
    }
}

/// The result of a check.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The program checked.
    pub program: String,
    /// Packets run.
    pub packets: usize,
    /// Verdict counts on Linux, by verdict name.
    pub linux_verdicts: std::collections::BTreeMap<&'static str, usize>,
    /// rvo's cycles per packet.
    pub cycles: Vec<u64>,
    /// Every difference found.
    pub differences: Vec<Difference>,
}

/// Convert a maps file to the oracle's initial state.
pub fn linux_init(state: &MapsState) -> Vec<rvo_linux::MapState> {
    state
        .iter()
        .map(|(name, c)| {
            let entries = c
                .entries
                .iter()
                .map(|(k, v)| rvo_linux::MapEntry {
                    key: k.clone(),
                    values: v.clone(),
                })
                .collect();
            let mut s = rvo_linux::MapState::init(name.clone(), entries);
            s.programs = c
                .programs
                .iter()
                .map(|(k, p)| (k.clone(), p.clone()))
                .collect();
            s
        })
        .collect()
}

/// The inputs of a check: the frames of a pcap file and, when given, a maps file.
pub fn inputs(pcap: &Path, maps: Option<&Path>) -> Result<(Vec<Vec<u8>>, MapsState)> {
    let packets = crate::packets::read_pcap_file(pcap)?
        .into_iter()
        .map(|p| p.data)
        .collect();
    let state = match maps {
        Some(m) => crate::maps_json::read(m)?,
        None => MapsState::new(),
    };
    Ok((packets, state))
}

/// Run both and compare.
pub fn check(
    object: &Path,
    prog: Option<&str>,
    packets: &[Vec<u8>],
    maps: &MapsState,
    opts: &Options,
    device: &str,
) -> Result<CheckReport> {
    let name = object.display().to_string();
    let linux = rvo_linux::run_xdp(
        object,
        prog,
        &linux_init(maps),
        packets,
        &rvo_linux::TestRunOptions::default(),
    )
    .map_err(|e| anyhow!("{name}: on Linux: {e}"))?;
    let mut session = XdpSession::load(object, prog, opts, device)?;
    session.device_cpu = linux.cpu as usize;
    session.set_maps(maps)?;
    let runs = session.run(packets)?;
    let mut differences = Vec::new();
    let mut linux_verdicts = std::collections::BTreeMap::new();
    for (i, (l, r)) in linux.packets.iter().zip(&runs).enumerate() {
        *linux_verdicts
            .entry(Verdict::from_r0(l.retval as u64).name())
            .or_insert(0) += 1;
        if l.retval as u64 != r.r0 {
            differences.push(Difference::Verdict {
                packet: i,
                linux: l.retval,
                rvo: r.r0,
            });
        }
        let (l_meta, l_data) = l
            .data_out
            .split_at((l.meta_len as usize).min(l.data_out.len()));
        if l_data != r.mem.as_slice() {
            differences.push(Difference::Bytes {
                packet: i,
                linux: l_data.to_vec(),
                rvo: r.mem.clone(),
            });
        }
        if l_meta != r.meta.as_slice() {
            differences.push(Difference::Meta {
                packet: i,
                linux: l_meta.to_vec(),
                rvo: r.meta.clone(),
            });
        }
    }
    let rvo_maps = session.dump_maps()?;
    compare_maps(&linux.maps, &rvo_maps, &mut differences);
    Ok(CheckReport {
        program: session.program.clone(),
        packets: packets.len(),
        linux_verdicts,
        cycles: runs.iter().map(|r| r.cycles).collect(),
        differences,
    })
}

fn compare_maps(linux: &[rvo_linux::MapState], rvo: &MapsState, out: &mut Vec<Difference>) {
    let empty = Contents::default();
    for l in linux {
        let name = canonical_map_name(&l.name).to_string();
        let Some(r) = rvo.get(&name) else {
            out.push(Difference::Map {
                map: name,
                on: "Linux",
            });
            continue;
        };
        let mut keys: Vec<&Vec<u8>> = l
            .entries
            .iter()
            .map(|e| &e.key)
            .chain(r.entries.keys())
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let lv = l.get(key).map(<[Vec<u8>]>::to_vec);
            let rv = r.entries.get(key).cloned();
            if lv != rv {
                out.push(Difference::MapEntry {
                    map: name.clone(),
                    key: key.clone(),
                    linux: lv,
                    rvo: rv,
                });
            }
        }
    }
    for name in rvo.keys() {
        let known = linux.iter().any(|l| canonical_map_name(&l.name) == name);
        if !known && rvo.get(name).is_some_and(|c| c != &empty) {
            out.push(Difference::Map {
                map: name.clone(),
                on: "rvo",
            });
        }
    }
}
