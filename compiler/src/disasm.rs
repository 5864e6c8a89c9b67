//! Disassembler: eBPF instruction slots to the text form of the bpf_conformance test data
//! (`mov32 %r0, 1`, `ldxdw %r2, [%r10-8]`, `lock fetch add [%r10-8], %r1`, `jne %r0, 1, +3`...).
//!
//! `no_std`: only `core` is used, because this module is compiled into the kernel module to
//! print diagnostics.
//!
//! The mnemonic table [`MNEMONICS`] lives here and is shared with the assembler (`crate::asm`),
//! so the two directions cannot drift apart. An instruction is printed by name only when
//! assembling that text gives back exactly the same bits (every field the syntax cannot express
//! is zero, registers are r0..r10, the second LDDW slot is clean). Anything else is printed as a
//! raw `.insn opc, dst, src, off, imm` line, which the assembler also accepts, so
//! `assemble(&disassemble(p)) == p` holds for every program `p`.
//!
//! Forms printed (all accepted by the assembler):
//! - jumps with relative slot counts: `ja +3`, `jeq %r1, 5, -2`, `ja32 +70000`;
//! - calls: `call 5` (helper), `call %r2` (callx: `BPF_X`, register in `dst`),
//!   `call local +4` (`BPF_PSEUDO_CALL`), `call runtime 7` (`BPF_PSEUDO_KFUNC_CALL`);
//! - immediates in -4096..=4096 in decimal, others as a hex bit pattern (`0xffffff80`);
//! - LDDW as one line with its full 64-bit immediate: `lddw %r0, 0x1122334455667788`.

use core::fmt::{self, Write};

use crate::ebpf::{
    Insn, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CMPXCHG, BPF_DIV,
    BPF_DW, BPF_END, BPF_FETCH, BPF_H, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT,
    BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LDX,
    BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_CALL,
    BPF_PSEUDO_KFUNC_CALL, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X,
    BPF_XCHG, BPF_XOR, CALL, EXIT, JA32, LD_DW_IMM,
};

/// The highest register number the text form accepts (`%r10`, the frame pointer).
pub(crate) const MAX_REG: u8 = 10;

/// How a mnemonic's operands are written, and so which instruction fields they fill.
/// Every other field keeps the value of the table entry's template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `exit`
    Nullary,
    /// `neg %dst`, `be16 %dst`
    Dst,
    /// `add %dst, %src` (sets `BPF_X`) or `add %dst, imm`
    DstSrcOrImm,
    /// `movsx832 %dst, %src`
    DstSrc,
    /// `ldxw %dst, [%src+off]`
    Load,
    /// `stw [%dst+off], imm`
    StoreImm,
    /// `stxw [%dst+off], %src`, `lock add [%dst+off], %src`
    StoreReg,
    /// `lddw %dst, imm64` (two slots)
    Lddw,
    /// `jeq %dst, %src|imm, target` (target into `off`)
    CondJump,
    /// `ja target` (target into `off`)
    Jump,
    /// `ja32 target`, `call local target` (target into `imm`)
    Jump32,
    /// `call imm` (helper) or `call %dst` (callx, sets `BPF_X`)
    Callee,
    /// `call runtime imm`
    Imm,
}

/// One row of the mnemonic table: the text, its operand shape and the fixed bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mnemonic {
    /// The mnemonic as written, e.g. `add32`, `lock fetch or`, `call local`.
    pub(crate) name: &'static str,
    /// How its operands are written.
    pub(crate) shape: Shape,
    /// The encoding with every operand field zero (and `BPF_K` for register-or-immediate forms).
    pub(crate) tmpl: Insn,
}

