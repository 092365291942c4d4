// GlobalAvgPool: the mean of each channel over all pixels; HxWxC -> 1x1xC.
#pragma once

#include <cstddef>
#include <string_view>

#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/pool/dispatch.hpp"

namespace joule::inline JOULE_TARGET {

/// What global average pooling of input In is, whatever its precision.
template <ShapeType In>
struct GlobalAvgPoolInfo : LeafBase {
  using input = In;
  using output = Shape<1, 1, In::channels>;
  static constexpr std::string_view kind = "GlobalAvgPool";
};

/// The float32 pooling.
template <ShapeType In>
struct BoundGlobalAvgPool : GlobalAvgPoolInfo<In> {
  using typename GlobalAvgPoolInfo<In>::output;
  static constexpr Cost cost = {
      .activation_read_bytes = In::size * sizeof(float),
      .activation_write_bytes = output::size * sizeof(float),
      .elementwise =
          ElementwiseOps{.adds = 1} * In::size + ElementwiseOps{.multiplies = 1} * output::size,
  };
  static constexpr kernels::KernelRecord kernel_record = kernels::pool::choose();

  static void run(const std::byte*, const float* in, float* out, std::byte*, const RunContext&) {
    kernels::pool::global_average<kernel_record>(In::pixels, In::channels, in, out);
  }
};

/// Which bound type global average pooling becomes in precision P.
template <class P>
struct GlobalAvgPoolFor : no_implementation<P> {};
template <>
struct GlobalAvgPoolFor<Float32> {
  template <ShapeType In>
  using type = BoundGlobalAvgPool<In>;
};

struct GlobalAvgPool : LayerSpec {
  template <ShapeType In, class P = Float32>
  using bind = typename GlobalAvgPoolFor<P>::template type<In>;
};

}  // namespace joule::inline JOULE_TARGET
