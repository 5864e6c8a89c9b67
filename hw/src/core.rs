//! The rvo core, one lane: fetch, decode, execute and write-back with the model's timing.
//!
//! # Pipeline
//!
//! - **Fetch.** Instruction memory is block RAM read at `fetch_pc` (a register), so the word a
//!   bundle executes was addressed one cycle before. Fetch runs one bundle ahead; a transfer of
//!   control (taken branch, `ja`, `call`, `ret`) redirects `fetch_pc` and the word already
//!   fetched is dropped: that bubble is the ISA's `TAKEN_BRANCH_PENALTY` of one cycle.
//! - **Execute.** The decode ROM (derived from `rvo_isa`, see [`crate::decode`]) turns the
//!   opcode into a control word with the bundle's cycle count. Registers are read
//!   combinationally (distributed RAM), with the value being written back forwarded. ALU ops,
//!   branches, stores and the issue of a load take one cycle; the multiplier 4, the divider
//!   34/66, atomics 2 (read, then modify and write). Every memory access is checked against its
//!   region in its first cycle; a fault stops the run before any effect of the bundle.
//! - **Write-back.** Results are written one cycle after execute, so a load (block RAM, one
//!   cycle) writes like any other instruction; the next bundle receives the value by forwarding.
//!
//! # Registers
//!
//! r0-r5 and r11-r15 live in a 16-word distributed RAM, replicated for three read ports
//! (`a`, `b`, `c`; `c` is the immediate's low nibble, zero, i.e. `r0`, for atomics and `exit`).
//! r6-r10 live in five 8-word distributed RAMs, one word per call frame: `call` copies the
//! frame's r6-r9 and writes the new r10 into the next bank in its penalty cycle, `ret` only
//! changes the bank, so the callee-saved registers come back for free. A register not yet
//! written in this run reads as its initial value (r1 the packet, r2 its length, r10 the stack
//! top, others zero), tracked by one valid bit per register, so a run starts without clearing.
//!
//! # Memories
//!
//! Packet buffer (4 KiB) and stack (512 B) are eight byte-wide block RAMs each: lane `j` holds
//! the bytes whose address is `j` modulo 8, so any access of up to 8 bytes at any alignment
//! touches each lane at most once. The host reads and writes the packet buffer by 8-byte words
//! while the core is idle. The stack is cleared (64 cycles) before each run.
//!
//! # Helpers and maps
//!
//! A `helper` bundle issues in one cycle (r1-r3 read) and then waits for the helper unit
//! ([`crate::helper`]; r4, r5 read in its first cycle) until it is done; r0 is written back as
//! any result. While it runs the unit owns the memory port: one read (returned through the load
//! alignment, zero-extended) and one write per cycle, each at its own address and region. Map
//! memory is eight byte lanes like the others; loads, stores and atomics reach map values
//! (region `Map`, bounded by the image's `map_len`). An unknown helper number ends the run with
//! [`FaultCode::Helper`].
//!
//! # Limits of this stage
//!
//! One lane.
//!
//! # XDP context unit
//!
//! With `xdp` set at `start`, r1 starts as the context's address (r2 zero), the packet region is
//! `[data_meta, data_end)` = `[PACKET_HEADROOM, PACKET_HEADROOM + pkt_len)` (the host writes
//! the packet at the headroom), and 4-byte loads at `struct xdp_md` offsets return data,
//! data_end and data_meta as packet addresses, `ifindex`, `rxq` and 0 (egress_ifindex), written
//! back like any load. Other context accesses fault as in the model: stores and atomics at a
//! field are read-only faults, anything else out of bounds. Raw mode: r1 = packet address,
//! r2 = length, the region `[0, pkt_len)`.

use crate::alu::{Alu, Cond, Extract, OperandSel, BANKED};
use crate::blocks::{Divider, LutRam, Multiplier};
use crate::decode::{rom_rows, AmoOp, Ctl};
use crate::helper::HelperUnit;
use rust_hdl::prelude::*;
use rvo_isa::region::{
    xdp_ctx, Region, MAX_CALL_DEPTH, PACKET_BUFFER, PACKET_HEADROOM, STACK_SIZE,
};
use rvo_isa::Helper;
use std::collections::BTreeMap;

/// Why a run stopped early, as the core reports it on `fault`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FaultCode {
    /// No fault.
    None = 0,
    /// An access outside its region (`fault_addr`, `fault_size`).
    OutOfBounds = 1,
    /// A store to the context.
    ReadOnly = 2,
    /// The cycle budget ran out.
    Watchdog = 3,
    /// A call deeper than the call stack or below the stack.
    CallStackOverflow = 4,
    /// `ret` with no frame.
    ReturnWithoutCall = 5,
    /// Execution left the code (`fault_pc`).
    PcOutOfRange = 6,
    /// A helper number the core has no unit for (loaders reject these first).
    Helper = 7,
    /// A word that is not an instruction (loaders reject these first).
    Illegal = 8,
}

impl FaultCode {
    /// Every code.
    pub const ALL: [FaultCode; 9] = [
        FaultCode::None,
        FaultCode::OutOfBounds,
        FaultCode::ReadOnly,
        FaultCode::Watchdog,
        FaultCode::CallStackOverflow,
        FaultCode::ReturnWithoutCall,
        FaultCode::PcOutOfRange,
        FaultCode::Helper,
        FaultCode::Illegal,
    ];

    /// The code with this number.
    pub fn from_u8(n: u8) -> Option<FaultCode> {
        FaultCode::ALL.iter().copied().find(|c| *c as u8 == n)
    }
}

/// Build parameters of the core.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CoreConfig {
    /// Lanes per bundle. Only 1 is built in this stage.
    pub lanes: usize,
    /// Address bits of map memory in 8-byte words ([`SIM_MAP_WORD_BITS`] or
    /// [`BOARD_MAP_WORD_BITS`]).
    pub map_word_bits: usize,
}

impl CoreConfig {
    /// The simulated core: the ISA's whole map region.
    pub const SIM: CoreConfig = CoreConfig {
        lanes: 1,
        map_word_bits: SIM_MAP_WORD_BITS,
    };
    /// The core for an ECP5-85F: map memory in block RAM.
    pub const BOARD: CoreConfig = CoreConfig {
        lanes: 1,
        map_word_bits: BOARD_MAP_WORD_BITS,
    };

    /// Bytes of map memory.
    pub const fn map_bytes(&self) -> usize {
        8 << self.map_word_bits
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig::SIM
    }
}

/// Sequencer states.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum Phase {
    /// Waiting for `start`; the host owns the memories.
    Idle,
    /// Zeroing the stack.
    Clear,
    /// Fetching the entry bundle.
    Fill,
    /// Executing.
    Run,
    /// Stopped by `exit` or a fault; results on the outputs.
    Done,
}

/// Address bits of instruction memory (bundles).
pub const IMEM_BITS: usize = 12;
/// Address bits of the packet buffer in 8-byte words.
pub const PKT_WORD_BITS: usize = 9;
/// Address bits of map memory in 8-byte words when simulated: the ISA's whole map region.
pub const SIM_MAP_WORD_BITS: usize = 21;
/// Address bits of map memory in 8-byte words on an ECP5-85F: 256 KiB of block RAM, eight
/// byte lanes of 32 K (a board with more maps would put them in SDRAM).
pub const BOARD_MAP_WORD_BITS: usize = 15;
/// Address bits of the host port (words of the largest memory behind it).
pub const HOST_ADDR_BITS: usize = 24;
/// What the host port reaches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HostSel {
    /// The packet buffer, by 8-byte words.
    Packet = 0,
    /// Map memory, by 8-byte words.
    Maps = 1,
    /// Map descriptors: word `map << 2 | i` (write only).
    Descs = 2,
    /// Program entry bundles (write only).
    Entries = 3,
    /// The device contract's registers, by 8-byte words at their `rvo_isa::contract` offsets:
    /// identity and limits (read only) and the core's counters (runs, verdicts, faults,
    /// cycles; a write there clears them all, the contract's `reset-counters`).
    Contract = 4,
}

/// 8-byte words of `rvo_isa::contract::Identity`.
const IDENTITY_WORDS: usize = core::mem::size_of::<rvo_isa::contract::Identity>() / 8;
/// The core's counters: runs, five verdicts, faults, cycles (the contract's first eight).
const CORE_COUNTERS: usize = 8;

/// The identity the core publishes, as 8-byte little-endian words.
fn identity_words(config: &CoreConfig) -> [u64; IDENTITY_WORDS] {
    use rvo_isa::contract::{DeviceKind, Identity};
    let id = Identity {
        map_memory: config.map_bytes() as u32,
        ..Identity::new(DeviceKind::Rtl, config.lanes as u32)
    };
    let bytes = id.to_bytes();
    std::array::from_fn(|w| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[8 * w..8 * w + 8]);
        u64::from_le_bytes(b)
    })
}
const STK_WORD_BITS: usize = 6;
/// Words of instruction memory.
pub const IMEM_WORDS: usize = 1 << IMEM_BITS;
/// Helper units the core has (one decoder entry each).
const N_HELPERS: usize = Helper::ALL.len();

