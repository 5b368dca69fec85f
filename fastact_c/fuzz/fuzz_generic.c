/* libFuzzer harness for fastact's generic C entry points (fa_forward, fa_backward,
 * fa_rowwise_*, fa_channelwise_*, fa_gated_*, fa_random_*).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -Ifastact_c/include fastact_c/src/fastact.c fastact_c/fuzz/fuzz_generic.c -o fuzz_generic -lm
 *   ./fuzz_generic -max_total_time=600 fastact_c/fuzz/corpus
 *
 * (tests/test_reliability_c.py builds and runs it.)  The input bytes choose the entry
 * point, activation and dtype values (valid or not), sizes and element strides (small,
 * negative, zero or extreme), NULL operands, parameters (NULL, defaults or raw doubles
 * incl. NaN/inf) and the data.  Operands are heap buffers of exactly the extent the
 * strides address, so ASan reports any access outside.  Besides memory safety and UB
 * the harness checks, with its own 128-bit arithmetic as the oracle:
 *   - a call whose extents overflow the address space (or with a NULL operand, or an
 *     output stride 0 with several elements, or an unknown activation/dtype) fails;
 *   - a failing call leaves every output untouched, and returns a known fa_status;
 *   - a valid call with default parameters succeeds (eltwise/gated/random forward);
 *   - elementwise results do not depend on the strides (bitwise equal to a contiguous call).
 * A violated check calls abort(), which libFuzzer reports as a crash. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fastact/fastact.h>

#define MAX_SPAN 4096 /* elements allocated per operand at most; larger valid extents are skipped */
#define SENT 0x5A     /* output fill byte */

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint64_t take(input *in, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = (v << 8) | (in->n ? *in->p : 0);
        if (in->n) in->p++, in->n--;
    }
    return v;
}

static const ptrdiff_t EXTREME[] = {PTRDIFF_MAX, PTRDIFF_MIN, PTRDIFF_MAX / 2, -(PTRDIFF_MAX / 2),
                                    PTRDIFF_MAX / 4 + 1, -(PTRDIFF_MAX / 8) - 1, (ptrdiff_t)1 << 40,
                                    (ptrdiff_t)1 << 61, -((ptrdiff_t)1 << 62), 1 << 20};
static const size_t EXTREME_N[] = {SIZE_MAX, SIZE_MAX / 2, (size_t)PTRDIFF_MAX, (size_t)PTRDIFF_MAX / 4 + 1,
                                   (size_t)PTRDIFF_MAX / 8 + 1, (size_t)1 << 32, (size_t)1 << 62, 1 << 20};

static int extreme_stride; /* set when an extreme stride was drawn for this input */
static ptrdiff_t take_stride(input *in) {
    const uint8_t b = (uint8_t)take(in, 1);
    if (b < 200) return (ptrdiff_t)(b % 11) - 5; /* -5 .. 5 */
    extreme_stride = 1;
    return EXTREME[b % (sizeof EXTREME / sizeof EXTREME[0])];
}
static size_t take_size(input *in, size_t small_max) {
    const uint16_t v = (uint16_t)take(in, 2);
    if (v < 60000) return v % (small_max + 1);
    return EXTREME_N[v % (sizeof EXTREME_N / sizeof EXTREME_N[0])];
}

/* Element extent of a vector (n, inc) or matrix (rows, ld) x (cols, inc), as the contract
 * defines addressability: every byte offset fits in ptrdiff_t. */
typedef struct {
    __int128 lo, hi; /* element offsets relative to the pointer passed */
} extent;
static extent ext_mat(size_t rows, ptrdiff_t ld, size_t cols, ptrdiff_t inc) {
    extent e = {0, 0};
    if (rows == 0 || cols == 0) return e;
    const __int128 cap = (__int128)1 << 100; /* saturate: the sum of two extents must not overflow */
    __int128 a = (__int128)(rows - 1) * ld, b = (__int128)(cols - 1) * inc;
    a = a > cap ? cap : a < -cap ? -cap : a;
    b = b > cap ? cap : b < -cap ? -cap : b;
    e.lo = (a < 0 ? a : 0) + (b < 0 ? b : 0);
    e.hi = (a > 0 ? a : 0) + (b > 0 ? b : 0);
    return e;
}
static int ext_overflows(extent e, size_t n_elems, size_t size) {
    const __int128 maxb = (__int128)PTRDIFF_MAX;
    return e.hi - e.lo > maxb / (__int128)size || (__int128)n_elems > maxb / (__int128)size ||
           -e.lo > maxb / (__int128)size;
}

typedef struct {
    unsigned char *mem; /* allocation */
    size_t bytes;
    void *ptr; /* what the library gets (element 0) */
} operand;

