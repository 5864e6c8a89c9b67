//! Debug helper: run one image file on the RTL and print the outcome and trace.
use rvo_rtl::RtlDevice;
use rvo_sim::{Device, RunInput};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let image = std::fs::read(&args[1]).expect("image");
    let mem: Vec<u8> = args
        .get(2)
        .map(|m| std::fs::read(m).expect("mem"))
        .unwrap_or_default();
    let vcd = std::env::var_os("VCD").map(std::path::PathBuf::from);
    let mut rtl = RtlDevice::new(vcd).expect("rtl");
    rtl.load(&image).expect("load");
    let mut input = RunInput::raw(&mem);
    input.budget = std::env::var("BUDGET")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(2000);
    let (out, trace) = rtl.run_traced(&input).expect("run");
    for r in trace.iter().take(60) {
        println!(
            "@{} c{} {} {:?}",
            r.pc,
            r.cycles,
            rtl.insn_text(r.pc),
            r.writes
        );
    }
    println!("{out:?}");
}
