//! The mistakes users make with XDP objects, and what rvo tells them: one test per mistake,
//! each on a small C program of `tests/errors/` compiled with clang at test time.
//!
//! Every message is checked for its meaningful parts: the program's name, the eBPF
//! instruction index and its source line (`file.c:LINE`, from BTF line info) where the mistake
//! is one instruction, and the reason, naming the helper, map, map type or device limit. The
//! expected instruction index and line are found in the object and in the C source, not
//! written down, so that another clang version cannot break the test while a wrong index or
//! line still fails it. Broken objects (truncated, corrupted, garbage) must give an error,
//! never a panic. A few cases also go through the `rvo` binary: exit status 1, one `rvo: ...`
//! line with the reason, no panic.
//!
//! clang (BPF target) and the libbpf headers are needed: without them the tests are skipped,
//! except in CI (`CI=true`), where they fail.
//!
//! Tests marked `
use rvo_compiler::elf::{parse_object, ElfError, ElfObject, ElfProgram};
use rvo_compiler::{ErrorKind, Options};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn errors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("errors")
}

/// The objects directory once every `tests/errors/*.c` is compiled, or why clang cannot run.
fn objects() -> &'static Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
        match Command::new(&clang).arg("--version").output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => return Err(format!("`{clang} --version` failed: {}", o.status)),
            Err(e) => {
                return Err(format!(
                    "cannot run {clang}: {e} (install clang, libbpf-dev)"
                ))
            }
        }
        if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() {
            return Err("<bpf/bpf_helpers.h> is missing (install libbpf-dev)".into());
        }
        let multiarch = Command::new("gcc")
            .arg("-print-multiarch")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{}-linux-gnu", std::env::consts::ARCH));
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elf_errors");
        std::fs::create_dir_all(&out).expect("create the objects directory");
        let mut sources: Vec<PathBuf> = std::fs::read_dir(errors_dir())
            .expect("tests/errors exists")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "c"))
            .collect();
        sources.sort();
        // clang may be missing; a program it cannot compile is a broken test, not a skip.
        for src in &sources {
            let stem = src.file_stem().expect("file name").to_string_lossy();
            let obj = out.join(format!("{stem}.o"));
            let o = Command::new(&clang)
                .args(["-O2", "-g", "-target", "bpf", "-Wall"])
                .arg(format!("-I/usr/include/{multiarch}"))
                .arg("-c")
                .arg(src)
                .arg("-o")
                .arg(&obj)
                .output()
                .expect("clang runs");
            assert!(
                o.status.success(),
                "clang cannot compile {}:\n{}",
                src.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        // The mistake of compiling for the host: no `-target bpf`.
        let o = Command::new(&clang)
            .args(["-O2", "-g", "-Wall"])
            .arg(format!("-I/usr/include/{multiarch}"))
            .arg("-c")
            .arg(errors_dir().join("valid.c"))
            .arg("-o")
            .arg(out.join("host_valid.o"))
            .output()
            .expect("clang runs");
        assert!(
            o.status.success(),
            "clang cannot compile valid.c for the host:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(out)
    })
}

/// The object compiled from `tests/errors/NAME.c`; `None` (skip) when clang is missing here.
fn object(name: &str) -> Option<Vec<u8>> {
    match objects() {
        Ok(dir) => Some(std::fs::read(dir.join(format!("{name}.o"))).expect("object was built")),
        Err(why) => {
            assert!(!rvo_tests::in_ci(), "clang is needed in CI: {why}");
            eprintln!("skipping: {why}");
            None
        }
    }
}

fn object_path(name: &str) -> PathBuf {
    objects()
        .as_ref()
        .expect("objects were built")
        .join(format!("{name}.o"))
}

fn options() -> Options {
    Options {
        lanes: 1,
        optimize: true,
    }
}

/// Parse, choose `prog`, compile: the error (a successful compile fails the test).
fn error_of(bytes: &[u8], prog: Option<&str>) -> ElfError {
    let object = match parse_object(bytes) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let p = match object.program(prog) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match object.compile(p, &options()) {
        Ok(c) => panic!(
            "program `{}` compiled ({} bytes of image), an error was expected",
            p.name,
            c.image.len()
        ),
        Err(e) => e,
    }
}

