//! Lowering: each eBPF instruction becomes rvo instructions (at most one per slot).
//!
//! Registers map one to one (eBPF rN is rvo rN), so the calling convention, the verifier's
//! register facts and a disassembly side by side all stay readable. Two-address eBPF ALU forms
//! become rvo's three-address forms with `b == a`; `opt` then fuses moves into them.

use crate::decode::Kind;
use crate::ebpf::*;
use crate::error::{CompileError, ErrorKind};
use crate::workspace::{Lowered, Target, Workspace, MAX_CODE};
use rvo_isa::{Insn as R, MapType, Opcode as O, Reg, Region};

fn reg(n: u8) -> Reg {
    Reg::from_low_bits(n)
}

/// Lower every slot of `prog` into `ws.code`.
pub fn lower(prog: &[Insn], ws: &mut Workspace) -> Result<(), CompileError> {
    ws.n_code = 0;
    let mut func = 0;
    for (pc, insn) in prog.iter().enumerate() {
        while func + 1 < ws.n_funcs && ws.funcs[func + 1].start as usize <= pc {
            func += 1;
        }
        let in_main = ws.funcs[func].program;
        let out = |insn: R, target: Target, ws: &mut Workspace| -> Result<(), CompileError> {
            if ws.n_code == MAX_CODE {
                return Err(CompileError::at(
                    prog,
                    pc,
                    ErrorKind::CodeTooLarge(MAX_CODE + 1),
                ));
            }
            let label =
                ws.is_label[pc] && (ws.n_code == 0 || ws.code[ws.n_code - 1].src != pc as u16);
            ws.code[ws.n_code] = Lowered {
                insn,
                src: pc as u16,
                target,
                label,
            };
            ws.n_code += 1;
            Ok(())
        };
        let slot = |t: usize| Target::Slot(t as u16);
        match ws.kinds[pc] {
            Kind::LddwHi => {}
            Kind::Lddw(v) => {
                let d = reg(insn.dst);
                if v as i64 == v as i32 as i64 {
                    out(R::ri(O::Movi, d, v as i32), Target::None, ws)?;
                } else {
                    out(R::ri(O::Movi32, d, v as u32 as i32), Target::None, ws)?;
                    if v >> 32 != 0 {
                        out(
                            R::rri(O::Movhi, d, d, (v >> 32) as u32 as i32),
                            Target::None,
                            ws,
                        )?;
                    }
                }
            }
            Kind::MapRef { idx, value_off } => {
                let map = ws.maps[idx as usize];
                let addr = match value_off {
                    None => Region::MapRef.addr(idx),
                    Some(off) if map.kind() == Some(MapType::Array) && off < map.value_size => {
                        Region::Map.addr(map.offset + off)
                    }
                    Some(off) => {
                        return Err(CompileError::at(prog, pc, ErrorKind::BadMapValue(idx, off)))
                    }
                };
                let d = reg(insn.dst);
                out(R::ri(O::Movi32, d, addr as u32 as i32), Target::None, ws)?;
                out(
                    R::rri(O::Movhi, d, d, (addr >> 32) as i32),
                    Target::None,
                    ws,
                )?;
            }
            Kind::Plain => out(lower_plain(insn), Target::None, ws)?,
            Kind::Jump(t) => out(R::branch(O::Ja, reg(0), reg(0), 0, 0), slot(t), ws)?,
            Kind::Branch(t) => out(lower_branch(insn), slot(t), ws)?,
            Kind::Helper(h) => out(R::ri(O::Helper, reg(0), h as i32), Target::None, ws)?,
            Kind::Call(t) => {
                let frame = ws.funcs[func].frame as i32;
                out(R::new(O::Call, reg(0), reg(0), 0, frame), slot(t), ws)?
            }
            Kind::Exit if in_main => out(R::bare(O::Exit), Target::None, ws)?,
            Kind::Exit => out(R::bare(O::Ret), Target::None, ws)?,
        }
    }
    Ok(())
}

