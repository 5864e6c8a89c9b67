//! The device side of the contract (`rvo_isa::contract`), over any shared memory.
//!
//! [`DevSim`] owns the ISA model, the maps the host created and the wire. Each map lives in a
//! map-only image on its own model while no program uses it; [`Op::Load`] copies the bound maps'
//! entries into the program's model and [`Op::Unload`] (or the next load) copies them back, so
//! the host sees one map whether or not a program is loaded.
//!
//! Not modelled: DMA, several images, commands in flight in parallel.

use rvo_isa::contract::{
    self, layout, mailbox, rings, rx_slot, tx_slot, DeviceCounters, DeviceKind, Identity, Op,
    KEY_BUF, MSG_BUF, RING_SLOTS, SLOT_DATA, SLOT_SIZE, VALUE_BUF,
};
use rvo_isa::image::{ImageHeader, IMAGE_MAGIC, IMAGE_VERSION};
use rvo_isa::maps::{errno, MapDesc, MAX_MAPS};
use rvo_isa::{Insn, Opcode, Verdict};
use rvo_sim::{Device, DeviceError, IsaModel, MapOpError, Mode, RunInput};
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::Duration;

/// Linux errnos the contract uses beyond the map engines' ones.
mod linux {
    pub const EBUSY: i32 = 16;
    pub const ENODEV: i32 = 19;
    pub const ENOSPC: i32 = 28;
    pub const EOPNOTSUPP: i32 = 95;
}

/// Byte-addressed shared memory (BAR2).
pub trait Shm {
    /// Read `buf.len()` bytes at `off`.
    fn read(&self, off: usize, buf: &mut [u8]);
    /// Write `buf` at `off`.
    fn write(&self, off: usize, buf: &[u8]);

    /// A little-endian `u32`.
    fn u32(&self, off: usize) -> u32 {
        let mut b = [0; 4];
        self.read(off, &mut b);
        u32::from_le_bytes(b)
    }
    /// Write a little-endian `u32`.
    fn set_u32(&self, off: usize, v: u32) {
        self.write(off, &v.to_le_bytes());
    }
    /// A little-endian `u64`.
    fn u64(&self, off: usize) -> u64 {
        let mut b = [0; 8];
        self.read(off, &mut b);
        u64::from_le_bytes(b)
    }
    /// `len` bytes at `off`.
    fn read_vec(&self, off: usize, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.read(off, &mut v);
        v
    }
}

/// The memfd QEMU maps as BAR2, read and written with `pread`/`pwrite` (the same pages QEMU
/// maps, so no `mmap` and no `unsafe`).
impl Shm for File {
    fn read(&self, off: usize, buf: &mut [u8]) {
        if let Err(e) = self.read_exact_at(buf, off as u64) {
            eprintln!("rvo-devsim: shared memory read at {off:#x}: {e}");
            buf.fill(0);
        }
    }
    fn write(&self, off: usize, buf: &[u8]) {
        if let Err(e) = self.write_all_at(buf, off as u64) {
            eprintln!("rvo-devsim: shared memory write at {off:#x}: {e}");
        }
    }
}

/// Plain memory, for tests.
impl Shm for std::cell::RefCell<Vec<u8>> {
    fn read(&self, off: usize, buf: &mut [u8]) {
        buf.copy_from_slice(&self.borrow()[off..off + buf.len()]);
    }
    fn write(&self, off: usize, buf: &[u8]) {
        self.borrow_mut()[off..off + buf.len()].copy_from_slice(buf);
    }
}

/// One frame on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Capture time.
    pub timestamp: Duration,
    /// Bytes.
    pub data: Vec<u8>,
}

/// A map the host created: its descriptor and a model holding only it.
struct StoredMap {
    desc: MapDesc,
    store: IsaModel,
}

/// What the device signals back after a doorbell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// The command is done: raise `MSIX_CMD`.
    pub cmd_done: bool,
    /// Frames were put in the RX ring: raise `MSIX_RX`.
    pub rx: bool,
}

/// What runs the loaded program: a fresh core (the ISA model, or the RTL under Verilator).
pub type CoreFactory = fn() -> Result<Box<dyn Device>, String>;

