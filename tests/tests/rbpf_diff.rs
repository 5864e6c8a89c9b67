//! Differential test: random eBPF programs on the ISA model against rbpf's interpreter.
//!
//! rbpf is an independent implementation of eBPF, so every program both run must leave the
//! same `r0`. Each program is also compiled for 1, 2 and 4 lanes: the lane count must not
//! change the result, and more lanes must never cost cycles.
//!
//! Programs are built from a structured description (so proptest shrinks a failure to a small
//! program) and lowered to eBPF slots:
//!
//! 1. every one of r0..r9 gets a random value (`lddw`, `mov` or `mov32`): r1 (the input
//!    pointer) is overwritten before it is read, and r10 is only ever a load/store base, so no
//!    host-dependent pointer is read as data or reaches r0;
//! 2. a random window of the stack (8 to 128 bytes, anywhere in the 512 bytes, edges favoured)
//!    is filled with `stdw`/`stxdw`, so every stack load reads bytes the program wrote (both
//!    engines zero the stack, but the eBPF standard does not promise it);
//! 3. 1..40 random items: ALU64/ALU32 operations, `le`/`be`, loads and stores of every size
//!    through r10 inside the window (aligned and unaligned), and, in the branching programs,
//!    forward conditional jumps (JMP and JMP32, every condition, K and X forms) and `ja` to a
//!    later item or to the final `exit`;
//! 4. usually (3 in 4) a fold of r1..r9 and every 8 bytes of the window into r0
//!    (`r0 = r0 * K ^ x`, K odd), so that the final `r0` depends on every register and every
//!    stack byte the program leaves behind; jumps "to the end" land on this fold;
//! 5. `exit`.
//!
//! # Where rbpf 0.4.1 departs from the standard (RFC 9669 / Linux)
//!
//! Read from rbpf 0.4.1's `interpreter.rs` and `verifier.rs`; only these cases are kept out
//! of the generated programs (or rewritten so both semantics agree), the comparison itself is
//! exact:
//!
//! - **`mod32` by zero** (`MOD32_IMM`/`MOD32_REG` with a zero divisor): rbpf leaves `dst`
//!   untouched, upper 32 bits included; the standard sets `dst = (u32)dst`. A `mod32` whose
//!   divisor may be zero is preceded by a guard that zero-extends `dst` exactly when the divisor
//!   is zero (`mov32 dst, dst` for an immediate 0; `jne32 src, 0, +1; mov32 dst, dst` for a
//!   register), so both semantics agree while the non-zero case still starts from a `dst`
//!   with its upper bits set. Jumps never land inside a guard.
//! - **64-bit unsigned conditional jumps with an immediate** (`jeq`, `jne`, `jgt`, `jge`,
//!   `jlt`, `jle`, K form, `BPF_JMP` class): rbpf zero-extends the immediate
//!   (`unsigned_u64!(insn.imm)`), the standard sign-extends it. These immediates are drawn
//!   non-negative (`imm & i32::MAX`), where both agree. `jset` and the signed conditions
//!   sign-extend in rbpf too and get any immediate; the JMP32 forms compare 32 bits and get
//!   any immediate.
//! - **The `off` field of ALU instructions is ignored by rbpf** (its verifier does not check
//!   it), so signed division and modulo (`sdiv`/`smod`, offset 1) and sign-extending moves
//!   (`movsx`, offset 8/16/32) would run as `div`/`mod`/`mov`: never generated.
//! - **Opcodes rbpf 0.4.1 rejects**: `bswap` (ALU64 `BPF_END`), sign-extending loads
//!   (`BPF_MEMSX`), atomics, `gotol`/`ja32` (`BPF_JMP32 | BPF_JA`): never generated.
//! - **`neg` (64-bit) in debug builds**: rbpf computes `-(reg as i64)`, which overflows (and
//!   panics under overflow checks) for `i64::MIN`. Without overflow checks it wraps, as the
//!   standard requires, so 64-bit `neg` is generated only when `debug_assertions` (and with them
//!   the default overflow checks) are off, as in `cargo test --release`.
//!
//! Division by zero (`div`/`div32` give 0, 64-bit `mod` leaves `dst`), the 31/63 shift masks,
//! `neg32`, `arsh32` and the byte swaps match the standard in rbpf and are generated with
//! edge-case operands.
//!
//! Case counts: `PROPTEST_CASES` when set (per test), otherwise [`STRAIGHT_CASES`] +
//! [`BRANCHING_CASES`] programs.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use rvo_compiler::disasm::disassemble;
use rvo_compiler::ebpf::*;
use rvo_sim::RunOutcome;

