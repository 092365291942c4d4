// SqueezeExcite<Squeeze, Act, Gate>: squeeze-and-excitation (Hu et al., 2018) as torchvision's
// SqueezeExcitation builds it: global average pool, fc1 (1x1 conv with bias, C -> S), Act,
// fc2 (S -> C), Gate, then each channel of the input scaled by its gate. Runs in place.
//
// The squeeze width S is what MobileNetV3 and EfficientNet choose differently:
//   MobileNetV3:  SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>
//                 S = make_divisible(C / 4, 8), C being the expanded channels.
//   EfficientNet: SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU, Sigmoid>
//                 S = max(1, block input channels / 4).
// SqueezeExcite<4> is S = max(1, C / 4).
//
// Weight storage: fc1 [C][S], fc1 bias, fc2 [S][C], fc2 bias, the matrices packed in panels of 32
// outputs and the biases padded to whole panels (kernels/gemm/packing.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "joule/core/alignment.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/make_divisible.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/elementwise/dispatch.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/linear/dispatch.hpp"
#include "joule/kernels/pool/dispatch.hpp"

namespace joule::inline JOULE_TARGET {

struct SqueezeSpec {
  /// S = base / divisor, base being the SE's input channels or the block's (of_block_input).
  int divisor = 4;
  /// When above 1, S is rounded with make_divisible(S, round_to).
  int round_to = 1;
  /// Take the enclosing block's input channels as the base (EfficientNet's MBConv).
  bool of_block_input = false;
  /// Explicit S; overrides everything above when positive.
  int channels = 0;
};

constexpr int squeeze_channels(SqueezeSpec spec, int base_channels) {
  if (spec.channels > 0) return spec.channels;
  int squeeze = base_channels / spec.divisor;
  if (spec.round_to > 1) squeeze = make_divisible(squeeze, spec.round_to);
  return squeeze > 1 ? squeeze : 1;
}

namespace detail {
constexpr SqueezeSpec to_squeeze_spec(int divisor) { return SqueezeSpec{.divisor = divisor}; }
constexpr SqueezeSpec to_squeeze_spec(SqueezeSpec spec) { return spec; }
}  // namespace detail

/// torchvision's fc1 [S][C][1][1], fc1 bias, fc2 [C][S][1][1], fc2 bias (sources 0..3) into fc1
/// [C][S] and fc2 [S][C] with their biases at the given offsets.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
[[gnu::noinline]] inline void pack_squeeze_excite_weights(
    int channels, int squeezed, const PackSources& sources, float* storage,
    std::size_t fc1_bias_offset, std::size_t fc2_offset, std::size_t fc2_bias_offset) {
  using kernels::gemm::packed_index;
  const float* fc1 = sources.values(0);
  const float* fc2 = sources.values(2);
  for (int s = 0; s < squeezed; ++s)
    for (int c = 0; c < channels; ++c) {
      storage[packed_index(c, s, channels)] = fc1[static_cast<std::size_t>(s) * channels + c];
      storage[fc2_offset + packed_index(s, c, squeezed)] =
          fc2[static_cast<std::size_t>(c) * squeezed + s];
    }
  for (int s = 0; s < squeezed; ++s) storage[fc1_bias_offset + s] = sources.values(1)[s];
  for (int c = 0; c < channels; ++c) storage[fc2_bias_offset + c] = sources.values(3)[c];
}

/// What a squeeze-excite layer on input In is, whatever its precision.
template <class Spec, ShapeType In>
struct SqueezeExciteInfo : LeafBase {
  using spec = Spec;
  using input = In;
  using output = In;
  using activation = typename Spec::activation;
  using gate = typename Spec::gate;
  static constexpr std::string_view kind = "SqueezeExcite";

  static_assert(!Spec::squeeze.of_block_input || Spec::squeeze.channels > 0,
                "joule::SqueezeExcite: SqueezeSpec.of_block_input needs an enclosing block "
                "(InvertedResidual) that knows the block's input channels");
  static constexpr int channels = In::channels;
  static constexpr int squeezed = squeeze_channels(Spec::squeeze, channels);
  static constexpr std::size_t fc_weights = static_cast<std::size_t>(channels) * squeezed;
  static constexpr std::uint64_t params = 2 * fc_weights + squeezed + channels;
  static constexpr std::uint64_t macs = 2 * fc_weights;
  /// Float32: the pool's sums and scales, each FC's bias and activation, the gating multiply.
  static constexpr ElementwiseOps float_ops =
      ElementwiseOps{.adds = 1} * In::size + ElementwiseOps{.multiplies = 1} * channels +
      (ElementwiseOps{.adds = 1} + activation_ops<activation>()) * squeezed +
      (ElementwiseOps{.adds = 1} + activation_ops<gate>()) * channels +
      ElementwiseOps{.multiplies = 1} * In::size;
  static constexpr bool in_place = true;

  static constexpr auto description = [] {
    Text<48> text;
    text.append(channels).append(" -> ").append(squeezed).append(' ');
    return text.append(activation::name).append('/').append(gate::name);
  }();

