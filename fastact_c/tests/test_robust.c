/* Robustness of the C API: every entry point, for every activation and dtype, returns
 * a status for NULL pointers, n = 0, overflowing sizes, bad strides, unknown
 * activation/dtype values and invalid parameters -- without touching the output --
 * and valid calls with any strides stay inside their buffers.
 *
 * Built by tests/test_reliability_c.py against the library sources with
 * -fsanitize=address,undefined -fno-sanitize-recover, and without sanitizers under
 * valgrind; every buffer is heap-allocated with its exact size so that an access
 * one element outside is reported. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fastact/fastact.h>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (cond) {                                                                             \
            passed++;                                                                           \
        } else {                                                                                \
            failed++;                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed (act %d %s, dtype %d): %s\n", __FILE__, __LINE__, \
                    (int)cur_act, fa_activation_name(cur_act) ? fa_activation_name(cur_act) : "?", \
                    (int)cur_dt, #cond);                                                        \
        }                                                                                       \
    } while (0)
#define CHECK_ST(call, want)                                                                    \
    do {                                                                                        \
        fa_status st_ = (call);                                                                 \
        if (st_ != (want))                                                                      \
            fprintf(stderr, "  got status %d (%s), want %d\n", (int)st_, fa_status_string(st_), \
                    (int)(want));                                                               \
        CHECK(st_ == (want));                                                                   \
    } while (0)

static fa_activation cur_act = (fa_activation)0;
static fa_dtype cur_dt = FA_F32;

#define N 37 /* odd: vector body and scalar tail */
#define SENTINEL 12345.0

