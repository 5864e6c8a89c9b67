//! Robustness: garbage in, an error (or a result) out, never a panic.
//!
//! - raw bytes, "mostly valid" eBPF (real opcodes, random fields) and "shaped" eBPF (real
//!   opcodes, fields cleared or picked per class so that a good share compiles: jumps, local
//!   calls and helper calls included) through `rvo_compiler::compile_bytes`, for 1 to 4 lanes
//!   (and invalid lane counts); every image that compiles must load on the model and run
//!   under a small cycle budget without a `DeviceError` (faults in the outcome are fine);
//! - random text and token soup through the assembler; random slots through the disassembler
//!   and back through the assembler;
//! - random words through `rvo_isa::Insn::decode` (what decodes re-encodes to the same word);
//! - random bytes, random headers with random code, and corrupted compiled images through
//!   `ImageView::parse` and the model's `load` and `run`.
//!
//! Case counts are fixed (not `PROPTEST_CASES`) so the file stays within seconds in release
//! mode; a panic anywhere fails the case and proptest shrinks it.

use proptest::prelude::*;
use proptest::sample::select;
use rvo_compiler::ebpf::*;
use rvo_compiler::{asm, disasm, Options};
use rvo_isa::{Format, ImageHeader, ImageView, Opcode, Reg, IMAGE_MAGIC, IMAGE_VERSION};
use rvo_sim::RunInput;

fn config(cases: u32) -> ProptestConfig {
    // No persistence: a failure prints its minimal input; nothing is written to the tree.
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every eBPF opcode byte (RFC 9669 and the legacy packet loads), valid or not for rvo, plus
/// the class/source/operation combinations next to them that no standard defines (`neg` with
/// `BPF_X`, `call`/`exit` in JMP32, byte-sized atomics...).
fn ebpf_opcodes() -> Vec<u8> {
    let mut ops = Vec::new();
    for class in [BPF_ALU, BPF_ALU64] {
        for op in (0..=0xd0).step_by(0x10) {
            ops.push(class | BPF_K | op);
            ops.push(class | BPF_X | op);
        }
    }
    for class in [BPF_JMP, BPF_JMP32] {
        for op in (0..=0xd0).step_by(0x10) {
            ops.push(class | BPF_K | op);
            ops.push(class | BPF_X | op);
        }
    }
    for size in [BPF_B, BPF_H, BPF_W, BPF_DW] {
        ops.push(BPF_LD | BPF_ABS | size);
        ops.push(BPF_LD | BPF_IND | size);
        ops.push(BPF_LDX | BPF_MEM | size);
        ops.push(BPF_LDX | BPF_MEMSX | size);
        ops.push(BPF_ST | BPF_MEM | size);
        ops.push(BPF_STX | BPF_MEM | size);
        ops.push(BPF_STX | BPF_ATOMIC | size);
    }
    ops.push(LD_DW_IMM);
    ops
}

/// Immediates: edges, small values, atomic operation codes, helper ids, anything.
fn imm() -> impl Strategy<Value = i32> {
    prop_oneof![
        2 => select(vec![0, 1, -1, 8, 16, 32, 64, i32::MIN, i32::MAX, BPF_FETCH, BPF_XCHG, BPF_CMPXCHG,
            0x41, 0xa1, 0x51]),
        2 => -8i32..=64,
        2 => any::<i32>(),
    ]
}

/// One "mostly valid" slot: a real opcode, plausible or random other fields.
fn slot() -> impl Strategy<Value = [u8; 8]> {
    let reg = prop_oneof![4 => 0u8..=10, 1 => 0u8..=15];
    let off = prop_oneof![3 => -4i16..=8, 1 => -600i16..=0, 1 => any::<i16>()];
    (select(ebpf_opcodes()), reg.clone(), reg, off, imm())
        .prop_map(|(opc, dst, src, off, imm)| Insn::new(opc, dst, src, off, imm).to_bytes())
}

/// Clear or pick the fields of a random slot so that its class's encoding rules mostly hold
/// (K forms without `src`, X forms without `imm`, widths for `le`/`be`, jumps inside the
/// program, a second slot for `lddw`), so that whole programs get past the decoder. `left` is
/// the number of slots after this one.
fn shape(mut i: Insn, left: usize) -> Vec<Insn> {
    let x = i.opc & BPF_X != 0;
    let op = i.opc & 0xf0;
    i.dst %= 10;
    i.src %= 11;
    match i.class() {
        BPF_ALU | BPF_ALU64 => {
            i.off = match op {
                BPF_DIV | BPF_MOD => i.off & 1,
                BPF_MOV if x => [0, 8, 16, 32][(i.off as u16 % 4) as usize],
                _ => 0,
            };
            if op == BPF_END {
                i.imm = [16, 32, 64][(i.imm as u32 % 3) as usize];
                i.src = 0;
            } else if op == BPF_NEG || !x {
                i.src = 0;
                i.imm = if op == BPF_NEG { 0 } else { i.imm };
            } else {
                i.imm = 0;
            }
        }
        BPF_JMP | BPF_JMP32 => {
            // Forward or a little backward (loops are fine: the run has a cycle budget).
            i.off = (i.off.rem_euclid(left as i16 + 3) - 2).min(left as i16 - 1);
            match op {
                BPF_JA => {
                    (i.dst, i.src, i.imm) = (
                        0,
                        0,
                        if i.class() == BPF_JMP32 {
                            i.off.into()
                        } else {
                            0
                        },
                    )
                }
                BPF_EXIT => {
                    return vec![Insn {
                        opc: i.opc,
                        ..Insn::default()
                    }]
                }
                // Helper calls (src 0) with small ids; local calls (src 1) a little before or
                // anywhere after; kfunc calls (src 2).
                BPF_CALL => {
                    let src = [0, 0, 1, 2][usize::from(i.src % 4)];
                    let imm = if src == 1 {
                        i32::from(i.off)
                    } else {
                        i.imm.rem_euclid(8)
                    };
                    (i.dst, i.src, i.off, i.imm) = (0, src, 0, imm);
                }
                _ if x => i.imm = 0,
                _ => i.src = 0,
            }
        }
        BPF_LDX => {
            i.imm = 0;
            i.src = [1, 10][usize::from(i.src % 2)];
            i.off = if i.src == 10 {
                -8 * (i.off.rem_euclid(64) + 1)
            } else {
                i.off.rem_euclid(64)
            };
        }
        BPF_ST | BPF_STX => {
            i.dst = [1, 10][usize::from(i.dst % 2)];
            i.off = if i.dst == 10 {
                -8 * (i.off.rem_euclid(64) + 1)
            } else {
                i.off.rem_euclid(64)
            };
            if i.class() == BPF_ST {
                i.src = 0;
            } else if i.opc & 0xe0 != BPF_ATOMIC {
                i.imm = 0;
            }
        }
        _ if i.opc == LD_DW_IMM => {
            (i.src, i.off) = (0, 0);
            return vec![
                i,
                Insn {
                    imm: i.imm.rotate_left(7),
                    ..Insn::default()
                },
            ];
        }
        _ => {}
    }
    vec![i]
}

/// A program of shaped slots (see [`shape`]), ending in `exit`.
fn shaped_program() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(slot(), 0..24).prop_map(|slots| {
        let n = slots.len();
        let mut insns: Vec<Insn> = Vec::new();
        for (k, b) in slots.iter().enumerate() {
            insns.extend(shape(Insn::from_bytes(b), n - k));
        }
        insns.push(Insn {
            opc: EXIT,
            ..Insn::default()
        });
        insns.iter().flat_map(Insn::to_bytes).collect()
    })
}

