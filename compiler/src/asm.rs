//! Assembler for the eBPF text form of the bpf_conformance test data (`-- asm` sections).
//!
//! Accepted syntax, one instruction per line:
//! - `#` starts a comment (whole line or trailing); blank lines are ignored.
//! - `name:` defines a label at the next instruction; it may stand alone on its line or be
//!   followed by an instruction. Names are `[A-Za-z_.][A-Za-z0-9_.]*`. `exit` is also an
//!   implicit label for the first `exit` instruction unless a label `exit:` is defined.
//! - Mnemonics are the rows of [`crate::disasm::MNEMONICS`] (shared with the disassembler):
//!   ALU `add`..`arsh` (64-bit) and `add32`..`arsh32`, `sdiv`/`smod` (offset 1), `neg`,
//!   `movsx{832,1632,864,1664,3264}`, `le`/`be`/`bswap`/`swap` `{16,32,64}`, `lddw`,
//!   `ldx{b,h,w,dw}`, `ldxs{b,h,w}`, `st{b,h,w,dw}`, `stx{b,h,w,dw}`,
//!   `lock [fetch] {add,or,and,xor}[32]`, `lock {xchg,cmpxchg}[32]`, conditional jumps
//!   `jeq`..`jsle` and their `32` forms, `ja`, `ja32`, `exit`, `call N` / `call helper N`,
//!   `call %rN` (callx: `BPF_CALL | BPF_X`, register in `dst`, as bpf_conformance emits it),
//!   `call local target` (`BPF_PSEUDO_CALL`), `call runtime N` (`BPF_PSEUDO_KFUNC_CALL`),
//!   and the directive `.insn opc, dst, src, off, imm` for one raw slot.
//! - Operands are separated by commas. Registers are `%r0`..`%r10`.
//! - Immediates are decimal or `0x` hex, optionally signed. A decimal must fit `i32`; an
//!   unsigned hex literal may also be a 32-bit pattern up to `0xffffffff` (so `0x80000000` and
//!   `-1` are accepted, `2147483648` and `0x100000000` are not). `lddw` takes any 64-bit value
//!   (hex up to `0xffffffffffffffff`, decimal from `-2^63` to `2^64-1`).
//! - Memory operands are `[%rN]`, `[%rN+off]` or `[%rN-off]`; the offset must fit `i16` as a
//!   signed value.
//! - Jump targets are labels or signed slot counts relative to the next slot (`+1`, `-3`);
//!   labels resolve to `target - (pc + 1)`, counting `lddw` as two slots. `ja` and conditional
//!   jumps put it in `off` (must fit `i16`), `ja32` and `call local` in `imm`.

use std::collections::HashMap;
use std::fmt;

use crate::disasm::{Mnemonic, Shape, MAX_REG, MNEMONICS};
use crate::ebpf::{Insn, BPF_X};

/// An assembly error, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmError {
    /// 1-based source line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for AsmError {}

/// Assembles conformance-syntax text into instruction slots.
pub fn assemble(src: &str) -> Result<Vec<Insn>, AsmError> {
    let mut asm = Assembler::default();
    for (i, text) in src.lines().enumerate() {
        asm.line_no = i + 1;
        asm.line(text).map_err(|message| AsmError { line: i + 1, message })?;
    }
    asm.finish()
}

/// Assembles conformance-syntax text into the little-endian bytes of its slots.
pub fn assemble_bytes(src: &str) -> Result<Vec<u8>, AsmError> {
    Ok(assemble(src)?.iter().flat_map(Insn::to_bytes).collect())
}

/// Where a label's slot distance goes once the label is known.
#[derive(Clone, Copy, Debug)]
enum Field {
    /// `off` (16 bits): `ja`, conditional jumps.
    Off,
    /// `imm` (32 bits): `ja32`, `call local`.
    Imm,
}

/// A jump or call waiting for its label.
#[derive(Debug)]
struct Fixup {
    slot: usize,
    label: String,
    line: usize,
    field: Field,
}

/// A jump target: a relative slot count, or a label to resolve at the end.
enum Target {
    Rel(i64),
    Label(String),
}

#[derive(Default)]
struct Assembler {
    out: Vec<Insn>,
    /// Label -> (slot, line defined on).
    labels: HashMap<String, (usize, usize)>,
    first_exit: Option<usize>,
    fixups: Vec<Fixup>,
    /// The 1-based line being assembled.
    line_no: usize,
}

type Res<T> = Result<T, String>;