fn parsed(bytes: &[u8]) -> ElfObject {
    parse_object(bytes).unwrap_or_else(|e| panic!("the object parses: {e}"))
}

fn program<'a>(object: &'a ElfObject, name: &str) -> &'a ElfProgram {
    object
        .programs
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("the object has a program `{name}`"))
}

/// The 1-based number of the one line of `tests/errors/FILE` that contains `needle`.
fn source_line(file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(errors_dir().join(file)).expect("source reads");
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "`{needle}` is on exactly one line of {file}");
    hits[0] as u32
}

/// The index of the one `call HELPER` instruction of `prog`.
fn helper_call(prog: &ElfProgram, helper: i32) -> usize {
    let hits: Vec<usize> = prog
        .insns
        .iter()
        .enumerate()
        .filter(|(_, i)| i.opc == 0x85 && i.src == 0 && i.imm == helper)
        .map(|(pc, _)| pc)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "program `{}` calls helper {helper} once",
        prog.name
    );
    hits[0]
}

/// An unsupported helper: the program, the instruction (`call N`), the C line of the call and
/// the helper's name, both in the error's fields and in its message.
fn assert_helper_error(name: &str, prog_name: &str, helper: i32, helper_name: &str, call: &str) {
    let Some(bytes) = object(name) else { return };
    let file = format!("{name}.c");
    let line = source_line(&file, call);
    let pc = helper_call(program(&parsed(&bytes), prog_name), helper);
    let e = error_of(&bytes, None);
    let text = e.to_string();
    eprintln!("{name}: {text}");
    let ElfError::Compile {
        program,
        error,
        line: at,
    } = &e
    else {
        panic!("{name}: a compile error was expected, got: {text}");
    };
    assert_eq!(program, prog_name);
    assert_eq!(error.pc, Some(pc), "{text}");
    assert_eq!(error.kind, ErrorKind::UnsupportedHelper(helper), "{text}");
    let at = at.as_ref().expect("the error has a source line");
    assert!(at.file.ends_with(&file), "{text}");
    assert_eq!(at.line, line, "{text}");
    let head =
        format!("program `{prog_name}`: instruction {pc} (`call {helper}`) at {file}:{line}");
    assert!(text.starts_with(&head), "`{text}` starts with `{head}`");
    let reason = format!("helper {helper_name} (#{helper}) has no rvo hardware unit");
    assert!(text.ends_with(&reason), "`{text}` ends with `{reason}`");
    assert!(text.contains(call), "`{text}` quotes the source line");
}

#[test]
fn socket_filter_is_not_an_xdp_program() {
    let Some(bytes) = object("socket_filter") else {
        return;
    };
    let e = error_of(&bytes, Some("sock_short"));
    eprintln!("{e}");
    assert_eq!(
        e.to_string(),
        "program `sock_short`: it is not an XDP program (SocketFilter); rvo runs XDP programs"
    );
    // Without --prog: the object's one program cannot run, and the error says why.
    let e = error_of(&bytes, None);
    eprintln!("{e}");
    assert_eq!(
        e.to_string(),
        "program `sock_short`: it is not an XDP program (SocketFilter); rvo runs XDP programs"
    );
}

#[test]
fn tc_program_is_not_an_xdp_program() {
    let Some(bytes) = object("not_xdp") else {
        return;
    };
    let e = error_of(&bytes, Some("tc_ingress"));
    eprintln!("{e}");
    let text = e.to_string();
    assert!(
        text.starts_with("program `tc_ingress`: it is not an XDP program"),
        "{text}"
    );
}

#[test]
fn xdp_program_next_to_a_tc_program_compiles() {
    let Some(bytes) = object("xdp_and_tc") else {
        return;
    };
    let object = parsed(&bytes);
    let p = object.program(None).expect("the XDP program is chosen");
    assert_eq!(p.name, "xdp_half");
    object.compile(p, &options()).expect("xdp_half compiles");
    let e = error_of(&bytes, Some("tc_half"));
    assert!(
        e.to_string()
            .starts_with("program `tc_half`: it is not an XDP program"),
        "{e}"
    );
}