/// ALU, load, store and atomic instructions (already validated).
fn lower_plain(insn: &Insn) -> R {
    let (d, s) = (reg(insn.dst), reg(insn.src));
    match insn.class() {
        BPF_ALU64 | BPF_ALU => lower_alu(insn),
        BPF_LDX => {
            let sx = insn.opc & 0xe0 == BPF_MEMSX;
            let op = match (insn.opc & 0x18, sx) {
                (BPF_B, false) => O::Ldb,
                (BPF_H, false) => O::Ldh,
                (BPF_W, false) => O::Ldw,
                (BPF_DW, _) => O::Ldd,
                (BPF_B, true) => O::Ldsb,
                (BPF_H, true) => O::Ldsh,
                _ => O::Ldsw,
            };
            R::new(op, d, s, insn.off, 0)
        }
        BPF_ST => {
            let op = match insn.opc & 0x18 {
                BPF_B => O::Stib,
                BPF_H => O::Stih,
                BPF_W => O::Stiw,
                _ => O::Stid,
            };
            R::new(op, d, reg(0), insn.off, insn.imm)
        }
        _ if insn.opc & 0xe0 == BPF_ATOMIC => R::new(atomic_op(insn), d, s, insn.off, 0),
        _ => {
            let op = match insn.opc & 0x18 {
                BPF_B => O::Stb,
                BPF_H => O::Sth,
                BPF_W => O::Stw,
                _ => O::Std,
            };
            R::new(op, d, s, insn.off, 0)
        }
    }
}

fn atomic_op(insn: &Insn) -> O {
    let w32 = insn.opc & 0x18 == BPF_W;
    let pick = |a: O, b: O| if w32 { b } else { a };
    let fetch = insn.imm & BPF_FETCH != 0;
    match insn.imm {
        BPF_XCHG => pick(O::AXchg64, O::AXchg32),
        BPF_CMPXCHG => pick(O::ACmpXchg64, O::ACmpXchg32),
        op => match ((op & !BPF_FETCH) as u8, fetch) {
            (BPF_ADD, false) => pick(O::AAdd64, O::AAdd32),
            (BPF_OR, false) => pick(O::AOr64, O::AOr32),
            (BPF_AND, false) => pick(O::AAnd64, O::AAnd32),
            (BPF_XOR, false) => pick(O::AXor64, O::AXor32),
            (BPF_ADD, true) => pick(O::AFetchAdd64, O::AFetchAdd32),
            (BPF_OR, true) => pick(O::AFetchOr64, O::AFetchOr32),
            (BPF_AND, true) => pick(O::AFetchAnd64, O::AFetchAnd32),
            _ => pick(O::AFetchXor64, O::AFetchXor32),
        },
    }
}

/// The rvo opcodes of a binary ALU operation: (64 reg, 64 imm, 32 reg, 32 imm).
fn alu_ops(op: u8, signed: bool) -> Option<[O; 4]> {
    Some(match (op, signed) {
        (BPF_ADD, _) => [O::Add64, O::Add64I, O::Add32, O::Add32I],
        (BPF_SUB, _) => [O::Sub64, O::Sub64I, O::Sub32, O::Sub32I],
        (BPF_MUL, _) => [O::Mul64, O::Mul64I, O::Mul32, O::Mul32I],
        (BPF_DIV, false) => [O::Div64, O::Div64I, O::Div32, O::Div32I],
        (BPF_DIV, true) => [O::Sdiv64, O::Sdiv64I, O::Sdiv32, O::Sdiv32I],
        (BPF_MOD, false) => [O::Mod64, O::Mod64I, O::Mod32, O::Mod32I],
        (BPF_MOD, true) => [O::Smod64, O::Smod64I, O::Smod32, O::Smod32I],
        (BPF_OR, _) => [O::Or64, O::Or64I, O::Or32, O::Or32I],
        (BPF_AND, _) => [O::And64, O::And64I, O::And32, O::And32I],
        (BPF_XOR, _) => [O::Xor64, O::Xor64I, O::Xor32, O::Xor32I],
        (BPF_LSH, _) => [O::Lsh64, O::Lsh64I, O::Lsh32, O::Lsh32I],
        (BPF_RSH, _) => [O::Rsh64, O::Rsh64I, O::Rsh32, O::Rsh32I],
        (BPF_ARSH, _) => [O::Arsh64, O::Arsh64I, O::Arsh32, O::Arsh32I],
        _ => return None,
    })
}

