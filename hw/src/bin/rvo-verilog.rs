//! `rvo-verilog OUT_DIR [board|sim]`: write the core's Verilog (`rvo_core.v`, top module `top`)
//! for the ECP5-85F board (map memory in block RAM; the default) or for simulation (the ISA's
//! whole map region).

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: rvo-verilog OUT_DIR [board|sim]");
        std::process::exit(2);
    };
    let config = match args.next().as_deref().and_then(|a| a.to_str()) {
        None | Some("board") => rvo_hw::CoreConfig::BOARD,
        Some("sim") => rvo_hw::CoreConfig::SIM,
        Some(other) => {
            eprintln!("rvo-verilog: unknown target `{other}` (board or sim)");
            std::process::exit(2);
        }
    };
    match rvo_hw::write_verilog(std::path::Path::new(&dir), config) {
        Ok(path) => println!("{}", path.display()),
        Err(e) => {
            eprintln!("rvo-verilog: {e}");
            std::process::exit(1);
        }
    }
}
