//! `rvo-verilog OUT_DIR`: write the core's Verilog (`rvo_core.v`, top module `top`).

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: rvo-verilog OUT_DIR");
        std::process::exit(2);
    };
    match rvo_hw::write_verilog(std::path::Path::new(&dir), rvo_hw::CoreConfig::default()) {
        Ok(path) => println!("{}", path.display()),
        Err(e) => {
            eprintln!("rvo-verilog: {e}");
            std::process::exit(1);
        }
    }
}
