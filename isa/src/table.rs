//! The instruction table: every rvo opcode, once.
//!
//! `for_each_insn!` hands the whole table to a callback macro. The opcode enum, its metadata
//! (mnemonic, operand format, functional unit, cycles), the encoder, decoder and disassembler
//! in this crate, the model's interpreter in `rvo-sim` and `docs/ISA.md` are all derived from it.
//! No other place in the project spells an opcode number.
//!
//! Row syntax: `Name = code, "mnemonic", Format, Unit, cycles, "semantics";`
//! In the semantics, `a`, `b`, `c` are the register fields, `imm` the sign-extended 32-bit
//! immediate, `off` the signed 16-bit displacement, `T` the branch target (bundle index), and
//! `w32(x)` means "the low 32 bits of x, zero-extended to 64".

/// Calls `$m! { rows }` with the full instruction table.
#[macro_export]
macro_rules! for_each_insn {
    ($m:ident) => {
        $m! {
            Nop = 0x00, "nop", None, Alu, 1, "does nothing (fills an empty lane)";

            // 64-bit ALU, three registers.
            Add64 = 0x10, "add", Rrr, Alu, 1, "a = b + c";
            Sub64 = 0x11, "sub", Rrr, Alu, 1, "a = b - c";
            Mul64 = 0x12, "mul", Rrr, Mul, 4, "a = b * c (low 64 bits)";
            Div64 = 0x13, "div", Rrr, Div, 66, "a = c == 0 ? 0 : b / c (unsigned)";
            Sdiv64 = 0x14, "sdiv", Rrr, Div, 66, "a = c == 0 ? 0 : b / c (signed, MIN / -1 = MIN)";
            Mod64 = 0x15, "mod", Rrr, Div, 66, "a = c == 0 ? b : b % c (unsigned)";
            Smod64 = 0x16, "smod", Rrr, Div, 66, "a = c == 0 ? b : b % c (signed, sign of b, MIN % -1 = 0)";
            Or64 = 0x17, "or", Rrr, Alu, 1, "a = b | c";
            And64 = 0x18, "and", Rrr, Alu, 1, "a = b & c";
            Xor64 = 0x19, "xor", Rrr, Alu, 1, "a = b ^ c";
            Lsh64 = 0x1a, "lsh", Rrr, Alu, 1, "a = b << (c & 63)";
            Rsh64 = 0x1b, "rsh", Rrr, Alu, 1, "a = b >> (c & 63) (logical)";
            Arsh64 = 0x1c, "arsh", Rrr, Alu, 1, "a = b >> (c & 63) (arithmetic)";

            // 64-bit ALU, register and immediate.
            Add64I = 0x20, "add", Rri, Alu, 1, "a = b + imm";
            Sub64I = 0x21, "sub", Rri, Alu, 1, "a = b - imm";
            Mul64I = 0x22, "mul", Rri, Mul, 4, "a = b * imm (low 64 bits)";
            Div64I = 0x23, "div", Rri, Div, 66, "a = imm == 0 ? 0 : b / (u64)imm";
            Sdiv64I = 0x24, "sdiv", Rri, Div, 66, "a = imm == 0 ? 0 : b / imm (signed)";
            Mod64I = 0x25, "mod", Rri, Div, 66, "a = imm == 0 ? b : b % (u64)imm";
            Smod64I = 0x26, "smod", Rri, Div, 66, "a = imm == 0 ? b : b % imm (signed)";
            Or64I = 0x27, "or", Rri, Alu, 1, "a = b | imm";
            And64I = 0x28, "and", Rri, Alu, 1, "a = b & imm";
            Xor64I = 0x29, "xor", Rri, Alu, 1, "a = b ^ imm";
            Lsh64I = 0x2a, "lsh", Rri, Alu, 1, "a = b << (imm & 63)";
            Rsh64I = 0x2b, "rsh", Rri, Alu, 1, "a = b >> (imm & 63) (logical)";
            Arsh64I = 0x2c, "arsh", Rri, Alu, 1, "a = b >> (imm & 63) (arithmetic)";

            // 32-bit ALU, three registers: operate on the low halves, zero-extend the result.
            Add32 = 0x30, "add32", Rrr, Alu, 1, "a = w32(b + c)";
            Sub32 = 0x31, "sub32", Rrr, Alu, 1, "a = w32(b - c)";
            Mul32 = 0x32, "mul32", Rrr, Mul, 4, "a = w32(b * c)";
            Div32 = 0x33, "div32", Rrr, Div, 34, "a = (u32)c == 0 ? 0 : w32((u32)b / (u32)c)";
            Sdiv32 = 0x34, "sdiv32", Rrr, Div, 34, "a = (u32)c == 0 ? 0 : w32((i32)b / (i32)c)";
            Mod32 = 0x35, "mod32", Rrr, Div, 34, "a = (u32)c == 0 ? w32(b) : w32((u32)b % (u32)c)";
            Smod32 = 0x36, "smod32", Rrr, Div, 34, "a = (u32)c == 0 ? w32(b) : w32((i32)b % (i32)c)";
            Or32 = 0x37, "or32", Rrr, Alu, 1, "a = w32(b | c)";
            And32 = 0x38, "and32", Rrr, Alu, 1, "a = w32(b & c)";
            Xor32 = 0x39, "xor32", Rrr, Alu, 1, "a = w32(b ^ c)";
            Lsh32 = 0x3a, "lsh32", Rrr, Alu, 1, "a = w32((u32)b << (c & 31))";
            Rsh32 = 0x3b, "rsh32", Rrr, Alu, 1, "a = w32((u32)b >> (c & 31))";
            Arsh32 = 0x3c, "arsh32", Rrr, Alu, 1, "a = w32((i32)b >> (c & 31))";

            // 32-bit ALU, register and immediate.
            Add32I = 0x40, "add32", Rri, Alu, 1, "a = w32(b + imm)";
            Sub32I = 0x41, "sub32", Rri, Alu, 1, "a = w32(b - imm)";
            Mul32I = 0x42, "mul32", Rri, Mul, 4, "a = w32(b * imm)";
            Div32I = 0x43, "div32", Rri, Div, 34, "a = (u32)imm == 0 ? 0 : w32((u32)b / (u32)imm)";
            Sdiv32I = 0x44, "sdiv32", Rri, Div, 34, "a = imm == 0 ? 0 : w32((i32)b / imm)";
            Mod32I = 0x45, "mod32", Rri, Div, 34, "a = (u32)imm == 0 ? w32(b) : w32((u32)b % (u32)imm)";
            Smod32I = 0x46, "smod32", Rri, Div, 34, "a = imm == 0 ? w32(b) : w32((i32)b % imm)";
            Or32I = 0x47, "or32", Rri, Alu, 1, "a = w32(b | imm)";
            And32I = 0x48, "and32", Rri, Alu, 1, "a = w32(b & imm)";
            Xor32I = 0x49, "xor32", Rri, Alu, 1, "a = w32(b ^ imm)";
            Lsh32I = 0x4a, "lsh32", Rri, Alu, 1, "a = w32((u32)b << (imm & 31))";
            Rsh32I = 0x4b, "rsh32", Rri, Alu, 1, "a = w32((u32)b >> (imm & 31))";
            Arsh32I = 0x4c, "arsh32", Rri, Alu, 1, "a = w32((i32)b >> (imm & 31))";

            // Moves, sign/zero extension, byte swaps, negation: one source register.
            Mov64 = 0x50, "mov", Rr, Alu, 1, "a = b";
            Mov32 = 0x51, "mov32", Rr, Alu, 1, "a = w32(b)";
            Neg64 = 0x52, "neg", Rr, Alu, 1, "a = -b";
            Neg32 = 0x53, "neg32", Rr, Alu, 1, "a = w32(-b)";
            Movsx8 = 0x54, "movsx8", Rr, Alu, 1, "a = (i64)(i8)b";
            Movsx16 = 0x55, "movsx16", Rr, Alu, 1, "a = (i64)(i16)b";
            Movsx32 = 0x56, "movsx32", Rr, Alu, 1, "a = (i64)(i32)b";
            Movsx8W = 0x57, "movsx8.w", Rr, Alu, 1, "a = w32((i32)(i8)b)";
            Movsx16W = 0x58, "movsx16.w", Rr, Alu, 1, "a = w32((i32)(i16)b)";
            Zext16 = 0x59, "zext16", Rr, Alu, 1, "a = b & 0xffff";
            Bswap16 = 0x5a, "bswap16", Rr, Alu, 1, "a = swap_bytes((u16)b)";
            Bswap32 = 0x5b, "bswap32", Rr, Alu, 1, "a = swap_bytes((u32)b)";
            Bswap64 = 0x5c, "bswap64", Rr, Alu, 1, "a = swap_bytes(b)";

            // Immediates.
            Movi = 0x5d, "movi", Ri, Alu, 1, "a = imm (sign-extended)";
            Movi32 = 0x5e, "movi32", Ri, Alu, 1, "a = (u32)imm (zero-extended)";
            Movhi = 0x5f, "movhi", Rri, Alu, 1, "a = w32(b) | (u32)imm << 32";

            // Loads: a = [b + off], every access checked against its region.
            Ldb = 0x60, "ldb", Load, Mem, 1, "a = (u8)[b + off]";
            Ldh = 0x61, "ldh", Load, Mem, 1, "a = (u16)[b + off]";
            Ldw = 0x62, "ldw", Load, Mem, 1, "a = (u32)[b + off]";
            Ldd = 0x63, "ldd", Load, Mem, 1, "a = (u64)[b + off]";
            Ldsb = 0x64, "ldsb", Load, Mem, 1, "a = (i64)(i8)[b + off]";
            Ldsh = 0x65, "ldsh", Load, Mem, 1, "a = (i64)(i16)[b + off]";
            Ldsw = 0x66, "ldsw", Load, Mem, 1, "a = (i64)(i32)[b + off]";

            // Stores of a register: [a + off] = b.
            Stb = 0x68, "stb", Store, Mem, 1, "(u8)[a + off] = b";
            Sth = 0x69, "sth", Store, Mem, 1, "(u16)[a + off] = b";
            Stw = 0x6a, "stw", Store, Mem, 1, "(u32)[a + off] = b";
            Std = 0x6b, "std", Store, Mem, 1, "(u64)[a + off] = b";
            // Stores of an immediate: [a + off] = imm.
            Stib = 0x6c, "stib", StoreImm, Mem, 1, "(u8)[a + off] = imm";
            Stih = 0x6d, "stih", StoreImm, Mem, 1, "(u16)[a + off] = imm";
            Stiw = 0x6e, "stiw", StoreImm, Mem, 1, "(u32)[a + off] = imm";
            Stid = 0x6f, "stid", StoreImm, Mem, 1, "(u64)[a + off] = imm (sign-extended)";

            // Atomic read-modify-write on [a + off] with register b.
            AAdd64 = 0x70, "aadd", Atomic, Mem, 2, "[a + off] += b";
            AOr64 = 0x71, "aor", Atomic, Mem, 2, "[a + off] |= b";
            AAnd64 = 0x72, "aand", Atomic, Mem, 2, "[a + off] &= b";
            AXor64 = 0x73, "axor", Atomic, Mem, 2, "[a + off] ^= b";
            AFetchAdd64 = 0x74, "afadd", Atomic, Mem, 2, "t = [a + off]; [a + off] = t + b; b = t";
            AFetchOr64 = 0x75, "afor", Atomic, Mem, 2, "t = [a + off]; [a + off] = t | b; b = t";
            AFetchAnd64 = 0x76, "afand", Atomic, Mem, 2, "t = [a + off]; [a + off] = t & b; b = t";
            AFetchXor64 = 0x77, "afxor", Atomic, Mem, 2, "t = [a + off]; [a + off] = t ^ b; b = t";
            AXchg64 = 0x78, "axchg", Atomic, Mem, 2, "swap [a + off] and b";
            ACmpXchg64 = 0x79, "acmpxchg", Atomic, Mem, 2, "t = [a + off]; if t == r0 then [a + off] = b; r0 = t";
            AAdd32 = 0x7a, "aadd32", Atomic, Mem, 2, "(u32)[a + off] += b";
            AOr32 = 0x7b, "aor32", Atomic, Mem, 2, "(u32)[a + off] |= b";
            AAnd32 = 0x7c, "aand32", Atomic, Mem, 2, "(u32)[a + off] &= b";
            AXor32 = 0x7d, "axor32", Atomic, Mem, 2, "(u32)[a + off] ^= b";
            AFetchAdd32 = 0x7e, "afadd32", Atomic, Mem, 2, "t = (u32)[a + off]; (u32)[a + off] = t + b; b = t";
            AFetchOr32 = 0x7f, "afor32", Atomic, Mem, 2, "t = (u32)[a + off]; (u32)[a + off] = t | b; b = t";
            AFetchAnd32 = 0x80, "afand32", Atomic, Mem, 2, "t = (u32)[a + off]; (u32)[a + off] = t & b; b = t";
            AFetchXor32 = 0x81, "afxor32", Atomic, Mem, 2, "t = (u32)[a + off]; (u32)[a + off] = t ^ b; b = t";
            AXchg32 = 0x82, "axchg32", Atomic, Mem, 2, "swap (u32)[a + off] and w32(b)";
            ACmpXchg32 = 0x83, "acmpxchg32", Atomic, Mem, 2, "t = (u32)[a + off]; if t == (u32)r0 then (u32)[a + off] = b; r0 = t";

            // Conditional branches, 64-bit compare of two registers.
            Jeq = 0x90, "jeq", BranchRr, Ctrl, 1, "if a == b goto T";
            Jne = 0x91, "jne", BranchRr, Ctrl, 1, "if a != b goto T";
            Jgt = 0x92, "jgt", BranchRr, Ctrl, 1, "if a > b goto T (unsigned)";
            Jge = 0x93, "jge", BranchRr, Ctrl, 1, "if a >= b goto T (unsigned)";
            Jlt = 0x94, "jlt", BranchRr, Ctrl, 1, "if a < b goto T (unsigned)";
            Jle = 0x95, "jle", BranchRr, Ctrl, 1, "if a <= b goto T (unsigned)";
            Jsgt = 0x96, "jsgt", BranchRr, Ctrl, 1, "if a > b goto T (signed)";
            Jsge = 0x97, "jsge", BranchRr, Ctrl, 1, "if a >= b goto T (signed)";
            Jslt = 0x98, "jslt", BranchRr, Ctrl, 1, "if a < b goto T (signed)";
            Jsle = 0x99, "jsle", BranchRr, Ctrl, 1, "if a <= b goto T (signed)";
            Jset = 0x9a, "jset", BranchRr, Ctrl, 1, "if a & b != 0 goto T";

            // Conditional branches, 64-bit compare with the sign-extended immediate.
            JeqI = 0xa0, "jeq", BranchRi, Ctrl, 1, "if a == imm goto T";
            JneI = 0xa1, "jne", BranchRi, Ctrl, 1, "if a != imm goto T";
            JgtI = 0xa2, "jgt", BranchRi, Ctrl, 1, "if a > imm goto T (unsigned)";
            JgeI = 0xa3, "jge", BranchRi, Ctrl, 1, "if a >= imm goto T (unsigned)";
            JltI = 0xa4, "jlt", BranchRi, Ctrl, 1, "if a < imm goto T (unsigned)";
            JleI = 0xa5, "jle", BranchRi, Ctrl, 1, "if a <= imm goto T (unsigned)";
            JsgtI = 0xa6, "jsgt", BranchRi, Ctrl, 1, "if a > imm goto T (signed)";
            JsgeI = 0xa7, "jsge", BranchRi, Ctrl, 1, "if a >= imm goto T (signed)";
            JsltI = 0xa8, "jslt", BranchRi, Ctrl, 1, "if a < imm goto T (signed)";
            JsleI = 0xa9, "jsle", BranchRi, Ctrl, 1, "if a <= imm goto T (signed)";
            JsetI = 0xaa, "jset", BranchRi, Ctrl, 1, "if a & imm != 0 goto T";

            // Conditional branches on the low 32 bits, two registers.
            Jeq32 = 0xb0, "jeq32", BranchRr, Ctrl, 1, "if (u32)a == (u32)b goto T";
            Jne32 = 0xb1, "jne32", BranchRr, Ctrl, 1, "if (u32)a != (u32)b goto T";
            Jgt32 = 0xb2, "jgt32", BranchRr, Ctrl, 1, "if (u32)a > (u32)b goto T";
            Jge32 = 0xb3, "jge32", BranchRr, Ctrl, 1, "if (u32)a >= (u32)b goto T";
            Jlt32 = 0xb4, "jlt32", BranchRr, Ctrl, 1, "if (u32)a < (u32)b goto T";
            Jle32 = 0xb5, "jle32", BranchRr, Ctrl, 1, "if (u32)a <= (u32)b goto T";
            Jsgt32 = 0xb6, "jsgt32", BranchRr, Ctrl, 1, "if (i32)a > (i32)b goto T";
            Jsge32 = 0xb7, "jsge32", BranchRr, Ctrl, 1, "if (i32)a >= (i32)b goto T";
            Jslt32 = 0xb8, "jslt32", BranchRr, Ctrl, 1, "if (i32)a < (i32)b goto T";
            Jsle32 = 0xb9, "jsle32", BranchRr, Ctrl, 1, "if (i32)a <= (i32)b goto T";
            Jset32 = 0xba, "jset32", BranchRr, Ctrl, 1, "if (u32)a & (u32)b != 0 goto T";

            // Conditional branches on the low 32 bits against the immediate.
            Jeq32I = 0xc0, "jeq32", BranchRi, Ctrl, 1, "if (u32)a == (u32)imm goto T";
            Jne32I = 0xc1, "jne32", BranchRi, Ctrl, 1, "if (u32)a != (u32)imm goto T";
            Jgt32I = 0xc2, "jgt32", BranchRi, Ctrl, 1, "if (u32)a > (u32)imm goto T";
            Jge32I = 0xc3, "jge32", BranchRi, Ctrl, 1, "if (u32)a >= (u32)imm goto T";
            Jlt32I = 0xc4, "jlt32", BranchRi, Ctrl, 1, "if (u32)a < (u32)imm goto T";
            Jle32I = 0xc5, "jle32", BranchRi, Ctrl, 1, "if (u32)a <= (u32)imm goto T";
            Jsgt32I = 0xc6, "jsgt32", BranchRi, Ctrl, 1, "if (i32)a > imm goto T";
            Jsge32I = 0xc7, "jsge32", BranchRi, Ctrl, 1, "if (i32)a >= imm goto T";
            Jslt32I = 0xc8, "jslt32", BranchRi, Ctrl, 1, "if (i32)a < imm goto T";
            Jsle32I = 0xc9, "jsle32", BranchRi, Ctrl, 1, "if (i32)a <= imm goto T";
            Jset32I = 0xca, "jset32", BranchRi, Ctrl, 1, "if (u32)a & (u32)imm != 0 goto T";

            // Control.
            Ja = 0xf0, "ja", Jump, Ctrl, 1, "goto T";
            Call = 0xf1, "call", Call, Ctrl, 1, "push (return bundle, r6-r9, r10) on the hardware call stack; r10 -= imm; goto T";
            Ret = 0xf2, "ret", None, Ctrl, 1, "pop the call stack: restore r6-r9 and r10, continue after the call";
            Exit = 0xf3, "exit", None, Ctrl, 1, "end the run; the result (XDP verdict) is r0";
            ExitI = 0xf4, "exiti", ExitImm, Ctrl, 1, "r0 = imm; end the run (fused mov r0, imm; exit)";
            Helper = 0xf5, "helper", Helper, Helper, 1, "run helper unit imm on r1-r5; r0 = its result; r1-r5 clobbered (cycles: the unit's)";
        }
    };
}
