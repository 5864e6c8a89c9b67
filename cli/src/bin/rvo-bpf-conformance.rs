//! bpf_conformance plugin: lets that suite's own runner drive rvo.
//!
//! Protocol (as the suite's plugins implement it): `rvo-bpf-conformance [HEX_MEMORY]
//! [OPTIONS] [--elf]`; the program arrives on stdin as hex bytes; on success `r0` is printed in
//! hex on stdout and the exit status is 0; on any error a message goes to stderr and the exit
//! status is non-zero. `--device NAME` picks the backend (default `model`), `--lanes N` the
//! core width. `r1` holds the memory's address and `r2` its length.

use anyhow::{anyhow, bail, Context, Result};
use rvo_cli::input::parse_hex;
use rvo_compiler::Options;
use rvo_sim::RunInput;
use std::io::Read;

struct Args {
    memory: Vec<u8>,
    device: String,
    lanes: u8,
    elf: bool,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        memory: Vec::new(),
        device: "model".into(),
        lanes: 1,
        elf: false,
    };
    let mut it = std::env::args().skip(1);
    let mut memory_seen = false;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--elf" => args.elf = true,
            "--device" => args.device = it.next().context("--device needs a name")?,
            "--lanes" => {
                let n = it.next().context("--lanes needs a number")?;
                args.lanes = n.parse().with_context(|| format!("bad lane count `{n}`"))?;
            }
            "--help" | "-h" => {
                println!("usage: rvo-bpf-conformance [HEX_MEMORY] [--device model] [--lanes N] [--elf] < program.hex");
                std::process::exit(0);
            }
            opt if opt.starts_with("--") => bail!("unknown option `{opt}`"),
            hex if !memory_seen => {
                args.memory = parse_hex(hex).context("memory argument")?;
                memory_seen = true;
            }
            extra => bail!("unexpected argument `{extra}`"),
        }
    }
    Ok(args)
}

fn run() -> Result<u64> {
    let args = parse_args()?;
    if args.elf {
        bail!("--elf: ELF input is not accepted by this plugin; pass instructions as hex");
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the program from stdin")?;
    let bytes = parse_hex(&text).context("program on stdin")?;
    let opts = Options {
        lanes: args.lanes,
        optimize: true,
    };
    let compiled = rvo_compiler::compile_bytes(&bytes, &opts).map_err(|e| anyhow!("{e}"))?;
    let mut dev = rvo_cli::devices::open_device(&args.device)?;
    dev.load(&compiled.image)?;
    let out = dev.run(&RunInput::raw(&args.memory))?;
    match out.fault {
        Some(f) => Err(anyhow!("program aborted: {f}")),
        None => Ok(out.r0),
    }
}

fn main() {
    match run() {
        Ok(r0) => println!("{r0:x}"),
        Err(e) => {
            eprintln!("{e:#}");
            std::process::exit(1);
        }
    }
}
