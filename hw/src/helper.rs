//! The helper unit: every helper of `rvo_isa::Helper` and the map engines, one sequencer beside
//! the pipeline, with exactly the cycles of `rvo_isa::helper::timing`.
//!
//! The core starts the unit in the helper bundle's first cycle with r1-r3 (r4, r5 follow in the
//! unit's first cycle, `Arg`) and stalls until `done`, the unit's last cycle (`Fin`), when r0
//! is written back. The unit reaches memory through the core's byte-lane memories: one read
//! (its data on `rdata` one cycle later, zero-extended) and one write per cycle, at any
//! alignment, in any region; it checks the buffers it is given itself ([`crate::span::Span`])
//! and reports a fault as the model does, at the first byte out of bounds.
//!
//! State of the unit: the map descriptors and the program entry table (written by the host),
//! the key buffer, the xorshift generator, the tail-call count and the redirect target of the
//! run. Map counts and LRU clocks live in map memory (`rvo_isa::maps::MAP_HEADER`).
//!
//! # Sequences (one state per cycle unless a count is given)
//!
//! - plain helpers: `Arg`, `Fin`; with memory: `Arg`, `Copy` (n + 1) / `Zero` (n) /
//!   `Csum` (n + 1), `Fin`.
//! - map operations: `Arg` (handle), `Desc` (descriptor, buffers, flags), `Key` (words + 1),
//!   then arrays `AIdx`, `AChk`, [`Copy` | `Zero` | `Ent`], or hashed maps `HashF`,
//!   `Probe` (words + 2 per slot), [`Touch` | `Del` | `RVal` | `WHdr`, `WKey` (words),
//!   `Copy` | `Evict` (slots + 1), `Vict`, `Probe`...], and `Fin`.

use crate::blocks::{LutRam, Mul32};
use crate::span::Span;
use rust_hdl::prelude::*;
use rvo_isa::helper::{Helper, ETH_HLEN, MAX_TAIL_CALLS, NS_PER_CYCLE, REDIRECT_MAP_FLAGS};
use rvo_isa::maps::{errno, MapType, HASH_BASIS, MAP_HEADER, SLOT_DELETED, SLOT_HEADER, SLOT_USED};
use rvo_isa::region::{Region, PACKET_FRAME_RESERVED, PACKET_TAILROOM_RESERVED};

/// Address bits of the descriptor table and the entry table (64 maps, 64 programs).
pub const TABLE_BITS: usize = 6;

/// States of the unit.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum HState {
    /// Waiting for `start`.
    Idle,
    /// Arguments r4, r5; plain helpers computed; buffers checked.
    Arg,
    /// The map descriptor.
    Desc,
    /// The key, a word per cycle, hashed on the way.
    Key,
    /// The hash's finishing mix; the first slot.
    HashF,
    /// One slot: header, key words, decision.
    Probe,
    /// LRU stamp of a slot found by a lookup.
    Touch,
    /// Array index check.
    AIdx,
    /// Array value's first word.
    AChk,
    /// Program entry of a tail call.
    Ent,
    /// Slot header of an update.
    WHdr,
    /// Key of a new entry.
    WKey,
    /// Memory copy, a word per cycle, one read ahead.
    Copy,
    /// Zero fill, 8 bytes per cycle.
    Zero,
    /// LRU scan for the oldest entry.
    Evict,
    /// Deletion of the LRU victim; a new probe.
    Vict,
    /// Deletion of a hashed entry.
    Del,
    /// Checksum of 4-byte words.
    Csum,
    /// Value read of a hashed devmap.
    RVal,
    /// Result.
    Fin,
}

/// The helper unit.
#[derive(LogicBlock)]
pub struct HelperUnit {
    /// Clock.
    pub clock: Signal<In, Clock>,

    // Host: tables and run parameters.
    /// Write `host_data` as descriptor word `desc_addr` (map << 2 | word).
    pub desc_we: Signal<In, bool>,
    /// Descriptor word written.
    pub desc_addr: Signal<In, Bits<8>>,
    /// Write `host_data` as the entry bundle of program `ent_addr`.
    pub ent_we: Signal<In, bool>,
    /// Program written.
    pub ent_addr: Signal<In, Bits<TABLE_BITS>>,
    /// Data the host writes.
    pub host_data: Signal<In, Bits<64>>,
    /// Maps of the image.
    pub n_maps: Signal<In, Bits<7>>,
    /// Bytes of map memory in use.
    pub map_len: Signal<In, Bits<32>>,
    /// Bytes of the packet buffer (`PACKET_BUFFER` in XDP mode, the packet raw).
    pub buf_len: Signal<In, Bits<13>>,
    /// Device cycles before this run (`bpf_ktime_get_ns`).
    pub time_base: Signal<In, Bits<64>>,
    /// Generator state at the start of the run.
    pub seed: Signal<In, Bits<32>>,
    /// A run starts: per-run state is reset.
    pub run_start: Signal<In, bool>,

    // Core.
    /// Start helper `id` (the core checked that it exists).
    pub start: Signal<In, bool>,
    /// Linux helper number (low 8 bits).
    pub id: Signal<In, Bits<8>>,
    /// r1 at `start`.
    pub a1: Signal<In, Bits<64>>,
    /// r2 at `start`.
    pub a2: Signal<In, Bits<64>>,
    /// r3 at `start`.
    pub a3: Signal<In, Bits<64>>,
    /// r4 in the cycle after `start`.
    pub a4: Signal<In, Bits<64>>,
    /// r5 in the cycle after `start`.
    pub a5: Signal<In, Bits<64>>,
    /// The run's cycles before the helper's bundle, at `start`.
    pub now: Signal<In, Bits<64>>,
    /// Packet pointers (offsets in the packet buffer).
    pub pmeta: Signal<In, Bits<13>>,
    /// `data`.
    pub pdata: Signal<In, Bits<13>>,
    /// `data_end`.
    pub pend: Signal<In, Bits<13>>,
    /// Data of the read requested in the previous cycle.
    pub rdata: Signal<In, Bits<64>>,

    /// Read request.
    pub rd_en: Signal<Out, bool>,
    /// Its address.
    pub rd_addr: Signal<Out, Bits<64>>,
    /// Its size in bytes (1-8).
    pub rd_size: Signal<Out, Bits<4>>,
    /// Write request.
    pub wr_en: Signal<Out, bool>,
    /// Its address.
    pub wr_addr: Signal<Out, Bits<64>>,
    /// Its size in bytes (1-8).
    pub wr_size: Signal<Out, Bits<4>>,
    /// Its data (low bytes).
    pub wr_data: Signal<Out, Bits<64>>,
    /// Last cycle of the helper: `r0` is its result.
    pub done: Signal<Out, bool>,
    /// Result.
    pub r0: Signal<Out, Bits<64>>,
    /// The helper faults (an access out of bounds): the run ends.
    pub fault: Signal<Out, bool>,
    /// Faulting address.
    pub fault_addr: Signal<Out, Bits<64>>,
    /// Faulting access size.
    pub fault_size: Signal<Out, Bits<4>>,
    /// With `done`: a tail call to `tail_entry`.
    pub tail: Signal<Out, bool>,
    /// Entry bundle of the tail call.
    pub tail_entry: Signal<Out, Bits<13>>,
    /// With `done`: new packet pointers.
    pub set_ptrs: Signal<Out, bool>,
    /// New `data_meta`.
    pub new_meta: Signal<Out, Bits<13>>,
    /// New `data`.
    pub new_data: Signal<Out, Bits<13>>,
    /// New `data_end`.
    pub new_end: Signal<Out, Bits<13>>,
    /// Redirect of the run: 0 none, 1 ifindex, 2 map entry.
    pub redir_kind: Signal<Out, Bits<2>>,
    /// Its ifindex.
    pub redir_ifindex: Signal<Out, Bits<32>>,
    /// Its map.
    pub redir_map: Signal<Out, Bits<8>>,
    /// Its key.
    pub redir_key: Signal<Out, Bits<32>>,
    /// Generator state.
    pub rng_state: Signal<Out, Bits<32>>,

    // Tables and units.
    descs: [LutRam<Bits<64>, TABLE_BITS>; 4],
    ents: LutRam<Bits<13>, TABLE_BITS>,
    kb: LutRam<Bits<64>, TABLE_BITS>,
    hm1: Mul32,
    hm2: Mul32,
    fm1: Mul32,
    fm2: Mul32,
    am: Mul32,
    span1: Span,
    span2: Span,

