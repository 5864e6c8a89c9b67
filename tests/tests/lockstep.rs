//! The RTL (the rust-hdl core under Verilator) in lockstep with the ISA model: every
//! conformance program, compiled for one lane, runs traced on both (`rvo_rtl::lockstep`), and
//! the first completed bundle whose pc, cycle count or register writes differ is reported with
//! its bundle index, pc, rvo instruction and the eBPF instruction it came from; then r0,
//! verdict, fault, cycles, bundle and instruction counts and memory must agree.
//!
//! The XDP corpus runs on `--device lockstep` with its maps files and packets (helpers, map
//! engines, tail calls, redirects, packet moves; map memory compared after every run). Without
//! Verilator (or clang, for the corpus) the tests skip, or fail when `CI=true`.

use rvo_cli::conformance::{data_dir, data_files, program_bytes, OPT_IN};
use rvo_cli::devices::rvo_rtl::{self, RtlDevice};
use rvo_compiler::data_file::DataFile;
use rvo_compiler::disasm::Disasm;
use rvo_compiler::ebpf;
use rvo_sim::{Device, IsaModel, RunInput, RunOutcome};
use std::path::Path;

fn rtl_or_skip() -> Option<RtlDevice> {
    let made = rvo_rtl::available().and_then(|()| RtlDevice::new(None));
    match made {
        Ok(dev) => Some(dev),
        Err(why) if rvo_tests::in_ci() => panic!("the RTL device is required in CI: {why}"),
        Err(why) => {
            eprintln!("skipping the RTL lockstep: {why}");
            None
        }
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One program, compiled for one lane.
struct Case {
    name: String,
    image: Vec<u8>,
    mem: Vec<u8>,
    budget: u64,
    /// The compiler's source map (bundle, lane, eBPF slot) and the eBPF program.
    source: Source,
}

#[derive(Default)]
struct Source {
    map: Vec<(usize, usize, usize)>,
    ebpf: Vec<ebpf::Insn>,
}

impl Source {
    fn of(c: &rvo_compiler::Compiled) -> Source {
        Source {
            map: c.source_map.clone(),
            ebpf: c.ebpf.clone(),
        }
    }

    /// The eBPF instruction bundle `pc` came from, as text.
    fn at(&self, pc: u32) -> Option<String> {
        let &(_, _, slot) = self.map.iter().find(|(b, _, _)| *b == pc as usize)?;
        self.ebpf.get(slot)?;
        Some(format!(
            "eBPF #{slot} `{}`",
            Disasm {
                insns: &self.ebpf,
                pc: slot
            }
        ))
    }
}

enum Prepared {
    Run(Case),
    /// The compiler refuses it (as it does for every device).
    NotCompiled(String),
}

fn prepare(path: &Path) -> Prepared {
    let name = name_of(path);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let compiled = DataFile::parse(&text)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            let prog = program_bytes(&file)?;
            let opts = rvo_compiler::Options {
                lanes: 1,
                optimize: true,
            };
            let c = rvo_compiler::compile_bytes(&prog, &opts).map_err(|e| e.to_string())?;
            let source = Source::of(&c);
            Ok((c.image, file.mem, source))
        });
    let (image, mem, source) = match compiled {
        Ok(x) => x,
        Err(why) => return Prepared::NotCompiled(format!("{name}: {why}")),
    };
    Prepared::Run(Case {
        name,
        image,
        mem,
        budget: rvo_isa::region::DEFAULT_CYCLE_BUDGET,
        source,
    })
}

fn run_model(image: &[u8], input: &RunInput<'_>) -> RunOutcome {
    let mut model = IsaModel::new();
    model
        .load(image)
        .expect("the model loads what the compiler made");
    model.run(input).expect("the model runs it")
}

/// Compare one program; `Err` names the first divergence.
fn lockstep(case: &Case, rtl: &mut RtlDevice) -> Result<(), String> {
    let input = RunInput {
        budget: case.budget,
        ..RunInput::raw(&case.mem)
    };
    let report = rvo_rtl::lockstep::lockstep(rtl, &case.image, &input)
        .map_err(|e| format!("{}: a device refuses it: {e}", case.name))?;
    let Some(d) = report.divergence else {
        return Ok(());
    };
    let ebpf =
        d.pc.and_then(|pc| case.source.at(pc))
            .map_or_else(String::new, |e| format!(", from {e}"));
    Err(format!(
        "{}: first divergence at bundle #{} (@{} `{}`{ebpf}): {}",
        case.name,
        d.index,
        d.pc.map_or("-".into(), |pc| pc.to_string()),
        d.insn,
        d.what
    ))
}

