//! `cargo xtask vm-test`: the Linux driver (`host-driver/`, rvo.ko) against the device model
//! (`rvo-devsim`) in QEMU, end to end.
//!
//! Steps: the guest kernel (`host-driver/kernel/build.sh`, cached), the module against its
//! kbuild tree, `rvo-devsim`, the BPF objects (`host-driver/tests/bpf`, the corpus), the wire
//! captures, what Linux gives for the corpus programs (`BPF_PROG_TEST_RUN` on this machine),
//! an initramfs (busybox, iproute2, bpftool, ethtool, the objects,
//! `host-driver/tests/vm/init.sh` as `/init`), then rvo-devsim as QEMU's ivshmem server and QEMU (TCG) booting the guest, which
//! runs the checks. Everything started is stopped again. Prints one line per check and
//! `N passed, M failed`; fails unless every check passed.
//!
//! Not covered here: KVM (it does not work on these machines), several rvo devices at once.

use crate::{exec, root};
use anyhow::{bail, Context, Result};
use rvo_cli::packets::{read_pcap_file, write_pcap_file, Packet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Lanes of the simulated core.
    #[arg(long, default_value_t = 2)]
    lanes: u8,
    /// The device's core: `model` (the ISA model) or `rtl` (the Verilated core; one lane).
    #[arg(long, default_value = "model")]
    backend: String,
    /// Seconds QEMU may run before it is stopped.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

/// Corpus programs Linux can offload: only ARRAY and HASH maps (`bpf_map_offload_map_alloc`
/// refuses every other type), no global data (offloaded maps have no direct value access),
/// and no dependence on time (rate_limiter's buckets follow `ktime_get_ns`).
const OFFLOADABLE: &[&str] = &[
    "icmp_responder",
    "ipip_decap",
    "ipip_encap",
    "ipv6_exthdr",
    "vlan",
];

/// A corpus program the kernel refuses to offload, and why.
const NOT_OFFLOADABLE: (&str, &str) = ("lpm_router", "LPM_TRIE");

/// Frames of the generic wire capture.
const FRAMES: usize = 8;

struct Steps {
    start: Instant,
    times: Vec<(&'static str, Duration)>,
}

impl Steps {
    fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("vm-test: {name}");
        let t = Instant::now();
        let r = f().with_context(|| format!("vm-test step `{name}`"))?;
        self.times.push((name, t.elapsed()));
        Ok(r)
    }
}

fn output(cmd: &mut Command) -> Result<String> {
    let line = format!("{cmd:?}");
    let out = cmd
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {line}"))?;
    if !out.status.success() {
        bail!("{line} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run a command with its output in `log`; on failure show the log's tail.
fn logged(cmd: &mut Command, log: &Path) -> Result<()> {
    let line = format!("{cmd:?}");
    let file = std::fs::File::create(log)?;
    let status = cmd
        .current_dir(root())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("cannot start {line}"))?;
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for l in tail.iter().rev() {
            eprintln!("    {l}");
        }
        bail!("{line} failed ({status}); log: {}", log.display());
    }
    Ok(())
}

/// Ethernet + IPv4 + UDP frames of different lengths, broadcast.
fn frames() -> Vec<Packet> {
    (0..FRAMES)
        .map(|i| {
            let payload = 18 + 37 * i;
            let ip_len = 20 + 8 + payload;
            let mut f = vec![0xff; 6];
            f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
            let mut ip = vec![
                0x45,
                0,
                (ip_len >> 8) as u8,
                ip_len as u8,
                0,
                i as u8,
                0x40,
                0,
            ];
            ip.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            let sum = ip
                .chunks(2)
                .map(|c| u32::from(c[0]) << 8 | u32::from(c[1]))
                .sum::<u32>();
            let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            f.extend_from_slice(&ip);
            let udp_len = (8 + payload) as u16;
            f.extend_from_slice(&[0x30, 0x39, 0x00, 0x09]);
            f.extend_from_slice(&udp_len.to_be_bytes());
            f.extend_from_slice(&[0, 0]);
            f.extend((0..payload).map(|b| b as u8));
            Packet {
                timestamp: Duration::from_millis(i as u64),
                data: f,
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The corpus checks: `corpus NAME xdp "A D P T R" "PASS_BYTES TX_BYTES"` lines with Linux's
/// verdict counts and the bytes of the frames it passes and sends back (TX + REDIRECT), and
/// each program's map contents as bpftool updates. Returns the script and the frames Linux
/// sends back to the wire (TX + REDIRECT), in order.
fn corpus_script(work: &Path, objects: &Path) -> Result<(String, Vec<Vec<u8>>)> {
    let mut script = String::new();
    let mut wire_tx = Vec::new();
    if let Err(why) = rvo_linux::availability() {
        writeln!(
            script,
            "ko \"corpus: Linux oracle unavailable on the host: {why}\""
        )?;
        return Ok((script, wire_tx));
    }
    for e in rvo_cli::corpus::manifest()? {
        if !OFFLOADABLE.contains(&e.object.as_str()) {
            continue;
        }
        let packets: Vec<Vec<u8>> = read_pcap_file(&e.pcap)?
            .into_iter()
            .map(|p| p.data)
            .collect();
        let maps = match &e.maps {
            Some(m) => rvo_cli::maps_json::read(m)?,
            None => rvo_cli::maps_json::MapsState::new(),
        };
        let init = rvo_cli::check::linux_init(&maps);
        let object = objects.join(format!("{}.o", e.object));
        let run = rvo_linux::run_xdp(
            &object,
            e.program.as_deref(),
            &init,
            &packets,
            &rvo_linux::TestRunOptions::default(),
        )
        .with_context(|| format!("Linux on {}", e.object))?;
        let mut counts = [0u64; 5];
        for p in &run.packets {
            // Linux treats an unknown action as XDP_ABORTED.
            counts[if p.retval <= 4 { p.retval as usize } else { 0 }] += 1;
        }
        // The device passes up and sends `data..data_end`; metadata stays behind.
        let frame = |p: &rvo_linux::PacketResult| {
            p.data_out[(p.meta_len as usize).min(p.data_out.len())..].to_vec()
        };
        let pass_bytes: usize = run
            .packets
            .iter()
            .filter(|p| p.retval == 2)
            .map(|p| frame(p).len())
            .sum();
        let mut tx_bytes = 0;
        for p in run
            .packets
            .iter()
            .filter(|p| p.retval == 3 || p.retval == 4)
        {
            tx_bytes += frame(p).len();
            wire_tx.push(frame(p));
        }
        let mut updates = String::new();
        for (name, c) in &maps {
            let short: String = name.chars().take(15).collect();
            for (k, vs) in &c.entries {
                if let Some(v) = vs.first() {
                    writeln!(updates, "{short} key hex {} value hex {}", hex(k), hex(v))?;
                }
            }
        }
        std::fs::write(work.join(format!("root/checks/{}.maps", e.object)), updates)?;
        // The maps after the run, as Linux left them: `MAP FILE COUNT` lines, FILE holding the
        // entries as `bpftool -j map dump` prints them, one per line, sorted.
        let mut expect_maps = String::new();
        let json = |b: &[u8]| {
            let v: Vec<String> = b.iter().map(|b| format!("\"0x{b:02x}\"")).collect();
            format!("[{}]", v.join(","))
        };
        for m in run.maps.iter().filter(|m| !m.per_cpu) {
            let short: String = m.name.chars().take(15).collect();
            let mut lines: Vec<String> = m
                .entries
                .iter()
                .filter_map(|en| {
                    let v = en.values.first()?;
                    Some(format!(
                        "{{\"key\":{},\"value\":{}}}",
                        json(&en.key),
                        json(v)
                    ))
                })
                .collect();
            lines.sort();
            let file = format!("{}.{short}.dump", e.object);
            std::fs::write(
                work.join("root/checks").join(&file),
                lines.join("\n") + "\n",
            )?;
            writeln!(expect_maps, "{short} {file} {}", lines.len())?;
        }
        std::fs::write(
            work.join(format!("root/checks/{}.expect", e.object)),
            expect_maps,
        )?;
        std::fs::copy(&e.pcap, work.join(format!("wire/{}.pcap", e.object)))?;
        let expect: Vec<String> = counts.iter().map(u64::to_string).collect();
        writeln!(
            script,
            "corpus {} xdp \"{}\" \"{pass_bytes} {tx_bytes}\"",
            e.object,
            expect.join(" ")
        )?;
    }
    let (name, why) = NOT_OFFLOADABLE;
    writeln!(
        script,
        "refuse \"corpus {name}: not offloaded ({why} maps stay on the host)\" \
         \"Invalid argument|not supported\" $IP -force link set dev rvo0 xdpoffload obj $B/corpus/{name}.o sec xdp"
    )?;
    Ok((script, wire_tx))
}

fn copy_with_libs(bin: &str, dest_root: &Path) -> Result<()> {
    let copy = |src: &str| -> Result<()> {
        let dst = dest_root.join(src.trim_start_matches('/'));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(src, &dst).with_context(|| format!("cannot copy {src}"))?;
        Ok(())
    };
    copy(bin)?;
    let ldd = output(Command::new("ldd").arg(bin))?;
    for lib in ldd.split_whitespace().filter(|w| w.starts_with('/')) {
        copy(lib)?;
    }
    Ok(())
}

const BUSYBOX_APPLETS: &[&str] = &[
    "sh", "mount", "insmod", "rmmod", "cat", "echo", "ls", "sleep", "dmesg", "grep", "mkdir", "wc",
    "sed", "head", "tail", "cut", "test", "tr", "reboot", "readlink", "basename", "true", "false",
    "rm", "awk", "[", "sort", "cmp", "diff", "ping",
];

fn initramfs(work: &Path, module: &Path, corpus_sh: &str, lanes: u8) -> Result<PathBuf> {
    let r = work.join("root");
    for d in [
        "bin",
        "sbin",
        "proc",
        "sys",
        "dev",
        "tmp",
        "lib/modules",
        "bpf/corpus",
        "checks",
    ] {
        std::fs::create_dir_all(r.join(d))?;
    }
    std::fs::copy("/bin/busybox", r.join("bin/busybox")).context("busybox-static is needed")?;
    for a in BUSYBOX_APPLETS {
        std::os::unix::fs::symlink("busybox", r.join("bin").join(a))?;
    }
    copy_with_libs("/usr/bin/ip", &r)?;
    copy_with_libs("/usr/sbin/bpftool", &r)?;
    copy_with_libs("/usr/sbin/ethtool", &r)
        .context("ethtool is needed (apt-get install ethtool)")?;
    std::fs::copy(module, r.join("lib/modules/rvo.ko"))?;
    std::fs::copy(work.join("jited"), r.join("bin/jited"))?;
    std::fs::copy(root().join("host-driver/tests/vm/init.sh"), r.join("init"))?;
    let frame_bytes: usize = frames().iter().map(|f| f.data.len()).sum();
    std::fs::write(
        r.join("checks/env.sh"),
        format!("NFRAMES={FRAMES}\nFRAME_BYTES={frame_bytes}\nLANES={lanes}\n"),
    )?;
    std::fs::write(r.join("checks/corpus.sh"), corpus_sh)?;
    let out = work.join("initramfs.cpio.gz");
    exec(Command::new("sh").arg("-c").arg(format!(
        "cd {} && find . | cpio -o -H newc --quiet | gzip -1 > {}",
        r.display(),
        out.display()
    )))?;
    Ok(out)
}

/// Stop a child we started, by its id, if it still runs.
fn stop(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
}

pub fn run(args: &Args) -> Result<()> {
    let mut steps = Steps {
        start: Instant::now(),
        times: Vec::new(),
    };
    let work = root().join("target/vm-test");
    let _ = std::fs::remove_dir_all(&work);
    for d in ["root/bpf/corpus", "wire", "root/checks"] {
        std::fs::create_dir_all(work.join(d))?;
    }
    let driver = root().join("host-driver");

    let kdir = steps.run("kernel (cached by host-driver/kernel/build.sh)", || {
        let out = output(&mut Command::new(driver.join("kernel/build.sh")))?;
        let dir = out.lines().last().unwrap_or("").trim().to_string();
        if dir.is_empty() {
            bail!("build.sh printed no directory");
        }
        Ok(PathBuf::from(dir).join("kbuild"))
    })?;
    let bzimage = kdir.join("arch/x86/boot/bzImage");

    let module = steps.run("module rvo.ko", || {
        logged(
            Command::new("make")
                .arg("-C")
                .arg(&kdir)
                .arg(format!("M={}", driver.display()))
                .arg("modules"),
            &work.join("module.log"),
        )?;
        Ok(driver.join("rvo.ko"))
    })?;

    let devsim = steps.run("rvo-devsim", || {
        exec(crate::cargo().args(["build", "--release", "-q", "-p", "rvo-devsim"]))?;
        Ok(root().join("target/release/rvo-devsim"))
    })?;

    let objects = root().join("target/corpus");
    steps.run("BPF objects", || {
        let bpf_dir = driver.join("tests/bpf");
        let mut sources: Vec<PathBuf> = std::fs::read_dir(&bpf_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "c"))
            .collect();
        sources.sort();
        for src in sources {
            let stem = src.file_stem().and_then(|s| s.to_str()).unwrap_or("prog");
            exec(
                Command::new("clang")
                    .args(["-O2", "-g", "-target", "bpf", "-Wall"])
                    .args(["-I/usr/include/x86_64-linux-gnu", "-c"])
                    .arg(&src)
                    .arg("-o")
                    .arg(work.join(format!("root/bpf/{stem}.o"))),
            )?;
        }
        rvo_cli::corpus::build(&objects)?;
        for name in OFFLOADABLE.iter().chain([&NOT_OFFLOADABLE.0]) {
            std::fs::create_dir_all(work.join("root/bpf/corpus"))?;
            std::fs::copy(
                objects.join(format!("{name}.o")),
                work.join(format!("root/bpf/corpus/{name}.o")),
            )?;
        }
        exec(
            Command::new("gcc")
                .args(["-static", "-O2", "-Wall", "-o"])
                .arg(work.join("jited"))
                .arg(driver.join("tests/vm/jited.c")),
        )
    })?;

    let (corpus_sh, corpus_tx) = steps.run("wire captures and Linux's verdicts", || {
        write_pcap_file(&work.join("wire/frames.pcap"), &frames())?;
        corpus_script(&work, &objects)
    })?;

    let initrd = steps.run("initramfs", || {
        initramfs(&work, &module, &corpus_sh, args.lanes)
    })?;

    let sock = work.join("ivshmem.sock");
    let (image, wire_out) = (work.join("image.bin"), work.join("wire-out.pcap"));
    let mut lines = Vec::new();
    steps.run("boot and checks (rvo-devsim + QEMU TCG)", || {
        let devsim_log = std::fs::File::create(work.join("devsim.log"))?;
        let mut sim = Command::new(&devsim)
            .arg("--socket")
            .arg(&sock)
            .arg("--wire")
            .arg(work.join("wire"))
            .arg("--out")
            .arg(&wire_out)
            .arg("--xmit-out")
            .arg(work.join("xmit-out.pcap"))
            .arg("--dump-image")
            .arg(&image)
            .args(["--lanes", &args.lanes.to_string(), "--once", "-v"])
            .args(["--backend", &args.backend])
            .stderr(devsim_log)
            .spawn()
            .context("cannot start rvo-devsim")?;
        let t = Instant::now();
        while !sock.exists() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let qemu = Command::new("qemu-system-x86_64")
            .args([
                "-accel", "tcg", "-M", "q35", "-cpu", "max", "-m", "512", "-smp", "1",
            ])
            .args(["-nographic", "-no-reboot", "-kernel"])
            .arg(&bzimage)
            .arg("-initrd")
            .arg(&initrd)
            .args(["-append", "console=ttyS0 panic=-1 oops=panic quiet"])
            .arg("-chardev")
            .arg(format!("socket,path={},id=rvo", sock.display()))
            .args(["-device", "ivshmem-doorbell,chardev=rvo,vectors=2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut qemu = match qemu {
            Ok(q) => q,
            Err(e) => {
                stop(&mut sim);
                return Err(e).context("cannot start qemu-system-x86_64");
            }
        };
        // The watchdog stops QEMU (by its id) if the guest hangs.
        let pid = qemu.id();
        let timeout = Duration::from_secs(args.timeout);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                eprintln!(
                    "vm-test: QEMU timed out after {}s; stopping it",
                    timeout.as_secs()
                );
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        });
        let mut log = String::new();
        if let Some(out) = qemu.stdout.take() {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // The firmware's screen control sequences precede the first line.
                let line = line.trim_end_matches('\r');
                let clean = line.find("RVO-").map_or(line, |i| &line[i..]).to_string();
                if clean.contains("RVO-") || clean.starts_with("    ") {
                    println!("{clean}");
                }
                log.push_str(&clean);
                log.push('\n');
                lines.push(clean);
            }
        }
        let _ = qemu.wait();
        let _ = done_tx.send(());
        let _ = watchdog.join();
        std::fs::write(work.join("boot.log"), &log)?;
        // rvo-devsim exits by itself once the guest has gone (--once).
        let t = Instant::now();
        while matches!(sim.try_wait(), Ok(None)) && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop(&mut sim);
        Ok(())
    })?;

    // Host-side checks: what reached the device model.
    let mut host = Vec::new();
    let img = std::fs::read(&image).unwrap_or_default();
    host.push((
        "rvo-devsim received an image compiled in the guest (RVO1)".to_string(),
        img.starts_with(b"RVO1"),
    ));
    // The guest's last image is xdp_pass's: the verifier leaves two instructions as they
    // are, so the kernel's compiler must give exactly what user space's does.
    let pass = std::fs::read(work.join("root/bpf/xdp_pass.o"))?;
    let user = rvo_compiler::elf::parse_object(&pass)
        .map_err(|e| anyhow::anyhow!("xdp_pass.o: {e}"))
        .and_then(|o| {
            let p = o.program(None).map_err(|e| anyhow::anyhow!("{e}"))?;
            let opts = rvo_compiler::Options {
                lanes: args.lanes,
                optimize: true,
            };
            o.compile(p, &opts).map_err(|e| anyhow::anyhow!("{e}"))
        })?;
    host.push((
        "the kernel's image of xdp_pass equals `rvo compile`'s, byte for byte".to_string(),
        img == user.image,
    ));
    let tx: Vec<Vec<u8>> = read_pcap_file(&wire_out)
        .map(|p| p.into_iter().map(|p| p.data).collect())
        .unwrap_or_default();
    host.push((
        format!(
            "frames the programs transmitted (XDP_TX/REDIRECT) are Linux's, byte for byte ({} on the wire, Linux: {})",
            tx.len(),
            corpus_tx.len()
        ),
        tx == corpus_tx,
    ));
    let devsim_log = std::fs::read_to_string(work.join("devsim.log")).unwrap_or_default();
    host.push((
        "rvo-devsim served the guest and exited".to_string(),
        devsim_log.contains("guest left"),
    ));
    for (name, ok) in &host {
        println!(
            "RVO-CHECK: {} {name} (host)",
            if *ok { "PASS" } else { "FAIL" }
        );
    }

    let passed = lines
        .iter()
        .filter(|l| l.starts_with("RVO-CHECK: PASS"))
        .count()
        + host.iter().filter(|(_, ok)| *ok).count();
    let mut failed = lines
        .iter()
        .filter(|l| l.starts_with("RVO-CHECK: FAIL"))
        .count()
        + host.iter().filter(|(_, ok)| !*ok).count();
    if !lines.iter().any(|l| l.starts_with("RVO-RESULT:")) {
        println!(
            "RVO-CHECK: FAIL the guest finished its checks (see {})",
            work.join("boot.log").display()
        );
        failed += 1;
    }
    eprintln!("vm-test: timings");
    for (name, d) in &steps.times {
        eprintln!("  {:>7.1}s  {name}", d.as_secs_f64());
    }
    eprintln!("  {:>7.1}s  total", steps.start.elapsed().as_secs_f64());
    eprintln!("vm-test: logs in {}", work.display());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} vm-test checks failed");
    }
    Ok(())
}