/// The core.
#[derive(LogicBlock)]
pub struct Core<const MB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,

    // Host port: instruction memory (write while idle).
    /// Write `imem_data` to bundle `imem_addr`.
    pub imem_we: Signal<In, bool>,
    /// Bundle written.
    pub imem_addr: Signal<In, Bits<IMEM_BITS>>,
    /// Instruction word.
    pub imem_data: Signal<In, Bits<64>>,

    // Host port: packet buffer, map memory and the helper unit's tables (while not running).
    /// What `pkt_addr` addresses ([`HostSel`]).
    pub host_sel: Signal<In, Bits<3>>,
    /// Write `pkt_wdata` to word `pkt_addr`.
    pub pkt_we: Signal<In, bool>,
    /// Word read (result on `pkt_rdata` one cycle later) or written.
    pub pkt_addr: Signal<In, Bits<HOST_ADDR_BITS>>,
    /// Data written.
    pub pkt_wdata: Signal<In, Bits<64>>,
    /// Word read.
    pub pkt_rdata: Signal<Out, Bits<64>>,

    // Run control.
    /// Start a run (from `Idle` or `Done`).
    pub start: Signal<In, bool>,
    /// Entry bundle.
    pub entry: Signal<In, Bits<13>>,
    /// Bundles of code.
    pub code_len: Signal<In, Bits<13>>,
    /// Bytes of the packet region.
    pub pkt_len: Signal<In, Bits<13>>,
    /// Watchdog: cycles before the run is aborted.
    pub budget: Signal<In, Bits<64>>,
    /// XDP mode: r1 = the context, the packet at `PACKET_HEADROOM` (`pkt_len` its length).
    pub xdp: Signal<In, bool>,
    /// `xdp_md.ingress_ifindex` of the run.
    pub ifindex: Signal<In, Bits<32>>,
    /// `xdp_md.rx_queue_index` of the run.
    pub rxq: Signal<In, Bits<32>>,
    /// Maps of the image.
    pub n_maps: Signal<In, Bits<7>>,
    /// Bytes of map memory the image uses (the map region's bound).
    pub map_len: Signal<In, Bits<32>>,
    /// Device cycles before this run (`bpf_ktime_get_ns`).
    pub time_base: Signal<In, Bits<64>>,
    /// Random generator state at the start of the run.
    pub seed: Signal<In, Bits<32>>,

    // Status.
    /// A run is in progress.
    pub busy: Signal<Out, bool>,
    /// The run has ended.
    pub done: Signal<Out, bool>,
    /// [`FaultCode`] of the run.
    pub fault: Signal<Out, Bits<4>>,
    /// Bundle of the fault.
    pub fault_pc: Signal<Out, Bits<13>>,
    /// Address of a faulting access.
    pub fault_addr: Signal<Out, Bits<64>>,
    /// Size of a faulting access.
    pub fault_size: Signal<Out, Bits<4>>,
    /// `r0` at exit (0 after a fault).
    pub result: Signal<Out, Bits<64>>,
    /// Cycles of the run, by the ISA's rule (the entry fetch and the stack clear excluded).
    pub cycles: Signal<Out, Bits<64>>,
    /// Bundles completed.
    pub bundles: Signal<Out, Bits<64>>,
    /// Instructions issued (nops excluded).
    pub insns: Signal<Out, Bits<64>>,
    /// `data_meta` at the end of the run (buffer offset).
    pub out_meta: Signal<Out, Bits<13>>,
    /// `data` at the end of the run.
    pub out_data: Signal<Out, Bits<13>>,
    /// `data_end` at the end of the run.
    pub out_end: Signal<Out, Bits<13>>,
    /// Redirect of the run: 0 none, 1 ifindex, 2 map entry.
    pub redir_kind: Signal<Out, Bits<2>>,
    /// Its ifindex.
    pub redir_ifindex: Signal<Out, Bits<32>>,
    /// Its map.
    pub redir_map: Signal<Out, Bits<8>>,
    /// Its key.
    pub redir_key: Signal<Out, Bits<32>>,
    /// Random generator state.
    pub rng_state: Signal<Out, Bits<32>>,

    // Trace.
    /// A bundle completes this cycle.
    pub retire: Signal<Out, bool>,
    /// Its bundle index.
    pub retire_pc: Signal<Out, Bits<13>>,
    /// A register is written this cycle.
    pub wb_en: Signal<Out, bool>,
    /// The register.
    pub wb_reg: Signal<Out, Bits<4>>,
    /// The value.
    pub wb_value: Signal<Out, Bits<64>>,
    /// A store or atomic writes memory this cycle (helpers' writes excluded).
    pub mw_en: Signal<Out, bool>,
    /// Its address (tagged).
    pub mw_addr: Signal<Out, Bits<64>>,
    /// Its size in bytes.
    pub mw_size: Signal<Out, Bits<4>>,
    /// The value stored (its low `mw_size` bytes).
    pub mw_value: Signal<Out, Bits<64>>,

    // Memories and units.
    imem: RAM<Bits<64>, IMEM_BITS>,
    rom: ROM<Ctl, 8>,
    rf: [LutRam<Bits<64>, 4>; 3],
    bank: [LutRam<Bits<64>, 3>; BANKED],
    rets: LutRam<Bits<13>, 3>,
    pkt: [RAM<Bits<8>, PKT_WORD_BITS>; 8],
    stk: [RAM<Bits<8>, STK_WORD_BITS>; 8],
    mm: [RAM<Bits<8>, MB>; 8],
    hu: HelperUnit,
    alu: Alu,
    cond: Cond,
    mul: Multiplier,
    div: Divider,
    ext: Extract,
    opa: OperandSel,
    opb: OperandSel,
    opc: OperandSel,
    op10: OperandSel,

    // Sequencer state.
    phase: DFF<Phase>,
    fetch_pc: DFF<Bits<13>>,
    ex_pc: DFF<Bits<13>>,
    ex_valid: DFF<bool>,
    step: DFF<Bits<7>>,
    held: DFF<Bits<64>>,
    lenq: DFF<Bits<13>>,
    codeq: DFF<Bits<13>>,
    budgetq: DFF<Bits<64>>,
    clr: DFF<Bits<STK_WORD_BITS>>,
    // Multi-cycle memory operations.
    maddr: DFF<Bits<32>>,
    msel: DFF<Bits<2>>,
    amo_b: DFF<Bits<64>>,
    amo_r0: DFF<Bits<64>>,
    rd_shift: DFF<Bits<3>>,
    rd_size: DFF<Bits<4>>,
    rd_sgn: DFF<bool>,
    rd_sel: DFF<Bits<2>>,
    rd_ctx: DFF<bool>,
    ctxd: DFF<Bits<64>>,
    // Packet pointers (buffer offsets): data_meta, data, data_end.
    pmq: DFF<Bits<13>>,
    pdq: DFF<Bits<13>>,
    peq: DFF<Bits<13>>,
    // Helper: cycles before its bundle (restored on a fault).
    hcyc: DFF<Bits<64>>,
    // Counters across runs (the contract's): runs, verdicts, faults, cycles.
    kcount: [DFF<Bits<64>>; CORE_COUNTERS],
    creg: DFF<Bits<64>>,
    // XDP context unit: mode and fields of the run.
    xdpq: DFF<bool>,
    ifq: DFF<Bits<32>>,
    rxqq: DFF<Bits<32>>,
    // Write-back.
    wbv: DFF<bool>,
    wbr: DFF<Bits<4>>,
    wbb: DFF<Bits<3>>,
    wbd: DFF<Bits<64>>,
    wbl: DFF<bool>,
    valid: DFF<Bits<16>>,
    // Calls.
    depth: DFF<Bits<3>>,
    copy: DFF<bool>,
    fp: DFF<Bits<64>>,
    // Results.
    ncycles: DFF<Bits<64>>,
    nbundles: DFF<Bits<64>>,
    ninsns: DFF<Bits<64>>,
    fcode: DFF<Bits<4>>,
    fpc: DFF<Bits<13>>,
    faddr: DFF<Bits<64>>,
    fsize: DFF<Bits<4>>,
    res: DFF<Bits<64>>,

    // Combinational.
    insn: Signal<Local, Bits<64>>,
    fa: Signal<Local, Bits<4>>,
    fb: Signal<Local, Bits<4>>,
    fc: Signal<Local, Bits<4>>,
    off: Signal<Local, Bits<16>>,
    imm: Signal<Local, Bits<32>>,
    imm64: Signal<Local, Bits<64>>,
    soff: Signal<Local, Bits<64>>,
    wbval: Signal<Local, Bits<64>>,
    base: Signal<Local, Bits<64>>,
    addr: Signal<Local, Bits<64>>,
    aoff: Signal<Local, Bits<32>>,
    aend: Signal<Local, Bits<33>>,
    hi_zero: Signal<Local, bool>,
    in_pkt: Signal<Local, bool>,
    in_stk: Signal<Local, bool>,
    in_map: Signal<Local, bool>,
    sel_now: Signal<Local, Bits<2>>,
    to_ctx: Signal<Local, bool>,
    plo: Signal<Local, Bits<13>>,
    hbusy: Signal<Local, bool>,
    hknown: Signal<Local, bool>,
    rsel: Signal<Local, Bits<2>>,
    wsel: Signal<Local, Bits<2>>,
    wmoff: Signal<Local, Bits<32>>,
    wmo: Signal<Local, Bits<3>>,
    wmb: Signal<Local, Bits<HOST_ADDR_BITS>>,
    wlane_k: [Signal<Local, Bits<3>>; 8],
    wlane_idx: [Signal<Local, Bits<HOST_ADDR_BITS>>; 8],
    rsize: Signal<Local, Bits<4>>,
    mword: Signal<Local, Bits<64>>,
    cword: Signal<Local, Bits<64>>,
    vidx: Signal<Local, Bits<3>>,
    ctx_ok: Signal<Local, bool>,
    ctxv: Signal<Local, Bits<64>>,
    r1i: Signal<Local, Bits<64>>,
    r2i: Signal<Local, Bits<64>>,
    newfp: Signal<Local, Bits<64>>,
    start_b: Signal<Local, bool>,
    last: Signal<Local, bool>,
    taken: Signal<Local, bool>,
    target: Signal<Local, Bits<13>>,
    fnow: Signal<Local, Bits<4>>,
    faulting: Signal<Local, bool>,
    moff: Signal<Local, Bits<32>>,
    mo: Signal<Local, Bits<3>>,
    szm1: Signal<Local, Bits<3>>,
    sizem: Signal<Local, Bits<4>>,
    sshift: Signal<Local, Bits<128>>,
    mb: Signal<Local, Bits<HOST_ADDR_BITS>>,
    lane_idx: [Signal<Local, Bits<HOST_ADDR_BITS>>; 8],
    old: Signal<Local, Bits<64>>,
    amo_new: Signal<Local, Bits<64>>,
    cmp_ok: Signal<Local, bool>,
    sval: Signal<Local, Bits<64>>,
    sdbl: Signal<Local, Bits<128>>,
    wword: Signal<Local, Bits<64>>,
    mem_we: Signal<Local, bool>,
    pword: Signal<Local, Bits<64>>,
    sword: Signal<Local, Bits<64>>,

    // Constants, all from rvo_isa.
    lane_id: [Constant<Bits<3>>; 8],
    c_tag_ctx: Constant<Bits<8>>,
    c_tag_pkt: Constant<Bits<8>>,
    c_tag_stk: Constant<Bits<8>>,
    c_tag_map: Constant<Bits<8>>,
    c_map_base: Constant<Bits<64>>,
    c_buf: Constant<Bits<13>>,
    c_hids: [Constant<Bits<32>>; N_HELPERS],
    c_ident: [Constant<Bits<64>>; IDENTITY_WORDS],
    c_cnt_base: Constant<Bits<HOST_ADDR_BITS>>,
    c_widx: [Constant<Bits<HOST_ADDR_BITS>>; IDENTITY_WORDS],
    c_cidx: [Constant<Bits<HOST_ADDR_BITS>>; CORE_COUNTERS],
    c_vidx: [Constant<Bits<3>>; 5],
    c_stack_size: Constant<Bits<33>>,
    c_stack_base: Constant<Bits<64>>,
    c_stack_end: Constant<Bits<64>>,
    c_pkt_base: Constant<Bits<64>>,
    c_ctx_base: Constant<Bits<64>>,
    c_headroom: Constant<Bits<13>>,
    /// `struct xdp_md` offsets: data, data_end, data_meta, ingress_ifindex, rx_queue_index.
    c_xoff: [Constant<Bits<5>>; 5],
    c_ctx_size: Constant<Bits<32>>,
    c_max_depth: Constant<Bits<3>>,
    c_low32: Constant<Bits<64>>,
    c_high32: Constant<Bits<64>>,
    c_high48: Constant<Bits<64>>,
    c_r10: Constant<Bits<4>>,
    c_last_clr: Constant<Bits<STK_WORD_BITS>>,
    f_oob: Constant<Bits<4>>,
    f_readonly: Constant<Bits<4>>,
    f_watchdog: Constant<Bits<4>>,
    f_call: Constant<Bits<4>>,
    f_ret: Constant<Bits<4>>,
    f_pc: Constant<Bits<4>>,
    f_helper: Constant<Bits<4>>,
    f_illegal: Constant<Bits<4>>,
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

