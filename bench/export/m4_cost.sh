#!/usr/bin/env bash
# Cortex-M4F cost of a model's C export (issue 10): cross-compiled with arm-none-eabi-gcc -O2
# and run on QEMU's mps2-an386 with -icount, using the test harness of crates/export/tests/m4.
# Prints section sizes (arm-none-eabi-size), the stack peak and instructions per STFT frame
# (front end) and per window (network) on one clip.
# usage: [EXPORT_ARGS="--int8 --calibrate TRAINING_AUDIO..."] bench/export/m4_cost.sh MODEL.hark CLIP [BUDGET]
#   BUDGET=device (default): the tests' linker script, 512 KiB flash / 64 KiB RAM; a model
#   that does not fit fails to link. BUDGET=measure: 4 MiB of each, to measure models that
#   do not fit (their figures say what they would cost, not that they run on the board).
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1 clip=$2 budget=${3:-device}
HARK=${HARK:-target/release/hark}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086 # EXPORT_ARGS is a list of words
"$HARK" export "$model" --format c -o "$work" ${EXPORT_ARGS:-} 2>/dev/null
cp crates/export/tests/m4/{startup.c,main.c} "$work"/
if [ "$budget" = measure ]; then
  sed 's/LENGTH = 512K/LENGTH = 4096K/; s/LENGTH = 64K/LENGTH = 4096K/' crates/export/tests/m4/link.ld > "$work/link.ld"
else
  cp crates/export/tests/m4/link.ld "$work/"
fi
# The clip as float32 samples at the model's rate, decoded and resampled by hark itself.
sr=$(grep -m1 '#define HARK_SAMPLE_RATE' "$work/hark_model.h" | awk '{print $3}')
cargo run -q -p hark-audio --example to_f32 -- "$clip" "$sr" "$work/samples.f32"
cd "$work"
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -O2 \
  -DHARK_NETWORK_HOOK=harness_network_hook -nostartfiles -T link.ld --specs=nano.specs \
  --specs=nosys.specs startup.c main.c hark_model.c -lm -o harness.elf
arm-none-eabi-size -A harness.elf | grep -E '^\.(text|data|bss|stack) '
timeout 1200 qemu-system-arm -M mps2-an386 -nographic -monitor none \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel harness.elf
python3 - <<'PY'
import struct
fe, net, windows, runs, stack, per_tick = struct.unpack("<6I", open("stats.bin", "rb").read())
hop = int([l.split()[2] for l in open("hark_model.h") if l.startswith("#define HARK_HOP_LENGTH")][0])
frames = len(open("samples.f32", "rb").read()) // 4 // hop
print(f"windows {windows} (network ran {runs}), frames ~{frames}, stack peak {stack} B")
print(f"front end: {fe * per_tick / max(frames, 1):.0f} instructions per frame")
print(f"network:   {net * per_tick / max(runs, 1):.0f} instructions per window")
PY
