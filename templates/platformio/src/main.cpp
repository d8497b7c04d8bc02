// The mcunets benchmark driver: fills the inputs from the seeded xorshift32 stream that
// mcunets.targets.runner_inputs() reproduces on the host, runs MCU_WARMUP untimed and MCU_RUNS timed
// inferences, and prints the report of docs/report-protocol.md (version 1) over the serial port.
#include <stdint.h>
#include <string.h>

#include "mcu_config.h"
#include "mcu_counter.h"
#include "mcu_port.h"
#include "mcu_runtime.h"

namespace {

char line[256];
size_t line_len = 0;
unsigned long records = 0;

void put_char(char c) {
  if (line_len == sizeof(line)) {
    mcu_port_write(line, line_len);
    line_len = 0;
  }
  line[line_len++] = c;
}

void put_str(const char* s) {
  while (*s) put_char(*s++);
}

void put_u(uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(v % 10u));
    v /= 10u;
  } while (v);
  while (n) put_char(digits[--n]);
}

void record(const char* name) {
  put_str("@mcu ");
  put_str(name);
}

void field(const char* key, uint64_t v) {
  put_char(' ');
  put_str(key);
  put_char('=');
  put_u(v);
}

void field(const char* key, const char* v) {
  put_char(' ');
  put_str(key);
  put_char('=');
  put_str(v);
}

void end_record() {
  put_char('\n');
  mcu_port_write(line, line_len);
  line_len = 0;
  records++;
}

void fill_inputs() {
  uint32_t x = MCU_SEED ? MCU_SEED : 1u;
  for (int i = 0; i < MCU_NUM_INPUTS; i++) {
    uint8_t* p = mcu_runtime_input(i);
    for (uint32_t k = 0; k < mcu_input_bytes[i]; k++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      p[k] = static_cast<uint8_t>(x >> 24);
    }
  }
}

void fail(const char* why) {
  // Not a report line: the host sees a report that never ended, and this line says why.
  put_str("mcunets: error: ");
  put_str(why);
  put_char('\n');
  mcu_port_write(line, line_len);
  line_len = 0;
}

// Sorts a small array in place (insertion sort; MCU_RUNS is small).
void sort_u32(uint32_t* a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

uint32_t run_count[MCU_RUNS];
uint32_t sorted[MCU_RUNS];

}  // namespace

void mcu_benchmark(void) {
  mcu_counter_init();
  const char* why = "unknown";
  if (mcu_runtime_init(&why) != 0) {
    fail(why);
    return;
  }
  // The engine runtime reuses input memory for activations: write the inputs before every run.
  for (int w = 0; w < MCU_WARMUP; w++) {
    fill_inputs();
    if (mcu_runtime_invoke() != 0) {
      fail("inference failed");
      return;
    }
  }
  for (int k = 0; k < MCU_RUNS; k++) {
    fill_inputs();
    uint32_t t0 = mcu_counter_read();
    int status = mcu_runtime_invoke();
    // Unsigned 32-bit subtraction: correct across one wrap of the counter.
    run_count[k] = mcu_counter_read() - t0;
    if (status != 0) {
      fail("inference failed");
      return;
    }
  }

  record("begin");
  field("v", 1);
  end_record();
  record("meta");
  field("model", MCU_MODEL_NAME);
  field("runtime", MCU_RUNTIME);
  field("board", MCU_BOARD);
  field("cpu_hz", static_cast<uint64_t>(MCU_CPU_HZ));
  field("counter", MCU_COUNTER_UNIT);
  field("seed", static_cast<uint64_t>(MCU_SEED));
  end_record();
  record("memory");
  field("arena_used", mcu_runtime_arena_used());
  field("arena_size", mcu_runtime_arena_size());
  field("model_bytes", static_cast<uint64_t>(MCU_MODEL_BYTES));
  end_record();
  for (int i = 0; i < mcu_runtime_num_layers(); i++) {
    record("layer");
    field("i", static_cast<uint64_t>(i));
    field("op", mcu_runtime_layer_op(i));
    field("count", mcu_runtime_layer_count(i));
    end_record();
  }
  for (int k = 0; k < MCU_RUNS; k++) {
    record("run");
    field("i", static_cast<uint64_t>(k));
    field("count", run_count[k]);
    end_record();
    sorted[k] = run_count[k];
  }
  sort_u32(sorted, MCU_RUNS);
  // The median is the lower middle run, as mcunets.report checks it.
  uint64_t median = sorted[(MCU_RUNS - 1) / 2];
  record("summary");
  field("runs", static_cast<uint64_t>(MCU_RUNS));
  field("min", sorted[0]);
  field("median", median);
  field("max", sorted[MCU_RUNS - 1]);
  end_record();
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < MCU_NUM_OUTPUTS; i++) {
    record("output");
    field("i", static_cast<uint64_t>(i));
    field("dtype", "int8");
    put_str(" hex=");
    const uint8_t* p = mcu_runtime_output(i);
    for (uint32_t k = 0; k < mcu_output_bytes[i]; k++) {
      put_char(hex[p[k] >> 4]);
      put_char(hex[p[k] & 15u]);
    }
    end_record();
  }
  record("end");
  field("records", static_cast<uint64_t>(records + 1));
  end_record();
}