impl Mnemonic {
    const fn new(name: &'static str, shape: Shape, opc: u8) -> Self {
        Mnemonic {
            name,
            shape,
            tmpl: Insn {
                opc,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            },
        }
    }
    const fn off(mut self, off: i16) -> Self {
        self.tmpl.off = off;
        self
    }
    const fn src(mut self, src: u8) -> Self {
        self.tmpl.src = src;
        self
    }
    const fn imm(mut self, imm: i32) -> Self {
        self.tmpl.imm = imm;
        self
    }
}

use Shape::{
    Callee, CondJump, Dst, DstSrc, DstSrcOrImm, Imm, Jump, Jump32, Lddw, Load, Nullary, StoreImm,
    StoreReg,
};

const fn m(name: &'static str, shape: Shape, opc: u8) -> Mnemonic {
    Mnemonic::new(name, shape, opc)
}

/// Atomic operation codes (the `imm` of `BPF_STX | BPF_ATOMIC`).
const A_ADD: i32 = BPF_ADD as i32;
const A_OR: i32 = BPF_OR as i32;
const A_AND: i32 = BPF_AND as i32;
const A_XOR: i32 = BPF_XOR as i32;
const ATOMIC64: u8 = BPF_STX | BPF_ATOMIC | BPF_DW;
const ATOMIC32: u8 = BPF_STX | BPF_ATOMIC | BPF_W;