fn model_core() -> Result<Box<dyn Device>, String> {
    Ok(Box::new(IsaModel::new()))
}

/// The simulated device.
pub struct DevSim {
    lanes: u32,
    /// The core running the loaded program, holding its maps.
    model: Box<dyn Device>,
    new_core: CoreFactory,
    /// Whether an image is loaded, and the handle of each of its maps.
    loaded: Option<Vec<u32>>,
    maps: BTreeMap<u32, StoredMap>,
    next_handle: u32,
    counters: DeviceCounters,
    /// Captures the host may run by name (`Op::WireRun`).
    wire_dir: Option<PathBuf>,
    /// Frames the program sent to the wire (`XDP_TX`, `XDP_REDIRECT`).
    pub wire_out: Vec<Frame>,
    /// Frames the host transmitted to the wire (the TX ring).
    pub xmit_out: Vec<Frame>,
    /// The last image loaded, as the host sent it.
    pub last_image: Option<Vec<u8>>,
    /// One line per event, for the log.
    pub verbose: bool,
}

fn map_errno(e: &DeviceError) -> i32 {
    match e {
        DeviceError::Map { err, .. } => -(err.errno() as i32),
        _ => -(errno::EINVAL as i32),
    }
}

/// An image holding `desc` and a program that only exits: a map's home while no program
/// uses it, built from the ISA's own types (the device never calls the compiler).
fn map_only_image(desc: &MapDesc) -> Result<Vec<u8>, i32> {
    let size = desc.memory_size().map_err(|e| match e {
        rvo_isa::maps::MapError::UnsupportedType(_) => -linux::EOPNOTSUPP,
        rvo_isa::maps::MapError::BadSize => -(errno::EINVAL as i32),
        rvo_isa::maps::MapError::TooLarge => -(errno::E2BIG as i32),
    })?;
    let d = MapDesc {
        offset: 0,
        size,
        init_len: 0,
        ..*desc
    };
    let mut data = Vec::new();
    data.extend_from_slice(&1u32.to_le_bytes());
    data.extend_from_slice(&0u32.to_le_bytes());
    data.extend_from_slice(&d.to_bytes());
    let h = ImageHeader {
        magic: IMAGE_MAGIC,
        version: IMAGE_VERSION,
        lanes: 1,
        code_bundles: 1,
        data_len: data.len() as u32,
        ..ImageHeader::default()
    };
    let mut img = h.to_bytes().to_vec();
    img.extend_from_slice(&Insn::bare(Opcode::Exit).encode().to_le_bytes());
    img.extend_from_slice(&data);
    Ok(img)
}

/// Copy every entry of map `from_idx` of `from` into map `to_idx` of `to`.
fn copy_entries(
    from: &mut dyn Device,
    from_idx: usize,
    to: &mut dyn Device,
    to_idx: usize,
) -> Result<(), DeviceError> {
    let mut key: Option<Vec<u8>> = None;
    while let Some(k) = from.map_next_key(from_idx, key.as_deref())? {
        if let Some(v) = from.map_lookup(from_idx, &k)? {
            to.map_update(to_idx, &k, &v, 0)?;
        }
        key = Some(k);
    }
    Ok(())
}

impl DevSim {
    /// A device with `lanes` lanes, serving captures from `wire_dir`, the ISA model its core.
    pub fn new(lanes: u32, wire_dir: Option<PathBuf>) -> DevSim {
        DevSim::with_core(lanes, wire_dir, model_core)
    }

    /// As [`DevSim::new`], with cores from `new_core` (one per program loaded).
    pub fn with_core(lanes: u32, wire_dir: Option<PathBuf>, new_core: CoreFactory) -> DevSim {
        DevSim {
            lanes,
            model: Box::new(IsaModel::new()),
            new_core,
            loaded: None,
            maps: BTreeMap::new(),
            next_handle: 1,
            counters: DeviceCounters::default(),
            wire_dir,
            wire_out: Vec::new(),
            xmit_out: Vec::new(),
            last_image: None,
            verbose: false,
        }
    }

