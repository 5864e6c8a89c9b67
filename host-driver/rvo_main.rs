// SPDX-License-Identifier: GPL-2.0
//! rvo.ko: eBPF/XDP offload to the rvo core.
//!
//! The device is a PCI function serving `rvo_isa::contract` in BAR2 (on QEMU: ivshmem-doorbell
//! backed by `rvo-devsim`). This crate makes every decision: the device contract (commands,
//! rings, counters), the seven `bpf_prog_offload_ops`, the offloaded maps behind
//! `bpf_map_dev_ops`, and `XDP_SETUP_PROG_HW`. `translate` runs the no_std rvo compiler on the
//! verified instructions. The C shim (`rvo_shim.c`) holds only what 6.12's bindings cannot
//! express: the PCI and netdev life cycle around static inlines and macros.
//!
//! Statistics: `ndo_get_stats64` (`ip -s link`) and `ethtool -S` read the device's counters in
//! BAR2; nothing is counted on the host but the core's own drops.
//!
//! Limits: one program per device at a time; only the map types Linux offloads (ARRAY, HASH);
//! commands are synchronous (one in flight, under the shim's mutex, 5 s timeout).

use core::ffi::{c_int, c_void};
use core::fmt::Write;
use kernel::bindings;
use kernel::ffi::c_char;
use kernel::prelude::*;

#[path = "gen/rvo_isa.rs"]
#[allow(dead_code, unused_imports, unreachable_pub, clippy::all)]
mod rvo_isa;

#[path = "gen/rvo_compiler.rs"]
#[allow(dead_code, unused_imports, unreachable_pub, missing_docs, clippy::all)]
mod rvo_compiler;

use rvo_compiler::ebpf;
use rvo_isa::contract::{self, counters, layout, mailbox, rings, Op};
use rvo_isa::Verdict;

module! {
    type: RvoModule,
    name: "rvo",
    author: "rvo",
    description: "eBPF/XDP offload to the rvo soft core",
    license: "GPL",
}

/// The C shim's per-device state (opaque here).
#[repr(C)]
pub struct RvoDev {
    _opaque: [u8; 0],
}

extern "C" {
    fn rvo_shim_register() -> c_int;
    fn rvo_shim_unregister();
    fn rvo_shim_regs(rd: *mut RvoDev) -> *mut c_void;
    fn rvo_shim_shm(rd: *mut RvoDev) -> *mut c_void;
    fn rvo_shim_cmd_lock(rd: *mut RvoDev);
    fn rvo_shim_cmd_unlock(rd: *mut RvoDev);
    fn rvo_shim_cmd_arm(rd: *mut RvoDev);
    fn rvo_shim_cmd_wait(rd: *mut RvoDev, ms: u32) -> c_int;
    fn rvo_shim_extack(extack: *mut bindings::netlink_ext_ack, msg: *const c_char);
    fn rvo_shim_rx_frame(rd: *mut RvoDev, data: *const c_void, len: u32);
}

/// Milliseconds a command may take.
const CMD_TIMEOUT_MS: u32 = 5000;

const ENOENT: c_int = bindings::ENOENT as c_int;
const EINVAL: c_int = bindings::EINVAL as c_int;
const ENOMEM: c_int = bindings::ENOMEM as c_int;
const ENODEV: c_int = bindings::ENODEV as c_int;
const ENOSPC: c_int = bindings::ENOSPC as c_int;
const EOPNOTSUPP: c_int = bindings::EOPNOTSUPP as c_int;
const ETIMEDOUT: c_int = bindings::ETIMEDOUT as c_int;

// ---- BAR2 access ----

/// The device's BAR2 and BAR0 mappings.
///
/// # Invariants
/// `shm` maps at least `contract::SHM_SIZE` bytes and `regs` at least the doorbell register,
/// for as long as the device is bound (the shim maps them with `pcim_iomap` before any Rust
/// code runs and unmaps them after the last).
#[derive(Clone, Copy)]
struct Bar {
    rd: *mut RvoDev,
    shm: *mut u8,
    regs: *mut u8,
}

impl Bar {
    /// # Safety
    /// `rd` is a device the shim has probed and not yet removed.
    unsafe fn of(rd: *mut RvoDev) -> Bar {
        // SAFETY: the caller guarantees `rd` is live; the accessors only read two fields.
        let (shm, regs) = unsafe { (rvo_shim_shm(rd), rvo_shim_regs(rd)) };
        Bar {
            rd,
            shm: shm.cast(),
            regs: regs.cast(),
        }
    }

    fn read32(&self, off: usize) -> u32 {
        if off + 4 > contract::SHM_SIZE {
            return 0;
        }
        // SAFETY: in bounds of the BAR2 mapping (type invariant).
        unsafe { bindings::ioread32(self.shm.add(off).cast()) }
    }

    fn write32(&self, off: usize, v: u32) {
        if off + 4 > contract::SHM_SIZE {
            return;
        }
        // SAFETY: in bounds of the BAR2 mapping (type invariant).
        unsafe { bindings::iowrite32(v, self.shm.add(off).cast()) }
    }

    /// A `u64` the device may be updating: read again while the high word changed around the
    /// low one (a carry between the halves), at most three times.
    fn read64(&self, off: usize) -> u64 {
        let mut hi = self.read32(off + 4);
        let mut lo = self.read32(off);
        for _ in 0..3 {
            let again = self.read32(off + 4);
            if again == hi {
                break;
            }
            hi = again;
            lo = self.read32(off);
        }
        u64::from(lo) | u64::from(hi) << 32
    }

    fn copy_in(&self, off: usize, src: &[u8]) {
        if off + src.len() > contract::SHM_SIZE {
            return;
        }
        // SAFETY: destination in bounds of BAR2 (type invariant), source a valid slice.
        unsafe { bindings::memcpy_toio(self.shm.add(off).cast(), src.as_ptr().cast(), src.len()) }
    }

    fn copy_out(&self, off: usize, dst: &mut [u8]) {
        if off + dst.len() > contract::SHM_SIZE {
            return;
        }
        // SAFETY: source in bounds of BAR2 (type invariant), destination a valid slice.
        unsafe {
            bindings::memcpy_fromio(dst.as_mut_ptr().cast(), self.shm.add(off).cast(), dst.len())
        }
    }