/// Every mnemonic of the conformance syntax. Where two rows encode the same bits (aliases such
/// as `swap16`/`bswap16`), the first one is what the disassembler prints.
pub(crate) static MNEMONICS: &[Mnemonic] = &[
    // ALU64 / ALU (`32` suffix), register or immediate source.
    m("add", DstSrcOrImm, BPF_ALU64 | BPF_ADD),
    m("add32", DstSrcOrImm, BPF_ALU | BPF_ADD),
    m("sub", DstSrcOrImm, BPF_ALU64 | BPF_SUB),
    m("sub32", DstSrcOrImm, BPF_ALU | BPF_SUB),
    m("mul", DstSrcOrImm, BPF_ALU64 | BPF_MUL),
    m("mul32", DstSrcOrImm, BPF_ALU | BPF_MUL),
    m("div", DstSrcOrImm, BPF_ALU64 | BPF_DIV),
    m("div32", DstSrcOrImm, BPF_ALU | BPF_DIV),
    m("sdiv", DstSrcOrImm, BPF_ALU64 | BPF_DIV).off(1),
    m("sdiv32", DstSrcOrImm, BPF_ALU | BPF_DIV).off(1),
    m("or", DstSrcOrImm, BPF_ALU64 | BPF_OR),
    m("or32", DstSrcOrImm, BPF_ALU | BPF_OR),
    m("and", DstSrcOrImm, BPF_ALU64 | BPF_AND),
    m("and32", DstSrcOrImm, BPF_ALU | BPF_AND),
    m("lsh", DstSrcOrImm, BPF_ALU64 | BPF_LSH),
    m("lsh32", DstSrcOrImm, BPF_ALU | BPF_LSH),
    m("rsh", DstSrcOrImm, BPF_ALU64 | BPF_RSH),
    m("rsh32", DstSrcOrImm, BPF_ALU | BPF_RSH),
    m("mod", DstSrcOrImm, BPF_ALU64 | BPF_MOD),
    m("mod32", DstSrcOrImm, BPF_ALU | BPF_MOD),
    m("smod", DstSrcOrImm, BPF_ALU64 | BPF_MOD).off(1),
    m("smod32", DstSrcOrImm, BPF_ALU | BPF_MOD).off(1),
    m("xor", DstSrcOrImm, BPF_ALU64 | BPF_XOR),
    m("xor32", DstSrcOrImm, BPF_ALU | BPF_XOR),
    m("mov", DstSrcOrImm, BPF_ALU64 | BPF_MOV),
    m("mov32", DstSrcOrImm, BPF_ALU | BPF_MOV),
    m("arsh", DstSrcOrImm, BPF_ALU64 | BPF_ARSH),
    m("arsh32", DstSrcOrImm, BPF_ALU | BPF_ARSH),
    m("neg", Dst, BPF_ALU64 | BPF_NEG),
    m("neg32", Dst, BPF_ALU | BPF_NEG),
    // Sign-extending moves: movsx<from><to>, register source only, width in `off`.
    m("movsx864", DstSrc, BPF_ALU64 | BPF_MOV | BPF_X).off(8),
    m("movsx1664", DstSrc, BPF_ALU64 | BPF_MOV | BPF_X).off(16),
    m("movsx3264", DstSrc, BPF_ALU64 | BPF_MOV | BPF_X).off(32),
    m("movsx832", DstSrc, BPF_ALU | BPF_MOV | BPF_X).off(8),
    m("movsx1632", DstSrc, BPF_ALU | BPF_MOV | BPF_X).off(16),
    // Byte order: width in `imm`.
    m("le16", Dst, BPF_ALU | BPF_END | BPF_TO_LE).imm(16),
    m("le32", Dst, BPF_ALU | BPF_END | BPF_TO_LE).imm(32),
    m("le64", Dst, BPF_ALU | BPF_END | BPF_TO_LE).imm(64),
    m("be16", Dst, BPF_ALU | BPF_END | BPF_TO_BE).imm(16),
    m("be32", Dst, BPF_ALU | BPF_END | BPF_TO_BE).imm(32),
    m("be64", Dst, BPF_ALU | BPF_END | BPF_TO_BE).imm(64),
    m("bswap16", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(16),
    m("bswap32", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(32),
    m("bswap64", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(64),
    m("swap16", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(16),
    m("swap32", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(32),
    m("swap64", Dst, BPF_ALU64 | BPF_END | BPF_TO_LE).imm(64),
    // Loads and stores.
    m("lddw", Lddw, LD_DW_IMM),
    m("ldxb", Load, BPF_LDX | BPF_MEM | BPF_B),
    m("ldxh", Load, BPF_LDX | BPF_MEM | BPF_H),
    m("ldxw", Load, BPF_LDX | BPF_MEM | BPF_W),
    m("ldxdw", Load, BPF_LDX | BPF_MEM | BPF_DW),
    m("ldxsb", Load, BPF_LDX | BPF_MEMSX | BPF_B),
    m("ldxsh", Load, BPF_LDX | BPF_MEMSX | BPF_H),
    m("ldxsw", Load, BPF_LDX | BPF_MEMSX | BPF_W),
    m("stb", StoreImm, BPF_ST | BPF_MEM | BPF_B),
    m("sth", StoreImm, BPF_ST | BPF_MEM | BPF_H),
    m("stw", StoreImm, BPF_ST | BPF_MEM | BPF_W),
    m("stdw", StoreImm, BPF_ST | BPF_MEM | BPF_DW),
    m("stxb", StoreReg, BPF_STX | BPF_MEM | BPF_B),
    m("stxh", StoreReg, BPF_STX | BPF_MEM | BPF_H),
    m("stxw", StoreReg, BPF_STX | BPF_MEM | BPF_W),
    m("stxdw", StoreReg, BPF_STX | BPF_MEM | BPF_DW),
    // Atomics: operation in `imm`.
    m("lock add", StoreReg, ATOMIC64).imm(A_ADD),
    m("lock add32", StoreReg, ATOMIC32).imm(A_ADD),
    m("lock fetch add", StoreReg, ATOMIC64).imm(A_ADD | BPF_FETCH),
    m("lock fetch add32", StoreReg, ATOMIC32).imm(A_ADD | BPF_FETCH),
    m("lock or", StoreReg, ATOMIC64).imm(A_OR),
    m("lock or32", StoreReg, ATOMIC32).imm(A_OR),
    m("lock fetch or", StoreReg, ATOMIC64).imm(A_OR | BPF_FETCH),
    m("lock fetch or32", StoreReg, ATOMIC32).imm(A_OR | BPF_FETCH),
    m("lock and", StoreReg, ATOMIC64).imm(A_AND),
    m("lock and32", StoreReg, ATOMIC32).imm(A_AND),
    m("lock fetch and", StoreReg, ATOMIC64).imm(A_AND | BPF_FETCH),
    m("lock fetch and32", StoreReg, ATOMIC32).imm(A_AND | BPF_FETCH),
    m("lock xor", StoreReg, ATOMIC64).imm(A_XOR),
    m("lock xor32", StoreReg, ATOMIC32).imm(A_XOR),
    m("lock fetch xor", StoreReg, ATOMIC64).imm(A_XOR | BPF_FETCH),
    m("lock fetch xor32", StoreReg, ATOMIC32).imm(A_XOR | BPF_FETCH),
    m("lock xchg", StoreReg, ATOMIC64).imm(BPF_XCHG),
    m("lock xchg32", StoreReg, ATOMIC32).imm(BPF_XCHG),
    m("lock cmpxchg", StoreReg, ATOMIC64).imm(BPF_CMPXCHG),
    m("lock cmpxchg32", StoreReg, ATOMIC32).imm(BPF_CMPXCHG),
    // JMP / JMP32 (`32` suffix) conditional jumps.
    m("jeq", CondJump, BPF_JMP | BPF_JEQ),
    m("jeq32", CondJump, BPF_JMP32 | BPF_JEQ),
    m("jgt", CondJump, BPF_JMP | BPF_JGT),
    m("jgt32", CondJump, BPF_JMP32 | BPF_JGT),
    m("jge", CondJump, BPF_JMP | BPF_JGE),
    m("jge32", CondJump, BPF_JMP32 | BPF_JGE),
    m("jset", CondJump, BPF_JMP | BPF_JSET),
    m("jset32", CondJump, BPF_JMP32 | BPF_JSET),
    m("jne", CondJump, BPF_JMP | BPF_JNE),
    m("jne32", CondJump, BPF_JMP32 | BPF_JNE),
    m("jsgt", CondJump, BPF_JMP | BPF_JSGT),
    m("jsgt32", CondJump, BPF_JMP32 | BPF_JSGT),
    m("jsge", CondJump, BPF_JMP | BPF_JSGE),
    m("jsge32", CondJump, BPF_JMP32 | BPF_JSGE),
    m("jlt", CondJump, BPF_JMP | BPF_JLT),
    m("jlt32", CondJump, BPF_JMP32 | BPF_JLT),
    m("jle", CondJump, BPF_JMP | BPF_JLE),
    m("jle32", CondJump, BPF_JMP32 | BPF_JLE),
    m("jslt", CondJump, BPF_JMP | BPF_JSLT),
    m("jslt32", CondJump, BPF_JMP32 | BPF_JSLT),
    m("jsle", CondJump, BPF_JMP | BPF_JSLE),
    m("jsle32", CondJump, BPF_JMP32 | BPF_JSLE),
    // Unconditional control flow.
    m("ja", Jump, BPF_JMP | BPF_JA),
    m("ja32", Jump32, JA32),
    m("exit", Nullary, EXIT),
    m("call", Callee, CALL),
    m("call helper", Callee, CALL),
    m("call local", Jump32, CALL).src(BPF_PSEUDO_CALL),
    m("call runtime", Imm, CALL).src(BPF_PSEUDO_KFUNC_CALL),
];

/// Which instruction fields an operand of `shape` fills, for the register (`reg_form`) or
/// immediate form: `(dst, src, off, imm)`.
const fn operand_fields(shape: Shape, reg_form: bool) -> (bool, bool, bool, bool) {
    match shape {
        Nullary => (false, false, false, false),
        Dst => (true, false, false, false),
        DstSrc => (true, true, false, false),
        Load | StoreReg => (true, true, true, false),
        DstSrcOrImm => (true, reg_form, false, !reg_form),
        StoreImm => (true, false, true, true),
        Lddw => (true, false, false, true),
        CondJump => (true, reg_form, true, !reg_form),
        Jump => (false, false, true, false),
        Jump32 | Imm => (false, false, false, true),
        Callee => (reg_form, false, false, !reg_form),
    }
}

impl Shape {
    /// Whether the shape has a register-or-immediate operand that selects `BPF_X`.
    const fn has_source_bit(self) -> bool {
        matches!(self, DstSrcOrImm | CondJump | Callee)
    }
}

/// The instruction `e` encodes when its operands are taken from `insn`: equal to `insn` exactly
/// when `insn` can be written as `e` (apart from the register range, checked separately).
fn canonical(e: &Mnemonic, insn: &Insn) -> Insn {
    let reg_form = e.shape.has_source_bit() && insn.opc & BPF_X != 0;
    let (dst, src, off, imm) = operand_fields(e.shape, reg_form);
    let t = e.tmpl;
    Insn {
        opc: if reg_form { t.opc | BPF_X } else { t.opc },
        dst: if dst { insn.dst } else { t.dst },
        src: if src { insn.src } else { t.src },
        off: if off { insn.off } else { t.off },
        imm: if imm { insn.imm } else { t.imm },
    }
}

/// Whether `slot` is a clean second LDDW slot (everything zero except `imm`).
fn is_lddw_tail(slot: Option<&Insn>) -> bool {
    matches!(slot, Some(s) if s.opc == 0 && s.dst == 0 && s.src == 0 && s.off == 0)
}

/// The table row the instruction at `pc` is printed as, if any.
fn lookup(insns: &[Insn], pc: usize) -> Option<&'static Mnemonic> {
    let insn = insns.get(pc)?;
    if insn.dst > MAX_REG || insn.src > MAX_REG {
        return None;
    }
    let e = MNEMONICS.iter().find(|e| canonical(e, insn) == *insn)?;
    if e.shape == Lddw && !is_lddw_tail(insns.get(pc + 1)) {
        return None;
    }
    Some(e)
}

/// How many slots the instruction at `pc` occupies as printed by [`fmt_insn`]: 2 for an LDDW
/// (printed with the next slot's immediate), 1 otherwise (including a malformed LDDW, which
/// is printed as raw `.insn` slots).
pub fn slots_at(insns: &[Insn], pc: usize) -> usize {
    match lookup(insns, pc) {
        Some(e) if e.shape == Lddw => 2,
        _ => 1,
    }
}

/// Writes `%rN`.
fn reg(f: &mut dyn Write, r: u8) -> fmt::Result {
    write!(f, "%r{r}")
}

/// Writes an immediate: decimal when small, otherwise its bit pattern in hex.
fn imm32(f: &mut dyn Write, v: i32) -> fmt::Result {
    if (-4096..=4096).contains(&v) {
        write!(f, "{v}")
    } else {
        write!(f, "{:#x}", v as u32)
    }
}

/// Writes `[%rN]`, `[%rN+off]` or `[%rN-off]`.
fn mem(f: &mut dyn Write, r: u8, off: i16) -> fmt::Result {
    if off == 0 {
        write!(f, "[%r{r}]")
    } else {
        write!(f, "[%r{r}{off:+}]")
    }
}

/// Writes a `%src` or an immediate, depending on `BPF_X`.
fn src_or_imm(f: &mut dyn Write, insn: &Insn) -> fmt::Result {
    if insn.opc & BPF_X != 0 {
        reg(f, insn.src)
    } else {
        imm32(f, insn.imm)
    }
}

/// Writes the operands of `insn` as shape `shape` wants them.
fn operands(f: &mut dyn Write, shape: Shape, insn: &Insn, hi: i32) -> fmt::Result {
    match shape {
        Nullary => Ok(()),
        Dst => reg(f, insn.dst),
        DstSrc => write!(f, "%r{}, %r{}", insn.dst, insn.src),
        DstSrcOrImm => {
            write!(f, "%r{}, ", insn.dst)?;
            src_or_imm(f, insn)
        }
        Load => {
            write!(f, "%r{}, ", insn.dst)?;
            mem(f, insn.src, insn.off)
        }
        StoreImm => {
            mem(f, insn.dst, insn.off)?;
            f.write_str(", ")?;
            imm32(f, insn.imm)
        }
        StoreReg => {
            mem(f, insn.dst, insn.off)?;
            write!(f, ", %r{}", insn.src)
        }
        Lddw => {
            // Low word from this slot, high word from the next; both as raw bit patterns.
            let v = (u64::from(hi as u32) << 32) | u64::from(insn.imm as u32);
            write!(f, "%r{}, ", insn.dst)?;
            if (-4096..=4096).contains(&(v as i64)) {
                write!(f, "{}", v as i64)
            } else {
                write!(f, "{v:#x}")
            }
        }
        CondJump => {
            write!(f, "%r{}, ", insn.dst)?;
            src_or_imm(f, insn)?;
            write!(f, ", {:+}", insn.off)
        }
        Jump => write!(f, "{:+}", insn.off),
        Jump32 => write!(f, "{:+}", insn.imm),
        Callee if insn.opc & BPF_X != 0 => reg(f, insn.dst),
        Callee | Imm => imm32(f, insn.imm),
    }
}

/// Writes a slot as `.insn opc, dst, src, off, imm` (raw fields, accepted by the assembler).
fn raw(f: &mut dyn Write, insn: &Insn) -> fmt::Result {
    write!(
        f,
        ".insn {:#04x}, {}, {}, {}, ",
        insn.opc, insn.dst, insn.src, insn.off
    )?;
    imm32(f, insn.imm)
}

/// Writes the conformance-syntax text of the instruction at slot `pc` (no newline).
///
/// An LDDW reads its high word from slot `pc + 1`; see [`slots_at`]. Encodings the syntax
/// cannot express are written as `.insn ...`; a `pc` past the end is written as a `#` comment.
pub fn fmt_insn(f: &mut dyn Write, insns: &[Insn], pc: usize) -> fmt::Result {
    let Some(insn) = insns.get(pc) else {
        return write!(f, "# pc {pc} is past the end ({} slots)", insns.len());
    };
    let Some(e) = lookup(insns, pc) else {
        return raw(f, insn);
    };
    f.write_str(e.name)?;
    if e.shape == Nullary {
        return Ok(());
    }
    f.write_char(' ')?;
    let hi = insns.get(pc + 1).map_or(0, |s| s.imm);
    operands(f, e.shape, insn, hi)
}

/// Displays the instruction at `insns[pc]` via [`fmt_insn`].
#[derive(Clone, Copy, Debug)]
pub struct Disasm<'a> {
    /// The program's slots.
    pub insns: &'a [Insn],
    /// The slot to print.
    pub pc: usize,
}

impl fmt::Display for Disasm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_insn(f, self.insns, self.pc)
    }
}

/// The whole program, one instruction per line (an LDDW's second slot has no line of its own).
#[cfg(feature = "std")]
pub fn disassemble(insns: &[Insn]) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        // Writing into a String cannot fail.
        let _ = fmt_insn(&mut out, insns, pc);
        out.push('\n');
        pc += slots_at(insns, pc);
    }
    out
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::asm::assemble;

    fn asm(src: &str) -> Vec<Insn> {
        assemble(src).unwrap_or_else(|e| panic!("{src:?}: {e}"))
    }

    /// Operand texts that exercise every form of `shape`.
    fn sample_operands(shape: Shape) -> &'static [&'static str] {
        match shape {
            Nullary => &[""],
            Dst => &["%r3"],
            DstSrcOrImm => &["%r1, %r2", "%r10, -7", "%r0, 0x12345678", "%r9, 0x80000000"],
            DstSrc => &["%r4, %r5"],
            Load => &["%r1, [%r10-8]", "%r0, [%r2]", "%r3, [%r4+32767]"],
            StoreImm => &["[%r1+2], 0x11223344", "[%r10-32768], -1"],
            StoreReg => &["[%r10-16], %r9", "[%r0], %r0"],
            Lddw => &[
                "%r0, 0x123456789abcdef0",
                "%r5, -1",
                "%r6, 4096",
                "%r7, 0xffffffff",
            ],
            CondJump => &["%r1, %r2, +1", "%r1, 5, -2", "%r10, 0x7fffffff, +0"],
            Jump => &["+3", "-32768"],
            Jump32 => &["-70000", "+0"],
            Callee => &["5", "%r2", "0x7fffffff"],
            Imm => &["7"],
        }
    }

    /// One line per table row and operand sample: the text the disassembler prints for it.
    fn every_kind() -> Vec<String> {
        let mut lines = Vec::new();
        for e in MNEMONICS {
            // Aliases print as the first row with the same encoding.
            let name = MNEMONICS
                .iter()
                .find(|p| p.shape == e.shape && p.tmpl == e.tmpl)
                .map_or(e.name, |p| p.name);
            for ops in sample_operands(e.shape) {
                lines.push(if ops.is_empty() {
                    name.to_string()
                } else {
                    format!("{name} {ops}")
                });
            }
        }
        lines
    }

    #[test]
    fn every_kind_prints_as_written() {
        let lines = every_kind();
        assert!(lines.len() > 150);
        for line in &lines {
            let prog = asm(line);
            assert_eq!(disassemble(&prog), format!("{line}\n"));
            assert_eq!(
                Disasm {
                    insns: &prog,
                    pc: 0
                }
                .to_string(),
                *line
            );
        }
    }

    #[test]
    fn round_trip_every_kind() {
        let src = every_kind().join("\n");
        let prog = asm(&src);
        assert_eq!(assemble(&disassemble(&prog)), Ok(prog));
    }

    #[test]
    fn raw_fallback() {
        let i = |opc, dst, src, off, imm| Insn {
            opc,
            dst,
            src,
            off,
            imm,
        };
        let cases = [
            // r11 does not exist.
            (
                i(BPF_ALU64 | BPF_MOV | BPF_X, 11, 0, 0, 0),
                ".insn 0xbf, 11, 0, 0, 0",
            ),
            // Unused fields set.
            (i(EXIT, 0, 0, 0, 1), ".insn 0x95, 0, 0, 0, 1"),
            (i(BPF_ALU64 | BPF_ADD, 0, 0, 1, 1), ".insn 0x07, 0, 0, 1, 1"),
            (i(CALL | BPF_X, 2, 0, 0, 5), ".insn 0x8d, 2, 0, 0, 5"),
            // Not an instruction at all / not in the syntax.
            (
                i(BPF_ALU64 | BPF_END | BPF_TO_BE, 0, 0, 0, 16),
                ".insn 0xdf, 0, 0, 0, 16",
            ),
            (
                i(BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 64, 0),
                ".insn 0xbf, 1, 2, 64, 0",
            ),
            (
                i(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0),
                ".insn 0x99, 0, 1, 0, 0",
            ),
            (
                i(ATOMIC64, 1, 2, 0, BPF_MUL as i32),
                ".insn 0xdb, 1, 2, 0, 32",
            ),
            (
                i(0xff, 15, 15, -1, i32::MIN),
                ".insn 0xff, 15, 15, -1, 0x80000000",
            ),
            (i(0, 0, 0, 0, 0), ".insn 0x00, 0, 0, 0, 0"),
        ];
        for (insn, want) in cases {
            let prog = [insn];
            assert_eq!(
                Disasm {
                    insns: &prog,
                    pc: 0
                }
                .to_string(),
                want
            );
            assert_eq!(assemble(want), Ok(prog.to_vec()));
        }
    }

    #[test]
    fn lddw_slots() {
        let prog = asm("lddw %r1, 0x1122334455667788\nexit");
        assert_eq!((slots_at(&prog, 0), slots_at(&prog, 2)), (2, 1));
        assert_eq!(disassemble(&prog), "lddw %r1, 0x1122334455667788\nexit\n");
        // The second slot on its own, a truncated LDDW, and a pseudo (map fd) LDDW print raw.
        assert_eq!(
            Disasm {
                insns: &prog,
                pc: 1
            }
            .to_string(),
            ".insn 0x00, 0, 0, 0, 0x11223344"
        );
        let cut = &prog[..1];
        assert_eq!(slots_at(cut, 0), 1);
        assert_eq!(disassemble(cut), ".insn 0x18, 1, 0, 0, 0x55667788\n");
        let mut map = prog.clone();
        map[0].src = crate::ebpf::BPF_PSEUDO_MAP_FD;
        assert_eq!(
            disassemble(&map),
            ".insn 0x18, 1, 1, 0, 0x55667788\n.insn 0x00, 0, 0, 0, 0x11223344\nexit\n"
        );
        assert_eq!(assemble(&disassemble(&map)), Ok(map));
        assert_eq!(
            Disasm {
                insns: &prog,
                pc: 9
            }
            .to_string(),
            "# pc 9 is past the end (3 slots)"
        );
        assert_eq!(disassemble(&[]), "");
    }

    #[test]
    fn fmt_insn_into_any_writer() {
        // A fixed buffer, as the kernel module would use: no allocation needed.
        struct Buf([u8; 64], usize);
        impl Write for Buf {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.1 + s.len();
                self.0
                    .get_mut(self.1..end)
                    .ok_or(fmt::Error)?
                    .copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let prog = asm("lock fetch add32 [%r10-4], %r3");
        let mut buf = Buf([0; 64], 0);
        assert_eq!(fmt_insn(&mut buf, &prog, 0), Ok(()));
        assert_eq!(
            buf.0.get(..buf.1),
            Some("lock fetch add32 [%r10-4], %r3".as_bytes())
        );
        let mut tiny = Buf([0; 64], 60);
        assert_eq!(fmt_insn(&mut tiny, &prog, 0), Err(fmt::Error));
    }

    /// assemble(disassemble(p)) == p for arbitrary slots, named or raw.
    #[test]
    fn round_trip_random_programs() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut named, mut slots) = (0, 0);
        for _ in 0..5_000 {
            let len = next() % 8 + 1;
            let prog: Vec<Insn> = (0..len)
                .map(|_| {
                    let r = next();
                    let b = r.to_le_bytes();
                    let mut insn = Insn::from_bytes(&b);
                    // Mostly table opcodes with small fields, so most slots print by name.
                    if b[0] % 4 != 0 {
                        let e = MNEMONICS.get(b[1] as usize % MNEMONICS.len());
                        let e = e.map_or(insn, |e| e.tmpl);
                        insn.opc = e.opc | (b[2] & BPF_X);
                        insn.dst %= 12;
                        insn.src = if b[3] % 4 != 0 { e.src } else { insn.src % 12 };
                        insn.off = if b[4] % 4 != 0 { e.off } else { insn.off };
                        insn.imm = if b[5] % 4 != 0 { e.imm } else { insn.imm };
                    }
                    insn
                })
                .collect();
            let text = disassemble(&prog);
            named += text.lines().filter(|l| !l.starts_with(".insn")).count();
            slots += prog.len();
            assert_eq!(assemble(&text), Ok(prog.clone()), "{text}");
        }
        assert!(
            named * 3 > slots,
            "only {named} of {slots} slots printed by name"
        );
    }
}
