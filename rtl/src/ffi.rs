//! The Verilated core behind a safe handle: one small `extern "C"` shim (`csrc/shim.cpp`).

use std::ffi::{c_char, c_void, CString};
use std::path::Path;

/// Inputs of the core for one cycle (the shim's `RvoIn`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Inputs {
    /// Instruction word written.
    pub imem_data: u64,
    /// Packet word written.
    pub pkt_wdata: u64,
    /// Watchdog budget.
    pub budget: u64,
    /// Device cycles before the run.
    pub time_base: u64,
    /// `xdp_md.ingress_ifindex` (XDP mode).
    pub ifindex: u32,
    /// `xdp_md.rx_queue_index` (XDP mode).
    pub rxq: u32,
    /// Bytes of map memory in use.
    pub map_len: u32,
    /// Generator state at the start of the run.
    pub seed: u32,
    /// Host port word read or written.
    pub pkt_addr: u32,
    /// Bundle written.
    pub imem_addr: u16,
    /// Entry bundle.
    pub entry: u16,
    /// Bundles of code.
    pub code_len: u16,
    /// Packet region bytes.
    pub pkt_len: u16,
    /// Write `imem_data`.
    pub imem_we: u8,
    /// Write `pkt_wdata`.
    pub pkt_we: u8,
    /// Start a run.
    pub start: u8,
    /// XDP mode (context unit, packet at the headroom).
    pub xdp: u8,
    /// What the host port addresses (`rvo_hw::HostSel`).
    pub host_sel: u8,
    /// Maps of the image.
    pub n_maps: u8,
}

/// Outputs of the core in the current cycle (the shim's `RvoOut`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Outputs {
    /// Packet word read.
    pub pkt_rdata: u64,
    /// Faulting address.
    pub fault_addr: u64,
    /// r0 at exit.
    pub result: u64,
    /// Cycles of the run.
    pub cycles: u64,
    /// Bundles completed.
    pub bundles: u64,
    /// Instructions issued.
    pub insns: u64,
    /// Value written back this cycle.
    pub wb_value: u64,
    /// Address a store or atomic writes this cycle.
    pub mw_addr: u64,
    /// The value it stores.
    pub mw_value: u64,
    /// Redirect ifindex.
    pub redir_ifindex: u32,
    /// Redirect map key.
    pub redir_key: u32,
    /// Generator state.
    pub rng_state: u32,
    /// Bundle of the fault.
    pub fault_pc: u16,
    /// Bundle completing this cycle.
    pub retire_pc: u16,
    /// `data_meta` (buffer offset).
    pub out_meta: u16,
    /// `data`.
    pub out_data: u16,
    /// `data_end`.
    pub out_end: u16,
    /// Running.
    pub busy: u8,
    /// Run ended.
    pub done: u8,
    /// Fault code.
    pub fault: u8,
    /// Faulting access size.
    pub fault_size: u8,
    /// A bundle completes this cycle.
    pub retire: u8,
    /// A register is written this cycle.
    pub wb_en: u8,
    /// The register written.
    pub wb_reg: u8,
    /// Redirect: 0 none, 1 ifindex, 2 map entry.
    pub redir_kind: u8,
    /// Redirect map.
    pub redir_map: u8,
    /// A store or atomic writes memory this cycle.
    pub mw_en: u8,
    /// Bytes it writes.
    pub mw_size: u8,
}

extern "C" {
    fn rvo_new(vcd_path: *const c_char) -> *mut c_void;
    fn rvo_free(p: *mut c_void);
    fn rvo_set(p: *mut c_void, inputs: *const Inputs);
    fn rvo_get(p: *mut c_void, out: *mut Outputs);
    fn rvo_tick(p: *mut c_void);
    fn rvo_run(p: *mut c_void, max: u64) -> u64;
}

/// One Verilated core. Verilated models are not thread-safe: the raw pointer keeps this
/// `!Send` and `!Sync`.
///
/// # Invariants
/// `ptr` comes from `rvo_new`, is freed only in `Drop`, and is used by one thread.
pub struct Sim {
    ptr: *mut c_void,
}

impl Sim {
    /// A core in its reset state, tracing to a VCD file when `vcd` is given.
    pub fn new(vcd: Option<&Path>) -> Sim {
        let path = vcd.map(|p| CString::new(p.to_string_lossy().as_bytes()).unwrap_or_default());
        let raw = path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        // SAFETY: `raw` is null or a NUL-terminated string that outlives the call.
        let ptr = unsafe { rvo_new(raw) };
        Sim { ptr }
    }

    /// Apply inputs (they hold until changed).
    pub fn set(&mut self, inputs: &Inputs) {
        // SAFETY: `ptr` is live (type invariant); `inputs` is a valid `RvoIn`.
        unsafe { rvo_set(self.ptr, inputs) }
    }

    /// The outputs in the current cycle.
    pub fn get(&mut self) -> Outputs {
        let mut out = Outputs::default();
        // SAFETY: `ptr` is live; `out` is a valid, writable `RvoOut`.
        unsafe { rvo_get(self.ptr, &mut out) };
        out
    }

    /// One clock cycle.
    pub fn tick(&mut self) {
        // SAFETY: `ptr` is live.
        unsafe { rvo_tick(self.ptr) }
    }

    /// Clock until `done` or `max` cycles; the cycles clocked.
    pub fn run(&mut self, max: u64) -> u64 {
        // SAFETY: `ptr` is live.
        unsafe { rvo_run(self.ptr, max) }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `rvo_new` and is not used after this.
        unsafe { rvo_free(self.ptr) }
    }
}