#[test]
fn xdp_frags_needs_fragments() {
    let Some(bytes) = object("xdp_frags") else {
        return;
    };
    let e = error_of(&bytes, Some("xdp_jumbo"));
    eprintln!("{e}");
    assert_eq!(
        e,
        ElfError::Unsupported {
            program: "xdp_jumbo".into(),
            reason: "xdp.frags (multi-buffer) programs need packets in fragments; the device \
                     holds each packet in one buffer"
                .into()
        }
    );
    assert!(e.to_string().starts_with("program `xdp_jumbo`: xdp.frags"));
    let e = error_of(&bytes, None);
    eprintln!("{e}");
    assert!(e.to_string().contains("xdp_jumbo"), "{e}");
}

#[test]
fn xdp_frags_reason_without_prog() {
    let Some(bytes) = object("xdp_frags") else {
        return;
    };
    let e = error_of(&bytes, None);
    assert!(e.to_string().contains("xdp.frags"), "{e}");
}

#[test]
fn bpf_printk_is_an_unsupported_helper() {
    assert_helper_error(
        "printk",
        "xdp_debug",
        6,
        "bpf_trace_printk",
        "bpf_printk(\"packet of %ld bytes\", len);",
    );
}

#[test]
fn bpf_fib_lookup_is_an_unsupported_helper() {
    assert_helper_error(
        "fib_lookup",
        "xdp_fwd",
        69,
        "bpf_fib_lookup",
        "if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)",
    );
}

fn assert_map_error(name: &str, map: &str, type_name: &str, type_id: u32) {
    let Some(bytes) = object(name) else { return };
    let e = error_of(&bytes, None);
    eprintln!("{name}: {e}");
    let reason = format!("{type_name} (type {type_id}) has no rvo map engine");
    assert_eq!(
        e,
        ElfError::Map {
            map: map.into(),
            reason: reason.clone()
        }
    );
    assert_eq!(e.to_string(), format!("map `{map}`: {reason}"));
}

#[test]
fn ringbuf_is_an_unsupported_map_type() {
    assert_map_error("ringbuf", "events", "BPF_MAP_TYPE_RINGBUF", 27);
}

#[test]
fn perf_event_array_is_an_unsupported_map_type() {
    assert_map_error("perf_event", "samples", "BPF_MAP_TYPE_PERF_EVENT_ARRAY", 4);
}

#[test]
fn more_instructions_than_the_device_holds() {
    let Some(bytes) = object("too_many_insns") else {
        return;
    };
    let n = program(&parsed(&bytes), "xdp_unrolled").insns.len();
    assert!(n > 4096, "clang unrolled the loop into {n} instructions");
    let e = error_of(&bytes, None);
    eprintln!("{e}");
    assert_eq!(
        e.to_string(),
        format!("program `xdp_unrolled`: {n} instructions exceed the limit of 4096")
    );
}

#[test]
fn nested_calls_need_more_than_512_bytes_of_stack() {
    let Some(bytes) = object("deep_stack") else {
        return;
    };
    let e = error_of(&bytes, None);
    eprintln!("{e}");
    let ElfError::Compile { program, error, .. } = &e else {
        panic!("a compile error was expected, got: {e}");
    };
    assert_eq!(program, "xdp_deep");
    // Two frames of at least 300 bytes each, whatever else the compiler puts there.
    let ErrorKind::StackTooLarge(n) = error.kind else {
        panic!("a stack error was expected, got: {e}");
    };
    assert!((600..=1024).contains(&n), "{e}");
    assert_eq!(
        e.to_string(),
        format!("program `xdp_deep`: call frames need {n} bytes of stack, the device has 512")
    );
}

#[test]
fn kfunc_call_is_an_error_not_a_panic() {
    // clang 14 compiles `extern ... __ksym` functions (a `call -1` with a relocation against
    // the extern symbol, which libbpf turns into a kfunc call by BTF id).
    let Some(bytes) = object("kfunc") else { return };
    let e = error_of(&bytes, None);
    eprintln!("{e}");
    assert!(e.to_string().contains("xdp_stamp"), "{e}");
}

