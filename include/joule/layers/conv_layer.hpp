// The bound convolution shared by Conv2d, DepthwiseConv and Pointwise, in two parts:
//   ConvInfo<Spec, In>   what the layer is whatever its precision: the output shape (checked to
//                        fit), the geometry, the PyTorch tensors and names, parameters and MACs;
//   BoundConv<Spec, In>  the float32 layer: its weight layout, packing (BatchNorm folded), cost in
//                        bytes and the kernel it runs.
//
// Weight storage: the [kernel * kernel * in_channels / groups][out_channels] matrix (rows in HWIO
// order) packed in panels of 32 output channels (kernels/gemm/packing.hpp); for a depthwise
// convolution plain [kernel][kernel][channels]. Then the bias (folded BatchNorm or the
// convolution's own), padded to whole panels, at the next aligned offset.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "joule/core/alignment.hpp"
#include "joule/core/cost.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/conv/dispatch.hpp"
#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/depthwise/dispatch.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "joule/layers/batch_norm_fold.hpp"
#include "joule/layers/conv_options.hpp"

namespace joule::inline JOULE_TARGET {

enum class ConvKind : unsigned char { general, depthwise, pointwise };

/// What packing a convolution's weights depends on. Packing takes these at run time, so one
/// function serves every convolution of every network.
struct ConvPacking {
  int out_channels;
  int in_per_group;
  int kernel;
  Norm norm;
  double bn_eps;
  bool panels;  // packed panels (gemm/packing.hpp); else plain HWIO, for depthwise
  std::size_t bias_offset;
};

/// PyTorch's OIHW weight (sources.values(0)), bias (Norm::bias: 1) or BatchNorm (Norm::batch: 1..4)
/// into joule's layout, the BatchNorm folded on the way.
// Not inlined: one copy serves every layer (a layer's pack is called once, at binding).
[[gnu::noinline]] inline void pack_conv_weights(const ConvPacking& p, const PackSources& sources,
                                                float* storage) {
  const int rows = p.kernel * p.kernel * p.in_per_group;
  // Only a BatchNorm brings four more tensors; a convolution with a bias brings one.
  const BatchNormTensors bn = p.norm == Norm::batch
                                  ? BatchNormTensors{sources.values(1), sources.values(2),
                                                     sources.values(3), sources.values(4)}
                                  : BatchNormTensors{};
  const float* weight = sources.values(0);
  for (int o = 0; o < p.out_channels; ++o) {
    const double scale = p.norm == Norm::batch ? batch_norm_scale(bn, o, p.bn_eps) : 1.0;
    for (int i = 0; i < p.in_per_group; ++i)
      for (int ky = 0; ky < p.kernel; ++ky)
        for (int kx = 0; kx < p.kernel; ++kx) {
          const int row = (ky * p.kernel + kx) * p.in_per_group + i;
          const std::size_t at = p.panels ? kernels::gemm::packed_index(row, o, rows)
                                          : static_cast<std::size_t>(row) * p.out_channels + o;
          const float value = weight[(static_cast<std::size_t>(o) * rows) +
                                     (static_cast<std::size_t>(i) * p.kernel + ky) * p.kernel + kx];
          storage[at] = static_cast<float>(value * scale);
        }
    if (p.norm == Norm::bias) storage[p.bias_offset + o] = sources.values(1)[o];
    if (p.norm == Norm::batch) storage[p.bias_offset + o] = static_cast<float>(folded_bias(bn, o, scale, 0.0));
  }
}

/// Spec: a Conv2d, DepthwiseConv or Pointwise spec, which provides `conv_kind`, `kind_name`,
/// `out_channels` (0: as many as the input), `kernel`, `stride`, `options` and `activation`.
template <class Spec, ShapeType In>
struct ConvInfo : LeafBase {
  using spec = Spec;
  using input = In;
  using activation = typename Spec::activation;
  static constexpr ConvKind conv_kind = Spec::conv_kind;
  static constexpr ConvOptions options = Spec::options;
  static constexpr std::string_view kind = Spec::kind_name;

  static constexpr int in_channels = In::channels;
  static constexpr int out_channels = Spec::out_channels > 0 ? Spec::out_channels : In::channels;
  static constexpr int kernel = Spec::kernel;
  static constexpr int stride = Spec::stride;
  static constexpr int dilation = options.dilation;
  static constexpr int groups = Spec::conv_kind == ConvKind::depthwise ? In::channels : options.groups;
  static constexpr int padding = options.padding < 0 ? (kernel - 1) / 2 * dilation : options.padding;

