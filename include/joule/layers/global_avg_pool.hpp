// GlobalAvgPool: the mean of each channel over all pixels; HxWxC -> 1x1xC.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "joule/core/layer.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/core/executor.hpp"
#include "joule/kernels/pool/dispatch.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <ShapeType In>
struct BoundGlobalAvgPool {
  using input = In;
  using output = Shape<1, 1, In::channels>;
  static constexpr std::string_view kind = "GlobalAvgPool";
  static constexpr std::size_t weight_floats = 0;
  static constexpr std::size_t scratch_floats = 0;
  static constexpr bool in_place = false;
  static constexpr Cost cost = {
      .activation_read_bytes = In::size * sizeof(float),
      .activation_write_bytes = output::size * sizeof(float),
  };
  static constexpr Text<48> description{};
  static constexpr std::array<std::string_view, 0> part_names{};
  static constexpr std::array<TensorSpec, 0> tensors{};
  static void pack(const float* const*, float*) {}

  static constexpr kernels::KernelName kernel_name = kernels::pool::name();

  static void run(const float*, const float* in, float* out, float*, const RunContext&) {
    kernels::pool::global_average(In::pixels, In::channels, in, out);
  }
};

struct GlobalAvgPool : LayerSpec {
  template <ShapeType In>
  using bind = BoundGlobalAvgPool<In>;
};

}  // namespace joule::inline JOULE_TARGET
