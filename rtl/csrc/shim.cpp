// C ABI over the Verilated rvo core (top module `top`, class Vrvo_core). One call of
// rvo_tick is one clock cycle: inputs applied, outputs of this cycle readable, then the
// rising edge.
#include <cstdint>
#include "verilated.h"
#include "verilated_vcd_c.h"
#include "Vrvo_core.h"
#ifdef RVO_FAST_EDGE
#include "Vrvo_core___024root.h"
#endif

struct RvoIn {
    uint64_t imem_data, pkt_wdata, budget, time_base;
    uint32_t ifindex, rxq, map_len, seed;
    uint32_t pkt_addr;
    uint16_t imem_addr, entry, code_len, pkt_len;
    uint8_t imem_we, pkt_we, start, xdp, host_sel, n_maps;
};

struct RvoOut {
    uint64_t pkt_rdata, fault_addr, result, cycles, bundles, insns, wb_value, mw_addr, mw_value;
    uint32_t redir_ifindex, redir_key, rng_state;
    uint16_t fault_pc, retire_pc, out_meta, out_data, out_end;
    uint8_t busy, done, fault, fault_size, retire, wb_en, wb_reg, redir_kind, redir_map, mw_en,
        mw_size;
};

struct Rvo {
    VerilatedContext* ctx;
    Vrvo_core* m;
    VerilatedVcdC* vcd;
    uint64_t time;
};

static void edge(Rvo* r) {
    r->m->clock = 1;
    r->m->eval();
    if (r->vcd) r->vcd->dump(r->time++);
    r->m->clock = 0;
    r->m->eval();
    if (r->vcd) r->vcd->dump(r->time++);
}

// One clock cycle with a single evaluation: the rising edge is evaluated; the falling edge
// changes nothing in this design (every flop is on the rising edge, and no input changes
// between), so instead of evaluating it the model's record of the clock is set low, where the
// next evaluation finds its edge. Built only when this Verilator names that record as 5.006
// does (build.rs checks); otherwise every cycle is two evaluations. Not used with a waveform.
static void fast_edge(Rvo* r) {
#ifdef RVO_FAST_EDGE
    r->m->clock = 1;
    r->m->eval();
    r->m->clock = 0;
    r->m->rootp->__Vtrigrprev__TOP__clock = 0;
#else
    edge(r);
#endif
}

extern "C" {

void* rvo_new(const char* vcd_path) {
    auto* r = new Rvo;
    r->ctx = new VerilatedContext;
    r->vcd = nullptr;
    r->time = 0;
    if (vcd_path) r->ctx->traceEverOn(true);
    r->m = new Vrvo_core(r->ctx, "rvo");
    if (vcd_path) {
        r->vcd = new VerilatedVcdC;
        r->m->trace(r->vcd, 99);
        r->vcd->open(vcd_path);
    }
    r->m->clock = 0;
    r->m->eval();
    return r;
}

void rvo_free(void* p) {
    auto* r = static_cast<Rvo*>(p);
    r->m->final();
    if (r->vcd) {
        r->vcd->close();
        delete r->vcd;
    }
    delete r->m;
    delete r->ctx;
    delete r;
}

void rvo_set(void* p, const RvoIn* in) {
    auto* m = static_cast<Rvo*>(p)->m;
    m->imem_we = in->imem_we;
    m->imem_addr = in->imem_addr;
    m->imem_data = in->imem_data;
    m->pkt_we = in->pkt_we;
    m->pkt_addr = in->pkt_addr;
    m->pkt_wdata = in->pkt_wdata;
    m->start = in->start;
    m->entry = in->entry;
    m->code_len = in->code_len;
    m->pkt_len = in->pkt_len;
    m->budget = in->budget;
    m->xdp = in->xdp;
    m->ifindex = in->ifindex;
    m->rxq = in->rxq;
    m->host_sel = in->host_sel;
    m->n_maps = in->n_maps;
    m->map_len = in->map_len;
    m->time_base = in->time_base;
    m->seed = in->seed;
    m->eval();
}

void rvo_get(void* p, RvoOut* out) {
    auto* m = static_cast<Rvo*>(p)->m;
    out->pkt_rdata = m->pkt_rdata;
    out->busy = m->busy;
    out->done = m->done;
    out->fault = m->fault;
    out->fault_pc = m->fault_pc;
    out->fault_addr = m->fault_addr;
    out->fault_size = m->fault_size;
    out->result = m->result;
    out->cycles = m->cycles;
    out->bundles = m->bundles;
    out->insns = m->insns;
    out->retire = m->retire;
    out->retire_pc = m->retire_pc;
    out->wb_en = m->wb_en;
    out->wb_reg = m->wb_reg;
    out->wb_value = m->wb_value;
    out->out_meta = m->out_meta;
    out->out_data = m->out_data;
    out->out_end = m->out_end;
    out->redir_kind = m->redir_kind;
    out->redir_ifindex = m->redir_ifindex;
    out->redir_map = m->redir_map;
    out->redir_key = m->redir_key;
    out->rng_state = m->rng_state;
    out->mw_en = m->mw_en;
    out->mw_addr = m->mw_addr;
    out->mw_size = m->mw_size;
    out->mw_value = m->mw_value;
}

void rvo_tick(void* p) { edge(static_cast<Rvo*>(p)); }

// Clock until `done` or `max` cycles; returns the cycles clocked.
uint64_t rvo_run(void* p, uint64_t max) {
    auto* r = static_cast<Rvo*>(p);
    uint64_t n = 0;
    while (!r->m->done && n < max) {
        if (r->vcd) {
            edge(r);
        } else {
            fast_edge(r);
        }
        n++;
    }
    return n;
}
}
