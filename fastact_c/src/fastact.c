/*
 * fastact C library: one generic loop per kind of activation, instantiated for
 * every activation of activations.def from the scalar functions that
 * tools/gen.py writes into scalar_gen.h.  No loop is written per activation.
 *
 * Vectorization: every loop carries `#pragma omp simd` (compiled with
 * -fopenmp-simd, no OpenMP runtime) and the scalar functions use only
 * arithmetic, compares and selects (fa_math.h has no libm calls), so GCC
 * vectorizes them.  On x86-64 each loop is built three times (x86-64-v4 =
 * AVX-512, x86-64-v3 = AVX2+FMA, baseline SSE2) and the loader picks one for
 * the running CPU (GCC function multiversioning, target_clones + ifunc).
 */
#define FASTACT_BUILDING 1
#include "fastact/fastact.h"

#include <math.h>
#include <stdint.h>

#include "fa_math.h" /* the generator: fa_mix64, fa_uniform24 */
#include "scalar_gen.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(FASTACT_NO_MULTIVERSION)
#define FA_MULTIVERSION 1
#define FA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FA_MULTIVERSION 0
#define FA_CLONES
#endif

#define FA_PRAGMA_(x) _Pragma(#x)
#define FA_SIMD FA_PRAGMA_(omp simd)
#define FA_SIMD_SUM(...) FA_PRAGMA_(omp simd reduction(+ : __VA_ARGS__))
#define FA_SIMD_MINMAX(hi, lo) FA_PRAGMA_(omp simd reduction(max : hi) reduction(min : lo))
#define FA_SIMD_AND(v) FA_PRAGMA_(omp simd reduction(& : v))

/* ---- library information ------------------------------------------------ */

const char *fa_version(void) { return FASTACT_VERSION_STRING; }
int fa_version_number(void) { return FASTACT_VERSION; }

const char *fa_status_string(fa_status status) {
    switch (status) {
    case FA_OK: return "success";
    case FA_ERR_NULL_POINTER: return "a required pointer is NULL";
    case FA_ERR_BAD_PARAM: return "invalid parameter value";
    case FA_ERR_UNSUPPORTED: return "operation not supported for this activation or these parameters";
    case FA_ERR_BAD_ACTIVATION: return "unknown activation, or wrong kind for this entry point";
    case FA_ERR_BAD_DTYPE: return "unknown or unsupported dtype";
    case FA_ERR_BAD_STRIDE: return "invalid stride (output stride 0, or leading dimension too small)";
    case FA_ERR_SIZE_OVERFLOW: return "sizes or strides overflow the address space";
    }
    return "unknown status";
}

const char *fa_simd_level(void) {
#if FA_MULTIVERSION
    /* The same order of preference as target_clones' resolver. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512)";
    if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (AVX2, FMA)";
    return "x86-64 (SSE2)";
#else
    return "compiler default (no multiversioning)";
#endif
}

static const struct {
    const char *name;
    int kind, nparams, from_y;
} fa__table[] = {
#define FA_ELTWISE(name, NAME, id, nparams, from_y) {#name, FA_KIND_ELTWISE, nparams, from_y},
#define FA_ROWWISE(name, NAME, id, nparams, from_y) {#name, FA_KIND_ROWWISE, nparams, from_y},
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y) {#name, FA_KIND_CHANNELWISE, nparams, from_y},
#define FA_GATED(name, NAME, id, nparams, from_y) {#name, FA_KIND_GATED, nparams, from_y},
#define FA_RANDOM(name, NAME, id, nparams, from_y) {#name, FA_KIND_RANDOM, nparams, from_y},
#include "fastact/activations.def"
};

static int fa__known(fa_activation act) { return (int)act >= 0 && (int)act < FA_ACTIVATION_COUNT; }

int fa_activation_count(void) { return FA_ACTIVATION_COUNT; }
const char *fa_activation_name(fa_activation act) { return fa__known(act) ? fa__table[act].name : NULL; }
int fa_activation_kind(fa_activation act) { return fa__known(act) ? fa__table[act].kind : -1; }
int fa_activation_nparams(fa_activation act) { return fa__known(act) ? fa__table[act].nparams : -1; }
int fa_activation_from_y(fa_activation act) { return fa__known(act) ? fa__table[act].from_y : 0; }

fa_status fa_params_default(fa_activation act, fa_params *p) {
    if (!p) return FA_ERR_NULL_POINTER;
    if (!fa__known(act)) return FA_ERR_BAD_ACTIVATION;
    for (int i = 0; i < FA_MAX_PARAMS; i++) p->v[i] = 0.0;
#define FA_PARAM(name, NAME, param, PARAM, index, default) \
    if (act == FA_##NAME) p->v[index] = default;
#include "fastact/activations.def"
    return FA_OK;
}

fa_status fa_params_check(fa_activation act, const fa_params *p) {
    if (!fa__known(act)) return FA_ERR_BAD_ACTIVATION;
    if (!p) return FA_OK; /* the defaults are valid */
    int ok = 0;
    switch (act) {
#define FA_CASE_(name, NAME, id, nparams, from_y) \
    case FA_##NAME: ok = fa__##name##_params_ok(p->v); break;
#define FA_ELTWISE FA_CASE_
#define FA_ROWWISE FA_CASE_
#define FA_CHANNELWISE FA_CASE_
#define FA_GATED FA_CASE_
#define FA_RANDOM FA_CASE_
#include "fastact/activations.def"
#undef FA_CASE_
    default: return FA_ERR_BAD_ACTIVATION;
    }
    return ok ? FA_OK : FA_ERR_BAD_PARAM;
}

/* Resolve p (NULL = defaults) into *out and check it. */
static fa_status fa__params(fa_activation act, const fa_params *p, fa_params *out) {
    if (p) {
        *out = *p;
        return fa_params_check(act, out);
    }
    return fa_params_default(act, out);
}

/* ---- argument checks ------------------------------------------------------ */

/* Elements 0..n-1 at stride inc must be addressable: (n-1)*|inc|*size fits ptrdiff_t. */
static int fa__span_ok(size_t n, ptrdiff_t inc, size_t size) {
    if (n > (size_t)PTRDIFF_MAX / size) return 0;
    if (inc == PTRDIFF_MIN) return 0;
    size_t a = (size_t)(inc < 0 ? -inc : inc);
    return a == 0 || n - 1 <= (size_t)PTRDIFF_MAX / size / a;
}

static fa_status fa__check_vec(size_t n, const void *ptr, ptrdiff_t inc, size_t size, int is_out) {
    if (!ptr) return FA_ERR_NULL_POINTER;
    if (is_out && inc == 0 && n > 1) return FA_ERR_BAD_STRIDE;
    return fa__span_ok(n, inc, size) ? FA_OK : FA_ERR_SIZE_OVERFLOW;
}

