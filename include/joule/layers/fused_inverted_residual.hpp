// FusedInvertedResidual: an inverted residual's expansion, depthwise convolution and projection
// (each optional but the depthwise one) as one layer that runs kernels/fused/inverted_residual:
// row by row, the expanded tensor never stored whole, the residual added as the projection
// stores. The three convolutions are ordinary bound layers underneath: their weight layouts,
// PyTorch tensors and costs are theirs, concatenated; only the way they run changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "joule/core/alignment.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/precision.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/fused/inverted_residual.hpp"
#include "joule/layers/conv_layer.hpp"

namespace joule::inline JOULE_TARGET {

/// How the fused layer's tensors are named: the names of the unfused block's layers.
enum class FusedNames : unsigned char {
  indexed_block,  // block.0 (expand), block.1 (depthwise), block.2 (project): MobileNetV3, EfficientNet
  mobilenet_v2,   // conv.0, conv.1, then the projection's conv and BatchNorm as conv.2 / conv.3
};

namespace detail {
/// A stand-in for an absent layer.
struct NoLayer {
  using input = void;
  using output = void;
  static constexpr ConvOptions options{};
  static constexpr std::size_t weight_floats = 0;
  static constexpr std::size_t weight_bytes = 0;
  static constexpr int output_quantization = -1;
  static constexpr std::uint64_t params = 0;
  static constexpr std::uint64_t macs = 0;
  static constexpr Cost cost{};
  static constexpr std::array<TensorSpec, 0> tensors{};
  static constexpr std::array<TensorSpec, 0> float_tensors{};
  static void pack(const PackSources&, std::byte*) {}
  static void quantize(const PackSources&, void* const*) {}
};

template <class L>
inline constexpr bool present = !std::is_same_v<L, NoLayer>;

template <bool Expand, bool Project, FusedNames Names>
constexpr auto fused_part_names() {
  if constexpr (Names == FusedNames::mobilenet_v2) {
    if constexpr (Expand) {
      return std::array<std::string_view, 6>{"conv.0.0", "conv.0.1", "conv.1.0", "conv.1.1", "conv.2", "conv.3"};
    } else {
      return std::array<std::string_view, 4>{"conv.0.0", "conv.0.1", "conv.1", "conv.2"};
    }
  } else if constexpr (Expand && Project) {
    return std::array<std::string_view, 6>{"block.0.0", "block.0.1", "block.1.0", "block.1.1", "block.2.0", "block.2.1"};
  } else {
    return std::array<std::string_view, 4>{"block.0.0", "block.0.1", "block.1.0", "block.1.1"};
  }
}
}  // namespace detail

/// What a fused inverted residual is, whatever its precision: Expand, Project are the Info (or
/// bound layer) types of Pointwise layers or detail::NoLayer; Depthwise the one of a DepthwiseConv.
template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
          FusedNames Names>
struct FusedInvertedResidualInfo : LeafBase {
  static constexpr bool expand = detail::present<Expand>;
  static constexpr bool project = detail::present<Project>;
  static_assert(Depthwise::options.norm == Norm::batch && (!expand || Expand::options.norm == Norm::batch) &&
                    (!project || Project::options.norm == Norm::batch),
                "joule fused inverted residual: its convolutions carry BatchNorm, as the blocks build them");
  static_assert(!ResidualAdd || (project && std::is_same_v<typename Project::output, In>),
                "joule fused inverted residual: the residual needs a projection back to the input's shape");

  using input = In;
  using output = std::conditional_t<project, typename Project::output, typename Depthwise::output>;
  // Before squeeze-excite the layer is only the block's first half.
  static constexpr std::string_view kind = project ? "InvertedResidual" : "ExpandDepthwise";

  /// The kernel's sizes and flags; an implementation adds where the weights are.
  static constexpr kernels::fused::InvertedResidualParams shape = [] {
    kernels::fused::InvertedResidualParams p;
    p.depthwise = Depthwise::geometry;
    p.in_channels = In::channels;
    p.out_channels = output::channels;
    p.expand = expand;
    p.project = project;
    p.residual = ResidualAdd;
    p.tile_rows = kernels::fused::tile_rows_for(p.depthwise);
    return p;
  }();
  static constexpr std::uint64_t params = Expand::params + Depthwise::params + Project::params;
  static constexpr std::uint64_t macs = Expand::macs + Depthwise::macs + Project::macs;

  static constexpr auto description = [] {
    Text<48> text;
    text.append("hidden ").append(Depthwise::input::channels).append(" k").append(Depthwise::kernel);
    text.append(" s").append(Depthwise::stride).append(" fused ");
    return text.append(Depthwise::activation::name);
  }();