#[test]
fn conformance_programs_run_in_lockstep_on_rtl_and_model() {
    let Some(mut rtl) = rtl_or_skip() else {
        return;
    };
    let dir = data_dir().join("tests");
    let files = match data_files(&dir) {
        Ok(f) if !f.is_empty() => f,
        _ if rvo_tests::in_ci() => panic!("conformance data missing at {}", dir.display()),
        _ => {
            eprintln!("skipping: no conformance data at {}", dir.display());
            return;
        }
    };
    let (mut ran, mut refused, mut diverged) = (0, vec![], vec![]);
    for path in &files {
        if OPT_IN.contains(&name_of(path).as_str()) {
            continue;
        }
        match prepare(path) {
            Prepared::Run(case) => {
                ran += 1;
                let t = std::time::Instant::now();
                let r = lockstep(&case, &mut rtl);
                if std::env::var_os("RVO_LOCKSTEP_TIMES").is_some() {
                    eprintln!(
                        "{} {:.3}s {:?}",
                        case.name,
                        t.elapsed().as_secs_f64(),
                        r.as_ref().err()
                    );
                }
                if let Err(why) = r {
                    diverged.push(why);
                }
            }
            Prepared::NotCompiled(why) => refused.push(why),
        }
    }
    println!(
        "lockstep (bundle by bundle): {ran} ran on RTL and model, {} diverged; {} not compiled \
         (refused for every device)",
        diverged.len(),
        refused.len()
    );
    for why in &refused {
        println!("  not compiled: {why}");
    }
    assert!(
        diverged.is_empty(),
        "{} of {ran} programs diverge:\n{}",
        diverged.len(),
        diverged.join("\n")
    );
    assert!(ran >= 300, "only {ran} programs ran");
}

