//! The model against hand-built images: bounds checks, watchdog, call stack, bundle semantics
//! and the cycle rule, each stated by `rvo-isa` and checked here without the compiler.

use rvo_isa::region::{Region, STACK_SIZE, TAKEN_BRANCH_PENALTY};
use rvo_isa::{Fault, ImageHeader, Insn, Opcode as O, Reg, Verdict, IMAGE_MAGIC, IMAGE_VERSION};
use rvo_sim::{Device, DeviceError, IsaModel, RunInput, RunOutcome};

fn r(n: u8) -> Reg {
    Reg::new(n).expect("register")
}

/// An image of `bundles`, each a list of lanes (padded with nops).
fn image(lanes: usize, bundles: &[&[Insn]]) -> Vec<u8> {
    let header = ImageHeader {
        magic: IMAGE_MAGIC,
        version: IMAGE_VERSION,
        lanes: lanes as u8,
        code_bundles: bundles.len() as u32,
        stack_size: STACK_SIZE,
        ..ImageHeader::default()
    };
    let mut out = header.to_bytes().to_vec();
    for b in bundles {
        for lane in 0..lanes {
            let insn = b.get(lane).copied().unwrap_or(Insn::bare(O::Nop));
            out.extend_from_slice(&insn.encode().to_le_bytes());
        }
    }
    out
}

fn run(lanes: usize, bundles: &[&[Insn]], mem: &[u8]) -> RunOutcome {
    let mut m = IsaModel::new();
    m.load(&image(lanes, bundles)).expect("image loads");
    m.run(&RunInput::raw(mem)).expect("runs")
}

fn fault_of(out: &RunOutcome) -> Fault {
    assert_eq!(out.verdict, Verdict::Aborted);
    out.fault.expect("run must fault").fault
}

#[test]
fn loads_inside_memory_and_faults_outside() {
    let ld = |off| Insn::new(O::Ldw, r(0), r(1), off, 0);
    let exit = Insn::bare(O::Exit);
    let ok = run(
        1,
        &[&[ld(4)], &[exit]],
        &[0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12],
    );
    assert_eq!((ok.r0, ok.fault), (0x1234_5678, None));
    let bad = run(1, &[&[ld(5)], &[exit]], &[0; 8]);
    let addr = Region::Packet.addr(5);
    assert_eq!(
        fault_of(&bad),
        Fault::OutOfBounds {
            addr,
            size: 4,
            region: Some(Region::Packet)
        }
    );
    // A NULL pointer has no region.
    let null = run(1, &[&[Insn::new(O::Ldb, r(0), r(3), 0, 0)], &[exit]], &[]);
    assert_eq!(
        fault_of(&null),
        Fault::OutOfBounds {
            addr: 0,
            size: 1,
            region: None
        }
    );
}

#[test]
fn stack_bounds_and_read_only_ctx() {
    let exit = Insn::bare(O::Exit);
    let above = run(1, &[&[Insn::new(O::Stid, r(10), r(0), 0, 1)], &[exit]], &[]);
    assert!(matches!(
        fault_of(&above),
        Fault::OutOfBounds {
            region: Some(Region::Stack),
            ..
        }
    ));
    let ctx = Insn::ri(O::Movi32, r(2), 0);
    let hi = Insn::rri(O::Movhi, r(2), r(2), Region::Ctx as i32);
    let store = Insn::new(O::Stib, r(2), r(0), 0, 1);
    let out = run(1, &[&[ctx], &[hi], &[store], &[exit]], &[]);
    assert_eq!(
        fault_of(&out),
        Fault::ReadOnly {
            addr: Region::Ctx.addr(0)
        }
    );
}

#[test]
fn watchdog_ends_endless_loops() {
    let mut m = IsaModel::new();
    m.load(&image(1, &[&[Insn::branch(O::Ja, r(0), r(0), 0, 0)]]))
        .expect("loads");
    let out = m
        .run(&RunInput {
            budget: 1000,
            ..RunInput::raw(&[])
        })
        .expect("runs");
    assert_eq!(fault_of(&out), Fault::Watchdog { budget: 1000 });
    assert!(out.cycles > 1000 && out.cycles <= 1000 + 2);
    assert_eq!(m.counters().faults, 1);
    assert_eq!(m.counters().verdicts[Verdict::Aborted as usize], 1);
}

#[test]
fn calls_save_registers_and_move_the_frame() {
    // main: r6 = 7; call f (frame 16); r0 = r6 + r0; exit. f: r6 = 100; r0 = r10; ret.
    let prog: &[&[Insn]] = &[
        &[Insn::ri(O::Movi, r(6), 7)],
        &[Insn::new(O::Call, r(0), r(0), 4, 16)],
        &[Insn::rrr(O::Add64, r(0), r(0), r(6))],
        &[Insn::bare(O::Exit)],
        &[Insn::ri(O::Movi, r(6), 100)],
        &[Insn::rr(O::Mov64, r(0), r(10))],
        &[Insn::bare(O::Ret)],
    ];
    let out = run(1, prog, &[]);
    assert_eq!(out.fault, None);
    assert_eq!(out.r0, Region::Stack.addr(STACK_SIZE - 16) + 7);
    let ret_only = run(1, &[&[Insn::bare(O::Ret)]], &[]);
    assert_eq!(fault_of(&ret_only), Fault::ReturnWithoutCall);
    let deep = run(1, &[&[Insn::new(O::Call, r(0), r(0), 0, 0)]], &[]);
    assert_eq!(fault_of(&deep), Fault::CallStackOverflow);
}

