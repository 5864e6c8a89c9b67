//! The model's per-bundle trace: what each completed bundle did, for lockstep against the RTL.
//!
//! [`IsaModel::run_traced`](super::IsaModel::run_traced) calls a sink once per completed
//! bundle. The untraced run is compiled separately (a `const` generic), so tracing costs
//! nothing when unused.

/// One memory write of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemWrite {
    /// Device address written.
    pub addr: u64,
    /// Bytes written (1, 2, 4 or 8).
    pub size: u8,
    /// The value stored, truncated to `size` bytes.
    pub value: u64,
}

/// One completed bundle, as the model executed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retired {
    /// Bundle index.
    pub pc: u32,
    /// The run's cycle count when the bundle completed: its own cycles (and a helper unit's)
    /// included, a taken branch's penalty not (that is counted before the next bundle).
    pub cycles: u64,
    /// Registers written, with their values, in lane order. Includes the control-flow writes
    /// (`call`: r10; `ret`: r6-r10; `exiti`: r0; a helper: r0).
    pub regs: Vec<(u8, u64)>,
    /// Memory written by stores and atomics, in lane order (not helpers' writes to map memory).
    pub mem: Vec<MemWrite>,
}

impl Retired {
    pub(super) fn clear(&mut self, pc: u32) {
        self.pc = pc;
        self.cycles = 0;
        self.regs.clear();
        self.mem.clear();
    }

    pub(super) fn store(&mut self, addr: u64, size: u8, value: u64) {
        let value = if size >= 8 {
            value
        } else {
            value & ((1u64 << (8 * size as u32)) - 1)
        };
        self.mem.push(MemWrite { addr, size, value });
    }
}