/// A program of mostly valid slots, usually ending in `exit`.
fn mostly_valid_program() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(slot(), 0..48),
        proptest::bool::weighted(0.7),
    )
        .prop_map(|(slots, exit)| {
            let mut bytes: Vec<u8> = slots.concat();
            if exit {
                bytes.extend(
                    Insn {
                        opc: EXIT,
                        ..Insn::default()
                    }
                    .to_bytes(),
                );
            }
            bytes
        })
}

fn options() -> impl Strategy<Value = Options> {
    prop_oneof![
        3 => Just(Options::default()),
        2 => (1u8..=4, any::<bool>()).prop_map(|(lanes, optimize)| Options { lanes, optimize }),
        1 => (0u8..=8, any::<bool>()).prop_map(|(lanes, optimize)| Options { lanes, optimize }),
    ]
}

/// A raw run over `mem` with a budget of 10,000 cycles (whatever loops stops soon).
fn small_budget(mem: &[u8]) -> RunInput<'_> {
    RunInput {
        budget: 10_000,
        ..RunInput::raw(mem)
    }
}

/// Load `image` on a fresh model; when it loads, run it over `mem` with a small budget.
/// Refusing the image is fine; a `DeviceError` from a run of a loaded image is not.
fn load_and_run(image: &[u8], mem: &[u8]) -> Result<(), TestCaseError> {
    let mut dev = rvo_sim::open("model").map_err(|e| TestCaseError::fail(e.to_string()))?;
    if dev.load(image).is_ok() {
        let out = dev.run(&small_budget(mem));
        prop_assert!(out.is_ok(), "run of a loaded image failed: {:?}", out.err());
    }
    Ok(())
}

