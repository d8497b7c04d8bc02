/* FULLY_CONNECTED with per-tensor or per-output-channel requantization.
 * Both round once (mcu_requantize_single_round), as TFLite's int8 reference kernels do; TFLM's
 * per-tensor kernel rounds twice and can differ from them by one (docs/engine.md).
 *
 * With the Cortex-M DSP extension, weights without a zero point and the input offset folded into the
 * bias (the code generator folds input_offset * sum(row) when filter_offset is 0): when the code
 * generator gives a table (params->table: input depth a multiple of 4, every shift in -31 .. -1) every
 * row is stored encoded in blocks, a head block of 0 to 5 rows (params->head_rows) and blocks of six
 * (params->row_blocks), per group of four inputs the rows' weight words side by side, and the batch rows
 * run in one assembly block (MCU_FCE_ASM: the head block's loop also sums the input, without a head
 * block the first block of six's does; every block's start values, group loop and outputs; 25
 * instructions per 24 MACs in the six-row loop, eight groups per step entered by TBH at the group count
 * mod 8; requantization from the table in 6 or 7 per output). The entry points take the parameters,
 * input, filter and output in registers (the dimensions are in params), one per head block size, clamp
 * and post-shift zero point, chosen at compile time by mcu_fully_connected_s8 (mcu_engine.h).
 * Otherwise four output rows run per pass: each word of
 * four inputs is widened once (SXTB16) and meets a weight word of each row in two SMLADs (23
 * instructions per 16 MACs). No scratch: the arena does not grow.
 *
 * On 64-bit hosts the portable path runs without offsets in fc_wide, whose loops compilers vectorize;
 * it and the portable path read the same layout and decode the encoded rows. */
#include <stddef.h>

#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

static inline int8_t fc_out(const mcu_fc_params *params, const mcu_per_channel_quant *quant, int32_t oc,
                            int32_t acc)
{
    const int32_t q = params->per_channel ? oc : 0;
    const int32_t m = quant->multiplier[q], s = quant->shift[q];
    acc = mcu_requantize_fc(acc, m, s);
    return (int8_t)mcu_clamp_i32(acc + params->output_offset, params->act_min, params->act_max);
}

#if defined(__ARM_FEATURE_DSP)
/* One group of four inputs (x: the widened words 0/2 and 1/3) against row k's weight word at [w0] or
 * [w0, d] / [w2] or [w2, d]. */
#define MCU_FC_ROW(A, LOAD) \
    LOAD \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[" A "], %[xl], %[t], %[" A "]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[" A "], %[xh], %[u], %[" A "]\n\t"
#define MCU_FC_GROUP \
    "ldr    %[xh], [%[xp]], #4\n\t" \
    "sxtb16 %[xl], %[xh]\n\t" \
    "sxtb16 %[xh], %[xh], ror #8\n\t" \
    MCU_FC_ROW("a1", "ldr    %[u], [%[w0], %[d]]\n\t") \
    MCU_FC_ROW("a0", "ldr    %[u], [%[w0]], #4\n\t") \
    MCU_FC_ROW("a3", "ldr    %[u], [%[w2], %[d]]\n\t") \
    MCU_FC_ROW("a2", "ldr    %[u], [%[w2]], #4\n\t")

/* Rows stored encoded (params->table): with e = the stored bytes of a group of four weights w0..w3
 * (e0 = w0 ^ 0x80, e1 = w1, e2 = w2 ^ 0x80, e3 = w3) the loaded word W has the signed halfwords
 * 256 w1 + w0 + 128 and 256 w3 + w2 + 128, and T = SXTB16(W, ROR 8) = (w1, w3). With the inputs
 * X = [x0 x1 x2 x3], Xa = SXTB16(X) = (x0, x2) and Xc = REV16(X) ^ 0xFF80FF80 = (x1 - 128 - 256 x0,
 * x3 - 128 - 256 x2) (both int16 for every int8 x):
 *   SMLAD(W, Xa) + SMLAD(T, Xc) = x0 w0 + x1 w1 + x2 w2 + x3 w3 + 128 (x0 + x2) - 128 (w1 + w3),
 * so a row costs LDR (half an LDRD), SMLAD, SXTB16, SMLAD per four MACs; the input's four instructions
 * are shared by six rows. The table's start values hold + 128 (w1 + w3) summed over the row; the
 * 128 * sum(x0 + x2) of the input is subtracted once per row at the start. Sums wrap modulo 2^32 and end
 * at TFLite's exact int32 accumulator. */
#define MCU_FCE_PAIR(A, B, LOAD) \
    LOAD \
    "smlad  %[" A "], %[u], %[xa], %[" A "]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[" A "], %[u], %[xc], %[" A "]\n\t" \
    "smlad  %[" B "], %[v], %[xa], %[" B "]\n\t" \
    "sxtb16 %[v], %[v], ror #8\n\t" \
    "smlad  %[" B "], %[v], %[xc], %[" B "]\n\t"
/* the input word at xp; k80 (0xFF80FF80) is in the register of q during the group loop */
#define MCU_FCE_INPUT \
    "ldr    %[xc], [%[xp]], #4\n\t" \
    "sxtb16 %[xa], %[xc]\n\t" \
    "rev16  %[xc], %[xc]\n\t" \
    "eor    %[xc], %[xc], %[q]\n\t"
/* Row A's weight word (at [w, #OFF]) against the input word. */
#define MCU_FCE_SINGLE(A, OFF) \
    "ldr    %[u], [%[w], #" #OFF "]\n\t" \
    "smlad  %[" A "], %[u], %[xa], %[" A "]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[" A "], %[u], %[xc], %[" A "]\n\t"
