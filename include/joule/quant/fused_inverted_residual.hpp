// QuantizedFusedInvertedResidual: the fused inverted residual in int8. The same walk over rows as
// the float32 layer (kernels/fused/inverted_residual.hpp: a ring of expanded rows, the expanded
// tensor never whole), with the int8 kernels: expansion, depthwise and projection are int8
// convolutions with their own quantization, and the residual sum is requantized to the block's
// skip_add parameters as a separate int8 add would (torchvision's quantizable blocks).
//
// Tensors: each convolution's quantized tensors (quant/conv.hpp) under its torchvision name
// ("block.0.0.weight", MobileNetV2's "conv.2.weight", ...), then skip_add.scale / zero_point.
// Weight storage: each convolution's int8 storage one after the other, then the sum's parameters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "joule/core/alignment.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"
#include "joule/kernels/depthwise/int8_dispatch.hpp"
#include "joule/kernels/elementwise/int8_reference.hpp"
#include "joule/kernels/fused/inverted_residual.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pointwise/int8_dispatch.hpp"
#include "joule/layers/fused_inverted_residual.hpp"
#include "joule/quant/add.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/int8.hpp"

namespace joule::inline JOULE_TARGET::quant {

namespace detail {
/// Part names of the fused int8 layer: three per convolution (conv, BatchNorm, activation) in
/// torchvision's numbering, then "skip_add".
template <std::size_t Convolutions, bool MobileNetV2Names, bool Projection>
constexpr auto fused_part_texts() {
  std::array<Text<24>, 3 * Convolutions + 1> names{};
  for (std::size_t j = 0; j < Convolutions; ++j) {
    const bool last = Projection && j + 1 == Convolutions;
    for (std::size_t k = 0; k < 3; ++k) {
      Text<24>& name = names[3 * j + k];
      if (MobileNetV2Names) {
        name.append("conv.");
        // MobileNetV2's projection: its conv and BatchNorm are siblings of the other layers.
        if (last) {
          name.append(static_cast<int>(j + (k == 1 ? 1 : 0)));
          if (k == 2) name.append(".activation");
          continue;
        }
      } else {
        name.append("block.");
      }
      name.append(static_cast<int>(j)).append('.').append(static_cast<int>(k));
    }
  }
  names[3 * Convolutions].append("skip_add");
  return names;
}
}  // namespace detail

/// Expand, Project: bound int8 Pointwise layers or joule::detail::NoLayer; Depthwise: a bound int8
/// DepthwiseConv.
template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
          FusedNames Names>
struct QuantizedFusedInvertedResidual
    : FusedInvertedResidualInfo<In, Expand, Depthwise, Project, ResidualAdd, Names> {
  using info = FusedInvertedResidualInfo<In, Expand, Depthwise, Project, ResidualAdd, Names>;
  using info::expand;
  using info::project;
  using info::shape;
  using typename info::output;

  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr std::size_t convolutions = (expand ? 1 : 0) + 1 + (project ? 1 : 0);

  static constexpr auto part_texts =
      detail::fused_part_texts<convolutions, Names == FusedNames::mobilenet_v2, project>();
  static constexpr auto part_names = [] {
    std::array<std::string_view, part_texts.size()> views{};
    for (std::size_t i = 0; i < views.size(); ++i) views[i] = part_texts[i].view();
    return views;
  }();

  // Tensors: each present convolution's, parts shifted by three per convolution; then the sum's.
  static constexpr std::size_t expand_tensors = Expand::tensors.size();
  static constexpr std::size_t depthwise_tensors = Depthwise::tensors.size();
  static constexpr std::size_t project_tensors = Project::tensors.size();
  static constexpr std::size_t add_tensor = expand_tensors + depthwise_tensors + project_tensors;
  static constexpr auto tensors = [] {
    std::array<TensorSpec, add_tensor + (ResidualAdd ? 2 : 0)> all{};
    std::size_t i = 0;
    int part = 0;
    const auto add = [&](const auto& list) {
      for (TensorSpec spec : list) {
        spec.part += part;
        all[i++] = spec;
      }
      part += 3;
    };
    if constexpr (expand) add(Expand::tensors);
    add(Depthwise::tensors);
    if constexpr (project) add(Project::tensors);
    if constexpr (ResidualAdd) {
      all[i++] = TensorSpec{"scale", part, 0, {}, DType::f32};
      all[i++] = TensorSpec{"zero_point", part, 0, {}, DType::i32};
    }
    return all;
  }();
  static constexpr int output_quantization =
      ResidualAdd ? static_cast<int>(add_tensor)
      : project
          ? static_cast<int>(expand_tensors + depthwise_tensors) + Project::output_quantization
          : static_cast<int>(expand_tensors) + Depthwise::output_quantization;

  static constexpr std::size_t expand_offset = 0;
  static constexpr std::size_t depthwise_offset = aligned_bytes(Expand::weight_bytes);
  static constexpr std::size_t project_offset =
      depthwise_offset + aligned_bytes(Depthwise::weight_bytes);
  static constexpr std::size_t add_offset = project_offset + aligned_bytes(Project::weight_bytes);
  static constexpr std::size_t weight_bytes =
      add_offset + (ResidualAdd ? sizeof(kernels::elementwise::Int8AddParams) : 0);

  // The walk's ring and depthwise rows, then (with the residual) the projected tile before the sum.
  static constexpr std::size_t walk_bytes =
      aligned_bytes(kernels::fused::scratch_elements(shape, 1));
  static constexpr std::size_t tile_bytes = ResidualAdd
                                                ? static_cast<std::size_t>(shape.tile_rows) *
                                                      shape.depthwise.out_width * shape.out_channels
                                                : 0;
  static constexpr std::size_t scratch_bytes = walk_bytes + tile_bytes;

  static constexpr Cost cost = {
      .params = info::params,
      .macs = info::macs,
      .weight_bytes =
          Expand::cost.weight_bytes + Depthwise::cost.weight_bytes + Project::cost.weight_bytes,
      .activation_read_bytes = (ResidualAdd ? 2 : 1) * In::size,
      .activation_write_bytes = output::size,
      .elementwise =
          Expand::cost.elementwise + Depthwise::cost.elementwise + Project::cost.elementwise +
          (ResidualAdd ? kernels::elementwise::add_int8_ops : ElementwiseOps{}) * output::size,
  };

  /// The expansion and projection run the target's int8 pointwise kernel, the depthwise
  /// convolution its int8 depthwise kernel: SIMD when they are.
  static constexpr kernels::KernelRecord pointwise_kernel = kernels::pointwise::choose_int8();
  static constexpr kernels::KernelRecord depthwise_kernel = kernels::depthwise::choose_int8();
  static_assert(pointwise_kernel.impl == depthwise_kernel.impl,
                "joule: the fused int8 block's record names one implementation for both");
  static constexpr kernels::KernelRecord kernel_record{
      .dtype = DType::i8,
      .op = kernels::KernelOp::mbconv_fused,
      .impl = pointwise_kernel.impl,
      .kernel = static_cast<std::uint8_t>(shape.depthwise.kernel_width),
      .stride = static_cast<std::uint8_t>(shape.depthwise.stride_width),
      .expand = expand,
      .project = project};

  /// Each convolution packs with the quantization of what it reads.
  static void pack(const PackSources& sources, std::byte* storage) {
    PackSources part = sources;
    QuantParams between[2]{};
    const auto next = [&](std::size_t first, std::size_t count, int output_index, auto pack_one,
                          std::byte* at, QuantParams& out) {
      part.tensors = sources.tensors + first;
      part.count = count;
      pack_one(part, at);
      out = params_at(part, static_cast<std::size_t>(output_index));
      part.input = &out;
    };
    if constexpr (expand)
      next(0, expand_tensors, Expand::output_quantization, &Expand::pack, storage + expand_offset,
           between[0]);
    next(expand_tensors, depthwise_tensors, Depthwise::output_quantization, &Depthwise::pack,
         storage + depthwise_offset, between[1]);
    if constexpr (project) {
      QuantParams projected;
      next(expand_tensors + depthwise_tensors, project_tensors, Project::output_quantization,
           &Project::pack, storage + project_offset, projected);
      if constexpr (ResidualAdd) {
        const auto p = add_params(*sources.input, projected, params_at(sources, add_tensor));
        std::memcpy(storage + add_offset, &p, sizeof p);
      }
    }
  }

  /// Made from the float block's convolutions, each quantized as on its own.
  static constexpr auto float_tensors = [] {
    std::array<TensorSpec, Expand::float_tensors.size() + Depthwise::float_tensors.size() +
                               Project::float_tensors.size()>
        all{};
    std::size_t i = 0;
    int part = 0;
    const auto add = [&](const auto& list) {
      for (TensorSpec spec : list) {
        spec.part += part;
        all[i++] = spec;
      }
      part += 3;
    };
    if constexpr (expand) add(Expand::float_tensors);
    add(Depthwise::float_tensors);
    if constexpr (project) add(Project::float_tensors);
    return all;
  }();
  static void quantize(const PackSources& floats, void* const* outputs) {
    PackSources part = floats;
    const auto one = [&](std::size_t float_first, std::size_t float_count, std::size_t first,
                         auto quantize_one) {
      part.tensors = floats.tensors + float_first;
      part.count = float_count;
      quantize_one(part, outputs + first);
    };
    constexpr std::size_t expand_floats = Expand::float_tensors.size();
    constexpr std::size_t depthwise_floats = Depthwise::float_tensors.size();
    if constexpr (expand) one(0, expand_floats, 0, &Expand::quantize);
    one(expand_floats, depthwise_floats, expand_tensors, &Depthwise::quantize);
    if constexpr (project)
      one(expand_floats + depthwise_floats, Project::float_tensors.size(),
          expand_tensors + depthwise_tensors, &Project::quantize);
  }

  struct Ops {
    const std::byte* storage;
    std::int8_t* tile;
    template <class Conv>
    static std::int32_t input_zero_point(const std::byte* at) {
      return Conv::stage::header(at + Conv::stage_offset).input_zero_point;
    }
    template <class Conv>
    static const std::int8_t* weights(const std::byte* at) {
      return reinterpret_cast<const std::int8_t*>(at);
    }
    void expand(std::size_t pixels, const std::int8_t* in, std::int8_t* out) const {
      if constexpr (!std::is_same_v<Expand, joule::detail::NoLayer>) {
        const std::byte* at = storage + expand_offset;
        kernels::pointwise::run_int8<pointwise_kernel>(
            0, pixels, 0, shape.depthwise.in_channels, shape.in_channels,
            shape.depthwise.in_channels, in, input_zero_point<Expand>(at), weights<Expand>(at),
            Expand::stage::stage(at + Expand::stage_offset), out);
      }
    }
    void depthwise_row(const std::int8_t* const* rows, std::int8_t* out_row) const {
      const std::byte* at = storage + depthwise_offset;
      kernels::depthwise::run_row_int8<depthwise_kernel>(
          shape.depthwise, rows, input_zero_point<Depthwise>(at), weights<Depthwise>(at),
          Depthwise::stage::stage(at + Depthwise::stage_offset), out_row);
    }
    void project(std::size_t pixels, const std::int8_t* in, const std::int8_t* residual,
                 std::int8_t* out) const {
      if constexpr (!std::is_same_v<Project, joule::detail::NoLayer>) {
        const std::byte* at = storage + project_offset;
        std::int8_t* target = residual ? tile : out;
        kernels::pointwise::run_int8<pointwise_kernel>(
            0, pixels, 0, shape.out_channels, shape.depthwise.in_channels, shape.out_channels, in,
            input_zero_point<Project>(at), weights<Project>(at),
            Project::stage::stage(at + Project::stage_offset), target);
        if (residual) {
          kernels::elementwise::Int8AddParams p;
          std::memcpy(&p, storage + add_offset, sizeof p);
          kernels::elementwise::add_int8(pixels * shape.out_channels, residual, tile, p, out);
        }
      }
    }
  };

  static void run(const std::byte* storage, const std::int8_t* in, std::int8_t* out,
                  std::byte* scratch, const RunContext& context) {
    parallel_parts(
        context, output::height, 1, [&](std::size_t part, std::size_t first, std::size_t last) {
          std::byte* own = context.scratch_of(part, scratch);
          const Ops ops{storage, reinterpret_cast<std::int8_t*>(own + walk_bytes)};
          kernels::fused::inverted_residual_rows(shape, static_cast<int>(first),
                                                 static_cast<int>(last), in, out,
                                                 reinterpret_cast<std::int8_t*>(own), ops);
        });
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct FusedInvertedResidualFor<Int8> {
  template <ShapeType In, class Expand, class Depthwise, class Project, bool ResidualAdd,
            FusedNames Names>
  using type =
      quant::QuantizedFusedInvertedResidual<In, Expand, Depthwise, Project, ResidualAdd, Names>;
};
}  // namespace joule::inline JOULE_TARGET
