/* Cortex-M4F harness (crates/export/tests/c.rs): streams samples.f32 through the generated
 * library via semihosting, writes the same records as the host driver to out.bin, and
 * stats.bin: front-end and network SysTick counts, windows, networks run, stack peak, and
 * instructions per tick. Run under QEMU with -icount shift=0 (one instruction per ns of
 * virtual time), SysTick counts virtual time; a loop of known length calibrates it. */
#include <stdint.h>
#include "hark_model.h"

#define CHUNK 997
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

uint32_t harness_stack_peak(void);

static int semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return (int)r0;
}

static int sh_open(const char *name, uint32_t mode) {
  uint32_t len = 0, args[3];
  while (name[len]) {
    len++;
  }
  args[0] = (uint32_t)(uintptr_t)name;
  args[1] = mode;
  args[2] = len;
  return semihost(0x01, args);
}

static int sh_read(int fd, void *buf, uint32_t len) { /* bytes read */
  uint32_t args[3];
  args[0] = (uint32_t)fd;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = len;
  return (int)len - semihost(0x06, args);
}

static int sh_write(int fd, const void *buf, uint32_t len) { /* 0 on success */
  uint32_t args[3];
  args[0] = (uint32_t)fd;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = len;
  return semihost(0x05, args);
}

static void sh_close(int fd) {
  uint32_t args[1];
  args[0] = (uint32_t)fd;
  semihost(0x02, args);
}

static uint32_t network_ticks, network_runs, network_start;

static uint32_t elapsed(uint32_t from) { return (from - SYST_CVR) & 0xFFFFFFu; }

/* Called by the library around each network run (compiled with HARK_NETWORK_HOOK). */
void harness_network_hook(int end) {
  if (end) {
    network_ticks += elapsed(network_start);
    network_runs++;
  } else {
    network_start = SYST_CVR;
  }
}

/* SysTick ticks per instruction under -icount: time a loop of a known instruction count
 * (2 per iteration: subs, bne). */
static uint32_t instructions_per_tick(void) {
  uint32_t n = 1000000, t0 = SYST_CVR, ticks;
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  ticks = elapsed(t0);
  return ticks ? (2000000u + ticks / 2) / ticks : 0;
}

int main(void) {
  static float buf[CHUNK];
  uint32_t total_ticks = 0, windows = 0, stats[6];
  int in = sh_open("samples.f32", 1 /* rb */), out = sh_open("out.bin", 5 /* wb */), st, n;
  if (in < 0 || out < 0) {
    return 1;
  }
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5; /* enabled, CPU clock, no interrupt */
  hark_init();
  while ((n = sh_read(in, buf, sizeof buf) / (int)sizeof(float)) > 0) {
    const float *x = buf;
    size_t left = (size_t)n;
    while (left > 0) {
      hark_decision d;
      uint32_t t0 = SYST_CVR;
      size_t used = hark_push_samples(x, left);
      total_ticks += elapsed(t0);
      x += used;
      left -= used;
      if (hark_poll_decision(&d)) {
        union {
          int32_t i[4];
          float f[4];
        } head;
        head.i[0] = (int32_t)d.start_frame;
        head.i[1] = d.silent;
        head.i[2] = d.class_index;
        head.f[3] = d.energy_dbfs;
        windows++;
        if (sh_write(out, &head, sizeof head) ||
            sh_write(out, hark_window(), sizeof(float) * HARK_N_MELS * HARK_WINDOW_FRAMES) ||
            sh_write(out, d.logits, sizeof(float) * HARK_N_CLASSES)) {
          return 1;
        }
      }
    }
  }
  sh_close(in);
  sh_close(out);
  stats[0] = total_ticks - network_ticks; /* front end */
  stats[1] = network_ticks;
  stats[2] = windows;
  stats[3] = network_runs;
  stats[4] = harness_stack_peak();
  stats[5] = instructions_per_tick();
  st = sh_open("stats.bin", 5);
  if (st < 0 || sh_write(st, stats, sizeof stats)) {
    return 1;
  }
  sh_close(st);
  return 0;
}
