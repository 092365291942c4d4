// The int8 depthwise kernels and which one a layer runs: the AVX2 kernel where the target has
// AVX2 (x86-64-v3; AVX-512 targets keep the reference until a kernel of their own), the
// reference elsewhere. QuantizedConv and the fused int8 inverted residual call them through
// run_int8 / run_row_int8<record>, so the record a layer reports is the kernel that runs.
#pragma once

#include <array>
#include <cstdint>

#include "joule/arch/facts.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/depthwise/int8_avx2.hpp"
#include "joule/kernels/depthwise/int8_reference.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace joule::inline JOULE_TARGET::kernels::depthwise {

inline constexpr KernelRecord int8_reference_kernel{
    .dtype = DType::i8, .op = KernelOp::dwconv, .impl = KernelImpl::reference};

#if JOULE_SIMD && defined(__AVX2__)
inline constexpr bool has_int8_avx2 = arch::Facts<arch::Default>::avx2;
#else
inline constexpr bool has_int8_avx2 = false;
#endif

/// Every int8 depthwise kernel of this target, the reference first.
inline constexpr auto int8_records = [] {
  std::array<KernelRecord, has_int8_avx2 ? 2 : 1> all{int8_reference_kernel};
  if constexpr (has_int8_avx2)
    all.back() = KernelRecord{.dtype = DType::i8, .op = KernelOp::dwconv, .impl = KernelImpl::simd};
  return all;
}();

/// The kernel int8 depthwise layers run.
constexpr KernelRecord choose_int8() {
  return int8_records.back();
}

/// One output row from the input rows under it (null over the padding), with kernel K.
template <KernelRecord K>
void run_row_int8(const ConvGeometry& g, const std::int8_t* const* rows,
                  std::int32_t input_zero_point, const std::int8_t* weights,
                  const Int8Output& out_stage, std::int8_t* out_row) {
  static_assert(K.dtype == DType::i8 && K.op == KernelOp::dwconv);
  static_assert(!K.simd() || has_int8_avx2, "joule: an int8 SIMD record on a target without it");
#if JOULE_SIMD && defined(__AVX2__)
  if constexpr (K.simd()) {
    avx2_row_int8(g, rows, input_zero_point, weights, out_stage, out_row);
    return;
  }
#endif
  reference_row_int8(g, rows, input_zero_point, weights, out_stage, out_row);
}

/// Output rows [first_row, last_row), with kernel K.
template <KernelRecord K>
void run_int8(const ConvGeometry& g, const std::int8_t* input, std::int32_t input_zero_point,
              const std::int8_t* weights, const Int8Output& out_stage, std::int8_t* output,
              int first_row, int last_row) {
  rows_int8(&run_row_int8<K>, g, input, input_zero_point, weights, out_stage, output, first_row,
            last_row);
}

}  // namespace joule::inline JOULE_TARGET::kernels::depthwise
