// Kernel names, after XNNPACK's grammar: datatype, op, tile or shape, then the instruction set
// ("f32_pointwise_12x32__avx512bw", "f32_dwconv_3x3s2__fma3+avx2", "f32_dwconv__reference").
// `joule info` prints the kernel each layer runs, and the tests check the SIMD one is taken.
#pragma once

#include <string_view>

#include "joule/arch/simd.hpp"
#include "joule/core/text.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels {

using KernelName = Text<63>;

constexpr KernelName kernel_name(std::string_view op, std::string_view shape, bool simd) {
  KernelName name("f32_");
  name.append(op);
  if (!shape.empty()) name.append('_').append(shape);
  return name.append("__").append(simd ? arch::name : std::string_view("reference"));
}

}  // namespace joule::inline JOULE_TARGET::kernels