/* A rows x cols matrix: both extents addressable and their sum too. */
static fa_status fa__check_mat(size_t rows, size_t cols, const void *ptr, ptrdiff_t ld, ptrdiff_t inc,
                               size_t size, int is_out) {
    if (!ptr) return FA_ERR_NULL_POINTER;
    if (is_out && ((inc == 0 && cols > 1) || (ld == 0 && rows > 1))) return FA_ERR_BAD_STRIDE;
    if (!fa__span_ok(rows, ld, size) || !fa__span_ok(cols, inc, size)) return FA_ERR_SIZE_OVERFLOW;
    size_t a = (size_t)(ld < 0 ? -ld : ld) * (rows - 1), b = (size_t)(inc < 0 ? -inc : inc) * (cols - 1);
    return a <= (size_t)PTRDIFF_MAX / size - b ? FA_OK : FA_ERR_SIZE_OVERFLOW;
}

#define FA_TRY(expr)                      \
    do {                                  \
        fa_status st_ = (expr);           \
        if (st_ != FA_OK) return st_;     \
    } while (0)

/* Parameters as the compute type, in a local array the compiler keeps in registers. */
#define FA_LOCAL_PARAMS(T, prm) \
    T pv[FA_MAX_PARAMS];         \
    for (int k_ = 0; k_ < FA_MAX_PARAMS; k_++) pv[k_] = (T)(prm)->v[k_];

/* ---- elementwise ------------------------------------------------------------ */

/* Loop over i with element index expressions; the contiguous case is separate so
 * that it compiles to plain vector loads and stores. */
#define FA_ELTWISE_LOOP(STMT_CONTIG, STMT_STRIDED, CONTIG) \
    if (CONTIG) {                                           \
        FA_SIMD for (size_t i = 0; i < n; i++) STMT_CONTIG; \
    } else {                                                \
        FA_SIMD for (size_t i = 0; i < n; i++) STMT_STRIDED; \
    }
#define FA_AT(ptr, inc) (ptr)[(ptrdiff_t)i * (inc)]

/* With a fast form (the registry's fast_when; scalar_gen.h's fa__<name>_has_fast), blocks of
 * FA_FAST_BLOCK elements whose guard holds everywhere run the fast form -- the formula's bits
 * without its tail handling -- and other blocks the formula. The guard pass reads the whole
 * block before anything is written, so in-place calls are safe. */
#define FA_FAST_BLOCK 2048
#define FA_GUARDED_LOOP(HAS_FAST, OK, FAST, STMT)                                          \
    if (HAS_FAST) {                                                                        \
        for (size_t b_ = 0; b_ < n; b_ += FA_FAST_BLOCK) {                                 \
            const size_t e_ = n - b_ < FA_FAST_BLOCK ? n : b_ + FA_FAST_BLOCK;             \
            int ok_ = 1;                                                                   \
            FA_SIMD_AND(ok_) for (size_t i = b_; i < e_; i++) ok_ &= (OK);                 \
            if (ok_) {                                                                     \
                FA_SIMD for (size_t i = b_; i < e_; i++) FAST;                             \
            } else {                                                                       \
                FA_SIMD for (size_t i = b_; i < e_; i++) STMT;                             \
            }                                                                              \
        }                                                                                  \
    } else {                                                                               \
        FA_SIMD for (size_t i = 0; i < n; i++) STMT;                                       \
    }
#define FA_FAST_LOOP(HAS_FAST, OKC, FASTC, STMTC, OKS, FASTS, STMTS, CONTIG) \
    if (CONTIG) {                                                            \
        FA_GUARDED_LOOP(HAS_FAST, OKC, FASTC, STMTC)                         \
    } else {                                                                 \
        FA_GUARDED_LOOP(HAS_FAST, OKS, FASTS, STMTS)                         \
    }

#define FA_DEFINE_ELTWISE_(name, NAME, from_y, SFX, T, DT)                                                 \
    FA_CLONES static void fa__##name##_fwd_loop_##SFX(size_t n, const T *x, ptrdiff_t incx, T *y,    \
                                                      ptrdiff_t incy, const fa_params *prm) {        \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_FAST_LOOP(fa__##name##_has_fast,                                                          \
                     fa__##name##_fwdok_##SFX(x[i], pv),                                             \
                     y[i] = fa__##name##_fwdfast_##SFX(x[i], pv),                                    \
                     y[i] = fa__##name##_fwd_##SFX(x[i], pv),                                        \
                     fa__##name##_fwdok_##SFX(FA_AT(x, incx), pv),                                   \
                     FA_AT(y, incy) = fa__##name##_fwdfast_##SFX(FA_AT(x, incx), pv),                \
                     FA_AT(y, incy) = fa__##name##_fwd_##SFX(FA_AT(x, incx), pv),                    \
                     incx == 1 && incy == 1)                                                         \
    }                                                                                                \
    FA_CLONES static void fa__##name##_bwd_loop_##SFX(size_t n, const T *dy, ptrdiff_t incdy,        \
                                                      const T *x, ptrdiff_t incx, T *dx,             \
                                                      ptrdiff_t incdx, const fa_params *prm) {       \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_FAST_LOOP(fa__##name##_has_fast,                                                          \
                     fa__##name##_bwdok_##SFX(dy[i], x[i], pv),                                      \
                     dx[i] = fa__##name##_bwdfast_##SFX(dy[i], x[i], pv),                            \
                     dx[i] = fa__##name##_bwd_##SFX(dy[i], x[i], pv),                                \
                     fa__##name##_bwdok_##SFX(FA_AT(dy, incdy), FA_AT(x, incx), pv),                 \
                     FA_AT(dx, incdx) = fa__##name##_bwdfast_##SFX(FA_AT(dy, incdy), FA_AT(x, incx), pv), \
                     FA_AT(dx, incdx) = fa__##name##_bwd_##SFX(FA_AT(dy, incdy), FA_AT(x, incx), pv), \
                     incdy == 1 && incx == 1 && incdx == 1)                                          \
    }                                                                                                \
    FA_BWDY_LOOP_##from_y(name, SFX, T)                                                              \
    fa_status fa_##name##_forward_strided_##SFX(size_t n, const T *x, ptrdiff_t incx, T *y,          \
                                                ptrdiff_t incy, const fa_params *p) {                \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, x, incx, sizeof(T), 0));                                             \
        FA_TRY(fa__check_vec(n, y, incy, sizeof(T), 1));                                             \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                  \
        fa__##name##_fwd_loop_##SFX(n, x, incx, y, incy, &prm);                                      \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_forward_##SFX(size_t n, const T *x, T *y, const fa_params *p) {            \
        return fa_##name##_forward_strided_##SFX(n, x, 1, y, 1, p);                                  \
    }                                                                                                \
    fa_status fa_##name##_backward_strided_##SFX(size_t n, const T *dy, ptrdiff_t incdy, const T *x, \
                                                 ptrdiff_t incx, const T *y, ptrdiff_t incy, T *dx,  \
                                                 ptrdiff_t incdx, const fa_params *p) {              \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, dy, incdy, sizeof(T), 0));                                           \
        FA_TRY(fa__check_vec(n, dx, incdx, sizeof(T), 1));                                           \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                  \
        if (x) {                                                                                     \
            FA_TRY(fa__check_vec(n, x, incx, sizeof(T), 0));                                         \
            fa__##name##_bwd_loop_##SFX(n, dy, incdy, x, incx, dx, incdx, &prm);                     \
            return FA_OK;                                                                            \
        }                                                                                            \
        if (!y) return FA_ERR_NULL_POINTER;                                                          \
        FA_TRY(fa__check_vec(n, y, incy, sizeof(T), 0));                                             \
        FA_BWDY_CALL_##from_y(name, SFX)                                                             \
    }                                                                                                \
    fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *x, const T *y, T *dx,       \
                                         const fa_params *p) {                                       \
        return fa_##name##_backward_strided_##SFX(n, dy, 1, x, 1, y, 1, dx, 1, p);                   \
    }

