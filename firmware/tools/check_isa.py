#!/usr/bin/env python3
"""Checks that firmware ELFs contain only RV32IMC + Zicsr + Zifencei code.

Disassembles every executable section with `objdump -d -M no-aliases` (so
each instruction shows its real mnemonic, c.* for compressed ones) and
reports any mnemonic outside the allowed set. Exit 1 if one is found.

usage: check_isa.py [--objdump riscv64-unknown-elf-objdump] ELF...
"""
import argparse
import re
import subprocess
import sys

RV32I = """lui auipc jal jalr beq bne blt bge bltu bgeu lb lh lw lbu lhu sb sh sw
addi slti sltiu xori ori andi slli srli srai add sub sll slt sltu xor srl sra
or and fence fence.tso ecall ebreak""".split()
RV32M = "mul mulh mulhsu mulhu div divu rem remu".split()
RV32C = """c.addi4spn c.lw c.sw c.nop c.addi c.jal c.li c.addi16sp c.lui c.srli
c.srai c.andi c.sub c.xor c.or c.and c.j c.beqz c.bnez c.slli c.lwsp c.jr c.mv
c.ebreak c.jalr c.add c.swsp c.unimp""".split()
ZICSR = "csrrw csrrs csrrc csrrwi csrrsi csrrci".split()
ZIFENCEI = ["fence.i"]
PRIV = ["mret", "wfi"]
ALLOWED = set(RV32I + RV32M + RV32C + ZICSR + ZIFENCEI + PRIV)

# "80000000:	00000117          	auipc	sp,0x0"
LINE = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)")


def check(elf, objdump):
    out = subprocess.run([objdump, "-d", "-M", "no-aliases", elf], check=True,
                         capture_output=True, text=True).stdout
    bad = {}
    notes = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        mnemonic = m.group(3)
        if mnemonic.startswith("."):
            # data the assembler marked as such inside code (e.g. a
            # deliberately illegal parcel in the faults app): not decoded
            notes.append(f"{elf}: data {mnemonic} {line.split(mnemonic, 1)[1].strip()} at 0x{m.group(1)}")
            continue
        if mnemonic not in ALLOWED:
            bad.setdefault(mnemonic, []).append(m.group(1))
    for note in notes:
        print(f"note: {note}")
    for mnemonic, addrs in sorted(bad.items()):
        print(f"{elf}: '{mnemonic}' at 0x{addrs[0]} ({len(addrs)} in all) is not RV32IMC/Zicsr/Zifencei")
    return not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objdump", default="riscv64-unknown-elf-objdump")
    ap.add_argument("elfs", nargs="+")
    args = ap.parse_args()
    ok = all([check(e, args.objdump) for e in args.elfs])
    print(f"check_isa: {len(args.elfs)} ELF(s), {'all RV32IMC + Zicsr + Zifencei' if ok else 'FOUND OTHER INSTRUCTIONS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