/* One group of four inputs for a block of six rows (the rows' weight words side by side at w). */
#define MCU_FCE_GROUP6 \
    MCU_FCE_INPUT \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a4", "a5", "ldrd   %[u], %[v], [%[w], #16]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #24\n\t")
/* The head block's group: the rows' group after the input's share of the sum -c (a5 += -128 (x0 + x2):
 * SMLAD of the input's (x0, x2) with k80's halfwords (-128, -128)). */
#define MCU_FCE_HGROUP(N) \
    MCU_FCE_INPUT \
    "smlad  %[a5], %[xa], %[q], %[a5]\n\t" \
    MCU_FCE_ROWS##N
#define MCU_FCE_ROWS1 \
    "ldr    %[u], [%[w]], #4\n\t" \
    "smlad  %[a0], %[u], %[xa], %[a0]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a0], %[u], %[xc], %[a0]\n\t"
#define MCU_FCE_ROWS2 MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #8\n\t")
#define MCU_FCE_ROWS3 \
    MCU_FCE_SINGLE("a2", 8) \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #12\n\t")
#define MCU_FCE_ROWS4 \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #16\n\t")
#define MCU_FCE_ROWS5 \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_SINGLE("a4", 16) \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #20\n\t")

/* The head block's start values: table words q[0 .. N - 1] (q advances by 4N), the sum a5 = 0. */
#define MCU_FCE_HSTART1 "ldr    %[a0], [%[q]], #4\n\t"
#define MCU_FCE_HSTART2 "ldrd   %[a0], %[a1], [%[q]], #8\n\t"
#define MCU_FCE_HSTART3 "ldmia  %[q]!, {%[a0], %[a1], %[a2]}\n\t"
#define MCU_FCE_HSTART4 "ldmia  %[q]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"
#define MCU_FCE_HSTART5 "ldmia  %[q]!, {%[a0], %[a1], %[a2], %[a3], %[a4]}\n\t"
/* the six start values of a block (q advances by 24) */
#define MCU_FCE_LOAD6 "ldmia  %[q]!, {%[a0], %[a1], %[a2], %[a3], %[a4], %[a5]}\n\t"
/* The head block's sum -c added to its rows (xa = c for the blocks of six). */
#define MCU_FCE_HADD1 "add    %[a0], %[a0], %[a5]\n\t"
#define MCU_FCE_HADD2 MCU_FCE_HADD1 "add    %[a1], %[a1], %[a5]\n\t"
#define MCU_FCE_HADD3 MCU_FCE_HADD2 "add    %[a2], %[a2], %[a5]\n\t"
#define MCU_FCE_HADD4 MCU_FCE_HADD3 "add    %[a3], %[a3], %[a5]\n\t"
#define MCU_FCE_HADD5 MCU_FCE_HADD4 "add    %[a4], %[a4], %[a5]\n\t"
/* A block of six's start values: table words q[0 .. 5] less c (at [sp, #8]); q advances by 24. */
#define MCU_FCE_START6 \
    MCU_FCE_LOAD6 \
    "ldr    %[xa], [sp, #8]\n\t" \
    "sub    %[a0], %[a0], %[xa]\n\t" \
    "sub    %[a1], %[a1], %[xa]\n\t" \
    "sub    %[a2], %[a2], %[xa]\n\t" \
    "sub    %[a3], %[a3], %[xa]\n\t" \
    "sub    %[a4], %[a4], %[xa]\n\t" \
    "sub    %[a5], %[a5], %[xa]\n\t"

/* Row A's output: A requantized with the row's {multiplier, hi0, lo0, rz} at q (q advances by 16;
 * mcu_requant1_dsp; POST: the zero point added after the shift), SSAT, clamped below at lo (xp) when
 * LO, stored at op (op advances by 1). m, h, l, r are the registers of xa, xc, u, v. */
#define MCU_FCE_OUT(A, POST, LO) \
    "ldmia  %[q]!, {%[xa], %[xc], %[u], %[v]}\n\t" \
    "smlal  %[u], %[xc], %[" A "], %[xa]\n\t" \
    "asr    %[xc], %[xc], %[v]\n\t" \
    POST \
    "ssat   %[xc], #8, %[xc]\n\t" \
    LO \
    "strb   %[xc], [%[op]], #1\n\t"
#define MCU_FCE_POST "add    %[xc], %[xc], %[v], asr #8\n\t"
#define MCU_FCE_LO \
    "cmp    %[xc], %[xp]\n\t" \
    "it     lt\n\t" \
    "movlt  %[xc], %[xp]\n\t"
#define MCU_FCE_OUTS1(P, L) MCU_FCE_OUT("a0", P, L)
#define MCU_FCE_OUTS2(P, L) MCU_FCE_OUTS1(P, L) MCU_FCE_OUT("a1", P, L)
#define MCU_FCE_OUTS3(P, L) MCU_FCE_OUTS2(P, L) MCU_FCE_OUT("a2", P, L)
#define MCU_FCE_OUTS4(P, L) MCU_FCE_OUTS3(P, L) MCU_FCE_OUT("a3", P, L)
#define MCU_FCE_OUTS5(P, L) MCU_FCE_OUTS4(P, L) MCU_FCE_OUT("a4", P, L)
#define MCU_FCE_OUTS6(P, L) MCU_FCE_OUTS5(P, L) MCU_FCE_OUT("a5", P, L)

/* TBH's table of an eight-group loop (labels L0 .. L7 after it, L9 the table): the entry at the group
 * count mod 8. */
#define MCU_FCE_TABLE(L) \
    L "9:\n\t" \
    ".hword (" L "0f - " L "9b) / 2\n\t" \
    ".hword (" L "7f - " L "9b) / 2\n\t" \
    ".hword (" L "6f - " L "9b) / 2\n\t" \
    ".hword (" L "5f - " L "9b) / 2\n\t" \
    ".hword (" L "4f - " L "9b) / 2\n\t" \
    ".hword (" L "3f - " L "9b) / 2\n\t" \
    ".hword (" L "2f - " L "9b) / 2\n\t" \
    ".hword (" L "1f - " L "9b) / 2\n\t"
/* Eight groups per step (GROUP at labels L0 .. L7), TBH entering at the table's entry for xa. */
#define MCU_FCE_STEPS(L, GROUP) \
    "tbh    [pc, %[xa], lsl #1]\n\t" \
    MCU_FCE_TABLE(L) \
    L "0:\n\t" GROUP \
    L "1:\n\t" GROUP \
    L "2:\n\t" GROUP \
    L "3:\n\t" GROUP \
    L "4:\n\t" GROUP \
    L "5:\n\t" GROUP \
    L "6:\n\t" GROUP \
    L "7:\n\t" GROUP
/* The group loop of a block (labels L0 .. L9; GROUP: one group of the block's rows), eight groups per
 * step: q and op saved at [sp, #16], their registers then hold k80 and the input's end; TBH enters the
 * loop at the group that leaves a multiple of eight ([sp, #28]: the group count mod 8); ends with q, op
 * restored and RESTORE (act_min into xp when the outputs clamp below). */
#define MCU_FCE_LOOP(L, GROUP, RESTORE) \
    MCU_FCE_LOOPX(L, GROUP, "ldrd   %[xp], %[op], [sp]\n\t", "cmp    %[xp], %[op]\n\t") \
    "ldrd   %[q], %[op], [sp, #16]\n\t" \
    RESTORE
/* The loop with SETUP (xp and op set) and the end test CHECK, without the restore. */
#define MCU_FCE_LOOPX(L, GROUP, SETUP, CHECK) \
    "strd   %[q], %[op], [sp, #16]\n\t" \
    SETUP \
    "ldr    %[xa], [sp, #28]\n\t" \
    "mvn    %[q], #0x007F007F\n\t" \
    MCU_FCE_STEPS(L, GROUP) \
    CHECK \
    "bne    " L "0b\n\t"
/* The head block of N (1 .. 5) rows: its group loop also sums the input into a5 = -c, stored as c at
 * [sp, #8] for the blocks of six and added to the block's rows before their outputs. */
#define MCU_FCE_HEAD(N, P, LO, LOR) \
    MCU_FCE_HSTART##N \
    "mov    %[a5], #0\n\t" \
    MCU_FCE_LOOP("10", MCU_FCE_HGROUP(N), LOR) \
    "rsb    %[xa], %[a5], #0\n\t" \
    "str    %[xa], [sp, #8]\n\t" \
    MCU_FCE_HADD##N \
    MCU_FCE_OUTS##N(P, LO)
/* The head block of one, two or three rows on depths a multiple of 8 (mcu_fc_encoded_h<N>e_*: the input
 * word-aligned), two groups per step: the input's two words by one LDRD, the rows' weight words of the two
 * groups by one LDRD (1 row), one LDM (2 rows) or two (3 rows): 16, 22, 29 instructions per 8, 16, 24 MACs
 * (were 18, 24, 32). The loop's labels L0, L2, L4, L6 start a step of two groups (TBH's index, the group
 * count mod 8, is even). */
#define MCU_FCE_EROW(A, W) \
    "smlad  %[" A "], %[" W "], %[xa], %[" A "]\n\t" \
    "sxtb16 %[" W "], %[" W "], ror #8\n\t" \
    "smlad  %[" A "], %[" W "], %[xc], %[" A "]\n\t"
#define MCU_FCE_EINPUT(X) \
    "sxtb16 %[xa], %[" X "]\n\t" \
    "rev16  %[xc], %[" X "]\n\t" \
    "eor    %[xc], %[xc], %[q]\n\t" \
    "smlad  %[a5], %[xa], %[q], %[a5]\n\t"
#define MCU_FCE_ELOAD "ldrd   %[xc], %[a4], [%[xp]], #8\n\t"
#define MCU_FCE_HGROUP1E \
    MCU_FCE_ELOAD \
    "ldrd   %[u], %[v], [%[w]], #8\n\t" \
    MCU_FCE_EINPUT("xc") MCU_FCE_EROW("a0", "u") \
    MCU_FCE_EINPUT("a4") MCU_FCE_EROW("a0", "v")
#define MCU_FCE_HGROUP2E \
    MCU_FCE_ELOAD \
    "ldmia  %[w]!, {%[u], %[v], %[a2], %[a3]}\n\t" \
    MCU_FCE_EINPUT("xc") MCU_FCE_EROW("a0", "u") MCU_FCE_EROW("a1", "v") \
    MCU_FCE_EINPUT("a4") MCU_FCE_EROW("a0", "a2") MCU_FCE_EROW("a1", "a3")
#define MCU_FCE_HGROUP3E \
    MCU_FCE_ELOAD \
    "ldmia  %[w]!, {%[u], %[v], %[a3]}\n\t" \
    MCU_FCE_EINPUT("xc") MCU_FCE_EROW("a0", "u") MCU_FCE_EROW("a1", "v") MCU_FCE_EROW("a2", "a3") \
    "ldmia  %[w]!, {%[u], %[v], %[a3]}\n\t" \
    MCU_FCE_EINPUT("a4") MCU_FCE_EROW("a0", "u") MCU_FCE_EROW("a1", "v") MCU_FCE_EROW("a2", "a3")
#define MCU_FCE_HEADE(N, P, LO, LOR) \
    MCU_FCE_HSTART##N \
    "mov    %[a5], #0\n\t" \
    "strd   %[q], %[op], [sp, #16]\n\t" \
    "ldrd   %[xp], %[op], [sp]\n\t" \
    "ldr    %[xa], [sp, #28]\n\t" \
    "mvn    %[q], #0x007F007F\n\t" \
    "tbh    [pc, %[xa], lsl #1]\n\t" \
    MCU_FCE_TABLE("10") \
    "100:\n\t" "101:\n\t" MCU_FCE_HGROUP##N##E \
    "102:\n\t" "103:\n\t" MCU_FCE_HGROUP##N##E \
    "104:\n\t" "105:\n\t" MCU_FCE_HGROUP##N##E \
    "106:\n\t" "107:\n\t" MCU_FCE_HGROUP##N##E \
    "cmp    %[xp], %[op]\n\t" \
    "bne    100b\n\t" \
    "ldrd   %[q], %[op], [sp, #16]\n\t" \
    LOR \
    "rsb    %[xa], %[a5], #0\n\t" \
    "str    %[xa], [sp, #8]\n\t" \
    MCU_FCE_HADD##N \
    MCU_FCE_OUTS##N(P, LO)
#define MCU_FCE_HEAD1e(P, LO, LOR) MCU_FCE_HEADE(1, P, LO, LOR)
#define MCU_FCE_HEAD2e(P, LO, LOR) MCU_FCE_HEADE(2, P, LO, LOR)
#define MCU_FCE_HEAD3e(P, LO, LOR) MCU_FCE_HEADE(3, P, LO, LOR)
#define MCU_FCE_HEAD1(P, LO, LOR) MCU_FCE_HEAD(1, P, LO, LOR)
#define MCU_FCE_HEAD2(P, LO, LOR) MCU_FCE_HEAD(2, P, LO, LOR)
#define MCU_FCE_HEAD3(P, LO, LOR) MCU_FCE_HEAD(3, P, LO, LOR)
#define MCU_FCE_HEAD4(P, LO, LOR) MCU_FCE_HEAD(4, P, LO, LOR)
#define MCU_FCE_HEAD5(P, LO, LOR) MCU_FCE_HEAD(5, P, LO, LOR)
/* Without a head block the first block of six sums the input: its group loop adds -128 (x0 + x2) of
 * every group into op (SMLAD of the input's (x0, x2) with k80's halfwords) and tests for the input's
 * end at [sp, #4]; the sum -c is then added to the block's rows and c stored at [sp, #8] for the other
 * blocks of six. */
#define MCU_FCE_SGROUP6 \
    MCU_FCE_INPUT \
    "smlad  %[op], %[xa], %[q], %[op]\n\t" \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a4", "a5", "ldrd   %[u], %[v], [%[w], #16]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #24\n\t")
#define MCU_FCE_HEAD0(P, LO, LOR) \
    MCU_FCE_LOAD6 \
    MCU_FCE_LOOPX("20", MCU_FCE_SGROUP6, "ldr    %[xp], [sp]\n\t" "mov    %[op], #0\n\t", \
                  "ldr    %[u], [sp, #4]\n\t" "cmp    %[xp], %[u]\n\t") \
    "add    %[a0], %[a0], %[op]\n\t" \
    "add    %[a1], %[a1], %[op]\n\t" \
    "add    %[a2], %[a2], %[op]\n\t" \
    "add    %[a3], %[a3], %[op]\n\t" \
    "add    %[a4], %[a4], %[op]\n\t" \
    "add    %[a5], %[a5], %[op]\n\t" \
    "rsb    %[xa], %[op], #0\n\t" \
    "str    %[xa], [sp, #8]\n\t" \
    "ldrd   %[q], %[op], [sp, #16]\n\t" \
    LOR \
    MCU_FCE_OUTS6(P, LO)

/* The frame's table words (q = params on entry, then the table): [12] the table's end, the table + 20 *
 * (row_blocks + N) bytes, [36] the table, [40] the filter. */
#define MCU_FCE_FRAME_TABLE(N) \
    "ldr    %[u], [%[q], #36]\n\t" /* row_blocks */ \
    "ldr    %[q], [%[q], #44]\n\t" /* the table */ \
    "add    %[u], %[u], %[u], lsl #2\n\t" \
    "add    %[u], %[q], %[u], lsl #2\n\t" \
    "add    %[u], %[u], #20 * " #N "\n\t" \
    "str    %[u], [sp, #12]\n\t" \
    "strd   %[q], %[w], [sp, #36]\n\t"
/* An encoded layer with a head block of N rows (0 .. 5) in one assembly block, every batch row: the
 * head block (its rows' loop also sums the input; without one the first block of six's does), then the
 * blocks of six. Entry: q = params, xp = the input, w = the filter, op = the output. A frame of 48 bytes on
 * the stack holds [0] the batch row's input, [4] its end, [8] c = 128 * the sum of the row's inputs at
 * even positions (modulo 2^32), [12] the table's end, [16] q and [20] op during a group loop, [24]
 * act_min (LOS: stored when the outputs clamp below), [28] the group count mod 8, [32] the batch rows
 * left, [36] the table, [40] the filter. */
#define MCU_FCE_ASM(N, H, P, LO, LOS, LOR) \
    "sub    sp, sp, #48\n\t" \
    "ldrd   %[xa], %[xc], [%[q], #12]\n\t" /* batches, input depth */ \
    "str    %[xa], [sp, #32]\n\t" \
    "ubfx   %[u], %[xc], #2, #3\n\t" \
    "str    %[u], [sp, #28]\n\t" \
    "add    %[xc], %[xp], %[xc]\n\t" \
    "strd   %[xp], %[xc], [sp]\n\t" \
    LOS \
    MCU_FCE_FRAME_TABLE(N) \
    "80:\n\t" /* a batch row: the head block, or the first block of six with the input's sum */ \
    MCU_FCE_HEAD##H(P, LO, LOR) \
    "ldr    %[u], [sp, #12]\n\t" /* the blocks of six */ \
    "cmp    %[q], %[u]\n\t" \
    "beq    58f\n\t" \
    "59:\n\t" \
    MCU_FCE_START6 \
    MCU_FCE_LOOP("60", MCU_FCE_GROUP6, LOR) \
    MCU_FCE_OUTS6(P, LO) \
    "ldr    %[xa], [sp, #12]\n\t" \
    "cmp    %[q], %[xa]\n\t" \
    "bne    59b\n\t" \
    "58:\n\t" /* the next batch row */ \
    "ldr    %[xa], [sp, #32]\n\t" \
    "subs   %[xa], %[xa], #1\n\t" \
    "beq    79f\n\t" \
    "str    %[xa], [sp, #32]\n\t" \
    "ldrd   %[xp], %[xc], [sp]\n\t" \
    "sub    %[u], %[xc], %[xp]\n\t" \
    "mov    %[xp], %[xc]\n\t" \
    "add    %[xc], %[xc], %[u]\n\t" \
    "strd   %[xp], %[xc], [sp]\n\t" \
    "ldrd   %[q], %[w], [sp, #36]\n\t" \
    "b      80b\n\t" \
    "79:\n\t" \
    "add    sp, sp, #48\n\t"
/* act_min stored in the frame and restored into xp after each group loop (outputs clamped below) */
#define MCU_FCE_LOS \
    "ldr    %[u], [%[q], #20]\n\t" \
    "str    %[u], [sp, #24]\n\t"
#define MCU_FCE_LOR "ldr    %[xp], [sp, #24]\n\t"
#define MCU_FCE_RUN(N, H, P, LO, LOS, LOR) \
    __asm__ volatile(MCU_FCE_ASM(N, H, P, LO, LOS, LOR) \
                     : [q] "+r"(q), [xp] "+r"(xp), [w] "+r"(w), [op] "+r"(op), [xc] "=&r"(xc), [xa] "=&r"(xa), \
                       [u] "=&r"(u), [v] "=&r"(v), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), \
                       [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5) \
                     : : "cc", "memory")

/* The block's registers, fixed so that LDM lists are in register order: the table's {multiplier, hi0, lo0,
 * rz} of a row load into xa, xc, u, v and a block's start values into a0 .. a5 with one LDM each. */
#define MCU_FCE_REGS(PARAMS, INPUT, FILTER, OUTPUT) \
    register const void *q __asm__("r0") = (PARAMS); \
    register const int8_t *xp __asm__("r1") = (INPUT); \
    register const int8_t *w __asm__("r2") = (FILTER); \
    register int8_t *op __asm__("r3") = (OUTPUT); \
    register uint32_t xa __asm__("r4"), xc __asm__("r5"), u __asm__("r6"), v __asm__("r7"); \
    register uint32_t a0 __asm__("r8"), a1 __asm__("r9"), a2 __asm__("r10"), a3 __asm__("r11"); \
    register uint32_t a4 __asm__("r12"), a5 __asm__("lr")
/* The asm reads these fields of mcu_fc_params at fixed offsets (32-bit targets). */
typedef char mcu_fce_layout_check[(offsetof(mcu_fc_params, batches) == 12 && offsetof(mcu_fc_params, input_depth) == 16 &&
                                   offsetof(mcu_fc_params, act_min) == 20 && offsetof(mcu_fc_params, row_blocks) == 36 &&
                                   offsetof(mcu_fc_params, table) == 44)
                                      ? 1
                                      : -1];

/* _both: act_max below 127 clamped in C after the block */
#define MCU_FCE_CLAMP_HI(BOTH) \
    if (BOTH) { \
        const int8_t hi = (int8_t)params->act_max; \
        const int32_t n = params->batches * (params->head_rows + params->row_blocks); \
        for (int32_t j = 0; j < n; ++j) { \
            output[j] = output[j] > hi ? hi : output[j]; \
        } \
    }
/* The encoded layers' entry points (mcu_fully_connected_s8 in mcu_engine.h picks one at compile time):
 * per head block of N rows (params->head_rows), _post when a row adds its zero point after the shift
 * (params->post), per clamp: _ssat ([-128, 127]), _ssat_lo (act_max 127), _both (act_max below 127
 * clamped in C after the block). params->batches (at least 1) batch rows of params->input_depth inputs
 * (a multiple of 4); the filter word-aligned. */
#define MCU_FCE_ENTRY(N, NAME, P, LO, LOS, LOR, BOTH) MCU_FCE_ENTRYH(N, N, NAME, P, LO, LOS, LOR, BOTH)
#define MCU_FCE_ENTRY1E(N, NAME, P, LO, LOS, LOR, BOTH) MCU_FCE_ENTRYH(1, 1e, NAME, P, LO, LOS, LOR, BOTH)
#define MCU_FCE_ENTRY2E(N, NAME, P, LO, LOS, LOR, BOTH) MCU_FCE_ENTRYH(2, 2e, NAME, P, LO, LOS, LOR, BOTH)
#define MCU_FCE_ENTRY3E(N, NAME, P, LO, LOS, LOR, BOTH) MCU_FCE_ENTRYH(3, 3e, NAME, P, LO, LOS, LOR, BOTH)
#define MCU_FCE_ENTRYH(N, H, NAME, P, LO, LOS, LOR, BOTH) \
    mcu_status mcu_fc_encoded_h##H##NAME(const mcu_fc_params *params, const int8_t *input, const int8_t *filter, \
                                         int8_t *output) \
    { \
        MCU_FCE_REGS(params, input, filter, output); \
        MCU_FCE_RUN(N, H, P, LO, LOS, LOR); \
        (void)xc, (void)xa, (void)u, (void)v, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5; \
        MCU_FCE_CLAMP_HI(BOTH); \
        return MCU_OK; \
    }
