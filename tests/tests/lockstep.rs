//! The RTL (the rust-hdl core under Verilator) in lockstep with the ISA model: every
//! conformance program, compiled for one lane, must give the same r0, cycles, fault, bundle and
//! instruction counts and memory on both.
//!
//! Bundle by bundle: the RTL reports each completed bundle (pc, cycle counter, register
//! writes). The model has no trace, so its position after a bundle is probed through its
//! watchdog: with a budget of one cycle less than the RTL's start cycle of bundle k+1, the model
//! must stop with a watchdog fault *at* bundle pc(k+1). Sampled probes run on every program
//! (`RVO_LOCKSTEP=full`: every bundle); on a divergence a bisection names the first bundle where
//! pc or timing differ, with its instruction.
//!
//! Programs that call helpers are excluded and listed: helper units arrive with the next RTL
//! stage. Without Verilator the tests skip, or fail when `CI=true`.

use rvo_cli::conformance::{data_dir, data_files, program_bytes, OPT_IN};
use rvo_cli::devices::rvo_rtl::{self, Retired, RtlDevice};
use rvo_compiler::data_file::DataFile;
use rvo_isa::{Fault, ImageView, Insn, Opcode};
use rvo_sim::{Device, IsaModel, RunInput, RunOutcome};
use std::path::Path;

/// Probes per program when not in full mode.
const SAMPLED_PROBES: usize = 24;
/// Longest trace probed bundle by bundle in full mode (each probe is one model run).
const FULL_PROBES_MAX: usize = 20_000;

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
    code: Vec<Insn>,
    budget: u64,
}

enum Prepared {
    Run(Case),
    /// Compiles, but calls helper units.
    Helper(String),
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
            Ok((c.image, file.mem))
        });
    let (image, mem) = match compiled {
        Ok(x) => x,
        Err(why) => return Prepared::NotCompiled(format!("{name}: {why}")),
    };
    let Ok(view) = ImageView::parse(&image) else {
        return Prepared::NotCompiled(format!("{name}: unparsable image"));
    };
    let code: Vec<Insn> = (0..view.header.code_bundles as usize)
        .filter_map(|b| Insn::decode(view.word(b, 0)).ok())
        .collect();
    if code.iter().any(|i| i.op == Opcode::Helper) {
        return Prepared::Helper(name);
    }
    Prepared::Run(Case {
        name,
        image,
        mem,
        code,
        budget: rvo_isa::region::DEFAULT_CYCLE_BUDGET,
    })
}

fn run_model(image: &[u8], input: &RunInput<'_>) -> RunOutcome {
    let mut model = IsaModel::new();
    model
        .load(image)
        .expect("the model loads what the compiler made");
    model.run(input).expect("the model runs it")
}

/// Cycle at which the bundle after `trace[k]` starts (its penalty included), by the RTL.
fn next_start(case: &Case, trace: &[Retired], k: usize) -> Option<(u64, u32)> {
    let next = trace.get(k + 1)?;
    let cost = case.code.get(next.pc as usize)?.op.cycles() as u64;
    Some((next.cycles - cost, next.pc))
}

/// Whether the model, stopped by its watchdog right after bundle `k`, is where the RTL was.
fn probe(case: &Case, trace: &[Retired], k: usize) -> Result<(), String> {
    let Some((start, pc)) = next_start(case, trace, k) else {
        return Ok(());
    };
    let budget = start.saturating_sub(1);
    let input = RunInput {
        budget: budget.min(case.budget),
        ..RunInput::raw(&case.mem)
    };
    let budget = input.budget;
    let out = run_model(&case.image, &input);
    match out.fault {
        Some(f) if f.fault == (Fault::Watchdog { budget }) && f.bundle == pc => Ok(()),
        other => {
            Err(format!(
            "the RTL starts bundle @{pc} at cycle {start}; the model with a budget of {budget} \
             ends {}",
            match other {
                Some(f) => format!("with {f}"),
                None => format!("by exiting with r0 = {:#x} after {} cycles", out.r0, out.cycles),
            }
        ))
        }
    }
}

/// The first bundle (index into the RTL trace) whose probe fails, by bisection.
fn first_divergence(case: &Case, trace: &[Retired]) -> Option<(usize, String)> {
    let n = trace.len().saturating_sub(1);
    let failing = |k: usize| probe(case, trace, k).err();
    let mut why = failing(n.checked_sub(1)?)?;
    let (mut lo, mut hi) = (0, n - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match failing(mid) {
            Some(w) => {
                hi = mid;
                why = w;
            }
            None => lo = mid + 1,
        }
    }
    if hi != n - 1 {
        why = failing(hi).unwrap_or(why);
    }
    Some((hi, why))
}