/* Backward from the output: defined only where the registry gives a formula. */
#define FA_BWDY_LOOP_0(name, SFX, T)
#define FA_BWDY_LOOP_1(name, SFX, T)                                                                 \
    FA_CLONES static void fa__##name##_bwdy_loop_##SFX(size_t n, const T *dy, ptrdiff_t incdy,       \
                                                       const T *y, ptrdiff_t incy, T *dx,            \
                                                       ptrdiff_t incdx, const fa_params *prm) {      \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_ELTWISE_LOOP(dx[i] = fa__##name##_bwdy_##SFX(dy[i], y[i], pv),                            \
                        FA_AT(dx, incdx) = fa__##name##_bwdy_##SFX(FA_AT(dy, incdy), FA_AT(y, incy), pv), \
                        incdy == 1 && incy == 1 && incdx == 1)                                       \
    }
#define FA_BWDY_CALL_0(name, SFX) return FA_ERR_UNSUPPORTED;
#define FA_BWDY_CALL_1(name, SFX)                                           \
    if (!fa__##name##_fromy_ok(prm.v)) return FA_ERR_UNSUPPORTED;           \
    fa__##name##_bwdy_loop_##SFX(n, dy, incdy, y, incy, dx, incdx, &prm);   \
    return FA_OK;

/* ---- row-wise (softmax family) ----------------------------------------------- *
 * Per row: m = max(x), s = sum(e), e = exp(x - m), and, for a forward that reads
 * it (log_softmax), s1 = s - 1 without cancellation (the k elements equal to m
 * contribute exactly 1 each: s1 = (k - 1) + the rest); y = fwd(x, m, s, s1, e).
 * A forward that reads only e (softmax: e / s; fa__<name>_fwd_from_e) gets e
 * stored in y by the sum pass and scaled in place, one exponential per element.
 * Backward: r = sum(red(dy, y)), dx = bwdy(dy, y, r); from x, y is recomputed.
 * Each dtype computes in its own precision (16 float lanes per AVX-512 vector),
 * with the sums accumulated in double; exp(x - m) is fa_expsub, which carries the
 * rounding error of x - m into the exponential, so float32 results stay within a
 * few ULP (no error growing with |x - m|).  A row whose spread max - min is below
 * FA_EXPSUBN_MIN (87 in float, 708 in double; no inf or NaN makes it so) runs
 * fa_expsubn instead: the same bits in one scaling, without range selects.  Rows
 * are independent and outputs are written in the last pass, so in-place calls are
 * safe. */
#define FA_EXPSUBN_MIN_f32 (-87.0f)
#define FA_EXPSUBN_MIN_f64 (-708.0)
#define FA_ROW_MAX(T, SFX, xr, incx)                                                   \
    T mt_ = -(T)INFINITY, mn_ = (T)INFINITY;                                           \
    FA_SIMD_MINMAX(mt_, mn_) for (size_t c = 0; c < cols; c++) {                       \
        T v_ = xr[(ptrdiff_t)c * incx];                                                \
        mt_ = v_ > mt_ ? v_ : mt_;                                                     \
        mn_ = v_ < mn_ ? v_ : mn_;                                                     \
    }                                                                                  \
    const T m = mt_;                                                                   \
    const int narrow_ = mn_ - m >= FA_EXPSUBN_MIN_##SFX; /* false for inf, NaN */

/* s (and s1 if NEED_S1) of the row with exp EXP(v, m); STORE sees e_ */
#define FA_ROW_SUM(T, SFX, xr, incx, STORE, NEED_S1, EXP)                              \
    double t_ = 0.0, k_ = 0.0;                                                         \
    if (NEED_S1) {                                                                     \
        FA_SIMD_SUM(t_, k_) for (size_t c = 0; c < cols; c++) {                        \
            const T v_ = xr[(ptrdiff_t)c * incx], e_ = EXP(v_, m);                     \
            const double te_ = v_ == m ? (double)(v_ - v_) : (double)e_; /* inf - inf: NaN */ \
            STORE;                                                                     \
            const double ke_ = v_ == m ? 1.0 : 0.0;                                    \
            t_ += te_;                                                                 \
            k_ += ke_;                                                                 \
        }                                                                              \
    } else {                                                                           \
        FA_SIMD_SUM(t_) for (size_t c = 0; c < cols; c++) {                            \
            const T v_ = xr[(ptrdiff_t)c * incx], e_ = EXP(v_, m); /* inf - inf: NaN */ \
            STORE;                                                                     \
            t_ += (double)e_;                                                          \
        }                                                                              \
    }                                                                                  \
    const T s1 = (T)((k_ - 1.0) + t_), s = (T)(k_ + t_);                               \
    (void)s1;

#define FA_ROW_E(name, EXP, xv) (fa__##name##_fwd_from_e ? EXP(xv, m) : (xv) - (xv))
#define FA_ROW_Y(name, SFX, xr, incx, EXP)                                                           \
    fa__##name##_fwd_##SFX(xr[(ptrdiff_t)c * incx], m, s, s1, FA_ROW_E(name, EXP, xr[(ptrdiff_t)c * incx]), pv)
/* BODY(EXP) with EXP fa_expsubn on narrow rows, fa_expsub on the others */
#define FA_ROW_BY_SPREAD(SFX, BODY, ...)                                                             \
    if (narrow_) { BODY(fa_expsubn_##SFX, __VA_ARGS__) } else { BODY(fa_expsub_##SFX, __VA_ARGS__) }

/* Whether the rows dy[0..cols) and dx[0..cols) (element strides incdy, incdx) share memory. */
static int fa__rows_overlap(const void *dy, ptrdiff_t incdy, const void *dx, ptrdiff_t incdx,
                            size_t cols, size_t size) {
    const ptrdiff_t ea = (ptrdiff_t)(cols - 1) * incdy * (ptrdiff_t)size,
                    eb = (ptrdiff_t)(cols - 1) * incdx * (ptrdiff_t)size;
    const uintptr_t a = (uintptr_t)dy, b = (uintptr_t)dx;
    const uintptr_t a0 = ea < 0 ? a - (uintptr_t)-ea : a, a1 = (ea < 0 ? a : a + (uintptr_t)ea) + size;
    const uintptr_t b0 = eb < 0 ? b - (uintptr_t)-eb : b, b1 = (eb < 0 ? b : b + (uintptr_t)eb) + size;
    return a0 < b1 && b0 < a1;
}

/* One row pass with the column strides as macro arguments, so that the
 * contiguous case (strides 1) compiles to plain vector loads. */
#define FA_ROWFWD_REST(EXP, name, T, SFX, INCX, INCY)                                               \
    if (fa__##name##_fwd_from_e) {                                                                  \
        FA_ROW_SUM(T, SFX, xr, INCX, yr[(ptrdiff_t)c * INCY] = e_, 0, EXP)                          \
        FA_SIMD for (size_t c = 0; c < cols; c++) yr[(ptrdiff_t)c * INCY] =                         \
            fa__##name##_fwd_##SFX(m, m, s, s1, yr[(ptrdiff_t)c * INCY], pv);                       \
    } else {                                                                                        \
        FA_ROW_SUM(T, SFX, xr, INCX, (void)0, 1, EXP)                                               \
        FA_SIMD for (size_t c = 0; c < cols; c++) yr[(ptrdiff_t)c * INCY] = FA_ROW_Y(name, SFX, xr, INCX, EXP); \
    }
#define FA_ROWFWD_ROW(name, T, SFX, INCX, INCY)                                                     \
    {                                                                                               \
        FA_ROW_MAX(T, SFX, xr, INCX)                                                                \
        FA_ROW_BY_SPREAD(SFX, FA_ROWFWD_REST, name, T, SFX, INCX, INCY)                             \
    }
/* backward from x: y into dx first (the forward's bits), then the from-y passes on it */
#define FA_ROWBWD_X_REST(EXP, name, T, SFX, INCDY, INCX, INCDX)                                     \
    FA_ROW_SUM(T, SFX, xr, INCX, (void)0, !fa__##name##_fwd_from_e, EXP)                            \
    FA_SIMD for (size_t c = 0; c < cols; c++) dxr[(ptrdiff_t)c * INCDX] =                           \
        FA_ROW_Y(name, SFX, xr, INCX, EXP);                                                         \
    FA_SIMD_SUM(acc) for (size_t c = 0; c < cols; c++) acc += (double)fa__##name##_red_##SFX(       \
        dyr[(ptrdiff_t)c * INCDY], dxr[(ptrdiff_t)c * INCDX], pv);                                  \
    const T r_ = (T)acc;                                                                            \
    FA_SIMD for (size_t c = 0; c < cols; c++) dxr[(ptrdiff_t)c * INCDX] =                           \
        fa__##name##_bwdy_##SFX(dyr[(ptrdiff_t)c * INCDY], dxr[(ptrdiff_t)c * INCDX], r_, pv);
/* dx overlaps dy: y recomputed in each pass */
#define FA_ROWBWD_XO_REST(EXP, name, T, SFX, INCDY, INCX, INCDX)                                    \
    FA_ROW_SUM(T, SFX, xr, INCX, (void)0, !fa__##name##_fwd_from_e, EXP)                            \
    FA_SIMD_SUM(acc) for (size_t c = 0; c < cols; c++) acc += (double)fa__##name##_red_##SFX(       \
        dyr[(ptrdiff_t)c * INCDY], FA_ROW_Y(name, SFX, xr, INCX, EXP), pv);                         \
    const T r_ = (T)acc;                                                                            \
    FA_SIMD for (size_t c = 0; c < cols; c++) dxr[(ptrdiff_t)c * INCDX] =                           \
        fa__##name##_bwdy_##SFX(dyr[(ptrdiff_t)c * INCDY], FA_ROW_Y(name, SFX, xr, INCX, EXP), r_, pv);
#define FA_ROWBWD_ROW(name, T, SFX, INCDY, INCX, INCY, INCDX)                                       \
    {                                                                                               \
        double acc = 0.0;                                                                           \
        if (x && !fa__rows_overlap(dyr, INCDY, dxr, INCDX, cols, sizeof(T))) {                      \
            FA_ROW_MAX(T, SFX, xr, INCX)                                                            \
            FA_ROW_BY_SPREAD(SFX, FA_ROWBWD_X_REST, name, T, SFX, INCDY, INCX, INCDX)               \
        } else if (x) {                                                                             \
            FA_ROW_MAX(T, SFX, xr, INCX)                                                            \
            FA_ROW_BY_SPREAD(SFX, FA_ROWBWD_XO_REST, name, T, SFX, INCDY, INCX, INCDX)              \
        } else {                                                                                    \
            FA_SIMD_SUM(acc) for (size_t c = 0; c < cols; c++) acc += (double)fa__##name##_red_##SFX( \
                dyr[(ptrdiff_t)c * INCDY], yr[(ptrdiff_t)c * INCY], pv);                            \
            const T r_ = (T)acc;                                                                    \
            FA_SIMD for (size_t c = 0; c < cols; c++) dxr[(ptrdiff_t)c * INCDX] =                   \
                fa__##name##_bwdy_##SFX(dyr[(ptrdiff_t)c * INCDY], yr[(ptrdiff_t)c * INCY], r_, pv); \
        }                                                                                           \
    }

#define FA_DEFINE_ROWWISE_(name, NAME, from_y, SFX, T, DT)                                            \
    FA_CLONES static void fa__##name##_rowfwd_##SFX(size_t rows, size_t cols, const T *x,            \
                                                    ptrdiff_t ldx, ptrdiff_t incx, T *y,             \
                                                    ptrdiff_t ldy, ptrdiff_t incy,                   \
                                                    const fa_params *prm) {                          \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        const int contig = incx == 1 && incy == 1;                                                   \
        for (size_t r = 0; r < rows; r++) {                                                          \
            const T *xr = x + (ptrdiff_t)r * ldx;                                                    \
            T *yr = y + (ptrdiff_t)r * ldy;                                                          \
            if (contig) FA_ROWFWD_ROW(name, T, SFX, 1, 1)                                            \
            else FA_ROWFWD_ROW(name, T, SFX, incx, incy)                                             \
        }                                                                                            \
    }                                                                                                \
    FA_CLONES static void fa__##name##_rowbwd_##SFX(                                                 \
        size_t rows, size_t cols, const T *dy, ptrdiff_t lddy, ptrdiff_t incdy, const T *x,          \
        ptrdiff_t ldx, ptrdiff_t incx, const T *y, ptrdiff_t ldy, ptrdiff_t incy, T *dx,             \
        ptrdiff_t lddx, ptrdiff_t incdx, const fa_params *prm) {                                     \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        const int contig = incdy == 1 && incdx == 1 && (x ? incx : incy) == 1;                       \
        for (size_t r = 0; r < rows; r++) {                                                          \
            const T *dyr = dy + (ptrdiff_t)r * lddy;                                                 \
            T *dxr = dx + (ptrdiff_t)r * lddx;                                                       \
            const T *xr = x ? x + (ptrdiff_t)r * ldx : NULL;                                         \
            const T *yr = y ? y + (ptrdiff_t)r * ldy : NULL;                                         \
            if (contig) FA_ROWBWD_ROW(name, T, SFX, 1, 1, 1, 1)                                      \
            else FA_ROWBWD_ROW(name, T, SFX, incdy, incx, incy, incdx)                               \
        }                                                                                            \
    }                                                                                                \
    static fa_status fa__##name##_rowfwd_checked_##SFX(size_t rows, size_t cols, const T *x,         \
                                                       ptrdiff_t ldx, ptrdiff_t incx, T *y,          \
                                                       ptrdiff_t ldy, ptrdiff_t incy,                \
                                                       const fa_params *p) {                         \
        if (rows == 0 || cols == 0) return FA_OK;                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_mat(rows, cols, x, ldx, incx, sizeof(T), 0));                               \
        FA_TRY(fa__check_mat(rows, cols, y, ldy, incy, sizeof(T), 1));                               \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                  \
        fa__##name##_rowfwd_##SFX(rows, cols, x, ldx, incx, y, ldy, incy, &prm);                     \
        return FA_OK;                                                                                \
    }                                                                                                \
    static fa_status fa__##name##_rowbwd_checked_##SFX(                                              \
        size_t rows, size_t cols, const T *dy, ptrdiff_t lddy, ptrdiff_t incdy, const T *x,          \
        ptrdiff_t ldx, ptrdiff_t incx, const T *y, ptrdiff_t ldy, ptrdiff_t incy, T *dx,             \
        ptrdiff_t lddx, ptrdiff_t incdx, const fa_params *p) {                                       \
        if (rows == 0 || cols == 0) return FA_OK;                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_mat(rows, cols, dy, lddy, incdy, sizeof(T), 0));                            \
        FA_TRY(fa__check_mat(rows, cols, dx, lddx, incdx, sizeof(T), 1));                            \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                  \
        if (x) {                                                                                     \
            FA_TRY(fa__check_mat(rows, cols, x, ldx, incx, sizeof(T), 0));                           \
        } else {                                                                                     \
            FA_TRY(fa__check_mat(rows, cols, y, ldy, incy, sizeof(T), 0));                           \
            if (!fa__##name##_fromy_ok(prm.v)) return FA_ERR_UNSUPPORTED;                            \
        }                                                                                            \
        fa__##name##_rowbwd_##SFX(rows, cols, dy, lddy, incdy, x, ldx, incx, y, ldy, incy, dx, lddx, \
                                  incdx, &prm);                                                      \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_forward_##SFX(size_t rows, size_t cols, const T *x, size_t ldx, T *y,      \
                                        size_t ldy) {                                                \
        if (rows > 1 && (ldx < cols || ldy < cols)) return FA_ERR_BAD_STRIDE;                        \
        if (ldx > PTRDIFF_MAX || ldy > PTRDIFF_MAX) return FA_ERR_SIZE_OVERFLOW;                     \
        return fa__##name##_rowfwd_checked_##SFX(rows, cols, x, (ptrdiff_t)ldx, 1, y,                \
                                                 (ptrdiff_t)ldy, 1, NULL);                           \
    }                                                                                                \
    fa_status fa_##name##_backward_##SFX(size_t rows, size_t cols, const T *dy, size_t lddy,         \
                                         const T *x, size_t ldx, const T *y, size_t ldy, T *dx,      \
                                         size_t lddx) {                                              \
        if (rows > 1 && (lddy < cols || lddx < cols || (x ? ldx : ldy) < cols))                      \
            return FA_ERR_BAD_STRIDE;                                                                \
        if (lddy > PTRDIFF_MAX || ldx > PTRDIFF_MAX || ldy > PTRDIFF_MAX || lddx > PTRDIFF_MAX)      \
            return FA_ERR_SIZE_OVERFLOW;                                                             \
        return fa__##name##_rowbwd_checked_##SFX(rows, cols, dy, (ptrdiff_t)lddy, 1, x,              \
                                                 (ptrdiff_t)ldx, 1, y, (ptrdiff_t)ldy, 1, dx,        \
                                                 (ptrdiff_t)lddx, 1, NULL);                          \
    }