/* Each entry point of head block N in its six variants (post, clamp), for the six head blocks (the list
 * MCU_FCE_HEADS in mcu_engine.h, which declares them from it). */
MCU_FCE_HEADS(MCU_FCE_ENTRY)
MCU_FCE_VARIANTS(MCU_FCE_ENTRY1E, 1e)
MCU_FCE_VARIANTS(MCU_FCE_ENTRY2E, 2e)
MCU_FCE_VARIANTS(MCU_FCE_ENTRY3E, 3e)
#undef MCU_FCE_ENTRY
#undef MCU_FCE_ENTRY1E
#undef MCU_FCE_ENTRY2E
#undef MCU_FCE_ENTRY3E
#undef MCU_FCE_ENTRYH

/* The widened-input layers (mcu_fc_widened_fits in mcu_engine.h: at most MCU_FCW_GROUPS groups of four
 * inputs and at least two blocks of six): per batch row the input is widened once into a stack buffer,
 * per group the words Xa and Xc side by side (8 bytes), while its sum -c = -128 (x0 + x2) is made; every
 * block's group loop then loads a group's pair with one LDRD (the input's four instructions per group and
 * block become one, and k80 needs no register). The frame: [0] the buffer, [4] its end, [8] -c, [12] the
 * table's end, [16] the batch row's input, [20] op during a group loop, [24] act_min (LOS), [28] the group
 * count mod 8, [32] the batch rows left, [36] the table, [40] the filter, [44] the input depth, [48 ..] the
 * buffer. */
