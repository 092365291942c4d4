// The int8 fully connected kernels and which one a layer runs. An int8 linear layer is the int8
// pointwise convolution of one pixel on the same packed panels, so its kernels are the pointwise
// ones for a block of outputs: the AVX2 tile (one row) where the target has it, the reference
// elsewhere. QuantizedLinear calls them through run_int8<record>, so the record it reports is
// the kernel that runs.
#pragma once

#include <array>
#include <cstdint>

#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/int8/requantize.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/int8_dispatch.hpp"

namespace joule::inline JOULE_TARGET::kernels::linear {

inline constexpr KernelRecord int8_reference_kernel{
    .dtype = DType::i8, .op = KernelOp::linear, .impl = KernelImpl::reference};

/// Every int8 linear kernel of this target, the reference first: one per int8 pointwise kernel.
inline constexpr auto int8_records = [] {
  std::array<KernelRecord, pointwise::int8_records.size()> all{};
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = KernelRecord{
        .dtype = DType::i8, .op = KernelOp::linear, .impl = pointwise::int8_records[i].impl};
  return all;
}();

/// The kernel int8 linear layers run.
constexpr KernelRecord choose_int8() {
  return int8_records.back();
}

/// Outputs [first_output, last_output) of out = W in, with kernel K.
template <KernelRecord K>
void run_int8(int first_output, int last_output, int in_features, int out_features,
              const std::int8_t* input, std::int32_t input_zero_point, const std::int8_t* weights,
              const Int8Output& out_stage, std::int8_t* output) {
  static_assert(K.dtype == DType::i8 && K.op == KernelOp::linear);
  constexpr KernelRecord pointwise_kernel =
      K.simd() ? pointwise::int8_records.back() : pointwise::int8_reference_kernel;
  pointwise::run_int8<pointwise_kernel>(0, 1, first_output, last_output, in_features, out_features,
                                        input, input_zero_point, weights, out_stage, output);
}

}  // namespace joule::inline JOULE_TARGET::kernels::linear
