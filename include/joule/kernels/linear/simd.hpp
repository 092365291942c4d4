// SIMD fully connected layer (a matrix-vector product) on packed weights: a few panels of 32
// output features at a time, eight registers of accumulators (enough independent chains to cover
// the FMA latency), each input feature broadcast against the panels' rows, read in order.
#pragma once

#include <cstddef>

#include "joule/arch/partial.hpp"
#include "joule/arch/simd.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/core/target.hpp"

#if JOULE_SIMD

JOULE_SIMD_CODE_BEGIN
namespace joule::inline JOULE_TARGET::kernels::linear {

namespace detail {
/// Panels [p0, p0 + Panels) of the output, Vectors registers per panel.
template <class Arch, int Panels, Activation Act>
inline void panels(int in_features, int out_features, int p0, const float* input, const float* weights,
                   const float* bias, float* output) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr int lanes = static_cast<int>(Batch::size);
  constexpr int vectors = gemm::panel_width / lanes;
  const std::size_t panel_floats = static_cast<std::size_t>(in_features) * gemm::panel_width;
  Batch acc[Panels][vectors];
  JOULE_UNROLL for (int p = 0; p < Panels; ++p) {
    JOULE_UNROLL for (int v = 0; v < vectors; ++v) {
      acc[p][v] = bias ? Batch::load_unaligned(bias + static_cast<std::size_t>(p0 + p) * gemm::panel_width + v * lanes)
                        : Batch(0.0f);
    }
  }
  const float* w = weights + static_cast<std::size_t>(p0) * panel_floats;
  for (int i = 0; i < in_features; ++i, w += gemm::panel_width) {
    const Batch x(input[i]);
    JOULE_UNROLL for (int p = 0; p < Panels; ++p) {
      JOULE_UNROLL for (int v = 0; v < vectors; ++v) {
        acc[p][v] = xsimd::fma(x, Batch::load_unaligned(w + p * panel_floats + v * lanes), acc[p][v]);
      }
    }
  }
  JOULE_UNROLL for (int p = 0; p < Panels; ++p) {
    JOULE_UNROLL for (int v = 0; v < vectors; ++v) {
      const std::size_t first = static_cast<std::size_t>(p0 + p) * gemm::panel_width + v * lanes;
      const std::size_t outputs = static_cast<std::size_t>(out_features);
      const Batch value = Act::apply_batch(acc[p][v]);
      if (first + lanes <= outputs) {
        value.store_unaligned(output + first);
      } else if (first < outputs) {
        arch::store_partial<Arch>(output + first, value, outputs - first);
      }
    }
  }
}
}  // namespace detail

/// Act(input * W + bias) for the outputs of panels [first_panel, last_panel); W packed [in][out],
/// bias padded or null; about `Accumulators` registers of independent sums.
template <class Arch, int Accumulators, Activation Act>
void simd(int first_panel, int last_panel, int in_features, int out_features, const float* input,
          const float* weights, const float* bias, float* output) {
  constexpr int lanes = static_cast<int>(xsimd::batch<float, Arch>::size);
  // `Accumulators` registers: as many panels as that allows.
  constexpr int group =
      lanes * Accumulators / gemm::panel_width > 0 ? lanes * Accumulators / gemm::panel_width : 1;
  const int panel_count = last_panel;
  int p = first_panel;
  for (; p + group <= panel_count; p += group)
    detail::panels<Arch, group, Act>(in_features, out_features, p, input, weights, bias, output);
  for (; p < panel_count; ++p) detail::panels<Arch, 1, Act>(in_features, out_features, p, input, weights, bias, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::linear
JOULE_SIMD_CODE_END

#endif  // JOULE_SIMD
