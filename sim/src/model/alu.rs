//! Arithmetic of the rvo ALU, multiplier and divider: exactly the table's semantics.

use rvo_isa::Opcode as O;

fn w32(x: u64) -> u64 {
    x & 0xffff_ffff
}

fn sdiv64(b: u64, c: u64) -> u64 {
    if c == 0 {
        0
    } else {
        (b as i64).wrapping_div(c as i64) as u64
    }
}

fn smod64(b: u64, c: u64) -> u64 {
    if c == 0 {
        b
    } else {
        (b as i64).wrapping_rem(c as i64) as u64
    }
}

fn sdiv32(b: u64, c: u64) -> u64 {
    if c as u32 == 0 {
        0
    } else {
        w32((b as i32).wrapping_div(c as i32) as u32 as u64)
    }
}

fn smod32(b: u64, c: u64) -> u64 {
    if c as u32 == 0 {
        w32(b)
    } else {
        w32((b as i32).wrapping_rem(c as i32) as u32 as u64)
    }
}

/// Result of a binary ALU operation on `b` and `c` (`c` is register c or the sign-extended
/// immediate), or `None` when `op` is not one.
pub fn binary(op: O, b: u64, c: u64) -> Option<u64> {
    let (b32, c32) = (b as u32, c as u32);
    Some(match op {
        O::Add64 | O::Add64I => b.wrapping_add(c),
        O::Sub64 | O::Sub64I => b.wrapping_sub(c),
        O::Mul64 | O::Mul64I => b.wrapping_mul(c),
        O::Div64 | O::Div64I => b.checked_div(c).unwrap_or(0),
        O::Sdiv64 | O::Sdiv64I => sdiv64(b, c),
        O::Mod64 | O::Mod64I => b.checked_rem(c).unwrap_or(b),
        O::Smod64 | O::Smod64I => smod64(b, c),
        O::Or64 | O::Or64I => b | c,
        O::And64 | O::And64I => b & c,
        O::Xor64 | O::Xor64I => b ^ c,
        O::Lsh64 | O::Lsh64I => b << (c & 63),
        O::Rsh64 | O::Rsh64I => b >> (c & 63),
        O::Arsh64 | O::Arsh64I => ((b as i64) >> (c & 63)) as u64,
        O::Add32 | O::Add32I => b32.wrapping_add(c32) as u64,
        O::Sub32 | O::Sub32I => b32.wrapping_sub(c32) as u64,
        O::Mul32 | O::Mul32I => b32.wrapping_mul(c32) as u64,
        O::Div32 | O::Div32I => b32.checked_div(c32).unwrap_or(0) as u64,
        O::Sdiv32 | O::Sdiv32I => sdiv32(b, c),
        O::Mod32 | O::Mod32I => b32.checked_rem(c32).unwrap_or(b32) as u64,
        O::Smod32 | O::Smod32I => smod32(b, c),
        O::Or32 | O::Or32I => (b32 | c32) as u64,
        O::And32 | O::And32I => (b32 & c32) as u64,
        O::Xor32 | O::Xor32I => (b32 ^ c32) as u64,
        O::Lsh32 | O::Lsh32I => (b32 << (c32 & 31)) as u64,
        O::Rsh32 | O::Rsh32I => (b32 >> (c32 & 31)) as u64,
        O::Arsh32 | O::Arsh32I => ((b32 as i32) >> (c32 & 31)) as u32 as u64,
        O::Movhi => w32(b) | (c32 as u64) << 32,
        _ => return None,
    })
}

/// Result of a one-source operation on `b`, or `None` when `op` is not one.
pub fn unary(op: O, b: u64) -> Option<u64> {
    Some(match op {
        O::Mov64 => b,
        O::Mov32 => w32(b),
        O::Neg64 => b.wrapping_neg(),
        O::Neg32 => (b as u32).wrapping_neg() as u64,
        O::Movsx8 => b as i8 as i64 as u64,
        O::Movsx16 => b as i16 as i64 as u64,
        O::Movsx32 => b as i32 as i64 as u64,
        O::Movsx8W => b as i8 as i32 as u32 as u64,
        O::Movsx16W => b as i16 as i32 as u32 as u64,
        O::Zext16 => b & 0xffff,
        O::Bswap16 => (b as u16).swap_bytes() as u64,
        O::Bswap32 => (b as u32).swap_bytes() as u64,
        O::Bswap64 => b.swap_bytes(),
        _ => return None,
    })
}

/// Whether a branch is taken.
pub fn condition(op: O, a: u64, b: u64) -> bool {
    let (a32, b32) = (a as u32, b as u32);
    match op {
        O::Jeq | O::JeqI => a == b,
        O::Jne | O::JneI => a != b,
        O::Jgt | O::JgtI => a > b,
        O::Jge | O::JgeI => a >= b,
        O::Jlt | O::JltI => a < b,
        O::Jle | O::JleI => a <= b,
        O::Jsgt | O::JsgtI => (a as i64) > (b as i64),
        O::Jsge | O::JsgeI => (a as i64) >= (b as i64),
        O::Jslt | O::JsltI => (a as i64) < (b as i64),
        O::Jsle | O::JsleI => (a as i64) <= (b as i64),
        O::Jset | O::JsetI => a & b != 0,
        O::Jeq32 | O::Jeq32I => a32 == b32,
        O::Jne32 | O::Jne32I => a32 != b32,
        O::Jgt32 | O::Jgt32I => a32 > b32,
        O::Jge32 | O::Jge32I => a32 >= b32,
        O::Jlt32 | O::Jlt32I => a32 < b32,
        O::Jle32 | O::Jle32I => a32 <= b32,
        O::Jsgt32 | O::Jsgt32I => (a32 as i32) > (b32 as i32),
        O::Jsge32 | O::Jsge32I => (a32 as i32) >= (b32 as i32),
        O::Jslt32 | O::Jslt32I => (a32 as i32) < (b32 as i32),
        O::Jsle32 | O::Jsle32I => (a32 as i32) <= (b32 as i32),
        O::Jset32 | O::Jset32I => a32 & b32 != 0,
        _ => false,
    }
}

/// New memory value of an atomic operation on `old` with operand `v`, for `size` bytes.
pub fn atomic(op: O, old: u64, v: u64) -> u64 {
    match op {
        O::AAdd64 | O::AFetchAdd64 | O::AAdd32 | O::AFetchAdd32 => old.wrapping_add(v),
        O::AOr64 | O::AFetchOr64 | O::AOr32 | O::AFetchOr32 => old | v,
        O::AAnd64 | O::AFetchAnd64 | O::AAnd32 | O::AFetchAnd32 => old & v,
        O::AXor64 | O::AFetchXor64 | O::AXor32 | O::AFetchXor32 => old ^ v,
        // Exchanges store the operand; cmpxchg decides before calling.
        _ => v,
    }
}