/// Straight-line programs per default run.
const STRAIGHT_CASES: u32 = 8_000;
/// Branching programs per default run.
const BRANCHING_CASES: u32 = 12_000;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    // No persistence: a failure prints its minimal program; nothing is written to the tree.
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// How a register gets its first value.
#[derive(Clone, Copy, Debug)]
enum RegInit {
    Lddw(u64),
    Mov64(i32),
    Mov32(i32),
}

/// One element of the program body. Loads and stores carry a raw position that is mapped
/// into the stack window when lowering; branches carry how many items they skip.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// `op` is a `BPF_*` ALU operation; `wide` selects ALU64.
    Alu {
        wide: bool,
        op: u8,
        x: bool,
        dst: u8,
        src: u8,
        imm: i32,
    },
    /// `le`/`be` 16/32/64.
    End { be: bool, bits: i32, dst: u8 },
    /// `st` (imm) or `stx` (reg) of `size` (a `BPF_B`.. `BPF_DW` value).
    Store {
        size: u8,
        reg: bool,
        src: u8,
        imm: i32,
        pos: u16,
        aligned: bool,
    },
    /// `ldx` of `size`.
    Load {
        size: u8,
        dst: u8,
        pos: u16,
        aligned: bool,
    },
    /// Conditional jump; `wide` selects JMP (64-bit) over JMP32.
    Branch {
        wide: bool,
        cond: u8,
        x: bool,
        dst: u8,
        src: u8,
        imm: i32,
        skip: usize,
    },
    /// `ja`.
    Ja { skip: usize },
}

/// A whole generated program, before lowering.
#[derive(Clone, Debug)]
struct Prog {
    regs: [RegInit; 10],
    /// Window length in 8-byte slots (1..=16).
    window_slots: u16,
    /// Selects the window base: 0 = bottom of the stack, 1 = top, other = anywhere.
    window_sel: u16,
    /// How each window slot is filled: (from a register?, register, immediate).
    window_fill: Vec<(bool, u8, i32)>,
    body: Vec<Item>,
    /// Fold r1..r9 and the stack window into r0 before `exit`, so that every result counts.
    fold: bool,
}

const ALU_BINARY: [u8; 12] = [
    BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR,
    BPF_MOV, BPF_ARSH,
];
const CONDITIONS: [u8; 11] = [
    BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT,
    BPF_JSLE,
];
const SIZES: [u8; 4] = [BPF_B, BPF_H, BPF_W, BPF_DW];

fn size_bytes(size: u8) -> u16 {
    match size {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    }
}

/// Immediates: the edges of i32, shift amounts around 32 and 64, small values, anything.
fn imm() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => select(vec![
            0, 1, -1, 2, -2, i32::MIN, i32::MAX, i32::MIN + 1, i32::MAX - 1, 0x7fff, 0x8000, 0xffff,
            -0x8000, 0x1_0000, 31, 32, 33, 63, 64, 65, 127, 0x0f0f_0f0f,
        ]),
        3 => 0i32..=64,
        1 => -16i32..0,
        2 => any::<i32>(),
    ]
}