fn fcode(c: FaultCode) -> Constant<Bits<4>> {
    k(c as u64)
}

impl<const MB: usize> Core<MB> {
    /// A core with the decode ROM of this build's ISA.
    ///
    /// # Panics
    /// When `config` asks for what this stage does not build (more than one lane), or the
    /// ISA's cycle counts are not the datapath's ([`crate::decode::check_timing`]).
    pub fn new(config: CoreConfig) -> Core<MB> {
        assert_eq!(config.lanes, 1, "this stage of the core builds one lane");
        if let Err(e) = crate::decode::check_timing() {
            panic!("the ISA table's timing is not this datapath's:\n{e}");
        }
        assert_eq!(PACKET_BUFFER as usize, 8 << PKT_WORD_BITS);
        assert_eq!(STACK_SIZE as usize, 8 << STK_WORD_BITS);
        assert_eq!(IMEM_WORDS, rvo_isa::region::IMEM_BUNDLES);
        assert_eq!(
            config.map_word_bits, MB,
            "the core is built for {MB} map word bits"
        );
        assert!(MB <= HOST_ADDR_BITS);
        const {
            assert!(
                (8u64 << SIM_MAP_WORD_BITS) == rvo_isa::region::MAP_MEMORY as u64,
                "the simulated core holds the ISA's whole map region"
            )
        };
        const { assert!(MAX_CALL_DEPTH <= 8, "call frames are a 3-bit bank index") };
        let rows: BTreeMap<Bits<8>, Ctl> = rom_rows()
            .into_iter()
            .map(|(code, ctl)| ((code as u64).into(), ctl))
            .collect();
        Core {
            clock: Default::default(),
            imem_we: Default::default(),
            imem_addr: Default::default(),
            imem_data: Default::default(),
            host_sel: Default::default(),
            pkt_we: Default::default(),
            pkt_addr: Default::default(),
            pkt_wdata: Default::default(),
            pkt_rdata: Default::default(),
            start: Default::default(),
            entry: Default::default(),
            code_len: Default::default(),
            pkt_len: Default::default(),
            budget: Default::default(),
            xdp: Default::default(),
            ifindex: Default::default(),
            rxq: Default::default(),
            n_maps: Default::default(),
            map_len: Default::default(),
            time_base: Default::default(),
            seed: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            fault: Default::default(),
            fault_pc: Default::default(),
            fault_addr: Default::default(),
            fault_size: Default::default(),
            result: Default::default(),
            cycles: Default::default(),
            bundles: Default::default(),
            insns: Default::default(),
            out_meta: Default::default(),
            out_data: Default::default(),
            out_end: Default::default(),
            redir_kind: Default::default(),
            redir_ifindex: Default::default(),
            redir_map: Default::default(),
            redir_key: Default::default(),
            rng_state: Default::default(),
            retire: Default::default(),
            retire_pc: Default::default(),
            wb_en: Default::default(),
            wb_reg: Default::default(),
            wb_value: Default::default(),
            mw_en: Default::default(),
            mw_addr: Default::default(),
            mw_size: Default::default(),
            mw_value: Default::default(),
            imem: Default::default(),
            rom: ROM::new(rows),
            rf: std::array::from_fn(|_| LutRam::new()),
            bank: std::array::from_fn(|_| LutRam::new()),
            rets: LutRam::new(),
            pkt: std::array::from_fn(|_| Default::default()),
            stk: std::array::from_fn(|_| Default::default()),
            mm: std::array::from_fn(|_| Default::default()),
            hu: Default::default(),
            alu: Default::default(),
            cond: Default::default(),
            mul: Default::default(),
            div: Default::default(),
            ext: Default::default(),
            opa: Default::default(),
            opb: Default::default(),
            opc: Default::default(),
            op10: Default::default(),
            phase: Default::default(),
            fetch_pc: Default::default(),
            ex_pc: Default::default(),
            ex_valid: Default::default(),
            step: Default::default(),
            held: Default::default(),
            lenq: Default::default(),
            codeq: Default::default(),
            budgetq: Default::default(),
            clr: Default::default(),
            maddr: Default::default(),
            msel: Default::default(),
            amo_b: Default::default(),
            amo_r0: Default::default(),
            rd_shift: Default::default(),
            rd_size: Default::default(),
            rd_sgn: Default::default(),
            rd_sel: Default::default(),
            rd_ctx: Default::default(),
            ctxd: Default::default(),
            pmq: Default::default(),
            pdq: Default::default(),
            peq: Default::default(),
            hcyc: Default::default(),
            kcount: std::array::from_fn(|_| Default::default()),
            creg: Default::default(),
            xdpq: Default::default(),
            ifq: Default::default(),
            rxqq: Default::default(),
            wbv: Default::default(),
            wbr: Default::default(),
            wbb: Default::default(),
            wbd: Default::default(),
            wbl: Default::default(),
            valid: Default::default(),
            depth: Default::default(),
            copy: Default::default(),
            fp: Default::default(),
            ncycles: Default::default(),
            nbundles: Default::default(),
            ninsns: Default::default(),
            fcode: Default::default(),
            fpc: Default::default(),
            faddr: Default::default(),
            fsize: Default::default(),
            res: Default::default(),
            insn: Default::default(),
            fa: Default::default(),
            fb: Default::default(),
            fc: Default::default(),
            off: Default::default(),
            imm: Default::default(),
            imm64: Default::default(),
            soff: Default::default(),
            wbval: Default::default(),
            base: Default::default(),
            addr: Default::default(),
            aoff: Default::default(),
            aend: Default::default(),
            hi_zero: Default::default(),
            in_pkt: Default::default(),
            in_stk: Default::default(),
            in_map: Default::default(),
            sel_now: Default::default(),
            plo: Default::default(),
            hbusy: Default::default(),
            hknown: Default::default(),
            rsel: Default::default(),
            wsel: Default::default(),
            wmoff: Default::default(),
            wmo: Default::default(),
            wmb: Default::default(),
            wlane_k: std::array::from_fn(|_| Default::default()),
            wlane_idx: std::array::from_fn(|_| Default::default()),
            rsize: Default::default(),
            mword: Default::default(),
            cword: Default::default(),
            vidx: Default::default(),
            ctx_ok: Default::default(),
            ctxv: Default::default(),
            r1i: Default::default(),
            r2i: Default::default(),
            to_ctx: Default::default(),
            newfp: Default::default(),
            start_b: Default::default(),
            last: Default::default(),
            taken: Default::default(),
            target: Default::default(),
            fnow: Default::default(),
            faulting: Default::default(),
            moff: Default::default(),
            mo: Default::default(),
            szm1: Default::default(),
            sizem: Default::default(),
            sshift: Default::default(),
            mb: Default::default(),
            lane_idx: std::array::from_fn(|_| Default::default()),
            old: Default::default(),
            amo_new: Default::default(),
            cmp_ok: Default::default(),
            sval: Default::default(),
            sdbl: Default::default(),
            wword: Default::default(),
            mem_we: Default::default(),
            pword: Default::default(),
            sword: Default::default(),
            lane_id: std::array::from_fn(|j| k(j as u64)),
            c_tag_ctx: k(Region::Ctx as u64),
            c_tag_pkt: k(Region::Packet as u64),
            c_tag_stk: k(Region::Stack as u64),
            c_tag_map: k(Region::Map as u64),
            c_map_base: k(Region::Map.addr(0)),
            c_buf: k(PACKET_BUFFER as u64),
            c_hids: std::array::from_fn(|i| k(Helper::ALL[i] as i32 as u32 as u64)),
            c_ident: identity_words(&config).map(k),
            c_cnt_base: k((rvo_isa::contract::layout::COUNTERS / 8) as u64),
            c_widx: std::array::from_fn(|i| k(i as u64)),
            c_cidx: std::array::from_fn(
                |i| k((rvo_isa::contract::layout::COUNTERS / 8 + i) as u64),
            ),
            c_vidx: std::array::from_fn(|i| k(i as u64)),
            c_stack_size: k(STACK_SIZE as u64),
            c_stack_base: k(Region::Stack.addr(0)),
            c_stack_end: k(Region::Stack.addr(STACK_SIZE)),
            c_pkt_base: k(Region::Packet.addr(0)),
            c_ctx_base: k(Region::Ctx.addr(0)),
            c_headroom: k(PACKET_HEADROOM as u64),
            c_xoff: [
                xdp_ctx::DATA,
                xdp_ctx::DATA_END,
                xdp_ctx::DATA_META,
                xdp_ctx::INGRESS_IFINDEX,
                xdp_ctx::RX_QUEUE_INDEX,
            ]
            .map(|o| k(o as u64)),
            c_ctx_size: k(xdp_ctx::SIZE as u64),
            c_max_depth: k(MAX_CALL_DEPTH as u64 - 1),
            c_low32: k(0xffff_ffff),
            c_high32: k(0xffff_ffff_0000_0000),
            c_high48: k(0xffff_ffff_ffff_0000),
            c_r10: k(rvo_isa::FP.index() as u64),
            c_last_clr: k((1 << STK_WORD_BITS) - 1),
            f_oob: fcode(FaultCode::OutOfBounds),
            f_readonly: fcode(FaultCode::ReadOnly),
            f_watchdog: fcode(FaultCode::Watchdog),
            f_call: fcode(FaultCode::CallStackOverflow),
            f_ret: fcode(FaultCode::ReturnWithoutCall),
            f_pc: fcode(FaultCode::PcOutOfRange),
            f_helper: fcode(FaultCode::Helper),
            f_illegal: fcode(FaultCode::Illegal),
        }
    }
}

