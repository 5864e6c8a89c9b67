//! Helper units: the hardware behind `helper imm`.
//!
//! A helper's number is the one Linux gives it in `enum bpf_func_id` (a stable ABI), so the
//! compiler passes it through and a verifier log, a disassembly and the device agree. Only
//! the helpers listed here exist on the core; every other number is a compile-time error
//! (and a device fault, should an image name it anyway).

macro_rules! helpers {
    ($($name:ident = $id:literal, $linux:literal, $cycles:literal, $doc:literal;)*) => {
        /// A helper unit of the core.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Helper {
            $(#[doc = $doc] $name = $id,)*
        }

        impl Helper {
            /// Every helper unit.
            pub const ALL: &'static [Helper] = &[$(Helper::$name,)*];

            /// The unit with Linux helper number `id`.
            pub const fn from_id(id: i32) -> Option<Helper> {
                match id {
                    $($id => Some(Helper::$name),)*
                    _ => None,
                }
            }

            /// Linux's name of the helper.
            pub const fn linux_name(self) -> &'static str {
                match self { $(Helper::$name => $linux,)* }
            }

            /// Cycles the unit takes, beyond the `helper` instruction's own.
            pub const fn cycles(self) -> u32 {
                match self { $(Helper::$name => $cycles,)* }
            }

            /// What the unit does.
            pub const fn doc(self) -> &'static str {
                match self { $(Helper::$name => $doc,)* }
            }
        }
    };
}

helpers! {
    MapLookupElem = 1, "bpf_map_lookup_elem", 2, "r0 = address of the value of key [r2] in map r1, or 0 (+ map engine rules)";
    MapUpdateElem = 2, "bpf_map_update_elem", 2, "store value [r3] under key [r2] in map r1 with flags r4; r0 = 0 or -errno (+ map engine rules)";
    MapDeleteElem = 3, "bpf_map_delete_elem", 2, "delete key [r2] from map r1; r0 = 0 or -errno (+ map engine rules)";
    KtimeGetNs = 5, "bpf_ktime_get_ns", 2, "r0 = device time in nanoseconds (the cycle counter at the nominal clock)";
    GetPrandomU32 = 7, "bpf_get_prandom_u32", 2, "r0 = next value of the core's 32-bit xorshift generator";
    GetSmpProcessorId = 8, "bpf_get_smp_processor_id", 2, "r0 = index of the core running the program (0)";
    TailCall = 12, "bpf_tail_call", 2, "if slot r3 of program array r2 holds a program: drop all call frames and continue at its entry (at most 33 times); else r0 = -ENOENT (+1 per stage passed: descriptor, index, slot, entry)";
    Redirect = 23, "bpf_redirect", 2, "record ifindex r1 as the redirect target; r0 = XDP_REDIRECT (flags r2 must be 0, else XDP_ABORTED)";
    CsumDiff = 28, "bpf_csum_diff", 2, "r0 = ones' complement sum of [r3..r3+r4) from seed r5 minus that of [r1..r1+r2), folded to 16 bits as Linux 6.13+ does (+ a copy of their 8-byte words)";
    XdpAdjustHead = 44, "bpf_xdp_adjust_head", 2, "move the packet start by r2 bytes (within headroom and packet); r0 = 0 or -EINVAL (+ a copy of the metadata's 4-byte words)";
    RedirectMap = 51, "bpf_redirect_map", 2, "redirect to entry r2 of devmap r1; r0 = XDP_REDIRECT, or the low bits of flags r3 when absent (+ as a lookup, the key from r2)";
    XdpAdjustMeta = 54, "bpf_xdp_adjust_meta", 2, "move the metadata start by r2 bytes; r0 = 0 or -EINVAL";
    XdpAdjustTail = 65, "bpf_xdp_adjust_tail", 2, "move the packet end by r2 bytes (within tailroom, at least 14 bytes left); r0 = 0 or -EINVAL (+1 per 8 bytes zeroed when it grows)";
    XdpLoadBytes = 189, "bpf_xdp_load_bytes", 2, "copy r4 bytes at packet offset r2 to [r3]; r0 = 0 or -EFAULT/-EINVAL (+ a copy of its 8-byte words)";
    XdpStoreBytes = 190, "bpf_xdp_store_bytes", 2, "copy r4 bytes from [r3] to packet offset r2; r0 = 0 or -EFAULT/-EINVAL (+ a copy of its 8-byte words)";
}