#define MCU_FCW_FRAME (48 + 8 * MCU_FCW_GROUPS)
#define MCU_FCW_STR(X) MCU_FCW_STR2(X)
#define MCU_FCW_STR2(X) #X
#define MCU_FCW_TGROUP \
    "ldr    %[xc], [%[xp]], #4\n\t" \
    "sxtb16 %[xa], %[xc]\n\t" \
    "rev16  %[xc], %[xc]\n\t" \
    "eor    %[xc], %[xc], %[a1]\n\t" \
    "smlad  %[a5], %[xa], %[a1], %[a5]\n\t" \
    "strd   %[xa], %[xc], [%[a0]], #8\n\t"
/* The input's widening pass (labels 30 .. 39): a0 the buffer, a1 k80, a2 the input's end, a5 = -c. */
#define MCU_FCW_WIDEN \
    "ldr    %[xp], [sp, #16]\n\t" \
    "ldr    %[a2], [sp, #44]\n\t" \
    "add    %[a2], %[a2], %[xp]\n\t" \
    "add    %[a0], sp, #48\n\t" \
    "mvn    %[a1], #0x007F007F\n\t" \
    "mov    %[a5], #0\n\t" \
    "ldr    %[xa], [sp, #28]\n\t" \
    MCU_FCE_STEPS("3", MCU_FCW_TGROUP) \
    "cmp    %[xp], %[a2]\n\t" \
    "bne    30b\n\t" \
    "str    %[xp], [sp, #16]\n\t" \
    "str    %[a5], [sp, #8]\n\t"
