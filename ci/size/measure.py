#!/usr/bin/env python3
"""Flash and RAM cost of a complete picomqtt client on thumbv6m-none-eabi (Cortex-M0+).

Builds `client` (connect with will, resend of QoS 1 in flight, subscribe, resubscribe, publish
QoS 1 with retain and QoS 0, receive with PUBACK, keep alive) and `empty` (same runtime, clock,
transport and mem* routines) with opt-level "z", fat LTO and panic=abort, and prints
flash(client) - flash(empty), each without the memcpy/memmove/memset/memcmp it links.
`--symbols` lists the largest functions of `client`.
"""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "target", "thumbv6m-none-eabi", "release")


def tool(name):
    found = glob.glob(os.path.expanduser(f"~/.rustup/toolchains/*/lib/rustlib/*/bin/{name}"))
    if not found:
        sys.exit(f"{name} not found: run `rustup component add llvm-tools`")
    return found[0]


def sections(binary):
    out = subprocess.run([tool("llvm-size"), "-A", binary], check=True, capture_output=True,
                         text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def flash(s):
    return sum(s.get(k, 0) for k in (".vector_table", ".text", ".rodata", ".data"))


# The C library's memory routines, which every firmware links anyway (the C peers' size tables
# do not count libc either). Each binary's are subtracted from its own size: `empty` uses them
# to exist at all, but the two programs need not link the same ones (empty's `fill` links
# `__aeabi_memclr`, which the client does not use; the client's `==` on byte slices links
# `memcmp`), and a plain difference of the totals would count those against the wrong side.
MEM_ROUTINE = re.compile(r"^(compiler_builtins::mem::\w+|__aeabi_mem\w+|mem(cpy|move|set|cmp)|bcmp)$")


def mem_routines(binary):
    """The bytes of memcpy, memmove, memset, memcmp and their `__aeabi_` entry points."""
    out = subprocess.run([tool("llvm-nm"), "-S", "-C", binary], check=True, capture_output=True,
                         text=True).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2].lower() == "t":
            name = re.sub(r"::h[0-9a-f]{16}$", "", parts[3])
            if MEM_ROUTINE.match(name):
                total += int(parts[1], 16)
    return total


def state_sizes(binary):
    """The two u32 of PICOMQTT_STATE_SIZES, read from the ELF file."""
    nm = subprocess.run([tool("llvm-nm"), binary], check=True, capture_output=True,
                        text=True).stdout
    addr = next(int(line.split()[0], 16) for line in nm.splitlines()
                if line.endswith(" PICOMQTT_STATE_SIZES"))
    with open(binary, "rb") as f:
        elf = f.read()
    # ELF32 little-endian: find the section that holds the address.
    shoff = int.from_bytes(elf[0x20:0x24], "little")
    shentsize = int.from_bytes(elf[0x2E:0x30], "little")
    shnum = int.from_bytes(elf[0x30:0x32], "little")
    for i in range(shnum):
        sh = elf[shoff + i * shentsize: shoff + (i + 1) * shentsize]
        sh_addr, sh_offset, sh_size = (int.from_bytes(sh[k:k + 4], "little") for k in (12, 16, 20))
        if sh_addr <= addr < sh_addr + sh_size:
            at = sh_offset + addr - sh_addr
            return (int.from_bytes(elf[at:at + 4], "little"),
                    int.from_bytes(elf[at + 4:at + 8], "little"))
    sys.exit("PICOMQTT_STATE_SIZES not found in any section")


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=HERE, check=True)
    client_elf, empty_elf = os.path.join(TARGET, "client"), os.path.join(TARGET, "empty")
    client = flash(sections(client_elf)) - mem_routines(client_elf)
    empty = flash(sections(empty_elf)) - mem_routines(empty_elf)
    cost = client - empty
    print(f"flash without mem* routines: client {client} B, empty {empty} B, picomqtt {cost} B")
    session, client_struct = state_sizes(os.path.join(TARGET, "client"))
    rx, tx = 512, 1024
    print(f"RAM: Session {session} B + Client {client_struct} B (transport excluded) "
          f"+ RX {rx} B + TX {tx} B = {session + client_struct + rx + tx} B")
    if "--symbols" in sys.argv:
        out = subprocess.run([tool("llvm-nm"), "--size-sort", "-S", "-C",
                              os.path.join(TARGET, "client")], check=True, capture_output=True,
                             text=True).stdout
        rows = []
        for line in out.splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4 and parts[2].lower() in "tr":
                rows.append((int(parts[1], 16), parts[3]))
        for size, name in sorted(rows, reverse=True)[:40]:
            print(f"{size:6} {name}")
    return cost


if __name__ == "__main__":
    main()
