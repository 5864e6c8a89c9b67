//! Map contents as files: one JSON object keyed by map name, each value exactly what
//! `bpftool map dump -j` prints for that map (keys and values as arrays of `"0x.."` strings;
//! per-CPU maps with `"values": [{"cpu": N, "value": [...]}, ...]`), so state moves between
//! Linux and rvo unchanged. Fields bpftool adds that carry no state (`formatted`) are ignored.
//! Program arrays, whose values are file descriptors to Linux, name a program of the same
//! object instead: `{"key": ["0x01", ...], "value": "prog_name"}`.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A byte as bpftool writes it: `"0x2a"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HexByte(pub u8);

impl Serialize for HexByte {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{:02x}", self.0))
    }
}

impl<'de> Deserialize<'de> for HexByte {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HexByte, D::Error> {
        let s = String::deserialize(d)?;
        let digits = s.strip_prefix("0x").unwrap_or(&s);
        u8::from_str_radix(digits, 16)
            .map(HexByte)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a hex byte like \"0x2a\"")))
    }
}

fn bytes(v: &[HexByte]) -> Vec<u8> {
    v.iter().map(|b| b.0).collect()
}

fn hex(v: &[u8]) -> Vec<HexByte> {
    v.iter().map(|&b| HexByte(b)).collect()
}

/// One CPU's value of a per-CPU map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuValue {
    /// CPU number.
    pub cpu: u32,
    /// The value.
    pub value: Vec<HexByte>,
}

/// A value: bytes, or (in a program array) the name of a program of the same object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Value bytes.
    Bytes(Vec<HexByte>),
    /// A program, by function name.
    Program(String),
}

/// One entry, as bpftool prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The key.
    pub key: Vec<HexByte>,
    /// The value (maps with one value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The values (per-CPU maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<CpuValue>>,
}

/// A map's contents, neutral form: key and one value per CPU (one value for ordinary maps).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    /// Whether the map has a value per CPU.
    pub per_cpu: bool,
    /// Entries sorted by key.
    pub entries: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    /// Program-array slots, by program name.
    pub programs: BTreeMap<Vec<u8>, String>,
}

/// Every map's contents, by name.
pub type MapsState = BTreeMap<String, Contents>;

/// Read a maps file.
pub fn read(path: &Path) -> Result<MapsState> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| {
        format!(
            "{}: not a maps file (bpftool map dump -j per map name)",
            path.display()
        )
    })
}

/// Parse a maps file's text.
pub fn parse(text: &str) -> Result<MapsState> {
    let raw: BTreeMap<String, Vec<Entry>> = serde_json::from_str(text)?;
    let mut out = MapsState::new();
    for (name, entries) in raw {
        let mut c = Contents::default();
        for (i, e) in entries.into_iter().enumerate() {
            let values = match (e.value, e.values) {
                (Some(Value::Bytes(v)), None) => vec![bytes(&v)],
                (Some(Value::Program(p)), None) => {
                    c.programs.insert(bytes(&e.key), p);
                    continue;
                }
                (None, Some(per_cpu)) => {
                    c.per_cpu = true;
                    let mut vals = vec![Vec::new(); per_cpu.len()];
                    for cv in per_cpu {
                        let slot = vals.get_mut(cv.cpu as usize).with_context(|| {
                            format!("map `{name}` entry {i}: cpu {} out of order", cv.cpu)
                        })?;
                        *slot = bytes(&cv.value);
                    }
                    vals
                }
                _ => bail!("map `{name}` entry {i}: needs either \"value\" or \"values\""),
            };
            c.entries.insert(bytes(&e.key), values);
        }
        out.insert(name, c);
    }
    Ok(out)
}

/// The bpftool JSON of every map.
pub fn to_json(state: &MapsState) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    for (name, c) in state {
        let entries: Vec<Entry> = c
            .entries
            .iter()
            .map(|(k, vals)| {
                if c.per_cpu {
                    let values = vals
                        .iter()
                        .enumerate()
                        .map(|(cpu, v)| CpuValue {
                            cpu: cpu as u32,
                            value: hex(v),
                        })
                        .collect();
                    Entry {
                        key: hex(k),
                        value: None,
                        values: Some(values),
                    }
                } else {
                    Entry {
                        key: hex(k),
                        value: vals.first().map(|v| Value::Bytes(hex(v))),
                        values: None,
                    }
                }
            })
            .collect();
        obj.insert(
            name.clone(),
            serde_json::to_value(entries).unwrap_or_default(),
        );
    }
    serde_json::Value::Object(obj)
}

/// Write a maps file.
pub fn write(path: &Path, state: &MapsState) -> Result<()> {
    let text = serde_json::to_string_pretty(&to_json(state))?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpftool_format_round_trips() {
        let text = r#"{"stats":[{"key":["0x00","0x00","0x00","0x00"],"values":[{"cpu":0,"value":["0x01"]},{"cpu":1,"value":["0x02"]}]}],
                       "rules":[{"key":["0x0a"],"value":["0xff"],"formatted":{"key":10,"value":255}}],
                       "jumps":[{"key":["0x01","0x00","0x00","0x00"],"value":"next_stage"}]}"#;
        let state = parse(text).expect("parses");
        assert_eq!(
            state["stats"].entries[&vec![0, 0, 0, 0]],
            vec![vec![1], vec![2]]
        );
        assert!(state["stats"].per_cpu);
        assert_eq!(state["rules"].entries[&vec![10]], vec![vec![255]]);
        assert_eq!(state["jumps"].programs[&vec![1, 0, 0, 0]], "next_stage");
        let mut no_programs = state.clone();
        no_programs.remove("jumps");
        assert_eq!(
            parse(&to_json(&no_programs).to_string()).expect("re-parses"),
            no_programs
        );
        assert!(parse(r#"{"m":[{"key":["0xzz"],"value":[]}]}"#).is_err());
    }
}
