// BatchNorm<EpsLog10, Act>: a standalone torch.nn.BatchNorm2d at inference, y = Act(x * scale +
// shift) per channel, run in place. Where a convolution precedes it, prefer the convolution's
// Norm::batch option: the BatchNorm then folds into the weights and costs nothing.
//
// Weight storage: scale[C], then shift[C] at the next aligned offset.
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
#include "joule/kernels/elementwise/dispatch.hpp"
#include "joule/layers/batch_norm_fold.hpp"
#include "joule/layers/conv_options.hpp"

namespace joule::inline JOULE_TARGET {

/// A BatchNorm's four tensors (sources 0..3) into scale[C] and shift[C] at shift_offset.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
[[gnu::noinline]] inline void pack_batch_norm(int channels, double eps, const PackSources& sources,
                                              float* storage, std::size_t shift_offset) {
  const BatchNormTensors bn{sources.values(0), sources.values(1), sources.values(2),
                            sources.values(3)};
  for (int c = 0; c < channels; ++c) {
    const double scale = batch_norm_scale(bn, c, eps);
    storage[c] = static_cast<float>(scale);
    storage[shift_offset + c] = static_cast<float>(bn.bias[c] - bn.running_mean[c] * scale);
  }
}

/// What a standalone BatchNorm on input In is, whatever its precision.
template <class Spec, ShapeType In>
struct BatchNormInfo : LeafBase {
  using spec = Spec;
  using input = In;
  using output = In;
  using activation = typename Spec::activation;
  static constexpr std::string_view kind = "BatchNorm";
  static constexpr int channels = In::channels;
  static constexpr bool in_place = true;
  static constexpr std::uint64_t params = 2u * channels;

  static constexpr auto description = [] {
    Text<48> text;
    text.append("eps 1e").append(Spec::eps_log10);
    return text.append(' ').append(activation::name);
  }();

  static constexpr std::array<std::string_view, 1> part_names{""};
  static constexpr std::array<TensorSpec, 4> tensors{
      TensorSpec{"weight", 0, 1, {channels}}, TensorSpec{"bias", 0, 1, {channels}},
      TensorSpec{"running_mean", 0, 1, {channels}}, TensorSpec{"running_var", 0, 1, {channels}}};
};

/// The float32 BatchNorm.
template <class Spec, ShapeType In>
struct BoundBatchNorm : BatchNormInfo<Spec, In> {
  using info = BatchNormInfo<Spec, In>;
  using info::channels;
  using typename info::activation;

  static constexpr std::size_t shift_offset = aligned_floats(channels);
  static constexpr std::size_t weight_floats = shift_offset + channels;
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  static constexpr Cost cost = {
      .params = info::params,
      .macs = 0,
      .weight_bytes = info::params * sizeof(float),
      .activation_read_bytes = In::size * sizeof(float),
      .activation_write_bytes = In::size * sizeof(float),
      .elementwise = ElementwiseOps{.adds = 1, .multiplies = 1} * In::size,  // x * scale + shift
  };

  static void pack(const PackSources& sources, std::byte* storage) {
    pack_batch_norm(channels, pow10(Spec::eps_log10), sources, reinterpret_cast<float*>(storage),
                    shift_offset);
  }

  static constexpr kernels::KernelRecord kernel_record = kernels::elementwise::choose_affine();

  static void run(const std::byte* storage, const float* in, float* out, std::byte* /*scratch*/,
                  const RunContext& /*context*/) {
    const float* weights = reinterpret_cast<const float*>(storage);
    kernels::elementwise::affine_channels<kernel_record, activation>(
        In::pixels, channels, in, weights, weights + shift_offset, out);
  }
};

/// Which bound type a standalone BatchNorm becomes in precision P.
template <class P>
struct BatchNormFor : no_implementation<P> {};
template <>
struct BatchNormFor<Float32> {
  template <class Spec, ShapeType In>
  using type = BoundBatchNorm<Spec, In>;
};

template <int EpsLog10 = -5, Activation Act = Identity>
struct BatchNorm : LayerSpec {
  static constexpr int eps_log10 = EpsLog10;
  using activation = Act;

  template <ShapeType In, class P = Float32>
  using bind = typename BatchNormFor<P>::template type<BatchNorm, In>;
};

}  // namespace joule::inline JOULE_TARGET