    fn doorbell(&self, vector: u32) {
        // SAFETY: BAR0 holds the doorbell register (type invariant).
        unsafe {
            bindings::iowrite32(
                contract::DEVICE_PEER << 16 | vector,
                self.regs.add(contract::DOORBELL_REG).cast(),
            )
        }
    }

    fn lanes(&self) -> u8 {
        self.read32(layout::IDENTITY + core::mem::offset_of!(contract::Identity, lanes)) as u8
    }
}

/// The command mailbox, held for one command.
struct Mailbox {
    bar: Bar,
}

impl Mailbox {
    fn lock(bar: Bar) -> Mailbox {
        // SAFETY: `bar.rd` is live (Bar invariant); unlocked in `drop`.
        unsafe { rvo_shim_cmd_lock(bar.rd) };
        Mailbox { bar }
    }

    /// Run `op` with the arguments already written; the device's status, or `-ETIMEDOUT`.
    fn run(&self, op: Op, handle: u32, args: &[u32]) -> Result<u32, c_int> {
        let b = &self.bar;
        b.write32(mailbox::OP, op as u32);
        b.write32(mailbox::HANDLE, handle);
        for (i, a) in args.iter().enumerate().take(8) {
            b.write32(mailbox::ARGS + 4 * i, *a);
        }
        let seq = b.read32(mailbox::DONE).wrapping_add(1);
        // SAFETY: `rd` is live (Bar invariant).
        unsafe { rvo_shim_cmd_arm(b.rd) };
        b.write32(mailbox::SEQ, seq);
        b.doorbell(contract::DOORBELL_CMD);
        let mut waits = 0;
        while b.read32(mailbox::DONE) != seq {
            // SAFETY: `rd` is live (Bar invariant).
            let r = unsafe { rvo_shim_cmd_wait(b.rd, CMD_TIMEOUT_MS) };
            waits += 1;
            if b.read32(mailbox::DONE) == seq {
                break;
            }
            if r != 0 || waits > 3 {
                pr_err!("command {} timed out\n", op.name());
                return Err(-ETIMEDOUT);
            }
            // A late completion of an earlier command: wait again.
            // SAFETY: as above.
            unsafe { rvo_shim_cmd_arm(b.rd) };
        }
        let status = b.read32(mailbox::STATUS) as i32;
        if status != 0 {
            return Err(status);
        }
        Ok(b.read32(mailbox::RESULT))
    }

    fn set_key(&self, key: &[u8]) {
        self.bar.copy_in(layout::KEY, key);
        self.bar.write32(mailbox::KEY_LEN, key.len() as u32);
    }

    fn set_value(&self, value: &[u8]) {
        self.bar.copy_in(layout::VALUE, value);
        self.bar.write32(mailbox::VALUE_LEN, value.len() as u32);
    }

    /// The device's message for a failed command.
    fn message(&self, buf: &mut [u8; 256]) -> usize {
        self.bar.copy_out(layout::MSG, &mut buf[..255]);
        buf[255] = 0;
        buf.iter().position(|&c| c == 0).unwrap_or(255)
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { rvo_shim_cmd_unlock(self.bar.rd) };
    }
}

// ---- small formatting buffer (no allocation in hot paths) ----

/// A NUL-terminated message built with `write!`.
struct Msg {
    buf: [u8; 320],
    len: usize,
}

impl Msg {
    fn new() -> Msg {
        Msg {
            buf: [0; 320],
            len: 0,
        }
    }

