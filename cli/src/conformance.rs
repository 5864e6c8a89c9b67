//! Running bpf_conformance `.data` files: the one runner behind `cargo xtask conformance`
//! (which drives the `rvo-bpf-conformance` plugin process, as the suite's own runner does) and
//! the test suite (which runs in process).

use rvo_compiler::data_file::DataFile;
use rvo_compiler::ebpf;
use std::path::{Path, PathBuf};

/// Runs one program over one memory: `Ok(r0)` or the error text.
pub type Runner<'a> = dyn FnMut(&[u8], &[u8]) -> Result<u64, String> + 'a;

/// The outcome of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The result matched.
    Pass,
    /// The runner's answer differs from the file's expectation.
    Fail(String),
}

/// Opt-in tests that are not part of the suite's default groups.
pub const OPT_IN: &[&str] = &["callx.data"];

/// The conformance data directory: `$RVO_CONFORMANCE_DIR`, else `../shared/conformance`
/// next to the workspace.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("RVO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

/// The `.data` files of a directory, sorted.
///
/// # Errors
/// When the directory cannot be read.
pub fn data_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "data"))
        .collect();
    files.sort();
    Ok(files)
}

/// Program bytes of a test: the `-- raw` section when there is one (checked against our
/// assembly of `-- asm`, so the assembler is tested too), else the assembled `-- asm`.
pub fn program_bytes(file: &DataFile) -> Result<Vec<u8>, String> {
    let assembled = file
        .asm
        .as_ref()
        .map(|_| file.program().map_err(|e| e.to_string()))
        .transpose()?
        .map(|insns| {
            insns
                .iter()
                .flat_map(ebpf::Insn::to_bytes)
                .collect::<Vec<u8>>()
        });
    match (&file.raw, assembled) {
        (Some(raw), Some(asm)) if *raw != asm => {
            Err("-- asm assembles to bytes other than -- raw".into())
        }
        (Some(raw), _) => Ok(raw.clone()),
        (None, Some(asm)) => Ok(asm),
        (None, None) => Err("no -- asm or -- raw section".into()),
    }
}

/// Read a file and run its program: the file's expectations and the runner's answer.
fn load_and_run(
    path: &Path,
    runner: &mut Runner<'_>,
) -> Result<(DataFile, Result<u64, String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let file = DataFile::parse(&text).map_err(|e| format!("bad .data file: {e}"))?;
    let result = program_bytes(&file).and_then(|prog| runner(&prog, &file.mem));
    Ok((file, result))
}

/// Run one file: the program must produce `-- result` (or fail when `-- error` is expected).
pub fn run_file(path: &Path, runner: &mut Runner<'_>) -> Outcome {
    let (file, result) = match load_and_run(path, runner) {
        Ok(x) => x,
        Err(e) => return Outcome::Fail(e),
    };
    match (result, file.result, &file.error) {
        (Ok(r0), Some(want), None) if r0 == want => Outcome::Pass,
        (Ok(r0), Some(want), _) => Outcome::Fail(format!("r0 = {r0:#x}, expected {want:#x}")),
        (Ok(r0), None, _) => Outcome::Fail(format!("r0 = {r0:#x}, but the file expects an error")),
        (Err(_), None, Some(_)) => Outcome::Pass,
        (Err(e), _, _) => Outcome::Fail(e),
    }
}

/// Run a file of the suite's `negative` group: each is malformed (bad assembly, a reserved
/// field set, no program) or states a wrong result, so a conformant runtime must either reject
/// it or disagree with it: `Ok(why it was rejected)`, or `Err` when it was accepted.
pub fn run_negative(path: &Path, runner: &mut Runner<'_>) -> Result<String, String> {
    match load_and_run(path, runner) {
        Err(e) | Ok((_, Err(e))) => Ok(e),
        Ok((file, Ok(r0))) if Some(r0) != file.result => Ok(format!(
            "r0 = {r0:#x} differs from the stated {:?}",
            file.result
        )),
        Ok((_, Ok(r0))) => Err(format!("accepted and gave the stated r0 = {r0:#x}")),
    }
}

/// Whether a program shifts by an immediate outside the operand width: Linux's verifier
/// rejects these ("invalid shift"), though eBPF defines them (the count is masked).
pub fn has_out_of_range_shift(prog: &[u8]) -> bool {
    use rvo_compiler::ebpf::*;
    prog.chunks_exact(8).any(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let i = Insn::from_bytes(&b);
        let alu = i.class() == BPF_ALU || i.class() == BPF_ALU64;
        let shift = matches!(i.opc & 0xf0, BPF_LSH | BPF_RSH | BPF_ARSH);
        let width = if i.class() == BPF_ALU64 { 64 } else { 32 };
        alu && shift && i.opc & BPF_X == 0 && !(0..width).contains(&i.imm)
    })
}

/// In-process runner on a device backend.
pub fn device_runner(
    device: &str,
    lanes: u8,
) -> impl FnMut(&[u8], &[u8]) -> Result<u64, String> + '_ {
    move |prog, mem| {
        let opts = rvo_compiler::Options {
            lanes,
            optimize: true,
        };
        let c = rvo_compiler::compile_bytes(prog, &opts).map_err(|e| e.to_string())?;
        let mut dev = crate::devices::open_device(device).map_err(|e| e.to_string())?;
        dev.load(&c.image).map_err(|e| e.to_string())?;
        let out = dev
            .run(&rvo_sim::RunInput::raw(mem))
            .map_err(|e| e.to_string())?;
        match out.fault {
            Some(f) => Err(format!("aborted: {f}")),
            None => Ok(out.r0),
        }
    }
}
