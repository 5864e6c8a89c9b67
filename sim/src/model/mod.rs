//! The ISA model: executes images bundle by bundle and counts cycles exactly as the table and
//! the bundle rules define them. It is the reference the RTL is held to in lockstep.
//!
//! Cycle rule: a bundle costs the largest `cycles` of its lanes, plus
//! `TAKEN_BRANCH_PENALTY` when it transfers control (taken branch, jump, call, ret), plus the
//! unit's cycles for a helper. The run ends at `exit`/`exiti` or at the first fault.

mod alu;
mod helpers;
pub mod maps;
mod memory;
mod trace;

use crate::device::{Counters, Device, DeviceError, FaultAt, Mode, Redirect, RunInput, RunOutcome};
use helpers::{Effect, Units};
use maps::Maps;
use memory::{CtxFields, Memory, Packet};
use rvo_isa::region::{
    Region, MAX_CALL_DEPTH, MAX_LANES, PACKET_HEADROOM, STACK_SIZE, TAKEN_BRANCH_PENALTY,
};
use rvo_isa::{
    bundle_cycles, check_bundle, Fault, Format, Helper, ImageView, Insn, MapDesc, Opcode as O,
    Verdict, NUM_REGS,
};
pub use trace::{MemWrite, Retired};

type Bundle = [Insn; MAX_LANES];

/// A loaded program.
struct Program {
    lanes: usize,
    entry: u32,
    /// Entry bundles of the object's programs (tail-call targets).
    entries: Vec<u32>,
    bundles: Vec<Bundle>,
    /// Cycles of each bundle before branch penalties and helper units.
    cycles: Vec<u32>,
}

/// A saved call frame: where to return and the registers the callee must not change.
struct Frame {
    ret: u32,
    saved: [u64; 5],
}

/// The cycle-counting ISA model.
pub struct IsaModel {
    program: Option<Program>,
    maps: Maps,
    counters: Counters,
    prandom: u32,
}

impl Default for IsaModel {
    fn default() -> IsaModel {
        IsaModel::new()
    }
}

impl IsaModel {
    /// A model with nothing loaded.
    pub fn new() -> IsaModel {
        IsaModel {
            program: None,
            maps: Maps::default(),
            counters: Counters::default(),
            prandom: rvo_isa::helper::PRANDOM_SEED,
        }
    }
}

/// The maps of an image, laid out and initialised, after checking each descriptor's size and
/// place in the map region (any device holding maps loads them so).
///
/// # Errors
/// A descriptor whose size is not its type's, or whose memory overlaps another's or leaves
/// the region.
pub fn load_maps(tables: &rvo_isa::image::DataTables<'_>) -> Result<Maps, DeviceError> {
    let descs: Vec<MapDesc> = tables.maps().collect();
    let mut end = 0u64;
    for d in &descs {
        let size = d
            .memory_size()
            .map_err(|_| DeviceError::Image(rvo_isa::ImageError::TooLarge))?;
        if size != d.size
            || (d.offset as u64) < end
            || d.offset as u64 + size as u64 > Region::Map.capacity() as u64
        {
            return Err(DeviceError::Image(rvo_isa::ImageError::TooLarge));
        }
        end = d.offset as u64 + size as u64;
    }
    Ok(Maps::new(descs, tables.init))
}

fn decode_image(image: &[u8]) -> Result<(Program, Maps), DeviceError> {
    let view = ImageView::parse(image).map_err(DeviceError::Image)?;
    let lanes = view.header.lanes as usize;
    let n = view.header.code_bundles as usize;
    let mut bundles = Vec::with_capacity(n);
    let mut cycles = Vec::with_capacity(n);
    for b in 0..n {
        let mut bundle = [Insn::bare(O::Nop); MAX_LANES];
        for (lane, slot) in bundle.iter_mut().enumerate().take(lanes) {
            *slot = Insn::decode(view.word(b, lane)).map_err(|err| DeviceError::Decode {
                bundle: b,
                lane,
                err,
            })?;
            let target = slot.target() as usize;
            let branches = matches!(
                slot.op.format(),
                Format::BranchRr | Format::BranchRi | Format::Jump | Format::Call
            );
            if branches && target >= n {
                return Err(DeviceError::BadTarget { bundle: b, target });
            }
        }
        check_bundle(&bundle[..lanes]).map_err(|err| DeviceError::Bundle { bundle: b, err })?;
        cycles.push(bundle_cycles(&bundle[..lanes]));
        bundles.push(bundle);
    }
    let tables = view.tables().map_err(DeviceError::Image)?;
    let mut entries: Vec<u32> = tables.entries().collect();
    if entries.is_empty() {
        entries.push(view.header.entry);
    }
    if let Some(&bad) = entries.iter().find(|&&e| e as usize >= n) {
        return Err(DeviceError::BadTarget {
            bundle: 0,
            target: bad as usize,
        });
    }
    let maps = load_maps(&tables)?;
    Ok((
        Program {
            lanes,
            entry: view.header.entry,
            entries,
            bundles,
            cycles,
        },
        maps,
    ))
}