fn describe(case: &Case, trace: &[Retired], k: usize, why: &str) -> String {
    let r = &trace[k];
    let text = case
        .code
        .get(r.pc as usize)
        .map_or("?".into(), |i| i.to_string());
    let writes: Vec<String> = r
        .writes
        .iter()
        .map(|(reg, v)| format!("r{reg} = {v:#x}"))
        .collect();
    format!(
        "{}: first divergence after bundle #{k} (@{} `{text}`, RTL cycle {}, RTL writes [{}]): {why}",
        case.name,
        r.pc,
        r.cycles,
        writes.join(", ")
    )
}

/// Compare one program; `Err` names the divergence.
fn lockstep(case: &Case, rtl: &mut RtlDevice, full: bool) -> Result<(), String> {
    let input = RunInput {
        budget: case.budget,
        ..RunInput::raw(&case.mem)
    };
    let want = run_model(&case.image, &input);
    rtl.load(&case.image)
        .map_err(|e| format!("{}: the RTL refuses the image: {e}", case.name))?;
    let (got, trace) = rtl
        .run_traced(&input)
        .map_err(|e| format!("{}: the RTL refuses the run: {e}", case.name))?;
    let same_end = got.r0 == want.r0
        && got.cycles == want.cycles
        && got.fault == want.fault
        && got.bundles == want.bundles
        && got.insns == want.insns
        && got.mem == want.mem;
    let probes: Vec<usize> = if full && trace.len() <= FULL_PROBES_MAX {
        (0..trace.len()).collect()
    } else {
        let n = trace.len().max(1);
        (0..SAMPLED_PROBES)
            .map(|i| i * n / SAMPLED_PROBES)
            .collect()
    };
    let sampled_ok = probes.iter().all(|&k| probe(case, &trace, k).is_ok());
    if same_end && sampled_ok {
        return Ok(());
    }
    if let Some((k, why)) = first_divergence(case, &trace) {
        return Err(describe(case, &trace, k, &why));
    }
    let last = trace.last().map_or("no bundle completed".into(), |r| {
        format!("last bundle @{} `{}`", r.pc, rtl.insn_text(r.pc))
    });
    Err(format!(
        "{}: same path, different end ({last}): RTL r0 {:#x} cycles {} fault {:?} bundles {} \
         insns {} | model r0 {:#x} cycles {} fault {:?} bundles {} insns {}{}",
        case.name,
        got.r0,
        got.cycles,
        got.fault,
        got.bundles,
        got.insns,
        want.r0,
        want.cycles,
        want.fault,
        want.bundles,
        want.insns,
        if got.mem == want.mem {
            ""
        } else {
            " (memory differs)"
        }
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
    let full = std::env::var("RVO_LOCKSTEP").is_ok_and(|v| v == "full");
    let (mut ran, mut helpers, mut refused, mut diverged) = (0, vec![], vec![], vec![]);
    for path in &files {
        if OPT_IN.contains(&name_of(path).as_str()) {
            continue;
        }
        match prepare(path) {
            Prepared::Run(case) => {
                ran += 1;
                let t = std::time::Instant::now();
                let r = lockstep(&case, &mut rtl, full);
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
            Prepared::Helper(name) => helpers.push(name),
            Prepared::NotCompiled(why) => refused.push(why),
        }
    }
    println!(
        "lockstep ({} mode): {ran} ran on RTL and model, {} diverged; {} excluded (helper units \
         next stage: {}); {} not compiled (refused for every device)",
        if full { "every bundle" } else { "sampled" },
        diverged.len(),
        helpers.len(),
        helpers.join(", "),
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
    assert!(ran >= 250, "only {ran} programs ran");
}

/// Faults end both runs the same way: out of bounds, a store to the context, calls too deep,
/// the watchdog.
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
            code: code_of(&c.image),
            image: c.image,
            mem: mem.to_vec(),
            budget: 500,
        };
        if let Err(why) = lockstep(&case, &mut rtl, true) {
            panic!("{why}");
        }
    }
}

fn code_of(image: &[u8]) -> Vec<Insn> {
    let view = ImageView::parse(image).expect("image");
    (0..view.header.code_bundles as usize)
        .filter_map(|b| Insn::decode(view.word(b, 0)).ok())
        .collect()
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
            code: code_of(&c.image),
            image: c.image,
            mem: Vec::new(),
            budget: 1000,
        };
        if let Err(why) = lockstep(&case, &mut rtl, true) {
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
