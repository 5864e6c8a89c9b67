//! Shared helpers of the cross-crate tests.

use rvo_compiler::{ebpf, Options};
use rvo_sim::{RunInput, RunOutcome};

/// Compile `prog` for `lanes` lanes and run it on the model over `mem`.
///
/// # Errors
/// The compile or device error, as text.
pub fn run_on_model(prog: &[ebpf::Insn], mem: &[u8], lanes: u8) -> Result<RunOutcome, String> {
    let opts = Options {
        lanes,
        optimize: true,
    };
    let c = rvo_compiler::compile_insns(prog, &opts).map_err(|e| e.to_string())?;
    let mut dev = rvo_sim::open("model").map_err(|e| e.to_string())?;
    dev.load(&c.image).map_err(|e| e.to_string())?;
    dev.run(&RunInput::raw(mem)).map_err(|e| e.to_string())
}

/// Whether tests that need a missing facility must fail (in CI) rather than skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