  static constexpr auto part_names = detail::fused_part_names<expand, project, Names>();
  static constexpr auto tensors = [] {
    std::array<TensorSpec, Expand::tensors.size() + Depthwise::tensors.size() + Project::tensors.size()> all{};
    std::size_t i = 0;
    int part = 0;
    const auto add = [&](const auto& list) {
      for (TensorSpec spec : list) {
        spec.part += part;
        all[i++] = spec;
      }
      part += 2;  // a convolution with BatchNorm: its conv and its BatchNorm
    };
    if constexpr (expand) add(Expand::tensors);
    add(Depthwise::tensors);
    if constexpr (project) add(Project::tensors);
    return all;
  }();
};

/// The float32 fused inverted residual: Expand, Depthwise, Project are bound float32 layers.
template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
          FusedNames Names>
struct BoundFusedInvertedResidual
    : FusedInvertedResidualInfo<In, Expand, Depthwise, Project, ResidualAdd, Names> {
  using info = FusedInvertedResidualInfo<In, Expand, Depthwise, Project, ResidualAdd, Names>;
  using info::expand;
  using info::project;
  using info::shape;
  using typename info::output;

  static constexpr std::size_t expand_offset = 0;
  static constexpr std::size_t depthwise_offset = aligned_floats(Expand::weight_floats);
  static constexpr std::size_t project_offset =
      depthwise_offset + aligned_floats(Depthwise::weight_floats);
  static constexpr std::size_t weight_floats = project_offset + Project::weight_floats;
  static constexpr std::size_t weight_bytes = weight_floats * sizeof(float);

  static kernels::fused::InvertedResidualParams params_at(const float* weights) {
    kernels::fused::InvertedResidualParams p = shape;
    if constexpr (expand) {
      p.expand_weights = weights + expand_offset;
      p.expand_bias = weights + expand_offset + Expand::bias_offset;
    }
    p.depthwise_weights = weights + depthwise_offset;
    p.depthwise_bias = weights + depthwise_offset + Depthwise::bias_offset;
    if constexpr (project) {
      p.project_weights = weights + project_offset;
      p.project_bias = weights + project_offset + Project::bias_offset;
    }
    return p;
  }
  static constexpr std::size_t scratch_bytes =
      kernels::fused::scratch_floats(shape) * sizeof(float);

  // What moves through memory: the input (twice with the residual), and the output; the
  // expanded and depthwise tensors stay in the scratch rows.
  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes =
          Expand::cost.weight_bytes + Depthwise::cost.weight_bytes + Project::cost.weight_bytes,
      .activation_read_bytes = (ResidualAdd ? 2 : 1) * In::size * sizeof(float),
      .activation_write_bytes = output::size * sizeof(float),
      .elementwise = Expand::cost.elementwise + Depthwise::cost.elementwise +
                     Project::cost.elementwise +
                     ElementwiseOps{.adds = ResidualAdd ? 1u : 0u} * output::size,
  };

  static constexpr kernels::KernelRecord kernel_record = kernels::fused::choose(shape);

  static void pack(const PackSources& sources, std::byte* storage) {
    float* floats = reinterpret_cast<float*>(storage);
    PackSources part = sources;
    part.count = Expand::tensors.size();
    Expand::pack(part, reinterpret_cast<std::byte*>(floats + expand_offset));
    part.tensors += Expand::tensors.size();
    part.count = Depthwise::tensors.size();
    Depthwise::pack(part, reinterpret_cast<std::byte*>(floats + depthwise_offset));
    part.tensors += Depthwise::tensors.size();
    part.count = Project::tensors.size();
    Project::pack(part, reinterpret_cast<std::byte*>(floats + project_offset));
  }

  static void run(const std::byte* storage, const float* in, float* out, std::byte* scratch,
                  const RunContext& context) {
    const kernels::fused::InvertedResidualParams p =
        params_at(reinterpret_cast<const float*>(storage));
    using ExpandAct = typename std::conditional_t<expand, Expand, Depthwise>::activation;
    constexpr kernels::KernelRecord depthwise_kernel =
        kernels::fused::depthwise_kernel(kernel_record);
    // Parts of at least a row (a 7x7 map splits too: each part's tiles shrink to its rows, at the
    // price of expanding the few input rows two parts share twice).
    parallel_parts(context, output::height, 1,
                   [&](std::size_t part, std::size_t first, std::size_t last) {
                     kernels::fused::inverted_residual<depthwise_kernel, ExpandAct,
                                                       typename Depthwise::activation>(
                         p, static_cast<int>(first), static_cast<int>(last), in, out,
                         reinterpret_cast<float*>(context.scratch_of(part, scratch)));
                   });
  }
};

/// Which bound type a fused inverted residual becomes in precision P; its convolutions are bound
/// in the same precision.
template <class P>
struct FusedInvertedResidualFor : no_implementation<P> {};
template <>
struct FusedInvertedResidualFor<Float32> {
  template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
            FusedNames Names>
  using type = BoundFusedInvertedResidual<In, Expand, Depthwise, Project, ResidualAdd, Names>;
};

/// The spec of the fused layer: Expand and Project are Pointwise specs or void.
template <class Expand, class Depthwise, class Project, bool ResidualAdd, FusedNames Names>
struct FusedInvertedResidual : LayerSpec {
  template <ShapeType In, class P>
  struct layers {
    using expand = std::conditional_t<
        std::is_void_v<Expand>, detail::NoLayer,
        bind_t<std::conditional_t<std::is_void_v<Expand>, Depthwise, Expand>, In, P>>;
    using depthwise_input = std::conditional_t<std::is_void_v<Expand>, In, typename expand::output>;
    using depthwise = bind_t<Depthwise, depthwise_input, P>;
    using project =
        std::conditional_t<std::is_void_v<Project>, detail::NoLayer,
                           bind_t<std::conditional_t<std::is_void_v<Project>, Depthwise, Project>,
                                  typename depthwise::output, P>>;
  };
  template <ShapeType In, class P = Float32>
  using bind = typename FusedInvertedResidualFor<P>::template type<
      In, typename layers<In, P>::expand, typename layers<In, P>::depthwise,
      typename layers<In, P>::project, ResidualAdd, Names>;
};

}  // namespace joule::inline JOULE_TARGET