/* ---- channel-wise (prelu) --------------------------------------------------- */

#define FA_CH_BLOCK 256

static fa_status fa__check_chan(size_t outer, size_t channels, size_t inner, size_t size) {
    if (channels && outer > (size_t)PTRDIFF_MAX / size / channels) return FA_ERR_SIZE_OVERFLOW;
    if (inner && outer * channels > (size_t)PTRDIFF_MAX / size / inner) return FA_ERR_SIZE_OVERFLOW;
    return FA_OK;
}

#define FA_DEFINE_CHANNELWISE_(name, NAME, from_y, SFX, T, DT)                                             \
    FA_CLONES static void fa__##name##_chfwd_##SFX(size_t outer, size_t channels, size_t inner,      \
                                                   const T *x, const T *w, T *y,                     \
                                                   const fa_params *prm) {                           \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        if (inner == 1) { /* channels last (a bias over the last axis): vectorize over c */          \
            for (size_t o = 0; o < outer; o++) {                                                     \
                const size_t b = o * channels;                                                       \
                FA_SIMD for (size_t c = 0; c < channels; c++)                                        \
                    y[b + c] = fa__##name##_fwd_##SFX(x[b + c], w[c], pv);                           \
            }                                                                                        \
            return;                                                                                  \
        }                                                                                            \
        for (size_t o = 0; o < outer; o++)                                                           \
            for (size_t c = 0; c < channels; c++) {                                                  \
                const T wc = w[c];                                                                   \
                const size_t b = (o * channels + c) * inner;                                         \
                FA_SIMD for (size_t i = 0; i < inner; i++)                                           \
                    y[b + i] = fa__##name##_fwd_##SFX(x[b + i], wc, pv);                             \
            }                                                                                        \
    }                                                                                                \
    FA_CLONES static void fa__##name##_chbwd_##SFX(size_t outer, size_t channels, size_t inner,      \
                                                   const T *dy, const T *x, const T *w, T *dx,       \
                                                   T *dw, const fa_params *prm) {                    \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        if (inner == 1) { /* channels last: blocks of channels, per-channel sums in double */        \
            for (size_t c0 = 0; c0 < channels; c0 += FA_CH_BLOCK) {                                  \
                const size_t nc = channels - c0 < FA_CH_BLOCK ? channels - c0 : FA_CH_BLOCK;         \
                double acc[FA_CH_BLOCK] = {0};                                                       \
                for (size_t o = 0; o < outer; o++) {                                                 \
                    const size_t b = o * channels + c0;                                              \
                    FA_SIMD for (size_t c = 0; c < nc; c++) {                                        \
                        const T d_ = dy[b + c], x_ = x[b + c], w_ = w[c0 + c];                       \
                        acc[c] += fa__##name##_bwdw_##SFX(d_, x_, w_, pv);                           \
                        dx[b + c] = fa__##name##_bwd_##SFX(d_, x_, w_, pv);                          \
                    }                                                                                \
                }                                                                                    \
                for (size_t c = 0; c < nc; c++) dw[c0 + c] = (T)acc[c];                              \
            }                                                                                        \
            return;                                                                                  \
        }                                                                                            \
        for (size_t c = 0; c < channels; c++) {                                                      \
            const T wc = w[c];                                                                       \
            double acc = 0.0;                                                                        \
            for (size_t o = 0; o < outer; o++) {                                                     \
                const size_t b = (o * channels + c) * inner;                                         \
                FA_SIMD_SUM(acc) for (size_t i = 0; i < inner; i++) {                                \
                    const T d_ = dy[b + i], x_ = x[b + i];                                           \
                    acc += fa__##name##_bwdw_##SFX(d_, x_, wc, pv);                                  \
                    dx[b + i] = fa__##name##_bwd_##SFX(d_, x_, wc, pv);                              \
                }                                                                                    \
            }                                                                                        \
            dw[c] = (T)acc;                                                                          \
        }                                                                                            \
    }                                                                                                \
    fa_status fa_##name##_forward_##SFX(size_t outer, size_t channels, size_t inner, const T *x,     \
                                        const T *w, T *y) {                                          \
        if (outer == 0 || channels == 0 || inner == 0) return FA_OK;                                 \
        if (!x || !w || !y) return FA_ERR_NULL_POINTER;                                              \
        FA_TRY(fa__check_chan(outer, channels, inner, sizeof(T)));                                   \
        fa_params prm;                                                                               \
        FA_TRY(fa__params(FA_##NAME, NULL, &prm));                                               \
        fa__##name##_chfwd_##SFX(outer, channels, inner, x, w, y, &prm);                             \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_backward_##SFX(size_t outer, size_t channels, size_t inner, const T *dy,   \
                                         const T *x, const T *w, T *dx, T *dw) {                     \
        if (channels == 0) return FA_OK;                                                             \
        if (!dw) return FA_ERR_NULL_POINTER;                                                         \
        if (outer == 0 || inner == 0) { /* empty input: the weight gradient is zero */               \
            for (size_t c = 0; c < channels; c++) dw[c] = 0;                                         \
            return FA_OK;                                                                            \
        }                                                                                            \
        if (!dy || !x || !w || !dx) return FA_ERR_NULL_POINTER;                                      \
        FA_TRY(fa__check_chan(outer, channels, inner, sizeof(T)));                                   \
        fa_params prm;                                                                               \
        FA_TRY(fa__params(FA_##NAME, NULL, &prm));                                               \
        fa__##name##_chbwd_##SFX(outer, channels, inner, dy, x, w, dx, dw, &prm);                    \
        return FA_OK;                                                                                \
    }

/* ---- gated (GLU family): y = f(a, b); backward da = fa(dy, a, b), db = fb(dy, a, b) ---- */

#define FA_DEFINE_GATED_(name, NAME, from_y, SFX, T, DT)                                             \
    FA_CLONES static void fa__##name##_gfwd_loop_##SFX(size_t n, const T *a, ptrdiff_t inca,         \
                                                       const T *b, ptrdiff_t incb, T *y,             \
                                                       ptrdiff_t incy, const fa_params *prm) {       \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_ELTWISE_LOOP(y[i] = fa__##name##_fwd_##SFX(a[i], b[i], pv),                               \
                        FA_AT(y, incy) = fa__##name##_fwd_##SFX(FA_AT(a, inca), FA_AT(b, incb), pv), \
                        inca == 1 && incb == 1 && incy == 1)                                         \
    }                                                                                                \
    FA_CLONES static void fa__##name##_gbwd_loop_##SFX(                                              \
        size_t n, const T *dy, ptrdiff_t incdy, const T *a, ptrdiff_t inca, const T *b,              \
        ptrdiff_t incb, T *da, ptrdiff_t incda, T *db, ptrdiff_t incdb, const fa_params *prm) {      \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        if (incdy == 1 && inca == 1 && incb == 1 && incda == 1 && incdb == 1) {                      \
            FA_SIMD for (size_t i = 0; i < n; i++) {                                                 \
                const T d_ = dy[i], a_ = a[i], b_ = b[i];                                            \
                da[i] = fa__##name##_bwda_##SFX(d_, a_, b_, pv);                                     \
                db[i] = fa__##name##_bwdb_##SFX(d_, a_, b_, pv);                                     \
            }                                                                                        \
        } else {                                                                                     \
            FA_SIMD for (size_t i = 0; i < n; i++) {                                                 \
                const T d_ = FA_AT(dy, incdy), a_ = FA_AT(a, inca), b_ = FA_AT(b, incb);             \
                FA_AT(da, incda) = fa__##name##_bwda_##SFX(d_, a_, b_, pv);                          \
                FA_AT(db, incdb) = fa__##name##_bwdb_##SFX(d_, a_, b_, pv);                          \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    fa_status fa_##name##_forward_strided_##SFX(size_t n, const T *a, ptrdiff_t inca, const T *b,    \
                                                ptrdiff_t incb, T *y, ptrdiff_t incy,                \
                                                const fa_params *p) {                                \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, a, inca, sizeof(T), 0));                                             \
        FA_TRY(fa__check_vec(n, b, incb, sizeof(T), 0));                                             \
        FA_TRY(fa__check_vec(n, y, incy, sizeof(T), 1));                                             \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                      \
        fa__##name##_gfwd_loop_##SFX(n, a, inca, b, incb, y, incy, &prm);                            \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_forward_##SFX(size_t n, const T *a, const T *b, T *y, const fa_params *p) { \
        return fa_##name##_forward_strided_##SFX(n, a, 1, b, 1, y, 1, p);                            \
    }                                                                                                \
    fa_status fa_##name##_backward_strided_##SFX(                                                    \
        size_t n, const T *dy, ptrdiff_t incdy, const T *a, ptrdiff_t inca, const T *b,              \
        ptrdiff_t incb, T *da, ptrdiff_t incda, T *db, ptrdiff_t incdb, const fa_params *p) {        \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, dy, incdy, sizeof(T), 0));                                           \
        FA_TRY(fa__check_vec(n, a, inca, sizeof(T), 0));                                             \
        FA_TRY(fa__check_vec(n, b, incb, sizeof(T), 0));                                             \
        FA_TRY(fa__check_vec(n, da, incda, sizeof(T), 1));                                           \
        FA_TRY(fa__check_vec(n, db, incdb, sizeof(T), 1));                                           \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                      \
        fa__##name##_gbwd_loop_##SFX(n, dy, incdy, a, inca, b, incb, da, incda, db, incdb, &prm);    \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *a, const T *b, T *da,       \
                                         T *db, const fa_params *p) {                                \
        return fa_##name##_backward_strided_##SFX(n, dy, 1, a, 1, b, 1, da, 1, db, 1, p);            \
    }