/* exact-size heap buffers (ASan/valgrind catch one element outside) */
static void *buf(size_t n, fa_dtype dt, double fill) {
    const size_t sz = dt == FA_F32 ? sizeof(float) : sizeof(double);
    void *p = malloc(n * sz);
    for (size_t i = 0; i < n; i++) {
        if (dt == FA_F32)
            ((float *)p)[i] = (float)fill;
        else
            ((double *)p)[i] = fill;
    }
    return p;
}
static void *ramp(size_t n, fa_dtype dt) { /* -3 .. 3 with a NaN, inf, -inf, -0 */
    void *p = buf(n, dt, 0);
    for (size_t i = 0; i < n; i++) {
        double v = -3.0 + 6.0 * (double)i / (double)(n - 1);
        if (i == 5) v = NAN;
        if (i == 6) v = INFINITY;
        if (i == 7) v = -INFINITY;
        if (i == 8) v = -0.0;
        if (dt == FA_F32)
            ((float *)p)[i] = (float)v;
        else
            ((double *)p)[i] = v;
    }
    return p;
}
static double at(const void *p, fa_dtype dt, size_t i) {
    return dt == FA_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
static int untouched(const void *p, size_t n, fa_dtype dt) {
    for (size_t i = 0; i < n; i++)
        if (at(p, dt, i) != SENTINEL) return 0;
    return 1;
}
static int same(const void *a, const void *b, size_t n, fa_dtype dt) { /* bitwise-ish incl. NaN */
    for (size_t i = 0; i < n; i++) {
        const double u = at(a, dt, i), v = at(b, dt, i);
        if (!(u == v || (isnan(u) && isnan(v)))) return 0;
    }
    return 1;
}

static const size_t BIG = SIZE_MAX;
static const size_t HUGE_N = (size_t)PTRDIFF_MAX / 4 + 2; /* * sizeof(T) overflows ptrdiff_t */

/* A parameter set that is invalid for act (beyond NaN), or 0 if none is known. */
static int invalid_params(fa_activation act, fa_params *p) {
    fa_params_default(act, p);
    switch (act) {
    case FA_SOFTPLUS: p->v[FA_PARAM_SOFTPLUS_BETA] = -1.0; return 1;
    case FA_HARDTANH: p->v[FA_PARAM_HARDTANH_MIN_VAL] = 2.0; return 1;
    case FA_CELU: p->v[FA_PARAM_CELU_ALPHA] = 0.0; return 1;
    case FA_CLIPPED_RELU: p->v[FA_PARAM_CLIPPED_RELU_MAX_VALUE] = -1.0; return 1;
    case FA_SOFTSHRINK: p->v[FA_PARAM_SOFTSHRINK_LAMBD] = -0.5; return 1; /* (hardshrink takes any lambd) */
    case FA_SQUAREPLUS: p->v[FA_PARAM_SQUAREPLUS_B] = 0.0; return 1;
    case FA_DROPOUT: p->v[FA_PARAM_DROPOUT_P] = 1.5; return 1;
    case FA_RRELU: p->v[FA_PARAM_RRELU_LOWER] = 0.9; return 1;
    case FA_CLAMPED_SWIGLU: p->v[FA_PARAM_CLAMPED_SWIGLU_LIMIT] = -7.0; return 1;
    default: return 0;
    }
}

static void test_info(void) {
    const fa_activation bad[] = {(fa_activation)-1, (fa_activation)FA_ACTIVATION_COUNT,
                                 (fa_activation)INT32_MAX, (fa_activation)INT32_MIN};
    fa_params p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(fa_activation_name(bad[i]) == NULL);
        CHECK(fa_activation_kind(bad[i]) == -1);
        CHECK(fa_activation_nparams(bad[i]) == -1);
        CHECK(fa_activation_from_y(bad[i]) == 0);
        CHECK_ST(fa_params_default(bad[i], &p), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_params_check(bad[i], &p), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_params_check(bad[i], NULL), FA_ERR_BAD_ACTIVATION);
    }
    for (int s = -3; s < 20; s++) CHECK(fa_status_string((fa_status)s) != NULL);
    CHECK(fa_version() != NULL && fa_simd_level() != NULL);
    for (int a = 0; a < fa_activation_count(); a++) {
        cur_act = (fa_activation)a;
        CHECK(fa_activation_name(cur_act) != NULL);
        CHECK_ST(fa_params_default(cur_act, NULL), FA_ERR_NULL_POINTER);
        CHECK_ST(fa_params_default(cur_act, &p), FA_OK);
        CHECK_ST(fa_params_check(cur_act, &p), FA_OK);
        CHECK_ST(fa_params_check(cur_act, NULL), FA_OK);
        const int np = fa_activation_nparams(cur_act);
        for (int k = 0; k < np; k++) { /* NaN in any used slot is rejected */
            fa_params_default(cur_act, &p);
            p.v[k] = NAN;
            CHECK_ST(fa_params_check(cur_act, &p), FA_ERR_BAD_PARAM);
        }
        for (int k = np; k < FA_MAX_PARAMS; k++) { /* unused slots are ignored */
            fa_params_default(cur_act, &p);
            p.v[k] = NAN;
            CHECK_ST(fa_params_check(cur_act, &p), FA_OK);
        }
        if (invalid_params(cur_act, &p)) CHECK_ST(fa_params_check(cur_act, &p), FA_ERR_BAD_PARAM);
    }
}

