/*
 * imcvp platform register map: the one definition shared by the SystemC
 * models (C++) and the firmware (C and the linker script, via the C
 * preprocessor). Change an address or a register here and both sides follow.
 *
 * Only plain #defines: this header is included from C, C++, assembly and
 * the preprocessed linker script.
 */
#ifndef IMCVP_MEMORY_MAP_H
#define IMCVP_MEMORY_MAP_H

/* ---- main memory (RISC-V convention: DRAM at 0x8000_0000) --------------- */
#define IMCVP_RAM_BASE_DEFAULT 0x80000000
#define IMCVP_RAM_SIZE_DEFAULT 0x01000000 /* 16 MiB */

/* ---- CLINT (SiFive-compatible core-local interruptor) -------------------- */
#define IMCVP_CLINT_BASE 0x02000000
#define IMCVP_CLINT_SIZE 0x00010000
#define IMCVP_CLINT_MSIP 0x0000     /* 32-bit, bit 0: machine software irq */
#define IMCVP_CLINT_MTIMECMP 0x4000 /* 64-bit, low word first */
#define IMCVP_CLINT_MTIME 0xBFF8    /* 64-bit, low word first */
/* default mtime tick rate; the scenario's platform.timer_hz overrides it and
 * the firmware reads the rate in use from IMCVP_SIMCTRL_TIMER_HZ. */
#define IMCVP_MTIME_HZ_DEFAULT 10000000

/* ---- UART (transmit-only console) --------------------------------------- */
#define IMCVP_UART_BASE 0x10000000
#define IMCVP_UART_SIZE 0x00000100
#define IMCVP_UART_TXDATA 0x00 /* write: low byte is sent */
#define IMCVP_UART_STATUS 0x04 /* read: bit 0 = transmitter ready (always 1) */
#define IMCVP_UART_STATUS_TXREADY 0x1

/* ---- simulation control -------------------------------------------------- */
#define IMCVP_SIMCTRL_BASE 0x10001000
#define IMCVP_SIMCTRL_SIZE 0x00000100
#define IMCVP_SIMCTRL_EXIT 0x00     /* write: end the simulation, value = exit code */
#define IMCVP_SIMCTRL_RAM_BASE 0x04 /* read: main memory base in use */
#define IMCVP_SIMCTRL_RAM_SIZE 0x08 /* read: main memory size in use */
#define IMCVP_SIMCTRL_TIMER_HZ 0x0C /* read: CLINT mtime rate in Hz */
#define IMCVP_SIMCTRL_CPU_HZ 0x10   /* read: CPU clock in Hz */
#define IMCVP_SIMCTRL_MARK 0x14     /* write: an IMCVP_MARK_* event (below) */
#define IMCVP_SIMCTRL_TILES 0x18    /* read: accelerator tiles present (0: none) */
#define IMCVP_SIMCTRL_WORKLOAD_SIZE 0x1C /* read: bytes of workload memory (0: none) */
/* Marks: the firmware tells the platform where the phases of a network run
 * begin and end; the report splits time and energy at them
 * (docs/accelerator.md "Running a network"). */
#define IMCVP_MARK_LOAD_BEGIN 1  /* checking the program image, programming crossbars */
#define IMCVP_MARK_INFER_BEGIN 2 /* the first image starts */
#define IMCVP_MARK_IMAGE_END 3   /* one image done (its result record written) */
#define IMCVP_MARK_INFER_END 4   /* the last image done */

/* ---- workload memory (imcvp/workload.h): the program image, the input
 * images and the result records of a network run, filled by the platform
 * when the scenario has a `network:` section. Size: IMCVP_SIMCTRL_WORKLOAD_SIZE. */
#define IMCVP_WORKLOAD_BASE 0x20000000
#define IMCVP_WORKLOAD_MAX_SIZE 0x10000000 /* 256 MiB */

/* ---- RISC-V machine-mode CSR numbers and fields used by both sides ------- */
#define IMCVP_MCAUSE_INTERRUPT 0x80000000u
#define IMCVP_IRQ_MSI 3  /* machine software interrupt */
#define IMCVP_IRQ_MTI 7  /* machine timer interrupt */
#define IMCVP_IRQ_MEI 11 /* machine external interrupt */