#[test]
fn kfunc_call_names_the_kfunc() {
    let Some(bytes) = object("kfunc") else { return };
    let e = error_of(&bytes, None);
    let text = e.to_string();
    let line = source_line("kfunc.c", "if (bpf_xdp_metadata_rx_timestamp(ctx, &ts))");
    assert!(
        text.starts_with("program `xdp_stamp`: instruction "),
        "{text}"
    );
    assert!(text.contains(&format!("kfunc.c:{line}")), "{text}");
    assert!(text.contains("kfunc"), "{text}");
}

/// A deterministic stream of pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parse, choose and compile without letting a panic escape: the error text, `None` when it
/// compiled. A panic fails the test with the input's description.
fn outcome(bytes: &[u8], what: &str) -> Option<String> {
    let run = std::panic::catch_unwind(|| {
        let object = parse_object(bytes).map_err(|e| e.to_string())?;
        for p in &object.programs {
            if p.unsupported.is_none() {
                object.compile(p, &options()).map_err(|e| e.to_string())?;
            }
        }
        object.program(None).map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    });
    match run {
        Ok(r) => r.err(),
        Err(_) => panic!("rvo panicked on {what}"),
    }
}

fn parse_error(bytes: &[u8], what: &str) -> String {
    let text = match std::panic::catch_unwind(|| parse_object(bytes)) {
        Ok(Err(e @ ElfError::Parse(_))) => e.to_string(),
        Ok(Err(e)) => panic!("{what}: a parse error was expected, got: {e}"),
        Ok(Ok(o)) => panic!(
            "{what}: parsed as an object with {} programs",
            o.programs.len()
        ),
        Err(_) => panic!("rvo panicked on {what}"),
    };
    assert!(
        text.starts_with("not a valid eBPF object: "),
        "{what}: {text}"
    );
    text
}

/// The ELF header fields the corruptions below aim at.
struct Elf64 {
    shoff: usize,
    shentsize: usize,
    shnum: usize,
}

fn elf_header(b: &[u8]) -> Elf64 {
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes")) as usize;
    Elf64 {
        shoff: u64_at(0x28),
        shentsize: u16_at(0x3a),
        shnum: u16_at(0x3c),
    }
}

#[test]
fn truncated_objects_are_not_valid() {
    let Some(bytes) = object("valid") else { return };
    let mut cuts: Vec<usize> = (0..16).map(|i| bytes.len() * i / 16).collect();
    let h = elf_header(&bytes);
    cuts.extend([
        1,
        4,
        63,
        64,
        bytes.len() / 2,
        h.shoff,
        h.shoff + h.shentsize / 2,
        h.shoff + h.shentsize * h.shnum / 2,
        bytes.len() - 1,
    ]);
    cuts.sort_unstable();
    cuts.dedup();
    let mut seen = Vec::new();
    for cut in cuts {
        let text = parse_error(&bytes[..cut], &format!("valid.o cut to {cut} bytes"));
        if !seen.contains(&text) {
            eprintln!("cut to {cut}: {text}");
            seen.push(text);
        }
    }
}