    fn as_ptr(&self) -> *const c_char {
        self.buf.as_ptr().cast()
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl Write for Msg {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &c in s.as_bytes() {
            // Keep the terminating NUL; `%` is harmless since the log format is "%s".
            if self.len + 1 < self.buf.len() {
                self.buf[self.len] = c;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Write `[rvo] msg` to the verifier log.
///
/// # Safety
/// `env` is the verifier environment of the current `bpf_check`.
unsafe fn vlog(env: *mut bindings::bpf_verifier_env, msg: &Msg) {
    // SAFETY: `env` is valid (caller); the format takes one NUL-terminated string.
    unsafe { bindings::bpf_verifier_log_write(env, c"[rvo] %s\n".as_ptr().cast(), msg.as_ptr()) };
}

// ---- offloaded programs ----

/// Per-program state, in `prog->aux->offload->dev_priv` from `prepare` to `destroy`.
struct ProgState {
    rd: *mut RvoDev,
    /// Our copy of the instructions, kept in step with the verifier's rewrites.
    insns: KVVec<bindings::bpf_insn>,
    /// Stack of the main program, as the verifier computed it.
    stack_depth: u32,
    /// The compiled image (the "JITed" code `bpftool prog dump jited` returns).
    image: KVVec<u8>,
}

/// # Safety
/// `prog` is a program in offload verification or later, before `destroy`.
unsafe fn prog_state<'a>(prog: *mut bindings::bpf_prog) -> Option<&'a mut ProgState> {
    // SAFETY: `aux` and `offload` are valid for a bound program (caller).
    let p = unsafe { (*(*(*prog).aux).offload).dev_priv } as *mut ProgState;
    // SAFETY: set from `KBox::into_raw` in `prepare`, freed only in `destroy`.
    (!p.is_null()).then(|| unsafe { &mut *p })
}

/// # Safety
/// `prog` is valid and holds `len` instructions.
unsafe fn prog_insns<'a>(prog: *mut bindings::bpf_prog) -> &'a [bindings::bpf_insn] {
    // SAFETY: `insnsi` holds `len` instructions (caller).
    unsafe {
        let len = (*prog).len as usize;
        (*prog)
            .__bindgen_anon_1
            .__bindgen_anon_2
            .as_ref()
            .insnsi
            .as_slice(len)
    }
}

fn to_ebpf(insn: &bindings::bpf_insn) -> ebpf::Insn {
    // SAFETY: `bpf_insn` is 8 plain bytes (code, regs, off, imm), as eBPF's encoding.
    let bytes: [u8; 8] = unsafe { core::mem::transmute_copy(insn) };
    ebpf::Insn::from_bytes(&bytes)
}

/// Why the device cannot run an instruction, in the verifier's terms: writes the reason into
/// `msg` and returns `true`, or `false` when the instruction is fine.
fn unsupported(insn: &ebpf::Insn, idx: c_int, msg: &mut Msg) -> bool {
    const CALL: u8 = ebpf::BPF_JMP | ebpf::BPF_CALL;
    let mode = insn.opc & 0xe0;
    // `Msg` never fails to format (it truncates).
    let _ = if insn.opc == CALL && insn.src == 0 {
        if rvo_isa::Helper::from_id(insn.imm).is_some() {
            return false;
        }
        let name = rvo_compiler::helpers::linux_name(insn.imm).unwrap_or("helper");
        write!(
            msg,
            "insn {idx}: {name} (helper #{}) has no rvo helper unit; rvo offloads map \
             lookup/update/delete, xdp_adjust_head/tail/meta, xdp_load/store_bytes, \
             csum_diff, redirect, redirect_map, tail_call, ktime_get_ns, get_prandom_u32, \
             get_smp_processor_id",
            insn.imm
        )
    } else if insn.opc == CALL && insn.src == ebpf::BPF_PSEUDO_KFUNC_CALL {
        write!(
            msg,
            "insn {idx}: kernel function calls (kfuncs) cannot run on the device"
        )
    } else if insn.opc == CALL | ebpf::BPF_X {
        write!(msg, "insn {idx}: indirect calls (callx) are not supported")
    } else if insn.opc & 0x07 == ebpf::BPF_LD && (mode == 0x20 || mode == 0x40) {
        write!(
            msg,
            "insn {idx}: legacy packet access (BPF_ABS/BPF_IND) is not supported"
        )
    } else {
        return false;
    };
    true
}

/// Compile `insns` (the verifier's view) for a device with `lanes` lanes into `out`.
///
/// Map references are 64-bit loads of `struct bpf_map` addresses (the verifier put them
/// there); they become the compiler's `BPF_PSEUDO_MAP_IDX` with the map's index in
/// `used_maps`, the order the device's map table follows.
///
/// # Safety
/// `maps` are the program's live maps, in the verifier's `used_maps` order.
unsafe fn compile(
    insns: &[bindings::bpf_insn],
    maps: &[*mut bindings::bpf_map],
    lanes: u8,
    out: &mut KVVec<u8>,
    err: &mut Msg,
) -> Result<usize, c_int> {
    if maps.len() > rvo_isa::maps::MAX_MAPS {
        let _ = write!(
            err,
            "{} maps exceed the device's {}",
            maps.len(),
            rvo_isa::maps::MAX_MAPS
        );
        return Err(-EINVAL);
    }
    let mut descs = [rvo_isa::MapDesc::default(); rvo_isa::maps::MAX_MAPS];
    for (d, &m) in descs.iter_mut().zip(maps) {
        // SAFETY: every used map is live while the program is.
        let m = unsafe { &*m };
        *d = rvo_isa::MapDesc {
            map_type: m.map_type,
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: m.max_entries,
            flags: m.map_flags,
            ..rvo_isa::MapDesc::default()
        };
    }
    let mut prog = KVVec::with_capacity(insns.len(), GFP_KERNEL).map_err(|_| -ENOMEM)?;
    for i in insns {
        prog.push(to_ebpf(i), GFP_KERNEL).map_err(|_| -ENOMEM)?;
    }
    let p = prog.as_mut_slice();
    let mut i = 0;
    while i + 1 < p.len() {
        if p[i].opc == ebpf::LD_DW_IMM {
            let addr = u64::from(p[i].imm as u32) | u64::from(p[i + 1].imm as u32) << 32;
            if let Some(idx) = maps.iter().position(|&m| m as u64 == addr) {
                p[i].src = ebpf::BPF_PSEUDO_MAP_IDX;
                p[i].imm = idx as i32;
                p[i + 1].imm = 0;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    let mut ws = KVBox::<rvo_compiler::Workspace>::new_uninit(GFP_KERNEL).map_err(|_| -ENOMEM)?;
    // SAFETY: writes a complete value into the allocation; the constant is copied straight
    // from .rodata (never built on the 16 KiB kernel stack: the workspace is ~450 KiB).
    let mut ws = unsafe {
        ws.as_mut_ptr()
            .write(const { rvo_compiler::Workspace::new() });
        ws.assume_init()
    };
    let input = rvo_compiler::Input {
        insns: p,
        programs: &[],
        maps: &descs[..maps.len()],
        map_init: &[],
    };
    let opts = rvo_compiler::Options {
        lanes,
        optimize: true,
    };
    match rvo_compiler::compile(&input, &opts, &mut ws, out.as_mut_slice()) {
        Ok(info) => Ok(info.len),
        Err(e) => {
            let _ = write!(err, "{e}");
            Err(-EOPNOTSUPP)
        }
    }
}

/// The maps of a verified program, in `used_maps` order.
///
/// # Safety
/// `aux` is a verified program's valid `bpf_prog_aux`.
unsafe fn aux_maps<'a>(aux: *mut bindings::bpf_prog_aux) -> &'a [*mut bindings::bpf_map] {
    // SAFETY: `used_maps` holds `used_map_cnt` maps (caller).
    unsafe {
        let n = (*aux).used_map_cnt as usize;
        if n == 0 || (*aux).used_maps.is_null() {
            &[]
        } else {
            core::slice::from_raw_parts((*aux).used_maps, n)
        }
    }
}

/// `bpf_prog_offload_ops`: prepare.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_prepare(prog: *mut bindings::bpf_prog) -> c_int {
    // SAFETY: the offload core calls `prepare` with `aux->offload` set up.
    let offdev = unsafe { (*(*(*prog).aux).offload).offdev };
    // SAFETY: `offdev` is ours; its private data is the shim's device.
    let rd = unsafe { bindings::bpf_offload_dev_priv(offdev) } as *mut RvoDev;
    // SAFETY: `prog` holds its instructions.
    let insns = unsafe { prog_insns(prog) };
    let mut copy = KVVec::new();
    if copy.extend_from_slice(insns, GFP_KERNEL).is_err() {
        return -ENOMEM;
    }
    let image = KVVec::new();
    let state = match KBox::new(
        ProgState {
            rd,
            insns: copy,
            stack_depth: 0,
            image,
        },
        GFP_KERNEL,
    ) {
        Ok(s) => s,
        Err(_) => return -ENOMEM,
    };
    // SAFETY: as above; `destroy` takes it back.
    unsafe { (*(*(*prog).aux).offload).dev_priv = KBox::into_raw(state).cast() };
    0
}

/// `bpf_prog_offload_ops`: insn hook.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_insn_hook(
    env: *mut bindings::bpf_verifier_env,
    insn_idx: c_int,
    _prev_insn_idx: c_int,
) -> c_int {
    // SAFETY: `env` is the verifier's environment; `insn_idx` indexes its program.
    let insns = unsafe { prog_insns((*env).prog) };
    let Some(insn) = insns.get(insn_idx as usize) else {
        return 0;
    };
    let mut msg = Msg::new();
    if unsupported(&to_ebpf(insn), insn_idx, &mut msg) {
        // SAFETY: `env` is valid for this call.
        unsafe { vlog(env, &msg) };
        return -EOPNOTSUPP;
    }
    0
}

/// `bpf_prog_offload_ops`: finalize.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_finalize(env: *mut bindings::bpf_verifier_env) -> c_int {
    // SAFETY: `env` and its program are valid; `prepare` set the state.
    let (prog, depth) = unsafe { ((*env).prog, u32::from((*env).subprog_info[0].stack_depth)) };
    // SAFETY: as above.
    let Some(state) = (unsafe { prog_state(prog) }) else {
        return -EINVAL;
    };
    state.stack_depth = depth;
    // Compile now too, so a program the device cannot run fails with the reason in the
    // verifier log rather than at translate time.
    // SAFETY: the state's device is live while programs are bound to it.
    let bar = unsafe { Bar::of(state.rd) };
    let mut out = match KVVec::from_elem(0u8, contract::IMAGE_BUF as usize, GFP_KERNEL) {
        Ok(o) => o,
        Err(_) => return -ENOMEM,
    };
    let mut msg = Msg::new();
    // The verifier copies its `used_maps` into `prog->aux` only after `finalize`.
    // SAFETY: `env` is valid; its first `used_map_cnt` maps are live.
    let r = unsafe {
        let all: &[*mut bindings::bpf_map; 64] = &(*env).used_maps;
        let n = ((*env).used_map_cnt as usize).min(all.len());
        let maps = &all[..n];
        compile(&state.insns, maps, bar.lanes(), &mut out, &mut msg)
    };
    if let Err(e) = r {
        if msg.len > 0 {
            // SAFETY: `env` is valid for this call.
            unsafe { vlog(env, &msg) };
        }
        return e;
    }
    0
}

/// `bpf_prog_offload_ops`: replace insn.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_replace_insn(
    env: *mut bindings::bpf_verifier_env,
    off: u32,
    insn: *mut bindings::bpf_insn,
) -> c_int {
    // SAFETY: `env` is valid; `prepare` set the state.
    let Some(state) = (unsafe { prog_state((*env).prog) }) else {
        return -EINVAL;
    };
    match state.insns.as_mut_slice().get_mut(off as usize) {
        // SAFETY: `insn` points at the replacement instruction.
        Some(slot) => *slot = unsafe { *insn },
        None => return -EINVAL,
    }
    0
}

/// `bpf_prog_offload_ops`: remove insns.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_remove_insns(
    env: *mut bindings::bpf_verifier_env,
    off: u32,
    cnt: u32,
) -> c_int {
    // SAFETY: `env` is valid; `prepare` set the state.
    let Some(state) = (unsafe { prog_state((*env).prog) }) else {
        return -EINVAL;
    };
    let (off, cnt, len) = (off as usize, cnt as usize, state.insns.len());
    if off.checked_add(cnt).map_or(true, |end| end > len) {
        return -EINVAL;
    }
    state.insns.as_mut_slice().copy_within(off + cnt.., off);
    // SAFETY: shrinking; the elements are plain `Copy` data.
    unsafe { state.insns.set_len(len - cnt) };
    0
}

/// `bpf_prog_offload_ops`: translate.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_translate(prog: *mut bindings::bpf_prog) -> c_int {
    // SAFETY: called for a bound, verified program.
    let Some(state) = (unsafe { prog_state(prog) }) else {
        return -EINVAL;
    };
    // Compile our copy, not `prog->insnsi`: after `finalize` the verifier goes on rewriting
    // (do_misc_fixups turns helper ids into kernel addresses) without telling the driver;
    // the copy has every rewrite the driver is told of (`replace_insn`, `remove_insns`).
    let insns = &state.insns[..];
    // SAFETY: the state's device is live while programs are bound to it.
    let bar = unsafe { Bar::of(state.rd) };
    let mut out = match KVVec::from_elem(0u8, contract::IMAGE_BUF as usize, GFP_KERNEL) {
        Ok(o) => o,
        Err(_) => return -ENOMEM,
    };
    let mut msg = Msg::new();
    // SAFETY: `prog->aux` is valid.
    match unsafe {
        compile(
            insns,
            aux_maps((*prog).aux),
            bar.lanes(),
            &mut out,
            &mut msg,
        )
    } {
        Ok(len) => {
            // SAFETY: shrinking a byte vector.
            unsafe { out.set_len(len) };
            state.image = out;
            // SAFETY: `offload` is valid; the image lives until `destroy`.
            unsafe {
                let off = (*(*prog).aux).offload;
                (*off).jited_image = state.image.as_mut_ptr().cast();
                (*off).jited_len = len as u32;
            }
            pr_info!(
                "translated {} eBPF insns into a {}-byte image ({} lanes, stack {})\n",
                insns.len(),
                len,
                bar.lanes(),
                state.stack_depth
            );
            0
        }
        Err(e) => {
            pr_err!("translate: {}\n", msg.as_str());
            e
        }
    }
}

/// `bpf_prog_offload_ops`: destroy.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_destroy(prog: *mut bindings::bpf_prog) {
    // SAFETY: `offload` is valid until after `destroy` returns.
    unsafe {
        let off = (*(*prog).aux).offload;
        let p = (*off).dev_priv as *mut ProgState;
        if !p.is_null() {
            (*off).jited_image = core::ptr::null_mut();
            (*off).jited_len = 0;
            (*off).dev_priv = core::ptr::null_mut();
            drop(KBox::from_raw(p));
        }
    }
}

/// The offload ops; the shim creates the `bpf_offload_dev` with them.
#[no_mangle]
pub static rvo_prog_offload_ops: bindings::bpf_prog_offload_ops = bindings::bpf_prog_offload_ops {
    insn_hook: Some(rvo_insn_hook),
    finalize: Some(rvo_finalize),
    replace_insn: Some(rvo_replace_insn),
    remove_insns: Some(rvo_remove_insns),
    prepare: Some(rvo_prepare),
    translate: Some(rvo_translate),
    destroy: Some(rvo_destroy),
};

// ---- XDP attach ----

/// `XDP_SETUP_PROG_HW`: load `prog`'s image on the device (replacing any), or unload.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_setup_prog_hw(
    rd: *mut RvoDev,
    _netdev: *mut bindings::net_device,
    prog: *mut bindings::bpf_prog,
    extack: *mut bindings::netlink_ext_ack,
) -> c_int {
    // SAFETY: the shim calls with its live device.
    let bar = unsafe { Bar::of(rd) };
    let mb = Mailbox::lock(bar);
    if prog.is_null() {
        return mb.run(Op::Unload, 0, &[]).map_or_else(|e| e, |_| 0);
    }
    // SAFETY: a program being attached in HW mode is bound to this device (the core checks).
    let Some(state) = (unsafe { prog_state(prog) }) else {
        // SAFETY: `extack` may be NULL; the shim's macro handles that.
        unsafe {
            rvo_shim_extack(
                extack,
                c"rvo: program was not offloaded to this device"
                    .as_ptr()
                    .cast(),
            )
        };
        return -EINVAL;
    };
    if state.image.is_empty() {
        // SAFETY: as above.
        unsafe { rvo_shim_extack(extack, c"rvo: program has no device image".as_ptr().cast()) };
        return -EINVAL;
    }
    // SAFETY: `aux` is valid; its maps are offloaded maps of this device (the verifier
    // checked), and `bpf_offloaded_map` starts with its `bpf_map`.
    let handles = unsafe {
        let aux = (*prog).aux;
        let n = (*aux).used_map_cnt as usize;
        let mut h = [0u32; rvo_isa::maps::MAX_MAPS];
        for i in 0..n.min(h.len()) {
            let offmap = *(*aux).used_maps.add(i) as *mut bindings::bpf_offloaded_map;
            match map_state(offmap) {
                Some(s) => h[i] = s.handle,
                None => return -EINVAL,
            }
        }
        (h, n.min(rvo_isa::maps::MAX_MAPS))
    };
    bar.copy_in(layout::IMAGE, &state.image);
    for (i, h) in handles.0[..handles.1].iter().enumerate() {
        bar.write32(mailbox::MAPS + 4 * i, *h);
    }
    match mb.run(Op::Load, 0, &[state.image.len() as u32, handles.1 as u32]) {
        Ok(_) => 0,
        Err(e) => {
            let mut buf = [0u8; 256];
            let n = mb.message(&mut buf);
            pr_err!(
                "the device refused the image: {}\n",
                core::str::from_utf8(&buf[..n]).unwrap_or("?")
            );
            // SAFETY: as above.
            unsafe {
                rvo_shim_extack(extack, c"rvo: the device refused the image".as_ptr().cast())
            };
            e
        }
    }
}

