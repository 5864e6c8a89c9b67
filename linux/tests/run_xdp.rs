//! A small XDP program with an ARRAY, a HASH and a PERCPU_ARRAY map and global data, run over
//! three packets by the real kernel: verdicts, output bytes and final maps, exactly.

mod common;

use rvo_linux::{run_xdp, MapEntry, MapState, TestRunOptions};

use common::{u32le, u64le};

const PROGRAM: &str = r#"
struct ethhdr { unsigned char dst[6]; unsigned char src[6]; __u16 proto; };

/* .rodata: the verdict for everything but IPv4; the test sets it to XDP_TX before load. */
const volatile __u32 other_action = XDP_DROP;
/* .bss */
__u64 packets_seen = 0;

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
         __type(key, __u32); __type(value, __u64); } actions SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16);
         __type(key, __u32); __type(value, __u64); } by_first_byte SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u64); } bytes SEC(".maps");

SEC("xdp")
int rvo_test(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_ABORTED;

    unsigned char tmp[6];
    __builtin_memcpy(tmp, eth->dst, 6);
    __builtin_memcpy(eth->dst, eth->src, 6);
    __builtin_memcpy(eth->src, tmp, 6);

    __u32 action = eth->proto == __builtin_bswap16(0x0800) ? XDP_PASS : other_action;

    __u64 *count = bpf_map_lookup_elem(&actions, &action);
    if (count)
        __sync_fetch_and_add(count, 1);

    __u32 first = 0xffff;
    if (data + 15 <= data_end)
        first = *(unsigned char *)(data + 14);
    __u64 *seen = bpf_map_lookup_elem(&by_first_byte, &first);
    if (seen) {
        *seen += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&by_first_byte, &first, &one, BPF_NOEXIST);
    }

    __u32 zero = 0;
    __u64 *total = bpf_map_lookup_elem(&bytes, &zero);
    if (total)
        *total += data_end - data;

    packets_seen += 1;
    return action;
}
"#;

fn packet(proto: u16, len: usize, first_payload_byte: u8) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0xd1]); // dst
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x51]); // src
    p[12..14].copy_from_slice(&proto.to_be_bytes());
    p[14] = first_payload_byte;
    for (i, b) in p.iter_mut().enumerate().skip(15) {
        *b = i as u8;
    }
    p
}

fn swapped(p: &[u8]) -> Vec<u8> {
    let mut q = p.to_vec();
    q[..6].copy_from_slice(&p[6..12]);
    q[6..12].copy_from_slice(&p[..6]);
    q
}

fn map<'a>(maps: &'a [MapState], name: &str) -> &'a MapState {
    maps.iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no map {name} in {maps:#?}"))
}

#[test]
fn three_packets_verdicts_bytes_and_maps() {
    require_linux_bpf!();
    let dir = tempfile::tempdir().expect("temp dir");
    let object = common::compile(dir.path(), "rvo_test", PROGRAM);

    let packets = vec![
        packet(0x0800, 60, 0x77), // IPv4: XDP_PASS
        packet(0x86dd, 64, 0x11), // IPv6: other_action
        packet(0x0806, 42, 0x77), // ARP: other_action
    ];
    let init = vec![
        MapState::init(".rodata", vec![MapEntry::new(u32le(0), u32le(3))]), // XDP_TX
        MapState::init("actions", vec![MapEntry::new(u32le(3), u64le(100))]),
        MapState::init("by_first_byte", vec![MapEntry::new(u32le(0x77), u64le(10))]),
    ];
    let run = run_xdp(&object, None, &init, &packets, &TestRunOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));

    let verdicts: Vec<u32> = run.packets.iter().map(|p| p.retval).collect();
    assert_eq!(verdicts, [2, 3, 3]);
    for (result, input) in run.packets.iter().zip(&packets) {
        assert_eq!(result.data_out, swapped(input));
        assert_eq!(result.meta_len, 0);
    }

    let names: Vec<&str> = run.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["actions", "by_first_byte", "bytes", ".rodata", ".bss"]
    );

    let actions = map(&run.maps, "actions");
    assert_eq!(
        (actions.map_type, actions.key_size, actions.value_size),
        (2, 4, 8)
    );
    assert_eq!((actions.max_entries, actions.per_cpu), (4, false));
    let expected: Vec<MapEntry> = [0, 0, 1, 102]
        .iter()
        .enumerate()
        .map(|(k, &v)| MapEntry::new(u32le(k as u32), u64le(v)))
        .collect();
    assert_eq!(actions.entries, expected);

    let by_first = map(&run.maps, "by_first_byte");
    assert_eq!(by_first.map_type, 1);
    assert_eq!(
        by_first.entries,
        [
            MapEntry::new(u32le(0x11), u64le(1)),
            MapEntry::new(u32le(0x77), u64le(12))
        ]
    );

    let bytes = map(&run.maps, "bytes");
    assert_eq!((bytes.map_type, bytes.per_cpu), (6, true));
    let cpus = libbpf_rs_cpus();
    let mut per_cpu = vec![u64le(0); cpus];
    per_cpu[run.cpu as usize] = u64le(60 + 64 + 42);
    assert_eq!(
        bytes.entries,
        [MapEntry {
            key: u32le(0),
            values: per_cpu
        }]
    );

    assert_eq!(
        map(&run.maps, ".bss").entries,
        [MapEntry::new(u32le(0), u64le(3))]
    );
    assert_eq!(
        map(&run.maps, ".rodata").entries,
        [MapEntry::new(u32le(0), u32le(3))]
    );
}

