//! The bundled example (what `rvo run` shows first) against rbpf: every packet of the bundled
//! pcap gets the verdict rbpf's interpreter computes for the same program and bytes.

use rvo_cli::packets::{read_pcap, EXAMPLE_PCAP, EXAMPLE_PROGRAM};
use rvo_compiler::asm::assemble;
use rvo_compiler::ebpf::{Insn, BPF_ALU64, BPF_K, BPF_MOV};
use rvo_isa::Verdict;

/// rbpf sets r1 but not r2 (the length); the oracle run starts with `mov r2, len`, which shifts
/// no relative jump.
fn rbpf_r0(prog: &[Insn], packet: &[u8]) -> u64 {
    let set_len = Insn {
        opc: BPF_ALU64 | BPF_MOV | BPF_K,
        dst: 2,
        src: 0,
        off: 0,
        imm: packet.len() as i32,
    };
    let bytes: Vec<u8> = std::iter::once(set_len)
        .chain(prog.iter().copied())
        .flat_map(|i| i.to_bytes())
        .collect();
    let vm = rbpf::EbpfVmRaw::new(Some(&bytes)).expect("rbpf accepts the example");
    let mut mem = packet.to_vec();
    vm.execute_program(&mut mem).expect("rbpf runs the example")
}

#[test]
fn example_filter_agrees_with_rbpf_on_every_bundled_packet() {
    let prog = assemble(EXAMPLE_PROGRAM).expect("example assembles");
    let packets = read_pcap(EXAMPLE_PCAP, "examples/packets.pcap").expect("example pcap reads");
    assert!(packets.len() >= 10);
    let mut seen = std::collections::HashSet::new();
    for (i, p) in packets.iter().enumerate() {
        let want = rbpf_r0(&prog, &p.data);
        for lanes in [1, 2, 4] {
            let out =
                rvo_tests::run_on_model(&prog, &p.data, lanes).expect("model runs the example");
            assert_eq!(out.fault, None, "packet {i}, {lanes} lanes");
            assert_eq!(out.r0, want, "packet {i}, {lanes} lanes");
        }
        seen.insert(Verdict::from_r0(want));
    }
    // The bundled packets exercise every verdict the example can give.
    for v in [Verdict::Drop, Verdict::Pass, Verdict::Tx] {
        assert!(seen.contains(&v), "no packet gets {}", v.name());
    }
}