/* ---- DMA engine (second bus master; docs/accelerator.md) ---------------- */
#define IMCVP_DMA_BASE 0x10002000
#define IMCVP_DMA_SIZE 0x00000100
#define IMCVP_DMA_SRC 0x00        /* source bus address (4-byte aligned) */
#define IMCVP_DMA_DST 0x04        /* destination bus address (4-byte aligned) */
#define IMCVP_DMA_LEN 0x08        /* bytes, > 0, multiple of 4 */
#define IMCVP_DMA_CTRL 0x0C       /* write: bit 0 START */
#define IMCVP_DMA_STATUS 0x10     /* read: BUSY, DONE, ERROR (cleared by START) */
#define IMCVP_DMA_ERROR 0x14      /* read: IMCVP_DMA_ERR_* of the last transfer */
#define IMCVP_DMA_ERROR_ADDR 0x18 /* read: bus address that failed (bus errors) */
#define IMCVP_DMA_IRQ_ENABLE 0x1C /* IMCVP_DMA_IRQ_* bits */
#define IMCVP_DMA_IRQ_STATUS 0x20 /* IMCVP_DMA_IRQ_* bits, write 1 to clear */
#define IMCVP_DMA_BYTES_LO 0x24   /* read: bytes moved since reset (64-bit) */
#define IMCVP_DMA_BYTES_HI 0x28
#define IMCVP_DMA_CTRL_START 0x1
#define IMCVP_DMA_STATUS_BUSY 0x1
#define IMCVP_DMA_STATUS_DONE 0x2
#define IMCVP_DMA_STATUS_ERROR 0x4
#define IMCVP_DMA_IRQ_DONE 0x1
#define IMCVP_DMA_IRQ_ERROR 0x2
#define IMCVP_DMA_ERR_NONE 0
#define IMCVP_DMA_ERR_LENGTH 1     /* LEN is 0 or above the engine's maximum */
#define IMCVP_DMA_ERR_ALIGN 2      /* SRC, DST or LEN not a multiple of 4 */
#define IMCVP_DMA_ERR_RANGE 3      /* SRC + LEN or DST + LEN beyond 2^32 */
#define IMCVP_DMA_ERR_BUS_READ 4   /* the bus answered a read with an error */
#define IMCVP_DMA_ERR_BUS_WRITE 5  /* the bus answered a write with an error */
#define IMCVP_DMA_ERR_BUSY 6       /* START while a transfer is running */

/* ---- accelerator tiles (docs/accelerator.md) ----------------------------
 * Tile n occupies [IMCVP_TILE_BASE + n * IMCVP_TILE_STRIDE, + IMCVP_TILE_STRIDE):
 * control registers at +IMCVP_TILE_REGS, its local buffer (SRAM holding
 * descriptors, activations, requantization constants and cell levels) at
 * +IMCVP_TILE_BUF (size: read IMCVP_TILE_BUF_SIZE, at most IMCVP_TILE_BUF_MAX).
 * 64 tiles of 16 MiB fill [0x4000_0000, 0x8000_0000) up to main RAM; the
 * buffer window (8 MiB) holds a 224 x 224 layer's input and output
 * (VGG-16's conv1_2: 2 x 3.2 MB). */