// ---- offloaded maps ----

/// Per-map state, in `offmap->dev_priv`.
struct MapState {
    rd: *mut RvoDev,
    handle: u32,
}

/// # Safety
/// `offmap` is a live offloaded map of this driver.
unsafe fn map_state<'a>(offmap: *mut bindings::bpf_offloaded_map) -> Option<&'a MapState> {
    // SAFETY: `dev_priv` comes from `KBox::into_raw` in `rvo_rs_map_alloc` (caller).
    unsafe { ((*offmap).dev_priv as *const MapState).as_ref() }
}

/// # Safety
/// `offmap` is a live offloaded map of this driver.
unsafe fn map_sizes(offmap: *mut bindings::bpf_offloaded_map) -> (usize, usize) {
    // SAFETY: caller.
    unsafe {
        (
            (*offmap).map.key_size as usize,
            (*offmap).map.value_size as usize,
        )
    }
}

/// `ndo_bpf(BPF_OFFLOAD_MAP_ALLOC)`.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_map_alloc(
    rd: *mut RvoDev,
    offmap: *mut bindings::bpf_offloaded_map,
) -> c_int {
    // SAFETY: the shim calls with its live device and a new offloaded map.
    let (bar, m) = unsafe { (Bar::of(rd), &(*offmap).map) };
    let handle = {
        let mb = Mailbox::lock(bar);
        match mb.run(
            Op::MapCreate,
            0,
            &[
                m.map_type,
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags,
            ],
        ) {
            Ok(h) => h,
            Err(e) => return e,
        }
    };
    match KBox::new(MapState { rd, handle }, GFP_KERNEL) {
        Ok(s) => {
            // SAFETY: the map is ours until `BPF_OFFLOAD_MAP_FREE`.
            unsafe {
                (*offmap).dev_priv = KBox::into_raw(s).cast();
                (*offmap).dev_ops = &RVO_MAP_OPS;
            }
            0
        }
        Err(_) => {
            let mb = Mailbox::lock(bar);
            let _ = mb.run(Op::MapFree, handle, &[]);
            -ENOMEM
        }
    }
}

