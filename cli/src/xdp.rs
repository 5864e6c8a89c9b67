//! XDP programs from ELF objects on a device: load, set maps, run packets, dump maps.

use crate::maps_json::{Contents, MapsState};
use anyhow::{anyhow, bail, Context, Result};
use rvo_compiler::elf::{parse_object, ElfObject, MapOrigin};
use rvo_compiler::{Compiled, Options};
use rvo_isa::maps::update_flags;
use rvo_isa::MapType;
use rvo_sim::{Device, DeviceError, RunInput, RunOutcome};
use std::collections::BTreeMap;
use std::path::Path;

/// The number of CPUs Linux reports per-CPU values for (`/sys/devices/system/cpu/possible`).
pub fn possible_cpus() -> usize {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    text.trim()
        .split(',')
        .filter_map(|part| {
            let mut ends = part.split('-').map(|n| n.parse::<usize>().ok());
            match (ends.next().flatten(), ends.next()) {
                (Some(a), Some(Some(b))) => Some(b + 1 - a.min(b + 1)),
                (Some(_), None) => Some(1),
                _ => None,
            }
        })
        .sum::<usize>()
        .max(1)
}

/// The name a map is known by in maps files: Linux names global data maps
/// `<object>.rodata` (truncated), so only the section part is compared.
pub fn canonical_map_name(name: &str) -> &str {
    match name.find('.') {
        Some(i)
            if i > 0
                && [".rodata", ".data", ".bss"]
                    .iter()
                    .any(|s| name[i..].starts_with(s)) =>
        {
            &name[i..]
        }
        _ => name,
    }
}

/// An XDP program loaded on a device.
pub struct XdpSession {
    /// The object it came from.
    pub object: ElfObject,
    /// The program's name.
    pub program: String,
    /// The compiled image.
    pub compiled: Compiled,
    dev: Box<dyn Device>,
    /// Per-CPU values of the host's CPUs, kept for dumps; the device's own CPU's values live
    /// on the device.
    host_cpus: BTreeMap<(usize, Vec<u8>), Vec<Vec<u8>>>,
    /// Which CPU the device stands for in per-CPU maps (where its values go in dumps and
    /// come from in maps files). 0 unless matched to a Linux run pinned elsewhere.
    pub device_cpu: usize,
}