#define IMCVP_TILE_BASE 0x40000000
#define IMCVP_TILE_STRIDE 0x01000000
#define IMCVP_TILE_MAX_TILES 64
#define IMCVP_TILE_REGS 0x00000
#define IMCVP_TILE_REGS_SIZE 0x01000
#define IMCVP_TILE_BUF 0x800000
#define IMCVP_TILE_BUF_MAX 0x800000
#define IMCVP_TILE_ADDR(n) (IMCVP_TILE_BASE + (n) * IMCVP_TILE_STRIDE)
#define IMCVP_TILE_MAX_XBARS 4096 /* crossbar macros one tile holds at most (NUM_XBARS) */
/* registers (offsets in the register block) */
#define IMCVP_TILE_CTRL 0x00        /* write: START, RESET */
#define IMCVP_TILE_STATUS 0x04      /* read: BUSY, DONE, ERROR */
#define IMCVP_TILE_DESC_ADDR 0x08   /* buffer offset of the layer descriptor */
#define IMCVP_TILE_IRQ_ENABLE 0x0C  /* IMCVP_TILE_IRQ_* bits */
#define IMCVP_TILE_IRQ_STATUS 0x10  /* IMCVP_TILE_IRQ_* bits, write 1 to clear */
#define IMCVP_TILE_ERROR 0x14       /* IMCVP_TILE_ERR_* of the last command */
#define IMCVP_TILE_LAYERS 0x18      /* read: commands completed since reset */
#define IMCVP_TILE_MVMS 0x1C        /* read: crossbar MVMs since reset */
#define IMCVP_TILE_PULSES 0x20      /* read: programming pulses since reset */
#define IMCVP_TILE_ADC_CLIPPED 0x24 /* read: clipped ADC conversions since reset */
#define IMCVP_TILE_BUSY_NS 0x28     /* read: ns busy since reset (saturates) */
#define IMCVP_TILE_NUM_XBARS 0x30   /* read: crossbar macros in the tile */
#define IMCVP_TILE_XBAR_ROWS 0x34   /* read */
#define IMCVP_TILE_XBAR_COLS 0x38   /* read */
#define IMCVP_TILE_BUF_SIZE 0x3C    /* read: bytes of the local buffer */
#define IMCVP_TILE_XBAR_FORMAT 0x40 /* read: how weights sit in the cells (below) */
#define IMCVP_TILE_XBAR_FORMAT_WEIGHT_BITS(v) ((v) & 0xFF)       /* bits per weight */
#define IMCVP_TILE_XBAR_FORMAT_CELL_BITS(v) (((v) >> 8) & 0xFF)  /* bits per cell */
#define IMCVP_TILE_XBAR_FORMAT_OFFSET 0x10000 /* set: offset signs; clear: differential */
#define IMCVP_TILE_XBAR_FORMAT_UNSIGNED 0x20000 /* set: unsigned weights (a layer's own format, ShiftAdd's FORMAT) */
#define IMCVP_TILE_CTRL_START 0x1
#define IMCVP_TILE_CTRL_RESET 0x2   /* clears STATUS, IRQ_STATUS, ERROR, counters */
#define IMCVP_TILE_STATUS_BUSY 0x1
#define IMCVP_TILE_STATUS_DONE 0x2
#define IMCVP_TILE_STATUS_ERROR 0x4
#define IMCVP_TILE_IRQ_DONE 0x1
#define IMCVP_TILE_IRQ_ERROR 0x2
#define IMCVP_TILE_ERR_NONE 0
#define IMCVP_TILE_ERR_DESC_ADDR 1   /* descriptor not inside the buffer / misaligned */
#define IMCVP_TILE_ERR_MAGIC 2       /* descriptor magic is not IMCVP_DESC_MAGIC */
#define IMCVP_TILE_ERR_VERSION 3     /* unsupported descriptor version */
#define IMCVP_TILE_ERR_OP 4          /* unknown operation */
#define IMCVP_TILE_ERR_SHAPE 5       /* inconsistent shape, kernel, stride or pad */
#define IMCVP_TILE_ERR_FORMAT 6      /* bad element format or input bits */
#define IMCVP_TILE_ERR_BUFFER 7      /* an operand lies outside the buffer */
#define IMCVP_TILE_ERR_XBARS 8       /* the layer needs more crossbars than the tile has */
#define IMCVP_TILE_ERR_LEVEL 9       /* a cell level above the cell's maximum */
#define IMCVP_TILE_ERR_BUSY 10       /* START while busy */
#define IMCVP_TILE_ERR_REQUANT 11    /* bad requantization shift */
#define IMCVP_TILE_ERR_EXT 12        /* an extension record no block declares, or malformed */
/* The tile's blocks (docs/accelerator.md "Tile blocks"): each sits behind
 * the tile's internal router in a window of IMCVP_TILE_BLOCK_SIZE bytes at
 * IMCVP_TILE_BLOCK(slot) of the tile window, registers first (the common
 * ones below), then its memories (coefficient or compensation SRAM, index
 * tables) at offsets the block documents. Firmware, DMA and the debugger
 * reach them as any bus address: IMCVP_TILE_ADDR(n) + IMCVP_TILE_BLOCK(s). */