fn lower_alu(insn: &Insn) -> R {
    let (d, s) = (reg(insn.dst), reg(insn.src));
    let is64 = insn.class() == BPF_ALU64;
    let x = insn.opc & BPF_X != 0;
    match insn.opc & 0xf0 {
        BPF_MOV => match (x, is64, insn.off) {
            (false, true, _) => R::ri(O::Movi, d, insn.imm),
            (false, false, _) => R::ri(O::Movi32, d, insn.imm),
            (true, true, 8) => R::rr(O::Movsx8, d, s),
            (true, true, 16) => R::rr(O::Movsx16, d, s),
            (true, true, 32) => R::rr(O::Movsx32, d, s),
            (true, false, 8) => R::rr(O::Movsx8W, d, s),
            (true, false, 16) => R::rr(O::Movsx16W, d, s),
            (true, true, _) => R::rr(O::Mov64, d, s),
            (true, false, _) => R::rr(O::Mov32, d, s),
        },
        BPF_NEG => R::rr(if is64 { O::Neg64 } else { O::Neg32 }, d, d),
        BPF_END => {
            // ALU64|END is the unconditional swap; ALU|END|TO_BE swaps on this little-endian
            // core; ALU|END|TO_LE only truncates.
            let swap = is64 || x;
            let op = match (swap, insn.imm) {
                (true, 16) => O::Bswap16,
                (true, 32) => O::Bswap32,
                (true, _) => O::Bswap64,
                (false, 16) => O::Zext16,
                (false, 32) => O::Mov32,
                (false, _) => O::Mov64,
            };
            R::rr(op, d, d)
        }
        op => {
            let signed = insn.off == 1;
            let ops = alu_ops(op, signed).unwrap_or([O::Nop; 4]);
            match (is64, x) {
                (true, true) => R::rrr(ops[0], d, d, s),
                (true, false) => R::rri(ops[1], d, d, insn.imm),
                (false, true) => R::rrr(ops[2], d, d, s),
                (false, false) => R::rri(ops[3], d, d, insn.imm),
            }
        }
    }
}

fn lower_branch(insn: &Insn) -> R {
    let (d, s) = (reg(insn.dst), reg(insn.src));
    let is32 = insn.class() == BPF_JMP32;
    let x = insn.opc & BPF_X != 0;
    // (64 reg, 64 imm, 32 reg, 32 imm)
    let ops = match insn.opc & 0xf0 {
        BPF_JEQ => [O::Jeq, O::JeqI, O::Jeq32, O::Jeq32I],
        BPF_JNE => [O::Jne, O::JneI, O::Jne32, O::Jne32I],
        BPF_JGT => [O::Jgt, O::JgtI, O::Jgt32, O::Jgt32I],
        BPF_JGE => [O::Jge, O::JgeI, O::Jge32, O::Jge32I],
        BPF_JLT => [O::Jlt, O::JltI, O::Jlt32, O::Jlt32I],
        BPF_JLE => [O::Jle, O::JleI, O::Jle32, O::Jle32I],
        BPF_JSGT => [O::Jsgt, O::JsgtI, O::Jsgt32, O::Jsgt32I],
        BPF_JSGE => [O::Jsge, O::JsgeI, O::Jsge32, O::Jsge32I],
        BPF_JSLT => [O::Jslt, O::JsltI, O::Jslt32, O::Jslt32I],
        BPF_JSLE => [O::Jsle, O::JsleI, O::Jsle32, O::Jsle32I],
        _ => [O::Jset, O::JsetI, O::Jset32, O::Jset32I],
    };
    match (is32, x) {
        (false, true) => R::branch(ops[0], d, s, 0, 0),
        (false, false) => R::branch(ops[1], d, reg(0), insn.imm, 0),
        (true, true) => R::branch(ops[2], d, s, 0, 0),
        (true, false) => R::branch(ops[3], d, reg(0), insn.imm, 0),
    }
}
