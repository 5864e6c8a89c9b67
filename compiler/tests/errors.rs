//! Every way a program can be refused, each with the instruction and reason in the message.

use rvo_compiler::asm::assemble;
use rvo_compiler::{compile_bytes, compile_insns, ErrorKind, Options};

/// Compile assembly and return the error message (the test fails if it compiles).
fn error_of(src: &str) -> (Option<usize>, ErrorKind, String) {
    let prog = assemble(src).expect("test assembly is valid");
    match compile_insns(&prog, &Options::default()) {
        Ok(_) => panic!("compiled, but should have been refused:\n{src}"),
        Err(e) => (e.pc, e.kind, e.to_string()),
    }
}

#[test]
fn unsupported_helper_is_named() {
    let (pc, kind, msg) = error_of("mov %r1, 0\ncall 6\nexit");
    assert_eq!(pc, Some(1));
    assert_eq!(kind, ErrorKind::UnsupportedHelper(6));
    assert_eq!(
        msg,
        "instruction 1 (`call 6`): helper bpf_trace_printk (#6) has no rvo hardware unit"
    );
}

#[test]
fn kfunc_and_callx_are_refused() {
    let (pc, kind, _) = error_of("mov %r0, 0\ncall runtime 77\nexit");
    assert_eq!((pc, kind), (Some(1), ErrorKind::Kfunc(77)));
    let (pc, kind, msg) = error_of("mov %r2, 5\ncall %r2\nexit");
    assert_eq!((pc, kind), (Some(1), ErrorKind::IndirectCall));
    assert!(msg.contains("`call %r2`"), "{msg}");
}

#[test]
fn falling_off_the_end() {
    let (pc, kind, _) = error_of("mov %r0, 0\nadd %r0, 1");
    assert_eq!((pc, kind), (Some(1), ErrorKind::FallsOffEnd));
    // A subprogram that falls into the next one.
    let (pc, kind, _) = error_of("call local f\nexit\nf:\nmov %r0, 1\ng:\nexit\ncall local g");
    assert_eq!(kind, ErrorKind::FallsOffEnd, "at {pc:?}");
}

#[test]
fn jumps_must_stay_inside() {
    let bytes: Vec<u8> = [
        [0x05u8, 0, 5, 0, 0, 0, 0, 0], // ja +5: past the end
        [0x95, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    let e = compile_bytes(&bytes, &Options::default()).expect_err("must be refused");
    assert_eq!((e.pc, e.kind), (Some(0), ErrorKind::BadJumpTarget(6)));
    // Into the second half of an lddw.
    let e = error_of("ja +1\nlddw %r0, 0x100000000\nexit");
    assert_eq!((e.0, e.1), (Some(0), ErrorKind::BadJumpTarget(2)));
    // Out of a function into another.
    let e = error_of("call local f\nja g\nf:\nmov %r0, 1\ng:\nexit");
    assert_eq!(e.1, ErrorKind::BadJumpTarget(3));
}

#[test]
fn recursion_and_depth() {
    let (pc, kind, _) = error_of("call local f\nexit\nf:\ncall local f\nexit");
    assert_eq!((pc, kind), (Some(2), ErrorKind::Recursion));
    // Nine nested frames: one more than the hardware call stack.
    let mut src = String::from("call local f1\nexit\n");
    for i in 1..=8 {
        src.push_str(&format!("f{i}:\ncall local f{}\nexit\n", i + 1));
    }
    src.push_str("f9:\nmov %r0, 0\nexit\n");
    let (_, kind, msg) = error_of(&src);
    assert!(matches!(kind, ErrorKind::CallDepth(n) if n > 8), "{msg}");
}

#[test]
fn stack_is_bounded_across_frames() {
    // 512 bytes in the caller leave nothing for a callee that uses the stack.
    let src = "stdw [%r10-512], 1\ncall local f\nexit\nf:\nstdw [%r10-8], 2\nmov %r0, 0\nexit";
    let (pc, kind, msg) = error_of(src);
    assert_eq!((pc, kind), (None, ErrorKind::StackTooLarge(520)), "{msg}");
}

#[test]
fn too_many_instructions() {
    let mut src = "mov %r0, 0\n".repeat(4096);
    src.push_str("exit\n");
    let (_, kind, _) = error_of(&src);
    assert_eq!(kind, ErrorKind::TooManyInstructions(4097));
}

#[test]
fn map_references_must_name_a_map() {
    // lddw with src = BPF_PSEUDO_MAP_FD.
    let bytes: Vec<u8> = [
        [0x18u8, 0x11, 0, 0, 3, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    let e = compile_bytes(&bytes, &Options::default()).expect_err("must be refused");
    assert_eq!((e.pc, e.kind), (Some(0), ErrorKind::BadMapIndex(3)));
}

#[test]
fn writes_to_r10_and_bad_registers() {
    let bytes: Vec<u8> = [
        [0xb7u8, 0x0a, 0, 0, 1, 0, 0, 0],
        [0x95, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    let e = compile_bytes(&bytes, &Options::default()).expect_err("must be refused");
    assert_eq!(e.kind, ErrorKind::WriteToFramePointer);
    let bytes: Vec<u8> = [
        [0xbfu8, 0xc0, 0, 0, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    let e = compile_bytes(&bytes, &Options::default()).expect_err("must be refused");
    assert_eq!(e.kind, ErrorKind::BadRegister(12));
}

#[test]
fn partial_and_empty_programs() {
    let e = compile_bytes(&[0x95, 0, 0], &Options::default()).expect_err("must be refused");
    assert_eq!(e.kind, ErrorKind::PartialInstruction(3));
    let e = compile_bytes(&[], &Options::default()).expect_err("must be refused");
    assert_eq!(e.kind, ErrorKind::Empty);
}

#[test]
fn lanes_are_checked() {
    let prog = assemble("exit").expect("valid");
    for lanes in [0, 5] {
        let e = compile_insns(
            &prog,
            &Options {
                lanes,
                optimize: true,
            },
        )
        .expect_err("must be refused");
        assert_eq!(e.kind, ErrorKind::BadLanes(lanes));
    }
}

#[test]
fn frames_follow_stack_pointers_through_registers() {
    // clang's way to pass a key: r2 = r10 - 20. The caller's frame is 24 bytes, so the callee
    // (frame 488) still fits the 512-byte stack.
    let src = "mov %r2, %r10\nadd %r2, -20\nstw [%r2+0], 1\ncall local f\nexit\n\
               f:\nstdw [%r10-488], 1\nmov %r0, 0\nexit";
    let prog = assemble(src).expect("valid");
    let c = compile_insns(&prog, &Options::default()).expect("fits the stack");
    assert_eq!(c.info.header.stack_size, 24 + 488);
    // One byte more in the callee does not fit.
    let e = error_of(&src.replace("-488", "-496"));
    assert_eq!(e.1, ErrorKind::StackTooLarge(24 + 496));
    // A stack pointer spilled to memory cannot be followed: the frame takes the whole stack.
    let spilled = "mov %r2, %r10\nadd %r2, -8\nstxdw [%r10-16], %r2\ncall local f\nexit\nf:\nstdw [%r10-8], 1\nexit";
    let e = error_of(spilled);
    assert_eq!(e.1, ErrorKind::StackTooLarge(512 + 8));
}
