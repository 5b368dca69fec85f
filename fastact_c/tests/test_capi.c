/* Plain C test of the public API, compiled against the installed header and
 * library (tests/test_capi.py builds and runs it; see the README for flags). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <fastact/fastact.h>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (cond) {                                                       \
            passed++;                                                     \
        } else {                                                          \
            failed++;                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                 \
    } while (0)

static int close_d(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b) + 1e-300; }

static void test_info(void) {
    CHECK(strcmp(fa_version(), FASTACT_VERSION_STRING) == 0);
    CHECK(fa_version_number() == FASTACT_VERSION);
    CHECK(strcmp(fa_status_string(FA_OK), "success") == 0);
    CHECK(strlen(fa_status_string(FA_ERR_BAD_PARAM)) > 0);
    CHECK(strcmp(fa_status_string((fa_status)999), "unknown status") == 0);
    CHECK(fa_simd_level() != NULL);
    CHECK(fa_activation_count() == FA_ACTIVATION_COUNT);
    CHECK(strcmp(fa_activation_name(FA_SIGMOID), "sigmoid") == 0);
    CHECK(fa_activation_name((fa_activation)-1) == NULL);
    CHECK(fa_activation_name((fa_activation)FA_ACTIVATION_COUNT) == NULL);
    CHECK(fa_activation_kind(FA_SOFTMAX) == FA_KIND_ROWWISE);
    CHECK(fa_activation_kind(FA_PRELU) == FA_KIND_CHANNELWISE);
    CHECK(fa_activation_nparams(FA_HARDTANH) == 2);
    CHECK(fa_activation_from_y(FA_TANH) == 1 && fa_activation_from_y(FA_SOFTPLUS) == 0);
}

static void test_eltwise(void) {
    float x[7] = {-3.f, -1.f, -0.f, 0.f, 0.5f, 2.f, 7.f}, y[7], dx[7], dy[7];
    for (int i = 0; i < 7; i++) dy[i] = 1.f;
    CHECK(fa_relu_forward_f32(7, x, y, NULL) == FA_OK);
    CHECK(y[0] == 0.f && y[2] == 0.f && y[4] == 0.5f && y[6] == 7.f);
    CHECK(fa_relu6_forward_f32(7, x, y, NULL) == FA_OK && y[6] == 6.f);
    CHECK(fa_relu_backward_f32(7, dy, x, NULL, dx, NULL) == FA_OK);
    CHECK(dx[3] == 0.f && dx[4] == 1.f); /* relu'(0) = 0 */

    double xd[5] = {-2, -0.5, 0, 0.5, 2}, yd[5], dyd[5] = {1, 1, 1, 1, 1}, dxd[5];
    CHECK(fa_sigmoid_forward_f64(5, xd, yd, NULL) == FA_OK);
    for (int i = 0; i < 5; i++) CHECK(close_d(yd[i], 1 / (1 + exp(-xd[i])), 1e-15));
    CHECK(fa_sigmoid_backward_f64(5, dyd, NULL, yd, dxd, NULL) == FA_OK); /* from y */
    for (int i = 0; i < 5; i++) CHECK(close_d(dxd[i], yd[i] * (1 - yd[i]), 1e-15));
    CHECK(fa_tanh_forward_f64(5, xd, yd, NULL) == FA_OK);
    for (int i = 0; i < 5; i++) CHECK(close_d(yd[i], tanh(xd[i]), 1e-15));

    /* parameters: defaults, explicit, invalid */
    fa_params p;
    CHECK(fa_params_default(FA_ELU, &p) == FA_OK && p.v[FA_PARAM_ELU_ALPHA] == 1.0);
    p.v[FA_PARAM_ELU_ALPHA] = 0.5;
    CHECK(fa_elu_forward_f64(5, xd, yd, &p) == FA_OK);
    CHECK(close_d(yd[0], 0.5 * expm1(-2.0), 1e-15) && yd[4] == 2.0);
    p.v[FA_PARAM_ELU_ALPHA] = -1.0; /* elu' from y is not exact for alpha < 0 */
    CHECK(fa_elu_backward_f64(5, dyd, NULL, yd, dxd, &p) == FA_ERR_UNSUPPORTED);
    CHECK(fa_params_default(FA_SOFTPLUS, &p) == FA_OK && p.v[FA_PARAM_SOFTPLUS_THRESHOLD] == 20.0);
    p.v[FA_PARAM_SOFTPLUS_BETA] = 0.0;
    CHECK(fa_softplus_forward_f64(5, xd, yd, &p) == FA_ERR_BAD_PARAM);
    p.v[FA_PARAM_SOFTPLUS_BETA] = NAN;
    CHECK(fa_params_check(FA_SOFTPLUS, &p) == FA_ERR_BAD_PARAM);
    CHECK(fa_softplus_backward_f64(5, dyd, NULL, yd, dxd, NULL) == FA_ERR_UNSUPPORTED);
    CHECK(fa_params_default(FA_HARDTANH, &p) == FA_OK);
    p.v[FA_PARAM_HARDTANH_MIN_VAL] = 2.0; /* min > max */
    CHECK(fa_hardtanh_forward_f64(5, xd, yd, &p) == FA_ERR_BAD_PARAM);
}