/// Compile `bytes`; an image that compiles must load and run (a fault is a fine outcome).
fn compile_and_run(bytes: &[u8], opts: &Options, mem: &[u8]) -> Result<(), TestCaseError> {
    let Ok(c) = rvo_compiler::compile_bytes(bytes, opts) else {
        return Ok(());
    };
    let mut dev = rvo_sim::open("model").map_err(|e| TestCaseError::fail(e.to_string()))?;
    let result = dev
        .load(&c.image)
        .and_then(|()| dev.run(&small_budget(mem)));
    prop_assert!(
        result.is_ok(),
        "compiled image refused or run failed: {:?}\n{}",
        result.err(),
        disasm::disassemble(&c.ebpf)
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(20_000))]

    #[test]
    fn random_bytes_compile_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..400),
                                    opts in options(),
                                    mem in proptest::collection::vec(any::<u8>(), 0..64)) {
        compile_and_run(&bytes, &opts, &mem)?;
    }

    #[test]
    fn shaped_programs_compile_or_fail(bytes in shaped_program(),
                                       opts in options(),
                                       mem in proptest::collection::vec(any::<u8>(), 0..64)) {
        compile_and_run(&bytes, &opts, &mem)?;
    }

    #[test]
    fn mostly_valid_programs_compile_or_fail(bytes in mostly_valid_program(),
                                             opts in options(),
                                             mem in proptest::collection::vec(any::<u8>(), 0..64)) {
        compile_and_run(&bytes, &opts, &mem)?;
    }
}

/// Mnemonics and other tokens of the assembler's syntax, to build text that gets past the
/// tokenizer into the operand and label checks.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "add", "add32", "sub", "mul32", "div", "sdiv", "smod32", "mod", "or", "and", "lsh", "rsh32",
    "arsh", "neg", "neg32", "mov", "mov32", "movsx864", "movsx1632", "le16", "be64", "bswap32",
    "swap64", "lddw", "ldxb", "ldxdw", "ldxsh", "stb", "stdw", "stxw", "stxdw", "lock", "fetch",
    "xchg", "cmpxchg32", "jeq", "jne32", "jsgt", "jslt32", "jset", "ja", "ja32", "exit", "call",
    "helper", "local", "runtime", ".insn", "%r0", "%r1", "%r9", "%r10", "%r11", "%r", "%r-1", "r1",
    "[%r10-8]", "[%r1+0x7fff]", "[%r2-32769]", "[", "]", "+", "-", ",", ":", "#", "0", "1", "-1",
    "+1", "-3", "0x", "0x80000000", "0xffffffff", "0x100000000", "2147483648", "-2147483649",
    "18446744073709551615", "-9223372036854775808", "0xffffffffffffffff",
    "99999999999999999999999", "lbl", "lbl:", "exit:", "_x.y:", "\n", "\n", " ", "\t", "é",
    "\u{0}",
];

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn random_text_assembles_or_fails(text in "(?s).{0,300}") {
        let _ = asm::assemble(&text);
    }

    #[test]
    fn random_bytes_as_text_assemble_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = asm::assemble(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_assembles_or_fails(tokens in proptest::collection::vec(select(TOKENS), 0..60),
                                     seps in proptest::collection::vec(select(vec![" ", ", ", "\n", ""]), 60)) {
        let text: String = tokens.iter().zip(seps.iter()).flat_map(|(t, s)| [*t, *s]).collect();
        let _ = asm::assemble(&text);
    }

    /// The disassembler prints any slots as text the assembler reads back to the same slots.
    #[test]
    fn disassembly_reassembles(slots in proptest::collection::vec(slot(), 0..24),
                               raw in proptest::collection::vec(any::<[u8; 8]>(), 0..4)) {
        let insns: Vec<Insn> = slots.iter().chain(raw.iter()).map(Insn::from_bytes).collect();
        let text = disasm::disassemble(&insns);
        let back = asm::assemble(&text);
        prop_assert!(back.as_ref() == Ok(&insns), "slots: {insns:?}\ntext:\n{text}\nassembled: {back:?}");
    }
}