/// The state of one run.
struct Run<'p, 'm> {
    prog: &'p Program,
    regs: [u64; NUM_REGS],
    mem: Memory<'m>,
    frames: Vec<Frame>,
    cycles: u64,
    bundles: u64,
    insns: u64,
    /// Device time at the start of the run, for `ktime_get_ns`.
    time_base: u64,
    prandom: &'p mut u32,
    redirect: Option<Redirect>,
    tail_calls: u32,
    /// The bundle being traced (only when tracing).
    cur: Retired,
}

/// What one lane did to the flow of control.
enum Flow {
    Next,
    Goto(u32),
    Exit,
}

impl Run<'_, '_> {
    fn exec<const T: bool>(
        &mut self,
        insn: &Insn,
        old: &[u64; NUM_REGS],
        pc: u32,
    ) -> Result<Flow, Fault> {
        let (a, b) = (insn.a.index(), insn.b.index());
        let imm = insn.imm as i64 as u64;
        let addr = |base: usize| old[base].wrapping_add(insn.off as i64 as u64);
        match insn.op.format() {
            Format::Rrr => {
                self.regs[a] = alu::binary(insn.op, old[b], old[insn.c().index()]).unwrap_or(0)
            }
            Format::Rri => self.regs[a] = alu::binary(insn.op, old[b], imm).unwrap_or(0),
            Format::Rr => self.regs[a] = alu::unary(insn.op, old[b]).unwrap_or(0),
            Format::Ri => {
                self.regs[a] = if insn.op == O::Movi32 {
                    insn.imm as u32 as u64
                } else {
                    imm
                }
            }
            Format::Load => {
                let size = rvo_isa::insn::access_size(insn.op).unwrap_or(8);
                let v = self.mem.load(addr(b), size)?;
                self.regs[a] = match insn.op {
                    O::Ldsb => v as i8 as i64 as u64,
                    O::Ldsh => v as i16 as i64 as u64,
                    O::Ldsw => v as i32 as i64 as u64,
                    _ => v,
                };
            }
            Format::Store | Format::StoreImm => {
                let v = if insn.op.format() == Format::Store {
                    old[b]
                } else {
                    imm
                };
                let size = access_size(insn.op);
                self.mem.store(addr(a), size, v)?;
                if T {
                    self.cur.store(addr(a), size, v);
                }
            }
            Format::Atomic => self.atomic::<T>(insn, old, addr(a))?,
            Format::BranchRr if alu::condition(insn.op, old[a], old[b]) => {
                return Ok(Flow::Goto(insn.target() as u32))
            }
            Format::BranchRi if alu::condition(insn.op, old[a], imm) => {
                return Ok(Flow::Goto(insn.target() as u32))
            }
            Format::BranchRr | Format::BranchRi => {}
            Format::Jump => return Ok(Flow::Goto(insn.target() as u32)),
            Format::Call => return self.call(insn, old, pc),
            Format::Helper => return self.helper(insn.imm, old),
            Format::ExitImm => {
                self.regs[0] = imm;
                return Ok(Flow::Exit);
            }
            Format::None => match insn.op {
                O::Exit => return Ok(Flow::Exit),
                O::Ret => {
                    let frame = self.frames.pop().ok_or(Fault::ReturnWithoutCall)?;
                    self.regs[6..=10].copy_from_slice(&frame.saved);
                    return Ok(Flow::Goto(frame.ret));
                }
                _ => {}
            },
        }
        Ok(Flow::Next)
    }

    fn atomic<const T: bool>(
        &mut self,
        insn: &Insn,
        old: &[u64; NUM_REGS],
        at: u64,
    ) -> Result<(), Fault> {
        let size = access_size(insn.op);
        let b = insn.b.index();
        let value = self.mem.load(at, size)?;
        match insn.op {
            O::ACmpXchg64 | O::ACmpXchg32 => {
                let expected = if size == 4 {
                    old[0] as u32 as u64
                } else {
                    old[0]
                };
                if value == expected {
                    self.mem.store(at, size, old[b])?;
                    if T {
                        self.cur.store(at, size, old[b]);
                    }
                }
                self.regs[0] = value;
            }
            op => {
                let new = alu::atomic(op, value, old[b]);
                self.mem.store(at, size, new)?;
                if T {
                    self.cur.store(at, size, new);
                }
                if rvo_isa::insn::fetches(op) {
                    self.regs[b] = value;
                }
            }
        }
        Ok(())
    }