static void test_strided_and_generic(void) {
    double x[10], y[10] = {0}, ref[5];
    for (int i = 0; i < 10; i++) x[i] = i - 5.0;
    /* every other element, written backwards */
    CHECK(fa_leaky_relu_forward_strided_f64(5, x, 2, y + 8, -2, NULL) == FA_OK);
    CHECK(fa_leaky_relu_forward_f64(5, (double[]){-5, -3, -1, 1, 3}, ref, NULL) == FA_OK);
    for (int i = 0; i < 5; i++) CHECK(y[8 - 2 * i] == ref[i]);
    CHECK(y[1] == 0.0);
    /* zero input stride broadcasts a scalar */
    float one = 1.f, out[4];
    CHECK(fa_forward(FA_SIGMOID, FA_F32, 4, &one, 0, out, 1, NULL) == FA_OK);
    CHECK(out[0] == out[3] && close_d(out[2], 1 / (1 + exp(-1.0)), 1e-7));
    /* in place */
    float v[3] = {-1.f, 0.f, 1.f};
    CHECK(fa_forward(FA_RELU, FA_F32, 3, v, 1, v, 1, NULL) == FA_OK && v[0] == 0.f && v[2] == 1.f);
    double d1[3] = {1, 1, 1}, xs[3] = {-1, 0.5, 2}, g[3];
    CHECK(fa_backward(FA_HARDTANH, FA_F64, 3, d1, 1, xs, 1, NULL, 0, g, 1, NULL) == FA_OK);
    CHECK(g[0] == 0 && g[1] == 1 && g[2] == 0);
}

static void test_errors(void) {
    float a[4] = {0}, b[4];
    CHECK(fa_relu_forward_f32(0, NULL, NULL, NULL) == FA_OK); /* n = 0: nothing to do */
    CHECK(fa_relu_forward_f32(4, NULL, b, NULL) == FA_ERR_NULL_POINTER);
    CHECK(fa_relu_forward_f32(4, a, NULL, NULL) == FA_ERR_NULL_POINTER);
    CHECK(fa_relu_backward_f32(4, a, NULL, NULL, b, NULL) == FA_ERR_NULL_POINTER);
    CHECK(fa_forward((fa_activation)12345, FA_F32, 4, a, 1, b, 1, NULL) == FA_ERR_BAD_ACTIVATION);
    CHECK(fa_forward((fa_activation)-7, FA_F32, 4, a, 1, b, 1, NULL) == FA_ERR_BAD_ACTIVATION);
    CHECK(fa_forward(FA_SOFTMAX, FA_F32, 4, a, 1, b, 1, NULL) == FA_ERR_BAD_ACTIVATION);
    CHECK(fa_forward(FA_RELU, (fa_dtype)9, 4, a, 1, b, 1, NULL) == FA_ERR_BAD_DTYPE);
    CHECK(fa_forward(FA_RELU, FA_F32, 4, a, 1, b, 0, NULL) == FA_ERR_BAD_STRIDE);
    CHECK(fa_forward(FA_RELU, FA_F32, SIZE_MAX, a, 1, b, 1, NULL) == FA_ERR_SIZE_OVERFLOW);
    CHECK(fa_forward(FA_RELU, FA_F32, 3, a, PTRDIFF_MAX, b, 1, NULL) == FA_ERR_SIZE_OVERFLOW);
    CHECK(fa_forward(FA_RELU, FA_F32, 3, a, PTRDIFF_MIN, b, 1, NULL) == FA_ERR_SIZE_OVERFLOW);
    CHECK(fa_params_default(FA_RELU, NULL) == FA_ERR_NULL_POINTER);
    CHECK(fa_rowwise_forward(FA_RELU, FA_F32, 1, 4, a, 4, 1, b, 4, 1, NULL) == FA_ERR_BAD_ACTIVATION);
    CHECK(fa_softmax_forward_f32(2, 4, a, 3, b, 4) == FA_ERR_BAD_STRIDE);
    CHECK(fa_rowwise_backward(FA_SOFTMAX, FA_F32, 1, 4, a, 4, 1, NULL, 0, 0, NULL, 0, 0, b, 4, 1, NULL)
          == FA_ERR_NULL_POINTER);
    CHECK(fa_channelwise_forward(FA_PRELU, FA_F32, 1, 1, 4, a, NULL, b) == FA_ERR_NULL_POINTER);
    CHECK(fa_channelwise_forward(FA_PRELU, FA_F32, SIZE_MAX, 2, 2, a, a, b) == FA_ERR_SIZE_OVERFLOW);
}