  static_assert(kernel >= 1 && stride >= 1 && dilation >= 1,
                "joule conv layer: kernel, stride and dilation must be at least 1");
  static_assert(groups >= 1 && in_channels % groups == 0,
                "joule conv layer: channel mismatch: groups must divide the input channels "
                "(see the layer spec and input Shape in the instantiation above)");
  static_assert(out_channels % groups == 0,
                "joule conv layer: channel mismatch: groups must divide the output channels");

  static constexpr int out_height =
      kernels::conv_output_size(In::height, kernel, stride, padding, dilation);
  static constexpr int out_width =
      kernels::conv_output_size(In::width, kernel, stride, padding, dilation);
  static_assert(out_height >= 1 && out_width >= 1,
                "joule conv layer: the kernel does not fit the input: the padded input is smaller "
                "than the (dilated) kernel (see the layer spec and input Shape above)");
  // Clamped so that a failed check above reports once instead of cascading into Shape.
  using output = Shape<(out_height > 0 ? out_height : 1), (out_width > 0 ? out_width : 1),
                       out_channels>;

  static constexpr int in_per_group = in_channels / groups;
  static constexpr std::size_t weight_count =
      static_cast<std::size_t>(kernel) * kernel * in_per_group * out_channels;
  static constexpr bool has_bias = options.norm != Norm::none;
  /// PyTorch's parameter count: the weights, and the BatchNorm's weight and bias or the bias.
  static constexpr std::uint64_t params =
      weight_count + (options.norm == Norm::batch  ? 2u * out_channels
                      : options.norm == Norm::bias ? 1u * out_channels
                                                   : 0u);
  static constexpr std::uint64_t macs = output::pixels * weight_count;

  static constexpr auto description = [] {
    Text<48> text;
    if (Spec::conv_kind != ConvKind::pointwise) {
      text.append(kernel).append('x').append(kernel).append(" s").append(stride);
    }
    if (Spec::conv_kind == ConvKind::general && groups > 1) text.append(" g").append(groups);
    if (dilation > 1) text.append(" d").append(dilation);
    if (options.norm == Norm::batch) text.append(text.size() ? " BN" : "BN");
    if (options.norm == Norm::bias) text.append(text.size() ? " bias" : "bias");
    if (text.size() != 0) text.append(' ');
    return text.append(activation::name);
  }();

  // Names after torchvision's Conv2dNormActivation: the convolution is part "0", its BatchNorm
  // part "1". Without a BatchNorm the layer is a plain nn.Conv2d and its tensors sit at its path.
  static constexpr auto part_names = [] {
    if constexpr (options.norm == Norm::batch) {
      return std::array<std::string_view, 2>{"0", "1"};
    } else {
      return std::array<std::string_view, 1>{""};
    }
  }();

  static constexpr auto tensors = [] {
    constexpr TensorSpec weight{"weight", 0, 4, {out_channels, in_per_group, kernel, kernel}};
    constexpr auto per_channel = [](std::string_view name, int part) {
      return TensorSpec{name, part, 1, {out_channels}};
    };
    if constexpr (options.norm == Norm::batch) {
      return std::array<TensorSpec, 5>{weight, per_channel("weight", 1), per_channel("bias", 1),
                                       per_channel("running_mean", 1),
                                       per_channel("running_var", 1)};
    } else if constexpr (options.norm == Norm::bias) {
      return std::array<TensorSpec, 2>{weight, per_channel("bias", 0)};
    } else {
      return std::array<TensorSpec, 1>{weight};
    }
  }();

  static constexpr kernels::ConvGeometry geometry = {
      .in_height = In::height,
      .in_width = In::width,
      .in_channels = in_channels,
      .out_height = output::height,
      .out_width = output::width,
      .out_channels = out_channels,
      .kernel_height = kernel,
      .kernel_width = kernel,
      .stride_height = stride,
      .stride_width = stride,
      .pad_top = padding,
      .pad_left = padding,
      .dilation_height = dilation,
      .dilation_width = dilation,
      .groups = groups,
  };
};

/// The float32 convolution. Weight storage: see the top of this file.
template <class Spec, ShapeType In>
struct BoundConv : ConvInfo<Spec, In> {
  using info = ConvInfo<Spec, In>;
  using info::groups;
  using info::has_bias;
  using info::in_channels;
  using info::in_per_group;
  using info::kernel;
  using info::options;
  using info::out_channels;
  using info::weight_count;
  using typename info::activation;
  using typename info::output;