/* A block's group loop over the buffer (labels L0 .. L9; GROUP: one group of the block's rows after the
 * pair's LDRD), eight groups per step entered by TBH; op kept at [sp, #20]; ends with RESTORE. */
#define MCU_FCW_LOOP(L, GROUP, RESTORE) \
    "str    %[op], [sp, #20]\n\t" \
    "ldrd   %[xp], %[op], [sp]\n\t" \
    "ldr    %[xa], [sp, #28]\n\t" \
    MCU_FCE_STEPS(L, GROUP) \
    "cmp    %[xp], %[op]\n\t" \
    "bne    " L "0b\n\t" \
    "ldr    %[op], [sp, #20]\n\t" \
    RESTORE
#define MCU_FCW_PAIR "ldrd   %[xa], %[xc], [%[xp]], #8\n\t"
#define MCU_FCW_GROUP6 \
    MCU_FCW_PAIR \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a4", "a5", "ldrd   %[u], %[v], [%[w], #16]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #24\n\t")
/* -c (at [sp, #8]) added to rows a0 .. a(N-1) */
#define MCU_FCW_ADD1 "ldr    %[xa], [sp, #8]\n\t" "add    %[a0], %[a0], %[xa]\n\t"
#define MCU_FCW_ADD2 MCU_FCW_ADD1 "add    %[a1], %[a1], %[xa]\n\t"
#define MCU_FCW_ADD3 MCU_FCW_ADD2 "add    %[a2], %[a2], %[xa]\n\t"
#define MCU_FCW_ADD4 MCU_FCW_ADD3 "add    %[a3], %[a3], %[xa]\n\t"
#define MCU_FCW_ADD5 MCU_FCW_ADD4 "add    %[a4], %[a4], %[xa]\n\t"
#define MCU_FCW_ADD6 MCU_FCW_ADD5 "add    %[a5], %[a5], %[xa]\n\t"
#define MCU_FCW_HEAD(N, P, LO, LOR) \
    MCU_FCE_HSTART##N \
    MCU_FCW_ADD##N \
    MCU_FCW_LOOP("10", MCU_FCW_PAIR MCU_FCE_ROWS##N, LOR) \
    MCU_FCE_OUTS##N(P, LO)
#define MCU_FCW_HEAD0(P, LO, LOR)
#define MCU_FCW_HEAD1(P, LO, LOR) MCU_FCW_HEAD(1, P, LO, LOR)
#define MCU_FCW_HEAD2(P, LO, LOR) MCU_FCW_HEAD(2, P, LO, LOR)
#define MCU_FCW_HEAD3(P, LO, LOR) MCU_FCW_HEAD(3, P, LO, LOR)
#define MCU_FCW_HEAD4(P, LO, LOR) MCU_FCW_HEAD(4, P, LO, LOR)
#define MCU_FCW_HEAD5(P, LO, LOR) MCU_FCW_HEAD(5, P, LO, LOR)
/* A widened-input layer with a head block of N rows (0 .. 5), every batch row; at least one block of six.
 * Entry: q = params, xp = the input, w = the filter, op = the output. */
#define MCU_FCW_ASM(N, P, LO, LOS, LOR) \
    "sub    sp, sp, #" MCU_FCW_STR(MCU_FCW_FRAME) "\n\t" \
    "ldrd   %[xa], %[xc], [%[q], #12]\n\t" /* batches, input depth */ \
    "str    %[xa], [sp, #32]\n\t" \
    "str    %[xc], [sp, #44]\n\t" \
    "ubfx   %[u], %[xc], #2, #3\n\t" \
    "str    %[u], [sp, #28]\n\t" \
    "add    %[v], sp, #48\n\t" \
    "add    %[u], %[v], %[xc], lsl #1\n\t" \
    "strd   %[v], %[u], [sp]\n\t" \
    "str    %[xp], [sp, #16]\n\t" \
    LOS \
    MCU_FCE_FRAME_TABLE(N) \
    "80:\n\t" /* a batch row: the widened input, the head block, the blocks of six */ \
    MCU_FCW_WIDEN \
    MCU_FCW_HEAD##N(P, LO, LOR) \
    "59:\n\t" \
    MCU_FCE_LOAD6 \
    MCU_FCW_ADD6 \
    MCU_FCW_LOOP("60", MCU_FCW_GROUP6, LOR) \
    MCU_FCE_OUTS6(P, LO) \
    "ldr    %[xa], [sp, #12]\n\t" \
    "cmp    %[q], %[xa]\n\t" \
    "bne    59b\n\t" \
    "ldr    %[xa], [sp, #32]\n\t" /* the next batch row */ \
    "subs   %[xa], %[xa], #1\n\t" \
    "beq    79f\n\t" \
    "str    %[xa], [sp, #32]\n\t" \
    "ldrd   %[q], %[w], [sp, #36]\n\t" \
    "b      80b\n\t" \
    "79:\n\t" \
    "add    sp, sp, #" MCU_FCW_STR(MCU_FCW_FRAME) "\n\t"
#define MCU_FCW_ENTRY(N, NAME, P, LO, LOS, LOR, BOTH) \
    mcu_status mcu_fc_widened_h##N##NAME(const mcu_fc_params *params, const int8_t *input, const int8_t *filter, \
                                         int8_t *output) \
    { \
        MCU_FCE_REGS(params, input, filter, output); \
        __asm__ volatile(MCU_FCW_ASM(N, P, LO, LOS, LOR) \
                         : [q] "+r"(q), [xp] "+r"(xp), [w] "+r"(w), [op] "+r"(op), [xc] "=&r"(xc), [xa] "=&r"(xa), \
                           [u] "=&r"(u), [v] "=&r"(v), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), \
                           [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5) \
                         : : "cc", "memory"); \
        (void)xc, (void)xa, (void)u, (void)v, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5; \
        MCU_FCE_CLAMP_HI(BOTH); \
        return MCU_OK; \
    }