/* ---- elementwise (generic fa_forward / fa_backward) ---- */
static void test_eltwise(fa_activation act, fa_dtype dt) {
    void *x = ramp(N, dt), *dy = buf(N, dt, 0.75), *y = buf(N, dt, SENTINEL), *dx = buf(N, dt, SENTINEL);
    void *ref = buf(N, dt, 0), *dref = buf(N, dt, 0), *y2 = buf(2 * N, dt, 0), *x2 = buf(2 * N, dt, 0);
    const size_t sz = dt == FA_F32 ? 4 : 8;
    fa_params p, bad;
    const int from_y = fa_activation_from_y(act);

    /* errors leave the output untouched */
    CHECK_ST(fa_forward(act, dt, N, NULL, 1, y, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_forward(act, dt, N, x, 1, NULL, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_forward(act, dt, N, x, 1, y, 0, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_forward(act, dt, BIG, x, 1, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_forward(act, dt, HUGE_N, x, 1, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_forward(act, dt, 3, x, PTRDIFF_MAX / 2, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_forward(act, dt, 3, x, 1, y, PTRDIFF_MIN, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_forward(act, dt, 3, x, -PTRDIFF_MAX, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_forward(act, (fa_dtype)2, N, x, 1, y, 1, NULL), FA_ERR_BAD_DTYPE);
    CHECK_ST(fa_forward(act, (fa_dtype)-1, N, x, 1, y, 1, NULL), FA_ERR_BAD_DTYPE);
    for (int k = 0; k < fa_activation_nparams(act); k++) {
        fa_params_default(act, &p);
        p.v[k] = NAN;
        CHECK_ST(fa_forward(act, dt, N, x, 1, y, 1, &p), FA_ERR_BAD_PARAM);
        CHECK_ST(fa_backward(act, dt, N, dy, 1, x, 1, NULL, 0, dx, 1, &p), FA_ERR_BAD_PARAM);
    }
    if (invalid_params(act, &bad)) {
        CHECK_ST(fa_forward(act, dt, N, x, 1, y, 1, &bad), FA_ERR_BAD_PARAM);
        CHECK_ST(fa_backward(act, dt, N, dy, 1, x, 1, NULL, 0, dx, 1, &bad), FA_ERR_BAD_PARAM);
    }
    CHECK_ST(fa_backward(act, dt, N, NULL, 1, x, 1, NULL, 0, dx, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_backward(act, dt, N, dy, 1, NULL, 1, NULL, 1, dx, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_backward(act, dt, N, dy, 1, x, 1, NULL, 0, NULL, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_backward(act, dt, N, dy, 1, x, 1, NULL, 0, dx, 0, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_backward(act, dt, BIG, dy, 1, x, 1, NULL, 0, dx, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_backward(act, dt, 3, dy, PTRDIFF_MIN, x, 1, NULL, 0, dx, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_backward(act, dt, 3, dy, 1, x, PTRDIFF_MAX, NULL, 0, dx, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_backward(act, (fa_dtype)7, N, dy, 1, x, 1, NULL, 0, dx, 1, NULL), FA_ERR_BAD_DTYPE);
    if (!from_y) CHECK_ST(fa_backward(act, dt, N, dy, 1, NULL, 0, x, 1, dx, 1, NULL), FA_ERR_UNSUPPORTED);
    CHECK(untouched(y, N, dt) && untouched(dx, N, dt));

    /* n = 0 is a no-op whatever the pointers; n = 1 allows an output stride 0 */
    CHECK_ST(fa_forward(act, dt, 0, NULL, 0, NULL, 0, NULL), FA_OK);
    CHECK_ST(fa_backward(act, dt, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL), FA_OK);
    CHECK_ST(fa_forward(act, dt, 1, x, 0, y, 0, NULL), FA_OK);

    /* valid calls: contiguous, reversed, strided, broadcast, in place */
    CHECK_ST(fa_forward(act, dt, N, x, 1, ref, 1, NULL), FA_OK);
    CHECK_ST(fa_backward(act, dt, N, dy, 1, x, 1, NULL, 0, dref, 1, NULL), FA_OK);
    /* reversed output: y[N-1-i] = f(x[i]) */
    CHECK_ST(fa_forward(act, dt, N, x, 1, (char *)y + (N - 1) * sz, -1, NULL), FA_OK);
    int ok = 1;
    for (size_t i = 0; i < N; i++) {
        const double u = at(y, dt, N - 1 - i), v = at(ref, dt, i);
        ok &= u == v || (isnan(u) && isnan(v));
    }
    CHECK(ok);
    /* stride 2 output into a 2N buffer, reversed input */
    for (size_t i = 0; i < N; i++) {
        if (dt == FA_F32)
            ((float *)x2)[2 * i] = ((float *)x)[N - 1 - i];
        else
            ((double *)x2)[2 * i] = ((double *)x)[N - 1 - i];
    }
    CHECK_ST(fa_forward(act, dt, N, (char *)x2 + 2 * (N - 1) * sz, -2, y2, 2, NULL), FA_OK);
    ok = 1;
    for (size_t i = 0; i < N; i++) {
        const double u = at(y2, dt, 2 * i), v = at(ref, dt, i);
        ok &= u == v || (isnan(u) && isnan(v));
    }
    CHECK(ok);
    /* zero input stride (broadcast of element 12) */
    CHECK_ST(fa_forward(act, dt, N, (char *)x + 12 * sz, 0, y, 1, NULL), FA_OK);
    ok = 1;
    for (size_t i = 0; i < N; i++) ok &= at(y, dt, i) == at(ref, dt, 12);
    CHECK(ok);
    /* backward strided equals contiguous */
    CHECK_ST(fa_backward(act, dt, N, (char *)dy + (N - 1) * sz, -1, x, 1, NULL, 0, dx, 1, NULL), FA_OK);
    CHECK(same(dx, dref, N, dt));
    if (from_y) {
        fa_params_default(act, &p);
        CHECK_ST(fa_backward(act, dt, N, dy, 1, NULL, 0, ref, 1, dx, 1, &p), FA_OK);
    }
    /* in place: y = f(y) with y = x */
    memcpy(y, x, N * sz);
    CHECK_ST(fa_forward(act, dt, N, y, 1, y, 1, NULL), FA_OK);
    CHECK(same(y, ref, N, dt));
    memcpy(dx, dy, N * sz);
    CHECK_ST(fa_backward(act, dt, N, dx, 1, x, 1, NULL, 0, dx, 1, NULL), FA_OK);
    CHECK(same(dx, dref, N, dt));
    free(x), free(dy), free(y), free(dx), free(ref), free(dref), free(y2), free(x2);
}

/* ---- row-wise ---- */
static void test_rowwise(fa_activation act, fa_dtype dt) {
    const size_t R = 3, C = 13, n = R * C, sz = dt == FA_F32 ? 4 : 8;
    void *x = ramp(n, dt), *dy = buf(n, dt, 0.5), *y = buf(n, dt, SENTINEL), *dx = buf(n, dt, SENTINEL);
    void *ref = buf(n, dt, 0);
    fa_params p;
    const ptrdiff_t C_ = (ptrdiff_t)C;
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, NULL, C_, 1, y, C_, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, x, C_, 1, NULL, C_, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, x, C_, 1, y, 0, 1, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, x, C_, 1, y, C_, 0, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_rowwise_forward(act, dt, BIG, C, x, C_, 1, y, C_, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_rowwise_forward(act, dt, R, BIG, x, C_, 1, y, C_, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    /* each extent alone is addressable, together they are not */
    const ptrdiff_t half = PTRDIFF_MAX / (ptrdiff_t)(2 * sz) + 1;
    CHECK_ST(fa_rowwise_forward(act, dt, 2, 2, x, PTRDIFF_MAX / (ptrdiff_t)sz, 1, y, 2, 1, NULL),
             FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_rowwise_forward(act, dt, 2, 2, x, half, half, y, 2, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_rowwise_forward(act, dt, 2, 2, x, 2, 1, y, -half, -half, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_rowwise_forward(act, dt, 2, 2, x, 2, 1, y, PTRDIFF_MIN, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_rowwise_forward(act, (fa_dtype)3, R, C, x, C_, 1, y, C_, 1, NULL), FA_ERR_BAD_DTYPE);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, NULL, C_, 1, x, C_, 1, NULL, 0, 0, dx, C_, 1, NULL),
             FA_ERR_NULL_POINTER);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, dy, C_, 1, NULL, 0, 0, NULL, 0, 0, dx, C_, 1, NULL),
             FA_ERR_NULL_POINTER);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, dy, C_, 1, x, C_, 1, NULL, 0, 0, NULL, C_, 1, NULL),
             FA_ERR_NULL_POINTER);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, dy, C_, 1, x, C_, 1, NULL, 0, 0, dx, 0, 1, NULL),
             FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_rowwise_backward(act, dt, BIG, BIG, dy, C_, 1, x, C_, 1, NULL, 0, 0, dx, C_, 1, NULL),
             FA_ERR_SIZE_OVERFLOW);
    CHECK(untouched(y, n, dt) && untouched(dx, n, dt));
    CHECK_ST(fa_rowwise_forward(act, dt, 0, C, NULL, 0, 0, NULL, 0, 0, NULL), FA_OK);
    CHECK_ST(fa_rowwise_forward(act, dt, R, 0, NULL, 0, 0, NULL, 0, 0, NULL), FA_OK);
    CHECK_ST(fa_rowwise_backward(act, dt, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL), FA_OK);
    (void)p;
    /* typed entry points (size_t leading dimensions) */
    if (dt == FA_F32 && act == FA_SOFTMAX) {
        CHECK_ST(fa_softmax_forward_f32(R, C, x, C - 1, y, C), FA_ERR_BAD_STRIDE);
        CHECK_ST(fa_softmax_forward_f32(R, C, x, C, y, C - 1), FA_ERR_BAD_STRIDE);
        CHECK_ST(fa_softmax_forward_f32(R, C, x, (size_t)PTRDIFF_MAX + 1, y, C), FA_ERR_SIZE_OVERFLOW);
        CHECK_ST(fa_softmax_forward_f32(R, C, x, SIZE_MAX, y, C), FA_ERR_SIZE_OVERFLOW);
        CHECK_ST(fa_softmax_forward_f32(R, C, NULL, C, y, C), FA_ERR_NULL_POINTER);
        CHECK_ST(fa_softmax_backward_f32(R, C, dy, C, NULL, C, NULL, C, dx, C), FA_ERR_NULL_POINTER);
        CHECK_ST(fa_softmax_backward_f32(R, C, dy, C, x, C, NULL, C, dx, SIZE_MAX), FA_ERR_SIZE_OVERFLOW);
        CHECK_ST(fa_softmax_forward_f32(1, C, x, 0, y, 0), FA_OK); /* one row: ld unused */
        CHECK(untouched(dx, n, dt));
    }
    /* valid: contiguous, and the rows reversed with reversed columns */
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, x, C_, 1, ref, C_, 1, NULL), FA_OK);
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, (char *)x + (n - 1) * sz, -C_, -1, y, C_, 1, NULL), FA_OK);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        const double u = at(y, dt, i), v = at(ref, dt, n - 1 - i); /* summed in another order */
        ok &= u == v || (isnan(u) && isnan(v)) || fabs(u - v) <= 1e-14 * fabs(v);
    }
    CHECK(ok);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, dy, C_, 1, x, C_, 1, NULL, 0, 0, dx, C_, 1, NULL), FA_OK);
    CHECK_ST(fa_rowwise_backward(act, dt, R, C, dy, 0, 1, NULL, 0, 0, ref, C_, 1, dx, C_, 1, NULL), FA_OK);
    memcpy(y, x, n * sz); /* in place */
    CHECK_ST(fa_rowwise_forward(act, dt, R, C, y, C_, 1, y, C_, 1, NULL), FA_OK);
    CHECK(same(y, ref, n, dt));
    free(x), free(dy), free(y), free(dx), free(ref);
}

/* ---- channel-wise ---- */
static void test_channelwise(fa_activation act, fa_dtype dt) {
    const size_t O = 2, Ch = 3, I = 5, n = O * Ch * I;
    void *x = ramp(n, dt), *w = buf(Ch, dt, 0.25), *dy = buf(n, dt, 1.5), *y = buf(n, dt, SENTINEL);
    void *dx = buf(n, dt, SENTINEL), *dw = buf(Ch, dt, SENTINEL);
    CHECK_ST(fa_channelwise_forward(act, dt, O, Ch, I, NULL, w, y), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_forward(act, dt, O, Ch, I, x, NULL, y), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_forward(act, dt, O, Ch, I, x, w, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_forward(act, dt, BIG, Ch, I, x, w, y), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_channelwise_forward(act, dt, O, BIG, I, x, w, y), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_channelwise_forward(act, dt, O, Ch, BIG, x, w, y), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_channelwise_forward(act, dt, (size_t)1 << 31, (size_t)1 << 31, 4, x, w, y),
             FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_channelwise_forward(act, (fa_dtype)5, O, Ch, I, x, w, y), FA_ERR_BAD_DTYPE);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, NULL, x, w, dx, dw), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, dy, NULL, w, dx, dw), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, dy, x, NULL, dx, dw), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, dy, x, w, NULL, dw), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, dy, x, w, dx, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_channelwise_backward(act, dt, BIG, Ch, I, dy, x, w, dx, dw), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, BIG, dy, x, w, dx, dw), FA_ERR_SIZE_OVERFLOW);
    CHECK(untouched(y, n, dt) && untouched(dx, n, dt) && untouched(dw, Ch, dt));
    CHECK_ST(fa_channelwise_forward(act, dt, 0, 0, 0, NULL, NULL, NULL), FA_OK);
    CHECK_ST(fa_channelwise_backward(act, dt, 0, 0, 0, NULL, NULL, NULL, NULL, NULL), FA_OK);
    CHECK_ST(fa_channelwise_backward(act, dt, 0, Ch, I, NULL, NULL, NULL, NULL, dw), FA_OK);
    CHECK(at(dw, dt, 0) == 0 && at(dw, dt, Ch - 1) == 0); /* empty input: zero weight gradient */
    CHECK_ST(fa_channelwise_forward(act, dt, O, Ch, I, x, w, y), FA_OK);
    CHECK_ST(fa_channelwise_backward(act, dt, O, Ch, I, dy, x, w, dx, dw), FA_OK);
    CHECK_ST(fa_channelwise_forward(act, dt, O * Ch, 1, I, x, w, y), FA_OK);
    CHECK_ST(fa_channelwise_forward(act, dt, O * I, Ch, 1, x, w, y), FA_OK); /* channels last */
    CHECK_ST(fa_channelwise_backward(act, dt, O * I, Ch, 1, dy, x, w, dx, dw), FA_OK);
    free(x), free(w), free(dy), free(y), free(dx), free(dw);
}