/// `sh_type` of section `i` (`SHT_NOBITS` = 8: `.bss`, which has a size but no bytes).
fn section_type(b: &[u8], h: &Elf64, i: usize) -> u32 {
    let at = h.shoff + i * h.shentsize + 4;
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

const SHT_NOBITS: u32 = 8;
/// Offset of `sh_size` in a section header.
const SH_SIZE: usize = 0x20;

fn set_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn corrupt_section_headers_are_errors_not_panics() {
    let Some(bytes) = object("valid") else { return };
    assert_eq!(outcome(&bytes, "valid.o"), None, "valid.o compiles");
    let h = elf_header(&bytes);
    let table = h.shoff..h.shoff + h.shentsize * h.shnum;
    assert!(
        table.end <= bytes.len(),
        "the section header table is in the file"
    );
    // The size of a NOBITS section (.bss) is not checked against the file: a huge one makes
    // aya-obj allocate it and abort the process (see `huge_bss_is_an_error_not_an_abort`),
    // and a large one takes gigabytes. Those bytes are left alone here.
    let bss_sizes: Vec<std::ops::Range<usize>> = (0..h.shnum)
        .filter(|&i| section_type(&bytes, &h, i) == SHT_NOBITS)
        .map(|i| {
            let at = h.shoff + i * h.shentsize + SH_SIZE;
            at..at + 8
        })
        .collect();
    assert!(!bss_sizes.is_empty(), "valid.o has a .bss section");

    // Aimed: the fields that locate things, pointed outside the file.
    let mut aimed: Vec<(String, Vec<u8>)> = Vec::new();
    for sec in 1..h.shnum {
        let base = h.shoff + sec * h.shentsize;
        let mut b = bytes.clone();
        set_u64(&mut b, base + 0x18, bytes.len() as u64 + 4096); // sh_offset
        aimed.push((format!("section {sec} moved past the end"), b));
        if section_type(&bytes, &h, sec) != SHT_NOBITS {
            let mut b = bytes.clone();
            set_u64(&mut b, base + SH_SIZE, u64::MAX / 2);
            aimed.push((format!("section {sec} of a huge size"), b));
        }
    }
    let mut b = bytes.clone();
    set_u64(&mut b, 0x28, bytes.len() as u64 + 64);
    aimed.push(("section header table past the end".into(), b));
    let mut b = bytes.clone();
    b[0x3c..0x3e].copy_from_slice(&u16::MAX.to_le_bytes());
    aimed.push(("65535 section headers".into(), b));
    let mut b = bytes.clone();
    b[0x3e..0x40].copy_from_slice(&u16::MAX.to_le_bytes());
    aimed.push(("section name table index out of range".into(), b));
    let mut b = bytes.clone();
    b[4] = 1; // ELFCLASS32
    aimed.push(("a 32-bit header".into(), b));
    let mut refused = 0;
    for (what, b) in &aimed {
        if let Some(text) = outcome(b, what) {
            refused += 1;
            eprintln!("{what}: {text}");
        }
    }
    // Most must be refused (a few land on sections rvo does not read, like .BTF.ext).
    assert!(
        refused * 4 > aimed.len() * 3,
        "only {refused} of {} aimed corruptions were refused",
        aimed.len()
    );
    for (what, b) in &aimed {
        if what.starts_with("section header table")
            || what.starts_with("65535")
            || what.starts_with("section name table")
        {
            parse_error(b, what);
        }
        if what.starts_with("a 32-bit") {
            assert!(outcome(b, what).is_some(), "{what} was accepted");
        }
    }

    // Random: 1 to 8 bits of the section header table flipped, 2000 times.
    let mut rng = Rng(0x0005_eed0_fe1f);
    let (mut refused, mut parse_errors) = (0, 0);
    for case in 0..2000 {
        let mut b = bytes.clone();
        for _ in 0..1 + rng.below(8) {
            let at = table.start + rng.below(table.len());
            if bss_sizes.iter().any(|r| r.contains(&at)) {
                continue;
            }
            b[at] ^= 1 << rng.below(8);
        }
        if let Some(text) = outcome(&b, &format!("random corruption {case}")) {
            refused += 1;
            parse_errors += usize::from(text.starts_with("not a valid eBPF object: "));
        }
    }
    eprintln!(
        "random section header corruptions: {refused} of 2000 refused ({parse_errors} as not a \
         valid eBPF object), none panicked"
    );
    assert!(
        refused > 1000,
        "only {refused} of 2000 corruptions were refused"
    );
}

/// Section headers of the executable sections (`SHF_EXECINSTR`), in file order.
fn code_sections(b: &[u8], h: &Elf64) -> Vec<usize> {
    (1..h.shnum)
        .filter(|&i| {
            let at = h.shoff + i * h.shentsize + 8;
            u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes")) & 4 != 0
        })
        .collect()
}

/// valid.o with its `.text` (the `classify` subprogram, more than 4 instructions) claiming
/// only 32 bytes: aya-obj slices past the section's end and panics; rvo catches the panic.
fn shrunk_text(bytes: &[u8]) -> Vec<u8> {
    let h = elf_header(bytes);
    let text = code_sections(bytes, &h)[0];
    let mut b = bytes.to_vec();
    set_u64(&mut b, h.shoff + text * h.shentsize + SH_SIZE, 32);
    b
}

#[test]
fn shrunk_code_section_is_not_valid() {
    let Some(bytes) = object("valid") else { return };
    let text = parse_error(&shrunk_text(&bytes), ".text shrunk to 32 bytes");
    eprintln!("{text}");
}

#[test]
fn rvo_binary_prints_no_panic_for_a_corrupt_object() {
    let Some(bytes) = object("valid") else { return };
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elf_errors_shrunk_text.o");
    std::fs::write(&path, shrunk_text(&bytes)).expect("write");
    let stderr = rvo_compile_fails(&path, &[]);
    assert!(
        rvo_line(&stderr).contains("not a valid eBPF object"),
        "{stderr}"
    );
}

#[test]
fn huge_bss_is_an_error_not_an_abort() {
    // In a child process (`rvo compile`), since an allocation failure aborts.
    let Some(mut bytes) = object("valid") else {
        return;
    };
    let h = elf_header(&bytes);
    let bss = (0..h.shnum)
        .find(|&i| section_type(&bytes, &h, i) == SHT_NOBITS)
        .expect("valid.o has a .bss section");
    set_u64(
        &mut bytes,
        h.shoff + bss * h.shentsize + SH_SIZE,
        u64::MAX / 2,
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elf_errors_huge_bss.o");
    std::fs::write(&path, &bytes).expect("write");
    let stderr = rvo_compile_fails(&path, &[]);
    assert!(
        rvo_line(&stderr).contains("not a valid eBPF object"),
        "{stderr}"
    );
}

#[test]
fn host_object_is_not_ebpf() {
    // valid.c compiled without `-target bpf`: x86-64 code in the program sections.
    let Some(bytes) = object("host_valid") else {
        return;
    };
    let text = parse_error(&bytes, "valid.c compiled for the host");
    eprintln!("{text}");
}

#[test]
fn machine_other_than_bpf_is_not_ebpf() {
    let Some(mut bytes) = object("valid") else {
        return;
    };
    bytes[0x12..0x14].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    parse_error(&bytes, "valid.o marked x86-64");
}

#[test]
fn garbage_is_not_an_object() {
    let mut rng = Rng(0x9a4b_a9e5);
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("an empty file".into(), Vec::new()),
        ("the ELF magic alone".into(), b"\x7fELF".to_vec()),
        (
            "a text file".into(),
            b"SEC(\"xdp\") int prog() { return 2; }\n".to_vec(),
        ),
    ];
    for case in 0..200 {
        let len = rng.below(4096);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half of them look like a 64-bit little-endian ELF file at first sight.
        if case % 2 == 1 && b.len() >= 64 {
            b[..6].copy_from_slice(b"\x7fELF\x02\x01");
        }
        inputs.push((format!("{len} random bytes (case {case})"), b));
    }
    for (what, b) in &inputs {
        parse_error(b, what);
    }
    eprintln!("{}", parse_error(&inputs[0].1, &inputs[0].0));
    eprintln!("{}", parse_error(&inputs[3].1, &inputs[3].0));
}

/// The `rvo` binary of this build (built by cargo here when missing or stale).
fn rvo_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("RVO_BIN") {
            return PathBuf::from(p);
        }
        // This test is target/<profile>/deps/elf_errors-HASH: build the binary with the same
        // profile into the same target directory (cargo decides whether it is up to date).
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps");
        let target = profile_dir.parent().expect("target directory");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(p) => p,
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "rvo-cli",
                "--bin",
                "rvo",
                "--profile",
                profile,
            ])
            .arg("--target-dir")
            .arg(target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build of rvo failed: {status}");
        let bin = profile_dir.join(format!("rvo{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was built", bin.display());
        bin
    })
    .clone()
}

