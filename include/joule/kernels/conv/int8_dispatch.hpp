// The int8 KxK convolution kernels and which one a layer runs: the AVX2 kernel (patches through
// the int8 pointwise tile) where the target has AVX2 (x86-64-v3; AVX-512 targets keep the
// reference until a kernel of their own), the reference elsewhere. QuantizedConv calls them
// through run_int8<record>, so the record a layer reports is the kernel that runs.
#pragma once

#include <array>
#include <cstdint>

#include "joule/arch/facts.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/conv/int8_avx2.hpp"
#include "joule/kernels/conv/int8_reference.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::conv {

inline constexpr KernelRecord int8_reference_kernel{
    .dtype = DType::i8, .op = KernelOp::conv, .impl = KernelImpl::reference};

#if JOULE_SIMD && defined(__AVX2__)
inline constexpr bool has_int8_avx2 = arch::Facts<arch::Default>::avx2;
#else
inline constexpr bool has_int8_avx2 = false;
#endif

/// Every int8 convolution kernel of this target, the reference first.
inline constexpr auto int8_records = [] {
  std::array<KernelRecord, has_int8_avx2 ? 2 : 1> all{int8_reference_kernel};
  if constexpr (has_int8_avx2)
    all.back() = KernelRecord{.dtype = DType::i8, .op = KernelOp::conv, .impl = KernelImpl::simd};
  return all;
}();

/// The kernel int8 KxK convolution layers run.
constexpr KernelRecord choose_int8() {
  return int8_records.back();
}

/// Output rows [first_row, last_row), with kernel K.
template <KernelRecord K>
void run_int8(const ConvGeometry& g, const std::int8_t* input, std::int32_t input_zero_point,
              const std::int8_t* weights, const Int8Output& out_stage, std::int8_t* output,
              int first_row, int last_row) {
  static_assert(K.dtype == DType::i8 && K.op == KernelOp::conv);
  static_assert(!K.simd() || has_int8_avx2, "joule: an int8 SIMD record on a target without it");
#if JOULE_SIMD && defined(__AVX2__)
  if constexpr (K.simd()) {
    avx2_int8(g, input, input_zero_point, weights, out_stage, output, first_row, last_row);
    return;
  }
#endif
  reference_int8(g, input, input_zero_point, weights, out_stage, output, first_row, last_row);
}

}  // namespace joule::inline JOULE_TARGET::kernels::conv