/// The cycle rules of the helper units and map engines, beyond [`Helper::cycles`] (the
/// argument cycle and the result cycle every unit spends).
///
/// The units move memory a word per cycle through one port of one-cycle latency: a copy of
/// `n` words reads word `i` while it writes word `i - 1`, so it takes `n + 1` cycles. A map
/// operation spends one cycle reading the map's descriptor, loads the key a word per cycle
/// (hashing it on the way), then runs its engine:
///
/// * array-like maps: one cycle for the index check, one more (when in range) to read the
///   value's first word; an update then copies the value.
/// * hashed maps: one cycle to finish the hash, then [`probe`] cycles per slot probed (the
///   slot header, each key word, the decision); LPM tries scan every slot the same way.
/// * writes: a slot header one cycle, a key one cycle per word, a value [`copy`].
/// * LRU maps when full: one cycle per slot plus one to find the least recently used entry,
///   one to delete it, then a new probe.
pub mod timing {
    /// The rules above, for docs/ISA.md.
    pub const RULES: &str = "Every unit spends one cycle taking its arguments and one returning \
its result (the table's cycles), plus: a copy of `n` words takes `n + 1` cycles (a word read \
per cycle, written one cycle later; none for `n = 0`). Map operations: one cycle reading the \
descriptor, `words(key) + 1` loading the key (hashing it on the way; `bpf_redirect_map` takes \
the key from r2 in one cycle, hashed devmaps only), then the engine. Array-like maps: one \
cycle checking the index and, when in range, one reading the value's first word; an update \
then copies the value, a delete zeroes it a word per cycle. Hashed maps: one cycle finishing \
the hash, then `words(key) + 2` per slot probed (header, key words, decision); an LPM trie \
scans all slots so (lookups) or up to the matching prefix (updates, deletes); an LRU lookup \
that hits spends one more cycle stamping the slot. Writes: the slot header one cycle, a new \
key one per word, the value a copy. A full LRU map: `slots + 1` cycles finding the least \
recently used entry, one deleting it, then a new probe. An update with bad flags is refused \
after the descriptor.";

    /// Cycle of a map operation that reads the map's descriptor.
    pub const DESC: u32 = 1;

    /// 8-byte words in `bytes`.
    pub const fn words(bytes: u32) -> u32 {
        bytes.div_ceil(8)
    }

    /// Cycles of a copy of `words` words (read one ahead).
    pub const fn copy(words: u32) -> u32 {
        if words == 0 {
            0
        } else {
            words + 1
        }
    }

    /// Cycles to load a key of `key_size` bytes from memory.
    pub const fn key_load(key_size: u32) -> u32 {
        words(key_size) + 1
    }

    /// Cycles of one probe of a hashed map's slot (or one slot of an LPM scan).
    pub const fn probe(key_size: u32) -> u32 {
        words(key_size) + 2
    }

    /// Cycles of the scan for the least recently used entry of a full LRU map.
    pub const fn lru_scan(slots: u32) -> u32 {
        slots + 1
    }
}

/// `bpf_redirect_map` flags Linux accepts on a devmap: the action on a missing entry (the low
/// two bits), `BPF_F_BROADCAST` and `BPF_F_EXCLUDE_INGRESS`. Any other bit makes the helper
/// return `XDP_ABORTED` at once.
pub const REDIRECT_MAP_FLAGS: u64 = 3 | 1 << 3 | 1 << 4;

/// Linux's `ETH_HLEN`: adjust_head/tail keep at least an Ethernet header.
pub const ETH_HLEN: u32 = 14;
/// Linux's `MAX_TAIL_CALL_CNT`: tail calls one run may make.
pub const MAX_TAIL_CALLS: u32 = 33;

/// State of the core's xorshift generator when the device is loaded.
pub const PRANDOM_SEED: u32 = 0x2545_f491;

/// Nominal core clock, for `bpf_ktime_get_ns`: nanoseconds per cycle.
pub const NS_PER_CYCLE: u64 = 10;