    // State.
    st: DFF<HState>,
    hid: DFF<Bits<8>>,
    ra1: DFF<Bits<64>>,
    ra2: DFF<Bits<64>>,
    ra3: DFF<Bits<64>>,
    ra4: DFF<Bits<64>>,
    ra5: DFF<Bits<64>>,
    res: DFF<Bits<64>>,
    nowq: DFF<Bits<64>>,
    m: DFF<Bits<TABLE_BITS>>,
    dtype: DFF<Bits<8>>,
    ks: DFF<Bits<16>>,
    vs: DFF<Bits<32>>,
    maxe: DFF<Bits<32>>,
    doff: DFF<Bits<32>>,
    nslots: DFF<Bits<32>>,
    kw: DFF<Bits<8>>,
    kpad: DFF<Bits<32>>,
    vstride: DFF<Bits<32>>,
    ssz: DFF<Bits<32>>,
    count: DFF<Bits<32>>,
    lclock: DFF<Bits<32>>,
    h: DFF<Bits<32>>,
    hf: DFF<Bits<32>>,
    i: DFF<Bits<32>>,
    c: DFF<Bits<8>>,
    slot: DFF<Bits<32>>,
    saddr: DFF<Bits<32>>,
    nprobe: DFF<Bits<32>>,
    eq: DFF<bool>,
    hdr: DFF<Bits<64>>,
    lpl: DFF<Bits<32>>,
    klen: DFF<Bits<32>>,
    free_ok: DFF<bool>,
    free_addr: DFF<Bits<32>>,
    fs: DFF<Bits<32>>,
    best_ok: DFF<bool>,
    best_len: DFF<Bits<32>>,
    best_addr: DFF<Bits<32>>,
    vok: DFF<bool>,
    vmin: DFF<Bits<32>>,
    vaddr_e: DFF<Bits<32>>,
    evaddr: DFF<Bits<32>>,
    vaddr: DFF<Bits<32>>,
    w0: DFF<Bits<64>>,
    insert: DFF<bool>,
    regkey: DFF<bool>,
    cp_rd: DFF<Bits<64>>,
    cp_wr: DFF<Bits<64>>,
    cp_n: DFF<Bits<32>>,
    cp_unit: DFF<Bits<4>>,
    cp_last: DFF<Bits<4>>,
    cp_back: DFF<bool>,
    cp_psz: DFF<Bits<4>>,
    z_addr: DFF<Bits<64>>,
    z_rem: DFF<Bits<32>>,
    sum: DFF<Bits<64>>,
    sumf: DFF<Bits<64>>,
    cs_fs: DFF<Bits<32>>,
    cs_ts: DFF<Bits<32>>,
    nf: DFF<Bits<32>>,
    csok: DFF<bool>,
    mhdr_w: DFF<bool>,
    rv_pending: DFF<bool>,
    setp: DFF<bool>,
    nmeta: DFF<Bits<13>>,
    ndata: DFF<Bits<13>>,
    nend: DFF<Bits<13>>,
    tailq: DFF<bool>,
    tail_e: DFF<Bits<13>>,
    rk: DFF<Bits<2>>,
    rif: DFF<Bits<32>>,
    rmap: DFF<Bits<8>>,
    rkey: DFF<Bits<32>>,
    rng: DFF<Bits<32>>,
    tcalls: DFF<Bits<6>>,

    // Combinational.
    hashed: Signal<Local, bool>,
    lpm: Signal<Local, bool>,
    lru: Signal<Local, bool>,
    sparse: Signal<Local, bool>,
    d_type: Signal<Local, Bits<8>>,
    d_ks: Signal<Local, Bits<16>>,
    d_vs: Signal<Local, Bits<32>>,
    d_off: Signal<Local, Bits<32>>,
    hword: Signal<Local, Bits<64>>,
    hnext: Signal<Local, Bits<32>>,
    f1: Signal<Local, Bits<32>>,
    f2: Signal<Local, Bits<32>>,
    hfin: Signal<Local, Bits<32>>,
    kmask: Signal<Local, Bits<64>>,
    jb: Signal<Local, Bits<16>>,
    lmask: Signal<Local, Bits<64>>,
    lcur: Signal<Local, Bits<32>>,
    lbase: Signal<Local, Bits<40>>,
    lnb: Signal<Local, Bits<40>>,
    lpart: Signal<Local, Bits<16>>,
    weq: Signal<Local, bool>,
    eq_now: Signal<Local, bool>,
    pdone: Signal<Local, bool>,
    pfound: Signal<Local, bool>,
    nfree_ok: Signal<Local, bool>,
    nfree_addr: Signal<Local, Bits<32>>,
    hnd: Signal<Local, Bits<64>>,
    hnd_ok: Signal<Local, bool>,
    sd: Signal<Local, Bits<64>>,
    x64: Signal<Local, Bits<64>>,
    y64: Signal<Local, Bits<64>>,
    z64: Signal<Local, Bits<64>>,
    rx1: Signal<Local, Bits<32>>,
    rx2: Signal<Local, Bits<32>>,
    rx3: Signal<Local, Bits<32>>,
    crem: Signal<Local, Bits<32>>,
    eac_acc: Signal<Local, Bits<64>>,
    eac_wide: Signal<Local, Bits<65>>,
    fa32: Signal<Local, Bits<33>>,
    fb32: Signal<Local, Bits<33>>,
    ca: Signal<Local, Bits<32>>,
    cb: Signal<Local, Bits<32>>,
    cx: Signal<Local, Bits<32>>,
    cx33: Signal<Local, Bits<33>>,
    c16: Signal<Local, Bits<32>>,
    ncb: Signal<Local, Bits<32>>,
    nseed: Signal<Local, Bits<32>>,
    empty: Signal<Local, bool>,
    pkt_data: Signal<Local, Bits<64>>,
    // Intermediates whose bits are selected (Verilog selects only from names).
    t1: Signal<Local, Bits<64>>,
    t2: Signal<Local, Bits<64>>,
    t3: Signal<Local, Bits<64>>,
    ent_ix: Signal<Local, Bits<32>>,
    ks7: Signal<Local, Bits<16>>,
    iless: Signal<Local, Bits<32>>,
    cless: Signal<Local, Bits<8>>,
    lsh: Signal<Local, Bits<40>>,