/// `ndo_bpf(BPF_OFFLOAD_MAP_FREE)`.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_map_free(
    _rd: *mut RvoDev,
    offmap: *mut bindings::bpf_offloaded_map,
) {
    // SAFETY: set in `rvo_rs_map_alloc`; taken back exactly once here.
    let p = unsafe { (*offmap).dev_priv } as *mut MapState;
    if p.is_null() {
        return;
    }
    // SAFETY: as above.
    let s = unsafe { KBox::from_raw(p) };
    // SAFETY: the device outlives its maps (the shim frees maps before removing it).
    let mb = Mailbox::lock(unsafe { Bar::of(s.rd) });
    let _ = mb.run(Op::MapFree, s.handle, &[]);
    // SAFETY: as above.
    unsafe { (*offmap).dev_priv = core::ptr::null_mut() };
}

/// `bpf_map_dev_ops`: map lookup.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_map_lookup(
    offmap: *mut bindings::bpf_offloaded_map,
    key: *mut c_void,
    value: *mut c_void,
) -> c_int {
    // SAFETY: the offload core passes a live map, and key/value buffers of its sizes.
    let (s, (ks, vs)) = match unsafe { (map_state(offmap), map_sizes(offmap)) } {
        (Some(s), sz) => (s, sz),
        (None, _) => return -ENODEV,
    };
    // SAFETY: as above.
    let (key, value) = unsafe {
        (
            core::slice::from_raw_parts(key as *const u8, ks),
            core::slice::from_raw_parts_mut(value as *mut u8, vs),
        )
    };
    // SAFETY: the device outlives its maps.
    let mb = Mailbox::lock(unsafe { Bar::of(s.rd) });
    mb.set_key(key);
    match mb.run(Op::MapLookup, s.handle, &[]) {
        Ok(_) => {
            mb.bar.copy_out(layout::VALUE, value);
            0
        }
        Err(e) => e,
    }
}

