/*
 * fastact — fast activation functions and their gradients.  Public C API (C99).
 *
 * Every function returns an fa_status; none aborts, exits, allocates, or keeps
 * global state, so all are thread-safe.  A call with n == 0 (or rows/cols == 0)
 * does nothing and returns FA_OK, whatever its pointers.
 *
 * Elementwise activations (FA_ELTWISE in activations.def), for each NAME and
 * T/SFX in {float/f32, double/f64}:
 *
 *   fa_status fa_NAME_forward_SFX(size_t n, const T *x, T *y, const fa_params *p);
 *   fa_status fa_NAME_backward_SFX(size_t n, const T *dy, const T *x, const T *y,
 *                                  T *dx, const fa_params *p);
 *   fa_status fa_NAME_forward_strided_SFX(size_t n, const T *x, ptrdiff_t incx,
 *                                         T *y, ptrdiff_t incy, const fa_params *p);
 *   fa_status fa_NAME_backward_strided_SFX(size_t n, const T *dy, ptrdiff_t incdy,
 *                                          const T *x, ptrdiff_t incx,
 *                                          const T *y, ptrdiff_t incy,
 *                                          T *dx, ptrdiff_t incdx, const fa_params *p);
 *
 *   Backward computes dx = dy * f'(x).  Pass x, or pass x = NULL and the forward
 *   output y where the activation allows it (from_y = 1 in activations.def and
 *   the parameters allow it, e.g. elu needs alpha >= 0); otherwise
 *   FA_ERR_UNSUPPORTED.  Strides count elements and may be negative or zero for
 *   inputs; element i of x is x[i * incx] (x points at element 0).
 *
 * Row-wise activations (softmax, log_softmax), rows of `cols` contiguous
 * elements, row r starting at x + r * ldx:
 *
 *   fa_status fa_NAME_forward_SFX(size_t rows, size_t cols, const T *x, size_t ldx,
 *                                 T *y, size_t ldy);
 *   fa_status fa_NAME_backward_SFX(size_t rows, size_t cols, const T *dy, size_t lddy,
 *                                  const T *x, size_t ldx, const T *y, size_t ldy,
 *                                  T *dx, size_t lddx);
 *
 * Channel-wise activations (prelu) on a contiguous (outer, channels, inner)
 * array with one weight per channel:
 *
 *   fa_status fa_NAME_forward_SFX(size_t outer, size_t channels, size_t inner,
 *                                 const T *x, const T *w, T *y);
 *   fa_status fa_NAME_backward_SFX(size_t outer, size_t channels, size_t inner,
 *                                  const T *dy, const T *x, const T *w,
 *                                  T *dx, T *dw);   (dw: channels sums)
 *
 * Gated activations (GLU family: glu, reglu, swiglu, ...) take the two halves a, b of
 * the input (split by the caller along its axis):
 *
 *   fa_status fa_NAME_forward_SFX(size_t n, const T *a, const T *b, T *y, const fa_params *p);
 *   fa_status fa_NAME_backward_SFX(size_t n, const T *dy, const T *a, const T *b,
 *                                  T *da, T *db, const fa_params *p);
 *   (and _strided variants with a stride after every pointer)
 *
 * Random activations (dropout, rrelu) on contiguous arrays; element i draws
 * u = uniform(seed, offset + i) from fastact's counter-based generator, so the
 * backward regenerates the same mask:
 *
 *   fa_status fa_NAME_forward_SFX(size_t n, const T *x, T *y, uint64_t seed,
 *                                 uint64_t offset, const fa_params *p);
 *   fa_status fa_NAME_backward_SFX(size_t n, const T *dy, const T *x, T *dx,
 *                                  uint64_t seed, uint64_t offset, const fa_params *p);
 *
 * Aliasing: an output may be the very same array as an input (in place);
 * partial overlap is undefined.
 *
 * Parameters: fa_params holds up to FA_MAX_PARAMS doubles in the order of
 * activations.def (FA_PARAM_<NAME>_<PARAM> is the index); p == NULL means the
 * defaults, and fa_params_default() fills them.  Invalid values (NaN, or e.g.
 * softplus beta <= 0) give FA_ERR_BAD_PARAM.
 *
 * Generic entry points for bindings take an fa_activation and fa_dtype and
 * element strides for every operand; see fa_forward() and friends below.
 */