    /// Write the identity and zeroed state into fresh shared memory.
    pub fn reset(&mut self, shm: &dyn Shm) {
        let id = Identity {
            ready: 0,
            ..Identity::new(DeviceKind::Model, self.lanes)
        };
        shm.write(layout::IDENTITY, &id.to_bytes());
        shm.write(layout::MAILBOX, &vec![0; layout::KEY - layout::MAILBOX]);
        self.publish_counters(shm);
        // `ready` last: the host may probe from here on.
        shm.set_u32(layout::IDENTITY + core::mem::offset_of!(Identity, ready), 1);
    }

    /// The counters.
    pub fn counters(&self) -> DeviceCounters {
        self.counters
    }

    fn log(&self, msg: &str) {
        if self.verbose {
            eprintln!("rvo-devsim: {msg}");
        }
    }

    fn publish_counters(&self, shm: &dyn Shm) {
        let words = self.counters.words();
        let mut b = Vec::with_capacity(8 * words.len());
        for w in words {
            b.extend_from_slice(&w.to_le_bytes());
        }
        shm.write(layout::COUNTERS, &b);
    }

    /// The doorbell for commands rang: run the command if one is pending.
    pub fn command(&mut self, shm: &dyn Shm) -> Signals {
        let seq = shm.u32(mailbox::SEQ);
        if seq == shm.u32(mailbox::DONE) {
            return Signals::default();
        }
        let op = shm.u32(mailbox::OP);
        let mut signals = Signals {
            cmd_done: true,
            rx: false,
        };
        shm.write(layout::MSG, &[0]);
        let status = match Op::from_u32(op) {
            Some(op) => {
                let r = self.execute(op, shm, &mut signals);
                self.log(&format!("{} -> {}", op.name(), r.err().unwrap_or(0)));
                r.err().unwrap_or(0)
            }
            None => {
                self.message(shm, &format!("unknown command {op}"));
                -(errno::EINVAL as i32)
            }
        };
        self.publish_counters(shm);
        shm.set_u32(mailbox::STATUS, status as u32);
        shm.set_u32(mailbox::DONE, seq);
        signals
    }

    fn message(&self, shm: &dyn Shm, msg: &str) {
        self.log(msg);
        let mut b: Vec<u8> = msg.bytes().take(MSG_BUF as usize - 1).collect();
        b.push(0);
        shm.write(layout::MSG, &b);
    }

    fn key(shm: &dyn Shm) -> Result<Vec<u8>, i32> {
        let len = shm.u32(mailbox::KEY_LEN);
        if len > KEY_BUF {
            return Err(-(errno::EINVAL as i32));
        }
        Ok(shm.read_vec(layout::KEY, len as usize))
    }

    /// The model and index serving map `handle` now.
    fn map_target(&mut self, handle: u32) -> Result<(&mut dyn Device, usize, MapDesc), i32> {
        let desc = self.maps.get(&handle).ok_or(-(errno::EINVAL as i32))?.desc;
        if let Some(bound) = &self.loaded {
            if let Some(i) = bound.iter().position(|&h| h == handle) {
                return Ok((self.model.as_mut(), i, desc));
            }
        }
        let m = self.maps.get_mut(&handle).ok_or(-(errno::EINVAL as i32))?;
        Ok((&mut m.store, 0, desc))
    }