MCU_FCE_HEADS(MCU_FCW_ENTRY)
#undef MCU_FCE_HEADS
#undef MCU_FCE_VARIANTS
#undef MCU_FCW_ENTRY
/* Requantize, offset, clamp (the parameters held in locals by the caller). */
static inline __attribute__((always_inline)) int8_t fc_out_dsp(int32_t acc, int32_t m, int32_t s, int32_t zo,
                                                               int32_t lo, int32_t hi)
{
    acc = mcu_requantize_fc(acc, m, s);
    return (int8_t)mcu_clamp_i32(acc + zo, lo, hi);
}

static __attribute__((noinline)) mcu_status fc_dsp(const mcu_fc_params *params,
                                                   const mcu_per_channel_quant *quant, int32_t batches,
                                                   int32_t depth, const int8_t *input, int32_t out_depth,
                                                   const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t groups = depth / 4, step = params->per_channel ? 1 : 0;
    const int32_t zo = params->output_offset, lo = params->act_min, hi = params->act_max;
    static const int32_t zeros[6] = {0, 0, 0, 0, 0, 0};
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * depth;
        const int8_t *xend = ip + 4 * groups;
        int8_t *op = output + (int64_t)b * out_depth;
        int32_t oc = 0;
        const int32_t *mp = quant->multiplier, *sp = quant->shift;
        for (; oc + 4 <= out_depth; oc += 4) {
            const int8_t *w0 = filter + (int64_t)oc * depth, *w2 = w0 + 2 * (int64_t)depth;
            const int32_t *bp = bias ? bias + oc : zeros;
            int32_t a0 = bp[0], a1 = bp[1], a2 = bp[2], a3 = bp[3];
            const int8_t *xp = ip;
            uint32_t xl, xh, t, u;
            if (groups & 1) {
                __asm__ volatile(MCU_FC_GROUP
                                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
                                   [w0] "+r"(w0), [w2] "+r"(w2), [xl] "=&r"(xl), [xh] "=&r"(xh), [t] "=&r"(t),
                                   [u] "=&r"(u)
                                 : [d] "r"(depth));
            }
            if (xp != xend) {
#if defined(__OPTIMIZE_SIZE__)
                /* The loop takes 13 of the 14 allocatable registers; without this barrier GCC at -Os ties
                 * the pointers to values it rematerializes and finds no registers ("impossible
                 * constraints"). Not needed (and left out, object code unchanged) at -O1 .. -O3. */
                __asm__("" : "+r"(w0), "+r"(w2), "+r"(xp));
#endif
                __asm__ volatile("1:\n\t" MCU_FC_GROUP MCU_FC_GROUP
                                 "cmp    %[xp], %[xend]\n\t"
                                 "bne    1b\n\t"
                                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
                                   [w0] "+r"(w0), [w2] "+r"(w2), [xl] "=&r"(xl), [xh] "=&r"(xh), [t] "=&r"(t),
                                   [u] "=&r"(u)
                                 : [d] "r"(depth), [xend] "r"(xend)
                                 : "cc");
            }
            for (int32_t i = 4 * groups; i < depth; ++i) { /* depth not a multiple of 4 */
                const int32_t x = ip[i];
                a0 += w0[i - 4 * groups] * x;
                a1 += w0[depth + i - 4 * groups] * x;
                a2 += w2[i - 4 * groups] * x;
                a3 += w2[depth + i - 4 * groups] * x;
            }
            op[oc] = fc_out_dsp(a0, mp[0], sp[0], zo, lo, hi);
            op[oc + 1] = fc_out_dsp(a1, mp[step], sp[step], zo, lo, hi);
            op[oc + 2] = fc_out_dsp(a2, mp[2 * step], sp[2 * step], zo, lo, hi);
            op[oc + 3] = fc_out_dsp(a3, mp[3 * step], sp[3 * step], zo, lo, hi);
            mp += 4 * step;
            sp += 4 * step;
        }
        for (; oc < out_depth; ++oc) { /* the last rows, one at a time */
            const int8_t *wp = filter + (int64_t)oc * depth;
            int32_t acc = bias ? bias[oc] : 0;
            int32_t i = 0;
            for (; i + 4 <= depth; i += 4) {
                const uint32_t x = mcu_load_u32(ip + i), w = mcu_load_u32(wp + i);
                acc = mcu_smlad(mcu_sxtb16(x), mcu_sxtb16(w), acc);
                acc = mcu_smlad(mcu_sxtb16_ror8(x), mcu_sxtb16_ror8(w), acc);
            }
            for (; i < depth; ++i) {
                acc += wp[i] * ip[i];
            }
            op[oc] = fc_out(params, quant, oc, acc);
        }
    }
    return MCU_OK;
}
#endif