/// `bpf_map_dev_ops`: map update.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_map_update(
    offmap: *mut bindings::bpf_offloaded_map,
    key: *mut c_void,
    value: *mut c_void,
    flags: u64,
) -> c_int {
    // SAFETY: the offload core passes a live map, and key/value buffers of its sizes.
    let (s, (ks, vs)) = match unsafe { (map_state(offmap), map_sizes(offmap)) } {
        (Some(s), sz) => (s, sz),
        (None, _) => return -ENODEV,
    };
    if flags > u64::from(bindings::BPF_EXIST) {
        return -EINVAL;
    }
    // SAFETY: as above.
    let (key, value) = unsafe {
        (
            core::slice::from_raw_parts(key as *const u8, ks),
            core::slice::from_raw_parts(value as *const u8, vs),
        )
    };
    // SAFETY: the device outlives its maps.
    let mb = Mailbox::lock(unsafe { Bar::of(s.rd) });
    mb.set_key(key);
    mb.set_value(value);
    mb.bar.write32(mailbox::FLAGS, flags as u32);
    mb.run(Op::MapUpdate, s.handle, &[])
        .map_or_else(|e| e, |_| 0)
}

/// `bpf_map_dev_ops`: map delete.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_map_delete(
    offmap: *mut bindings::bpf_offloaded_map,
    key: *mut c_void,
) -> c_int {
    // SAFETY: the offload core passes a live map and a key of its size.
    let (s, (ks, _)) = match unsafe { (map_state(offmap), map_sizes(offmap)) } {
        (Some(s), sz) => (s, sz),
        (None, _) => return -ENODEV,
    };
    // SAFETY: as above.
    let key = unsafe { core::slice::from_raw_parts(key as *const u8, ks) };
    // SAFETY: the device outlives its maps.
    let mb = Mailbox::lock(unsafe { Bar::of(s.rd) });
    mb.set_key(key);
    mb.run(Op::MapDelete, s.handle, &[])
        .map_or_else(|e| e, |_| 0)
}

/// `bpf_map_dev_ops`: map next key.
///
/// # Safety
/// Called by the BPF core with the arguments valid for this operation.
unsafe extern "C" fn rvo_map_next_key(
    offmap: *mut bindings::bpf_offloaded_map,
    key: *mut c_void,
    next: *mut c_void,
) -> c_int {
    // SAFETY: the offload core passes a live map, a key of its size or NULL, and room for one.
    let (s, (ks, _)) = match unsafe { (map_state(offmap), map_sizes(offmap)) } {
        (Some(s), sz) => (s, sz),
        (None, _) => return -ENODEV,
    };
    // SAFETY: as above.
    let next = unsafe { core::slice::from_raw_parts_mut(next as *mut u8, ks) };
    // SAFETY: the device outlives its maps.
    let mb = Mailbox::lock(unsafe { Bar::of(s.rd) });
    let has_key = !key.is_null();
    if has_key {
        // SAFETY: as above.
        mb.set_key(unsafe { core::slice::from_raw_parts(key as *const u8, ks) });
    } else {
        mb.set_key(&[]);
    }
    match mb.run(Op::MapNextKey, s.handle, &[u32::from(has_key)]) {
        Ok(_) => {
            mb.bar.copy_out(layout::VALUE, next);
            0
        }
        Err(e) => e,
    }
}

static RVO_MAP_OPS: bindings::bpf_map_dev_ops = bindings::bpf_map_dev_ops {
    map_get_next_key: Some(rvo_map_next_key),
    map_lookup_elem: Some(rvo_map_lookup),
    map_update_elem: Some(rvo_map_update),
    map_delete_elem: Some(rvo_map_delete),
};

// ---- device: probe, frames, counters, wire ----

