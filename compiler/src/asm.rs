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
        asm.line(text).map_err(|message| AsmError {
            line: i + 1,
            message,
        })?;
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
            return Err(format!(
                "duplicate label '{name}' (first defined on line {prev})"
            ));
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
                insn = Insn {
                    imm: (v >> 32) as u32 as i32,
                    ..Insn::default()
                };
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
        self.fixups.push(Fixup {
            slot,
            label,
            line: self.line_no,
            field,
        });
    }

    /// Resolves the label references and returns the program.
    fn finish(mut self) -> Result<Vec<Insn>, AsmError> {
        for f in std::mem::take(&mut self.fixups) {
            let err = |message: String| AsmError {
                line: f.line,
                message,
            };
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
            let range = |bits| {
                format!(
                    "jump to '{}' ({dist:+} slots) does not fit {bits} bits",
                    f.label
                )
            };
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
                return Err(
                    "wrong number of operands for lock: expected an operation and 2 \
                            operands, as in `lock add [%r10-8], %r1`"
                        .into(),
                );
            }
            let key = if fetch {
                format!("lock fetch {op}")
            } else {
                format!("lock {op}")
            };
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
    let ok_first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.');
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
    let valid = |c: char| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disasm::disassemble;
    use std::path::{Path, PathBuf};

    fn asm(src: &str) -> Vec<Insn> {
        assemble(src).unwrap_or_else(|e| panic!("{src:?}: {e}"))
    }

    fn one(src: &str) -> Insn {
        match asm(src).as_slice() {
            [i] => *i,
            other => panic!("{src:?}: expected one slot, got {other:?}"),
        }
    }

    fn err(src: &str) -> AsmError {
        match assemble(src) {
            Ok(p) => panic!("{src:?} should be rejected, got {p:?}"),
            Err(e) => e,
        }
    }

    /// Slots from hex text: 8 space-separated bytes, or one `0x` little-endian u64, per line.
    fn parse_raw(text: &str) -> Vec<Insn> {
        let mut out = Vec::new();
        for line in text
            .lines()
            .map(|l| strip_comment(l).trim())
            .filter(|l| !l.is_empty())
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            let bytes: [u8; 8] = match words.as_slice() {
                [w] => {
                    let hex = w
                        .strip_prefix("0x")
                        .unwrap_or_else(|| panic!("raw line {line:?}"));
                    u64::from_str_radix(hex, 16).expect("raw u64").to_le_bytes()
                }
                _ => {
                    let v: Vec<u8> = words
                        .iter()
                        .map(|b| u8::from_str_radix(b, 16).expect("raw byte"))
                        .collect();
                    v.try_into()
                        .unwrap_or_else(|_| panic!("raw line {line:?}: not 8 bytes"))
                }
            };
            out.push(Insn::from_bytes(&bytes));
        }
        out
    }

    #[test]
    fn golden_encodings() {
        // Encodings worked out by hand from RFC 9669 (and checked against Linux's uapi values).
        let cases = [
            ("mov32 %r0, 1", "b4 00 00 00 01 00 00 00"),
            ("mov %r1, -1", "b7 01 00 00 ff ff ff ff"),
            ("mov32 %r0, 0xffffffff", "b4 00 00 00 ff ff ff ff"),
            ("add %r0, %r1", "0f 10 00 00 00 00 00 00"),
            ("sdiv32 %r0, 3", "34 00 01 00 03 00 00 00"),
            ("smod %r0, %r1", "9f 10 01 00 00 00 00 00"),
            ("neg %r0", "87 00 00 00 00 00 00 00"),
            ("neg32 %r2", "84 02 00 00 00 00 00 00"),
            ("movsx832 %r0, %r1", "bc 10 08 00 00 00 00 00"),
            ("movsx1664 %r8, %r7", "bf 78 10 00 00 00 00 00"),
            ("movsx3264 %r2, %r3", "bf 32 20 00 00 00 00 00"),
            ("be16 %r0", "dc 00 00 00 10 00 00 00"),
            ("le32 %r0", "d4 00 00 00 20 00 00 00"),
            ("bswap64 %r0", "d7 00 00 00 40 00 00 00"),
            ("swap16 %r3", "d7 03 00 00 10 00 00 00"),
            ("ldxb %r0, [%r1+2]", "71 10 02 00 00 00 00 00"),
            ("ldxdw %r2, [%r10-8]", "79 a2 f8 ff 00 00 00 00"),
            ("ldxsb %r0, [%r10-1]", "91 a0 ff ff 00 00 00 00"),
            ("ldxsw %r0, [%r1]", "81 10 00 00 00 00 00 00"),
            ("stxb [%r10-1], %r1", "73 1a ff ff 00 00 00 00"),
            ("stw [%r1+2], 0x11223344", "62 01 02 00 44 33 22 11"),
            ("stdw [%r1+0x2], -2", "7a 01 02 00 fe ff ff ff"),
            ("lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00"),
            ("lock fetch xor32 [%r10-4], %r3", "c3 3a fc ff a1 00 00 00"),
            ("lock xchg [%r10-8], %r1", "db 1a f8 ff e1 00 00 00"),
            ("lock cmpxchg32 [%r10-8], %r1", "c3 1a f8 ff f1 00 00 00"),
            ("jeq %r1, 0x80000000, +1", "15 01 01 00 00 00 00 80"),
            ("jne32 %r0, %r1, -3", "5e 10 fd ff 00 00 00 00"),
            ("jsle %r2, -5, +0", "d5 02 00 00 fb ff ff ff"),
            ("ja +7", "05 00 07 00 00 00 00 00"),
            ("ja32 -70000", "06 00 00 00 90 ee fe ff"),
            ("call 5", "85 00 00 00 05 00 00 00"),
            ("call helper 5", "85 00 00 00 05 00 00 00"),
            ("call %r2", "8d 02 00 00 00 00 00 00"),
            ("call local +2", "85 10 00 00 02 00 00 00"),
            ("call runtime 7", "85 20 00 00 07 00 00 00"),
            ("exit", "95 00 00 00 00 00 00 00"),
            (".insn 0xff, 15, 15, -1, -1", "ff ff ff ff ff ff ff ff"),
        ];
        for (src, raw) in cases {
            assert_eq!(asm(src), parse_raw(raw), "{src}");
        }
        assert_eq!(
            asm("lddw %r0, 0x123456789abcdef0"),
            parse_raw("18 00 00 00 f0 de bc 9a\n00 00 00 00 78 56 34 12")
        );
        assert_eq!(
            asm("lddw %r3, -1"),
            parse_raw("0xffffffff00000318\n0xffffffff00000000")
        );
        assert_eq!(
            assemble_bytes("mov32 %r0, 1\nexit").expect("assembles"),
            [0xb4, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn immediate_range_rule() {
        // Hex: any 32-bit pattern; decimal (and negative hex): must fit i32.
        assert_eq!(one("mov32 %r0, 0xffffffff").imm, -1);
        assert_eq!(one("mov32 %r0, 0x80000000").imm, i32::MIN);
        assert_eq!(one("mov32 %r0, -2147483648").imm, i32::MIN);
        assert_eq!(one("mov32 %r0, 2147483647").imm, i32::MAX);
        assert_eq!(one("mov32 %r0, -0x80000000").imm, i32::MIN);
        assert_eq!(one("mov32 %r0, 0XFF").imm, 255);
        assert_eq!(one("mov32 %r0, +5").imm, 5);
        for bad in [
            "2147483648",
            "-2147483649",
            "4294967295",
            "0x100000000",
            "-0x80000001",
        ] {
            let e = err(&format!("mov32 %r0, {bad}"));
            assert!(e.message.contains("out of 32-bit range"), "{bad}: {e}");
        }
        for bad in [
            "0x",
            "1x",
            "abc",
            "--1",
            "+-1",
            "0x-1",
            "1_000",
            "99999999999999999999999",
        ] {
            let e = err(&format!("mov %r0, {bad}"));
            assert!(e.message.contains(bad), "{bad}: {e}");
        }
        // lddw: full 64 bits.
        let p = asm("lddw %r1, 0xFFFFFFFF80000001");
        assert_eq!((p[0].imm, p[1].imm), (i32::MIN + 1, -1));
        let p = asm("lddw %r1, 18446744073709551615");
        assert_eq!((p[0].imm, p[1].imm), (-1, -1));
        let p = asm("lddw %r1, -9223372036854775808");
        assert_eq!((p[0].imm, p[1].imm), (0, i32::MIN));
        assert!(err("lddw %r1, -9223372036854775809")
            .message
            .contains("range"));
        assert!(err("lddw %r1, 0x10000000000000000")
            .message
            .contains("range"));
    }

    #[test]
    fn offsets() {
        assert_eq!(one("ldxb %r0, [%r1]").off, 0);
        assert_eq!(one("ldxb %r0, [%r1+0]").off, 0);
        assert_eq!(one("ldxb %r0, [ %r1 - 8 ]").off, -8);
        assert_eq!(one("ldxb %r0, [%r1+32767]").off, i16::MAX);
        assert_eq!(one("ldxb %r0, [%r1-32768]").off, i16::MIN);
        assert_eq!(one("ldxb %r0, [%r1-0x8000]").off, i16::MIN);
        assert_eq!(one("ja -32768").off, i16::MIN);
        for bad in [
            "[%r1+32768]",
            "[%r1-32769]",
            "[%r1+0x8000]",
            "[%r1+0x10000]",
        ] {
            let e = err(&format!("ldxb %r0, {bad}"));
            assert!(e.message.contains("out of range"), "{bad}: {e}");
        }
        assert!(err("ja +32768").message.contains("16 bits"));
        assert_eq!(one("ja32 +2147483647").imm, i32::MAX);
        assert!(err("ja32 +2147483648").message.contains("32 bits"));
        for bad in [
            "%r1", "[%r1", "%r1]", "[r1+2]", "[%r1+]", "[%r1+-2]", "[%r11]", "[]",
        ] {
            let e = err(&format!("ldxb %r0, {bad}"));
            assert!(e.line == 1 && !e.message.is_empty(), "{bad}: {e}");
        }
    }

    #[test]
    fn registers() {
        assert_eq!(one("mov %r10, %r9").dst, 10);
        for bad in [
            "%r11", "%r50", "%r01", "%r", "r1", "%R1", "%r-1", "%r256", "%rx",
        ] {
            let e = err(&format!("mov %r0, {bad}"));
            // A non-% operand is read as an immediate.
            assert!(e.message.contains(bad), "{bad}: {e}");
        }
        assert!(err("or %r0, %r50")
            .message
            .contains("invalid register '%r50'"));
        assert!(err("neg %r11").message.contains("invalid register"));
    }

    #[test]
    fn labels_and_relative_targets() {
        let src = "\
            # leading comment\n\
            mov %r0, 0   # trailing comment\n\
            ja L1\n\
            lddw %r1, 0x100000000\n\
            L1:\n\
            jeq %r0, 0, L2\n\
            L2: call local f\n\
            ja -1\n\
            exit\n\
            f:\n\
            jne %r0, %r1, exit\n\
            ja32 f\n\
            exit\n";
        let p = asm(src);
        assert_eq!(p.len(), 11);
        assert_eq!(p[1].off, 2, "ja L1 skips the two lddw slots");
        assert_eq!(p[4].off, 0, "jeq to the next slot");
        assert_eq!(p[5].imm, 2, "call local: imm = target - (pc + 1)");
        assert_eq!(p[6].off, -1);
        assert_eq!(p[8].off, -2, "`exit` names the first exit");
        assert_eq!(p[9].imm, -2, "ja32 to a label goes in imm");
        // An explicit `exit:` label wins over the implicit one.
        let p = asm("ja exit\nexit\nexit:\nexit");
        assert_eq!(p[0].off, 1);
        let e = err("mov %r0, 0\nja NOT_A_LABEL\nexit");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown label 'NOT_A_LABEL'"), "{e}");
        assert!(err("ja exit").message.contains("unknown label 'exit'"));
        let e = err("a:\nexit\na:\nexit");
        assert_eq!(e.line, 3);
        assert!(
            e.message
                .contains("duplicate label 'a' (first defined on line 1)"),
            "{e}"
        );
        assert!(err("1a:\nexit").message.contains("invalid label name"));
        assert!(err("ja 3").message.contains("invalid jump target '3'"));
        let far = format!("ja L\n{}L:\nexit", "exit\n".repeat(40000));
        assert!(err(&far).message.contains("does not fit 16 bits"));
        assert_eq!(asm(&far.replacen("ja L", "ja32 L", 1))[0].imm, 40000);
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("ldxq %r0, %r1", "unknown mnemonic 'ldxq'"),
            ("lock", "operands for lock"),
            ("lock fetch", "operands for lock"),
            (
                "lock or [%r10-8]",
                "wrong number of operands for 'lock or': expected 2, got 1",
            ),
            (
                "lock fetch xchg [%r10-8], %r1",
                "unknown mnemonic 'lock fetch xchg'",
            ),
            ("lock nand [%r10-8], %r1", "unknown mnemonic 'lock nand'"),
            (
                "lddw %r0",
                "wrong number of operands for 'lddw': expected 2, got 1",
            ),
            (
                "exit %r0",
                "wrong number of operands for 'exit': expected 0, got 1",
            ),
            ("mov %r0 %r1", "expected 2, got 1"),
            ("mov %r0, 1, 2", "expected 2, got 3"),
            ("mov %r0,", "empty operand"),
            ("call local", "expected 1, got 0"),
            ("call", "expected 1, got 0"),
            ("movsx832 %r0, 1", "invalid register '1'"),
            ("ldxb %r0, %r1", "invalid memory operand '%r1'"),
            (".byte 1", "unknown directive '.byte'"),
            (".insn 1, 2, 3", "expected 5"),
            (".insn 0x100, 0, 0, 0, 0", "opcode"),
            (".insn 0, 16, 0, 0, 0", "dst"),
            (".insn 0, 0, 0, 32768, 0", "offset"),
        ];
        for (src, want) in cases {
            let e = err(src);
            assert!(e.message.contains(want), "{src:?}: got {e}, want {want:?}");
            assert_eq!(e.to_string(), format!("line 1: {}", e.message));
        }
        assert_eq!(err("exit\n\n  bogus").line, 3);
    }

    #[test]
    fn never_panics_on_garbage() {
        let atoms = [
            "mov",
            "lock",
            "fetch",
            "call",
            "local",
            "lddw",
            "ja",
            "jeq32",
            ".insn",
            "exit",
            "L:",
            "%r1",
            "%r10",
            "%r99",
            "[",
            "]",
            "[%r1+8]",
            "+",
            "-",
            ",",
            " ",
            "#",
            ":",
            "0x",
            "-1",
            "99999999999999999999",
            "0xffffffff",
            "é",
            "\t",
            "\n",
            "\r\n",
            "+32768",
            "L",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut src = String::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                src.push_str(atoms[(seed % atoms.len() as u64) as usize]);
            }
            let _ = assemble(&src);
        }
    }

    /// The conformance data directory, or `None` (with the reason printed) outside CI.
    fn conformance_dir() -> Option<PathBuf> {
        let dir = std::env::var_os("RVO_CONFORMANCE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
            });
        if dir.join("tests").is_dir() {
            return Some(dir);
        }
        let reason = format!(
            "conformance data not found at {} (set RVO_CONFORMANCE_DIR)",
            dir.display()
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        println!("skipping: {reason}");
        None
    }

    /// The `.data` files of `dir/sub`, sorted, with their text.
    fn data_files(dir: &Path, sub: &str) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir.join(sub))
            .expect("read conformance dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "data"))
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text =
                    String::from_utf8_lossy(&std::fs::read(&p).expect("read file")).into_owned();
                (name, text)
            })
            .collect();
        files.sort();
        files
    }

    /// The body of section `-- name` of a data file, if present.
    fn section(text: &str, name: &str) -> Option<String> {
        let header = format!("-- {name}");
        let mut lines = text.lines().skip_while(|l| l.trim_end() != header);
        lines.next()?;
        Some(
            lines
                .take_while(|l| !l.starts_with("--"))
                .map(|l| format!("{l}\n"))
                .collect(),
        )
    }

    #[test]
    fn conformance_tests_assemble_and_round_trip() {
        let Some(dir) = conformance_dir() else { return };
        let files = data_files(&dir, "tests");
        assert!(files.len() >= 300, "only {} test files", files.len());
        for (name, text) in &files {
            let src = section(text, "asm").unwrap_or_else(|| panic!("{name}: no asm section"));
            let prog = assemble(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!prog.is_empty(), "{name}: empty program");
            let listing = disassemble(&prog);
            assert!(!listing.contains(".insn"), "{name}: {listing}");
            assert_eq!(
                assemble(&listing),
                Ok(prog),
                "{name} round trip:\n{listing}"
            );
        }
    }

    #[test]
    fn conformance_raw_sections_match() {
        let Some(dir) = conformance_dir() else { return };
        let mut checked = 0;
        for (name, text) in data_files(&dir, "tests") {
            if let (Some(src), Some(raw)) = (section(&text, "asm"), section(&text, "raw")) {
                assert_eq!(asm(&src), parse_raw(&raw), "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 1, "no test file with both -- asm and -- raw");
    }

    /// negative/unused-*.data: one instruction with one unused field set. With that field
    /// cleared, the raw slot must be what the text assembles to; as is, the disassembler must
    /// show it raw (`.insn`) and still round-trip it.
    #[test]
    fn conformance_unused_field_encodings() {
        let Some(dir) = conformance_dir() else { return };
        let cases = [
            ("add64_imm", "add %r0, 1"),
            ("add64_reg", "add %r0, %r0"),
            ("add_imm", "add32 %r0, 1"),
            ("add_reg", "add32 %r0, %r0"),
            ("be16", "be16 %r0"),
            ("le16", "le16 %r0"),
            ("call", "call 0"),
            ("exit", "exit"),
            ("ja", "ja +0"),
            ("jeq_imm", "jeq %r0, 0, +0"),
            ("jeq_reg", "jeq %r0, %r0, +0"),
            ("jgt_imm", "jgt %r0, 0, +0"),
            ("jgt_reg", "jgt %r0, %r0, +0"),
            ("ldxdw", "ldxdw %r0, [%r10-8]"),
            ("ldxw", "ldxw %r0, [%r10-4]"),
            ("mov64_imm", "mov %r0, 1"),
            ("mov64_reg", "mov %r0, %r0"),
            ("mov_imm", "mov32 %r0, 1"),
            ("mov_reg", "mov32 %r0, %r0"),
            ("neg", "neg32 %r0"),
            ("neg64", "neg %r0"),
            ("stdw", "stdw [%r10-8], 0"),
            ("stw", "stw [%r10-4], 0"),
            ("stxdw", "stxdw [%r10-8], %r0"),
            ("stxw", "stxw [%r10-4], %r0"),
        ];
        let mut checked = 0;
        for (name, text) in data_files(&dir, "negative") {
            let Some(stem) = name
                .strip_prefix("unused-")
                .and_then(|n| n.strip_suffix(".data"))
            else {
                continue;
            };
            let (insn_name, field) = stem.rsplit_once('-').expect("unused-<insn>-<field>");
            let (_, src) = cases
                .iter()
                .find(|(n, _)| *n == insn_name)
                .unwrap_or_else(|| panic!("{name}: add it to the table"));
            let raw = parse_raw(&section(&text, "raw").expect("raw section"));
            let (Some(first), Some(exit)) = (raw.first(), raw.get(1)) else {
                panic!("{name}: expected 2 raw slots");
            };
            let mut cleared = *first;
            match field {
                "dst" => cleared.dst = 0,
                "src" => cleared.src = 0,
                "offset" => cleared.off = 0,
                "imm" => cleared.imm = 0,
                other => panic!("{name}: unknown field {other}"),
            }
            assert_ne!(cleared, *first, "{name}");
            assert_eq!(one(src), cleared, "{name}");
            assert_eq!(one("exit"), *exit, "{name}");
            let listing = disassemble(&raw);
            assert!(listing.starts_with(".insn "), "{name}: {listing}");
            assert_eq!(assemble(&listing), Ok(raw), "{name}: {listing}");
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} unused-* files");
    }

    #[test]
    fn conformance_negative_files_rejected() {
        let Some(dir) = conformance_dir() else { return };
        let cases = [
            (
                "invalid_imm32_dec_range.data",
                2,
                "immediate 2147483648 is out of 32-bit range",
            ),
            (
                "invalid_imm32_hex_range.data",
                2,
                "immediate 0x100000000 is out of 32-bit range",
            ),
            ("invalid_label.data", 1, "unknown label 'NOT_A_LABEL'"),
            (
                "invalid_lock.data",
                1,
                "wrong number of operands for 'lock or'",
            ),
            ("invalid_lock2.data", 1, "wrong number of operands for lock"),
            ("invalid_mnemonic.data", 2, "unknown mnemonic 'ldxq'"),
            ("invalid_offset.data", 1, "invalid memory operand '%r1'"),
            (
                "invalid_offset_range.data",
                2,
                "offset +0x10000 in '[%r1+0x10000]' is out of range",
            ),
            (
                "invalid_operand_count.data",
                1,
                "wrong number of operands for 'lddw'",
            ),
            ("invalid_register.data", 1, "invalid register '%r50'"),
        ];
        for (file, line, want) in cases {
            let text = std::fs::read_to_string(dir.join("negative").join(file)).expect(file);
            let src = section(&text, "asm").unwrap_or_else(|| panic!("{file}: no asm section"));
            let e = err(&src);
            assert!(e.message.contains(want), "{file}: got {e}, want {want:?}");
            assert_eq!(e.line, line, "{file}: {e}");
        }
    }
}
