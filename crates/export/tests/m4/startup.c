/* Bare-metal start for the Cortex-M4F test harness (crates/export/tests/c.rs): vector
 * table, .data/.bss set-up, FPU on, stack painted so main can measure its peak. */
#include <stdint.h>

extern uint32_t _etext, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern int main(void);
void reset_handler(void);
void fault_handler(void);

/* Stack words still holding this after the run were never used. */
#define STACK_PAINT 0xC0FFEE11u

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_estack, (const void *)reset_handler, (const void *)fault_handler,
    (const void *)fault_handler, (const void *)fault_handler, (const void *)fault_handler,
    (const void *)fault_handler};

static void semihost_exit(uint32_t reason) {
  register uint32_t r0 __asm__("r0") = 0x18; /* SYS_EXIT */
  register uint32_t r1 __asm__("r1") = reason;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
  }
}

void fault_handler(void) { semihost_exit(0x20023); /* ADP_Stopped_RunTimeErrorUnknown */ }

uint32_t harness_stack_peak(void) {
  const uint32_t *p = &_sstack;
  while (p < &_estack && *p == STACK_PAINT) {
    p++;
  }
  return (uint32_t)((const char *)&_estack - (const char *)p);
}

void reset_handler(void) {
  uint32_t *src = &_etext, *dst = &_sdata;
  volatile uint32_t *p;
  while (dst < &_edata) {
    *dst++ = *src++;
  }
  for (dst = &_sbss; dst < &_ebss; dst++) {
    *dst = 0;
  }
  /* CPACR: full access to CP10 and CP11 (the FPU). */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n isb" ::: "memory");
  /* Paint the stack below this frame (the 64 bytes under sp are left alone). */
  for (p = (volatile uint32_t *)&_sstack; (uintptr_t)p < (uintptr_t)__builtin_frame_address(0) - 64; p++) {
    *p = STACK_PAINT;
  }
  semihost_exit(main() == 0 ? 0x20026 /* ApplicationExit */ : 0x20023);
}
