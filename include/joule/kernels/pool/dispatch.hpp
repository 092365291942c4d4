// The global average pooling kernel layers call.
#pragma once

#include "joule/kernels/kernel_name.hpp"
#include "joule/kernels/pool/reference.hpp"
#include "joule/kernels/pool/simd.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::pool {

inline void global_average(std::size_t pixels, int channels, const float* input, float* output) {
#if JOULE_SIMD
  global_average_simd<arch::Default>(pixels, channels, input, output);
#else
  global_average_reference(pixels, channels, input, output);
#endif
}

constexpr KernelName name() { return kernel_name("gavgpool", "", JOULE_SIMD); }

}  // namespace joule::inline JOULE_TARGET::kernels::pool
