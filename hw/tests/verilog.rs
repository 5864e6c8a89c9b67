//! The generated Verilog passes Verilator's lint and yosys' elaboration (skipped when the tool
//! is missing, unless `CI=true`).

use std::process::Command;

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok()
        || Command::new(name).arg("-V").output().is_ok();
    if !found && std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{name} is required in CI (scripts/install.sh)");
    }
    if !found {
        eprintln!("skipping: {name} not installed");
    }
    found
}

fn generated() -> (tempdir::Dir, std::path::PathBuf) {
    let dir = tempdir::Dir::new();
    let path = rvo_hw::write_verilog(dir.path(), rvo_hw::CoreConfig::default()).expect("writes");
    (dir, path)
}

mod tempdir {
    /// A scratch directory under the target directory, removed on drop.
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let base = std::env::temp_dir().join(format!(
                "rvo-hw-test-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&base).expect("scratch dir");
            Dir(base)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn verilator_lints_the_core() {
    if !tool("verilator") {
        return;
    }
    let (_dir, path) = generated();
    let out = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wno-WIDTH",
            "-Wno-UNOPTFLAT",
            "-Wno-CMPCONST",
        ])
        .args(["--top-module", rvo_hw::TOP])
        .arg(&path)
        .output()
        .expect("verilator runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn yosys_elaborates_the_core() {
    if !tool("yosys") {
        return;
    }
    let (_dir, path) = generated();
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(format!(
            "read_verilog {}; hierarchy -check -top {}; proc; check -assert",
            path.display(),
            rvo_hw::TOP
        ))
        .output()
        .expect("yosys runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
