#!/bin/sh
# FreeRTOS coreMQTT v1.2.0 (MQTT 3.1.1) measured the way `../measure.py` measures picomqtt: a
# complete client (client.c, the same program as ../src/bin/client.rs) minus a baseline with the
# same startup, clock, transport and mem routines (empty.c), flash = vector table + .text +
# .rodata + .data, each less the mem routines it links. Needs `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`, curl and
# crates.io: the sources come from the core-mqtt-sys 0.1.0 crate, which carries coreMQTT v1.2.0,
# checked against the checksum in the crates.io index. Nothing of coreMQTT is kept in this repo.
set -eu
cd "$(dirname "$0")"
WORK=target
CRATE=core-mqtt-sys-0.1.0
SHA256=3dc7699ea7f6bb847b9e6279f503a4432987b31ba675421d7218b5bb596ae6c5
mkdir -p "$WORK"
if [ ! -d "$WORK/$CRATE" ]; then
  curl -sSfL -o "$WORK/$CRATE.crate" "https://static.crates.io/crates/core-mqtt-sys/$CRATE.crate"
  echo "$SHA256  $WORK/$CRATE.crate" | sha256sum -c --quiet
  tar -xzf "$WORK/$CRATE.crate" -C "$WORK"
fi
SRC="$WORK/$CRATE/coreMQTT/source"
grep -q 'MQTT_LIBRARY_VERSION    "v1.2.0"' "$SRC/include/core_mqtt.h"
# Our own config (the crate's sets nothing either): no logging, every default.
mkdir -p "$WORK/config"
printf '#ifndef CORE_MQTT_CONFIG_H_\n#define CORE_MQTT_CONFIG_H_\n#endif\n' > "$WORK/config/core_mqtt_config.h"

flash() {
  arm-none-eabi-size -A "$1" |
    awk '$1 ~ /^\.(vector_table|text|rodata|data)$/ { s += $2 } END { print s }'
}
# Less the mem routines each program links, as ../measure.py does: every firmware has them, and
# the two programs need not link the same ones.
mem() {
  arm-none-eabi-nm -S --radix=d "$1" |
    awk '$3 ~ /^[tT]$/ && $4 ~ /^(memcpy|memmove|memset|memcmp|bcmp|__aeabi_mem[a-z0-9]*)$/ {
      s += $2 } END { print s + 0 }'
}
LIB="$SRC/core_mqtt.c $SRC/core_mqtt_state.c $SRC/core_mqtt_serializer.c"
# __FILE__ (in assert messages) without the download path, so sizes do not depend on it.
INC="-fmacro-prefix-map=$SRC/= -I$WORK/config -I$SRC/include -I$SRC/interface -I."
LINK="-nostartfiles --specs=nano.specs -Wl,--gc-sections -Tlink.ld"
for cpu in cortex-m0plus cortex-m4; do
  for ndebug in -DNDEBUG ""; do
    for lto in -flto ""; do
      CFLAGS="-Wall -Wextra -Werror -Os -mcpu=$cpu -mthumb -ffunction-sections -fdata-sections $ndebug $lto $INC"
      # shellcheck disable=SC2086
      arm-none-eabi-gcc $CFLAGS client.c $LIB $LINK -o "$WORK/client.elf"
      # shellcheck disable=SC2086
      arm-none-eabi-gcc $CFLAGS empty.c $LINK -o "$WORK/empty.elf"
      c=$(($(flash "$WORK/client.elf") - $(mem "$WORK/client.elf")))
      e=$(($(flash "$WORK/empty.elf") - $(mem "$WORK/empty.elf")))
      echo "$cpu ${ndebug:-asserts} ${lto:-no-lto}: client $c B, empty $e B, coreMQTT $((c - e)) B"
    done
  done
done
# coreMQTT's own way: the three library objects alone, at -Os.
for cpu in cortex-m0plus cortex-m4; do
  for ndebug in -DNDEBUG ""; do
    total=0
    for f in core_mqtt core_mqtt_state core_mqtt_serializer; do
      # shellcheck disable=SC2086
      arm-none-eabi-gcc -Os -mcpu=$cpu -mthumb $ndebug $INC -c "$SRC/$f.c" -o "$WORK/$f.o"
      total=$((total + $(arm-none-eabi-size "$WORK/$f.o" | awk 'NR == 2 { print $1 }')))
    done
    echo "$cpu ${ndebug:-asserts}: library objects $total B"
  done
done