impl Assembler {
    /// Assembles one source line.
    fn line(&mut self, text: &str) -> Res<()> {
        let text = strip_comment(text).trim();
        let text = self.take_label(text)?;
        if text.is_empty() {
            return Ok(());
        }
        let (key, rest) = split_mnemonic(text)?;
        if key == ".insn" {
            let insn = raw_insn(&split_operands(rest)?)?;
            self.out.push(insn);
            return Ok(());
        }
        if key.starts_with('.') {
            return Err(format!("unknown directive '{key}'"));
        }
        let e = MNEMONICS
            .iter()
            .find(|e| e.name == key)
            .ok_or_else(|| format!("unknown mnemonic '{key}'"))?;
        self.encode(e, &split_operands(rest)?)
    }

    /// Defines the label at the start of `text`, if any, and returns the rest of the line.
    fn take_label<'t>(&mut self, text: &'t str) -> Res<&'t str> {
        let (word, rest) = split_word(text);
        let Some(name) = word.strip_suffix(':') else {
            return Ok(text);
        };
        check_label_name(name)?;
        let here = (self.out.len(), self.line_no);
        if let Some((_, prev)) = self.labels.insert(name.to_string(), here) {
            return Err(format!("duplicate label '{name}' (first defined on line {prev})"));
        }
        Ok(rest)
    }

    /// Encodes mnemonic `e` with its operands and appends the slot(s).
    fn encode(&mut self, e: &Mnemonic, ops: &[&str]) -> Res<()> {
        let mut insn = e.tmpl;
        let slot = self.out.len();
        match (e.shape, ops) {
            (Shape::Nullary, []) => {}
            (Shape::Dst, [d]) => insn.dst = parse_reg(d)?,
            (Shape::DstSrc, [d, s]) => {
                insn.dst = parse_reg(d)?;
                insn.src = parse_reg(s)?;
            }
            (Shape::DstSrcOrImm, [d, s]) => {
                insn.dst = parse_reg(d)?;
                set_src_or_imm(&mut insn, s)?;
            }
            (Shape::Load, [d, m]) => {
                insn.dst = parse_reg(d)?;
                (insn.src, insn.off) = parse_mem(m)?;
            }
            (Shape::StoreImm, [m, i]) => {
                (insn.dst, insn.off) = parse_mem(m)?;
                insn.imm = parse_imm32(i)?;
            }
            (Shape::StoreReg, [m, s]) => {
                (insn.dst, insn.off) = parse_mem(m)?;
                insn.src = parse_reg(s)?;
            }
            (Shape::Lddw, [d, i]) => {
                insn.dst = parse_reg(d)?;
                let v = parse_imm64(i)?;
                // Low word in this slot, high word in the next (opcode 0); bit patterns.
                insn.imm = v as u32 as i32;
                self.out.push(insn);
                insn = Insn { imm: (v >> 32) as u32 as i32, ..Insn::default() };
            }
            (Shape::CondJump, [d, s, t]) => {
                insn.dst = parse_reg(d)?;
                set_src_or_imm(&mut insn, s)?;
                insn.off = self.target_off(t, slot)?;
            }
            (Shape::Jump, [t]) => insn.off = self.target_off(t, slot)?,
            (Shape::Jump32, [t]) => insn.imm = self.target_imm(t, slot)?,
            (Shape::Callee, [t]) if t.starts_with('%') => {
                insn.opc |= BPF_X;
                insn.dst = parse_reg(t)?;
            }
            (Shape::Callee | Shape::Imm, [i]) => insn.imm = parse_imm32(i)?,
            (shape, _) => {
                return Err(format!(
                    "wrong number of operands for '{}': expected {}, got {}",
                    e.name,
                    operand_count(shape),
                    ops.len()
                ))
            }
        }
        if e.name == "exit" && self.first_exit.is_none() {
            self.first_exit = Some(slot);
        }
        self.out.push(insn);
        Ok(())
    }

    /// A 16-bit jump target: the offset now, or 0 and a fixup for a label.
    fn target_off(&mut self, t: &str, slot: usize) -> Res<i16> {
        match parse_target(t)? {
            Target::Rel(v) => {
                i16::try_from(v).map_err(|_| format!("jump offset {t} does not fit 16 bits"))
            }
            Target::Label(label) => {
                self.fixup(slot, label, Field::Off);
                Ok(0)
            }
        }
    }

    /// A 32-bit jump/call target: the offset now, or 0 and a fixup for a label.
    fn target_imm(&mut self, t: &str, slot: usize) -> Res<i32> {
        match parse_target(t)? {
            Target::Rel(v) => {
                i32::try_from(v).map_err(|_| format!("jump offset {t} does not fit 32 bits"))
            }
            Target::Label(label) => {
                self.fixup(slot, label, Field::Imm);
                Ok(0)
            }
        }
    }

    fn fixup(&mut self, slot: usize, label: String, field: Field) {
        self.fixups.push(Fixup { slot, label, line: self.line_no, field });
    }

    /// Resolves the label references and returns the program.
    fn finish(mut self) -> Result<Vec<Insn>, AsmError> {
        for f in std::mem::take(&mut self.fixups) {
            let err = |message: String| AsmError { line: f.line, message };
            let target = match (self.labels.get(&f.label), f.label.as_str()) {
                (Some(&(slot, _)), _) => slot,
                (None, "exit") => self.first_exit.ok_or_else(|| {
                    err("unknown label 'exit' (no exit instruction or label)".into())
                })?,
                (None, _) => return Err(err(format!("unknown label '{}'", f.label))),
            };
            // Both are slot indices of a Vec, so they fit i64.
            let dist = target as i64 - (f.slot as i64 + 1);
            let Some(insn) = self.out.get_mut(f.slot) else {
                return Err(err(format!("internal error: no slot {}", f.slot)));
            };
            let range = |bits| format!("jump to '{}' ({dist:+} slots) does not fit {bits} bits", f.label);
            match f.field {
                Field::Off => insn.off = i16::try_from(dist).map_err(|_| err(range(16)))?,
                Field::Imm => insn.imm = i32::try_from(dist).map_err(|_| err(range(32)))?,
            }
        }
        Ok(self.out)
    }
}

