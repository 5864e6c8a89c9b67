//! Packets in and out: pcap files, and the example bundled with rvo.

use anyhow::{Context, Result};
use pcap_file::pcap::{PcapPacket, PcapReader, PcapWriter};
use std::path::Path;
use std::time::Duration;

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Capture time since the epoch.
    pub timestamp: Duration,
    /// The frame bytes.
    pub data: Vec<u8>,
}

/// The example program `rvo run` uses when given none.
pub const EXAMPLE_PROGRAM: &str = include_str!("../../examples/filter.s");
/// The packets `rvo run` uses when given none.
pub const EXAMPLE_PCAP: &[u8] = include_bytes!("../../examples/packets.pcap");

/// Read every packet of a pcap stream.
pub fn read_pcap(bytes: &[u8], name: &str) -> Result<Vec<Packet>> {
    let mut reader = PcapReader::new(bytes).with_context(|| format!("{name}: not a pcap file"))?;
    let mut out = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.with_context(|| format!("{name}: packet {} is corrupt", out.len()))?;
        if (pkt.data.len() as u32) < pkt.orig_len {
            anyhow::bail!(
                "{name}: packet {} was truncated by the capture ({} of {} bytes); re-capture with a larger snap length",
                out.len(),
                pkt.data.len(),
                pkt.orig_len
            );
        }
        out.push(Packet {
            timestamp: pkt.timestamp,
            data: pkt.data.into_owned(),
        });
    }
    Ok(out)
}

/// Read a pcap file.
pub fn read_pcap_file(path: &Path) -> Result<Vec<Packet>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    read_pcap(&bytes, &path.display().to_string())
}

/// Write packets to a pcap file.
pub fn write_pcap_file(path: &Path, packets: &[Packet]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer =
        PcapWriter::new(file).with_context(|| format!("cannot write {}", path.display()))?;
    for p in packets {
        writer
            .write_packet(&PcapPacket::new(p.timestamp, p.data.len() as u32, &p.data))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
