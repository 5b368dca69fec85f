// fastact.torch's eager path in C++: elementwise activations as a torch::autograd::Function that
// calls libfastact's C kernels directly, so a call costs PyTorch's own op plus a few microseconds
// instead of a Python autograd node's ~30. Built on first use of fastact.torch (fastact/_torch_cpp.py:
// torch.utils.cpp_extension, -O2, cached by torch version and source hash); contiguous CPU
// float32/float64 tensors only, checked by the caller (the Python path takes everything else).
#include <torch/extension.h>

#include "fastact/fastact.h"

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

fa_dtype dtype_of(const at::Tensor &t) { return t.scalar_type() == at::kFloat ? FA_F32 : FA_F64; }

void check(fa_status s, int64_t act) {
    TORCH_CHECK(s == FA_OK, "fastact: ", fa_activation_name((fa_activation)act), ": ", fa_status_string(s));
}

fa_params params(double p0, double p1, double p2, double p3) {
    fa_params p;
    p.v[0] = p0, p.v[1] = p1, p.v[2] = p2, p.v[3] = p3;
    return p;
}

struct Eltwise : public torch::autograd::Function<Eltwise> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, int64_t act, bool from_y, double p0,
                              double p1, double p2, double p3) {
        const fa_params p = params(p0, p1, p2, p3);
        at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
        check(fa_forward((fa_activation)act, dtype_of(x), (size_t)x.numel(), x.data_ptr(), 1, y.data_ptr(), 1, &p),
              act);
        ctx->save_for_backward({from_y ? y : x});
        // one small integer (no allocation in the IValue); the parameters only when there are any
        ctx->saved_data["a"] = act * 2 + (from_y ? 1 : 0);
        if (p0 != 0.0 || p1 != 0.0 || p2 != 0.0 || p3 != 0.0) ctx->saved_data["p"] = std::vector<double>{p0, p1, p2, p3};
        return y;
    }

    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        const int64_t a = ctx->saved_data["a"].toInt(), act = a / 2;
        // the backward kernels have no derivative of their own: refuse instead of a silent zero
        TORCH_CHECK(!at::GradMode::is_enabled(), "fastact.torch.", fa_activation_name((fa_activation)act),
                    ": second derivatives (create_graph=True) are not implemented");
        const bool from_y = a % 2;
        fa_params p = params(0.0, 0.0, 0.0, 0.0);
        const auto it = ctx->saved_data.find("p");
        if (it != ctx->saved_data.end()) {
            const auto pv = it->second.toDoubleVector();
            p = params(pv[0], pv[1], pv[2], pv[3]);
        }
        const at::Tensor s = ctx->get_saved_variables()[0];
        const at::Tensor dy = grads[0].to(s.scalar_type()).contiguous();
        at::Tensor dx = at::empty_like(s, at::MemoryFormat::Contiguous);
        const void *sp = s.data_ptr();
        check(fa_backward((fa_activation)act, dtype_of(s), (size_t)s.numel(), dy.data_ptr(), 1,
                          from_y ? nullptr : sp, 1, from_y ? sp : nullptr, 1, dx.data_ptr(), 1, &p),
              act);
        return {dx, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

// y = f(x) with a C++ autograd node for the tensors this path takes (a plain contiguous CPU
// float32/float64 tensor of fewer than max_n elements), else None: the caller's Python path
// serves it. One call, the checks in C++.
py::object eltwise_if(const at::Tensor &x, int64_t max_n, int64_t act, bool from_y, double p0, double p1,
                      double p2, double p3) {
    const auto st = x.scalar_type();
    if (!((st == at::kFloat || st == at::kDouble) && x.device().is_cpu() && x.layout() == at::kStrided &&
          x.is_contiguous() && !x.is_neg() && !x.is_conj() && x.numel() < max_n))
        return py::none();
    return py::cast(Eltwise::apply(x, act, from_y, p0, p1, p2, p3));
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
    m.def("eltwise_if", &eltwise_if,
          "y = f(x) with a C++ autograd node for the tensors this path takes, else None: "
          "(x, max_n, act, from_y, p0, p1, p2, p3)");
}