#define IMCVP_TILE_BLOCK_BASE 0x10000
#define IMCVP_TILE_BLOCK_SIZE 0x10000
#define IMCVP_TILE_BLOCK(slot) (IMCVP_TILE_BLOCK_BASE + (slot) * IMCVP_TILE_BLOCK_SIZE)
#define IMCVP_TILE_MAX_BLOCKS 127 /* slots 0..126 fill [0x1_0000, 0x80_0000) below the buffer */
#define IMCVP_BLOCK_SLOT_CROSSBARS 0   /* CrossbarBank: the tile's crossbar macros */
#define IMCVP_BLOCK_SLOT_SHIFT_ADD 1   /* ShiftAdd */
#define IMCVP_BLOCK_SLOT_ACCUMULATOR 2 /* Accumulator */
#define IMCVP_BLOCK_SLOT_ACTIVATION 3  /* ActivationUnit */
#define IMCVP_BLOCK_SLOT_SRAM_COMP 4   /* SramCompensation (hybrid RRAM/SRAM), when the scenario has one */
#define IMCVP_BLOCK_SLOT_BASIS_SCALER 5 /* BasisScaler (BasisN), when the scenario has one */
#define IMCVP_BLOCK_SLOT_SPLICE 6      /* SpliceUnit (SME), when the scenario has one */
#define IMCVP_BLOCK_SLOT_USER_FIRST 64 /* slots 64..126: free for blocks outside the tree, tests */
/* Registers every block has (offsets in its window) */
#define IMCVP_BLOCK_ID 0x00       /* read: four characters naming the block, first in the low byte */
#define IMCVP_BLOCK_EVENTS_LO 0x04 /* read: the block's operations since reset (64-bit, low word first) */
#define IMCVP_BLOCK_EVENTS_HI 0x08
#define IMCVP_BLOCK_LAYERS 0x0C   /* read: layers the block took part in since reset */
#define IMCVP_BLOCK_REGS 0x40     /* the block's own registers start here */
/* CrossbarBank's own registers: select a cell, read its level */
#define IMCVP_XBANK_SELECT (IMCVP_BLOCK_REGS + 0x00) /* crossbar index */
#define IMCVP_XBANK_ROW (IMCVP_BLOCK_REGS + 0x04)
#define IMCVP_XBANK_COL (IMCVP_BLOCK_REGS + 0x08)
#define IMCVP_XBANK_LEVEL (IMCVP_BLOCK_REGS + 0x0C) /* read: level last written to the selected cell */
/* ShiftAdd's own registers: the weight format of the last layer */
#define IMCVP_SHIFT_ADD_FORMAT (IMCVP_BLOCK_REGS + 0x00) /* read: as IMCVP_TILE_XBAR_FORMAT */
/* ActivationUnit's: the output clamp of the last layer */
#define IMCVP_ACT_OUT_MIN (IMCVP_BLOCK_REGS + 0x00)
#define IMCVP_ACT_OUT_MAX (IMCVP_BLOCK_REGS + 0x04)
/* SramCompensation's own registers and its SRAM (imcvp/accel.h IMCVP_EXT_SRAM_COMP) */
#define IMCVP_SRAM_COMP_SHIFT (IMCVP_BLOCK_REGS + 0x00)      /* read/write: the programmable shifter, 0..3 */
#define IMCVP_SRAM_COMP_SRAM_BYTES (IMCVP_BLOCK_REGS + 0x04) /* read: bytes of the SRAM */
#define IMCVP_SRAM_COMP_PES (IMCVP_BLOCK_REGS + 0x08)        /* read: processing elements (MAC units) */
#define IMCVP_SRAM_COMP_MACS_LO (IMCVP_BLOCK_REGS + 0x0C)    /* read: MACs since reset (64-bit, low word first) */
#define IMCVP_SRAM_COMP_MACS_HI (IMCVP_BLOCK_REGS + 0x10)
#define IMCVP_SRAM_COMP_MEM 0x1000     /* the SRAM, in the block's window */
#define IMCVP_SRAM_COMP_MEM_MAX 0xF000 /* bytes it can be at most */
/* BasisScaler's own registers and its coefficient memory (imcvp/accel.h IMCVP_EXT_BASIS) */
#define IMCVP_BASIS_COEF_BYTES (IMCVP_BLOCK_REGS + 0x00) /* read: bytes of the coefficient memory */
#define IMCVP_BASIS_LANES (IMCVP_BLOCK_REGS + 0x04)      /* read: MAC lanes */
#define IMCVP_BASIS_MACS_LO (IMCVP_BLOCK_REGS + 0x08)    /* read: MACs since reset (64-bit, low word first) */
#define IMCVP_BASIS_MACS_HI (IMCVP_BLOCK_REGS + 0x0C)
#define IMCVP_BASIS_COEF_MEM 0x1000     /* the coefficient memory, in the block's window */
#define IMCVP_BASIS_COEF_MEM_MAX 0xF000 /* bytes it can be at most */
/* SpliceUnit's own registers and its index-table memory (imcvp/accel.h IMCVP_EXT_SPLICE) */
#define IMCVP_SPLICE_TABLE_BYTES (IMCVP_BLOCK_REGS + 0x00) /* read: bytes of the table memory */
#define IMCVP_SPLICE_LANES (IMCVP_BLOCK_REGS + 0x04)       /* read: shift-add lanes */
#define IMCVP_SPLICE_ADDS_LO (IMCVP_BLOCK_REGS + 0x08)     /* read: column shift-adds since reset (64-bit, low word first) */
#define IMCVP_SPLICE_ADDS_HI (IMCVP_BLOCK_REGS + 0x0C)
#define IMCVP_SPLICE_TABLE_MEM 0x1000     /* the index-table memory, in the block's window */
#define IMCVP_SPLICE_TABLE_MEM_MAX 0xF000 /* bytes it can be at most */

#endif /* IMCVP_MEMORY_MAP_H */