    // Constants, all from rvo_isa.
    id_lookup: Constant<Bits<8>>,
    id_update: Constant<Bits<8>>,
    id_delete: Constant<Bits<8>>,
    id_ktime: Constant<Bits<8>>,
    id_rand: Constant<Bits<8>>,
    id_tail: Constant<Bits<8>>,
    id_redirect: Constant<Bits<8>>,
    id_csum: Constant<Bits<8>>,
    id_head: Constant<Bits<8>>,
    id_rmap: Constant<Bits<8>>,
    id_meta: Constant<Bits<8>>,
    id_tailadj: Constant<Bits<8>>,
    id_load: Constant<Bits<8>>,
    id_store: Constant<Bits<8>>,
    t_hash: Constant<Bits<8>>,
    t_prog: Constant<Bits<8>>,
    t_phash: Constant<Bits<8>>,
    t_lru: Constant<Bits<8>>,
    t_lpm: Constant<Bits<8>>,
    t_devmap: Constant<Bits<8>>,
    t_devhash: Constant<Bits<8>>,
    e_noent: Constant<Bits<64>>,
    e_exist: Constant<Bits<64>>,
    e_2big: Constant<Bits<64>>,
    e_inval: Constant<Bits<64>>,
    e_nomem: Constant<Bits<64>>,
    e_fault: Constant<Bits<64>>,
    e_acces: Constant<Bits<64>>,
    tag_mapref: Constant<Bits<8>>,
    a_map: Constant<Bits<64>>,
    a_pkt: Constant<Bits<64>>,
    c_basis: Constant<Bits<32>>,
    c_prime: Constant<Bits<32>>,
    c_fmix1: Constant<Bits<32>>,
    c_fmix2: Constant<Bits<32>>,
    c_frame: Constant<Bits<64>>,
    c_tailroom: Constant<Bits<64>>,
    c_eth: Constant<Bits<64>>,
    c_max_tail: Constant<Bits<6>>,
    c_mhdr: Constant<Bits<32>>,
    c_shdr: Constant<Bits<32>>,
    c_used: Constant<Bits<32>>,
    c_deleted: Constant<Bits<32>>,
    c_ns: Constant<Bits<64>>,
    c_ff: Constant<Bits<64>>,
    c_low32: Constant<Bits<64>>,
    c_bias: Constant<Bits<40>>,
    c_xdp_redirect: Constant<Bits<64>>,
    c_not7: Constant<Bits<32>>,
    c_ff00: Constant<Bits<16>>,
    c_ff16: Constant<Bits<16>>,
    c_three: Constant<Bits<64>>,
    c_rmap_bad: Constant<Bits<64>>,
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

fn neg(e: u32) -> Constant<Bits<64>> {
    k((-(e as i64)) as u64)
}

fn id(h: Helper) -> Constant<Bits<8>> {
    k((h as i32 as u64) & 0xff)
}

fn ty(t: MapType) -> Constant<Bits<8>> {
    k(t as u64)
}

impl Default for HelperUnit {
    fn default() -> Self {
        assert!(Helper::ALL.iter().all(|&h| (h as i32) < 256));
        assert_eq!(
            NS_PER_CYCLE, 10,
            "ktime scales by shifts: x * 10 = x << 3 + x << 1"
        );
        Self {
            clock: Default::default(),
            desc_we: Default::default(),
            desc_addr: Default::default(),
            ent_we: Default::default(),
            ent_addr: Default::default(),
            host_data: Default::default(),
            n_maps: Default::default(),
            map_len: Default::default(),
            buf_len: Default::default(),
            time_base: Default::default(),
            seed: Default::default(),
            run_start: Default::default(),
            start: Default::default(),
            id: Default::default(),
            a1: Default::default(),
            a2: Default::default(),
            a3: Default::default(),
            a4: Default::default(),
            a5: Default::default(),
            now: Default::default(),
            pmeta: Default::default(),
            pdata: Default::default(),
            pend: Default::default(),
            rdata: Default::default(),
            rd_en: Default::default(),
            rd_addr: Default::default(),
            rd_size: Default::default(),
            wr_en: Default::default(),
            wr_addr: Default::default(),
            wr_size: Default::default(),
            wr_data: Default::default(),
            done: Default::default(),
            r0: Default::default(),
            fault: Default::default(),
            fault_addr: Default::default(),
            fault_size: Default::default(),
            tail: Default::default(),
            tail_entry: Default::default(),
            set_ptrs: Default::default(),
            new_meta: Default::default(),
            new_data: Default::default(),
            new_end: Default::default(),
            redir_kind: Default::default(),
            redir_ifindex: Default::default(),
            redir_map: Default::default(),
            redir_key: Default::default(),
            rng_state: Default::default(),
            descs: std::array::from_fn(|_| LutRam::new()),
            ents: LutRam::new(),
            kb: LutRam::new(),
            hm1: Default::default(),
            hm2: Default::default(),
            fm1: Default::default(),
            fm2: Default::default(),
            am: Default::default(),
            span1: Default::default(),
            span2: Default::default(),
            st: Default::default(),
            hid: Default::default(),
            ra1: Default::default(),
            ra2: Default::default(),
            ra3: Default::default(),
            ra4: Default::default(),
            ra5: Default::default(),
            res: Default::default(),
            nowq: Default::default(),
            m: Default::default(),
            dtype: Default::default(),
            ks: Default::default(),
            vs: Default::default(),
            maxe: Default::default(),
            doff: Default::default(),
            nslots: Default::default(),
            kw: Default::default(),
            kpad: Default::default(),
            vstride: Default::default(),
            ssz: Default::default(),
            count: Default::default(),
            lclock: Default::default(),
            h: Default::default(),
            hf: Default::default(),
            i: Default::default(),
            c: Default::default(),
            slot: Default::default(),
            saddr: Default::default(),
            nprobe: Default::default(),
            eq: Default::default(),
            hdr: Default::default(),
            lpl: Default::default(),
            klen: Default::default(),
            free_ok: Default::default(),
            free_addr: Default::default(),
            fs: Default::default(),
            best_ok: Default::default(),
            best_len: Default::default(),
            best_addr: Default::default(),
            vok: Default::default(),
            vmin: Default::default(),
            vaddr_e: Default::default(),
            evaddr: Default::default(),
            vaddr: Default::default(),
            w0: Default::default(),
            insert: Default::default(),
            regkey: Default::default(),
            cp_rd: Default::default(),
            cp_wr: Default::default(),
            cp_n: Default::default(),
            cp_unit: Default::default(),
            cp_last: Default::default(),
            cp_back: Default::default(),
            cp_psz: Default::default(),
            z_addr: Default::default(),
            z_rem: Default::default(),
            sum: Default::default(),
            sumf: Default::default(),
            cs_fs: Default::default(),
            cs_ts: Default::default(),
            nf: Default::default(),
            csok: Default::default(),
            mhdr_w: Default::default(),
            rv_pending: Default::default(),
            setp: Default::default(),
            nmeta: Default::default(),
            ndata: Default::default(),
            nend: Default::default(),
            tailq: Default::default(),
            tail_e: Default::default(),
            rk: Default::default(),
            rif: Default::default(),
            rmap: Default::default(),
            rkey: Default::default(),
            rng: Default::default(),
            tcalls: Default::default(),
            hashed: Default::default(),
            lpm: Default::default(),
            lru: Default::default(),
            sparse: Default::default(),
            d_type: Default::default(),
            d_ks: Default::default(),
            d_vs: Default::default(),
            d_off: Default::default(),
            hword: Default::default(),
            hnext: Default::default(),
            f1: Default::default(),
            f2: Default::default(),
            hfin: Default::default(),
            kmask: Default::default(),
            jb: Default::default(),
            lmask: Default::default(),
            lcur: Default::default(),
            lbase: Default::default(),
            lnb: Default::default(),
            lpart: Default::default(),
            weq: Default::default(),
            eq_now: Default::default(),
            pdone: Default::default(),
            pfound: Default::default(),
            nfree_ok: Default::default(),
            nfree_addr: Default::default(),
            hnd: Default::default(),
            hnd_ok: Default::default(),
            sd: Default::default(),
            x64: Default::default(),
            y64: Default::default(),
            z64: Default::default(),
            rx1: Default::default(),
            rx2: Default::default(),
            rx3: Default::default(),
            crem: Default::default(),
            eac_acc: Default::default(),
            eac_wide: Default::default(),
            fa32: Default::default(),
            fb32: Default::default(),
            ca: Default::default(),
            cb: Default::default(),
            cx: Default::default(),
            cx33: Default::default(),
            c16: Default::default(),
            ncb: Default::default(),
            nseed: Default::default(),
            empty: Default::default(),
            pkt_data: Default::default(),
            t1: Default::default(),
            t2: Default::default(),
            t3: Default::default(),
            ent_ix: Default::default(),
            ks7: Default::default(),
            iless: Default::default(),
            cless: Default::default(),
            lsh: Default::default(),
            id_lookup: id(Helper::MapLookupElem),
            id_update: id(Helper::MapUpdateElem),
            id_delete: id(Helper::MapDeleteElem),
            id_ktime: id(Helper::KtimeGetNs),
            id_rand: id(Helper::GetPrandomU32),
            id_tail: id(Helper::TailCall),
            id_redirect: id(Helper::Redirect),
            id_csum: id(Helper::CsumDiff),
            id_head: id(Helper::XdpAdjustHead),
            id_rmap: id(Helper::RedirectMap),
            id_meta: id(Helper::XdpAdjustMeta),
            id_tailadj: id(Helper::XdpAdjustTail),
            id_load: id(Helper::XdpLoadBytes),
            id_store: id(Helper::XdpStoreBytes),
            t_hash: ty(MapType::Hash),
            t_prog: ty(MapType::ProgArray),
            t_phash: ty(MapType::PercpuHash),
            t_lru: ty(MapType::LruHash),
            t_lpm: ty(MapType::LpmTrie),
            t_devmap: ty(MapType::Devmap),
            t_devhash: ty(MapType::DevmapHash),
            e_noent: neg(errno::ENOENT),
            e_exist: neg(errno::EEXIST),
            e_2big: neg(errno::E2BIG),
            e_inval: neg(errno::EINVAL),
            e_nomem: neg(errno::ENOMEM),
            e_fault: neg(errno::EFAULT),
            e_acces: neg(errno::EACCES),
            tag_mapref: k(Region::MapRef as u64),
            a_map: k(Region::Map.addr(0)),
            a_pkt: k(Region::Packet.addr(0)),
            c_basis: k(HASH_BASIS as u64),
            c_prime: k(0x0100_0193),
            c_fmix1: k(0x85eb_ca6b),
            c_fmix2: k(0xc2b2_ae35),
            c_frame: k(PACKET_FRAME_RESERVED as u64),
            c_tailroom: k(PACKET_TAILROOM_RESERVED as u64),
            c_eth: k(ETH_HLEN as u64),
            c_max_tail: k(MAX_TAIL_CALLS as u64),
            c_mhdr: k(MAP_HEADER as u64),
            c_shdr: k(SLOT_HEADER as u64),
            c_used: k(SLOT_USED as u64),
            c_deleted: k(SLOT_DELETED as u64),
            c_ns: k(NS_PER_CYCLE),
            c_ff: k(0xff),
            c_low32: k(0xffff_ffff),
            c_bias: k(1 << 36),
            c_xdp_redirect: k(4),
            c_not7: k(0xffff_fff8),
            c_ff00: k(0xff00),
            c_ff16: k(0xff),
            c_three: k(3),
            c_rmap_bad: k(!REDIRECT_MAP_FLAGS),
        }
    }
}

impl Logic for HelperUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, st, hid, ra1, ra2, ra3, ra4, ra5, res, nowq, m, dtype, ks, vs, maxe, doff,
            nslots, kw, kpad, vstride, ssz, count, lclock, h, hf, i, c, slot, saddr, nprobe, eq,
            hdr, lpl, klen, free_ok, free_addr, fs, best_ok, best_len, best_addr, vok, vmin,
            vaddr_e, evaddr, vaddr, w0, insert, regkey, cp_rd, cp_wr, cp_n, cp_unit, cp_last,
            cp_back, cp_psz, z_addr, z_rem, sum, sumf, cs_fs, cs_ts, nf, csok, mhdr_w, rv_pending,
            setp, nmeta, ndata, nend, tailq, tail_e, rk, rif, rmap, rkey, rng, tcalls
        );

        // ---- Tables ----
        for w in 0..4 {
            self.descs[w].clock.next = self.clock.val();
            self.descs[w].write_enable.next =
                self.desc_we.val() && (self.desc_addr.val().get_bits::<2>(0).index() == w);
            self.descs[w].write_address.next = self.desc_addr.val().get_bits::<TABLE_BITS>(2);
            self.descs[w].write_data.next = self.host_data.val();
            self.descs[w].read_address.next = self.m.q.val();
        }
        self.ents.clock.next = self.clock.val();
        self.ents.write_enable.next = self.ent_we.val();
        self.ents.write_address.next = self.ent_addr.val();
        self.ents.write_data.next = self.host_data.val().get_bits::<13>(0);
        self.ent_ix.next = self.w0.q.val().get_bits::<32>(0) - 1;
        self.ents.read_address.next = self.ent_ix.val().get_bits::<TABLE_BITS>(0);
        self.t1.next = 0.into();
        self.t2.next = 0.into();
        self.t3.next = 0.into();
        self.iless.next = self.i.q.val() - 1;
        self.cless.next = self.c.q.val() - 2;
        self.lsh.next = 0.into();
        self.kb.clock.next = self.clock.val();
        self.kb.write_enable.next = false;
        self.kb.write_address.next = 0.into();
        self.kb.write_data.next = 0.into();
        self.kb.read_address.next = 0.into();

        // ---- The descriptor being read (Desc) and the map kind (later states) ----
        self.d_type.next = self.descs[0].read_data.val().get_bits::<8>(0);
        self.d_ks.next = self.descs[0].read_data.val().get_bits::<16>(32);
        self.d_vs.next = self.descs[1].read_data.val().get_bits::<32>(0);
        self.d_off.next = self.descs[2].read_data.val().get_bits::<32>(32);
        self.ks7.next = self.d_ks.val() + 7;
        self.lpm.next = self.dtype.q.val() == self.t_lpm.val();
        self.lru.next = self.dtype.q.val() == self.t_lru.val();
        self.hashed.next = (self.dtype.q.val() == self.t_hash.val())
            || (self.dtype.q.val() == self.t_phash.val())
            || self.lru.val()
            || self.lpm.val()
            || (self.dtype.q.val() == self.t_devhash.val());
        self.sparse.next = (self.dtype.q.val() == self.t_devmap.val())
            || (self.dtype.q.val() == self.t_prog.val());

        // ---- Hash: two FNV-1a rounds per key word, murmur3's finishing mix ----
        // The key word arriving: bytes past the key are zero (from r2 for a hashed devmap).
        self.jb.next = self.iless.val().get_bits::<16>(0) << 3;
        self.kmask.next = 0.into();
        for p in 0..8 {
            if (self.jb.val() + p) < self.ks.q.val() {
                self.kmask.next = self.kmask.val() | (self.c_ff.val() << (p * 8));
            }
        }
        self.hword.next = self.rdata.val() & self.kmask.val();
        if self.regkey.q.val() {
            self.hword.next = self.w0.q.val();
        }
        self.hm1.x.next = self.h.q.val() ^ self.hword.val().get_bits::<32>(0);
        self.hm1.y.next = self.c_prime.val();
        self.hm2.x.next = self.hm1.p.val() ^ self.hword.val().get_bits::<32>(32);
        self.hm2.y.next = self.c_prime.val();
        self.hnext.next = self.hm2.p.val();
        self.f1.next = self.h.q.val() ^ (self.h.q.val() >> 16);
        self.fm1.x.next = self.f1.val();
        self.fm1.y.next = self.c_fmix1.val();
        self.f2.next = self.fm1.p.val() ^ (self.fm1.p.val() >> 13);
        self.fm2.x.next = self.f2.val();
        self.fm2.y.next = self.c_fmix2.val();
        self.hfin.next = self.fm2.p.val() ^ (self.fm2.p.val() >> 16);
        // Address scaling: slot * slot size (first probe), index * value stride (arrays).
        self.am.x.next = self.hfin.val() & (self.nslots.q.val() - 1);
        self.am.y.next = self.ssz.q.val();
        if self.st.q.val() == HState::AIdx {
            self.am.x.next = self.w0.q.val().get_bits::<32>(0);
            self.am.y.next = self.vstride.q.val();
        }
        if self.st.q.val() == HState::Vict {
            self.am.x.next = self.hf.q.val() & (self.nslots.q.val() - 1);
        }

        // ---- Span checks (Arg: buffers of plain helpers; Desc: key and value) ----
        self.span1.pmeta.next = self.pmeta.val();
        self.span1.pend.next = self.pend.val();
        self.span1.map_len.next = self.map_len.val();
        self.span2.pmeta.next = self.pmeta.val();
        self.span2.pend.next = self.pend.val();
        self.span2.map_len.next = self.map_len.val();
        self.span1.addr.next = self.ra3.q.val();
        self.span1.len.next = self.a4.val().get_bits::<32>(0);
        self.span2.addr.next = self.ra3.q.val();
        self.span2.len.next = self.a4.val().get_bits::<32>(0);
        if self.hid.q.val() == self.id_csum.val() {
            self.span1.addr.next = self.ra1.q.val();
            self.span1.len.next = self.ra2.q.val().get_bits::<32>(0);
        }
        if self.st.q.val() == HState::Desc {
            self.span1.addr.next = self.ra2.q.val();
            self.span1.len.next = bit_cast::<32, 16>(self.d_ks.val());
            self.span2.addr.next = self.ra3.q.val();
            self.span2.len.next = self.d_vs.val();
        }

        // ---- Outputs' defaults ----
        self.rd_en.next = false;
        self.rd_addr.next = 0.into();
        self.rd_size.next = 8.into();
        self.wr_en.next = false;
        self.wr_addr.next = 0.into();
        self.wr_size.next = 8.into();
        self.wr_data.next = 0.into();
        self.done.next = false;
        self.r0.next = self.res.q.val();
        self.fault.next = false;
        self.fault_addr.next = 0.into();
        self.fault_size.next = 1.into();
        self.tail.next = false;
        self.tail_entry.next = self.tail_e.q.val();
        self.set_ptrs.next = false;
        self.new_meta.next = self.nmeta.q.val();
        self.new_data.next = self.ndata.q.val();
        self.new_end.next = self.nend.q.val();
        self.redir_kind.next = self.rk.q.val();
        self.redir_ifindex.next = self.rif.q.val();
        self.redir_map.next = self.rmap.q.val();
        self.redir_key.next = self.rkey.q.val();
        self.rng_state.next = self.rng.q.val();

        // ---- Shared combinational pieces ----
        self.hnd.next = self.ra1.q.val();
        if self.hid.q.val() == self.id_tail.val() {
            self.hnd.next = self.ra2.q.val();
        }
        self.hnd_ok.next = !self.hnd.val().get_bits::<24>(40).any()
            && (self.hnd.val().get_bits::<8>(32) == self.tag_mapref.val())
            && (self.hnd.val().get_bits::<32>(0) < bit_cast::<32, 7>(self.n_maps.val()));
        // Sign-extended r2 (the deltas of adjust_*).
        self.sd.next = bit_cast::<64, 32>(self.ra2.q.val().get_bits::<32>(0));
        if self.ra2.q.val().get_bit(31) {
            self.sd.next =
                bit_cast::<64, 32>(self.ra2.q.val().get_bits::<32>(0)) | !self.c_low32.val();
        }
        self.x64.next = 0.into();
        self.y64.next = 0.into();
        self.z64.next = 0.into();
        self.rx1.next = self.rng.q.val() ^ (self.rng.q.val() << 13);
        self.rx2.next = self.rx1.val() ^ (self.rx1.val() >> 17);
        self.rx3.next = self.rx2.val() ^ (self.rx2.val() << 5);
        self.pkt_data.next = self.a_pkt.val() | bit_cast::<64, 13>(self.pdata.val());
        // End-around-carry add of the checksum (operand chosen below).
        self.crem.next = 0.into();
        self.eac_acc.next = 0.into();
        self.eac_wide.next = 0.into();
        // LPM: the prefix mask of the key word being compared.
        self.lcur.next = self.lpl.q.val();
        self.lbase.next = 0.into();
        self.lnb.next = 0.into();
        self.lpart.next = 0.into();
        self.lmask.next = 0.into();
        self.weq.next = false;
        self.eq_now.next = self.eq.q.val();
        self.pdone.next = false;
        self.pfound.next = false;
        self.nfree_ok.next = self.free_ok.q.val();
        self.nfree_addr.next = self.free_addr.q.val();
        self.empty.next = self.sparse.val() && !self.rdata.val().get_bits::<32>(0).any();
        // bpf_csum_diff's result: both sums folded to 32 bits (x86 `from64to32`), combined,
        // folded to 16 (`csum_from32to16`).
        self.fa32.next = bit_cast::<33, 32>(self.sum.q.val().get_bits::<32>(0))
            + bit_cast::<33, 32>(self.sum.q.val().get_bits::<32>(32));
        self.ca.next = self.fa32.val().get_bits::<32>(0)
            + bit_cast::<32, 1>(self.fa32.val().get_bits::<1>(32));
        self.fb32.next = bit_cast::<33, 32>(self.sumf.q.val().get_bits::<32>(0))
            + bit_cast::<33, 32>(self.sumf.q.val().get_bits::<32>(32));
        self.cb.next = self.fb32.val().get_bits::<32>(0)
            + bit_cast::<32, 1>(self.fb32.val().get_bits::<1>(32));
        // (Inversions into named words first: Verilog would widen before inverting.)
        self.ncb.next = !self.cb.val();
        self.nseed.next = !self.a5.val().get_bits::<32>(0);
        self.cx33.next = bit_cast::<33, 32>(self.ca.val()) + bit_cast::<33, 32>(self.ncb.val());
        self.cx.next = self.ca.val();
        if self.cs_fs.q.val().any() && self.cs_ts.q.val().any() {
            self.cx.next = self.cx33.val().get_bits::<32>(0)
                + bit_cast::<32, 1>(self.cx33.val().get_bits::<1>(32));
        } else if self.cs_fs.q.val().any() {
            self.cx.next = !self.cb.val();
        }
        self.c16.next = self.cx.val() + ((self.cx.val() >> 16) | (self.cx.val() << 16));

        // ---- The sequencer ----
        match self.st.q.val() {
            HState::Idle => {
                if self.start.val() {
                    self.hid.d.next = self.id.val();
                    self.ra1.d.next = self.a1.val();
                    self.ra2.d.next = self.a2.val();
                    self.ra3.d.next = self.a3.val();
                    self.nowq.d.next = self.now.val();
                    self.res.d.next = 0.into();
                    self.csok.d.next = false;
                    self.mhdr_w.d.next = false;
                    self.rv_pending.d.next = false;
                    self.setp.d.next = false;
                    self.tailq.d.next = false;
                    self.regkey.d.next = false;
                    self.insert.d.next = false;
                    self.st.d.next = HState::Arg;
                }
            }
            HState::Arg => {
                self.ra4.d.next = self.a4.val();
                self.ra5.d.next = self.a5.val();
                self.nmeta.d.next = self.pmeta.val();
                self.ndata.d.next = self.pdata.val();
                self.nend.d.next = self.pend.val();
                self.st.d.next = HState::Fin;
                if self.hid.q.val() == self.id_ktime.val() {
                    self.x64.next = self.time_base.val() + self.nowq.q.val();
                    self.res.d.next = (self.x64.val() << 3) + (self.x64.val() << 1);
                } else if self.hid.q.val() == self.id_rand.val() {
                    self.rng.d.next = self.rx3.val();
                    self.res.d.next = bit_cast::<64, 32>(self.rx3.val());
                } else if self.hid.q.val() == self.id_redirect.val() {
                    if !self.ra2.q.val().any() {
                        self.rk.d.next = 1.into();
                        self.rif.d.next = self.ra1.q.val().get_bits::<32>(0);
                        self.res.d.next = self.c_xdp_redirect.val();
                    }
                } else if self.hid.q.val() == self.id_meta.val() {
                    // meta' = meta + delta: at least the frame's reserve, at most data; the
                    // metadata a multiple of 4 and at most 255 bytes.
                    self.x64.next = bit_cast::<64, 13>(self.pmeta.val()) + self.sd.val();
                    self.y64.next = bit_cast::<64, 13>(self.pdata.val()) - self.x64.val();
                    self.t1.next = self.x64.val() - self.c_frame.val();
                    self.t2.next = bit_cast::<64, 13>(self.pdata.val()) - self.x64.val();
                    if self.t1.val().get_bit(63) || self.t2.val().get_bit(63) {
                        self.res.d.next = self.e_inval.val();
                    } else if self.y64.val().get_bits::<2>(0).any() || (self.y64.val() > 255) {
                        self.res.d.next = self.e_acces.val();
                    } else {
                        self.nmeta.d.next = self.x64.val().get_bits::<13>(0);
                        self.setp.d.next = true;
                    }
                } else if self.hid.q.val() == self.id_tailadj.val() {
                    // end' = end + delta: within the buffer less its reserve, and at least an
                    // Ethernet header after data; growth is zeroed.
                    self.x64.next = bit_cast::<64, 13>(self.pend.val()) + self.sd.val();
                    self.y64.next = bit_cast::<64, 13>(self.buf_len.val()) - self.c_tailroom.val();
                    self.t1.next = self.y64.val() - self.x64.val();
                    self.t2.next =
                        self.x64.val() - (bit_cast::<64, 13>(self.pdata.val()) + self.c_eth.val());
                    self.t3.next = bit_cast::<64, 13>(self.pend.val()) - self.x64.val();
                    if self.t1.val().get_bit(63) || self.t2.val().get_bit(63) {
                        self.res.d.next = self.e_inval.val();
                    } else {
                        self.nend.d.next = self.x64.val().get_bits::<13>(0);
                        self.setp.d.next = true;
                        if self.t3.val().get_bit(63) {
                            self.z_addr.d.next =
                                self.a_pkt.val() | bit_cast::<64, 13>(self.pend.val());
                            self.t1.next = self.x64.val() - bit_cast::<64, 13>(self.pend.val());
                            self.z_rem.d.next = self.t1.val().get_bits::<32>(0);
                            self.st.d.next = HState::Zero;
                        }
                    }
                } else if self.hid.q.val() == self.id_head.val() {
                    // data' = data + delta: room for the metadata above the frame's reserve,
                    // and an Ethernet header before the end; the metadata moves along.
                    self.y64.next =
                        bit_cast::<64, 13>(self.pdata.val()) - bit_cast::<64, 13>(self.pmeta.val());
                    self.x64.next = bit_cast::<64, 13>(self.pdata.val()) + self.sd.val();
                    self.t1.next = self.x64.val() - (self.c_frame.val() + self.y64.val());
                    self.t2.next =
                        (bit_cast::<64, 13>(self.pend.val()) - self.c_eth.val()) - self.x64.val();
                    if self.t1.val().get_bit(63) || self.t2.val().get_bit(63) {
                        self.res.d.next = self.e_inval.val();
                    } else {
                        self.z64.next = self.x64.val() - self.y64.val();
                        self.nmeta.d.next = self.z64.val().get_bits::<13>(0);
                        self.ndata.d.next = self.x64.val().get_bits::<13>(0);
                        self.setp.d.next = true;
                        if self.y64.val().any() {
                            // Units of 4 bytes; moving up, the last unit first.
                            self.cp_n.d.next = self.y64.val().get_bits::<32>(2);
                            self.cp_unit.d.next = 4.into();
                            self.cp_last.d.next = 4.into();
                            self.i.d.next = 0.into();
                            self.cp_back.d.next = false;
                            self.cp_rd.d.next =
                                self.a_pkt.val() | bit_cast::<64, 13>(self.pmeta.val());
                            self.cp_wr.d.next = self.a_pkt.val() | self.z64.val();
                            if !self.sd.val().get_bit(63) && self.sd.val().any() {
                                self.cp_back.d.next = true;
                                self.cp_rd.d.next = (self.a_pkt.val()
                                    | bit_cast::<64, 13>(self.pmeta.val()))
                                    + self.y64.val()
                                    - 4;
                                self.cp_wr.d.next =
                                    (self.a_pkt.val() | self.z64.val()) + self.y64.val() - 4;
                            }
                            self.st.d.next = HState::Copy;
                        }
                    }
                } else if (self.hid.q.val() == self.id_load.val())
                    || (self.hid.q.val() == self.id_store.val())
                {
                    // Offset r2 and length r4 (low 32 bits each) within 64 KiB and the packet.
                    self.x64.next = bit_cast::<64, 32>(self.ra2.q.val().get_bits::<32>(0));
                    self.y64.next = bit_cast::<64, 32>(self.a4.val().get_bits::<32>(0));
                    if (self.x64.val() > 0xffff) || (self.y64.val() > 0xffff) {
                        self.res.d.next = self.e_fault.val();
                    } else if (self.x64.val() + self.y64.val())
                        > (bit_cast::<64, 13>(self.pend.val())
                            - bit_cast::<64, 13>(self.pdata.val()))
                    {
                        self.res.d.next = self.e_inval.val();
                    } else if !self.span1.ok.val() {
                        self.fault.next = true;
                        self.fault_addr.next = self.span1.bad.val();
                        self.st.d.next = HState::Idle;
                    } else if self.y64.val().any() {
                        self.t1.next = self.y64.val() + 7;
                        self.cp_n.d.next = self.t1.val().get_bits::<32>(3);
                        self.cp_unit.d.next = 8.into();
                        self.cp_last.d.next = 8.into();
                        if self.y64.val().get_bits::<3>(0).any() {
                            self.cp_last.d.next = bit_cast::<4, 3>(self.y64.val().get_bits::<3>(0));
                        }
                        self.cp_back.d.next = false;
                        self.i.d.next = 0.into();
                        self.cp_rd.d.next = self.pkt_data.val() + self.x64.val();
                        self.cp_wr.d.next = self.ra3.q.val();
                        if self.hid.q.val() == self.id_store.val() {
                            self.cp_rd.d.next = self.ra3.q.val();
                            self.cp_wr.d.next = self.pkt_data.val() + self.x64.val();
                        }
                        self.st.d.next = HState::Copy;
                    }
                } else if self.hid.q.val() == self.id_csum.val() {
                    // from [r1, +r2), to [r3, +r4), seed r5.
                    self.x64.next = bit_cast::<64, 32>(self.ra2.q.val().get_bits::<32>(0));
                    self.y64.next = bit_cast::<64, 32>(self.a4.val().get_bits::<32>(0));
                    self.t1.next = self.x64.val() + 7;
                    self.t2.next = self.y64.val() + 7;
                    if !self.span1.ok.val() {
                        self.fault.next = true;
                        self.fault_addr.next = self.span1.bad.val();
                        self.st.d.next = HState::Idle;
                    } else if !self.span2.ok.val() {
                        self.fault.next = true;
                        self.fault_addr.next = self.span2.bad.val();
                        self.st.d.next = HState::Idle;
                    } else {
                        self.csok.d.next = true;
                        self.cs_fs.d.next = self.x64.val().get_bits::<32>(0);
                        self.cs_ts.d.next = self.y64.val().get_bits::<32>(0);
                        self.sum.d.next = bit_cast::<64, 32>(self.a5.val().get_bits::<32>(0));
                        self.sumf.d.next = bit_cast::<64, 32>(self.nseed.val());
                        if self.x64.val().any() && self.y64.val().any() {
                            self.sumf.d.next = 0.into();
                        }
                        self.nf.d.next = self.t1.val().get_bits::<32>(3);
                        self.cp_n.d.next =
                            self.t1.val().get_bits::<32>(3) + self.t2.val().get_bits::<32>(3);
                        self.i.d.next = 0.into();
                        if (self.x64.val() | self.y64.val()).any() {
                            self.st.d.next = HState::Csum;
                        }
                    }
                } else if (self.hid.q.val() == self.id_lookup.val())
                    || (self.hid.q.val() == self.id_update.val())
                    || (self.hid.q.val() == self.id_delete.val())
                    || (self.hid.q.val() == self.id_tail.val())
                    || (self.hid.q.val() == self.id_rmap.val())
                {
                    if (self.hid.q.val() == self.id_rmap.val())
                        && (self.ra3.q.val() & self.c_rmap_bad.val()).any()
                    {
                        // A flag Linux does not know: XDP_ABORTED before the map is looked at.
                        self.res.d.next = 0.into();
                    } else if self.hnd_ok.val() {
                        self.m.d.next = self.hnd.val().get_bits::<TABLE_BITS>(0);
                        self.st.d.next = HState::Desc;
                    } else if self.hid.q.val() == self.id_tail.val() {
                        self.res.d.next = self.e_noent.val();
                    } else if self.hid.q.val() == self.id_rmap.val() {
                        self.res.d.next = self.ra3.q.val() & self.c_three.val();
                    } else {
                        self.fault.next = true;
                        self.fault_addr.next = self.hnd.val();
                        self.fault_size.next = 0.into();
                        self.st.d.next = HState::Idle;
                    }
                }
            }
            HState::Desc => {
                self.dtype.d.next = self.d_type.val();
                self.ks.d.next = self.d_ks.val();
                self.vs.d.next = self.d_vs.val();
                self.maxe.d.next = self.descs[1].read_data.val().get_bits::<32>(32);
                self.doff.d.next = self.d_off.val();
                self.nslots.d.next = self.descs[3].read_data.val().get_bits::<32>(0);
                self.kw.d.next = self.ks7.val().get_bits::<8>(3);
                self.kpad.d.next = bit_cast::<32, 16>(self.ks7.val()) & self.c_not7.val();
                self.vstride.d.next = (self.d_vs.val() + 7) & self.c_not7.val();
                self.ssz.d.next = self.c_shdr.val()
                    + (bit_cast::<32, 16>(self.ks7.val()) & self.c_not7.val())
                    + ((self.d_vs.val() + 7) & self.c_not7.val());
                self.h.d.next = self.c_basis.val();
                self.i.d.next = 0.into();
                self.st.d.next = HState::Fin;
                if self.hid.q.val() == self.id_tail.val() {
                    if (self.d_type.val() != self.t_prog.val())
                        || self.ra3.q.val().get_bits::<32>(32).any()
                        || (self.tcalls.q.val() >= self.c_max_tail.val())
                    {
                        self.res.d.next = self.e_noent.val();
                    } else {
                        self.w0.d.next = self.ra3.q.val();
                        self.st.d.next = HState::AIdx;
                    }
                } else if self.hid.q.val() == self.id_rmap.val() {
                    self.res.d.next = self.ra3.q.val() & self.c_three.val();
                    self.w0.d.next = bit_cast::<64, 32>(self.ra2.q.val().get_bits::<32>(0));
                    if self.d_type.val() == self.t_devmap.val() {
                        self.st.d.next = HState::AIdx;
                    } else if self.d_type.val() == self.t_devhash.val() {
                        self.regkey.d.next = true;
                        self.kw.d.next = 1.into();
                        self.st.d.next = HState::Key;
                    }
                } else if !self.span1.ok.val() {
                    self.fault.next = true;
                    self.fault_addr.next = self.span1.bad.val();
                    self.st.d.next = HState::Idle;
                } else if (self.hid.q.val() == self.id_update.val()) && !self.span2.ok.val() {
                    self.fault.next = true;
                    self.fault_addr.next = self.span2.bad.val();
                    self.st.d.next = HState::Idle;
                } else if (self.hid.q.val() == self.id_update.val()) && (self.ra4.q.val() > 2) {
                    self.res.d.next = self.e_inval.val();
                } else {
                    // The map's header (count, LRU clock) arrives in the first key cycle.
                    self.rd_en.next = true;
                    self.rd_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.d_off.val());
                    self.st.d.next = HState::Key;
                }
            }
            HState::Key => {
                if self.regkey.q.val() {
                    self.kb.write_enable.next = true;
                    self.kb.write_data.next = self.w0.q.val();
                    self.h.d.next = self.hnext.val();
                    self.klen.d.next = self.w0.q.val().get_bits::<32>(0);
                    self.st.d.next = HState::HashF;
                } else {
                    if !self.i.q.val().any() {
                        self.count.d.next = self.rdata.val().get_bits::<32>(0);
                        self.lclock.d.next = self.rdata.val().get_bits::<32>(32);
                    }
                    if self.i.q.val() < bit_cast::<32, 8>(self.kw.q.val()) {
                        self.rd_en.next = true;
                        self.rd_addr.next =
                            self.ra2.q.val() + (bit_cast::<64, 32>(self.i.q.val()) << 3);
                    }
                    if self.i.q.val().any() {
                        self.kb.write_enable.next = true;
                        self.kb.write_address.next = self.iless.val().get_bits::<TABLE_BITS>(0);
                        self.kb.write_data.next = self.hword.val();
                        self.h.d.next = self.hnext.val();
                        if self.i.q.val() == 1 {
                            self.w0.d.next = self.hword.val();
                            self.klen.d.next = self.hword.val().get_bits::<32>(0);
                        }
                    }
                    self.i.d.next = self.i.q.val() + 1;
                    if self.i.q.val() == bit_cast::<32, 8>(self.kw.q.val()) {
                        if self.hashed.val() {
                            self.st.d.next = HState::HashF;
                        } else {
                            self.st.d.next = HState::AIdx;
                        }
                    }
                }
            }
            HState::HashF => {
                self.hf.d.next = self.hfin.val();
                self.c.d.next = 0.into();
                self.nprobe.d.next = 0.into();
                self.free_ok.d.next = false;
                self.best_ok.d.next = false;
                self.st.d.next = HState::Probe;
                if self.lpm.val() {
                    self.slot.d.next = 0.into();
                    self.saddr.d.next = self.doff.q.val() + self.c_mhdr.val();
                    if (self.hid.q.val() == self.id_update.val())
                        && (self.klen.q.val() > ((bit_cast::<32, 16>(self.ks.q.val()) - 4) << 3))
                    {
                        self.res.d.next = self.e_inval.val();
                        self.st.d.next = HState::Fin;
                    }
                } else {
                    self.slot.d.next = self.hfin.val() & (self.nslots.q.val() - 1);
                    self.saddr.d.next = self.doff.q.val() + self.c_mhdr.val() + self.am.p.val();
                }
            }
            HState::Probe => {
                self.c.d.next = self.c.q.val() + 1;
                if !self.c.q.val().any() {
                    self.rd_en.next = true;
                    self.rd_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.saddr.q.val());
                } else if self.c.q.val() <= self.kw.q.val() {
                    self.rd_en.next = true;
                    self.rd_addr.next = self.a_map.val()
                        | bit_cast::<64, 32>(
                            self.saddr.q.val()
                                + self.c_shdr.val()
                                + (bit_cast::<32, 8>(self.c.q.val() - 1) << 3),
                        );
                }
                if self.c.q.val() == 1 {
                    self.hdr.d.next = self.rdata.val();
                    self.eq.d.next = true;
                }
                if self.c.q.val() >= 2 {
                    self.kb.read_address.next = self.cless.val().get_bits::<TABLE_BITS>(0);
                    if self.c.q.val() == 2 {
                        self.lcur.next = self.rdata.val().get_bits::<32>(0);
                        self.lpl.d.next = self.rdata.val().get_bits::<32>(0);
                    }
                    if self.lpm.val() {
                        // Byte p of key word j is data byte 8j + p - 4; it is compared on its
                        // first (L - 8(8j + p - 4)) bits, clamped to 0..8, MSB first.
                        self.lbase.next =
                            self.c_bias.val() + bit_cast::<40, 32>(self.lcur.val()) + 32
                                - (bit_cast::<40, 8>(self.c.q.val() - 2) << 6);
                        for p in 0..8 {
                            self.lnb.next = self.lbase.val() - (p * 8);
                            if (self.c.q.val() == 2) && (p < 4) {
                                self.lpart.next = 0.into();
                            } else if self.lnb.val() >= (self.c_bias.val() + 8) {
                                self.lpart.next = 0xff.into();
                            } else if self.lnb.val() <= self.c_bias.val() {
                                self.lpart.next = 0.into();
                            } else {
                                self.lsh.next = self.lnb.val() - self.c_bias.val();
                                self.lpart.next = (self.c_ff00.val()
                                    >> self.lsh.val().get_bits::<4>(0))
                                    & self.c_ff16.val();
                            }
                            self.lmask.next = self.lmask.val()
                                | (bit_cast::<64, 16>(self.lpart.val()) << (p * 8));
                        }
                        self.weq.next = !((self.rdata.val() ^ self.kb.read_data.val())
                            & self.lmask.val())
                        .any();
                    } else {
                        self.weq.next = self.rdata.val() == self.kb.read_data.val();
                    }
                    self.eq_now.next = self.eq.q.val() && self.weq.val();
                    self.eq.d.next = self.eq_now.val();
                }
                if self.c.q.val() == (self.kw.q.val() + 1) {
                    // The decision on this slot.
                    self.c.d.next = 0.into();
                    self.nprobe.d.next = self.nprobe.q.val() + 1;
                    if self.lpm.val() && (self.hid.q.val() == self.id_lookup.val()) {
                        if (self.hdr.q.val().get_bits::<32>(0) == self.c_used.val())
                            && (self.lcur.val() <= self.klen.q.val())
                            && self.eq_now.val()
                            && (!self.best_ok.q.val() || (self.lcur.val() > self.best_len.q.val()))
                        {
                            self.best_ok.d.next = true;
                            self.best_len.d.next = self.lcur.val();
                            self.best_addr.d.next = self.saddr.q.val();
                        }
                        if (self.slot.q.val() + 1) == self.nslots.q.val() {
                            self.st.d.next = HState::Fin;
                            self.res.d.next = 0.into();
                            if self.best_ok.q.val() {
                                self.res.d.next = self.a_map.val()
                                    | bit_cast::<64, 32>(
                                        self.best_addr.q.val()
                                            + self.c_shdr.val()
                                            + self.kpad.q.val(),
                                    );
                            }
                            if (self.hdr.q.val().get_bits::<32>(0) == self.c_used.val())
                                && (self.lcur.val() <= self.klen.q.val())
                                && self.eq_now.val()
                                && (!self.best_ok.q.val()
                                    || (self.lcur.val() > self.best_len.q.val()))
                            {
                                self.res.d.next = self.a_map.val()
                                    | bit_cast::<64, 32>(
                                        self.saddr.q.val() + self.c_shdr.val() + self.kpad.q.val(),
                                    );
                            }
                        }
                    } else if self.lpm.val() {
                        if (self.hdr.q.val().get_bits::<32>(0) == self.c_used.val())
                            && self.eq_now.val()
                            && (self.lcur.val() == self.klen.q.val())
                        {
                            self.pdone.next = true;
                            self.pfound.next = true;
                        } else {
                            if (self.hdr.q.val().get_bits::<32>(0) != self.c_used.val())
                                && !self.free_ok.q.val()
                            {
                                self.nfree_ok.next = true;
                                self.nfree_addr.next = self.saddr.q.val();
                            }
                            if (self.slot.q.val() + 1) == self.nslots.q.val() {
                                self.pdone.next = true;
                            }
                        }
                    } else if !self.hdr.q.val().get_bits::<32>(0).any() {
                        self.pdone.next = true;
                        if !self.free_ok.q.val() {
                            self.nfree_ok.next = true;
                            self.nfree_addr.next = self.saddr.q.val();
                        }
                    } else if (self.hdr.q.val().get_bits::<32>(0) == self.c_used.val())
                        && self.eq_now.val()
                    {
                        self.pdone.next = true;
                        self.pfound.next = true;
                    } else {
                        if (self.hdr.q.val().get_bits::<32>(0) == self.c_deleted.val())
                            && !self.free_ok.q.val()
                        {
                            self.nfree_ok.next = true;
                            self.nfree_addr.next = self.saddr.q.val();
                        }
                        if (self.nprobe.q.val() + 1) == self.nslots.q.val() {
                            self.pdone.next = true;
                        }
                    }
                    self.free_ok.d.next = self.nfree_ok.val();
                    self.free_addr.d.next = self.nfree_addr.val();
                    // The next slot, wrapping at the end of the table.
                    self.slot.d.next = (self.slot.q.val() + 1) & (self.nslots.q.val() - 1);
                    self.saddr.d.next = self.saddr.q.val() + self.ssz.q.val();
                    if (self.slot.q.val() + 1) == self.nslots.q.val() {
                        self.saddr.d.next = self.doff.q.val() + self.c_mhdr.val();
                    }
                }
            }
            HState::Touch => {
                self.wr_en.next = true;
                self.wr_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.fs.q.val());
                self.wr_data.next = bit_cast::<64, 32>(self.c_used.val())
                    | (bit_cast::<64, 32>(self.lclock.q.val() + 1) << 32);
                self.lclock.d.next = self.lclock.q.val() + 1;
                self.st.d.next = HState::Fin;
            }
            HState::RVal => {
                self.rd_en.next = true;
                self.rd_size.next = 4.into();
                self.rd_addr.next = self.a_map.val()
                    | bit_cast::<64, 32>(self.fs.q.val() + self.c_shdr.val() + self.kpad.q.val());
                self.rv_pending.d.next = true;
                self.st.d.next = HState::Fin;
            }
            HState::Del => {
                self.wr_en.next = true;
                self.wr_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.fs.q.val());
                self.wr_data.next = bit_cast::<64, 32>(self.c_deleted.val())
                    | (self.hdr.q.val() & !self.c_low32.val());
                self.count.d.next = self.count.q.val() - 1;
                self.st.d.next = HState::Fin;
            }
            HState::WHdr => {
                self.wr_en.next = true;
                self.wr_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.fs.q.val());
                self.wr_data.next = bit_cast::<64, 32>(self.c_used.val());
                if self.lru.val() {
                    self.wr_data.next = bit_cast::<64, 32>(self.c_used.val())
                        | (bit_cast::<64, 32>(self.lclock.q.val() + 1) << 32);
                    self.lclock.d.next = self.lclock.q.val() + 1;
                }
                // The value's copy, after the key of a new entry.
                self.cp_rd.d.next = self.ra3.q.val();
                self.cp_wr.d.next = self.a_map.val()
                    | bit_cast::<64, 32>(self.fs.q.val() + self.c_shdr.val() + self.kpad.q.val());
                self.cp_n.d.next = (self.vs.q.val() + 7) >> 3;
                self.cp_unit.d.next = 8.into();
                self.cp_last.d.next = 8.into();
                if self.vs.q.val().get_bits::<3>(0).any() {
                    self.cp_last.d.next = bit_cast::<4, 3>(self.vs.q.val().get_bits::<3>(0));
                }
                self.cp_back.d.next = false;
                self.i.d.next = 0.into();
                self.c.d.next = 0.into();
                self.st.d.next = HState::Copy;
                if self.insert.q.val() {
                    self.st.d.next = HState::WKey;
                }
            }
            HState::WKey => {
                self.kb.read_address.next = self.c.q.val().get_bits::<TABLE_BITS>(0);
                self.wr_en.next = true;
                self.wr_addr.next = self.a_map.val()
                    | bit_cast::<64, 32>(
                        self.fs.q.val()
                            + self.c_shdr.val()
                            + (bit_cast::<32, 8>(self.c.q.val()) << 3),
                    );
                self.wr_data.next = self.kb.read_data.val();
                self.c.d.next = self.c.q.val() + 1;
                if (self.c.q.val() + 1) == self.kw.q.val() {
                    self.st.d.next = HState::Copy;
                }
            }
            HState::Copy => {
                self.i.d.next = self.i.q.val() + 1;
                if self.i.q.val() < self.cp_n.q.val() {
                    self.rd_en.next = true;
                    self.rd_addr.next = self.cp_rd.q.val();
                    self.rd_size.next = self.cp_unit.q.val();
                    if (self.i.q.val() + 1) == self.cp_n.q.val() {
                        self.rd_size.next = self.cp_last.q.val();
                    }
                    self.cp_psz.d.next = self.rd_size.val();
                    if self.cp_back.q.val() {
                        self.cp_rd.d.next =
                            self.cp_rd.q.val() - bit_cast::<64, 4>(self.cp_unit.q.val());
                    } else {
                        self.cp_rd.d.next =
                            self.cp_rd.q.val() + bit_cast::<64, 4>(self.cp_unit.q.val());
                    }
                }
                if self.i.q.val().any() {
                    self.wr_en.next = true;
                    self.wr_addr.next = self.cp_wr.q.val();
                    self.wr_size.next = self.cp_psz.q.val();
                    self.wr_data.next = self.rdata.val();
                    if self.cp_back.q.val() {
                        self.cp_wr.d.next =
                            self.cp_wr.q.val() - bit_cast::<64, 4>(self.cp_unit.q.val());
                    } else {
                        self.cp_wr.d.next =
                            self.cp_wr.q.val() + bit_cast::<64, 4>(self.cp_unit.q.val());
                    }
                }
                if self.i.q.val() == self.cp_n.q.val() {
                    self.st.d.next = HState::Fin;
                }
            }
            HState::Zero => {
                self.wr_en.next = true;
                self.wr_addr.next = self.z_addr.q.val();
                self.wr_size.next = 8.into();
                if self.z_rem.q.val() < 8 {
                    self.wr_size.next = self.z_rem.q.val().get_bits::<4>(0);
                }
                self.z_addr.d.next = self.z_addr.q.val() + 8;
                self.z_rem.d.next = self.z_rem.q.val() - 8;
                if self.z_rem.q.val() <= 8 {
                    self.st.d.next = HState::Fin;
                }
            }
            HState::Evict => {
                self.i.d.next = self.i.q.val() + 1;
                if self.i.q.val() < self.nslots.q.val() {
                    self.rd_en.next = true;
                    self.rd_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.evaddr.q.val());
                    self.evaddr.d.next = self.evaddr.q.val() + self.ssz.q.val();
                }
                if self.i.q.val().any()
                    && (self.rdata.val().get_bits::<32>(0) == self.c_used.val())
                    && (!self.vok.q.val()
                        || (self.rdata.val().get_bits::<32>(32) < self.vmin.q.val()))
                {
                    self.vok.d.next = true;
                    self.vmin.d.next = self.rdata.val().get_bits::<32>(32);
                    self.vaddr_e.d.next = self.evaddr.q.val() - self.ssz.q.val();
                }
                if self.i.q.val() == self.nslots.q.val() {
                    self.st.d.next = HState::Vict;
                }
            }
            HState::Vict => {
                if self.vok.q.val() {
                    self.wr_en.next = true;
                    self.wr_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.vaddr_e.q.val());
                    self.wr_data.next = bit_cast::<64, 32>(self.c_deleted.val())
                        | (bit_cast::<64, 32>(self.vmin.q.val()) << 32);
                    self.count.d.next = self.count.q.val() - 1;
                    self.slot.d.next = self.hf.q.val() & (self.nslots.q.val() - 1);
                    self.saddr.d.next = self.doff.q.val() + self.c_mhdr.val() + self.am.p.val();
                    self.c.d.next = 0.into();
                    self.nprobe.d.next = 0.into();
                    self.free_ok.d.next = false;
                    self.st.d.next = HState::Probe;
                } else {
                    self.res.d.next = self.e_nomem.val();
                    self.st.d.next = HState::Fin;
                }
            }
            HState::AIdx => {
                self.vaddr.d.next = self.doff.q.val() + self.am.p.val();
                self.rd_en.next = true;
                self.rd_addr.next =
                    self.a_map.val() | bit_cast::<64, 32>(self.doff.q.val() + self.am.p.val());
                self.st.d.next = HState::AChk;
                if self.hid.q.val() == self.id_delete.val() {
                    self.rd_en.next = false;
                    if !self.sparse.val()
                        || (self.w0.q.val().get_bits::<32>(0) >= self.maxe.q.val())
                    {
                        self.res.d.next = self.e_inval.val();
                        self.st.d.next = HState::Fin;
                    } else {
                        self.z_addr.d.next = self.a_map.val()
                            | bit_cast::<64, 32>(self.doff.q.val() + self.am.p.val());
                        self.z_rem.d.next = self.vs.q.val();
                        self.st.d.next = HState::Zero;
                    }
                } else if self.w0.q.val().get_bits::<32>(0) >= self.maxe.q.val() {
                    self.rd_en.next = false;
                    self.st.d.next = HState::Fin;
                    if self.hid.q.val() == self.id_update.val() {
                        self.res.d.next = self.e_2big.val();
                    } else if self.hid.q.val() == self.id_tail.val() {
                        self.res.d.next = self.e_noent.val();
                    } else if self.hid.q.val() == self.id_lookup.val() {
                        self.res.d.next = 0.into();
                    }
                }
            }
            HState::AChk => {
                self.st.d.next = HState::Fin;
                if self.hid.q.val() == self.id_lookup.val() {
                    self.res.d.next = self.a_map.val() | bit_cast::<64, 32>(self.vaddr.q.val());
                    if self.empty.val() {
                        self.res.d.next = 0.into();
                    }
                } else if self.hid.q.val() == self.id_update.val() {
                    if (self.dtype.q.val() == self.t_prog.val()) && self.ra4.q.val().any() {
                        self.res.d.next = self.e_inval.val();
                    } else if (self.ra4.q.val() == 1)
                        && ((self.dtype.q.val() == self.t_devmap.val()) || !self.empty.val())
                    {
                        // BPF_NOEXIST on a present entry, or on any devmap entry (Linux).
                        self.res.d.next = self.e_exist.val();
                    } else if (self.ra4.q.val() == 2) && self.empty.val() {
                        self.res.d.next = self.e_noent.val();
                    } else {
                        self.cp_rd.d.next = self.ra3.q.val();
                        self.cp_wr.d.next =
                            self.a_map.val() | bit_cast::<64, 32>(self.vaddr.q.val());
                        self.cp_n.d.next = (self.vs.q.val() + 7) >> 3;
                        self.cp_unit.d.next = 8.into();
                        self.cp_last.d.next = 8.into();
                        if self.vs.q.val().get_bits::<3>(0).any() {
                            self.cp_last.d.next =
                                bit_cast::<4, 3>(self.vs.q.val().get_bits::<3>(0));
                        }
                        self.cp_back.d.next = false;
                        self.i.d.next = 0.into();
                        self.st.d.next = HState::Copy;
                    }
                } else if self.hid.q.val() == self.id_tail.val() {
                    self.res.d.next = self.e_noent.val();
                    if !self.empty.val() {
                        self.w0.d.next = self.rdata.val();
                        self.st.d.next = HState::Ent;
                    }
                } else if !self.empty.val() {
                    // A devmap entry: redirect to its ifindex.
                    self.rk.d.next = 2.into();
                    self.rif.d.next = self.rdata.val().get_bits::<32>(0);
                    self.rmap.d.next = bit_cast::<8, TABLE_BITS>(self.m.q.val());
                    self.rkey.d.next = self.ra2.q.val().get_bits::<32>(0);
                    self.res.d.next = self.c_xdp_redirect.val();
                }
            }
            HState::Ent => {
                self.tail_e.d.next = self.ents.read_data.val();
                self.tcalls.d.next = self.tcalls.q.val() + 1;
                self.tailq.d.next = true;
                self.res.d.next = 0.into();
                self.st.d.next = HState::Fin;
            }
            HState::Csum => {
                // A word of `from`, then of `to`, per cycle (the tails zero-extended), summed
                // with end-around carry: `from` into sumf, `to` into sum.
                self.i.d.next = self.i.q.val() + 1;
                if self.i.q.val() < self.cp_n.q.val() {
                    self.rd_en.next = true;
                    self.rd_addr.next =
                        self.ra1.q.val() + (bit_cast::<64, 32>(self.i.q.val()) << 3);
                    self.crem.next = self.cs_fs.q.val() - (self.i.q.val() << 3);
                    if self.i.q.val() >= self.nf.q.val() {
                        self.rd_addr.next = self.ra3.q.val()
                            + (bit_cast::<64, 32>(self.i.q.val() - self.nf.q.val()) << 3);
                        self.crem.next =
                            self.cs_ts.q.val() - ((self.i.q.val() - self.nf.q.val()) << 3);
                    }
                    if self.crem.val() < 8 {
                        self.rd_size.next = self.crem.val().get_bits::<4>(0);
                    }
                }
                if self.i.q.val().any() {
                    self.eac_acc.next = self.sum.q.val();
                    if self.iless.val() < self.nf.q.val() {
                        self.eac_acc.next = self.sumf.q.val();
                    }
                    self.eac_wide.next = bit_cast::<65, 64>(self.eac_acc.val())
                        + bit_cast::<65, 64>(self.rdata.val());
                    if self.iless.val() < self.nf.q.val() {
                        self.sumf.d.next = self.eac_wide.val().get_bits::<64>(0)
                            + bit_cast::<64, 1>(self.eac_wide.val().get_bits::<1>(64));
                    } else {
                        self.sum.d.next = self.eac_wide.val().get_bits::<64>(0)
                            + bit_cast::<64, 1>(self.eac_wide.val().get_bits::<1>(64));
                    }
                }
                if self.i.q.val() == self.cp_n.q.val() {
                    self.st.d.next = HState::Fin;
                }
            }
            HState::Fin => {
                self.done.next = true;
                self.st.d.next = HState::Idle;
                if self.csok.q.val() {
                    self.r0.next = bit_cast::<64, 16>(self.c16.val().get_bits::<16>(16));
                }
                if self.rv_pending.q.val() {
                    self.rk.d.next = 2.into();
                    self.rif.d.next = self.rdata.val().get_bits::<32>(0);
                    self.rmap.d.next = bit_cast::<8, TABLE_BITS>(self.m.q.val());
                    self.rkey.d.next = self.ra2.q.val().get_bits::<32>(0);
                    self.r0.next = self.c_xdp_redirect.val();
                }
                if self.mhdr_w.q.val() {
                    self.wr_en.next = true;
                    self.wr_addr.next = self.a_map.val() | bit_cast::<64, 32>(self.doff.q.val());
                    self.wr_data.next = bit_cast::<64, 32>(self.count.q.val())
                        | (bit_cast::<64, 32>(self.lclock.q.val()) << 32);
                }
                self.set_ptrs.next = self.setp.q.val();
                self.tail.next = self.tailq.q.val();
            }
            _ => {
                self.st.d.next = HState::Idle;
            }
        }

        // ---- After a probe: the operation's next step ----
        if self.pdone.val() {
            self.mhdr_w.d.next = true;
            self.fs.d.next = self.saddr.q.val();
            self.st.d.next = HState::Fin;
            if self.hid.q.val() == self.id_lookup.val() {
                self.mhdr_w.d.next = false;
                self.res.d.next = 0.into();
                if self.pfound.val() {
                    self.res.d.next = self.a_map.val()
                        | bit_cast::<64, 32>(
                            self.saddr.q.val() + self.c_shdr.val() + self.kpad.q.val(),
                        );
                    if self.lru.val() {
                        self.mhdr_w.d.next = true;
                        self.st.d.next = HState::Touch;
                    }
                }
            } else if self.hid.q.val() == self.id_rmap.val() {
                self.mhdr_w.d.next = false;
                if self.pfound.val() {
                    self.st.d.next = HState::RVal;
                }
            } else if self.hid.q.val() == self.id_delete.val() {
                self.res.d.next = self.e_noent.val();
                if self.pfound.val() {
                    self.res.d.next = 0.into();
                    self.st.d.next = HState::Del;
                }
            } else if self.pfound.val() {
                // An update of a present key.
                if self.ra4.q.val() == 1 {
                    self.res.d.next = self.e_exist.val();
                } else {
                    self.res.d.next = 0.into();
                    self.insert.d.next = false;
                    self.st.d.next = HState::WHdr;
                }
            } else if self.ra4.q.val() == 2 {
                self.res.d.next = self.e_noent.val();
            } else if self.count.q.val() < self.maxe.q.val() {
                if self.nfree_ok.val() {
                    self.res.d.next = 0.into();
                    self.fs.d.next = self.nfree_addr.val();
                    self.count.d.next = self.count.q.val() + 1;
                    self.insert.d.next = true;
                    self.st.d.next = HState::WHdr;
                } else {
                    self.res.d.next = self.e_nomem.val();
                }
            } else if self.lru.val() {
                self.i.d.next = 0.into();
                self.vok.d.next = false;
                self.evaddr.d.next = self.doff.q.val() + self.c_mhdr.val();
                self.st.d.next = HState::Evict;
            } else {
                self.res.d.next = self.e_2big.val();
            }
        }

        // ---- Per-run state ----
        if self.run_start.val() {
            self.rng.d.next = self.seed.val();
            self.tcalls.d.next = 0.into();
            self.rk.d.next = 0.into();
            self.st.d.next = HState::Idle;
        }
    }
}
