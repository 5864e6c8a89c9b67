//! Generate the core's Verilog with rvo-hw, Verilate it and compile the model, the Verilator
//! runtime and the C shim with `cc`. Without Verilator the crate builds a stub whose device
//! refuses to open (`cfg(rvo_no_verilator)`), so the workspace still builds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn verilator() -> String {
    std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into())
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rvo_no_verilator)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/shim.cpp");
    println!("cargo:rerun-if-env-changed=VERILATOR");
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    println!("cargo:rerun-if-env-changed=RVO_VERILATOR_FLAGS");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let root = match verilator_root() {
        Some(root) => root,
        None => {
            println!(
                "cargo:warning=verilator not found: rvo-rtl builds without the RTL device \
                 (apt-get install verilator)"
            );
            println!("cargo:rustc-cfg=rvo_no_verilator");
            return;
        }
    };
    let vdir = out.join("verilog");
    let vfile = rvo_hw::write_verilog(&vdir, rvo_hw::CoreConfig::default())
        .expect("cannot write the core's Verilog");
    let mdir = out.join("obj_dir");
    let _ = std::fs::remove_dir_all(&mdir);
    let status = Command::new(verilator())
        .args([
            "--cc",
            "-O3",
            "--x-assign",
            "fast",
            "--x-initial",
            "fast",
            "--trace",
        ])
        .args(["-Wno-WIDTH", "-Wno-UNOPTFLAT", "-Wno-CMPCONST"])
        // Extra Verilator flags, for experiments with simulation speed.
        .args(
            std::env::var("RVO_VERILATOR_FLAGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .args([
            "--top-module",
            rvo_hw::TOP,
            "--prefix",
            "Vrvo_core",
            "--Mdir",
        ])
        .arg(&mdir)
        .arg(&vfile)
        .status()
        .expect("cannot run verilator");
    assert!(status.success(), "verilator failed on {}", vfile.display());
    // The shim's one-evaluation cycle needs Verilator's record of the clock under the name
    // 5.006 gives it.
    let root_header =
        std::fs::read_to_string(mdir.join("Vrvo_core___024root.h")).unwrap_or_default();
    let fast_edge = root_header.contains("__Vtrigrprev__TOP__clock;");
    if !fast_edge {
        println!(
            "cargo:warning=this Verilator has no __Vtrigrprev__TOP__clock: the RTL simulates \
             with two evaluations per cycle (slower)"
        );
    }
    compile(&root.join("include"), &mdir, fast_edge);
}

fn verilator_root() -> Option<PathBuf> {
    if let Ok(root) = std::env::var("VERILATOR_ROOT") {
        return Some(PathBuf::from(root));
    }
    let out = Command::new(verilator())
        .args(["--getenv", "VERILATOR_ROOT"])
        .output()
        .ok()?;
    let root = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && root.join("include/verilated.cpp").exists()).then_some(root)
}

fn compile(inc: &Path, mdir: &Path, fast_edge: bool) {
    let mut b = cc::Build::new();
    if fast_edge {
        b.define("RVO_FAST_EDGE", "1");
    }
    b.cpp(true)
        .std("c++17")
        .opt_level(3)
        .flag_if_supported("-march=native")
        .define("VM_TRACE", "1")
        .include(inc)
        .include(inc.join("vltstd"))
        .include(mdir)
        .warnings(false)
        .flag_if_supported("-faligned-new")
        .flag_if_supported("-Wno-unused-parameter");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(mdir)
        .expect("verilator output")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    sources.sort();
    for s in sources {
        b.file(s);
    }
    for f in [
        "verilated.cpp",
        "verilated_vcd_c.cpp",
        "verilated_threads.cpp",
    ] {
        if inc.join(f).exists() {
            b.file(inc.join(f));
        }
    }
    b.file("csrc/shim.cpp");
    b.compile("rvo_core_verilated");
    println!("cargo:rustc-link-lib=stdc++");
}
