/* The mcunets runner: runs a generated model and prints the report of docs/report-protocol.md.
 *
 * Profiling build: fills the inputs from a seeded xorshift32 stream (before every inference: the
 * engine may reuse input memory), does RUNNER_WARMUP untimed and
 * RUNNER_RUNS timed inferences, and prints per-layer counts (last timed run, from the engine's
 * profiling hooks), every run's total, min/median/max and the outputs of the last run.
 * Validation build (RUNNER_VALIDATE): reads "@mcu input" lines from the console and answers each
 * complete set of inputs with the "output" records of one inference and "@mcu done".
 *
 * C99, no dynamic allocation; the only board-specific code is behind mcunets_port.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcunets_port.h"
#include "model.h"
#include "runner_config.h"

/* ---- report output ---------------------------------------------------------------------------- */

static char out_buf[256];
static size_t out_len;
static unsigned long records;

static void out_flush(void)
{
    if (out_len) {
        mcunets_port_write(out_buf, out_len);
        out_len = 0;
    }
}

static void out_char(char c)
{
    if (out_len == sizeof out_buf) out_flush();
    out_buf[out_len++] = c;
}

static void out_str(const char *s)
{
    while (*s) out_char(*s++);
}

static void out_u64(uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    while (n) out_char(digits[--n]);
}

static void out_hex(const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out_char(hex[p[i] >> 4]);
        out_char(hex[p[i] & 15u]);
    }
}

static void rec_begin(const char *name)
{
    out_str("@mcu ");
    out_str(name);
}

static void field_u(const char *key, uint64_t v)
{
    out_char(' ');
    out_str(key);
    out_char('=');
    out_u64(v);
}

static void field_s(const char *key, const char *v)
{
    out_char(' ');
    out_str(key);
    out_char('=');
    out_str(v);
}

static void rec_end(void)
{
    out_char('\n');
    out_flush();
    records++;
}

static void print_header(void)
{
    rec_begin("begin");
    field_u("v", 1);
    rec_end();
    rec_begin("meta");
    field_s("model", RUNNER_MODEL_NAME);
    field_s("runtime", RUNNER_RUNTIME);
    field_s("board", RUNNER_BOARD);
    field_u("cpu_hz", RUNNER_CPU_HZ);
    field_s("counter", RUNNER_COUNTER);
#if !RUNNER_VALIDATE
    field_u("seed", RUNNER_SEED);
#endif
    rec_end();
    rec_begin("memory");
    field_u("arena_used", MCUNETS_ARENA_BYTES);
    field_u("arena_size", MCUNETS_ARENA_BYTES);
    field_u("model_bytes", RUNNER_MODEL_BYTES);
    rec_end();
}

static void print_outputs(void)
{
    for (int i = 0; i < RUNNER_NUM_OUTPUTS; i++) {
        rec_begin("output");
        field_u("i", (uint64_t)i);
        field_s("dtype", runner_output_dtype[i]);
        out_str(" hex=");
        out_hex((const uint8_t *)mcunets_output(i), runner_output_bytes[i]);
        rec_end();
    }
}

static void print_end(void)
{
    rec_begin("end");
    field_u("records", records + 1);
    rec_end();
}

/* ---- profiling hooks (called by the engine when built with MCUNETS_PROFILE) --------------------- */

static uint64_t layer_start;
static uint64_t layer_count[MCUNETS_NUM_LAYERS];

void mcunets_layer_begin(int i)
{
    (void)i;
    layer_start = mcunets_port_counter();
}

void mcunets_layer_end(int i)
{
    uint64_t now = mcunets_port_counter();
    if (i >= 0 && i < MCUNETS_NUM_LAYERS) layer_count[i] = now - layer_start;
}

#if !RUNNER_VALIDATE

/* ---- profiling run ------------------------------------------------------------------------------ */

static uint64_t run_count[RUNNER_RUNS];

static void fill_inputs(void)
{
    /* xorshift32, the same stream mcunets.targets.runner_inputs() computes on the host. */
    uint32_t x = RUNNER_SEED ? RUNNER_SEED : 1u;
    for (int i = 0; i < RUNNER_NUM_INPUTS; i++) {
        uint8_t *p = (uint8_t *)mcunets_input(i);
        for (unsigned long k = 0; k < runner_input_bytes[i]; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            p[k] = (uint8_t)(x >> 24);
        }
    }
}