/// `rvo compile OBJECT -o ...`: its stderr, asserting exit status 1 and no panic.
fn rvo_compile_fails(object: &Path, extra: &[&str]) -> String {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elf_errors_out.rvo");
    let o = Command::new(rvo_binary())
        .arg("compile")
        .arg(object)
        .arg("-o")
        .arg(&out)
        .args(extra)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("rvo runs");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    eprintln!("rvo compile {}: {}", object.display(), stderr.trim_end());
    assert_eq!(o.status.code(), Some(1), "exit status: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "rvo panicked: {stderr}"
    );
    stderr
}

/// The `rvo: ...` line of the binary's stderr (there may be a line before it saying whether
/// Linux's verifier accepted the object).
fn rvo_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rvo: ")).collect();
    assert_eq!(lines.len(), 1, "one `rvo: ` line in: {stderr}");
    lines[0]
}

#[test]
fn rvo_binary_names_helper_and_line() {
    let Some(bytes) = object("printk") else {
        return;
    };
    let path = object_path("printk");
    let pc = helper_call(program(&parsed(&bytes), "xdp_debug"), 6);
    let line = source_line("printk.c", "bpf_printk(");
    let stderr = rvo_compile_fails(&path, &[]);
    let msg = rvo_line(&stderr);
    let head = format!(
        "rvo: {}: program `xdp_debug`: instruction {pc} (`call 6`) at printk.c:{line}",
        path.display()
    );
    assert!(msg.starts_with(&head), "`{msg}` starts with `{head}`");
    assert!(
        msg.ends_with("helper bpf_trace_printk (#6) has no rvo hardware unit"),
        "{msg}"
    );
}