/// Words with a real rvo opcode in the low byte and random or mostly-zero other fields.
fn rvo_word() -> impl Strategy<Value = u64> {
    let op = select(Opcode::ALL.to_vec()).prop_map(|op| op as u64);
    let fields = prop_oneof![
        any::<u64>(),
        // Small register numbers and offsets, so that unused fields are often zero.
        (0u64..16, 0u64..16, 0u64..8, any::<u32>()).prop_map(|(a, b, off, imm)| (a << 8)
            | (b << 12)
            | (off << 16)
            | (u64::from(imm) << 32)),
        (0u64..16, 0u64..16).prop_map(|(a, b)| (a << 8) | (b << 12)),
        Just(0u64),
    ];
    (op, fields).prop_map(|(op, fields)| (fields & !0xff) | op)
}

proptest! {
    #![proptest_config(config(200_000))]

    #[test]
    fn decode_round_trips(word in prop_oneof![any::<u64>(), rvo_word()]) {
        if let Ok(insn) = rvo_isa::Insn::decode(word) {
            prop_assert_eq!(insn.encode(), word, "{:?}", insn);
        }
    }
}

/// A well-formed rvo instruction word: a real opcode with the fields its format uses random
/// (registers r0..r15, branch targets among the first bundles) and the others zero.
fn valid_rvo_word() -> impl Strategy<Value = u64> {
    (
        select(Opcode::ALL.to_vec()),
        0u8..16,
        0u8..16,
        prop_oneof![0i16..16, any::<i16>()],
        imm(),
    )
        .prop_map(|(op, a, b, off, imm)| {
            let (a, b) = (
                Reg::new(a).expect("below 16"),
                Reg::new(b).expect("below 16"),
            );
            let zero = Reg::new(0).expect("r0");
            let insn = match op.format() {
                Format::None => rvo_isa::Insn::bare(op),
                Format::Rrr => rvo_isa::Insn::new(op, a, b, 0, imm & 0xf),
                Format::Rri => rvo_isa::Insn::new(op, a, b, 0, imm),
                Format::Rr => rvo_isa::Insn::new(op, a, b, 0, 0),
                Format::Ri => rvo_isa::Insn::new(op, a, zero, 0, imm),
                Format::Load | Format::Store | Format::Atomic | Format::BranchRr => {
                    rvo_isa::Insn::new(op, a, b, off, 0)
                }
                Format::StoreImm | Format::BranchRi => rvo_isa::Insn::new(op, a, zero, off, imm),
                Format::Jump => rvo_isa::Insn::new(op, zero, zero, off, 0),
                Format::Call => rvo_isa::Insn::new(op, zero, zero, off, imm),
                Format::Helper | Format::ExitImm => rvo_isa::Insn::new(op, zero, zero, 0, imm),
            };
            insn.encode()
        })
}

/// The data section after the code: usually empty, else random bytes, or small map and
/// program counts followed by random descriptors, entries and initial values.
fn data_section() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => proptest::collection::vec(any::<u8>(), 0..16),
        1 => (0u32..3, 0u32..3, proptest::collection::vec(any::<u8>(), 0..96)).prop_map(|(maps, progs, rest)| {
            let mut d = maps.to_le_bytes().to_vec();
            d.extend(progs.to_le_bytes());
            d.extend(rest);
            d
        }),
    ]
}

/// An image with a header that passes or nearly passes the checks and well-formed (or,
/// sometimes, random) code: most load, and then run whatever the code does.
fn plausible_image() -> impl Strategy<Value = Vec<u8>> {
    let exit = rvo_isa::Insn::bare(Opcode::Exit).encode();
    let code_word = prop_oneof![3 => Just(0u64), 8 => valid_rvo_word(), 1 => Just(exit)];
    // Occasional damage: a header byte replaced, a code word replaced by a random one, or the
    // image cut short.
    let damage = prop_oneof![
        6 => Just(Damage::None),
        1 => (0usize..32, any::<u8>()).prop_map(|(at, byte)| Damage::Header(at, byte)),
        1 => (any::<usize>(), prop_oneof![rvo_word(), any::<u64>()]).prop_map(|(at, w)| Damage::Word(at, w)),
        1 => any::<usize>().prop_map(Damage::Cut),
    ];
    (
        1u8..=4,
        1u32..12,
        0u32..12,
        0u32..=512,
        data_section(),
        proptest::collection::vec(code_word, 48),
        damage,
    )
        .prop_map(
            |(lanes, code_bundles, entry, stack_size, data, mut words, damage)| {
                let h = ImageHeader {
                    magic: IMAGE_MAGIC,
                    version: IMAGE_VERSION,
                    lanes,
                    reserved: 0,
                    code_bundles,
                    entry: entry % code_bundles,
                    stack_size,
                    data_len: data.len() as u32,
                    ebpf_insns: 0,
                    reserved2: 0,
                };
                let n = (code_bundles * u32::from(lanes)) as usize;
                // Branch targets inside the code, so that most images get past the load checks.
                for w in &mut words {
                    if let Ok(mut insn) = rvo_isa::Insn::decode(*w) {
                        if matches!(
                            insn.op.format(),
                            Format::BranchRr | Format::BranchRi | Format::Jump | Format::Call
                        ) {
                            insn.off = (insn.off as u16 % code_bundles as u16) as i16;
                            *w = insn.encode();
                        }
                    }
                }
                if let Damage::Word(at, w) = damage {
                    words[at % n] = w;
                }
                let mut bytes = h.to_bytes().to_vec();
                bytes.extend(words.iter().take(n).flat_map(|w| w.to_le_bytes()));
                bytes.extend(&data);
                match damage {
                    Damage::Header(at, byte) => bytes[at] = byte,
                    Damage::Cut(cut) => bytes.truncate(cut % (bytes.len() + 1)),
                    Damage::None | Damage::Word(..) => {}
                }
                bytes
            },
        )
}