/// How many operands a shape takes (for error messages).
const fn operand_count(shape: Shape) -> usize {
    match shape {
        Shape::Nullary => 0,
        Shape::Dst | Shape::Jump | Shape::Jump32 | Shape::Callee | Shape::Imm => 1,
        Shape::DstSrc
        | Shape::DstSrcOrImm
        | Shape::Load
        | Shape::StoreImm
        | Shape::StoreReg
        | Shape::Lddw => 2,
        Shape::CondJump => 3,
    }
}

/// The text before any `#`.
fn strip_comment(text: &str) -> &str {
    text.split_once('#').map_or(text, |(code, _)| code)
}

/// Splits off the first whitespace-separated word; the rest is trimmed.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

/// Splits a line into its table key (`lock fetch add`, `call local`, `mov`) and operand text.
fn split_mnemonic(text: &str) -> Res<(String, &str)> {
    let (first, rest) = split_word(text);
    match first {
        "lock" => {
            let (mut op, mut rest) = split_word(rest);
            let fetch = op == "fetch";
            if fetch {
                (op, rest) = split_word(rest);
            }
            if op.is_empty() {
                return Err("wrong number of operands for lock: expected an operation and 2 \
                            operands, as in `lock add [%r10-8], %r1`"
                    .into());
            }
            let key = if fetch { format!("lock fetch {op}") } else { format!("lock {op}") };
            Ok((key, rest))
        }
        "call" => match split_word(rest) {
            (mode @ ("local" | "helper" | "runtime"), rest) => Ok((format!("call {mode}"), rest)),
            _ => Ok((first.to_string(), rest)),
        },
        _ => Ok((first.to_string(), rest)),
    }
}

/// Splits comma-separated operands; none if `text` is empty.
fn split_operands(text: &str) -> Res<Vec<&str>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let ops: Vec<&str> = text.split(',').map(str::trim).collect();
    if ops.iter().any(|o| o.is_empty()) {
        return Err(format!("empty operand in '{text}'"));
    }
    Ok(ops)
}

fn check_label_name(name: &str) -> Res<()> {
    let mut chars = name.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.');
    if ok_first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        Ok(())
    } else {
        Err(format!("invalid label name '{name}'"))
    }
}

/// `%r0`..`%r10`.
fn parse_reg(s: &str) -> Res<u8> {
    let bad = || format!("invalid register '{s}' (expected %r0..%r{MAX_REG})");
    let digits = s.strip_prefix("%r").ok_or_else(bad)?;
    let canonical = digits == "0" || !digits.starts_with('0');
    if digits.is_empty() || !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match digits.parse::<u8>() {
        Ok(r) if r <= MAX_REG => Ok(r),
        _ => Err(bad()),
    }
}

