/*
 * ulp_sweep.c - exhaustive float32 accuracy sweep of fastact's elementwise activations.
 *
 * Built and run by tools/ulp_sweep.py, which compiles fastact_c/src/fastact.c (the
 * current sources, with the library's own C flags) into this program together with a
 * generated header ULP_SWEEP_GEN (ulp_sweep_gen.h in the build directory) that holds,
 * for every unary elementwise activation of fastact/_registry.py:
 *   - the library's float32 entry points fa_NAME_forward_f32 / fa_NAME_backward_f32,
 *   - a float64 reference: the registry formula evaluated in double with glibc libm
 *     (exp, expm1, log1p, tanh, erfc, ... instead of fastact's fa_math.h), and
 *   - the registry bounds ulp[0] / ulp_backward[0] and the ulp_cond flag.
 *
 * For every float32 bit pattern b (or every K-th with --step K) the sweep computes
 *   forward:  y  = f(x)            against ref_fwd(x)
 *   backward: dx = dy * f'(x)      against dy * ref_bwd(1, x), dy a hash of b in [-2, 2)
 * and grades the error in ULPs exactly as tests/reference.py:ulp_error and
 * tests/accuracy.py (measure_forward / measure_backward) do:
 *   err = |got - ref| / spacing(|float(ref)|); 0 or inf where float(ref) is inf/NaN;
 *   backward for |x| < 8 in ULPs of max(|dx|, |dy|/4); ulp_cond: minus 2 * cond(x);
 *   subnormal results per (1 + |x|) (forward) or (1 + |x|)^3 (backward) subnormal ULPs.
 *
 * The library is called on contiguous chunks (its vectorized loop, as users call it);
 * chunks are distributed over OpenMP threads.  Output: one tab-separated RESULT line
 * per (activation, direction) on stdout, parsed by tools/ulp_sweep.py.
 *
 * Usage: ulp_sweep [--step K] [--only name1,name2] [--threads T]
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fastact/fastact.h>

typedef fa_status (*fwd_f32_fn)(size_t, const float *, float *, const fa_params *);
typedef fa_status (*bwd_f32_fn)(size_t, const float *, const float *, const float *, float *,
                                const fa_params *);
typedef double (*ref_fwd_fn)(double, const double *);
typedef double (*ref_bwd_fn)(double, double, const double *);

typedef struct {
    const char *name;
    fwd_f32_fn fwd;
    bwd_f32_fn bwd;
    ref_fwd_fn ref_fwd;
    ref_bwd_fn ref_bwd;
    double params[FA_MAX_PARAMS]; /* registry defaults */
    double ulp_fwd, ulp_bwd;      /* registry float32 bounds */
    int ulp_cond;
} sweep_fn;

#include ULP_SWEEP_GEN /* defines SWEEP_FNS[] */

#define CHUNK 65536
#define NPAT (UINT64_C(1) << 32)

typedef struct {
    double max_err, raw_max;
    uint32_t worst_bits;
    float worst_got;
    double worst_ref;
    uint64_t above, evaluated, special_mismatch;
} acc_t;

