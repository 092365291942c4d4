// Linear<OutFeatures, Act, Bias>: a fully connected layer over the whole input tensor. Output
// shape 1x1xOutFeatures. On an HxWxC input PyTorch flattens in CHW order; packing reorders the
// weights so that the NHWC activations need no transpose.
//
// Weight storage: [in_features][out_features] packed in panels of 32 outputs
// (kernels/gemm/packing.hpp), then the bias, padded to whole panels, at the next aligned offset.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/linear/dispatch.hpp"

namespace joule::inline JOULE_TARGET {

/// PyTorch's [out][C * pixels] weight (CHW flattening) into packed [pixels * C][out] (NHWC order),
/// for float32 or int8 weights. Sizes at run time: one function for every linear layer.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
template <class T>
[[gnu::noinline]] void pack_linear_matrix(std::size_t pixels, int channels, int out_features,
                                          const T* torch_weight, T* storage) {
  const std::size_t in_features = pixels * channels;
  for (int o = 0; o < out_features; ++o)
    for (int c = 0; c < channels; ++c)
      for (std::size_t p = 0; p < pixels; ++p)
        storage[kernels::gemm::packed_index(static_cast<int>(p * channels + c), o, static_cast<int>(in_features))] =
            torch_weight[o * in_features + c * pixels + p];
}

/// The float32 matrix, and the bias (if any) at bias_offset.
inline void pack_linear_weights(std::size_t pixels, int channels, int out_features,
                                const float* bias, const float* torch_weight, float* storage,
                                std::size_t bias_offset) {
  pack_linear_matrix(pixels, channels, out_features, torch_weight, storage);
  if (bias != nullptr) {
    for (int o = 0; o < out_features; ++o) storage[bias_offset + o] = bias[o];
  }
}

/// What a Linear layer on input In is, whatever its precision.
template <class Spec, ShapeType In>
struct LinearInfo : LeafBase {
  using spec = Spec;
  using input = In;
  using activation = typename Spec::activation;
  using output = Shape<1, 1, Spec::out_features>;
  static constexpr std::string_view kind = "Linear";

  static constexpr int in_features = static_cast<int>(In::size);
  static constexpr int out_features = Spec::out_features;
  static constexpr bool has_bias = Spec::has_bias;
  static constexpr std::size_t weight_count = static_cast<std::size_t>(in_features) * out_features;
  static constexpr std::uint64_t params = weight_count + (has_bias ? out_features : 0);
  static constexpr std::uint64_t macs = weight_count;

  static constexpr auto description = [] {
    Text<48> text;
    text.append(in_features).append(" -> ").append(out_features);
    if (!has_bias) text.append(" no bias");
    return text.append(' ').append(activation::name);
  }();

  static constexpr std::array<std::string_view, 1> part_names{""};
  static constexpr auto tensors = [] {
    constexpr TensorSpec weight{"weight", 0, 2, {out_features, in_features}};
    if constexpr (has_bias) {
      return std::array<TensorSpec, 2>{weight, TensorSpec{"bias", 0, 1, {out_features}}};
    } else {
      return std::array<TensorSpec, 1>{weight};
    }
  }();
};

/// The float32 Linear layer.
template <class Spec, ShapeType In>
struct BoundLinear : LinearInfo<Spec, In> {
  using info = LinearInfo<Spec, In>;
  using info::has_bias;
  using info::in_features;
  using info::out_features;
  using typename info::activation;
  using typename info::output;

  static constexpr std::size_t bias_offset =
      aligned_floats(kernels::gemm::packed_size(in_features, out_features));
  static constexpr std::size_t weight_floats =
      has_bias ? bias_offset + kernels::gemm::padded_cols(out_features) : bias_offset;
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = info::params * sizeof(float),
      .activation_read_bytes = In::size * sizeof(float),
      .activation_write_bytes = output::size * sizeof(float),
      .elementwise = (ElementwiseOps{.adds = has_bias ? 1u : 0u} + activation_ops<activation>()) *
                     output::size,
  };

  /// sources.values(0) is PyTorch's [out][in] weight with `in` flattened in CHW order.
  static void pack(const PackSources& sources, std::byte* storage) {
    pack_linear_weights(In::pixels, In::channels, out_features,
                        has_bias ? sources.values(1) : nullptr, sources.values(0),
                        reinterpret_cast<float*>(storage), bias_offset);
  }

  static constexpr kernels::KernelRecord kernel_record = kernels::linear::choose();

  /// Threads take whole panels of 32 outputs: each weight is read by one thread only.
  static void run(const std::byte* storage, const float* in, float* out, std::byte* /*scratch*/,
                  const RunContext& context) {
    const float* weights = reinterpret_cast<const float*>(storage);
    const float* bias = has_bias ? weights + bias_offset : nullptr;
    parallel_ranges(context, static_cast<std::size_t>(kernels::linear::panels(out_features)), 4,
                    [&](std::size_t first, std::size_t last) {
                      kernels::linear::run_panels<kernel_record, activation>(
                          static_cast<int>(first), static_cast<int>(last), in_features,
                          out_features, in, weights, bias, out);
                    });
  }
};

/// Which bound type a Linear spec becomes in precision P.
template <class P>
struct LinearFor : no_implementation<P> {};
template <>
struct LinearFor<Float32> {
  template <class Spec, ShapeType In>
  using type = BoundLinear<Spec, In>;
};

template <int OutFeatures, Activation Act = Identity, bool Bias = true>
struct Linear : LayerSpec {
  static_assert(OutFeatures >= 1, "joule::Linear: OutFeatures must be at least 1");
  static constexpr int out_features = OutFeatures;
  static constexpr bool has_bias = Bias;
  using activation = Act;

  template <ShapeType In, class P = Float32>
  using bind = typename LinearFor<P>::template type<Linear, In>;
};

}  // namespace joule::inline JOULE_TARGET