    fn call(&mut self, insn: &Insn, old: &[u64; NUM_REGS], pc: u32) -> Result<Flow, Fault> {
        if self.frames.len() + 1 >= MAX_CALL_DEPTH {
            return Err(Fault::CallStackOverflow);
        }
        let fp = old[10].wrapping_sub(insn.imm as u32 as u64);
        if fp < Region::Stack.addr(0) || fp > Region::Stack.addr(STACK_SIZE) {
            return Err(Fault::CallStackOverflow);
        }
        let mut saved = [0; 5];
        saved.copy_from_slice(&old[6..=10]);
        self.frames.push(Frame { ret: pc + 1, saved });
        self.regs[10] = fp;
        Ok(Flow::Goto(insn.target() as u32))
    }

    fn helper(&mut self, id: i32, old: &[u64; NUM_REGS]) -> Result<Flow, Fault> {
        let unit = Helper::from_id(id).ok_or(Fault::UnknownHelper(id))?;
        let mut units = Units {
            mem: &mut self.mem,
            cycles: self.cycles,
            time_base: self.time_base,
            prandom: self.prandom,
            redirect: &mut self.redirect,
            tail_calls: &mut self.tail_calls,
        };
        let (r0, cycles, effect) = units.call(unit, [old[1], old[2], old[3], old[4], old[5]])?;
        self.cycles += (unit.cycles() + cycles) as u64;
        match effect {
            Effect::None => {
                self.regs[0] = r0;
                Ok(Flow::Next)
            }
            Effect::TailCall(p) => {
                let entry = *self
                    .prog
                    .entries
                    .get(p as usize)
                    .ok_or(Fault::PcOutOfRange(p))?;
                // The called program replaces this one: frames are dropped, the stack restarts.
                self.frames.clear();
                self.regs[10] = Region::Stack.addr(STACK_SIZE);
                Ok(Flow::Goto(entry))
            }
        }
    }

    /// Record the registers `insn` wrote (tracing only).
    fn record_writes(&mut self, insn: &Insn, flow: &Flow) {
        let (a, b) = (insn.a.index(), insn.b.index());
        let mut put = |r: usize| self.cur.regs.push((r as u8, self.regs[r]));
        match insn.op.format() {
            Format::Rrr | Format::Rri | Format::Rr | Format::Ri | Format::Load => put(a),
            Format::Atomic if matches!(insn.op, O::ACmpXchg64 | O::ACmpXchg32) => put(0),
            Format::Atomic if rvo_isa::insn::fetches(insn.op) => put(b),
            Format::Helper if matches!(flow, Flow::Next) => put(0),
            Format::Helper | Format::Call => put(10),
            Format::ExitImm => put(0),
            Format::None if insn.op == O::Ret => (6..=10).for_each(put),
            _ => {}
        }
    }

    /// Execute from the entry point until exit or a fault; with `T`, report each completed
    /// bundle to `sink`.
    fn run<const T: bool>(
        &mut self,
        budget: u64,
        sink: &mut dyn FnMut(&Retired),
    ) -> Result<(), FaultAt> {
        let mut pc = self.prog.entry;
        loop {
            let bundle = self.prog.bundles.get(pc as usize).ok_or(FaultAt {
                fault: Fault::PcOutOfRange(pc),
                bundle: pc,
                lane: 0,
            })?;
            let old = self.regs;
            if T {
                self.cur.clear(pc);
            }
            let mut flow = Flow::Next;
            for (lane, insn) in bundle.iter().enumerate().take(self.prog.lanes) {
                if insn.op == O::Nop {
                    continue;
                }
                self.insns += 1;
                let done = self.exec::<T>(insn, &old, pc);
                if T {
                    if let Ok(f) = &done {
                        self.record_writes(insn, f);
                    }
                }
                match done {
                    Ok(Flow::Next) => {}
                    Ok(f) => flow = f,
                    Err(fault) => {
                        return Err(FaultAt {
                            fault,
                            bundle: pc,
                            lane: lane as u8,
                        })
                    }
                }
            }
            self.bundles += 1;
            self.cycles += self.prog.cycles[pc as usize] as u64;
            if T {
                self.cur.cycles = self.cycles;
                sink(&self.cur);
            }
            match flow {
                Flow::Next => pc += 1,
                Flow::Goto(t) => {
                    self.cycles += TAKEN_BRANCH_PENALTY as u64;
                    pc = t;
                }
                Flow::Exit => return Ok(()),
            }
            if self.cycles > budget {
                return Err(FaultAt {
                    fault: Fault::Watchdog { budget },
                    bundle: pc,
                    lane: 0,
                });
            }
        }
    }
}