static int make(operand *o, extent e, size_t size, input *in, int is_null, int is_out) {
    memset(o, 0, sizeof *o);
    if (is_null) return 1;
    const __int128 span = e.hi - e.lo + 1;
    if (span > MAX_SPAN) return 0;
    o->bytes = (size_t)span * size;
    o->mem = malloc(o->bytes ? o->bytes : 1);
    if (!o->mem) return 0;
    if (is_out) {
        memset(o->mem, SENT, o->bytes);
    } else {
        for (size_t i = 0; i < o->bytes; i++) o->mem[i] = (unsigned char)take(in, 1);
    }
    o->ptr = o->mem + (size_t)(-e.lo) * size;
    return 1;
}
static int untouched(const operand *o) {
    for (size_t i = 0; i < o->bytes; i++)
        if (o->mem[i] != SENT) return 0;
    return 1;
}

#define REQUIRE(cond)                                                               \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_generic: check failed line %d: %s\n", __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

static int known_status(fa_status s) { return (int)s >= FA_OK && (int)s <= FA_ERR_SIZE_OVERFLOW; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = {data, size};
    extreme_stride = 0;
    const int entry = (int)(take(&in, 1) % 11);
    const uint32_t araw = (uint32_t)take(&in, 4);
    const fa_activation act = (araw >> 31) ? (fa_activation)(int32_t)araw
                                           : (fa_activation)(araw % (FA_ACTIVATION_COUNT + 2));
    const uint8_t draw = (uint8_t)take(&in, 1);
    const fa_dtype dt = draw < 250 ? (fa_dtype)(draw & 1) : (fa_dtype)(int8_t)draw;
    const size_t esz = dt == FA_F64 ? sizeof(double) : sizeof(float);
    const uint8_t nullmask = (uint8_t)take(&in, 1);
    const int nulls = (nullmask & 0xC0) == 0xC0 ? nullmask & 0x3F : 0; /* 1/4 of inputs pass a NULL */
    fa_params prm, *p = NULL;
    const uint8_t pmode = (uint8_t)take(&in, 1) % 3;
    if (pmode == 1 && fa_params_default(act, &prm) == FA_OK) p = &prm;
    if (pmode == 2) {
        p = &prm;
        for (int k = 0; k < FA_MAX_PARAMS; k++) {
            uint64_t bits = take(&in, 8);
            memcpy(&prm.v[k], &bits, sizeof(double));
        }
    }
    const int valid_enum = (int)act >= 0 && (int)act < FA_ACTIVATION_COUNT && (dt == FA_F32 || dt == FA_F64);
    const int kind = fa_activation_kind(act);
    int params_nan = 0;
    if (p)
        for (int k = 0; k < fa_activation_nparams(act) && k < FA_MAX_PARAMS; k++) params_nan |= isnan(p->v[k]);

    operand o[6];
    memset(o, 0, sizeof o);
    int nops = 0, ok_alloc = 1, overflow = 0, out_stride_bad = 0, any_null = 0, empty = 0;
    fa_status st;
    int want_kind = -1;
    /* contiguous re-run for layout independence (eltwise/gated forward) */
    int check_layout = 0;
    size_t n = 0;
    ptrdiff_t incs[6] = {0};

#define OPERAND(ext, nel, is_out)                                                                  \
    do {                                                                                           \
        const int nul_ = (nulls >> nops) & 1;                                                      \
        any_null |= nul_;                                                                          \
        overflow |= ext_overflows(ext, nel, esz);                                                  \
        if (!overflow) ok_alloc &= make(&o[nops], ext, esz, &in, nul_, is_out);                    \
        nops++;                                                                                    \
    } while (0)

    if (entry <= 2 || entry >= 7) { /* vector entry points */
        n = take_size(&in, 200);
        empty = n == 0;
        const int nvec = entry == 0 ? 2 : entry <= 2 ? 3 : entry == 7 ? 3 : entry == 8 ? 5 : entry == 9 ? 2 : 3;
        const int nout = entry == 8 ? 2 : 1;
        for (int k = 0; k < nvec; k++) {
            incs[k] = entry >= 9 ? 1 : take_stride(&in);
            const int is_out = k >= nvec - nout;
            if (is_out && incs[k] == 0 && n > 1) out_stride_bad = 1;
            if (!empty) OPERAND(ext_mat(n, incs[k], 1, 0), n, is_out);
            else nops++;
        }
        want_kind = entry <= 2 ? FA_KIND_ELTWISE : entry <= 8 ? FA_KIND_GATED : FA_KIND_RANDOM;
        if (overflow || !ok_alloc) goto skip_or_overflow;
        void *P[6];
        for (int k = 0; k < 6; k++) P[k] = o[k].ptr;
        const uint64_t seed = take(&in, 8), off = take(&in, 8);
        switch (entry) {
        case 0: st = fa_forward(act, dt, n, P[0], incs[0], P[1], incs[1], p); check_layout = 1; break;
        case 1: st = fa_backward(act, dt, n, P[0], incs[0], P[1], incs[1], NULL, 0, P[2], incs[2], p); break;
        case 2: st = fa_backward(act, dt, n, P[0], incs[0], NULL, 0, P[1], incs[1], P[2], incs[2], p); break;
        case 7: st = fa_gated_forward(act, dt, n, P[0], incs[0], P[1], incs[1], P[2], incs[2], p);
            check_layout = 1;
            break;
        case 8:
            st = fa_gated_backward(act, dt, n, P[0], incs[0], P[1], incs[1], P[2], incs[2], P[3], incs[3], P[4],
                                   incs[4], p);
            break;
        case 9: st = fa_random_forward(act, dt, n, P[0], P[1], seed, off, p); break;
        default: st = fa_random_backward(act, dt, n, P[0], P[1], P[2], seed, off, p); break;
        }
        if (st == FA_OK && check_layout && n > 0) {
            /* the same inputs gathered contiguously give bitwise the same result */
            const int nin = nops - 1;
            unsigned char *cin[2], *cout = malloc(n * esz), *sout = malloc(n * esz);
            for (int k = 0; k < nin; k++) {
                cin[k] = malloc(n * esz);
                for (size_t i = 0; i < n; i++)
                    memcpy(cin[k] + i * esz, (unsigned char *)P[k] + (ptrdiff_t)i * incs[k] * (ptrdiff_t)esz, esz);
            }
            for (size_t i = 0; i < n; i++)
                memcpy(sout + i * esz, (unsigned char *)P[nin] + (ptrdiff_t)i * incs[nin] * (ptrdiff_t)esz, esz);
            const fa_status st2 = entry == 0 ? fa_forward(act, dt, n, cin[0], 1, cout, 1, p)
                                             : fa_gated_forward(act, dt, n, cin[0], 1, cin[1], 1, cout, 1, p);
            REQUIRE(st2 == FA_OK);
            /* an output that aliases an input (stride overlap) may legitimately differ */
            int aliased = 0;
            for (int k = 0; k < nin; k++) {
                const unsigned char *a0 = o[k].mem, *a1 = o[k].mem + o[k].bytes;
                const unsigned char *b0 = o[nin].mem, *b1 = o[nin].mem + o[nin].bytes;
                aliased |= a0 < b1 && b0 < a1;
            }
            /* output stride 0 with n == 1, or a repeated output element, keeps only the last */
            if (!aliased && incs[nin] != 0) {
                for (size_t i = 0; i < n * esz; i += esz) {
                    const int nan_a = esz == 4 ? isnan(*(float *)(cout + i)) : isnan(*(double *)(cout + i));
                    const int nan_b = esz == 4 ? isnan(*(float *)(sout + i)) : isnan(*(double *)(sout + i));
                    REQUIRE((nan_a && nan_b) || memcmp(cout + i, sout + i, esz) == 0);
                }
            }
            for (int k = 0; k < nin; k++) free(cin[k]);
            free(cout);
            free(sout);
        }
    } else if (entry <= 4) { /* row-wise */
        const size_t rows = take_size(&in, 12), cols = take_size(&in, 40);
        empty = rows == 0 || cols == 0;
        const int nmat = entry == 3 ? 2 : 3;
        ptrdiff_t ld[3];
        for (int k = 0; k < nmat; k++) {
            ld[k] = take_stride(&in);
            const ptrdiff_t mult = (ptrdiff_t)(take(&in, 1) % 48);
            if (ld[k] >= -5 && ld[k] <= 5) ld[k] *= mult;
            incs[k] = take_stride(&in);
            if (take(&in, 1) == 0xFF) ld[k] = EXTREME[take(&in, 1) % (sizeof EXTREME / sizeof EXTREME[0])];
            if (k == nmat - 1 && ((incs[k] == 0 && cols > 1) || (ld[k] == 0 && rows > 1))) out_stride_bad = 1;
            const unsigned __int128 nel = (unsigned __int128)rows * cols;
            if (!empty) OPERAND(ext_mat(rows, ld[k], cols, incs[k]), nel > SIZE_MAX ? SIZE_MAX : (size_t)nel,
                                k == nmat - 1);
            else nops++;
        }
        want_kind = FA_KIND_ROWWISE;
        if (overflow || !ok_alloc) goto skip_or_overflow;
        if (entry == 3)
            st = fa_rowwise_forward(act, dt, rows, cols, o[0].ptr, ld[0], incs[0], o[1].ptr, ld[1], incs[1], p);
        else if (take(&in, 1) & 1)
            st = fa_rowwise_backward(act, dt, rows, cols, o[0].ptr, ld[0], incs[0], o[1].ptr, ld[1], incs[1], NULL,
                                     0, 0, o[2].ptr, ld[2], incs[2], p);
        else
            st = fa_rowwise_backward(act, dt, rows, cols, o[0].ptr, ld[0], incs[0], NULL, 0, 0, o[1].ptr, ld[1],
                                     incs[1], o[2].ptr, ld[2], incs[2], p);
    } else { /* channel-wise: contiguous (outer, channels, inner) */
        const size_t outer = take_size(&in, 6), ch = take_size(&in, 8), inner = take_size(&in, 20);
        const int huge = (double)outer * (double)ch * (double)inner > 0x1p100; /* saturate */
        const __int128 tot = (outer == 0 || ch == 0 || inner == 0) ? 0
                             : huge ? (__int128)1 << 100 : (__int128)outer * ch * inner;
        empty = outer == 0 || ch == 0 || inner == 0;
        const size_t nel = tot > SIZE_MAX ? SIZE_MAX : (size_t)tot;
        if (tot * (__int128)esz > (__int128)PTRDIFF_MAX) overflow = 1;
        const extent ex = {0, tot > 0 ? tot - 1 : 0}, ew = {0, ch > 0 ? (__int128)ch - 1 : 0};
        const int bwd = entry == 6;
        const int nin = bwd ? 3 : 2; /* (dy,) x, w */
        for (int k = 0; k < nin + (bwd ? 2 : 1); k++) {
            const int is_w = k == nin - 1, is_dw = bwd && k == nin + 1;
            if (!empty || is_dw) OPERAND((is_w || is_dw) ? ew : ex, (is_w || is_dw) ? ch : nel, k >= nin);
            else nops++;
        }
        want_kind = FA_KIND_CHANNELWISE;
        if (overflow || !ok_alloc) goto skip_or_overflow;
        if (!bwd)
            st = fa_channelwise_forward(act, dt, outer, ch, inner, o[0].ptr, o[1].ptr, o[2].ptr);
        else
            st = fa_channelwise_backward(act, dt, outer, ch, inner, o[0].ptr, o[1].ptr, o[2].ptr, o[3].ptr,
                                         o[4].ptr);
        if (bwd) empty = ch == 0; /* the weight gradient is written (zeros) for empty inputs */
    }

    /* ---- the oracle ---- */
    REQUIRE(known_status(st));
    if (st != FA_OK) {
        const int first_out = entry == 0 ? 1 : entry <= 2 ? 2 : entry == 3 ? 1 : entry == 4 ? 2 : entry == 5 ? 2
                      : entry == 6 ? 3 : entry == 7 ? 2 : entry == 8 ? 3 : entry == 9 ? 1 : 2;
        for (int k = first_out; k < nops; k++)
            if (o[k].mem) REQUIRE(untouched(&o[k]));
    }
    if (!empty) {
        if (!valid_enum || kind != want_kind) REQUIRE(st != FA_OK);
        if (any_null) REQUIRE(st != FA_OK);
        if (out_stride_bad) REQUIRE(st == FA_ERR_BAD_STRIDE || st != FA_OK);
        if (params_nan) REQUIRE(st != FA_OK);
        if (valid_enum && kind == want_kind && !any_null && !out_stride_bad && pmode != 2 && !extreme_stride &&
            (entry == 0 || entry == 7 || entry == 9 || entry == 5))
            REQUIRE(st == FA_OK);
    } else if (valid_enum && kind == want_kind) {
        REQUIRE(st == FA_OK); /* n == 0: nothing to do, whatever the pointers */
    }
    goto done;

skip_or_overflow:
    if (overflow && !empty) { /* the library must refuse without touching the (small) buffers */
        static unsigned char tiny[64];
        void *t = tiny;
        switch (entry) {
        case 0: st = fa_forward(act, dt, n, t, incs[0], t, incs[1], p); break;
        case 1: st = fa_backward(act, dt, n, t, incs[0], t, incs[1], NULL, 0, t, incs[2], p); break;
        case 2: st = fa_backward(act, dt, n, t, incs[0], NULL, 0, t, incs[1], t, incs[2], p); break;
        case 7: st = fa_gated_forward(act, dt, n, t, incs[0], t, incs[1], t, incs[2], p); break;
        case 8:
            st = fa_gated_backward(act, dt, n, t, incs[0], t, incs[1], t, incs[2], t, incs[3], t, incs[4], p);
            break;
        case 9: st = fa_random_forward(act, dt, n, t, t, 1, 2, p); break;
        case 10: st = fa_random_backward(act, dt, n, t, t, t, 1, 2, p); break;
        default: st = FA_ERR_SIZE_OVERFLOW; break; /* matrices: covered by the unit tests */
        }
        REQUIRE(st != FA_OK && known_status(st));
    }
done:
    for (int k = 0; k < 6; k++) free(o[k].mem);
    return 0;
}