/// 64-bit values: the edges of u64/i64/u32/i32, small values, sign-extended and zero-extended
/// 32-bit values, anything.
fn value64() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => select(vec![
            0,
            1,
            u64::MAX,
            i64::MIN as u64,
            i64::MAX as u64,
            u32::MAX as u64,
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff_8000_0000,
            1 << 32,
            0x1_0000_0001,
            0x8000_0000_0000_0001,
            0xffff_ffff_0000_0000,
            0x0000_ffff_0000_ffff,
            0x0123_4567_89ab_cdef,
        ]),
        2 => 0u64..=64,
        1 => (1u64..=64).prop_map(u64::wrapping_neg),
        1 => any::<u32>().prop_map(u64::from),
        1 => any::<i32>().prop_map(|v| v as i64 as u64),
        3 => any::<u64>(),
    ]
}

fn reg_init() -> impl Strategy<Value = RegInit> {
    prop_oneof![
        3 => value64().prop_map(RegInit::Lddw),
        1 => imm().prop_map(RegInit::Mov64),
        1 => imm().prop_map(RegInit::Mov32),
    ]
}

/// A data register: r0..r9 (never r10).
fn reg() -> impl Strategy<Value = u8> {
    0u8..=9
}

fn alu() -> impl Strategy<Value = Item> {
    // 64-bit `neg` only where rbpf's `-(reg as i64)` cannot panic (see the module comment).
    let neg64 = !cfg!(debug_assertions);
    prop_oneof![
        10 => (any::<bool>(), select(ALU_BINARY.to_vec()), any::<bool>(), reg(), reg(), imm())
            .prop_map(|(wide, op, x, dst, src, imm)| Item::Alu { wide, op, x, dst, src, imm }),
        1 => (any::<bool>(), reg()).prop_map(move |(wide, dst)| Item::Alu {
            wide: wide && neg64,
            op: BPF_NEG,
            x: false,
            dst,
            src: 0,
            imm: 0,
        }),
        2 => (any::<bool>(), select(vec![16, 32, 64]), reg()).prop_map(|(be, bits, dst)| Item::End { be, bits, dst }),
    ]
}

fn mem_access() -> impl Strategy<Value = Item> {
    prop_oneof![
        (
            select(SIZES.to_vec()),
            any::<bool>(),
            reg(),
            imm(),
            any::<u16>(),
            any::<bool>()
        )
            .prop_map(|(size, reg, src, imm, pos, aligned)| Item::Store {
                size,
                reg,
                src,
                imm,
                pos,
                aligned
            }),
        (select(SIZES.to_vec()), reg(), any::<u16>(), any::<bool>()).prop_map(
            |(size, dst, pos, aligned)| Item::Load {
                size,
                dst,
                pos,
                aligned
            }
        ),
    ]
}

/// How far a jump goes: mostly short hops, sometimes far (clamped to the final `exit`).
fn skip() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..4, 1 => 0usize..48]
}

fn branch() -> impl Strategy<Value = Item> {
    prop_oneof![
        8 => (any::<bool>(), select(CONDITIONS.to_vec()), any::<bool>(), reg(), reg(), imm(), skip())
            .prop_map(|(wide, cond, x, dst, src, imm, skip)| Item::Branch { wide, cond, x, dst, src, imm, skip }),
        1 => skip().prop_map(|skip| Item::Ja { skip }),
    ]
}

fn straight_item() -> impl Strategy<Value = Item> {
    prop_oneof![4 => alu(), 1 => mem_access()]
}

fn branching_item() -> impl Strategy<Value = Item> {
    prop_oneof![6 => alu(), 2 => mem_access(), 3 => branch()]
}

fn prog(item: impl Strategy<Value = Item>) -> impl Strategy<Value = Prog> {
    (
        proptest::array::uniform10(reg_init()),
        1u16..=16,
        any::<u16>(),
        proptest::collection::vec((any::<bool>(), reg(), imm()), 16),
        proptest::collection::vec(item, 1..=40),
        proptest::bool::weighted(0.75),
    )
        .prop_map(
            |(regs, window_slots, window_sel, window_fill, body, fold)| Prog {
                regs,
                window_slots,
                window_sel,
                window_fill,
                body,
                fold,
            },
        )
}

