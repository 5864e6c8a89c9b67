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
    MapLookupElem = 1, "bpf_map_lookup_elem", 2, "r0 = address of the value of key [r2] in map r1, or 0 (+1 cycle per hash probe; LPM: +1 per prefix bit, +1)";
    MapUpdateElem = 2, "bpf_map_update_elem", 3, "store value [r3] under key [r2] in map r1 with flags r4; r0 = 0 or -errno (+1 cycle per probe)";
    MapDeleteElem = 3, "bpf_map_delete_elem", 2, "delete key [r2] from map r1; r0 = 0 or -ENOENT (+1 cycle per probe)";
    KtimeGetNs = 5, "bpf_ktime_get_ns", 0, "r0 = device time in nanoseconds (the cycle counter at the nominal clock)";
    GetPrandomU32 = 7, "bpf_get_prandom_u32", 0, "r0 = next value of the core's 32-bit xorshift generator";
    GetSmpProcessorId = 8, "bpf_get_smp_processor_id", 0, "r0 = index of the core running the program (0)";
    TailCall = 12, "bpf_tail_call", 1, "if slot r3 of program array r2 holds a program: drop all call frames and continue at its entry (at most 33 times); else r0 = -ENOENT";
    Redirect = 23, "bpf_redirect", 0, "record ifindex r1 as the redirect target; r0 = XDP_REDIRECT (flags r2 must be 0, else XDP_ABORTED)";
    CsumDiff = 28, "bpf_csum_diff", 1, "r0 = 32-bit ones' complement sum of [r3..r3+r4) minus [r1..r1+r2), plus seed r5 (+1 cycle per 8 bytes)";
    XdpAdjustHead = 44, "bpf_xdp_adjust_head", 1, "move the packet start by r2 bytes (within headroom and packet); r0 = 0 or -EINVAL";
    RedirectMap = 51, "bpf_redirect_map", 1, "redirect to entry r2 of devmap r1; r0 = XDP_REDIRECT, or the low bits of flags r3 when absent";
    XdpAdjustMeta = 54, "bpf_xdp_adjust_meta", 1, "move the metadata start by r2 bytes; r0 = 0 or -EINVAL";
    XdpAdjustTail = 65, "bpf_xdp_adjust_tail", 1, "move the packet end by r2 bytes (within tailroom, at least 14 bytes left); r0 = 0 or -EINVAL";
    XdpLoadBytes = 189, "bpf_xdp_load_bytes", 1, "copy r4 bytes at packet offset r2 to [r3]; r0 = 0 or -EINVAL (+1 cycle per 8 bytes)";
    XdpStoreBytes = 190, "bpf_xdp_store_bytes", 1, "copy r4 bytes from [r3] to packet offset r2; r0 = 0 or -EINVAL (+1 cycle per 8 bytes)";
}

/// Nominal core clock, for `bpf_ktime_get_ns`: nanoseconds per cycle.
pub const NS_PER_CYCLE: u64 = 10;