#if !defined(__ARM_FEATURE_DSP) && UINTPTR_MAX > 0xffffffffu
#include <string.h>

/* 64-bit hosts (vectorizing compilers): without offsets, a block of six rows is copied a chunk of
 * MCU_FC_CHUNK groups at a time into six contiguous rows on the stack, so the six dot products run over
 * contiguous bytes; the other rows run four at a time. */
#define MCU_FC_CHUNK 32

/* The dot products of a block of nb rows (6, or the head block's 1 .. 5) at w with ip (groups groups of
 * four inputs) into acc[0 .. nb - 1]; flip: the encoded rows' XOR mask. */
static inline __attribute__((always_inline)) void fc_wide_block(const int8_t *w, const int8_t *ip, int32_t groups,
                                                                uint32_t flip, int32_t *acc, const int nb)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    for (int32_t g0 = 0; g0 < groups; g0 += MCU_FC_CHUNK) {
        const int32_t n = groups - g0 < MCU_FC_CHUNK ? 4 * (groups - g0) : 4 * MCU_FC_CHUNK;
        int8_t rows[6][4 * MCU_FC_CHUNK];
        for (int32_t i = 0; i < n; i += 4, w += 4 * nb) {
            for (int32_t r = 0; r < nb; ++r) {
                uint32_t word;
                memcpy(&word, w + 4 * r, 4);
                word ^= flip;
                memcpy(&rows[r][i], &word, 4);
            }
        }
        const int8_t *x = ip + 4 * g0;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t xi = x[i];
            a0 += rows[0][i] * xi;
            if (nb > 1) {
                a1 += rows[1][i] * xi;
            }
            if (nb > 2) {
                a2 += rows[2][i] * xi;
            }
            if (nb > 3) {
                a3 += rows[3][i] * xi;
            }
            if (nb > 4) {
                a4 += rows[4][i] * xi;
            }
            if (nb > 5) {
                a5 += rows[5][i] * xi;
            }
        }
    }
    const int32_t a[6] = {a0, a1, a2, a3, a4, a5};
    for (int32_t r = 0; r < nb; ++r) {
        acc[r] = a[r];
    }
}