    fn execute(&mut self, op: Op, shm: &dyn Shm, signals: &mut Signals) -> Result<(), i32> {
        let arg = |i: usize| shm.u32(mailbox::ARGS + 4 * i);
        match op {
            Op::Nop => Ok(()),
            Op::MapCreate => {
                if self.maps.len() >= MAX_MAPS {
                    return Err(-linux::ENOSPC);
                }
                let desc = MapDesc {
                    map_type: arg(0),
                    key_size: arg(1),
                    value_size: arg(2),
                    max_entries: arg(3),
                    flags: arg(4),
                    ..MapDesc::default()
                };
                let image = map_only_image(&desc)?;
                let mut store = IsaModel::new();
                store.load(&image).map_err(|e| {
                    self.message(shm, &format!("map: {e}"));
                    -(errno::EINVAL as i32)
                })?;
                let handle = self.next_handle;
                self.next_handle += 1;
                self.maps.insert(handle, StoredMap { desc, store });
                shm.set_u32(mailbox::RESULT, handle);
                self.log(&format!(
                    "map {handle}: type {} key {} value {} entries {}",
                    desc.map_type, desc.key_size, desc.value_size, desc.max_entries
                ));
                Ok(())
            }
            Op::MapFree => {
                let h = shm.u32(mailbox::HANDLE);
                if self.loaded.as_ref().is_some_and(|b| b.contains(&h)) {
                    return Err(-linux::EBUSY);
                }
                self.maps
                    .remove(&h)
                    .map(|_| ())
                    .ok_or(-(errno::EINVAL as i32))
            }
            Op::MapLookup => {
                let key = Self::key(shm)?;
                let (dev, i, d) = self.map_target(shm.u32(mailbox::HANDLE))?;
                if key.len() != d.key_size as usize {
                    return Err(-(errno::EINVAL as i32));
                }
                match dev.map_lookup(i, &key) {
                    Ok(Some(v)) => {
                        shm.write(layout::VALUE, &v);
                        shm.set_u32(mailbox::VALUE_LEN, v.len() as u32);
                        Ok(())
                    }
                    Ok(None) => Err(-(errno::ENOENT as i32)),
                    Err(e) => Err(map_errno(&e)),
                }
            }
            Op::MapUpdate => {
                let key = Self::key(shm)?;
                let vlen = shm.u32(mailbox::VALUE_LEN);
                let flags = shm.u32(mailbox::FLAGS) as u64;
                let (dev, i, d) = self.map_target(shm.u32(mailbox::HANDLE))?;
                if key.len() != d.key_size as usize || vlen != d.value_size || vlen > VALUE_BUF {
                    return Err(-(errno::EINVAL as i32));
                }
                let value = shm.read_vec(layout::VALUE, vlen as usize);
                dev.map_update(i, &key, &value, flags)
                    .map_err(|e| map_errno(&e))
            }
            Op::MapDelete => {
                let key = Self::key(shm)?;
                let (dev, i, d) = self.map_target(shm.u32(mailbox::HANDLE))?;
                if key.len() != d.key_size as usize {
                    return Err(-(errno::EINVAL as i32));
                }
                if !d.kind().is_some_and(|k| k.is_hashed()) {
                    // Linux: elements of array maps cannot be deleted.
                    return Err(-(errno::EINVAL as i32));
                }
                dev.map_delete(i, &key).map_err(|e| map_errno(&e))
            }
            Op::MapNextKey => {
                let has_key = arg(0) != 0;
                let key = Self::key(shm)?;
                let (dev, i, d) = self.map_target(shm.u32(mailbox::HANDLE))?;
                if has_key && key.len() != d.key_size as usize {
                    return Err(-(errno::EINVAL as i32));
                }
                match dev.map_next_key(i, has_key.then_some(&key[..])) {
                    Ok(Some(k)) => {
                        shm.write(layout::VALUE, &k);
                        shm.set_u32(mailbox::VALUE_LEN, k.len() as u32);
                        Ok(())
                    }
                    Ok(None) => Err(-(errno::ENOENT as i32)),
                    Err(e) => Err(map_errno(&e)),
                }
            }
            Op::Load => self.load(shm, arg(0), arg(1)),
            Op::Unload => {
                self.unload();
                Ok(())
            }
            Op::ResetCounters => {
                self.counters = DeviceCounters::default();
                Ok(())
            }
            Op::WireRun => {
                let name = Self::key(shm)?;
                let name = String::from_utf8_lossy(name.split(|&b| b == 0).next().unwrap_or(&[]))
                    .into_owned();
                let frames = self.capture(&name).inspect_err(|_| {
                    self.message(shm, &format!("no wire capture `{name}`"));
                })?;
                if self.loaded.is_none() {
                    return Err(-linux::ENODEV);
                }
                let ifindex = arg(0);
                let mut n = 0;
                for f in &frames {
                    signals.rx |= self.wire_rx(shm, f, ifindex);
                    n += 1;
                }
                shm.set_u32(mailbox::RESULT, n);
                self.log(&format!("wire: ran {n} frames of `{name}`"));
                Ok(())
            }
        }
    }