/// The stack window: (offset from r10 of its lowest byte, length in bytes).
fn window(p: &Prog) -> (i16, u16) {
    let len = 8 * p.window_slots;
    let slots_below = match p.window_sel % 4 {
        0 => 64 - p.window_slots,
        1 => 0,
        _ => (p.window_sel / 4) % (64 - p.window_slots + 1),
    };
    (-8 * (p.window_slots + slots_below) as i16, len)
}

/// Offset from r10 of an access of `size` at raw position `pos` inside the window.
fn window_off(p: &Prog, size: u8, pos: u16, aligned: bool) -> i16 {
    let (base, len) = window(p);
    let bytes = size_bytes(size);
    let mut rel = pos % (len - bytes + 1);
    if aligned {
        rel -= rel % bytes;
    }
    base + rel as i16
}

/// The odd multiplier of the final fold (sign-extended: 0xffff_ffff_9e37_79b1).
const FOLD_K: i32 = 0x9e37_79b1_u32 as i32;

/// The slots of one body item; jumps get their offset later.
fn lower_item(p: &Prog, item: &Item) -> Vec<Insn> {
    match *item {
        Item::Alu {
            wide,
            op,
            x,
            dst,
            src,
            imm,
        } => {
            let class = if wide { BPF_ALU64 } else { BPF_ALU };
            if op == BPF_NEG {
                return vec![Insn::new(class | BPF_K | BPF_NEG, dst, 0, 0, 0)];
            }
            let opc = class | if x { BPF_X } else { BPF_K } | op;
            let main = if x {
                Insn::new(opc, dst, src, 0, 0)
            } else {
                Insn::new(opc, dst, 0, 0, imm)
            };
            let zext = Insn::new(BPF_ALU | BPF_X | BPF_MOV, dst, dst, 0, 0);
            match (wide, op, x) {
                // rbpf leaves dst whole on `mod32` by zero; the standard zero-extends it.
                (false, BPF_MOD, true) => {
                    vec![
                        Insn::new(BPF_JMP32 | BPF_K | BPF_JNE, src, 0, 1, 0),
                        zext,
                        main,
                    ]
                }
                (false, BPF_MOD, false) if imm == 0 => vec![zext, main],
                _ => vec![main],
            }
        }
        Item::End { be, bits, dst } => {
            vec![Insn::new(
                BPF_ALU | BPF_END | if be { BPF_TO_BE } else { BPF_TO_LE },
                dst,
                0,
                0,
                bits,
            )]
        }
        Item::Store {
            size,
            reg,
            src,
            imm,
            pos,
            aligned,
        } => {
            let off = window_off(p, size, pos, aligned);
            if reg {
                vec![Insn::new(BPF_STX | BPF_MEM | size, 10, src, off, 0)]
            } else {
                vec![Insn::new(BPF_ST | BPF_MEM | size, 10, 0, off, imm)]
            }
        }
        Item::Load {
            size,
            dst,
            pos,
            aligned,
        } => {
            vec![Insn::new(
                BPF_LDX | BPF_MEM | size,
                dst,
                10,
                window_off(p, size, pos, aligned),
                0,
            )]
        }
        Item::Branch {
            wide,
            cond,
            x,
            dst,
            src,
            imm,
            ..
        } => {
            let class = if wide { BPF_JMP } else { BPF_JMP32 };
            if x {
                vec![Insn::new(class | BPF_X | cond, dst, src, 0, 0)]
            } else {
                // rbpf zero-extends the immediate of 64-bit unsigned comparisons; the standard
                // sign-extends it. They agree on non-negative immediates.
                let unsigned = matches!(
                    cond,
                    BPF_JEQ | BPF_JNE | BPF_JGT | BPF_JGE | BPF_JLT | BPF_JLE
                );
                let imm = if wide && unsigned {
                    imm & i32::MAX
                } else {
                    imm
                };
                vec![Insn::new(class | BPF_K | cond, dst, 0, 0, imm)]
            }
        }
        Item::Ja { .. } => vec![Insn::new(BPF_JMP | BPF_JA, 0, 0, 0, 0)],
    }
}