static void fc_wide(const mcu_fc_params *params, const mcu_per_channel_quant *quant, int32_t batches,
                    int32_t depth, const int8_t *input, int32_t out_depth, const int8_t *filter,
                    const int32_t *bias, int8_t *output)
{
    const int32_t groups = depth / 4, head = params->head_rows;
    static const uint8_t flip_bytes[4] = {0x80, 0, 0x80, 0}; /* encoded rows: bytes 0 and 2 XORed */
    uint32_t flip = 0;
    if (params->table) {
        memcpy(&flip, flip_bytes, 4);
    }
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * depth;
        int8_t *op = output + (int64_t)b * out_depth;
        int32_t oc = 0;
        int32_t a[6];
        for (; oc < head + params->row_blocks; oc += oc < head ? head : 6) {
            const int8_t *w = filter + (int64_t)oc * depth;
            const int32_t nb = oc < head ? head : 6; /* the head block's rows, or six */
            if (nb == 6) {
                fc_wide_block(w, ip, groups, flip, a, 6);
            } else if (nb == 5) {
                fc_wide_block(w, ip, groups, flip, a, 5);
            } else if (nb == 4) {
                fc_wide_block(w, ip, groups, flip, a, 4);
            } else if (nb == 3) {
                fc_wide_block(w, ip, groups, flip, a, 3);
            } else if (nb == 2) {
                fc_wide_block(w, ip, groups, flip, a, 2);
            } else {
                fc_wide_block(w, ip, groups, flip, a, 1);
            }
            for (int32_t r = 0; r < nb; ++r) {
                op[oc + r] = fc_out(params, quant, oc + r, a[r] + (bias ? bias[oc + r] : 0));
            }
        }
        for (; oc + 4 <= out_depth; oc += 4) {
            const int8_t *w0 = filter + (int64_t)oc * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t i = 0; i < depth; ++i) {
                const int32_t xi = ip[i];
                a0 += w0[i] * xi;
                a1 += w1[i] * xi;
                a2 += w2[i] * xi;
                a3 += w3[i] * xi;
            }
            const int32_t a[4] = {a0, a1, a2, a3};
            for (int32_t r = 0; r < 4; ++r) {
                op[oc + r] = fc_out(params, quant, oc + r, a[r] + (bias ? bias[oc + r] : 0));
            }
        }
        for (; oc < out_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * depth;
            int32_t acc = bias ? bias[oc] : 0;
            for (int32_t i = 0; i < depth; ++i) {
                acc += wp[i] * ip[i];
            }
            op[oc] = fc_out(params, quant, oc, acc);
        }
    }
}
#endif

mcu_status mcu_fully_connected_generic_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                          int32_t batches, int32_t input_depth, const int8_t *input,
                                          int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                          int8_t *output)
{
    const int32_t in_off = params->input_offset, f_off = params->filter_offset;
#if defined(__ARM_FEATURE_DSP)
    if (f_off == 0 && in_off == 0 && !params->table) {
        return fc_dsp(params, quant, batches, input_depth, input, output_depth, filter, bias, output);
    }
#elif UINTPTR_MAX > 0xffffffffu
    if (f_off == 0 && in_off == 0) {
        fc_wide(params, quant, batches, input_depth, input, output_depth, filter, bias, output);
        return MCU_OK;
    }
#endif
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * input_depth;
        int32_t oc = 0;
        /* the head block's rows, then six rows, interleaved per group of four inputs */
        for (int32_t nb = 6; oc < params->head_rows + params->row_blocks; oc += nb) {
            nb = oc < params->head_rows ? params->head_rows : 6;
            const int8_t *wp = filter + (int64_t)oc * input_depth;
            const int32_t flip = params->table ? 0x80 : 0; /* encoded: bytes 0 and 2 XORed with 0x80 */
            int32_t acc[6] = {0, 0, 0, 0, 0, 0};
            for (int32_t d = 0; d < input_depth; d += 4) {
                for (int32_t r = 0; r < nb; ++r, wp += 4) {
                    for (int32_t j = 0; j < 4; ++j) {
                        const int32_t wj = (int8_t)((uint8_t)wp[j] ^ (j & 1 ? 0 : flip));
                        acc[r] += (wj + f_off) * ((int32_t)ip[d + j] + in_off);
                    }
                }
            }
            for (int32_t r = 0; r < nb; ++r) {
                const int32_t a = acc[r] + (bias ? bias[oc + r] : 0);
                output[(int64_t)b * output_depth + oc + r] = fc_out(params, quant, oc + r, a);
            }
        }
        for (; oc < output_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * input_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < input_depth; ++d) {
                acc += ((int32_t)wp[d] + f_off) * ((int32_t)ip[d] + in_off);
            }
            if (bias) {
                acc += bias[oc];
            }
            output[(int64_t)b * output_depth + oc] = fc_out(params, quant, oc, acc);
        }
    }
    return MCU_OK;
}