#ifndef FASTACT_FASTACT_H
#define FASTACT_FASTACT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(FASTACT_BUILDING)
#    define FA_API __declspec(dllexport)
#  else
#    define FA_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define FA_API __attribute__((visibility("default")))
#else
#  define FA_API
#endif

#define FASTACT_VERSION_MAJOR 0
#define FASTACT_VERSION_MINOR 1
#define FASTACT_VERSION_PATCH 0
#define FASTACT_VERSION_STRING "0.1.0"
/* Single number for comparisons: 10000 * major + 100 * minor + patch. */
#define FASTACT_VERSION \
    (FASTACT_VERSION_MAJOR * 10000 + FASTACT_VERSION_MINOR * 100 + FASTACT_VERSION_PATCH)

typedef enum fa_status {
    FA_OK = 0,
    FA_ERR_NULL_POINTER = 1,   /* a required pointer is NULL */
    FA_ERR_BAD_PARAM = 2,      /* a parameter value is invalid */
    FA_ERR_UNSUPPORTED = 3,    /* the operation is not defined (e.g. backward from y) */
    FA_ERR_BAD_ACTIVATION = 4, /* unknown fa_activation, or wrong kind for this entry point */
    FA_ERR_BAD_DTYPE = 5,      /* unknown or unsupported fa_dtype */
    FA_ERR_BAD_STRIDE = 6,     /* an output stride is 0 with n > 1, or ld < cols */
    FA_ERR_SIZE_OVERFLOW = 7   /* sizes or strides overflow the address space */
} fa_status;

typedef enum fa_dtype { FA_F32 = 0, FA_F64 = 1 } fa_dtype;

typedef enum fa_activation {
#define FA_ELTWISE(name, NAME, id, nparams, from_y) FA_##NAME = id,
#define FA_ROWWISE(name, NAME, id, nparams, from_y) FA_##NAME = id,
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y) FA_##NAME = id,
#define FA_GATED(name, NAME, id, nparams, from_y) FA_##NAME = id,
#define FA_RANDOM(name, NAME, id, nparams, from_y) FA_##NAME = id,
#include "fastact/activations.def"
    FA_ACTIVATION_COUNT
} fa_activation;

enum {
#define FA_PARAM(name, NAME, param, PARAM, index, default) FA_PARAM_##NAME##_##PARAM = index,
#include "fastact/activations.def"
    FA_PARAM_COUNT_SENTINEL_ = 0
};

#define FA_MAX_PARAMS 4
typedef struct fa_params {
    double v[FA_MAX_PARAMS];
} fa_params;

typedef enum fa_kind {
    FA_KIND_ELTWISE = 0,
    FA_KIND_ROWWISE = 1,
    FA_KIND_CHANNELWISE = 2,
    FA_KIND_GATED = 3,
    FA_KIND_RANDOM = 4
} fa_kind;

/* ---- library information ------------------------------------------------ */
FA_API const char *fa_version(void);                 /* "0.1.0" */
FA_API int fa_version_number(void);                  /* FASTACT_VERSION of the library */
FA_API const char *fa_status_string(fa_status status);
FA_API const char *fa_simd_level(void);              /* kernel variant chosen for this CPU */
FA_API int fa_activation_count(void);
FA_API const char *fa_activation_name(fa_activation act);  /* NULL if unknown */
FA_API int fa_activation_kind(fa_activation act);          /* fa_kind, or -1 if unknown */
FA_API int fa_activation_nparams(fa_activation act);       /* -1 if unknown */
FA_API int fa_activation_from_y(fa_activation act);        /* 1 if backward may use y */
FA_API fa_status fa_params_default(fa_activation act, fa_params *p);
FA_API fa_status fa_params_check(fa_activation act, const fa_params *p);