impl<const MB: usize> Logic for Core<MB> {
    #[hdl_gen]
    fn update(&mut self) {
        // ---- Clocks and register defaults ----
        dff_setup!(
            self, clock, phase, fetch_pc, ex_pc, ex_valid, step, held, lenq, codeq, budgetq, clr,
            maddr, msel, amo_b, amo_r0, rd_shift, rd_size, rd_sgn, rd_sel, rd_ctx, ctxd, pmq, pdq,
            peq, hcyc, creg, xdpq, ifq, rxqq, wbv, wbr, wbb, wbd, wbl, valid, depth, copy, fp,
            ncycles, nbundles, ninsns, fcode, fpc, faddr, fsize, res
        );
        self.imem.read_clock.next = self.clock.val();
        self.imem.write_clock.next = self.clock.val();
        for i in 0..3 {
            self.rf[i].clock.next = self.clock.val();
        }
        for i in 0..BANKED {
            self.bank[i].clock.next = self.clock.val();
        }
        self.rets.clock.next = self.clock.val();
        for j in 0..8 {
            self.pkt[j].read_clock.next = self.clock.val();
            self.pkt[j].write_clock.next = self.clock.val();
            self.stk[j].read_clock.next = self.clock.val();
            self.stk[j].write_clock.next = self.clock.val();
            self.mm[j].read_clock.next = self.clock.val();
            self.mm[j].write_clock.next = self.clock.val();
        }
        self.hu.clock.next = self.clock.val();
        for i in 0..CORE_COUNTERS {
            self.kcount[i].clock.next = self.clock.val();
            self.kcount[i].d.next = self.kcount[i].q.val();
        }
        self.mul.clock.next = self.clock.val();
        self.div.clock.next = self.clock.val();
        self.wbv.d.next = false;

        // ---- Fetch ----
        self.imem.write_enable.next = self.imem_we.val();
        self.imem.write_address.next = self.imem_addr.val();
        self.imem.write_data.next = self.imem_data.val();
        self.imem.read_address.next = self.fetch_pc.q.val().get_bits::<IMEM_BITS>(0);

        // ---- Decode: the word in execute, its fields and its control word ----
        self.insn.next = self.held.q.val();
        if self.step.q.val() == 0 {
            self.insn.next = self.imem.read_data.val();
        }
        self.rom.address.next = self.insn.val().get_bits::<8>(0);
        self.fa.next = self.insn.val().get_bits::<4>(8);
        self.fb.next = self.insn.val().get_bits::<4>(12);
        self.off.next = self.insn.val().get_bits::<16>(16);
        self.imm.next = self.insn.val().get_bits::<32>(32);
        self.fc.next = self.insn.val().get_bits::<4>(32);
        self.imm64.next = bit_cast::<64, 32>(self.imm.val());
        if self.imm.val().get_bit(31) {
            self.imm64.next = bit_cast::<64, 32>(self.imm.val()) | self.c_high32.val();
        }
        self.soff.next = bit_cast::<64, 16>(self.off.val());
        if self.off.val().get_bit(15) {
            self.soff.next = bit_cast::<64, 16>(self.off.val()) | self.c_high48.val();
        }

        // ---- Register reads ----
        self.wbval.next = self.wbd.q.val();
        if self.wbl.q.val() {
            self.wbval.next = self.ext.value.val();
            if self.rd_ctx.q.val() {
                self.wbval.next = self.ctxd.q.val();
            }
        }
        self.rf[0].read_address.next = self.fa.val();
        self.rf[1].read_address.next = self.fb.val();
        self.rf[2].read_address.next = self.fc.val();
        self.opa.x.next = self.fa.val();
        self.opb.x.next = self.fb.val();
        self.opc.x.next = self.fc.val();
        // A helper takes r1-r3 in its first cycle, r4 and r5 in its second.
        if self.rom.data.val().helper {
            if self.step.q.val() == 0 {
                self.opa.x.next = 1.into();
                self.opb.x.next = 2.into();
                self.opc.x.next = 3.into();
            } else {
                self.opa.x.next = 4.into();
                self.opb.x.next = 5.into();
            }
            self.rf[0].read_address.next = self.opa.x.val();
            self.rf[1].read_address.next = self.opb.x.val();
            self.rf[2].read_address.next = self.opc.x.val();
        }
        self.op10.x.next = self.c_r10.val();
        self.opa.main.next = self.rf[0].read_data.val();
        self.opb.main.next = self.rf[1].read_data.val();
        self.opc.main.next = self.rf[2].read_data.val();
        self.op10.main.next = self.rf[0].read_data.val();
        for i in 0..BANKED {
            self.bank[i].read_address.next = self.depth.q.val();
            self.opa.bank[i].next = self.bank[i].read_data.val();
            self.opb.bank[i].next = self.bank[i].read_data.val();
            self.opc.bank[i].next = self.bank[i].read_data.val();
            self.op10.bank[i].next = self.bank[i].read_data.val();
        }
        self.opa.valid.next = self.valid.q.val();
        self.opb.valid.next = self.valid.q.val();
        self.opc.valid.next = self.valid.q.val();
        self.op10.valid.next = self.valid.q.val();
        self.opa.depth.next = self.depth.q.val();
        self.opb.depth.next = self.depth.q.val();
        self.opc.depth.next = self.depth.q.val();
        self.op10.depth.next = self.depth.q.val();
        self.opa.wb_valid.next = self.wbv.q.val();
        self.opb.wb_valid.next = self.wbv.q.val();
        self.opc.wb_valid.next = self.wbv.q.val();
        self.op10.wb_valid.next = self.wbv.q.val();
        self.opa.wb_reg.next = self.wbr.q.val();
        self.opb.wb_reg.next = self.wbr.q.val();
        self.opc.wb_reg.next = self.wbr.q.val();
        self.op10.wb_reg.next = self.wbr.q.val();
        self.opa.wb_bank.next = self.wbb.q.val();
        self.opb.wb_bank.next = self.wbb.q.val();
        self.opc.wb_bank.next = self.wbb.q.val();
        self.op10.wb_bank.next = self.wbb.q.val();
        self.opa.wb_value.next = self.wbval.val();
        self.opb.wb_value.next = self.wbval.val();
        self.opc.wb_value.next = self.wbval.val();
        self.op10.wb_value.next = self.wbval.val();
        // Initial r1/r2: raw mode the packet and its length; XDP the context (r2 zero).
        self.r1i.next = self.c_pkt_base.val();
        self.r2i.next = bit_cast::<64, 13>(self.lenq.q.val());
        if self.xdpq.q.val() {
            self.r1i.next = self.c_ctx_base.val();
            self.r2i.next = 0.into();
        }
        self.opa.init_r1.next = self.r1i.val();
        self.opb.init_r1.next = self.r1i.val();
        self.opc.init_r1.next = self.r1i.val();
        self.op10.init_r1.next = self.r1i.val();
        self.opa.init_r2.next = self.r2i.val();
        self.opb.init_r2.next = self.r2i.val();
        self.opc.init_r2.next = self.r2i.val();
        self.op10.init_r2.next = self.r2i.val();
        self.opa.init_r10.next = self.c_stack_end.val();
        self.opb.init_r10.next = self.c_stack_end.val();
        self.opc.init_r10.next = self.c_stack_end.val();
        self.op10.init_r10.next = self.c_stack_end.val();

        // ---- Execute units ----
        self.alu.op.next = self.rom.data.val().aluop;
        self.alu.w32.next = self.rom.data.val().w32;
        self.alu.b.next = self.opb.value.val();
        self.alu.c.next = self.opc.value.val();
        if self.rom.data.val().use_imm {
            self.alu.c.next = self.imm64.val();
        }
        self.cond.op.next = self.rom.data.val().cond;
        self.cond.sgn.next = self.rom.data.val().csigned;
        self.cond.w32.next = self.rom.data.val().w32;
        self.cond.a.next = self.opa.value.val();
        self.cond.b.next = self.opb.value.val();
        if self.rom.data.val().use_imm {
            self.cond.b.next = self.imm64.val();
        }
        self.mul.x.next = self.alu.b.val();
        self.mul.y.next = self.alu.c.val();
        self.mul.w32.next = self.rom.data.val().w32;
        self.div.x.next = self.alu.b.val();
        self.div.y.next = self.alu.c.val();
        self.div.w32.next = self.rom.data.val().w32;
        self.div.sgn.next = self.rom.data.val().dsigned;
        self.div.rem.next = self.rom.data.val().dmod;

        // ---- Address and bounds check ----
        self.base.next = self.opa.value.val();
        if self.rom.data.val().load {
            self.base.next = self.opb.value.val();
        }
        self.addr.next = self.base.val() + self.soff.val();
        self.aoff.next = self.addr.val().get_bits::<32>(0);
        self.aend.next =
            bit_cast::<33, 32>(self.aoff.val()) + bit_cast::<33, 4>(self.rom.data.val().size);
        self.hi_zero.next = !self.addr.val().get_bits::<24>(40).any();
        // The packet region: [data_meta, data_end), from the pointer registers (raw mode: the
        // packet at 0; XDP: at the headroom; the helpers move them).
        self.plo.next = 0.into();
        if self.xdpq.q.val() {
            self.plo.next = self.c_headroom.val();
        }
        self.in_pkt.next = self.hi_zero.val()
            && (self.addr.val().get_bits::<8>(32) == self.c_tag_pkt.val())
            && (self.aoff.val() >= bit_cast::<32, 13>(self.pmq.q.val()))
            && (self.aend.val() <= bit_cast::<33, 13>(self.peq.q.val()));
        self.in_stk.next = self.hi_zero.val()
            && (self.addr.val().get_bits::<8>(32) == self.c_tag_stk.val())
            && (self.aend.val() <= self.c_stack_size.val());
        self.in_map.next = self.hi_zero.val()
            && (self.addr.val().get_bits::<8>(32) == self.c_tag_map.val())
            && (self.aend.val() <= bit_cast::<33, 32>(self.map_len.val()));
        self.sel_now.next = 0.into();
        if self.in_stk.val() {
            self.sel_now.next = 1.into();
        }
        if self.in_map.val() {
            self.sel_now.next = 2.into();
        }
        self.to_ctx.next =
            self.hi_zero.val() && (self.addr.val().get_bits::<8>(32) == self.c_tag_ctx.val());
        // The XDP context unit: 4-byte loads of `struct xdp_md` fields.
        self.ctx_ok.next = self.xdpq.q.val()
            && self.to_ctx.val()
            && (self.rom.data.val().size == 4)
            && (self.aoff.val() < self.c_ctx_size.val())
            && !self.aoff.val().get_bits::<2>(0).any();
        self.ctxv.next = 0.into();
        if self.aoff.val().get_bits::<5>(0) == self.c_xoff[0].val() {
            self.ctxv.next = self.c_pkt_base.val() | bit_cast::<64, 13>(self.pdq.q.val());
        }
        if self.aoff.val().get_bits::<5>(0) == self.c_xoff[1].val() {
            self.ctxv.next = self.c_pkt_base.val() | bit_cast::<64, 13>(self.peq.q.val());
        }
        if self.aoff.val().get_bits::<5>(0) == self.c_xoff[2].val() {
            self.ctxv.next = self.c_pkt_base.val() | bit_cast::<64, 13>(self.pmq.q.val());
        }
        if self.aoff.val().get_bits::<5>(0) == self.c_xoff[3].val() {
            self.ctxv.next = bit_cast::<64, 32>(self.ifq.q.val());
        }
        if self.aoff.val().get_bits::<5>(0) == self.c_xoff[4].val() {
            self.ctxv.next = bit_cast::<64, 32>(self.rxqq.q.val());
        }
        self.newfp.next = self.op10.value.val() - bit_cast::<64, 32>(self.imm.val());

        // ---- Faults, checked when a bundle starts ----
        self.start_b.next =
            (self.phase.q.val() == Phase::Run) && self.ex_valid.q.val() && (self.step.q.val() == 0);
        self.last.next = (self.step.q.val() + 1) == self.rom.data.val().cycles;
        self.hknown.next = false;
        for i in 0..N_HELPERS {
            if self.imm.val() == self.c_hids[i].val() {
                self.hknown.next = true;
            }
        }
        if self.rom.data.val().helper {
            self.last.next = self.hu.done.val();
        }
        self.fnow.next = 0.into();
        if self.ncycles.q.val() > self.budgetq.q.val() {
            self.fnow.next = self.f_watchdog.val();
        } else if self.ex_pc.q.val() >= self.codeq.q.val() {
            self.fnow.next = self.f_pc.val();
        } else if !self.rom.data.val().legal {
            self.fnow.next = self.f_illegal.val();
        } else if self.rom.data.val().helper && !self.hknown.val() {
            self.fnow.next = self.f_helper.val();
        } else if self.rom.data.val().load
            && !(self.in_pkt.val() || self.in_stk.val() || self.in_map.val() || self.ctx_ok.val())
        {
            self.fnow.next = self.f_oob.val();
        } else if self.rom.data.val().atomic && self.ctx_ok.val() {
            self.fnow.next = self.f_readonly.val();
        } else if self.rom.data.val().atomic
            && !(self.in_pkt.val() || self.in_stk.val() || self.in_map.val())
        {
            self.fnow.next = self.f_oob.val();
        } else if self.rom.data.val().store && self.to_ctx.val() {
            self.fnow.next = self.f_readonly.val();
        } else if self.rom.data.val().store
            && !(self.in_pkt.val() || self.in_stk.val() || self.in_map.val())
        {
            self.fnow.next = self.f_oob.val();
        } else if self.rom.data.val().call
            && ((self.depth.q.val() >= self.c_max_depth.val())
                || (self.newfp.val() < self.c_stack_base.val())
                || (self.newfp.val() > self.c_stack_end.val()))
        {
            self.fnow.next = self.f_call.val();
        } else if self.rom.data.val().ret && !self.depth.q.val().any() {
            self.fnow.next = self.f_ret.val();
        }
        self.faulting.next = self.start_b.val() && self.fnow.val().any();

        // ---- Control flow ----
        self.rets.read_address.next = self.depth.q.val() - 1;
        self.rets.write_address.next = self.depth.q.val();
        self.rets.write_data.next = self.ex_pc.q.val() + 1;
        self.rets.write_enable.next =
            self.start_b.val() && self.rom.data.val().call && !self.faulting.val();
        self.taken.next = self.rom.data.val().jump
            || self.rom.data.val().call
            || self.rom.data.val().ret
            || (self.rom.data.val().branch && self.cond.taken.val());
        self.target.next = self.off.val().get_bits::<13>(0);
        if self.rom.data.val().ret {
            self.target.next = self.rets.read_data.val();
        }

        // ---- Memory port: byte lanes, one read and one write address per cycle ----
        // The instruction's access (both addresses), or the helper unit's requests.
        self.hbusy.next = (self.phase.q.val() == Phase::Run)
            && self.ex_valid.q.val()
            && self.rom.data.val().helper
            && self.step.q.val().any();
        self.moff.next = self.maddr.q.val();
        self.rsel.next = self.msel.q.val();
        if self.step.q.val() == 0 {
            self.moff.next = self.aoff.val();
            self.rsel.next = self.sel_now.val();
        }
        self.wmoff.next = self.moff.val();
        self.wsel.next = self.rsel.val();
        self.rsize.next = self.rom.data.val().size;
        self.sizem.next = self.rom.data.val().size - 1;
        if self.hbusy.val() {
            self.moff.next = self.hu.rd_addr.val().get_bits::<32>(0);
            self.rsel.next = 0.into();
            if self.hu.rd_addr.val().get_bits::<8>(32) == self.c_tag_stk.val() {
                self.rsel.next = 1.into();
            }
            if self.hu.rd_addr.val().get_bits::<8>(32) == self.c_tag_map.val() {
                self.rsel.next = 2.into();
            }
            self.rsize.next = self.hu.rd_size.val();
            self.wmoff.next = self.hu.wr_addr.val().get_bits::<32>(0);
            self.wsel.next = 0.into();
            if self.hu.wr_addr.val().get_bits::<8>(32) == self.c_tag_stk.val() {
                self.wsel.next = 1.into();
            }
            if self.hu.wr_addr.val().get_bits::<8>(32) == self.c_tag_map.val() {
                self.wsel.next = 2.into();
            }
            self.sizem.next = self.hu.wr_size.val() - 1;
        }
        self.mo.next = self.moff.val().get_bits::<3>(0);
        self.szm1.next = self.sizem.val().get_bits::<3>(0);
        self.mb.next = self.moff.val().get_bits::<HOST_ADDR_BITS>(3);
        self.wmo.next = self.wmoff.val().get_bits::<3>(0);
        self.wmb.next = self.wmoff.val().get_bits::<HOST_ADDR_BITS>(3);
        for j in 0..8 {
            self.lane_idx[j].next = self.mb.val();
            if self.lane_id[j].val() < self.mo.val() {
                self.lane_idx[j].next = self.mb.val() + 1;
            }
            self.wlane_k[j].next = self.lane_id[j].val() - self.wmo.val();
            self.wlane_idx[j].next = self.wmb.val();
            if self.lane_id[j].val() < self.wmo.val() {
                self.wlane_idx[j].next = self.wmb.val() + 1;
            }
        }
        self.pword.next = bit_cast::<64, 8>(self.pkt[0].read_data.val())
            | (bit_cast::<64, 8>(self.pkt[1].read_data.val()) << 8)
            | (bit_cast::<64, 8>(self.pkt[2].read_data.val()) << 16)
            | (bit_cast::<64, 8>(self.pkt[3].read_data.val()) << 24)
            | (bit_cast::<64, 8>(self.pkt[4].read_data.val()) << 32)
            | (bit_cast::<64, 8>(self.pkt[5].read_data.val()) << 40)
            | (bit_cast::<64, 8>(self.pkt[6].read_data.val()) << 48)
            | (bit_cast::<64, 8>(self.pkt[7].read_data.val()) << 56);
        self.sword.next = bit_cast::<64, 8>(self.stk[0].read_data.val())
            | (bit_cast::<64, 8>(self.stk[1].read_data.val()) << 8)
            | (bit_cast::<64, 8>(self.stk[2].read_data.val()) << 16)
            | (bit_cast::<64, 8>(self.stk[3].read_data.val()) << 24)
            | (bit_cast::<64, 8>(self.stk[4].read_data.val()) << 32)
            | (bit_cast::<64, 8>(self.stk[5].read_data.val()) << 40)
            | (bit_cast::<64, 8>(self.stk[6].read_data.val()) << 48)
            | (bit_cast::<64, 8>(self.stk[7].read_data.val()) << 56);
        self.mword.next = bit_cast::<64, 8>(self.mm[0].read_data.val())
            | (bit_cast::<64, 8>(self.mm[1].read_data.val()) << 8)
            | (bit_cast::<64, 8>(self.mm[2].read_data.val()) << 16)
            | (bit_cast::<64, 8>(self.mm[3].read_data.val()) << 24)
            | (bit_cast::<64, 8>(self.mm[4].read_data.val()) << 32)
            | (bit_cast::<64, 8>(self.mm[5].read_data.val()) << 40)
            | (bit_cast::<64, 8>(self.mm[6].read_data.val()) << 48)
            | (bit_cast::<64, 8>(self.mm[7].read_data.val()) << 56);
        self.pkt_rdata.next = self.pword.val();
        if self.host_sel.val() == 1 {
            self.pkt_rdata.next = self.mword.val();
        }
        // The contract window: identity words, then the counters at their offset.
        self.cword.next = 0.into();
        for i in 0..IDENTITY_WORDS {
            if self.pkt_addr.val() == self.c_widx[i].val() {
                self.cword.next = self.c_ident[i].val();
            }
        }
        for i in 0..CORE_COUNTERS {
            if self.pkt_addr.val() == self.c_cidx[i].val() {
                self.cword.next = self.kcount[i].q.val();
            }
        }
        self.creg.d.next = self.cword.val();
        if self.host_sel.val() == 4 {
            self.pkt_rdata.next = self.creg.q.val();
        }
        self.ext.word.next = self.pword.val();
        if self.rd_sel.q.val() == 1 {
            self.ext.word.next = self.sword.val();
        }
        if self.rd_sel.q.val() == 2 {
            self.ext.word.next = self.mword.val();
        }
        self.ext.shift.next = self.rd_shift.q.val();
        self.ext.size.next = self.rd_size.q.val();
        self.ext.sgn.next = self.rd_sgn.q.val();
        self.old.next = self.ext.value.val();

        // Atomics: the new memory value from the old one (read in the first cycle).
        match self.rom.data.val().amo {
            AmoOp::Add => self.amo_new.next = self.old.val() + self.amo_b.q.val(),
            AmoOp::Or => self.amo_new.next = self.old.val() | self.amo_b.q.val(),
            AmoOp::And => self.amo_new.next = self.old.val() & self.amo_b.q.val(),
            AmoOp::Xor => self.amo_new.next = self.old.val() ^ self.amo_b.q.val(),
            AmoOp::Xchg => self.amo_new.next = self.amo_b.q.val(),
            AmoOp::CmpXchg => self.amo_new.next = self.amo_b.q.val(),
        }
        self.cmp_ok.next = self.old.val() == self.amo_r0.q.val();
        if self.rom.data.val().size == 4 {
            self.cmp_ok.next = self.old.val() == (self.amo_r0.q.val() & self.c_low32.val());
        }

        // Store data rotated to the lanes: lane j takes byte (j - first) mod 8.
        self.sval.next = self.opb.value.val();
        if self.rom.data.val().use_imm {
            self.sval.next = self.imm64.val();
        }
        if self.rom.data.val().atomic {
            self.sval.next = self.amo_new.val();
        }
        if self.hbusy.val() {
            self.sval.next = self.hu.wr_data.val();
        }
        self.sdbl.next =
            (bit_cast::<128, 64>(self.sval.val()) << 64) | bit_cast::<128, 64>(self.sval.val());
        self.sshift.next = self.sdbl.val() << (bit_cast::<7, 3>(self.wmo.val()) << 3);
        self.wword.next = self.sshift.val().get_bits::<64>(64);
        self.mem_we.next = false;
        if (self.phase.q.val() == Phase::Run) && self.ex_valid.q.val() {
            if self.start_b.val() && self.rom.data.val().store && !self.faulting.val() {
                self.mem_we.next = true;
            }
            if (self.step.q.val() == 1)
                && self.rom.data.val().atomic
                && ((self.rom.data.val().amo != AmoOp::CmpXchg) || self.cmp_ok.val())
            {
                self.mem_we.next = true;
            }
        }
        if self.hbusy.val() {
            self.mem_we.next = self.hu.wr_en.val();
        }
        for j in 0..8 {
            self.pkt[j].read_address.next = self.pkt_addr.val().get_bits::<PKT_WORD_BITS>(0);
            self.pkt[j].write_address.next = self.pkt_addr.val().get_bits::<PKT_WORD_BITS>(0);
            self.pkt[j].write_data.next = self.pkt_wdata.val().get_bits::<8>(j * 8);
            self.pkt[j].write_enable.next = self.pkt_we.val() && (self.host_sel.val() == 0);
            self.mm[j].read_address.next = self.pkt_addr.val().get_bits::<MB>(0);
            self.mm[j].write_address.next = self.pkt_addr.val().get_bits::<MB>(0);
            self.mm[j].write_data.next = self.pkt_wdata.val().get_bits::<8>(j * 8);
            self.mm[j].write_enable.next = self.pkt_we.val() && (self.host_sel.val() == 1);
            self.stk[j].read_address.next = self.lane_idx[j].val().get_bits::<STK_WORD_BITS>(0);
            self.stk[j].write_address.next = self.wlane_idx[j].val().get_bits::<STK_WORD_BITS>(0);
            self.stk[j].write_data.next = self.wword.val().get_bits::<8>(j * 8);
            self.stk[j].write_enable.next = self.mem_we.val()
                && (self.wsel.val() == 1)
                && (self.wlane_k[j].val() <= self.szm1.val());
            if self.phase.q.val() == Phase::Run {
                self.pkt[j].read_address.next = self.lane_idx[j].val().get_bits::<PKT_WORD_BITS>(0);
                self.pkt[j].write_address.next =
                    self.wlane_idx[j].val().get_bits::<PKT_WORD_BITS>(0);
                self.pkt[j].write_data.next = self.wword.val().get_bits::<8>(j * 8);
                self.pkt[j].write_enable.next = self.mem_we.val()
                    && (self.wsel.val() == 0)
                    && (self.wlane_k[j].val() <= self.szm1.val());
                self.mm[j].read_address.next = self.lane_idx[j].val().get_bits::<MB>(0);
                self.mm[j].write_address.next = self.wlane_idx[j].val().get_bits::<MB>(0);
                self.mm[j].write_data.next = self.wword.val().get_bits::<8>(j * 8);
                self.mm[j].write_enable.next = self.mem_we.val()
                    && (self.wsel.val() == 2)
                    && (self.wlane_k[j].val() <= self.szm1.val());
            }
            if self.phase.q.val() == Phase::Clear {
                self.stk[j].write_address.next = self.clr.q.val();
                self.stk[j].write_data.next = 0.into();
                self.stk[j].write_enable.next = true;
            }
        }

        // ---- Register write-back (and the call's bank copy) ----
        for i in 0..3 {
            self.rf[i].write_address.next = self.wbr.q.val();
            self.rf[i].write_data.next = self.wbval.val();
            self.rf[i].write_enable.next =
                self.wbv.q.val() && ((self.wbr.q.val() < 6) || (self.wbr.q.val() > 10));
        }
        for i in 0..BANKED {
            self.bank[i].write_address.next = self.wbb.q.val();
            self.bank[i].write_data.next = self.wbval.val();
            self.bank[i].write_enable.next =
                self.wbv.q.val() && (self.wbr.q.val().index() == i + 6);
        }
        if self.wbv.q.val()
            && (((self.wbr.q.val() < 6) || (self.wbr.q.val() > 10)) || !self.wbb.q.val().any())
        {
            self.valid.d.next = self.valid.q.val() | (bits::<16>(1) << self.wbr.q.val());
        }
        if (self.phase.q.val() == Phase::Run) && !self.ex_valid.q.val() && self.copy.q.val() {
            // The penalty cycle of a call: the next frame's bank gets r6-r9 and the new r10.
            for i in 0..4 {
                self.bank[i].write_address.next = self.depth.q.val() + 1;
                self.bank[i].write_data.next = 0.into();
                if self.depth.q.val().any() || self.valid.q.val().get_bit(i + 6) {
                    self.bank[i].write_data.next = self.bank[i].read_data.val();
                }
                self.bank[i].write_enable.next = true;
            }
            self.bank[4].write_address.next = self.depth.q.val() + 1;
            self.bank[4].write_data.next = self.fp.q.val();
            self.bank[4].write_enable.next = true;
            self.depth.d.next = self.depth.q.val() + 1;
            self.copy.d.next = false;
        }

        // ---- Helper unit ----
        self.hu.host_data.next = self.pkt_wdata.val();
        self.hu.desc_we.next = self.pkt_we.val() && (self.host_sel.val() == 2);
        self.hu.desc_addr.next = self.pkt_addr.val().get_bits::<8>(0);
        self.hu.ent_we.next = self.pkt_we.val() && (self.host_sel.val() == 3);
        self.hu.ent_addr.next = self.pkt_addr.val().get_bits::<6>(0);
        self.hu.n_maps.next = self.n_maps.val();
        self.hu.map_len.next = self.map_len.val();
        self.hu.buf_len.next = self.lenq.q.val();
        if self.xdpq.q.val() {
            self.hu.buf_len.next = self.c_buf.val();
        }
        self.hu.time_base.next = self.time_base.val();
        self.hu.seed.next = self.seed.val();
        self.hu.run_start.next = ((self.phase.q.val() == Phase::Idle)
            || (self.phase.q.val() == Phase::Done))
            && self.start.val();
        self.hu.start.next =
            self.start_b.val() && self.rom.data.val().helper && !self.faulting.val();
        self.hu.id.next = self.imm.val().get_bits::<8>(0);
        self.hu.a1.next = self.opa.value.val();
        self.hu.a2.next = self.opb.value.val();
        self.hu.a3.next = self.opc.value.val();
        self.hu.a4.next = self.opa.value.val();
        self.hu.a5.next = self.opb.value.val();
        self.hu.now.next = self.ncycles.q.val();
        self.hu.pmeta.next = self.pmq.q.val();
        self.hu.pdata.next = self.pdq.q.val();
        self.hu.pend.next = self.peq.q.val();
        self.hu.rdata.next = self.ext.value.val();

        // ---- Sequencer ----
        self.mul.start.next = false;
        self.div.start.next = false;
        if (self.phase.q.val() == Phase::Idle) || (self.phase.q.val() == Phase::Done) {
            if self.start.val() {
                self.phase.d.next = Phase::Clear;
                self.clr.d.next = 0.into();
                self.lenq.d.next = self.pkt_len.val();
                self.xdpq.d.next = self.xdp.val();
                self.pmq.d.next = 0.into();
                self.pdq.d.next = 0.into();
                self.peq.d.next = self.pkt_len.val();
                if self.xdp.val() {
                    self.pmq.d.next = self.c_headroom.val();
                    self.pdq.d.next = self.c_headroom.val();
                    self.peq.d.next = self.c_headroom.val() + self.pkt_len.val();
                }
                self.ifq.d.next = self.ifindex.val();
                self.rxqq.d.next = self.rxq.val();
                self.codeq.d.next = self.code_len.val();
                self.budgetq.d.next = self.budget.val();
                self.fetch_pc.d.next = self.entry.val();
                self.ex_valid.d.next = false;
                self.step.d.next = 0.into();
                self.valid.d.next = 0.into();
                self.depth.d.next = 0.into();
                self.copy.d.next = false;
                self.ncycles.d.next = 0.into();
                self.nbundles.d.next = 0.into();
                self.ninsns.d.next = 0.into();
                self.fcode.d.next = 0.into();
                self.fpc.d.next = 0.into();
                self.faddr.d.next = 0.into();
                self.fsize.d.next = 0.into();
                self.res.d.next = 0.into();
            }
        } else if self.phase.q.val() == Phase::Clear {
            self.clr.d.next = self.clr.q.val() + 1;
            if self.clr.q.val() == self.c_last_clr.val() {
                self.phase.d.next = Phase::Fill;
            }
        } else if self.phase.q.val() == Phase::Fill {
            self.ex_pc.d.next = self.fetch_pc.q.val();
            self.fetch_pc.d.next = self.fetch_pc.q.val() + 1;
            self.ex_valid.d.next = true;
            self.phase.d.next = Phase::Run;
        } else {
            if !self.ex_valid.q.val() {
                // Bubble after a transfer of control: the target's word arrives next.
                self.ncycles.d.next = self.ncycles.q.val() + 1;
                self.ex_pc.d.next = self.fetch_pc.q.val();
                self.fetch_pc.d.next = self.fetch_pc.q.val() + 1;
                self.ex_valid.d.next = true;
            } else if self.hu.fault.val() {
                // A helper's buffer is out of bounds: the run stops as at the bundle's start.
                self.phase.d.next = Phase::Done;
                self.fcode.d.next = self.f_oob.val();
                self.fpc.d.next = self.ex_pc.q.val();
                self.faddr.d.next = self.hu.fault_addr.val();
                self.fsize.d.next = self.hu.fault_size.val();
                self.ncycles.d.next = self.hcyc.q.val();
            } else if self.faulting.val() {
                self.phase.d.next = Phase::Done;
                self.fcode.d.next = self.fnow.val();
                self.fpc.d.next = self.ex_pc.q.val();
                self.faddr.d.next = self.addr.val();
                self.fsize.d.next = self.rom.data.val().size;
                if (self.fnow.val() != self.f_watchdog.val())
                    && (self.fnow.val() != self.f_pc.val())
                    && !self.rom.data.val().nop
                {
                    self.ninsns.d.next = self.ninsns.q.val() + 1;
                }
            } else {
                self.ncycles.d.next = self.ncycles.q.val() + 1;
                if self.hbusy.val() {
                    // The helper's read: its data returns to the unit through `ext`.
                    self.rd_shift.d.next = self.mo.val();
                    self.rd_size.d.next = self.rsize.val();
                    self.rd_sgn.d.next = false;
                    self.rd_sel.d.next = self.rsel.val();
                    self.rd_ctx.d.next = false;
                }
                if self.step.q.val() == 0 {
                    self.held.d.next = self.imem.read_data.val();
                    self.maddr.d.next = self.aoff.val();
                    self.msel.d.next = self.sel_now.val();
                    self.hcyc.d.next = self.ncycles.q.val();
                    self.amo_b.d.next = self.opb.value.val();
                    self.amo_r0.d.next = self.opc.value.val();
                    self.mul.start.next = self.rom.data.val().mul;
                    self.div.start.next = self.rom.data.val().div;
                    if !self.rom.data.val().nop {
                        self.ninsns.d.next = self.ninsns.q.val() + 1;
                    }
                    if self.rom.data.val().load || self.rom.data.val().atomic {
                        self.rd_shift.d.next = self.mo.val();
                        self.rd_size.d.next = self.rom.data.val().size;
                        self.rd_sgn.d.next = self.rom.data.val().lsigned;
                        self.rd_sel.d.next = self.sel_now.val();
                        self.rd_ctx.d.next = self.ctx_ok.val();
                        self.ctxd.d.next = self.ctxv.val();
                    }
                }
                if self.last.val() {
                    self.nbundles.d.next = self.nbundles.q.val() + 1;
                    self.step.d.next = 0.into();
                    // Write-back of the bundle's result.
                    self.wbb.d.next = self.depth.q.val();
                    self.wbr.d.next = self.fa.val();
                    self.wbl.d.next = false;
                    if self.rom.data.val().alu {
                        self.wbv.d.next = true;
                        self.wbd.d.next = self.alu.result.val();
                    }
                    if self.rom.data.val().mul {
                        self.wbv.d.next = true;
                        self.wbd.d.next = self.mul.result.val();
                    }
                    if self.rom.data.val().div {
                        self.wbv.d.next = true;
                        self.wbd.d.next = self.div.result.val();
                    }
                    if self.rom.data.val().load {
                        self.wbv.d.next = true;
                        self.wbl.d.next = true;
                    }
                    if self.rom.data.val().atomic && self.rom.data.val().fetch {
                        self.wbv.d.next = true;
                        self.wbr.d.next = self.fb.val();
                        self.wbd.d.next = self.old.val();
                    }
                    if self.rom.data.val().atomic && (self.rom.data.val().amo == AmoOp::CmpXchg) {
                        self.wbv.d.next = true;
                        self.wbr.d.next = 0.into();
                        self.wbd.d.next = self.old.val();
                    }
                    if self.rom.data.val().helper {
                        self.wbv.d.next = true;
                        self.wbr.d.next = 0.into();
                        self.wbd.d.next = self.hu.r0.val();
                        if self.hu.set_ptrs.val() {
                            self.pmq.d.next = self.hu.new_meta.val();
                            self.pdq.d.next = self.hu.new_data.val();
                            self.peq.d.next = self.hu.new_end.val();
                        }
                    }
                    // Where the next bundle comes from.
                    if self.rom.data.val().helper && self.hu.tail.val() {
                        // A tail call: the callee replaces the program; frames are dropped and
                        // r10 is the stack top again.
                        self.wbr.d.next = self.c_r10.val();
                        self.wbb.d.next = 0.into();
                        self.wbd.d.next = self.c_stack_end.val();
                        self.depth.d.next = 0.into();
                        self.fetch_pc.d.next = self.hu.tail_entry.val();
                        self.ex_valid.d.next = false;
                    } else if self.rom.data.val().exit {
                        self.phase.d.next = Phase::Done;
                        self.res.d.next = self.opc.value.val();
                        if self.rom.data.val().use_imm {
                            self.res.d.next = self.imm64.val();
                        }
                    } else if self.taken.val() {
                        self.fetch_pc.d.next = self.target.val();
                        self.ex_valid.d.next = false;
                        if self.rom.data.val().call {
                            self.copy.d.next = true;
                            self.fp.d.next = self.newfp.val();
                        }
                        if self.rom.data.val().ret {
                            self.depth.d.next = self.depth.q.val() - 1;
                        }
                    } else {
                        self.ex_pc.d.next = self.fetch_pc.q.val();
                        self.fetch_pc.d.next = self.fetch_pc.q.val() + 1;
                    }
                } else if !(self.rom.data.val().helper && self.step.q.val().any()) {
                    // A helper's bundle stays in its second step until the unit is done.
                    self.step.d.next = self.step.q.val() + 1;
                }
            }
        }

        // ---- Counters: each run once, in the cycle it ends (with its final values) ----
        self.vidx.next = 0.into();
        if !self.fcode.d.val().any() && (self.res.d.val() >= 1) && (self.res.d.val() <= 4) {
            self.vidx.next = self.res.d.val().get_bits::<3>(0);
        }
        if (self.phase.q.val() != Phase::Done) && (self.phase.d.val() == Phase::Done) {
            self.kcount[0].d.next = self.kcount[0].q.val() + 1;
            for v in 0..5 {
                if self.vidx.val() == self.c_vidx[v].val() {
                    self.kcount[v + 1].d.next = self.kcount[v + 1].q.val() + 1;
                }
            }
            if self.fcode.d.val().any() {
                self.kcount[6].d.next = self.kcount[6].q.val() + 1;
            }
            self.kcount[7].d.next = self.kcount[7].q.val() + self.ncycles.d.val();
        }
        if self.pkt_we.val() && (self.host_sel.val() == 4) {
            for i in 0..CORE_COUNTERS {
                self.kcount[i].d.next = 0.into();
            }
        }

        // ---- Outputs ----
        self.busy.next = (self.phase.q.val() == Phase::Clear)
            || (self.phase.q.val() == Phase::Fill)
            || (self.phase.q.val() == Phase::Run);
        self.done.next = self.phase.q.val() == Phase::Done;
        self.fault.next = self.fcode.q.val();
        self.fault_pc.next = self.fpc.q.val();
        self.fault_addr.next = self.faddr.q.val();
        self.fault_size.next = self.fsize.q.val();
        self.result.next = self.res.q.val();
        self.cycles.next = self.ncycles.q.val();
        self.bundles.next = self.nbundles.q.val();
        self.insns.next = self.ninsns.q.val();
        self.out_meta.next = self.pmq.q.val();
        self.out_data.next = self.pdq.q.val();
        self.out_end.next = self.peq.q.val();
        self.redir_kind.next = self.hu.redir_kind.val();
        self.redir_ifindex.next = self.hu.redir_ifindex.val();
        self.redir_map.next = self.hu.redir_map.val();
        self.redir_key.next = self.hu.redir_key.val();
        self.rng_state.next = self.hu.rng_state.val();
        self.retire.next = (self.phase.q.val() == Phase::Run)
            && self.ex_valid.q.val()
            && !self.faulting.val()
            && self.last.val();
        self.retire_pc.next = self.ex_pc.q.val();
        self.wb_en.next = self.wbv.q.val();
        self.wb_reg.next = self.wbr.q.val();
        self.wb_value.next = self.wbval.val();
        self.mw_en.next =
            (self.phase.q.val() == Phase::Run) && self.mem_we.val() && !self.hbusy.val();
        self.mw_addr.next = self.c_pkt_base.val() | bit_cast::<64, 32>(self.wmoff.val());
        if self.wsel.val() == 1 {
            self.mw_addr.next = self.c_stack_base.val() | bit_cast::<64, 32>(self.wmoff.val());
        }
        if self.wsel.val() == 2 {
            self.mw_addr.next = self.c_map_base.val() | bit_cast::<64, 32>(self.wmoff.val());
        }
        self.mw_size.next = self.rom.data.val().size;
        self.mw_value.next = self.sval.val();
    }
}