  static constexpr bool panels = Spec::conv_kind != ConvKind::depthwise;
  static constexpr std::size_t bias_offset = aligned_floats(
      panels ? kernels::gemm::packed_size(kernel * kernel * in_per_group, out_channels)
             : weight_count);
  static constexpr std::size_t weight_floats =
      has_bias ? bias_offset + kernels::gemm::padded_cols(out_channels) : bias_offset;
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes = (weight_count + (has_bias ? out_channels : 0)) * sizeof(float),
      .activation_read_bytes = In::size * sizeof(float),
      .activation_write_bytes = output::size * sizeof(float),
      .elementwise = (ElementwiseOps{.adds = has_bias ? 1u : 0u} + activation_ops<activation>()) *
                     output::size,
  };

  /// sources hold tensors[i] in PyTorch's layout (OIHW weights).
  static void pack(const PackSources& sources, std::byte* storage) {
    pack_conv_weights(ConvPacking{out_channels, in_per_group, kernel, options.norm,
                                  pow10(options.bn_eps_log10), panels, bias_offset},
                      sources, reinterpret_cast<float*>(storage));
  }

  static constexpr kernels::KernelRecord kernel_record =
      Spec::conv_kind == ConvKind::pointwise   ? kernels::pointwise::choose()
      : Spec::conv_kind == ConvKind::depthwise ? kernels::depthwise::choose(info::geometry)
                                               : kernels::conv::choose(info::geometry);

  // A pointwise layer on a small map (the 7x7 layers of 1x1 convolutions to 1280 channels) splits
  // its weight panels between threads rather than its few pixels.
  static constexpr std::size_t weight_panels = (static_cast<std::size_t>(out_channels) + kernels::gemm::panel_width - 1) /
                                        kernels::gemm::panel_width;
  static constexpr bool split_by_panels = In::pixels < 256 && weight_panels >= 4;

  /// Parts of the output rows (pixels, or weight panels; see above) go to the executor's threads.
  static void run(const std::byte* storage, const float* in, float* out, std::byte* /*scratch*/,
                  const RunContext& context) {
    const float* weights = reinterpret_cast<const float*>(storage);
    const float* bias = has_bias ? weights + bias_offset : nullptr;
    constexpr kernels::KernelRecord K = kernel_record;
    if constexpr (Spec::conv_kind == ConvKind::pointwise) {
      if constexpr (split_by_panels) {
        // Few pixels, many weights: each thread takes whole panels of weights, read once.
        parallel_ranges(context, weight_panels, 1, [&](std::size_t first, std::size_t last) {
          const int first_channel = static_cast<int>(first) * kernels::gemm::panel_width;
          const int last_channel = std::min(out_channels, static_cast<int>(last) * kernels::gemm::panel_width);
          kernels::pointwise::run_block<K, activation>(0, In::pixels, first_channel, last_channel,
                                                       in_channels, out_channels, in, weights, bias,
                                                       nullptr, out);
        });
      } else {
        parallel_ranges(context, In::pixels, 64, [&](std::size_t first, std::size_t last) {
          kernels::pointwise::run<K, activation>(first, last, in_channels, out_channels, in,
                                                 weights, bias, nullptr, out);
        });
      }
    } else {
      parallel_ranges(context, output::height, 1, [&](std::size_t first, std::size_t last) {
        if constexpr (Spec::conv_kind == ConvKind::depthwise) {
          kernels::depthwise::run<K, activation>(info::geometry, int(first), int(last), in, weights,
                                                 bias, out);
        } else {
          kernels::conv::run<K, activation>(info::geometry, int(first), int(last), in, weights,
                                            bias, out);
        }
      });
    }
  }
};

/// Which bound type a convolution spec becomes in precision P: BoundConv in float32; int8 in
/// quant/conv.hpp.
template <class P>
struct ConvFor : no_implementation<P> {};
template <>
struct ConvFor<Float32> {
  template <class Spec, ShapeType In>
  using type = BoundConv<Spec, In>;
};

}  // namespace joule::inline JOULE_TARGET