impl XdpSession {
    /// Parse, compile and load.
    pub fn load(
        path: &Path,
        prog: Option<&str>,
        opts: &Options,
        device: &str,
    ) -> Result<XdpSession> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        let object = parse_object(&bytes).map_err(|e| anyhow!("{name}: {e}"))?;
        XdpSession::from_object(object, &name, prog, opts, device)
    }

    /// Compile and load a parsed object's program.
    pub fn from_object(
        object: ElfObject,
        name: &str,
        prog: Option<&str>,
        opts: &Options,
        device: &str,
    ) -> Result<XdpSession> {
        XdpSession::from_object_traced(object, name, prog, opts, device, None)
    }

    /// As [`XdpSession::from_object`]; the RTL writes a VCD waveform to `vcd` when given.
    pub fn from_object_traced(
        object: ElfObject,
        name: &str,
        prog: Option<&str>,
        opts: &Options,
        device: &str,
        vcd: Option<std::path::PathBuf>,
    ) -> Result<XdpSession> {
        let p = object.program(prog).map_err(|e| anyhow!("{name}: {e}"))?;
        let compiled = object
            .compile(p, opts)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        let program = p.name.clone();
        let mut dev = crate::devices::open_device_traced(device, vcd)?;
        dev.load(&compiled.image)
            .with_context(|| format!("{name}: the {device} device refused the image"))?;
        Ok(XdpSession {
            object,
            program,
            compiled,
            dev,
            host_cpus: BTreeMap::new(),
            device_cpu: 0,
        })
    }

    fn map_index(&self, name: &str) -> Result<usize> {
        let wanted = canonical_map_name(name);
        self.object
            .maps
            .iter()
            .position(|m| canonical_map_name(&m.name) == wanted)
            .ok_or_else(|| {
                let have: Vec<&str> = self.object.maps.iter().map(|m| m.name.as_str()).collect();
                anyhow!(
                    "no map `{name}` in the object (it has: {})",
                    have.join(", ")
                )
            })
    }

    /// Write the entries of a maps file into the device's maps.
    pub fn set_maps(&mut self, state: &MapsState) -> Result<()> {
        for (name, contents) in state {
            let m = self.map_index(name)?;
            let desc = self.object.maps[m].desc;
            if desc.kind() == Some(MapType::ProgArray) {
                self.set_programs(m, name, contents)?;
                continue;
            }
            if let Some(key) = contents.programs.keys().next() {
                bail!(
                    "map `{name}`: key {key:02x?} names a program, but this is not a program array"
                );
            }
            for (key, values) in &contents.entries {
                // Per-CPU maps: one value for every CPU, or one per CPU.
                let per_cpu = desc.kind().is_some_and(MapType::is_percpu);
                let own = if per_cpu && values.len() > 1 {
                    self.device_cpu
                } else {
                    0
                };
                let value = values.get(own).with_context(|| {
                    format!("map `{name}`: an entry has no value for CPU {own}")
                })?;
                if key.len() != desc.key_size as usize || value.len() != desc.value_size as usize {
                    bail!(
                        "map `{name}`: entry with a {}-byte key and {}-byte value, but the map has {}-byte keys and {}-byte values",
                        key.len(),
                        value.len(),
                        desc.key_size,
                        desc.value_size
                    );
                }
                self.dev
                    .map_update(m, key, value, update_flags::ANY)
                    .with_context(|| format!("map `{name}`: cannot set key {key:02x?}"))?;
                if per_cpu {
                    let all = if values.len() > 1 {
                        values.clone()
                    } else {
                        vec![value.clone(); possible_cpus()]
                    };
                    self.host_cpus.insert((m, key.clone()), all);
                }
            }
        }
        Ok(())
    }

    /// Fill a program array: slot values are program index + 1 in the image's program order.
    fn set_programs(&mut self, m: usize, name: &str, contents: &Contents) -> Result<()> {
        if !contents.entries.is_empty() {
            bail!("map `{name}` is a program array: give each slot a program name, e.g. \"value\": \"xdp_next\"");
        }
        let main = self
            .object
            .program(Some(&self.program))
            .map_err(|e| anyhow!("{e}"))?;
        let order: Vec<String> = self
            .object
            .tail_call_order(main)
            .iter()
            .map(|p| p.name.clone())
            .collect();
        for (key, prog) in &contents.programs {
            let index = order.iter().position(|p| p == prog).with_context(|| {
                format!(
                    "map `{name}`: no XDP program `{prog}` in the object (it has: {})",
                    order.join(", ")
                )
            })?;
            self.dev
                .map_update(m, key, &(index as u32 + 1).to_le_bytes(), update_flags::ANY)
                .with_context(|| format!("map `{name}`: cannot set key {key:02x?}"))?;
        }
        Ok(())
    }

    /// Run every packet in order (map state carries over, as on a NIC).
    pub fn run(&mut self, packets: &[Vec<u8>]) -> Result<Vec<RunOutcome>> {
        packets
            .iter()
            .enumerate()
            .map(|(i, p)| match self.dev.run(&RunInput::xdp(p)) {
                Ok(out) => Ok(out),
                Err(e) => {
                    let at = match &e {
                        DeviceError::Diverged {
                            bundle: Some(b), ..
                        } => self.source_of(*b),
                        _ => None,
                    };
                    let at = at.map_or_else(String::new, |at| format!(" (bundle from {at})"));
                    Err(anyhow::Error::new(e).context(format!("packet {i}{at}")))
                }
            })
            .collect()
    }

    /// The eBPF instruction bundle `bundle` came from, and its source line when BTF has it.
    pub fn source_of(&self, bundle: u32) -> Option<String> {
        let c = &self.compiled;
        let &(_, _, slot) = c
            .source_map
            .iter()
            .find(|(b, _, _)| *b == bundle as usize)?;
        c.ebpf.get(slot)?;
        let insn = rvo_compiler::disasm::Disasm {
            insns: &c.ebpf,
            pc: slot,
        };
        let line = self
            .object
            .program(Some(&self.program))
            .ok()
            .filter(|p| slot < p.insns.len())
            .and_then(|p| p.line_of(slot).map(ToString::to_string));
        Some(match line {
            Some(line) => format!("eBPF #{slot} `{insn}` at {line}"),
            None => format!("eBPF #{slot} `{insn}`"),
        })
    }

    /// Every map's contents (program arrays excepted), as bpftool would dump them.
    pub fn dump_maps(&mut self) -> Result<MapsState> {
        let cpus = possible_cpus();
        let mut out = MapsState::new();
        for (m, map) in self.object.maps.iter().enumerate() {
            let kind = map.desc.kind();
            if kind == Some(MapType::ProgArray) {
                continue;
            }
            let per_cpu = kind.is_some_and(MapType::is_percpu);
            let mut c = Contents {
                per_cpu,
                ..Contents::default()
            };
            let mut key: Option<Vec<u8>> = None;
            while let Some(next) = self.dev.map_next_key(m, key.as_deref())? {
                let value = self.dev.map_lookup(m, &next)?.unwrap_or_default();
                let mut values = vec![value.clone()];
                if per_cpu {
                    let host = self.host_cpus.get(&(m, next.clone()));
                    let zero = vec![0; map.desc.value_size as usize];
                    values = (0..cpus.max(self.device_cpu + 1))
                        .map(|cpu| match cpu == self.device_cpu {
                            true => value.clone(),
                            false => host
                                .and_then(|h| h.get(cpu))
                                .cloned()
                                .unwrap_or_else(|| zero.clone()),
                        })
                        .collect();
                }
                c.entries.insert(next.clone(), values);
                key = Some(next);
            }
            let name = if map.origin == MapOrigin::GlobalData {
                canonical_map_name(&map.name)
            } else {
                &map.name
            };
            out.insert(name.to_string(), c);
        }
        Ok(out)
    }
}