/* ---- random (dropout, rrelu): u = fa_uniform24(mix64(seed), offset + i), contiguous arrays ---- */

#define FA_DEFINE_RANDOM_(name, NAME, from_y, SFX, T, DT)                                            \
    FA_CLONES static void fa__##name##_rfwd_loop_##SFX(size_t n, const T *x, T *y, uint64_t key,     \
                                                       uint64_t offset, const fa_params *prm) {      \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_SIMD for (size_t i = 0; i < n; i++)                                                       \
            y[i] = fa__##name##_fwd_##SFX(x[i], (T)fa_uniform24(key, offset + i), pv);               \
    }                                                                                                \
    FA_CLONES static void fa__##name##_rbwd_loop_##SFX(size_t n, const T *dy, const T *x, T *dx,     \
                                                       uint64_t key, uint64_t offset,                \
                                                       const fa_params *prm) {                       \
        FA_LOCAL_PARAMS(T, prm)                                                                      \
        FA_SIMD for (size_t i = 0; i < n; i++)                                                       \
            dx[i] = fa__##name##_bwd_##SFX(dy[i], x[i], (T)fa_uniform24(key, offset + i), pv);       \
    }                                                                                                \
    fa_status fa_##name##_forward_##SFX(size_t n, const T *x, T *y, uint64_t seed, uint64_t offset,  \
                                        const fa_params *p) {                                        \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, x, 1, sizeof(T), 0));                                                \
        FA_TRY(fa__check_vec(n, y, 1, sizeof(T), 1));                                                \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                      \
        fa__##name##_rfwd_loop_##SFX(n, x, y, fa_mix64(seed), offset, &prm);                         \
        return FA_OK;                                                                                \
    }                                                                                                \
    fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *x, T *dx, uint64_t seed,    \
                                         uint64_t offset, const fa_params *p) {                      \
        if (n == 0) return FA_OK;                                                                    \
        fa_params prm;                                                                               \
        FA_TRY(fa__check_vec(n, dy, 1, sizeof(T), 0));                                               \
        FA_TRY(fa__check_vec(n, x, 1, sizeof(T), 0));                                                \
        FA_TRY(fa__check_vec(n, dx, 1, sizeof(T), 1));                                               \
        FA_TRY(fa__params(FA_##NAME, p, &prm));                                                      \
        fa__##name##_rbwd_loop_##SFX(n, dy, x, dx, fa_mix64(seed), offset, &prm);                    \
        return FA_OK;                                                                                \
    }

/* ---- instantiate every activation ---------------------------------------- */

#define FA_ELTWISE(name, NAME, id, nparams, from_y)                  \
    FA_DEFINE_ELTWISE_(name, NAME, from_y, f32, float, FA_F32)             \
    FA_DEFINE_ELTWISE_(name, NAME, from_y, f64, double, FA_F64)
#define FA_ROWWISE(name, NAME, id, nparams, from_y)                  \
    FA_DEFINE_ROWWISE_(name, NAME, from_y, f32, float, FA_F32)             \
    FA_DEFINE_ROWWISE_(name, NAME, from_y, f64, double, FA_F64)
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y)              \
    FA_DEFINE_CHANNELWISE_(name, NAME, from_y, f32, float, FA_F32)         \
    FA_DEFINE_CHANNELWISE_(name, NAME, from_y, f64, double, FA_F64)
#define FA_GATED(name, NAME, id, nparams, from_y)                    \
    FA_DEFINE_GATED_(name, NAME, from_y, f32, float, FA_F32)         \
    FA_DEFINE_GATED_(name, NAME, from_y, f64, double, FA_F64)
#define FA_RANDOM(name, NAME, id, nparams, from_y)                   \
    FA_DEFINE_RANDOM_(name, NAME, from_y, f32, float, FA_F32)        \
    FA_DEFINE_RANDOM_(name, NAME, from_y, f64, double, FA_F64)
#include "fastact/activations.def"

/* ---- generic entry points --------------------------------------------------- */

#define FA_DISPATCH_(CALL_F32, CALL_F64)             \
    switch (dtype) {                                 \
    case FA_F32: return CALL_F32;                    \
    case FA_F64: return CALL_F64;                    \
    }                                                \
    return FA_ERR_BAD_DTYPE;

fa_status fa_forward(fa_activation act, fa_dtype dtype, size_t n, const void *x, ptrdiff_t incx,
                     void *y, ptrdiff_t incy, const fa_params *p) {
    switch (act) {
#define FA_ELTWISE(name, NAME, id, nparams, from_y)                                              \
    case FA_##NAME:                                                                              \
        FA_DISPATCH_(fa_##name##_forward_strided_f32(n, (const float *)x, incx, (float *)y, incy, p), \
                     fa_##name##_forward_strided_f64(n, (const double *)x, incx, (double *)y, incy, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_backward(fa_activation act, fa_dtype dtype, size_t n, const void *dy, ptrdiff_t incdy,
                      const void *x, ptrdiff_t incx, const void *y, ptrdiff_t incy, void *dx,
                      ptrdiff_t incdx, const fa_params *p) {
    switch (act) {
#define FA_ELTWISE(name, NAME, id, nparams, from_y)                                                 \
    case FA_##NAME:                                                                                 \
        FA_DISPATCH_(fa_##name##_backward_strided_f32(n, (const float *)dy, incdy, (const float *)x, \
                                                      incx, (const float *)y, incy, (float *)dx,    \
                                                      incdx, p),                                    \
                     fa_##name##_backward_strided_f64(n, (const double *)dy, incdy,                 \
                                                      (const double *)x, incx, (const double *)y,   \
                                                      incy, (double *)dx, incdx, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_rowwise_forward(fa_activation act, fa_dtype dtype, size_t rows, size_t cols,
                             const void *x, ptrdiff_t ldx, ptrdiff_t incx, void *y, ptrdiff_t ldy,
                             ptrdiff_t incy, const fa_params *p) {
    switch (act) {
#define FA_ROWWISE(name, NAME, id, nparams, from_y)                                              \
    case FA_##NAME:                                                                              \
        FA_DISPATCH_(fa__##name##_rowfwd_checked_f32(rows, cols, (const float *)x, ldx, incx,     \
                                                     (float *)y, ldy, incy, p),                  \
                     fa__##name##_rowfwd_checked_f64(rows, cols, (const double *)x, ldx, incx,    \
                                                     (double *)y, ldy, incy, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_rowwise_backward(fa_activation act, fa_dtype dtype, size_t rows, size_t cols,
                              const void *dy, ptrdiff_t lddy, ptrdiff_t incdy, const void *x,
                              ptrdiff_t ldx, ptrdiff_t incx, const void *y, ptrdiff_t ldy,
                              ptrdiff_t incy, void *dx, ptrdiff_t lddx, ptrdiff_t incdx,
                              const fa_params *p) {
    if (!x && !y && rows && cols) return FA_ERR_NULL_POINTER;
    switch (act) {
#define FA_ROWWISE(name, NAME, id, nparams, from_y)                                                \
    case FA_##NAME:                                                                                \
        FA_DISPATCH_(fa__##name##_rowbwd_checked_f32(rows, cols, (const float *)dy, lddy, incdy,    \
                                                     (const float *)x, ldx, incx, (const float *)y, \
                                                     ldy, incy, (float *)dx, lddx, incdx, p),       \
                     fa__##name##_rowbwd_checked_f64(rows, cols, (const double *)dy, lddy, incdy,   \
                                                     (const double *)x, ldx, incx,                  \
                                                     (const double *)y, ldy, incy, (double *)dx,    \
                                                     lddx, incdx, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_channelwise_forward(fa_activation act, fa_dtype dtype, size_t outer, size_t channels,
                                 size_t inner, const void *x, const void *w, void *y) {
    switch (act) {
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y)                                          \
    case FA_##NAME:                                                                              \
        FA_DISPATCH_(fa_##name##_forward_f32(outer, channels, inner, (const float *)x,            \
                                             (const float *)w, (float *)y),                      \
                     fa_##name##_forward_f64(outer, channels, inner, (const double *)x,           \
                                             (const double *)w, (double *)y))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_channelwise_backward(fa_activation act, fa_dtype dtype, size_t outer, size_t channels,
                                  size_t inner, const void *dy, const void *x, const void *w,
                                  void *dx, void *dw) {
    switch (act) {
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y)                                          \
    case FA_##NAME:                                                                              \
        FA_DISPATCH_(fa_##name##_backward_f32(outer, channels, inner, (const float *)dy,          \
                                              (const float *)x, (const float *)w, (float *)dx,   \
                                              (float *)dw),                                      \
                     fa_##name##_backward_f64(outer, channels, inner, (const double *)dy,         \
                                              (const double *)x, (const double *)w,               \
                                              (double *)dx, (double *)dw))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_gated_forward(fa_activation act, fa_dtype dtype, size_t n, const void *a, ptrdiff_t inca,
                           const void *b, ptrdiff_t incb, void *y, ptrdiff_t incy, const fa_params *p) {
    switch (act) {
#define FA_GATED(name, NAME, id, nparams, from_y)                                                \
    case FA_##NAME:                                                                              \
        FA_DISPATCH_(fa_##name##_forward_strided_f32(n, (const float *)a, inca, (const float *)b, \
                                                     incb, (float *)y, incy, p),                 \
                     fa_##name##_forward_strided_f64(n, (const double *)a, inca,                  \
                                                     (const double *)b, incb, (double *)y, incy, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_gated_backward(fa_activation act, fa_dtype dtype, size_t n, const void *dy, ptrdiff_t incdy,
                            const void *a, ptrdiff_t inca, const void *b, ptrdiff_t incb, void *da,
                            ptrdiff_t incda, void *db, ptrdiff_t incdb, const fa_params *p) {
    switch (act) {
#define FA_GATED(name, NAME, id, nparams, from_y)                                                 \
    case FA_##NAME:                                                                               \
        FA_DISPATCH_(fa_##name##_backward_strided_f32(n, (const float *)dy, incdy, (const float *)a, \
                                                      inca, (const float *)b, incb, (float *)da,  \
                                                      incda, (float *)db, incdb, p),              \
                     fa_##name##_backward_strided_f64(n, (const double *)dy, incdy,               \
                                                      (const double *)a, inca, (const double *)b, \
                                                      incb, (double *)da, incda, (double *)db,    \
                                                      incdb, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_random_forward(fa_activation act, fa_dtype dtype, size_t n, const void *x, void *y,
                            uint64_t seed, uint64_t offset, const fa_params *p) {
    switch (act) {
#define FA_RANDOM(name, NAME, id, nparams, from_y)                                                \
    case FA_##NAME:                                                                               \
        FA_DISPATCH_(fa_##name##_forward_f32(n, (const float *)x, (float *)y, seed, offset, p),   \
                     fa_##name##_forward_f64(n, (const double *)x, (double *)y, seed, offset, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}

fa_status fa_random_backward(fa_activation act, fa_dtype dtype, size_t n, const void *dy, const void *x,
                             void *dx, uint64_t seed, uint64_t offset, const fa_params *p) {
    switch (act) {
#define FA_RANDOM(name, NAME, id, nparams, from_y)                                                 \
    case FA_##NAME:                                                                                \
        FA_DISPATCH_(fa_##name##_backward_f32(n, (const float *)dy, (const float *)x, (float *)dx, \
                                              seed, offset, p),                                    \
                     fa_##name##_backward_f64(n, (const double *)dy, (const double *)x,            \
                                              (double *)dx, seed, offset, p))
#include "fastact/activations.def"
    default: return FA_ERR_BAD_ACTIVATION;
    }
}
