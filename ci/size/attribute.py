#!/usr/bin/env python3
"""Where the flash of the size-test `client` goes, by picomqtt source function, inlining included.

`measure.py --symbols` lists the functions that LTO left out of line; most of picomqtt is
inlined into a few of them, so that list says little about which source code costs what. This
script builds the same binary with debug info (which does not change the code: it checks that
the text sizes agree) and walks the DWARF inlining tree: every byte of code is charged to the
innermost picomqtt function it was inlined from, or to the outermost function around it when no
picomqtt function is involved (runtime, `mem*`, `core`).

    pip install pyelftools        # the one dependency, not needed by CI
    python3 ci/size/attribute.py [--binary client|empty] [--top N]
"""
import argparse
import collections
import os
import subprocess
import sys

from measure import HERE, flash, sections

try:
    from elftools.elf.elffile import ELFFile
except ImportError:
    sys.exit("needs pyelftools: pip install pyelftools")

# Debug info in its own target directory, so the measured build stays as CI makes it.
DEBUG_TARGET = os.path.join(HERE, "target", "attribute")
PICOMQTT_UNIT = "/@/picomqtt."  # how rustc names picomqtt's compile units


def origin(die):
    """The DIE that holds the name and unit of a concrete or inlined function."""
    for attr in ("DW_AT_abstract_origin", "DW_AT_specification"):
        if attr in die.attributes:
            return origin(die.get_DIE_from_attribute(attr))
    return die


def qualified_name(die):
    die = origin(die)
    name = die.attributes.get("DW_AT_name") or die.attributes.get("DW_AT_linkage_name")
    name = name.value.decode() if name else "?"
    parent = die.get_parent()
    if parent is not None and parent.tag != "DW_TAG_compile_unit" and "DW_AT_name" in parent.attributes:
        name = parent.attributes["DW_AT_name"].value.decode() + "::" + name
    return name


def is_picomqtt(die):
    """Defined in picomqtt: in one of its units, or (generic code, instantiated in the
    application's unit) inside its `picomqtt` namespace."""
    die = origin(die)
    unit = die.cu.get_top_DIE().attributes.get("DW_AT_name")
    if unit is not None and PICOMQTT_UNIT in unit.value.decode():
        return True
    parent = die.get_parent()
    while parent is not None and parent.tag != "DW_TAG_compile_unit":
        name = parent.attributes.get("DW_AT_name")
        if parent.tag == "DW_TAG_namespace" and name is not None and name.value == b"picomqtt":
            return True
        parent = parent.get_parent()
    return False


def address_ranges(die, ranges):
    attrs = die.attributes
    if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
        low = attrs["DW_AT_low_pc"].value
        high = attrs["DW_AT_high_pc"].value
        if attrs["DW_AT_high_pc"].form != "DW_FORM_addr":
            high += low
        return [(low, high)]
    if "DW_AT_ranges" in attrs:
        # rustc's units start at address 0, so the entries are absolute addresses.
        entries = ranges.get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=die.cu)
        return [(e.begin_offset, e.end_offset) for e in entries if hasattr(e, "begin_offset")]
    return []


def frames(elf):
    """(low, high, depth, name, is_picomqtt) of every function body and inlined call."""
    dwarf = elf.get_dwarf_info()
    ranges = dwarf.range_lists()
    found = []
    for cu in dwarf.iter_CUs():
        stack = [(cu.get_top_DIE(), 0)]
        while stack:
            die, depth = stack.pop()
            if die.tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine"):
                for low, high in address_ranges(die, ranges):
                    if 0 < low < high:
                        found.append((low, high, depth, qualified_name(die), is_picomqtt(die)))
            stack.extend((child, depth + 1) for child in die.iter_children())
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="client", choices=["client", "empty"])
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    env = dict(os.environ, CARGO_PROFILE_RELEASE_DEBUG="2")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--target-dir", DEBUG_TARGET],
                   cwd=HERE, env=env, check=True)
    binary = os.path.join(DEBUG_TARGET, "thumbv6m-none-eabi", "release", args.binary)
    measured = os.path.join(HERE, "target", "thumbv6m-none-eabi", "release", args.binary)
    if os.path.exists(measured) and flash(sections(measured)) != flash(sections(binary)):
        print("warning: the debug build's flash differs from measure.py's build", file=sys.stderr)

    with open(binary, "rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        start, size = text["sh_addr"], text["sh_size"]
        innermost = {}  # halfword address -> (depth, name) of the deepest picomqtt frame
        outermost = {}  # halfword address -> (depth, name) of the shallowest frame of any crate
        for low, high, depth, name, ours in frames(elf):
            for at in range(low & ~1, high, 2):
                if ours and innermost.get(at, (-1,))[0] < depth:
                    innermost[at] = (depth, name)
                if outermost.get(at, (1 << 30,))[0] > depth:
                    outermost[at] = (depth, name)

    cost = collections.Counter()
    for at in range(start, start + size, 2):
        if at in innermost:
            cost[innermost[at][1]] += 2
        else:
            cost["(not picomqtt) " + outermost.get(at, (0, "?"))[1]] += 2
    ours = sum(v for k, v in cost.items() if not k.startswith("(not picomqtt)"))
    print(f"{args.binary}: .text {size} B, of which picomqtt source functions {ours} B")
    for name, n in cost.most_common(args.top):
        print(f"{n:6} {name}")


if __name__ == "__main__":
    main()
