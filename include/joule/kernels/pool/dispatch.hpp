// The global average pooling kernels and which one runs.
#pragma once

#include <array>
#include <cstddef>

#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pool/reference.hpp"
#include "joule/kernels/pool/simd.hpp"

namespace joule::inline JOULE_TARGET::kernels::pool {

inline constexpr auto records = reference_and_simd(KernelOp::gavgpool);
inline constexpr KernelRecord reference_kernel = records.front();

constexpr KernelRecord choose() {
  return records.back();
}

template <KernelRecord K>
void global_average(std::size_t pixels, int channels, const float* input, float* output) {
  JOULE_IF_SIMD(K, global_average_simd<arch::Default>(pixels, channels, input, output)) {
    global_average_reference(pixels, channels, input, output);
  }
}

}  // namespace joule::inline JOULE_TARGET::kernels::pool