static void test_rowwise(void) {
    double x[2][3] = {{1, 2, 3}, {-INFINITY, -INFINITY, -INFINITY}}, y[2][3], dy[2][3] = {{1, 0, 0}, {0, 0, 0}};
    double dx[2][3], dx2[2][3];
    CHECK(fa_softmax_forward_f64(2, 3, &x[0][0], 3, &y[0][0], 3) == FA_OK);
    double s = exp(-2.0) + exp(-1.0) + 1;
    CHECK(close_d(y[0][2], 1 / s, 1e-15) && close_d(y[0][0], exp(-2.0) / s, 1e-15));
    CHECK(isnan(y[1][0])); /* a row of all -inf gives NaN, as PyTorch */
    CHECK(fa_softmax_backward_f64(1, 3, &dy[0][0], 3, &x[0][0], 3, NULL, 0, &dx[0][0], 3) == FA_OK);
    CHECK(fa_softmax_backward_f64(1, 3, &dy[0][0], 3, NULL, 0, &y[0][0], 3, &dx2[0][0], 3) == FA_OK);
    for (int c = 0; c < 3; c++) {
        double ref = y[0][c] * ((c == 0) - y[0][0]);
        CHECK(close_d(dx[0][c], ref, 1e-13) && close_d(dx2[0][c], ref, 1e-13));
    }
    float xf[4] = {0.f, -30.f, 1.f, 1.f}, lf[4];
    CHECK(fa_log_softmax_forward_f32(2, 2, xf, 2, lf, 2) == FA_OK);
    CHECK(lf[0] < 0.f && close_d(lf[0], -exp(-30.0), 1e-6)); /* tiny terms kept */
    CHECK(close_d(lf[2], -log(2.0), 1e-7) && lf[2] == lf[3]);
}

static void test_prelu(void) {
    /* (outer=2, channels=2, inner=2) */
    float x[8] = {-1, 2, -3, 4, -5, 6, -7, 8}, w[2] = {0.1f, 0.2f}, y[8], dy[8], dx[8], dw[2];
    for (int i = 0; i < 8; i++) dy[i] = 1.f;
    CHECK(fa_prelu_forward_f32(2, 2, 2, x, w, y) == FA_OK);
    CHECK(y[0] == -1 * 0.1f && y[2] == -3 * 0.2f && y[4] == -5 * 0.1f && y[5] == 6.f);
    CHECK(fa_prelu_backward_f32(2, 2, 2, dy, x, w, dx, dw) == FA_OK);
    CHECK(dx[0] == 0.1f && dx[1] == 1.f && dx[2] == 0.2f);
    CHECK(dw[0] == -6.f && dw[1] == -10.f); /* sums of x where x <= 0, per channel */
}

int main(void) {
    test_info();
    test_eltwise();
    test_strided_and_generic();
    test_errors();
    test_rowwise();
    test_prelu();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