/// Check BAR2 serves the rvo contract; the largest MTU it carries.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_probe(
    rd: *mut RvoDev,
    _shm: *mut c_void,
    shm_len: u64,
    max_mtu: *mut u32,
) -> c_int {
    // SAFETY: the shim calls after mapping both BARs.
    let bar = unsafe { Bar::of(rd) };
    if shm_len < contract::SHM_SIZE as u64 {
        pr_info!("BAR2 of {} bytes is too small for an rvo device\n", shm_len);
        return -ENODEV;
    }
    let mut sig = [0u8; 4];
    bar.copy_out(layout::IDENTITY, &mut sig);
    if sig != contract::SIGNATURE {
        pr_info!("ivshmem device without the rvo signature, not ours\n");
        return -ENODEV;
    }
    let f = |o: usize| bar.read32(layout::IDENTITY + o);
    use contract::Identity;
    use core::mem::offset_of;
    let version = f(offset_of!(Identity, version));
    let lanes = f(offset_of!(Identity, lanes));
    if version != contract::CONTRACT_VERSION
        || lanes == 0
        || lanes as usize > rvo_isa::region::MAX_LANES
        || f(offset_of!(Identity, ready)) == 0
    {
        pr_err!(
            "device contract version {} (lanes {}) is not {}\n",
            version,
            lanes,
            contract::CONTRACT_VERSION
        );
        return -ENODEV;
    }
    let max_packet = f(offset_of!(Identity, max_packet));
    if !max_mtu.is_null() {
        // SAFETY: the shim passes a valid pointer.
        unsafe { *max_mtu = max_packet.saturating_sub(14) };
    }
    pr_info!(
        "device kind {}, {} lanes, {} bundles of instruction memory, {} KiB map memory\n",
        f(offset_of!(Identity, device_kind)),
        lanes,
        f(offset_of!(Identity, imem_bundles)),
        f(offset_of!(Identity, map_memory)) / 1024
    );
    0
}

/// MSI-X RX: every frame in the RX ring up the stack.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_rx(rd: *mut RvoDev) {
    // SAFETY: the shim calls from its live device's interrupt.
    let bar = unsafe { Bar::of(rd) };
    let head = bar.read32(rings::RX_HEAD);
    let mut tail = bar.read32(rings::RX_TAIL);
    while tail != head {
        let slot = contract::rx_slot(tail);
        let len = bar.read32(slot);
        if (len as usize) <= contract::SLOT_SIZE as usize - contract::SLOT_DATA && len >= 14 {
            // SAFETY: the frame lies inside BAR2 (checked length, slot in the ring).
            unsafe { rvo_shim_rx_frame(rd, bar.shm.add(slot + contract::SLOT_DATA).cast(), len) };
        }
        tail = tail.wrapping_add(1);
    }
    bar.write32(rings::RX_TAIL, tail);
}

/// `ndo_start_xmit`: one frame into the TX ring.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_xmit(rd: *mut RvoDev, data: *const c_void, len: u32) -> c_int {
    // SAFETY: the shim calls with its live device and the skb's linear data.
    let (bar, frame) = unsafe {
        (
            Bar::of(rd),
            core::slice::from_raw_parts(data as *const u8, len as usize),
        )
    };
    if frame.len() > contract::SLOT_SIZE as usize - contract::SLOT_DATA {
        return -EINVAL;
    }
    let (head, tail) = (bar.read32(rings::TX_HEAD), bar.read32(rings::TX_TAIL));
    if head.wrapping_sub(tail) >= contract::RING_SLOTS {
        return -ENOSPC;
    }
    let slot = contract::tx_slot(head);
    bar.copy_in(slot + contract::SLOT_DATA, frame);
    bar.write32(slot, len);
    bar.write32(slot + 4, 0);
    bar.write32(rings::TX_HEAD, head.wrapping_add(1));
    bar.doorbell(contract::DOORBELL_TX);
    0
}

/// debugfs `counters`: one `name value` line per device counter.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_counters(rd: *mut RvoDev, buf: *mut c_char, len: usize) -> isize {
    // SAFETY: the shim calls with its live device and a buffer of `len` bytes.
    let (bar, out) = unsafe {
        (
            Bar::of(rd),
            core::slice::from_raw_parts_mut(buf.cast(), len),
        )
    };
    let mut n = 0;
    for (i, name) in contract::counters::NAMES.iter().enumerate() {
        let mut m = Msg::new();
        let _ = writeln!(m, "{name} {}", bar.read64(layout::COUNTERS + 8 * i));
        let b = &m.buf[..m.len];
        if n + b.len() > out.len() {
            break;
        }
        out[n..n + b.len()].copy_from_slice(b);
        n += b.len();
    }
    n as isize
}

// ---- statistics: `ip -s link` (ndo_get_stats64) and `ethtool -S` ----

/// `ndo_get_stats64`: the netdev's statistics are the device's counters.
///
/// * RX: the frames the program passed up (`host_rx`, `host_rx_bytes`).
/// * TX: the frames the device sent to the wire (`wire_tx`, `wire_tx_bytes`): `XDP_TX` and
///   `XDP_REDIRECT` frames and the frames the host transmitted.
/// * RX dropped: runs that ended `XDP_DROP` or `XDP_ABORTED` (faults included).
/// * RX missed: passed frames the device dropped because the RX ring was full
///   (`host_rx_dropped`); RX errors (and length errors): frames it could not run
///   (`rx_errors`).
///
/// The core adds its own drops (an skb the shim could not allocate, a full TX ring).
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_get_stats64(
    rd: *mut RvoDev,
    stats: *mut bindings::rtnl_link_stats64,
) {
    // SAFETY: the shim calls with its live device and the core's zeroed statistics.
    let (bar, s) = unsafe { (Bar::of(rd), &mut *stats) };
    let c = |off: usize| bar.read64(off);
    s.rx_packets = c(counters::HOST_RX);
    s.rx_bytes = c(counters::HOST_RX_BYTES);
    s.tx_packets = c(counters::WIRE_TX);
    s.tx_bytes = c(counters::WIRE_TX_BYTES);
    s.rx_dropped =
        c(counters::verdict(Verdict::Drop)).wrapping_add(c(counters::verdict(Verdict::Aborted)));
    s.rx_missed_errors = c(counters::HOST_RX_DROPPED);
    s.rx_errors = c(counters::RX_ERRORS);
    s.rx_length_errors = s.rx_errors;
}