static float bits2f(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t f2bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* np.spacing(a) for finite a >= 0 in float32: the distance to the next float32 up
 * (inf above FLT_MAX, as NumPy). */
static inline double spacing_f32(float a) {
    const uint32_t b = f2bits(a);
    return b >= 0x7f7fffffu ? INFINITY : (double)bits2f(b + 1) - (double)a;
}

/* tests/reference.py:_ulp_error for one element (float64 reference). */
static inline double ulp_err(float got, double ref) {
    const float rd = (float)ref;
    if (!isfinite(rd)) return (got == rd || (isnan(got) && isnan(rd))) ? 0.0 : INFINITY;
    if (!isfinite(got)) return INFINITY;
    return fabs((double)got - ref) / spacing_f32(fabsf(rd));
}

static float dy_of(uint32_t b) { /* deterministic "random" dy in [-2, 2) (splitmix64 of b) */
    uint64_t z = (uint64_t)b + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (float)((double)(z >> 40) * 0x1p-24 * 4.0 - 2.0);
}

static double cond_of(double x, double f, double d) { /* |x f'(x) / f(x)|, 0 where undefined */
    const double c = fabs(x * d / f);
    return isfinite(c) ? c : 0.0;
}

static void acc_add(acc_t *a, double err, double raw, uint32_t b, float got, double ref, double bound) {
    a->evaluated++;
    if (raw > a->raw_max || isnan(raw)) a->raw_max = raw;
    if (isinf(err) && isnan(ref) != isnan((double)got)) a->special_mismatch++;
    if (err > bound) a->above++;
    if (err > a->max_err) {
        a->max_err = err;
        a->worst_bits = b;
        a->worst_got = got;
        a->worst_ref = ref;
    }
}

static void acc_merge(acc_t *into, const acc_t *a) {
    if (a->evaluated == 0) return;
    if (into->evaluated == 0 || a->max_err > into->max_err ||
        (a->max_err == into->max_err && a->worst_bits < into->worst_bits)) {
        into->max_err = a->max_err;
        into->worst_bits = a->worst_bits;
        into->worst_got = a->worst_got;
        into->worst_ref = a->worst_ref;
    }
    if (a->raw_max > into->raw_max) into->raw_max = a->raw_max;
    into->above += a->above;
    into->evaluated += a->evaluated;
    into->special_mismatch += a->special_mismatch;
}

static void print_result(const sweep_fn *f, const char *dir, const acc_t *a, double bound, double secs,
                         int status) {
    printf("RESULT\t%s\t%s\t%.6g\t0x%08x\t%.9g\t%.9g\t%.17g\t%llu\t%g\t%llu\t%.3f\t%.6g\t%llu\t%d\n",
           f->name, dir, a->max_err, (unsigned)a->worst_bits, (double)bits2f(a->worst_bits),
           (double)a->worst_got, a->worst_ref, (unsigned long long)a->above, bound,
           (unsigned long long)a->evaluated, secs, a->raw_max, (unsigned long long)a->special_mismatch,
           status);
    fflush(stdout);
}

static int sweep_one(const sweep_fn *f, uint64_t step) {
    fa_params p;
    memcpy(p.v, f->params, sizeof p.v);
    double pr[FA_MAX_PARAMS]; /* the reference uses the parameters rounded to float32, as the kernel */
    for (int k = 0; k < FA_MAX_PARAMS; k++) pr[k] = (double)(float)f->params[k];
    const uint64_t total = (NPAT + step - 1) / step;
    const uint64_t nchunks = (total + CHUNK - 1) / CHUNK;
    acc_t fwd_tot = {0}, bwd_tot = {0};
    fwd_tot.max_err = bwd_tot.max_err = -INFINITY;
    int bad_status = 0;
    const double t0 = omp_get_wtime();
#pragma omp parallel
    {
        float *x = malloc(CHUNK * sizeof(float)), *y = malloc(CHUNK * sizeof(float));
        float *dy = malloc(CHUNK * sizeof(float)), *dx = malloc(CHUNK * sizeof(float));
        acc_t af = {0}, ab = {0};
        af.max_err = ab.max_err = -INFINITY;
        int bad = (!x || !y || !dy || !dx);
#pragma omp for schedule(dynamic, 4)
        for (uint64_t c = 0; c < nchunks; c++) {
            if (bad) continue;
            const uint64_t i0 = c * CHUNK;
            const size_t n = (size_t)(total - i0 < CHUNK ? total - i0 : CHUNK);
            for (size_t j = 0; j < n; j++) {
                const uint32_t b = (uint32_t)((i0 + j) * step);
                x[j] = bits2f(b);
                dy[j] = dy_of(b);
            }
            if (f->fwd(n, x, y, &p) != FA_OK || f->bwd(n, dy, x, NULL, dx, &p) != FA_OK) {
                bad = 1;
                continue;
            }
            for (size_t j = 0; j < n; j++) {
                const uint32_t b = (uint32_t)((i0 + j) * step);
                const double xd = (double)x[j], r = f->ref_fwd(xd, pr), d = f->ref_bwd(1.0, xd, pr);
                /* forward */
                double raw = ulp_err(y[j], r), err = raw;
                if (f->ulp_cond) err -= 2 * cond_of(xd, r, d);
                if (fabs(r) < (double)FLT_MIN) err /= 1 + fabs(xd);
                acc_add(&af, err, raw, b, y[j], r, f->ulp_fwd);
                /* backward: dx = dy * f'(x) */
                const double rb = (double)dy[j] * d;
                raw = ulp_err(dx[j], rb);
                err = raw;
                const float rbf = (float)rb;
                const double floor_ = spacing_f32(fabsf(dy[j]) / 4), scale = spacing_f32(fabsf(rbf));
                if (fabs(xd) < 8 && isfinite(rbf) && floor_ > scale) err = err * scale / floor_;
                if (f->ulp_cond) err -= 2 * cond_of(xd, r, d);
                if (fabs(rb) < (double)FLT_MIN) {
                    const double t = 1 + fabs(xd);
                    err /= t * t * t;
                }
                acc_add(&ab, err, raw, b, dx[j], rb, f->ulp_bwd);
            }
        }
#pragma omp critical
        {
            acc_merge(&fwd_tot, &af);
            acc_merge(&bwd_tot, &ab);
            bad_status |= bad;
        }
        free(x);
        free(y);
        free(dy);
        free(dx);
    }
    const double secs = omp_get_wtime() - t0;
    print_result(f, "fwd", &fwd_tot, f->ulp_fwd, secs, bad_status);
    print_result(f, "bwd", &bwd_tot, f->ulp_bwd, secs, bad_status);
    return bad_status;
}

static int selected(const char *only, const char *name) {
    if (!only) return 1;
    const size_t len = strlen(name);
    for (const char *s = only; *s;) {
        const char *e = strchr(s, ',');
        const size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == len && strncmp(s, name, len) == 0) return 1;
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    uint64_t step = 1;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--step") && i + 1 < argc) {
            step = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            omp_set_num_threads(atoi(argv[++i]));
        } else if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < sizeof SWEEP_FNS / sizeof SWEEP_FNS[0]; k++) puts(SWEEP_FNS[k].name);
            return 0;
        } else {
            fprintf(stderr, "usage: %s [--step K] [--only a,b] [--threads T] [--list]\n", argv[0]);
            return 2;
        }
    }
    if (step == 0 || step > NPAT) {
        fprintf(stderr, "--step must be in [1, 2^32]\n");
        return 2;
    }
    printf("INFO\tsimd=%s\tthreads=%d\tstep=%llu\n", fa_simd_level(), omp_get_max_threads(),
           (unsigned long long)step);
    int rc = 0, found = 0;
    for (size_t k = 0; k < sizeof SWEEP_FNS / sizeof SWEEP_FNS[0]; k++) {
        if (!selected(only, SWEEP_FNS[k].name)) continue;
        found++;
        rc |= sweep_one(&SWEEP_FNS[k], step);
    }
    if (!found) {
        fprintf(stderr, "no activation selected\n");
        return 2;
    }
    return rc ? 1 : 0;
}
