// The int8 pointwise kernels and which one a layer runs: the AVX2 tile where the target has AVX2
// (x86-64-v3; AVX-512 targets keep the reference until a kernel of their own), the reference
// elsewhere. Every int8 pointwise call (QuantizedConv, the fused int8 inverted residual) goes
// through run_int8<record>, so the record a layer reports is the kernel that runs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "joule/arch/facts.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/int8_avx2.hpp"
#include "joule/kernels/pointwise/int8_reference.hpp"

namespace joule::inline JOULE_TARGET::kernels::pointwise {

inline constexpr KernelRecord int8_reference_kernel{
    .dtype = DType::i8, .op = KernelOp::pointwise, .impl = KernelImpl::reference};

#if JOULE_SIMD && defined(__AVX2__)
inline constexpr bool has_int8_avx2 = arch::Facts<arch::Default>::avx2;
#else
inline constexpr bool has_int8_avx2 = false;
#endif

/// Every int8 pointwise kernel of this target, the reference first.
inline constexpr auto int8_records = [] {
  std::array<KernelRecord, has_int8_avx2 ? 2 : 1> all{int8_reference_kernel};
  if constexpr (has_int8_avx2)
    all.back() = KernelRecord{.dtype = DType::i8,
                              .op = KernelOp::pointwise,
                              .impl = KernelImpl::simd,
                              .tile_rows = 6,
                              .tile_cols = 16};
  return all;
}();

/// The kernel int8 pointwise layers run.
constexpr KernelRecord choose_int8() {
  return int8_records.back();
}

/// Pixels [first, last), output channels [first_channel, last_channel) of the int8 pointwise
/// convolution, with kernel K (one of int8_records).
template <KernelRecord K>
void run_int8(std::size_t first, std::size_t last, int first_channel, int last_channel,
              int in_channels, int out_channels, const std::int8_t* input,
              std::int32_t input_zero_point, const std::int8_t* weights,
              const Int8Output& out_stage, std::int8_t* output) {
  static_assert(K.dtype == DType::i8 && K.op == KernelOp::pointwise);
  static_assert(!K.simd() || has_int8_avx2, "joule: an int8 SIMD record on a target without it");
#if JOULE_SIMD && defined(__AVX2__)
  if constexpr (K.simd()) {
    avx2_int8(first, last, first_channel, last_channel, in_channels, out_channels, input,
              input_zero_point, weights, out_stage, output);
    return;
  }
#endif
  reference_int8(first, last, first_channel, last_channel, in_channels, out_channels, input,
                 input_zero_point, weights, out_stage, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::pointwise