/// `ethtool -S rvo0`: one statistic per device counter, named as `rvo_isa::contract` names
/// them (and debugfs `counters` prints them), verdicts first. The names and their order are
/// the driver's interface (README.md lists them): append, never rename or reorder.
const ETHTOOL_STATS: [(&str, usize); 16] = [
    ("xdp_aborted", counters::verdict(Verdict::Aborted)),
    ("xdp_drop", counters::verdict(Verdict::Drop)),
    ("xdp_pass", counters::verdict(Verdict::Pass)),
    ("xdp_tx", counters::verdict(Verdict::Tx)),
    ("xdp_redirect", counters::verdict(Verdict::Redirect)),
    ("faults", counters::FAULTS),
    ("cycles", counters::CYCLES),
    ("runs", counters::RUNS),
    ("wire_rx", counters::WIRE_RX),
    ("wire_tx", counters::WIRE_TX),
    ("wire_tx_bytes", counters::WIRE_TX_BYTES),
    ("host_rx", counters::HOST_RX),
    ("host_rx_bytes", counters::HOST_RX_BYTES),
    ("host_rx_dropped", counters::HOST_RX_DROPPED),
    ("host_tx", counters::HOST_TX),
    ("rx_errors", counters::RX_ERRORS),
];

const ETH_GSTRING_LEN: usize = bindings::ETH_GSTRING_LEN as usize;
const ETH_SS_STATS: u32 = bindings::ethtool_stringset_ETH_SS_STATS;

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// Every statistic is the contract's counter of the same name, and fits `ETH_GSTRING_LEN`.
const _: () = {
    let mut i = 0;
    while i < ETHTOOL_STATS.len() {
        let (name, off) = ETHTOOL_STATS[i];
        assert!(name.len() < ETH_GSTRING_LEN);
        assert!(off >= layout::COUNTERS && (off - layout::COUNTERS) % 8 == 0);
        assert!(str_eq(name, counters::NAMES[(off - layout::COUNTERS) / 8]));
        i += 1;
    }
};

/// Copy `src` into the C string `dst`, truncated and NUL-terminated.
fn put_cstr(dst: &mut [c_char], src: &[u8]) {
    let n = src.len().min(dst.len().saturating_sub(1));
    for (d, &c) in dst.iter_mut().zip(&src[..n]) {
        *d = c as c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}

/// `ethtool -i`: driver `rvo`, version `contract N` (the device contract the driver speaks),
/// firmware version: the device's kind and lanes (`model, 2 lanes`). The shim adds the bus info
/// (the PCI address, `pci_name` being an inline).
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_get_drvinfo(rd: *mut RvoDev, info: *mut bindings::ethtool_drvinfo) {
    // SAFETY: the shim calls with its live device and the core's `ethtool_drvinfo`.
    let (bar, i) = unsafe { (Bar::of(rd), &mut *info) };
    put_cstr(&mut i.driver, b"rvo");
    let mut m = Msg::new();
    let _ = write!(m, "contract {}", contract::CONTRACT_VERSION);
    put_cstr(&mut i.version, &m.buf[..m.len]);
    let kind =
        bar.read32(layout::IDENTITY + core::mem::offset_of!(contract::Identity, device_kind));
    let mut m = Msg::new();
    let _ = write!(
        m,
        "{}, {} lanes",
        contract::DeviceKind::from_u32(kind).map_or("unknown", |k| k.name()),
        bar.lanes()
    );
    put_cstr(&mut i.fw_version, &m.buf[..m.len]);
}

/// `ethtool_ops.get_sset_count`: the number of `ethtool -S` statistics.
#[no_mangle]
pub extern "C" fn rvo_rs_get_sset_count(sset: c_int) -> c_int {
    if sset as u32 == ETH_SS_STATS {
        ETHTOOL_STATS.len() as c_int
    } else {
        -EOPNOTSUPP
    }
}

/// `ethtool_ops.get_strings`: the statistics' names, `ETH_GSTRING_LEN` bytes each.
///
/// # Safety
/// `data` holds `rvo_rs_get_sset_count(sset)` strings of `ETH_GSTRING_LEN` bytes.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_get_strings(sset: u32, data: *mut u8) {
    if sset != ETH_SS_STATS {
        return;
    }
    // SAFETY: the core sized `data` from `get_sset_count` (caller).
    let out =
        unsafe { core::slice::from_raw_parts_mut(data, ETHTOOL_STATS.len() * ETH_GSTRING_LEN) };
    for (slot, (name, _)) in out.chunks_exact_mut(ETH_GSTRING_LEN).zip(ETHTOOL_STATS) {
        slot.fill(0);
        slot[..name.len()].copy_from_slice(name.as_bytes());
    }
}

/// `ethtool_ops.get_ethtool_stats`: the values, in the order of the names.
///
/// # Safety
/// Called by the C shim with its live device and room for `rvo_rs_get_sset_count(ETH_SS_STATS)`
/// values.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_get_ethtool_stats(rd: *mut RvoDev, data: *mut u64) {
    // SAFETY: the shim calls with its live device; the core sized `data` (caller).
    let (bar, out) = unsafe {
        (
            Bar::of(rd),
            core::slice::from_raw_parts_mut(data, ETHTOOL_STATS.len()),
        )
    };
    for (v, (_, off)) in out.iter_mut().zip(ETHTOOL_STATS) {
        *v = bar.read64(off);
    }
}

/// debugfs `wire`: run the frames of the device's capture `name` through the program.
///
/// # Safety
/// Called by the C shim with its live device and valid pointers.
#[no_mangle]
pub unsafe extern "C" fn rvo_rs_wire_run(
    rd: *mut RvoDev,
    name: *const c_char,
    ifindex: u32,
) -> c_int {
    // SAFETY: the shim passes a NUL-terminated name.
    let name = unsafe { kernel::str::CStr::from_char_ptr(name) };
    // SAFETY: the shim calls with its live device.
    let mb = Mailbox::lock(unsafe { Bar::of(rd) });
    mb.set_key(name.as_bytes_with_nul());
    match mb.run(Op::WireRun, 0, &[ifindex]) {
        Ok(n) => n as c_int,
        Err(e) => {
            if e == -ENOENT {
                pr_info!(
                    "the device has no wire capture {}\n",
                    name.to_str().unwrap_or("?")
                );
            }
            e
        }
    }
}

// ---- module ----

struct RvoModule;

impl kernel::Module for RvoModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: registers the PCI driver; undone in `drop`.
        kernel::error::to_result(unsafe { rvo_shim_register() })?;
        Ok(RvoModule)
    }
}

impl Drop for RvoModule {
    fn drop(&mut self) {
        // SAFETY: registered in `init`.
        unsafe { rvo_shim_unregister() };
    }
}