int main(void)
{
    mcunets_port_init();
    print_header();
    /* The engine reuses the arena in place, so the inputs are written again before every
     * inference (outside the timed region). */
    for (int w = 0; w < RUNNER_WARMUP; w++) {
        fill_inputs();
        mcunets_invoke();
    }
    for (int k = 0; k < RUNNER_RUNS; k++) {
        fill_inputs();
        uint64_t t0 = mcunets_port_counter();
        mcunets_invoke();
        run_count[k] = mcunets_port_counter() - t0;
    }
    for (int i = 0; i < MCUNETS_NUM_LAYERS; i++) {
        rec_begin("layer");
        field_u("i", (uint64_t)i);
        field_s("op", mcunets_layer_op[i]);
        field_u("count", layer_count[i]);
        rec_end();
    }
    for (int k = 0; k < RUNNER_RUNS; k++) {
        rec_begin("run");
        field_u("i", (uint64_t)k);
        field_u("count", run_count[k]);
        rec_end();
    }
    /* Insertion sort of the run totals: min, median (the lower middle one) and max. */
    static uint64_t sorted[RUNNER_RUNS];
    for (int k = 0; k < RUNNER_RUNS; k++) {
        uint64_t v = run_count[k];
        int j = k;
        while (j > 0 && sorted[j - 1] > v) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
    }
    rec_begin("summary");
    field_u("runs", RUNNER_RUNS);
    field_u("min", sorted[0]);
    field_u("median", sorted[(RUNNER_RUNS - 1) / 2]);
    field_u("max", sorted[RUNNER_RUNS - 1]);
    rec_end();
    print_outputs();
    print_end();
    mcunets_port_exit(0);
    return 0;
}

#else

/* ---- validation session ------------------------------------------------------------------------- */

/* Input lines are "@mcu input i=<index> hex=<bytes>"; the hex part is decoded straight into the
 * input tensor, so no line buffer as long as a tensor is needed. */
#define PREFIX "@mcu input i="

static char in_buf[256];
static size_t in_len, in_pos;

static int in_getc(void)
{
    if (in_pos == in_len) {
        in_len = mcunets_port_read(in_buf, sizeof in_buf);
        in_pos = 0;
        if (in_len == 0) return -1;
    }
    return (unsigned char)in_buf[in_pos++];
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void report_error(const char *what)
{
    rec_begin("error");
    field_s("msg", what);
    rec_end();
}

/* Reads one line; returns -1 at end of input, else 1 if it set input *index completely, 0 if not. */
static int read_line(int *index)
{
    char head[32];
    size_t n = 0;
    int c;
    /* Header: up to and including "hex=". */
    for (;;) {
        c = in_getc();
        if (c < 0) return -1;
        if (c == '\n') {
            head[n < sizeof head ? n : sizeof head - 1] = 0;
            if (n >= 9 && memcmp(head, "@mcu quit", 9) == 0) return -1;
            return 0;
        }
        if (c == '\r') continue;
        if (n < sizeof head - 1) head[n] = (char)c;
        n++;
        if (n >= 4 && n < sizeof head && memcmp(head + n - 4, "hex=", 4) == 0) break;
    }
    if (n >= sizeof head || memcmp(head, PREFIX, sizeof PREFIX - 1) != 0) {
        while ((c = in_getc()) >= 0 && c != '\n') {}
        return c < 0 ? -1 : 0;
    }
    int i = 0;
    size_t k = sizeof PREFIX - 1;
    if (head[k] < '0' || head[k] > '9') i = -1;
    while (i >= 0 && head[k] >= '0' && head[k] <= '9') i = i * 10 + (head[k++] - '0');
    if (i < 0 || i >= RUNNER_NUM_INPUTS || head[k] != ' ') {
        report_error("bad_input_index");
        while ((c = in_getc()) >= 0 && c != '\n') {}
        return c < 0 ? -1 : 0;
    }
    uint8_t *p = (uint8_t *)mcunets_input(i);
    unsigned long got = 0;
    int hi = -1, bad = 0;
    while ((c = in_getc()) >= 0 && c != '\n') {
        if (c == '\r') continue;
        int v = hex_value(c);
        if (v < 0) {
            bad = 1;
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (got < runner_input_bytes[i]) p[got] = (uint8_t)(hi << 4 | v);
            got++;
            hi = -1;
        }
    }
    if (bad || hi >= 0 || got != runner_input_bytes[i]) {
        report_error("bad_input_length");
        return c < 0 ? -1 : 0;
    }
    *index = i;
    return 1;
}

int main(void)
{
    mcunets_port_init();
    print_header();
    rec_begin("ready");
    field_u("inputs", RUNNER_NUM_INPUTS);
    rec_end();
    uint32_t have = 0;
    const uint32_t all = (RUNNER_NUM_INPUTS >= 32) ? 0xffffffffu : ((1u << RUNNER_NUM_INPUTS) - 1u);
    for (;;) {
        int index = 0;
        int r = read_line(&index);
        if (r < 0) break;
        if (r == 0) continue;
        have |= 1u << index;
        if (have == all) {
            uint64_t t0 = mcunets_port_counter();
            mcunets_invoke();
            uint64_t t = mcunets_port_counter() - t0;
            rec_begin("run");
            field_u("i", 0);
            field_u("count", t);
            rec_end();
            print_outputs();
            rec_begin("done");
            rec_end();
            have = 0;
        }
    }
    print_end();
    mcunets_port_exit(0);
    return 0;
}

#endif
