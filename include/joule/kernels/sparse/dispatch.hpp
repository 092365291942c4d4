// The sparse pointwise kernels and which one a layer runs: the SIMD kernel (simd.hpp) on targets
// xsimd supports, the reference elsewhere. Records name the pixel block as the tile, pixels x
// output channels per pass: "f32_sppointwise_32x1__fma3+avx2" (XNNPACK's spmm names its tiles
// the same way).
//
// A layer holding a SparseStorage (sparse_matrix.hpp) calls
//   sparse::run<sparse::choose(), Act>(first_pixel, last_pixel, storage.view(), in, bias, residual,
//   out);
// and reports sparse::choose().name().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "joule/arch/simd.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/sparse/reference.hpp"
#include "joule/kernels/sparse/simd.hpp"
#include "joule/kernels/sparse/sparse_matrix.hpp"

namespace joule::inline JOULE_TARGET::kernels::sparse {

inline constexpr KernelRecord reference_kernel{.op = KernelOp::sparse_pointwise,
                                               .impl = KernelImpl::reference};

/// Registers of pixels per block of the SIMD kernel: 4 (32 pixels on AVX2). Measured on Zen 3 over
/// the MobileNetV2 and Fashion-MNIST student shapes at 70 and 90% sparsity, 4 and 8 registers tied
/// (each within 0.89 of the best on average, 2 registers 0.78, 1 register 0.59); 4 wastes fewer
/// pixels in the tail of 7x7 and 14x14 layers. One block per record, as XNNPACK's 32x1 spmm.
inline constexpr int block_vectors = 4;

/// Every sparse pointwise kernel of this target, the reference first.
#if JOULE_SIMD
inline constexpr std::array<KernelRecord, 2> records{
    reference_kernel,
    KernelRecord{.op = KernelOp::sparse_pointwise,
                 .impl = KernelImpl::simd,
                 .tile_rows = static_cast<std::uint8_t>(block_vectors * arch::lanes),
                 .tile_cols = 1}};
#else
inline constexpr std::array<KernelRecord, 1> records{reference_kernel};
#endif

/// The kernel sparse pointwise layers run.
constexpr KernelRecord choose() {
  return records.back();
}

/// Pixels [first, last) and output channels [first_channel, last_channel) of
/// out = Act(in * W^T + bias + residual), with kernel K; bias and residual may be null; output
/// must not overlap input or residual.
template <KernelRecord K, Activation Act>
void run_block(std::size_t first, std::size_t last, int first_channel, int last_channel,
               const SparseMatrixView& weights, const float* input, const float* bias,
               const float* residual, float* output) {
  static_assert(K.op == KernelOp::sparse_pointwise, "joule: not a sparse pointwise record");
  JOULE_IF_SIMD(
      K, simd<arch::Default, Act, K.tile_rows / static_cast<int>(arch::lanes)>(
             first, last, first_channel, last_channel, weights, input, bias, residual, output)) {
    const std::size_t in_channels = static_cast<std::size_t>(weights.cols);
    const std::size_t out_channels = static_cast<std::size_t>(weights.rows);
    reference<Act>(
        last - first, weights, input + first * in_channels, bias, output + first * out_channels,
        residual ? residual + first * out_channels : nullptr, first_channel, last_channel);
  }
}

/// Pixels [first, last), every output channel.
template <KernelRecord K, Activation Act>
void run(std::size_t first, std::size_t last, const SparseMatrixView& weights, const float* input,
         const float* bias, const float* residual, float* output) {
  run_block<K, Act>(first, last, 0, weights.rows, weights, input, bias, residual, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::sparse