/* ---- generic entry points ------------------------------------------------ */
/* Elementwise forward/backward with element strides; x (and dx's other inputs) as above. */
FA_API fa_status fa_forward(fa_activation act, fa_dtype dtype, size_t n,
                            const void *x, ptrdiff_t incx, void *y, ptrdiff_t incy,
                            const fa_params *p);
FA_API fa_status fa_backward(fa_activation act, fa_dtype dtype, size_t n,
                             const void *dy, ptrdiff_t incdy, const void *x, ptrdiff_t incx,
                             const void *y, ptrdiff_t incy, void *dx, ptrdiff_t incdx,
                             const fa_params *p);
/* Row-wise: row r, column c of x is x[r * ldx + c * incx] (strides in elements). */
FA_API fa_status fa_rowwise_forward(fa_activation act, fa_dtype dtype, size_t rows, size_t cols,
                                    const void *x, ptrdiff_t ldx, ptrdiff_t incx,
                                    void *y, ptrdiff_t ldy, ptrdiff_t incy, const fa_params *p);
FA_API fa_status fa_rowwise_backward(fa_activation act, fa_dtype dtype, size_t rows, size_t cols,
                                     const void *dy, ptrdiff_t lddy, ptrdiff_t incdy,
                                     const void *x, ptrdiff_t ldx, ptrdiff_t incx,
                                     const void *y, ptrdiff_t ldy, ptrdiff_t incy,
                                     void *dx, ptrdiff_t lddx, ptrdiff_t incdx,
                                     const fa_params *p);
/* Channel-wise on contiguous (outer, channels, inner) arrays. */
FA_API fa_status fa_channelwise_forward(fa_activation act, fa_dtype dtype, size_t outer,
                                        size_t channels, size_t inner, const void *x,
                                        const void *w, void *y);
FA_API fa_status fa_channelwise_backward(fa_activation act, fa_dtype dtype, size_t outer,
                                         size_t channels, size_t inner, const void *dy,
                                         const void *x, const void *w, void *dx, void *dw);

/* Gated (GLU family): y = f(a, b) elementwise over the two halves; backward gives da and db. */
FA_API fa_status fa_gated_forward(fa_activation act, fa_dtype dtype, size_t n, const void *a,
                                  ptrdiff_t inca, const void *b, ptrdiff_t incb, void *y,
                                  ptrdiff_t incy, const fa_params *p);
FA_API fa_status fa_gated_backward(fa_activation act, fa_dtype dtype, size_t n, const void *dy,
                                   ptrdiff_t incdy, const void *a, ptrdiff_t inca, const void *b,
                                   ptrdiff_t incb, void *da, ptrdiff_t incda, void *db,
                                   ptrdiff_t incdb, const fa_params *p);

/* Random (dropout, rrelu): contiguous arrays; element i uses counter offset + i. */
FA_API fa_status fa_random_forward(fa_activation act, fa_dtype dtype, size_t n, const void *x,
                                   void *y, uint64_t seed, uint64_t offset, const fa_params *p);
FA_API fa_status fa_random_backward(fa_activation act, fa_dtype dtype, size_t n, const void *dy,
                                    const void *x, void *dx, uint64_t seed, uint64_t offset,
                                    const fa_params *p);