#[test]
fn without_init_the_elf_values_apply_and_state_starts_empty() {
    require_linux_bpf!();
    let dir = tempfile::tempdir().expect("temp dir");
    let object = common::compile(dir.path(), "rvo_test", PROGRAM);
    let packets = vec![packet(0x86dd, 64, 0x11), packet(0x86dd, 64, 0x11)];
    let run = run_xdp(
        &object,
        Some("rvo_test"),
        &[],
        &packets,
        &TestRunOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        run.packets.iter().map(|p| p.retval).collect::<Vec<_>>(),
        [1, 1]
    ); // XDP_DROP
    assert_eq!(
        map(&run.maps, "by_first_byte").entries,
        [MapEntry::new(u32le(0x11), u64le(2))]
    );
    assert_eq!(
        map(&run.maps, ".rodata").entries,
        [MapEntry::new(u32le(0), u32le(1))]
    );
}

#[test]
fn per_cpu_init_takes_one_value_or_one_per_cpu() {
    require_linux_bpf!();
    let dir = tempfile::tempdir().expect("temp dir");
    let object = common::compile(dir.path(), "rvo_test", PROGRAM);
    let cpus = libbpf_rs_cpus();
    let each: Vec<Vec<u8>> = (0..cpus as u64).map(|c| u64le(1000 * (c + 1))).collect();
    let init = [MapState::init(
        "bytes",
        vec![MapEntry {
            key: u32le(0),
            values: each.clone(),
        }],
    )];
    let packets = vec![packet(0x0800, 100, 0)];
    let run = run_xdp(&object, None, &init, &packets, &TestRunOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut expected = each;
    expected[run.cpu as usize] = u64le(1000 * (u64::from(run.cpu) + 1) + 100);
    assert_eq!(
        map(&run.maps, "bytes").entries,
        [MapEntry {
            key: u32le(0),
            values: expected
        }]
    );

    let init = [MapState::init(
        "bytes",
        vec![MapEntry::new(u32le(0), u64le(7))],
    )];
    let run = run_xdp(&object, None, &init, &[], &TestRunOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        map(&run.maps, "bytes").entries[0].values,
        vec![u64le(7); cpus]
    );
}

#[test]
fn ingress_device_and_queue_can_be_chosen() {
    require_linux_bpf!();
    let dir = tempfile::tempdir().expect("temp dir");
    let object = common::compile(
        dir.path(),
        "ctx",
        "SEC(\"xdp\") int ctx_fields(struct xdp_md *ctx) \
         { return ctx->ingress_ifindex * 100 + ctx->rx_queue_index; }",
    );
    let packets = vec![vec![0u8; 14]];
    let run = |opts: TestRunOptions| run_xdp(&object, None, &[], &packets, &opts);
    let default = run(TestRunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(default.packets[0].retval, 100); // loopback, queue 0
    let lo = TestRunOptions {
        ingress_ifindex: Some(1),
        rx_queue_index: Some(0),
        ..TestRunOptions::default()
    };
    assert_eq!(
        run(lo).unwrap_or_else(|e| panic!("{e}")).packets[0].retval,
        100
    );
    let bad_queue = TestRunOptions {
        ingress_ifindex: Some(1),
        rx_queue_index: Some(5),
        ..TestRunOptions::default()
    };
    let err = run(bad_queue).expect_err("loopback has one queue");
    assert!(
        matches!(
            err,
            rvo_linux::LinuxError::TestRun {
                errno: Some(22),
                ..
            }
        ),
        "{err}"
    );
    let missing = TestRunOptions {
        ingress_ifindex: Some(999_999),
        rx_queue_index: None,
        ..TestRunOptions::default()
    };
    let err = run(missing).expect_err("no such device");
    assert!(
        matches!(
            err,
            rvo_linux::LinuxError::TestRun {
                errno: Some(19),
                ..
            }
        ),
        "{err}"
    );
    let no_device = TestRunOptions {
        ingress_ifindex: None,
        rx_queue_index: Some(0),
        ..TestRunOptions::default()
    };
    let err = run(no_device).expect_err("queue without device");
    assert!(
        matches!(err, rvo_linux::LinuxError::InvalidOptions(_)),
        "{err}"
    );
}

fn libbpf_rs_cpus() -> usize {
    // /sys/devices/system/cpu/possible, e.g. "0-1" or "0-3,5".
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").expect("possible CPUs");
    text.trim()
        .split(',')
        .map(|range| match range.split_once('-') {
            Some((a, b)) => b.parse::<usize>().expect("cpu") - a.parse::<usize>().expect("cpu") + 1,
            None => 1,
        })
        .sum()
}