  static constexpr std::array<std::string_view, 2> part_names{"fc1", "fc2"};
  static constexpr std::array<TensorSpec, 4> tensors{
      TensorSpec{"weight", 0, 4, {squeezed, channels, 1, 1}},
      TensorSpec{"bias", 0, 1, {squeezed}},
      TensorSpec{"weight", 1, 4, {channels, squeezed, 1, 1}},
      TensorSpec{"bias", 1, 1, {channels}},
  };
};

/// The float32 squeeze-excite layer.
template <class Spec, ShapeType In>
struct BoundSqueezeExcite : SqueezeExciteInfo<Spec, In> {
  using info = SqueezeExciteInfo<Spec, In>;
  using info::channels;
  using info::squeezed;
  using typename info::activation;
  using typename info::gate;

  static constexpr std::size_t fc1_bias_offset =
      aligned_floats(kernels::gemm::packed_size(channels, squeezed));
  static constexpr std::size_t fc2_offset = fc1_bias_offset + kernels::gemm::padded_cols(squeezed);
  static constexpr std::size_t fc2_bias_offset =
      fc2_offset + aligned_floats(kernels::gemm::packed_size(squeezed, channels));
  static constexpr std::size_t weight_floats =
      fc2_bias_offset + kernels::gemm::padded_cols(channels);
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  static constexpr std::size_t hidden_offset = aligned_floats(channels);
  static constexpr std::size_t gate_offset = hidden_offset + aligned_floats(squeezed);
  static constexpr std::size_t scratch_floats = gate_offset + channels;
  static constexpr std::size_t scratch_bytes = scratch_floats * sizeof(float);

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = info::params * sizeof(float),
      // The input is read twice: once to pool, once to scale.
      .activation_read_bytes = 2 * In::size * sizeof(float),
      .activation_write_bytes = In::size * sizeof(float),
      .elementwise = info::float_ops,
  };

  static void pack(const PackSources& sources, std::byte* storage) {
    pack_squeeze_excite_weights(channels, squeezed, sources, reinterpret_cast<float*>(storage),
                                fc1_bias_offset, fc2_offset, fc2_bias_offset);
  }

  // Pooling, the two small layers and the rescale, each with its target's kernel.
  static constexpr kernels::KernelRecord pool_kernel = kernels::pool::choose();
  static constexpr kernels::KernelRecord linear_kernel = kernels::linear::choose();
  static constexpr kernels::KernelRecord scale_kernel = kernels::elementwise::choose_affine();
  static constexpr kernels::KernelRecord kernel_record{.op = kernels::KernelOp::se,
                                                       .impl = linear_kernel.impl};

  static void run(const std::byte* storage, const float* in, float* out, std::byte* scratch_storage,
                  const RunContext& context) {
    const float* weights = reinterpret_cast<const float*>(storage);
    float* scratch = reinterpret_cast<float*>(scratch_storage);
    float* pooled = scratch;
    float* hidden = scratch + hidden_offset;
    float* gates = scratch + gate_offset;
    kernels::pool::global_average<pool_kernel>(In::pixels, channels, in, pooled);
    kernels::linear::run<linear_kernel, activation>(channels, squeezed, pooled, weights,
                                                    weights + fc1_bias_offset, hidden);
    kernels::linear::run<linear_kernel, gate>(squeezed, channels, hidden, weights + fc2_offset,
                                              weights + fc2_bias_offset, gates);
    parallel_ranges(context, In::pixels, 64, [&](std::size_t first, std::size_t last) {
      kernels::elementwise::scale_channels<scale_kernel>(
          last - first, channels, in + first * channels, gates, out + first * channels);
    });
  }
};

/// Which bound type a SqueezeExcite spec becomes in precision P.
template <class P>
struct SqueezeExciteFor : no_implementation<P> {};
template <>
struct SqueezeExciteFor<Float32> {
  template <class Spec, ShapeType In>
  using type = BoundSqueezeExcite<Spec, In>;
};

template <auto Squeeze = 4, Activation Act = ReLU, Activation Gate = Sigmoid>
struct SqueezeExcite : LayerSpec {
  static constexpr SqueezeSpec squeeze = detail::to_squeeze_spec(Squeeze);
  static_assert(squeeze.divisor >= 1 && squeeze.round_to >= 1 && squeeze.channels >= 0,
                "joule::SqueezeExcite: divisor and round_to must be at least 1");
  using activation = Act;
  using gate = Gate;

  /// This SE inside a block whose input has BlockInChannels channels: resolves of_block_input.
  template <int BlockInChannels>
  using in_block = std::conditional_t<
      squeeze.of_block_input,
      SqueezeExcite<SqueezeSpec{.channels = squeeze_channels(squeeze, BlockInChannels)}, Act, Gate>,
      SqueezeExcite>;

  template <ShapeType In, class P = Float32>
  using bind = typename SqueezeExciteFor<P>::template type<SqueezeExcite, In>;
};

/// The absence of squeeze-and-excitation in a block.
struct NoSqueezeExcite {
  template <int BlockInChannels>
  using in_block = NoSqueezeExcite;
};

}  // namespace joule::inline JOULE_TARGET
