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
    KtimeGetNs = 5, "bpf_ktime_get_ns", 0, "r0 = device time in nanoseconds (the cycle counter at the nominal clock)";
    GetPrandomU32 = 7, "bpf_get_prandom_u32", 0, "r0 = next value of the core's 32-bit xorshift generator";
    GetSmpProcessorId = 8, "bpf_get_smp_processor_id", 0, "r0 = index of the core running the program";
}

/// Nominal core clock, for `bpf_ktime_get_ns`: nanoseconds per cycle.
pub const NS_PER_CYCLE: u64 = 10;