    /// The frames of capture `name` (`<wire_dir>/<name>.pcap`).
    fn capture(&self, name: &str) -> Result<Vec<Frame>, i32> {
        let enoent = -(errno::ENOENT as i32);
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return Err(enoent);
        }
        let dir = self.wire_dir.as_ref().ok_or(enoent)?;
        let bytes = std::fs::read(dir.join(format!("{name}.pcap"))).map_err(|_| enoent)?;
        read_pcap(&bytes).map_err(|_| enoent)
    }

    fn load(&mut self, shm: &dyn Shm, len: u32, n_maps: u32) -> Result<(), i32> {
        let einval = -(errno::EINVAL as i32);
        if len > contract::IMAGE_BUF || n_maps as usize > MAX_MAPS {
            self.message(shm, "image or map table too large");
            return Err(einval);
        }
        let image = shm.read_vec(layout::IMAGE, len as usize);
        let handles: Vec<u32> = (0..n_maps as usize)
            .map(|i| shm.u32(mailbox::MAPS + 4 * i))
            .collect();
        if let Ok(h) = ImageHeader::from_bytes(&image) {
            if u32::from(h.lanes) != self.lanes {
                self.message(
                    shm,
                    &format!(
                        "image is scheduled for {} lanes, the core has {}",
                        h.lanes, self.lanes
                    ),
                );
                return Err(einval);
            }
        }
        // Check everything before touching the loaded program: a refused image leaves the
        // device as it was (Linux keeps the old program attached).
        let mut model = match (self.new_core)() {
            Ok(core) => core,
            Err(why) => {
                self.message(shm, &why);
                return Err(einval);
            }
        };
        if let Err(e) = model.load(&image) {
            self.message(shm, &e.to_string());
            return Err(einval);
        }
        let descs = model.maps();
        if descs.len() != handles.len() {
            self.message(
                shm,
                &format!("image has {} maps, {} bound", descs.len(), handles.len()),
            );
            return Err(einval);
        }
        for (i, (d, h)) in descs.iter().zip(&handles).enumerate() {
            let Some(m) = self.maps.get_mut(h) else {
                self.message(shm, &format!("map {i}: no device map {h}"));
                return Err(einval);
            };
            let same = (d.map_type, d.key_size, d.value_size, d.max_entries)
                == (
                    m.desc.map_type,
                    m.desc.key_size,
                    m.desc.value_size,
                    m.desc.max_entries,
                );
            if !same {
                self.message(shm, &format!("map {i}: image and device map {h} differ"));
                return Err(einval);
            }
        }
        self.unload();
        for (i, h) in handles.iter().enumerate() {
            let Some(m) = self.maps.get_mut(h) else {
                return Err(einval);
            };
            if let Err(e) = copy_entries(&mut m.store, 0, model.as_mut(), i) {
                self.message(shm, &format!("map {i}: {e}"));
                return Err(einval);
            }
        }
        self.model = model;
        self.loaded = Some(handles);
        self.log(&format!(
            "loaded image: {} bytes, {} maps",
            image.len(),
            descs.len()
        ));
        self.last_image = Some(image);
        Ok(())
    }

    /// Move the maps' entries back to their stores and forget the program.
    fn unload(&mut self) {
        let Some(bound) = self.loaded.take() else {
            return;
        };
        for (i, h) in bound.iter().enumerate() {
            if let Some(m) = self.maps.get_mut(h) {
                let fresh = map_only_image(&m.desc).ok().and_then(|img| {
                    let mut s = IsaModel::new();
                    s.load(&img).ok().map(|()| s)
                });
                if let Some(mut s) = fresh {
                    if copy_entries(self.model.as_mut(), i, &mut s, 0).is_ok() {
                        m.store = s;
                    }
                }
            }
        }
        self.model = Box::new(IsaModel::new());
    }

    /// One frame arrives on the wire: run it, and route it by its verdict. Returns whether it
    /// went to the RX ring.
    pub fn wire_rx(&mut self, shm: &dyn Shm, frame: &Frame, ifindex: u32) -> bool {
        self.counters.wire_rx += 1;
        let input = RunInput {
            mode: Mode::Xdp {
                ingress_ifindex: ifindex,
                rx_queue_index: 0,
            },
            ..RunInput::xdp(&frame.data)
        };
        let out = match self.model.run(&input) {
            Ok(o) => o,
            Err(e) => {
                self.log(&format!("frame not run: {e}"));
                self.counters.rx_errors += 1;
                return false;
            }
        };
        let c = &mut self.counters;
        c.runs += 1;
        c.verdicts[out.verdict as usize] += 1;
        c.faults += u64::from(out.fault.is_some());
        c.cycles += out.cycles;
        match out.verdict {
            Verdict::Pass => return self.pass_up(shm, &out.mem),
            Verdict::Tx | Verdict::Redirect => {
                self.counters.wire_tx += 1;
                self.counters.wire_tx_bytes += out.mem.len() as u64;
                self.wire_out.push(Frame {
                    timestamp: frame.timestamp,
                    data: out.mem,
                });
            }
            Verdict::Drop | Verdict::Aborted => {}
        }
        false
    }

    fn pass_up(&mut self, shm: &dyn Shm, data: &[u8]) -> bool {
        let (head, tail) = (shm.u32(rings::RX_HEAD), shm.u32(rings::RX_TAIL));
        if head.wrapping_sub(tail) >= RING_SLOTS || data.len() > SLOT_SIZE as usize - SLOT_DATA {
            self.counters.host_rx_dropped += 1;
            return false;
        }
        let slot = rx_slot(head);
        shm.write(slot + SLOT_DATA, data);
        let mut hdr = [0u8; SLOT_DATA];
        hdr[..4].copy_from_slice(&(data.len() as u32).to_le_bytes());
        hdr[4..8].copy_from_slice(&(Verdict::Pass as u32).to_le_bytes());
        shm.write(slot, &hdr);
        shm.set_u32(rings::RX_HEAD, head.wrapping_add(1));
        self.counters.host_rx += 1;
        self.counters.host_rx_bytes += data.len() as u64;
        true
    }

    /// The doorbell for transmits rang: send every frame of the TX ring to the wire.
    pub fn transmit(&mut self, shm: &dyn Shm) {
        let head = shm.u32(rings::TX_HEAD);
        let mut tail = shm.u32(rings::TX_TAIL);
        while tail != head {
            let slot = tx_slot(tail);
            let len = (shm.u32(slot) as usize).min(SLOT_SIZE as usize - SLOT_DATA);
            let data = shm.read_vec(slot + SLOT_DATA, len);
            self.counters.host_tx += 1;
            self.counters.wire_tx += 1;
            self.counters.wire_tx_bytes += data.len() as u64;
            self.xmit_out.push(Frame {
                timestamp: Duration::ZERO,
                data,
            });
            tail = tail.wrapping_add(1);
        }
        shm.set_u32(rings::TX_TAIL, tail);
        self.publish_counters(shm);
    }
}

/// Every frame of a pcap file.
pub fn read_pcap(bytes: &[u8]) -> Result<Vec<Frame>, pcap_file::PcapError> {
    let mut reader = pcap_file::pcap::PcapReader::new(bytes)?;
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p?;
        out.push(Frame {
            timestamp: p.timestamp,
            data: p.data.into_owned(),
        });
    }
    Ok(out)
}

/// Write frames as a pcap file.
pub fn write_pcap(path: &std::path::Path, frames: &[Frame]) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w = pcap_file::pcap::PcapWriter::new(file).map_err(std::io::Error::other)?;
    for f in frames {
        w.write_packet(&pcap_file::pcap::PcapPacket::new(
            f.timestamp,
            f.data.len() as u32,
            &f.data,
        ))
        .map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// `MapOpError`s as the contract's status words (for tests).
pub fn status_of(e: MapOpError) -> i32 {
    -(e.errno() as i32)
}