/// How [`plausible_image`] spoils an image.
#[derive(Clone, Copy, Debug)]
enum Damage {
    None,
    Header(usize, u8),
    Word(usize, u64),
    Cut(usize),
}

/// A real image of a random (mostly valid) program, with a few bytes overwritten.
fn corrupted_image() -> impl Strategy<Value = Vec<u8>> {
    let asm_prog = select(vec![
        "mov %r0, 1\nexit",
        "mov %r0, 0\nmov %r2, 5\nlbl:\nadd %r0, %r2\nsub %r2, 1\njne %r2, 0, lbl\nexit",
        "stdw [%r10-8], 7\nldxdw %r0, [%r10-8]\njeq %r0, 7, +1\nmov %r0, 0\nexit",
        "ldxb %r0, [%r1]\ncall 5\nexit",
        "mov %r0, %r2\nlsh %r0, 3\ncall local f\nexit\nf:\nmov %r0, 2\nexit",
    ]);
    let edits = proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6);
    (asm_prog, 1u8..=4, edits).prop_map(|(src, lanes, edits)| {
        let insns = asm::assemble(src).expect("fixed test programs assemble");
        let c = rvo_compiler::compile_insns(
            &insns,
            &Options {
                lanes,
                optimize: true,
            },
        )
        .expect("fixed test programs compile");
        let mut image = c.image;
        for (at, byte) in edits {
            let i = at % image.len();
            image[i] = byte;
        }
        image
    })
}

proptest! {
    #![proptest_config(config(20_000))]

    #[test]
    fn random_bytes_parse_and_load_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = ImageView::parse(&bytes);
        load_and_run(&bytes, &[1, 2, 3])?;
    }

    #[test]
    fn plausible_images_load_and_run_or_fail(bytes in plausible_image(),
                                            mem in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(view) = ImageView::parse(&bytes) {
            prop_assert!(bytes.len() >= view.header.image_len());
        }
        load_and_run(&bytes, &mem)?;
    }

    #[test]
    fn corrupted_images_load_and_run_or_fail(bytes in corrupted_image(),
                                            mem in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = ImageView::parse(&bytes);
        load_and_run(&bytes, &mem)?;
    }
}

/// The generators above must reach the interesting paths, not only the first error check:
/// shaped programs that compile and run, plausible images that load and run to the end.
#[test]
fn generators_reach_past_the_first_checks() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut compiled, mut loaded, mut exited) = (0, 0, 0);
    for _ in 0..2_000 {
        let bytes = shaped_program()
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        compiled += usize::from(rvo_compiler::compile_bytes(&bytes, &Options::default()).is_ok());
        let image = plausible_image()
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let mut dev = rvo_sim::open("model").expect("the model exists");
        if dev.load(&image).is_ok() {
            loaded += 1;
            let out = dev
                .run(&small_budget(&[0; 16]))
                .expect("a loaded image runs");
            exited += usize::from(out.fault.is_none());
        }
    }
    eprintln!("of 2000: {compiled} shaped programs compiled, {loaded} images loaded, {exited} ran to exit");
    assert!(
        compiled >= 100,
        "only {compiled} of 2000 shaped programs compiled"
    );
    assert!(
        loaded >= 100,
        "only {loaded} of 2000 plausible images loaded"
    );
    assert!(
        exited >= 10,
        "only {exited} of 2000 plausible images ran to their exit"
    );
}