#[test]
fn lanes_read_registers_at_bundle_start() {
    // Swap r1 and r2 in one bundle, then r0 = r1 - r2.
    let prog: &[&[Insn]] = &[
        &[Insn::ri(O::Movi, r(1), 5), Insn::ri(O::Movi, r(2), 3)],
        &[
            Insn::rr(O::Mov64, r(1), r(2)),
            Insn::rr(O::Mov64, r(2), r(1)),
        ],
        &[Insn::rrr(O::Sub64, r(0), r(1), r(2))],
        &[Insn::bare(O::Exit)],
    ];
    let out = run(2, prog, &[]);
    assert_eq!(out.r0, (3u64).wrapping_sub(5));
    assert_eq!(out.bundles, 4);
}

#[test]
fn cycles_follow_the_isa_rule() {
    // 1 (movi) + 66 (div, slowest lane) + 1 + penalty (taken branch) + 1 (exiti).
    let prog: &[&[Insn]] = &[
        &[Insn::ri(O::Movi, r(1), 100)],
        &[
            Insn::rri(O::Div64I, r(1), r(1), 7),
            Insn::ri(O::Movi, r(3), 1),
        ],
        &[Insn::branch(O::JeqI, r(3), r(0), 1, 4)],
        &[Insn::ri(O::ExitI, r(0), 9)],
        &[Insn::ri(O::ExitI, r(0), 2)],
    ];
    let out = run(2, prog, &[]);
    assert_eq!((out.r0, out.verdict), (2, Verdict::Pass));
    assert_eq!(out.cycles, 1 + 66 + 1 + TAKEN_BRANCH_PENALTY as u64 + 1);
}

#[test]
fn bad_images_are_refused() {
    let mut m = IsaModel::new();
    let two_writers: &[&[Insn]] = &[
        &[Insn::ri(O::Movi, r(1), 1), Insn::ri(O::Movi, r(1), 2)],
        &[Insn::bare(O::Exit)],
    ];
    assert!(matches!(
        m.load(&image(2, two_writers)),
        Err(DeviceError::Bundle { bundle: 0, .. })
    ));
    let far: &[&[Insn]] = &[&[Insn::branch(O::Ja, r(0), r(0), 0, 9)]];
    assert!(matches!(
        m.load(&image(1, far)),
        Err(DeviceError::BadTarget {
            bundle: 0,
            target: 9
        })
    ));
    let mut garbage = image(1, &[&[Insn::bare(O::Exit)]]);
    let last = garbage.len() - 8;
    garbage[last] = 0xee;
    assert!(matches!(
        m.load(&garbage),
        Err(DeviceError::Decode {
            bundle: 0,
            lane: 0,
            ..
        })
    ));
    assert!(matches!(
        IsaModel::new().run(&RunInput::raw(&[])),
        Err(DeviceError::NoImage)
    ));
    // A refused image leaves the loaded program in place: replacement is all or nothing.
    m.load(&image(1, &[&[Insn::ri(O::ExitI, r(0), 3)]]))
        .expect("loads");
    assert!(m.load(&garbage).is_err());
    assert_eq!(m.run(&RunInput::raw(&[])).expect("runs").r0, 3);
}

#[test]
fn helpers_are_units() {
    let prog: &[&[Insn]] = &[
        &[Insn::ri(O::Helper, r(0), 7)],
        &[Insn::rr(O::Mov64, r(6), r(0))],
        &[Insn::ri(O::Helper, r(0), 7)],
        &[Insn::rrr(O::Xor64, r(0), r(0), r(6))],
        &[Insn::bare(O::Exit)],
    ];
    let out = run(1, prog, &[]);
    assert_eq!(out.fault, None);
    assert_ne!(out.r0, 0, "two prandom values must differ");
    let unknown = run(
        1,
        &[&[Insn::ri(O::Helper, r(0), 6)], &[Insn::bare(O::Exit)]],
        &[],
    );
    assert_eq!(fault_of(&unknown), Fault::UnknownHelper(6));
}

/// Inputs a device cannot hold are refused, not run (and never panic): frames longer than
/// `MAX_PACKET`, even those too long for the buffer behind the headroom, and runts.
#[test]
fn oversized_and_runt_inputs_are_refused() {
    let mut m = IsaModel::new();
    m.load(&image(1, &[&[Insn::bare(O::Exit)]])).expect("loads");
    let max = rvo_isa::region::MAX_PACKET as usize;
    for len in [max + 1, rvo_isa::region::PACKET_BUFFER as usize] {
        let frame = vec![0u8; len];
        assert!(matches!(
            m.run(&RunInput::xdp(&frame)),
            Err(DeviceError::InputTooLarge { .. })
        ));
    }
    assert!(matches!(
        m.run(&RunInput::xdp(&[0u8; 13])),
        Err(DeviceError::Runt { len: 13 })
    ));
    assert!(m.run(&RunInput::xdp(&vec![0u8; max])).is_ok());
}
