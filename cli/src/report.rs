//! Per-packet results as people and scripts read them.

use crate::packets::Packet;
use rvo_sim::{Redirect, RunOutcome};

/// One packet's result.
#[derive(Clone, Debug)]
pub struct PacketReport {
    /// Bytes in.
    pub len_in: usize,
    /// The run.
    pub outcome: RunOutcome,
    /// The packet after processing.
    pub packet_out: Packet,
}

impl PacketReport {
    /// Pair inputs with their runs.
    pub fn from_runs(packets: &[Packet], runs: Vec<RunOutcome>) -> Vec<PacketReport> {
        packets
            .iter()
            .zip(runs)
            .map(|(p, outcome)| PacketReport {
                len_in: p.data.len(),
                packet_out: Packet {
                    timestamp: p.timestamp,
                    data: outcome.mem.clone(),
                },
                outcome,
            })
            .collect()
    }
}

fn redirect_text(r: &Redirect) -> String {
    match r {
        Redirect::Ifindex(i) => format!("ifindex {i}"),
        Redirect::Map { map, key, ifindex } => format!("map #{map}[{key}] -> ifindex {ifindex}"),
    }
}

fn redirect_json(r: &Redirect) -> serde_json::Value {
    match r {
        Redirect::Ifindex(i) => serde_json::json!({ "ifindex": i }),
        Redirect::Map { map, key, ifindex } => {
            serde_json::json!({ "map": map, "key": key, "ifindex": ifindex })
        }
    }
}

/// Per-packet lines (text or JSON) and, for text, a summary.
pub fn print_report(program: &str, pcap: &str, device: &str, reports: &[PacketReport], json: bool) {
    if json {
        for (i, r) in reports.iter().enumerate() {
            let o = &r.outcome;
            let mut obj = serde_json::json!({
                "index": i,
                "verdict": o.verdict.name(),
                "len_in": r.len_in,
                "len_out": o.mem.len(),
                "cycles": o.cycles,
            });
            if let Some(t) = &o.redirect {
                obj["redirect"] = redirect_json(t);
            }
            if let Some(f) = &o.fault {
                obj["fault"] = serde_json::Value::String(f.to_string());
            }
            println!("{obj}");
        }
        return;
    }
    println!("{program} over {pcap} on {device}:");
    println!(
        "{:>6}  {:<13} {:>6} {:>7} {:>7}",
        "packet", "verdict", "len", "cycles", "bundles"
    );
    for (i, r) in reports.iter().enumerate() {
        let o = &r.outcome;
        let len = if o.mem.len() == r.len_in {
            format!("{}", r.len_in)
        } else {
            format!("{}->{}", r.len_in, o.mem.len())
        };
        let mut extra = String::new();
        if let Some(t) = &o.redirect {
            extra = format!("  to {}", redirect_text(t));
        }
        if let Some(f) = &o.fault {
            extra = format!("  ({f})");
        }
        println!(
            "{i:>6}  {:<13} {len:>6} {:>7} {:>7}{extra}",
            o.verdict.name(),
            o.cycles,
            o.bundles
        );
    }
    if reports.is_empty() {
        return;
    }
    let total: u64 = reports.iter().map(|r| r.outcome.cycles).sum();
    let mut counts = std::collections::BTreeMap::new();
    for r in reports {
        *counts.entry(r.outcome.verdict.name()).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    println!(
        "{} packets: {}; {:.1} cycles per packet on average",
        reports.len(),
        counts.join(", "),
        total as f64 / reports.len() as f64
    );
}