/// Sets `BPF_X` and `src` for a register operand, or `imm` for an immediate.
fn set_src_or_imm(insn: &mut Insn, s: &str) -> Res<()> {
    if s.starts_with('%') {
        insn.opc |= BPF_X;
        insn.src = parse_reg(s)?;
    } else {
        insn.imm = parse_imm32(s)?;
    }
    Ok(())
}

/// `[%rN]`, `[%rN+off]`, `[%rN-off]` -> (register, offset).
fn parse_mem(s: &str) -> Res<(u8, i16)> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| format!("invalid memory operand '{s}' (expected [%rN+offset])"))?
        .trim();
    let Some(at) = inner.find(['+', '-']) else {
        return Ok((parse_reg(inner)?, 0));
    };
    let (r, off) = inner.split_at(at);
    let (sign, magnitude) = off.split_at(1);
    let off = format!("{sign}{}", magnitude.trim());
    let v = parse_num(&off)?.value();
    let off = i16::try_from(v)
        .map_err(|_| format!("offset {off} in '{s}' is out of range (must fit 16 bits signed)"))?;
    Ok((parse_reg(r.trim())?, off))
}

/// A parsed integer literal: sign, base and magnitude.
struct Num {
    neg: bool,
    hex: bool,
    mag: u64,
}

impl Num {
    fn value(&self) -> i128 {
        if self.neg {
            -i128::from(self.mag)
        } else {
            i128::from(self.mag)
        }
    }
}

/// `[+-]digits` or `[+-]0xhexdigits`.
fn parse_num(s: &str) -> Res<Num> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (hex, digits) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(d) => (true, d),
        None => (false, body),
    };
    let valid = |c: char| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() };
    if digits.is_empty() || !digits.chars().all(valid) {
        return Err(format!("invalid number '{s}'"));
    }
    let mag = u64::from_str_radix(digits, if hex { 16 } else { 10 })
        .map_err(|_| format!("number '{s}' is out of range (more than 64 bits)"))?;
    Ok(Num { neg, hex, mag })
}

/// A 32-bit immediate: a signed decimal/hex value that fits `i32`, or an unsigned hex bit
/// pattern up to `0xffffffff`.
fn parse_imm32(s: &str) -> Res<i32> {
    let n = parse_num(s).map_err(|e| format!("{e}: expected a register or an immediate"))?;
    if let (true, false, Ok(bits)) = (n.hex, n.neg, u32::try_from(n.mag)) {
        return Ok(bits as i32);
    }
    i32::try_from(n.value()).map_err(|_| {
        format!(
            "immediate {s} is out of 32-bit range (decimal must fit -2147483648..=2147483647, \
             hex 0x0..=0xffffffff)"
        )
    })
}

/// A 64-bit immediate (`lddw`): any value from `-2^63` to `2^64-1`, as a bit pattern.
fn parse_imm64(s: &str) -> Res<u64> {
    let n = parse_num(s)?;
    if !n.neg {
        return Ok(n.mag);
    }
    i64::try_from(n.value())
        .map(|v| v as u64)
        .map_err(|_| format!("immediate {s} is out of 64-bit range"))
}

/// A jump target: `+N`/`-N` or a label.
fn parse_target(t: &str) -> Res<Target> {
    if t.starts_with(['+', '-']) {
        let v = parse_num(t)?.value();
        let v = i64::try_from(v).map_err(|_| format!("jump offset {t} is out of range"))?;
        return Ok(Target::Rel(v));
    }
    check_label_name(t)
        .map_err(|_| format!("invalid jump target '{t}' (expected a label or +N/-N)"))?;
    Ok(Target::Label(t.to_string()))
}

/// `.insn opc, dst, src, off, imm`: one raw slot.
fn raw_insn(ops: &[&str]) -> Res<Insn> {
    let [opc, dst, src, off, imm] = ops else {
        return Err(format!(
            "wrong number of operands for '.insn': expected 5 (opc, dst, src, off, imm), got {}",
            ops.len()
        ));
    };
    let field = |s: &str, name: &str, max: i128| -> Res<u8> {
        let v = parse_num(s)?.value();
        match u8::try_from(v) {
            Ok(b) if v <= max => Ok(b),
            _ => Err(format!(".insn {name} {s} is out of range (0..={max})")),
        }
    };
    let off_v = parse_num(off)?.value();
    Ok(Insn {
        opc: field(opc, "opcode", 0xff)?,
        dst: field(dst, "dst", 15)?,
        src: field(src, "src", 15)?,
        off: i16::try_from(off_v)
            .map_err(|_| format!(".insn offset {off} is out of range (must fit 16 bits signed)"))?,
        imm: parse_imm32(imm)?,
    })
}