/* ---- typed entry points, one set per activation ------------------------------ */
#define FA_DECLARE_ELTWISE_(name, SFX, T)                                                    \
    FA_API fa_status fa_##name##_forward_##SFX(size_t n, const T *x, T *y, const fa_params *p); \
    FA_API fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *x, const T *y,  \
                                               T *dx, const fa_params *p);                    \
    FA_API fa_status fa_##name##_forward_strided_##SFX(size_t n, const T *x, ptrdiff_t incx,   \
                                                      T *y, ptrdiff_t incy,                   \
                                                      const fa_params *p);                    \
    FA_API fa_status fa_##name##_backward_strided_##SFX(                                     \
        size_t n, const T *dy, ptrdiff_t incdy, const T *x, ptrdiff_t incx, const T *y,       \
        ptrdiff_t incy, T *dx, ptrdiff_t incdx, const fa_params *p);
#define FA_DECLARE_ROWWISE_(name, SFX, T)                                                   \
    FA_API fa_status fa_##name##_forward_##SFX(size_t rows, size_t cols, const T *x,          \
                                              size_t ldx, T *y, size_t ldy);                  \
    FA_API fa_status fa_##name##_backward_##SFX(size_t rows, size_t cols, const T *dy,        \
                                               size_t lddy, const T *x, size_t ldx,           \
                                               const T *y, size_t ldy, T *dx, size_t lddx);
#define FA_DECLARE_CHANNELWISE_(name, SFX, T)                                                \
    FA_API fa_status fa_##name##_forward_##SFX(size_t outer, size_t channels, size_t inner,   \
                                              const T *x, const T *w, T *y);                  \
    FA_API fa_status fa_##name##_backward_##SFX(size_t outer, size_t channels, size_t inner,  \
                                               const T *dy, const T *x, const T *w, T *dx,    \
                                               T *dw);

#define FA_DECLARE_GATED_(name, SFX, T)                                                      \
    FA_API fa_status fa_##name##_forward_##SFX(size_t n, const T *a, const T *b, T *y,         \
                                              const fa_params *p);                            \
    FA_API fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *a, const T *b, \
                                               T *da, T *db, const fa_params *p);             \
    FA_API fa_status fa_##name##_forward_strided_##SFX(size_t n, const T *a, ptrdiff_t inca,   \
                                                      const T *b, ptrdiff_t incb, T *y,       \
                                                      ptrdiff_t incy, const fa_params *p);    \
    FA_API fa_status fa_##name##_backward_strided_##SFX(                                     \
        size_t n, const T *dy, ptrdiff_t incdy, const T *a, ptrdiff_t inca, const T *b,       \
        ptrdiff_t incb, T *da, ptrdiff_t incda, T *db, ptrdiff_t incdb, const fa_params *p);

#define FA_DECLARE_RANDOM_(name, SFX, T)                                                      \
    FA_API fa_status fa_##name##_forward_##SFX(size_t n, const T *x, T *y, uint64_t seed,       \
                                              uint64_t offset, const fa_params *p);           \
    FA_API fa_status fa_##name##_backward_##SFX(size_t n, const T *dy, const T *x, T *dx,       \
                                               uint64_t seed, uint64_t offset,                \
                                               const fa_params *p);

#define FA_ELTWISE(name, NAME, id, nparams, from_y) \
    FA_DECLARE_ELTWISE_(name, f32, float) FA_DECLARE_ELTWISE_(name, f64, double)
#define FA_RANDOM(name, NAME, id, nparams, from_y) \
    FA_DECLARE_RANDOM_(name, f32, float) FA_DECLARE_RANDOM_(name, f64, double)
#define FA_GATED(name, NAME, id, nparams, from_y) \
    FA_DECLARE_GATED_(name, f32, float) FA_DECLARE_GATED_(name, f64, double)
#define FA_ROWWISE(name, NAME, id, nparams, from_y) \
    FA_DECLARE_ROWWISE_(name, f32, float) FA_DECLARE_ROWWISE_(name, f64, double)
#define FA_CHANNELWISE(name, NAME, id, nparams, from_y) \
    FA_DECLARE_CHANNELWISE_(name, f32, float) FA_DECLARE_CHANNELWISE_(name, f64, double)
#include "fastact/activations.def"

#ifdef __cplusplus
}
#endif

#endif /* FASTACT_FASTACT_H */