/// The XDP corpus (maps, helpers, tail calls, redirects) on `--device lockstep`.
#[test]
fn corpus_runs_in_lockstep_on_rtl_and_model() {
    if rtl_or_skip().is_none() {
        return;
    }
    let objects = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-lockstep");
    if let Err(e) = rvo_cli::corpus::build(&objects) {
        assert!(!rvo_tests::in_ci(), "{e:#}");
        eprintln!("skipping: {e:#}");
        return;
    }
    let opts = rvo_compiler::Options {
        lanes: 1,
        optimize: true,
    };
    let entries = rvo_cli::corpus::manifest().expect("manifest reads");
    let mut failures = Vec::new();
    let mut packets = 0;
    for e in &entries {
        match rvo_cli::corpus::lockstep_entry(e, &objects, &opts) {
            Ok(n) => packets += n,
            Err(err) => failures.push(format!("{}: {err:#}", e.object)),
        }
    }
    println!(
        "corpus lockstep: {} programs, {packets} packets",
        entries.len()
    );
    assert!(
        failures.is_empty(),
        "{} corpus programs diverge:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Faults end both runs the same way: out of bounds, a store to the context, calls too deep,
/// the watchdog, helpers given bad maps or buffers; and helpers outside XDP.
#[test]
fn faults_match_the_model() {
    let Some(mut rtl) = rtl_or_skip() else {
        return;
    };
    let cases: &[(&str, &str)] = &[
        ("oob_load", "ldxw %r0, [%r1+4096]\nexit"),
        ("oob_store", "stw [%r1+8], 1\nmov %r0, 0\nexit"),
        ("null", "mov %r2, 0\nldxb %r0, [%r2]\nexit"),
        ("ctx_store", "lddw %r2, 0x100000000\nstb [%r2], 1\nexit"),
        ("stack_below", "ldxdw %r0, [%r10-520]\nexit"),
        ("loop", "mov %r0, 0\nadd %r0, 1\nja -2\nexit"),
        (
            "div",
            "mov %r0, 7\nmov %r2, 0\ndiv %r0, %r2\nmod %r0, 3\nexit",
        ),
        // Helper units outside XDP: bad handles and buffers fault where the model's byte-wise
        // reads do; the rest return what the model returns.
        ("helper_bad_map", "mov %r1, 0\nmov %r2, 0\ncall 1\nexit"),
        (
            "csum_bad_ptr",
            "mov %r1, 8\nmov %r2, 4\nmov %r3, %r10\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit",
        ),
        (
            "csum_past_stack",
            "mov %r1, %r10\nadd %r1, -8\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -4\nmov %r4, 8\n\
             mov %r5, 0\ncall 28\nexit",
        ),
        (
            "csum_stack",
            "stdw [%r10-8], 0x1234\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r10\n\
             add %r3, -8\nmov %r4, 6\nmov %r5, 7\ncall 28\nexit",
        ),
        (
            "ktime_prandom",
            "call 5\nmov %r6, %r0\ncall 7\nadd %r0, %r6\ncall 7\nexit",
        ),
        ("smp_id", "mov %r0, 9\ncall 8\nexit"),
        ("tail_call_bad_map", "mov %r2, 0\nmov %r3, 0\ncall 12\nexit"),
        ("redirect", "mov %r1, 3\nmov %r2, 0\ncall 23\nexit"),
        ("redirect_flags", "mov %r1, 3\nmov %r2, 1\ncall 23\nexit"),
        ("adjust_head_raw", "mov %r2, 2\ncall 44\nexit"),
        ("adjust_head_below", "mov %r2, -2\ncall 44\nexit"),
        ("adjust_tail_raw", "mov %r2, -2\ncall 65\nexit"),
        ("adjust_meta_raw", "mov %r2, -4\ncall 54\nexit"),
        (
            "load_bytes_raw",
            "mov %r2, 1\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 9\ncall 189\n\
             ldxdw %r0, [%r10-16]\nexit",
        ),
        (
            "load_bytes_past",
            "mov %r2, 10\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 9\ncall 189\nexit",
        ),
        (
            "load_bytes_bad_buf",
            "mov %r2, 1\nmov %r3, %r10\nadd %r3, -4\nmov %r4, 9\ncall 189\nexit",
        ),
        (
            "store_bytes_raw",
            "stdw [%r10-8], -1\nmov %r6, %r1\nmov %r2, 3\nmov %r3, %r10\nadd %r3, -8\n\
             mov %r4, 5\ncall 190\nldxdw %r0, [%r6+0]\nexit",
        ),
    ];
    for (name, asm) in cases {
        let prog = rvo_compiler::asm::assemble(asm).expect("assembles");
        let opts = rvo_compiler::Options {
            lanes: 1,
            optimize: true,
        };
        let c = rvo_compiler::compile_insns(&prog, &opts).expect("compiles");
        let mem = [7u8; 16];
        let case = Case {
            name: name.to_string(),
            source: Source::of(&c),
            image: c.image,
            mem: mem.to_vec(),
            budget: 500,
        };
        if let Err(why) = lockstep(&case, &mut rtl) {
            panic!("{why}");
        }
    }
}

/// Simulation speed of the Verilated core: prime.data (short, run repeatedly: harness
/// overhead included) and a loop of a few million cycles (the core alone).
#[test]
fn rtl_simulation_speed() {
    let Some(mut rtl) = rtl_or_skip() else {
        return;
    };
    let path = data_dir().join("tests/prime.data");
    if let Prepared::Run(case) = prepare(&path) {
        rtl.load(&case.image).expect("loads");
        let input = RunInput::raw(&case.mem);
        let (runs, t) = (50, std::time::Instant::now());
        let cycles: u64 = (0..runs)
            .map(|_| rtl.run(&input).expect("runs").cycles)
            .sum();
        let dt = t.elapsed().as_secs_f64();
        println!(
            "RTL simulation: {runs} x {}: {cycles} core cycles in {dt:.3} s = {:.2} M cycles/s",
            case.name,
            cycles as f64 / dt / 1e6
        );
    }
    let asm =
        "mov %r0, 0\nmov %r3, 0\nadd %r0, 1\nxor %r3, %r0\nmul %r3, 3\njlt %r0, 300000, -4\nexit";
    let prog = rvo_compiler::asm::assemble(asm).expect("assembles");
    let opts = rvo_compiler::Options {
        lanes: 1,
        optimize: true,
    };
    let image = rvo_compiler::compile_insns(&prog, &opts)
        .expect("compiles")
        .image;
    let input = RunInput {
        budget: 10_000_000,
        ..RunInput::raw(&[])
    };
    rtl.load(&image).expect("loads");
    let t = std::time::Instant::now();
    let got = rtl.run(&input).expect("runs");
    let dt = t.elapsed().as_secs_f64();
    let want = run_model(&image, &input);
    assert_eq!(
        (got.r0, got.cycles, got.fault),
        (want.r0, want.cycles, want.fault)
    );
    println!(
        "RTL simulation: loop of {} cycles in {dt:.3} s = {:.2} M cycles/s",
        got.cycles,
        got.cycles as f64 / dt / 1e6
    );
}

/// Random operands through every ALU, multiplier, divider and branch form, 32 and 64 bits,
/// register and immediate: the RTL's arithmetic against the model's.
#[test]
fn random_arithmetic_matches_the_model() {
    let Some(mut rtl) = rtl_or_skip() else {
        return;
    };
    let binary = [
        "add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh", "arsh",
    ];
    let unary = [
        "neg", "be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32", "bswap64",
    ];
    let moves = [
        "movsx864",
        "movsx1664",
        "movsx3264",
        "movsx832",
        "movsx1632",
    ];
    let jumps = [
        "jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset",
    ];
    let special = [
        0,
        1,
        u64::MAX,
        1 << 63,
        (1 << 63) - 1,
        0x8000_0000,
        0xffff_ffff,
        0x7fff_ffff,
        0xffff_ffff_8000_0000,
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let value = |r: u64, pick: u64| {
        if pick.is_multiple_of(3) {
            special[(r % special.len() as u64) as usize]
        } else if pick % 3 == 1 {
            r % 64
        } else {
            r
        }
    };
    let (mut failures, mut ran) = (Vec::new(), 0);
    for i in 0..600 {
        let (r1, r2, r3) = (rnd(), rnd(), rnd());
        let (a, b) = (value(r1, r3), value(r2, r3 >> 8));
        let w = if r3 >> 16 & 1 == 1 { "32" } else { "" };
        let imm = (b as i64 as i32).to_string();
        let src = if r3 >> 17 & 1 == 1 { imm } else { "%r4".into() };
        let body = match i % 4 {
            0 | 1 => format!(
                "{}{w} %r3, {src}",
                binary[(r3 >> 20) as usize % binary.len()]
            ),
            2 if r3 >> 24 & 1 == 1 => format!("{} %r3, %r4", moves[(r3 >> 25) as usize % 5]),
            2 => {
                let u = unary[(r3 >> 25) as usize % unary.len()];
                if u == "neg" {
                    format!("neg{w} %r3")
                } else {
                    format!("{u} %r3")
                }
            }
            _ => format!(
                "mov %r0, 1\n{}{w} %r3, {src}, +1\nmov %r0, 2\nexit",
                jumps[(r3 >> 20) as usize % jumps.len()]
            ),
        };
        let asm = if i % 4 == 3 {
            format!("lddw %r3, {a:#x}\nlddw %r4, {b:#x}\n{body}")
        } else {
            format!("lddw %r3, {a:#x}\nlddw %r4, {b:#x}\n{body}\nmov %r0, %r3\nexit")
        };
        let Ok(prog) = rvo_compiler::asm::assemble(&asm) else {
            failures.push(format!("does not assemble:\n{asm}"));
            continue;
        };
        let opts = rvo_compiler::Options {
            lanes: 1,
            optimize: true,
        };
        let c = match rvo_compiler::compile_insns(&prog, &opts) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("does not compile ({e}):\n{asm}"));
                continue;
            }
        };
        ran += 1;
        let case = Case {
            name: asm.replace('\n', "; "),
            source: Source::of(&c),
            image: c.image,
            mem: Vec::new(),
            budget: 1000,
        };
        if let Err(why) = lockstep(&case, &mut rtl) {
            failures.push(why);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 600 random programs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("random arithmetic: {ran} programs in lockstep");
}

/// XDP programs without helpers or maps on the RTL's context unit and the model: `xdp_md`
/// loads (data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex), the
/// packet at the headroom (reads, writes, bounds at data_meta and data_end), faults of the
/// context (stores, wrong sizes and offsets, atomics), over packets of several sizes and two
/// interface/queue pairs.
#[test]
fn xdp_programs_run_in_lockstep_on_rtl_and_model() {
    let Some(mut rtl) = rtl_or_skip() else {
        return;
    };
    let programs: &[(&str, &str)] = &[
        (
            "parse_eth",
            "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\nmov %r0, 1\n\
             jgt %r4, %r3, +3\nldxh %r5, [%r2+12]\njne %r5, 8, +1\nmov %r0, 2\nexit",
        ),
        (
            "swap_macs",
            "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\nmov %r0, 2\n\
             jgt %r4, %r3, +9\nldxw %r5, [%r2+0]\nldxh %r6, [%r2+4]\nldxw %r7, [%r2+6]\n\
             ldxh %r8, [%r2+10]\nstxw [%r2+0], %r7\nstxh [%r2+4], %r8\nstxw [%r2+6], %r5\n\
             stxh [%r2+10], %r6\nmov %r0, 3\nexit",
        ),
        (
            "ctx_fields",
            "ldxw %r2, [%r1+12]\nldxw %r3, [%r1+16]\nldxw %r4, [%r1+20]\nldxw %r5, [%r1+8]\n\
             ldxw %r6, [%r1+0]\nsub %r5, %r6\nlsh %r2, 8\nor %r2, %r3\nor %r2, %r4\n\
             or %r2, %r5\nmov %r0, %r2\nexit",
        ),
        ("data_end", "ldxw %r0, [%r1+4]\nexit"),
        (
            "last_byte",
            "ldxw %r2, [%r1+4]\nldxb %r0, [%r2-1]\nstb [%r2-1], 0x5a\nexit",
        ),
        ("below_data", "ldxw %r2, [%r1+0]\nldxb %r0, [%r2-1]\nexit"),
        ("at_data_end", "ldxw %r2, [%r1+4]\nldxb %r0, [%r2+0]\nexit"),
        ("ctx_dw", "ldxdw %r0, [%r1+0]\nexit"),
        ("ctx_h", "ldxh %r0, [%r1+0]\nexit"),
        ("ctx_past_end", "ldxw %r0, [%r1+24]\nexit"),
        ("ctx_misaligned", "ldxw %r0, [%r1+2]\nexit"),
        ("ctx_store", "stw [%r1+0], 1\nmov %r0, 2\nexit"),
        (
            "ctx_atomic",
            "mov %r2, 1\nlock add32 [%r1+0], %r2\nmov %r0, 2\nexit",
        ),
        (
            "ctx_atomic_dw",
            "mov %r2, 1\nlock add [%r1+8], %r2\nmov %r0, 2\nexit",
        ),
        (
            "r2_is_zero",
            "mov %r0, %r2\nadd %r0, 2\nldxw %r3, [%r10-4]\nexit",
        ),
    ];
    let mut ipv4 = vec![0u8; 60];
    ipv4[..12].copy_from_slice(&[1, 2, 3, 4, 5, 6, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf]);
    ipv4[12] = 8;
    let mut ipv6 = ipv4.clone();
    ipv6[12..14].copy_from_slice(&[0x86, 0xdd]);
    let big: Vec<u8> = (0..rvo_isa::region::MAX_PACKET).map(|i| i as u8).collect();
    let packets: Vec<Vec<u8>> = vec![ipv4, ipv6, vec![0xff; 14], (0..15u8).collect(), big];
    let modes = [
        rvo_sim::Mode::Xdp {
            ingress_ifindex: 1,
            rx_queue_index: 0,
        },
        rvo_sim::Mode::Xdp {
            ingress_ifindex: 0x1234_5678,
            rx_queue_index: 0x9a,
        },
    ];
    let opts = rvo_compiler::Options {
        lanes: 1,
        optimize: true,
    };
    let (mut runs, mut failures) = (0, Vec::new());
    let mut check = |name: String, image: &[u8], source: &Source, rtl: &mut RtlDevice| {
        for (p, packet) in packets.iter().enumerate() {
            for mode in modes {
                let input = RunInput {
                    budget: 10_000,
                    mode,
                    mem: packet,
                };
                let case_name = format!("{name} (packet {p}, {mode:?})");
                runs += 1;
                match rvo_rtl::lockstep::lockstep(rtl, image, &input) {
                    Ok(r) => {
                        if let Some(d) = r.divergence {
                            let ebpf =
                                d.pc.and_then(|pc| source.at(pc))
                                    .map_or_else(String::new, |e| format!(", from {e}"));
                            failures.push(format!(
                                "{case_name}: first divergence at bundle #{} (@{:?} `{}`{ebpf}): \
                                 {}",
                                d.index, d.pc, d.insn, d.what
                            ));
                        }
                    }
                    Err(e) => failures.push(format!("{case_name}: refused: {e}")),
                }
            }
        }
    };
    for (name, asm) in programs {
        let prog = rvo_compiler::asm::assemble(asm).unwrap_or_else(|e| panic!("{name}: {e}"));
        let c = rvo_compiler::compile_insns(&prog, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name.to_string(), &c.image, &Source::of(&c), &mut rtl);
    }
    println!("xdp lockstep: {} programs, {runs} runs", programs.len());
    assert!(
        failures.is_empty(),
        "{} XDP runs diverge:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