/* ---- gated ---- */
static void test_gated(fa_activation act, fa_dtype dt) {
    void *a = ramp(N, dt), *b = ramp(N, dt), *dy = buf(N, dt, 0.5), *y = buf(N, dt, SENTINEL);
    void *da = buf(N, dt, SENTINEL), *db = buf(N, dt, SENTINEL), *ref = buf(N, dt, 0);
    const size_t sz = dt == FA_F32 ? 4 : 8;
    fa_params p;
    CHECK_ST(fa_gated_forward(act, dt, N, NULL, 1, b, 1, y, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_forward(act, dt, N, a, 1, NULL, 1, y, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_forward(act, dt, N, a, 1, b, 1, NULL, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_forward(act, dt, N, a, 1, b, 1, y, 0, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_gated_forward(act, dt, BIG, a, 1, b, 1, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_gated_forward(act, dt, 3, a, 1, b, PTRDIFF_MIN, y, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_gated_forward(act, (fa_dtype)2, N, a, 1, b, 1, y, 1, NULL), FA_ERR_BAD_DTYPE);
    CHECK_ST(fa_gated_backward(act, dt, N, NULL, 1, a, 1, b, 1, da, 1, db, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, NULL, 1, b, 1, da, 1, db, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, NULL, 1, da, 1, db, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, b, 1, NULL, 1, db, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, b, 1, da, 1, NULL, 1, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, b, 1, da, 0, db, 1, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, b, 1, da, 1, db, 0, NULL), FA_ERR_BAD_STRIDE);
    CHECK_ST(fa_gated_backward(act, dt, HUGE_N, dy, 1, a, 1, b, 1, da, 1, db, 1, NULL), FA_ERR_SIZE_OVERFLOW);
    for (int k = 0; k < fa_activation_nparams(act); k++) {
        fa_params_default(act, &p);
        p.v[k] = NAN;
        CHECK_ST(fa_gated_forward(act, dt, N, a, 1, b, 1, y, 1, &p), FA_ERR_BAD_PARAM);
        CHECK_ST(fa_gated_backward(act, dt, N, dy, 1, a, 1, b, 1, da, 1, db, 1, &p), FA_ERR_BAD_PARAM);
    }
    if (invalid_params(act, &p)) CHECK_ST(fa_gated_forward(act, dt, N, a, 1, b, 1, y, 1, &p), FA_ERR_BAD_PARAM);
    CHECK(untouched(y, N, dt) && untouched(da, N, dt) && untouched(db, N, dt));
    CHECK_ST(fa_gated_forward(act, dt, 0, NULL, 0, NULL, 0, NULL, 0, NULL), FA_OK);
    CHECK_ST(fa_gated_backward(act, dt, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL), FA_OK);
    CHECK_ST(fa_gated_forward(act, dt, N, a, 1, b, 1, ref, 1, NULL), FA_OK);
    CHECK_ST(fa_gated_forward(act, dt, N, (char *)a + (N - 1) * sz, -1, (char *)b + (N - 1) * sz, -1,
                              (char *)y + (N - 1) * sz, -1, NULL), FA_OK);
    CHECK(same(y, ref, N, dt));
    CHECK_ST(fa_gated_backward(act, dt, N, dy, 0, a, 1, b, 1, da, 1, db, 1, NULL), FA_OK);
    free(a), free(b), free(dy), free(y), free(da), free(db), free(ref);
}

/* ---- random ---- */
static void test_random(fa_activation act, fa_dtype dt) {
    void *x = ramp(N, dt), *dy = buf(N, dt, 2.0), *y = buf(N, dt, SENTINEL), *dx = buf(N, dt, SENTINEL);
    void *ref = buf(N, dt, 0);
    fa_params p;
    CHECK_ST(fa_random_forward(act, dt, N, NULL, y, 1, 0, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_random_forward(act, dt, N, x, NULL, 1, 0, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_random_forward(act, dt, BIG, x, y, 1, 0, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_random_forward(act, dt, HUGE_N, x, y, 1, 0, NULL), FA_ERR_SIZE_OVERFLOW);
    CHECK_ST(fa_random_forward(act, (fa_dtype)4, N, x, y, 1, 0, NULL), FA_ERR_BAD_DTYPE);
    CHECK_ST(fa_random_backward(act, dt, N, NULL, x, dx, 1, 0, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_random_backward(act, dt, N, dy, NULL, dx, 1, 0, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_random_backward(act, dt, N, dy, x, NULL, 1, 0, NULL), FA_ERR_NULL_POINTER);
    CHECK_ST(fa_random_backward(act, dt, BIG, dy, x, dx, 1, 0, NULL), FA_ERR_SIZE_OVERFLOW);
    for (int k = 0; k < fa_activation_nparams(act); k++) {
        fa_params_default(act, &p);
        p.v[k] = NAN;
        CHECK_ST(fa_random_forward(act, dt, N, x, y, 1, 0, &p), FA_ERR_BAD_PARAM);
        CHECK_ST(fa_random_backward(act, dt, N, dy, x, dx, 1, 0, &p), FA_ERR_BAD_PARAM);
    }
    if (invalid_params(act, &p)) {
        CHECK_ST(fa_random_forward(act, dt, N, x, y, 1, 0, &p), FA_ERR_BAD_PARAM);
        CHECK_ST(fa_random_backward(act, dt, N, dy, x, dx, 1, 0, &p), FA_ERR_BAD_PARAM);
    }
    CHECK(untouched(y, N, dt) && untouched(dx, N, dt));
    CHECK_ST(fa_random_forward(act, dt, 0, NULL, NULL, 1, 0, NULL), FA_OK);
    CHECK_ST(fa_random_backward(act, dt, 0, NULL, NULL, NULL, 1, 0, NULL), FA_OK);
    /* the counter wraps around 2^64 without UB */
    CHECK_ST(fa_random_forward(act, dt, N, x, ref, 7, UINT64_MAX - 3, NULL), FA_OK);
    CHECK_ST(fa_random_forward(act, dt, N, x, y, 7, UINT64_MAX - 3, NULL), FA_OK);
    CHECK(same(y, ref, N, dt));
    memcpy(y, x, N * (dt == FA_F32 ? 4 : 8)); /* in place */
    CHECK_ST(fa_random_forward(act, dt, N, y, y, 7, UINT64_MAX - 3, NULL), FA_OK);
    CHECK(same(y, ref, N, dt));
    CHECK_ST(fa_random_backward(act, dt, N, dy, x, dx, 7, UINT64_MAX - 3, NULL), FA_OK);
    free(x), free(dy), free(y), free(dx), free(ref);
}

/* Every generic entry point rejects activations of another kind. */
static void test_wrong_kind(fa_activation act, fa_dtype dt) {
    float v[4] = {0}, o[4];
    const int k = fa_activation_kind(act);
    if (k != FA_KIND_ELTWISE) {
        CHECK_ST(fa_forward(act, dt, 4, v, 1, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_backward(act, dt, 4, v, 1, v, 1, NULL, 0, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
    }
    if (k != FA_KIND_ROWWISE) {
        CHECK_ST(fa_rowwise_forward(act, dt, 1, 1, v, 1, 1, o, 1, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_rowwise_backward(act, dt, 1, 1, v, 1, 1, v, 1, 1, NULL, 0, 0, o, 1, 1, NULL),
                 FA_ERR_BAD_ACTIVATION);
    }
    if (k != FA_KIND_CHANNELWISE) {
        CHECK_ST(fa_channelwise_forward(act, dt, 1, 1, 1, v, v, o), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_channelwise_backward(act, dt, 1, 1, 1, v, v, v, o, o), FA_ERR_BAD_ACTIVATION);
    }
    if (k != FA_KIND_GATED) {
        CHECK_ST(fa_gated_forward(act, dt, 1, v, 1, v, 1, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_gated_backward(act, dt, 1, v, 1, v, 1, v, 1, o, 1, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
    }
    if (k != FA_KIND_RANDOM) {
        CHECK_ST(fa_random_forward(act, dt, 1, v, o, 0, 0, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_random_backward(act, dt, 1, v, v, o, 0, 0, NULL), FA_ERR_BAD_ACTIVATION);
    }
}

static void test_unknown_activation(void) {
    const fa_activation bad[] = {(fa_activation)-1, (fa_activation)FA_ACTIVATION_COUNT,
                                 (fa_activation)INT32_MAX};
    float v[4] = {0}, o[4];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cur_act = bad[i];
        CHECK_ST(fa_forward(bad[i], FA_F32, 4, v, 1, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_backward(bad[i], FA_F32, 4, v, 1, v, 1, NULL, 0, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_rowwise_forward(bad[i], FA_F32, 1, 4, v, 4, 1, o, 4, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_rowwise_backward(bad[i], FA_F32, 1, 4, v, 4, 1, v, 4, 1, NULL, 0, 0, o, 4, 1, NULL),
                 FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_channelwise_forward(bad[i], FA_F32, 1, 1, 4, v, v, o), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_channelwise_backward(bad[i], FA_F32, 1, 1, 4, v, v, v, o, o), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_gated_forward(bad[i], FA_F32, 4, v, 1, v, 1, o, 1, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_gated_backward(bad[i], FA_F32, 4, v, 1, v, 1, v, 1, o, 1, o, 1, NULL),
                 FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_random_forward(bad[i], FA_F32, 4, v, o, 0, 0, NULL), FA_ERR_BAD_ACTIVATION);
        CHECK_ST(fa_random_backward(bad[i], FA_F32, 4, v, v, o, 0, 0, NULL), FA_ERR_BAD_ACTIVATION);
    }
}

int main(void) {
    test_info();
    test_unknown_activation();
    for (int a = 0; a < fa_activation_count(); a++) {
        for (int d = 0; d < 2; d++) {
            cur_act = (fa_activation)a;
            cur_dt = (fa_dtype)d;
            test_wrong_kind(cur_act, cur_dt);
            switch (fa_activation_kind(cur_act)) {
            case FA_KIND_ELTWISE: test_eltwise(cur_act, cur_dt); break;
            case FA_KIND_ROWWISE: test_rowwise(cur_act, cur_dt); break;
            case FA_KIND_CHANNELWISE: test_channelwise(cur_act, cur_dt); break;
            case FA_KIND_GATED: test_gated(cur_act, cur_dt); break;
            case FA_KIND_RANDOM: test_random(cur_act, cur_dt); break;
            default: CHECK(0);
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