fn access_size(op: O) -> u8 {
    rvo_isa::insn::access_size(op).unwrap_or(8)
}

impl IsaModel {
    /// Set up memory and registers for one run and execute it.
    fn execute(
        &mut self,
        input: &RunInput<'_>,
        sink: Option<&mut dyn FnMut(&Retired)>,
    ) -> Result<RunOutcome, DeviceError> {
        let prog = self.program.as_ref().ok_or(DeviceError::NoImage)?;
        input.check()?;
        let (packet, ctx) = match input.mode {
            Mode::Raw => (Packet::new(input.mem, 0), None),
            Mode::Xdp {
                ingress_ifindex,
                rx_queue_index,
            } => (
                Packet::new(input.mem, PACKET_HEADROOM),
                Some(CtxFields {
                    ingress_ifindex,
                    rx_queue_index,
                }),
            ),
        };
        let mut regs = [0u64; NUM_REGS];
        match ctx {
            Some(_) => regs[1] = Region::Ctx.addr(0),
            None => {
                regs[1] = Region::Packet.addr(0);
                regs[2] = input.mem.len() as u64;
            }
        }
        regs[10] = Region::Stack.addr(STACK_SIZE);
        let mut run = Run {
            prog,
            regs,
            mem: Memory {
                ctx,
                packet,
                stack: [0; STACK_SIZE as usize],
                maps: &mut self.maps,
            },
            frames: Vec::with_capacity(MAX_CALL_DEPTH),
            cycles: 0,
            bundles: 0,
            insns: 0,
            time_base: self.counters.cycles,
            prandom: &mut self.prandom,
            redirect: None,
            tail_calls: 0,
            cur: Retired::default(),
        };
        let result = match sink {
            None => run.run::<false>(input.budget, &mut |_| {}),
            Some(sink) => run.run::<true>(input.budget, sink),
        };
        let fault = result.err();
        let r0 = if fault.is_some() { 0 } else { run.regs[0] };
        let verdict = if fault.is_some() {
            Verdict::Aborted
        } else {
            Verdict::from_r0(r0)
        };
        let p = &run.mem.packet;
        let meta = p.buf[p.meta as usize..p.data as usize].to_vec();
        let mem = if ctx.is_some() {
            p.bytes().to_vec()
        } else {
            run.mem.packet.buf
        };
        let outcome = RunOutcome {
            r0,
            verdict,
            fault,
            cycles: run.cycles,
            bundles: run.bundles,
            insns: run.insns,
            mem,
            meta,
            redirect: if verdict == Verdict::Redirect {
                run.redirect
            } else {
                None
            },
        };
        Ok(outcome)
    }
}

impl IsaModel {
    /// The map region as it is now (for comparing devices).
    pub fn map_memory(&self) -> &[u8] {
        &self.maps.mem
    }

    /// Run once as [`Device::run`] does, calling `sink` with each completed bundle: its pc,
    /// the cycle count at its completion, its register and memory writes. A faulting bundle
    /// does not complete.
    ///
    /// # Errors
    /// As [`Device::run`].
    pub fn run_traced(
        &mut self,
        input: &RunInput<'_>,
        sink: &mut dyn FnMut(&Retired),
    ) -> Result<RunOutcome, DeviceError> {
        let outcome = self.execute(input, Some(sink))?;
        self.counters.record(&outcome);
        Ok(outcome)
    }
}

impl Device for IsaModel {
    fn name(&self) -> &'static str {
        "model"
    }

    fn load(&mut self, image: &[u8]) -> Result<(), DeviceError> {
        let (program, maps) = decode_image(image)?;
        self.program = Some(program);
        self.maps = maps;
        Ok(())
    }

    fn run(&mut self, input: &RunInput<'_>) -> Result<RunOutcome, DeviceError> {
        let outcome = self.execute(input, None)?;
        self.counters.record(&outcome);
        Ok(outcome)
    }

    fn counters(&self) -> Counters {
        self.counters
    }

    fn maps(&self) -> Vec<MapDesc> {
        self.maps.descs.clone()
    }

    fn map_lookup(&mut self, map: usize, key: &[u8]) -> Result<Option<Vec<u8>>, DeviceError> {
        self.maps.host_lookup(map, key)
    }

    fn map_update(
        &mut self,
        map: usize,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Result<(), DeviceError> {
        self.maps.host_update(map, key, value, flags)
    }

    fn map_delete(&mut self, map: usize, key: &[u8]) -> Result<(), DeviceError> {
        self.maps.host_delete(map, key)
    }

    fn map_next_key(
        &mut self,
        map: usize,
        key: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DeviceError> {
        self.maps.host_next_key(map, key)
    }
}