/// Lower a program to eBPF slots.
fn lower(p: &Prog) -> Vec<Insn> {
    let mut out = Vec::new();
    for (r, init) in (0u8..).zip(p.regs.iter()) {
        match *init {
            RegInit::Lddw(v) => {
                out.push(Insn::new(LD_DW_IMM, r, 0, 0, v as u32 as i32));
                out.push(Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32));
            }
            RegInit::Mov64(imm) => out.push(Insn::new(BPF_ALU64 | BPF_K | BPF_MOV, r, 0, 0, imm)),
            RegInit::Mov32(imm) => out.push(Insn::new(BPF_ALU | BPF_K | BPF_MOV, r, 0, 0, imm)),
        }
    }
    let (base, _) = window(p);
    for (i, &(from_reg, src, imm)) in p
        .window_fill
        .iter()
        .take(p.window_slots as usize)
        .enumerate()
    {
        let off = base + 8 * i as i16;
        out.push(if from_reg {
            Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, src, off, 0)
        } else {
            Insn::new(BPF_ST | BPF_MEM | BPF_DW, 10, 0, off, imm)
        });
    }
    let items: Vec<Vec<Insn>> = p.body.iter().map(|item| lower_item(p, item)).collect();
    // starts[i]: slot of item i; starts[n]: the fold, or the final exit.
    let mut starts = Vec::with_capacity(items.len() + 1);
    let mut at = out.len();
    for slots in &items {
        starts.push(at);
        at += slots.len();
    }
    starts.push(at);
    for (i, (item, mut slots)) in p.body.iter().zip(items).enumerate() {
        if let Item::Branch { skip, .. } | Item::Ja { skip } = *item {
            let target = starts[(i + 1 + skip).min(p.body.len())];
            slots[0].off = i16::try_from(target - (starts[i] + 1))
                .expect("jumps span at most a few hundred slots");
        }
        out.extend(slots);
    }
    if p.fold {
        // r0 = r0 * K ^ x for every register and window slot: multiplying by an odd K is a
        // bijection, so a wrong value anywhere changes r0.
        let mix = |out: &mut Vec<Insn>, r: u8| {
            out.push(Insn::new(BPF_ALU64 | BPF_K | BPF_MUL, 0, 0, 0, FOLD_K));
            out.push(Insn::new(BPF_ALU64 | BPF_X | BPF_XOR, 0, r, 0, 0));
        };
        for r in 1..=9 {
            mix(&mut out, r);
        }
        for i in 0..p.window_slots as i16 {
            out.push(Insn::new(
                BPF_LDX | BPF_MEM | BPF_DW,
                1,
                10,
                base + 8 * i,
                0,
            ));
            mix(&mut out, 1);
        }
    }
    out.push(Insn::new(EXIT, 0, 0, 0, 0));
    out
}

/// rbpf's result, or why it refused the program.
fn run_rbpf(insns: &[Insn]) -> Result<u64, String> {
    let bytes: Vec<u8> = insns.iter().flat_map(Insn::to_bytes).collect();
    let mut mem: [u8; 0] = [];
    let vm = rbpf::EbpfVmRaw::new(Some(&bytes))
        .map_err(|e| format!("rbpf rejected the program: {e}"))?;
    vm.execute_program(&mut mem)
        .map_err(|e| format!("rbpf failed: {e}"))
}

fn show(o: &RunOutcome) -> String {
    format!(
        "r0 = {:#x}, fault = {:?}, cycles = {}",
        o.r0, o.fault, o.cycles
    )
}