#[test]
fn rvo_binary_names_map_and_type() {
    if object("ringbuf").is_none() {
        return;
    }
    let path = object_path("ringbuf");
    let stderr = rvo_compile_fails(&path, &[]);
    assert_eq!(
        rvo_line(&stderr),
        format!(
            "rvo: {}: map `events`: BPF_MAP_TYPE_RINGBUF (type 27) has no rvo map engine",
            path.display()
        )
    );
}

#[test]
fn rvo_binary_refuses_truncated_and_corrupt_objects() {
    let Some(bytes) = object("printk") else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let h = elf_header(&bytes);
    let truncated = dir.join("elf_errors_truncated.o");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let mut corrupt = bytes.clone();
    corrupt[0x28..0x30].copy_from_slice(&(bytes.len() as u64 * 2).to_le_bytes());
    let corrupt_path = dir.join("elf_errors_corrupt.o");
    std::fs::write(&corrupt_path, &corrupt).expect("write");
    assert!(h.shoff < bytes.len());
    for path in [truncated, corrupt_path] {
        let stderr = rvo_compile_fails(&path, &[]);
        let prefix = format!("rvo: {}: not a valid eBPF object: ", path.display());
        assert!(rvo_line(&stderr).starts_with(&prefix), "{stderr}");
    }
}

#[test]
fn rvo_binary_names_the_frags_reason() {
    if object("xdp_frags").is_none() {
        return;
    }
    let path = object_path("xdp_frags");
    let stderr = rvo_compile_fails(&path, &["--prog", "xdp_jumbo"]);
    assert_eq!(
        rvo_line(&stderr),
        format!(
            "rvo: {}: program `xdp_jumbo`: xdp.frags (multi-buffer) programs need packets in \
             fragments; the device holds each packet in one buffer",
            path.display()
        )
    );
}

#[test]
fn rvo_compile_shows_the_verifier_log() {
    if object("unbounded_read").is_none() {
        return;
    }
    let path = object_path("unbounded_read");
    match rvo_linux::availability() {
        Ok(()) => {
            let stderr = rvo_compile_fails(&path, &[]);
            let msg = rvo_line(&stderr);
            assert!(msg.contains("Linux's verifier rejects it"), "{stderr}");
            // The kernel's own words, from its log.
            assert!(stderr.contains("invalid access to packet"), "{stderr}");
        }
        Err(why) => {
            assert!(
                !rvo_tests::in_ci(),
                "Linux's verifier is needed in CI: {why}"
            );
            let stderr = rvo_compile_fails(&path, &["--require-verified"]);
            assert!(
                rvo_line(&stderr).contains("not verified by Linux"),
                "{stderr}"
            );
        }
    }
}
