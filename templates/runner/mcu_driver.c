/* The mcunets driver: runs a model and prints the report of docs/report-protocol.md. Every board uses
 * it: the simulated ones (host, qemu-m4) and the PlatformIO ones, with either runtime.
 *
 * Profiling build: fills the inputs from a seeded xorshift32 stream (before every inference: a runtime
 * may reuse input memory), does MCU_WARMUP untimed and MCU_RUNS timed inferences, and prints per-layer
 * counts (last timed run, from the runtime's profiling), every run's total, min/median/max and the
 * outputs of the last run.
 * Validation build (MCU_VALIDATE): reads "@mcu input" lines from the console and answers each
 * complete set of inputs with the "output" records of one inference and "@mcu done".
 *
 * C99, no dynamic allocation. The board is behind mcu_port.h, the runtime behind mcu_runtime.h; the
 * board's entry point (main, setup, app_main) calls mcu_driver_run().
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcu_config.h"
#include "mcu_driver.h"
#include "mcu_port.h"
#include "mcu_runtime.h"

/* ---- report output ---------------------------------------------------------------------------- */

static char out_buf[256];
static size_t out_len;
static unsigned long records;

static void out_flush(void)
{
    if (out_len) {
        mcu_port_write(out_buf, out_len);
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

/* Not a report line: the host sees a report that never ended (or never began), and this says why. */
static void fail(const char *why)
{
    out_str("mcunets: error: ");
    out_str(why);
    out_char('\n');
    out_flush();
    mcu_port_exit(1);
}

static void print_header(void)
{
    rec_begin("begin");
    field_u("v", 1);
    rec_end();
    rec_begin("meta");
    field_s("model", MCU_MODEL_NAME);
#ifdef MCU_MODEL_SHA256
    field_s("sha256", MCU_MODEL_SHA256);
#endif
    field_s("runtime", MCU_RUNTIME);
    field_s("board", MCU_BOARD);
    field_u("cpu_hz", MCU_CPU_HZ);
    field_s("counter", MCU_COUNTER_UNIT);
#if !MCU_VALIDATE
    field_u("seed", MCU_SEED);
#endif
    rec_end();
    rec_begin("memory");
    field_u("arena_used", mcu_runtime_arena_used());
    field_u("arena_size", mcu_runtime_arena_size());
    field_u("model_bytes", MCU_MODEL_BYTES);
    rec_end();
}

static void print_outputs(void)
{
    int n = mcu_runtime_num_outputs();
    for (int i = 0; i < n; i++) {
        rec_begin("output");
        field_u("i", (uint64_t)i);
        field_s("dtype", i < MCU_NUM_OUTPUTS ? mcu_output_dtype[i] : "int8");
        out_str(" hex=");
        out_hex(mcu_runtime_output(i), mcu_runtime_output_bytes(i));
        rec_end();
    }
}

static void print_end(void)
{
    rec_begin("end");
    field_u("records", records + 1);
    rec_end();
}

#if !MCU_VALIDATE

/* ---- profiling run ------------------------------------------------------------------------------ */

static mcu_count_t run_count[MCU_RUNS];
static mcu_count_t sorted[MCU_RUNS];

static void fill_inputs(void)
{
    /* xorshift32, the same stream mcunets.targets.runner_inputs() computes on the host. */
    uint32_t x = MCU_SEED ? MCU_SEED : 1u;
    int n = mcu_runtime_num_inputs();
    for (int i = 0; i < n; i++) {
        uint8_t *p = mcu_runtime_input(i);
        size_t bytes = mcu_runtime_input_bytes(i);
        for (size_t k = 0; k < bytes; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            p[k] = (uint8_t)(x >> 24);
        }
    }
}

void mcu_driver_run(void)
{
    const char *why = "runtime initialization failed";
    mcu_port_init();
    if (mcu_runtime_init(&why) != 0) fail(why);
    print_header();
    /* The inputs are written again before every inference (outside the timed region). */
    for (int w = 0; w < MCU_WARMUP; w++) {
        fill_inputs();
        if (mcu_runtime_invoke() != 0) fail("inference failed");
    }
    for (int k = 0; k < MCU_RUNS; k++) {
        fill_inputs();
        mcu_count_t t0 = (mcu_count_t)mcu_port_counter();
        int status = mcu_runtime_invoke();
        run_count[k] = mcu_counter_delta(t0, (mcu_count_t)mcu_port_counter());
        if (status != 0) fail("inference failed");
    }
    int layers = mcu_runtime_num_layers();
    for (int i = 0; i < layers; i++) {
        rec_begin("layer");
        field_u("i", (uint64_t)i);
        field_s("op", mcu_runtime_layer_op(i));
        field_u("count", mcu_runtime_layer_count(i));
        rec_end();
    }
    for (int k = 0; k < MCU_RUNS; k++) {
        rec_begin("run");
        field_u("i", (uint64_t)k);
        field_u("count", run_count[k]);
        rec_end();
    }
    /* Insertion sort of the run totals: min, median (the lower middle one) and max. */
    for (int k = 0; k < MCU_RUNS; k++) {
        mcu_count_t v = run_count[k];
        int j = k;
        while (j > 0 && sorted[j - 1] > v) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
    }
    rec_begin("summary");
    field_u("runs", MCU_RUNS);
    field_u("min", sorted[0]);
    field_u("median", sorted[(MCU_RUNS - 1) / 2]);
    field_u("max", sorted[MCU_RUNS - 1]);
    rec_end();
    print_outputs();
    print_end();
    mcu_port_exit(0);
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
        in_len = mcu_port_read(in_buf, sizeof in_buf);
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
    if (i < 0 || i >= mcu_runtime_num_inputs() || head[k] != ' ') {
        report_error("bad_input_index");
        while ((c = in_getc()) >= 0 && c != '\n') {}
        return c < 0 ? -1 : 0;
    }
    uint8_t *p = mcu_runtime_input(i);
    size_t want = mcu_runtime_input_bytes(i), got = 0;
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
            if (got < want) p[got] = (uint8_t)(hi << 4 | v);
            got++;
            hi = -1;
        }
    }
    if (bad || hi >= 0 || got != want) {
        report_error("bad_input_length");
        return c < 0 ? -1 : 0;
    }
    *index = i;
    return 1;
}

void mcu_driver_run(void)
{
    const char *why = "runtime initialization failed";
    mcu_port_init();
    if (mcu_runtime_init(&why) != 0) fail(why);
    print_header();
    int inputs = mcu_runtime_num_inputs();
    rec_begin("ready");
    field_u("inputs", (uint64_t)inputs);
    rec_end();
    uint32_t have = 0;
    const uint32_t all = (inputs >= 32) ? 0xffffffffu : ((1u << inputs) - 1u);
    for (;;) {
        int index = 0;
        int r = read_line(&index);
        if (r < 0) break;
        if (r == 0) continue;
        have |= 1u << (index & 31);
        if (have == all) {
            mcu_count_t t0 = (mcu_count_t)mcu_port_counter();
            int status = mcu_runtime_invoke();
            mcu_count_t t = mcu_counter_delta(t0, (mcu_count_t)mcu_port_counter());
            if (status != 0) fail("inference failed");
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
    mcu_port_exit(0);
}

#endif