/// Run `p` on rbpf and on the model with 1, 2 and 4 lanes; all must agree.
fn check(p: &Prog) -> Result<(), TestCaseError> {
    let insns = lower(p);
    let listing = disassemble(&insns);
    // A refusal by rbpf means the generator produced something outside the compared subset.
    let expected = run_rbpf(&insns)
        .map_err(|e| TestCaseError::fail(format!("generator bug: {e}\n{listing}")))?;
    let mut outcomes = Vec::new();
    for lanes in [1u8, 2, 4] {
        let got = rvo_tests::run_on_model(&insns, &[], lanes).map_err(|e| {
            TestCaseError::fail(format!("model, {lanes} lanes: {e}\nprogram:\n{listing}"))
        })?;
        prop_assert!(
            got.fault.is_none() && got.r0 == expected,
            "model ({lanes} lanes) disagrees with rbpf\nrbpf:  r0 = {expected:#x}\nmodel: {}\nprogram:\n{listing}",
            show(&got)
        );
        outcomes.push(got);
    }
    let (one, four) = (&outcomes[0], &outcomes[2]);
    prop_assert!(
        four.cycles <= one.cycles,
        "4 lanes take more cycles than 1\n1 lane:  {}\n4 lanes: {}\nprogram:\n{listing}",
        show(one),
        show(four)
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(STRAIGHT_CASES))]
    #[test]
    fn straight_line_programs_match_rbpf(p in prog(straight_item())) {
        check(&p)?;
    }
}

proptest! {
    #![proptest_config(config(BRANCHING_CASES))]
    #[test]
    fn branching_programs_match_rbpf(p in prog(branching_item())) {
        check(&p)?;
    }
}

/// Fixed programs at the edges the exclusions above are about, through both engines: the
/// guarded `mod32` by zero with upper bits set, division by zero, 32-bit shift masking and
/// `arsh32` zero-extension, unaligned accesses at both ends of the stack.
#[test]
fn fixed_edge_cases_match_rbpf() {
    let progs: [&[Insn]; 4] = [
        // r0 = 0xffff_ffff_0000_0005; mod32 r0, 0 (guarded) -> 5
        &[
            Insn::new(LD_DW_IMM, 0, 0, 0, 5),
            Insn::new(0, 0, 0, 0, -1),
            Insn::new(BPF_ALU | BPF_X | BPF_MOV, 0, 0, 0, 0),
            Insn::new(BPF_ALU | BPF_K | BPF_MOD, 0, 0, 0, 0),
            Insn::new(EXIT, 0, 0, 0, 0),
        ],
        // div64 by zero -> 0
        &[
            Insn::new(BPF_ALU64 | BPF_K | BPF_MOV, 0, 0, 0, -7),
            Insn::new(BPF_ALU64 | BPF_K | BPF_MOV, 2, 0, 0, 0),
            Insn::new(BPF_ALU64 | BPF_X | BPF_DIV, 0, 2, 0, 0),
            Insn::new(EXIT, 0, 0, 0, 0),
        ],
        // lsh32 by 33 masks to 1; arsh32 of a negative value zero-extends
        &[
            Insn::new(BPF_ALU64 | BPF_K | BPF_MOV, 0, 0, 0, -3),
            Insn::new(BPF_ALU | BPF_K | BPF_LSH, 0, 0, 0, 33),
            Insn::new(BPF_ALU | BPF_K | BPF_ARSH, 0, 0, 0, 1),
            Insn::new(EXIT, 0, 0, 0, 0),
        ],
        // unaligned stack round trip through the lowest and highest bytes
        &[
            Insn::new(LD_DW_IMM, 3, 0, 0, 0x0506_0708),
            Insn::new(0, 0, 0, 0, 0x0102_0304),
            Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, 3, -512, 0),
            Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, 3, -8, 0),
            Insn::new(BPF_LDX | BPF_MEM | BPF_W, 0, 10, -509, 0),
            Insn::new(BPF_LDX | BPF_MEM | BPF_H, 4, 10, -3, 0),
            Insn::new(BPF_ALU64 | BPF_X | BPF_ADD, 0, 4, 0, 0),
            Insn::new(EXIT, 0, 0, 0, 0),
        ],
    ];
    for insns in progs {
        let listing = disassemble(insns);
        let expected = run_rbpf(insns).unwrap_or_else(|e| panic!("{e}\n{listing}"));
        for lanes in [1u8, 2, 4] {
            let got = rvo_tests::run_on_model(insns, &[], lanes)
                .unwrap_or_else(|e| panic!("{e}\n{listing}"));
            assert!(
                got.fault.is_none() && got.r0 == expected,
                "rbpf {expected:#x}, model {}\n{listing}",
                show(&got)
            );
        }
    }
}
