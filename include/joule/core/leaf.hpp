// The leaf protocol: what a bound layer that runs a kernel provides. A layer derives from LeafBase
// and declares only what it adds; LeafBase holds the defaults. The Leaf concept checks every
// member, and check_leaf<T> says which one is missing, naming the layer type, when a network holds
// a type that is neither a leaf nor a container.
//
//   member                      meaning                                                 default
//   input, output               Shape<H, W, C> types                                    -
//   input_dtype, output_dtype   DType of the input and output tensors                   f32, f32
//   cost                        Cost: params, MACs, weight bytes, activation bytes      -
//   weight_bytes                bytes of weight storage in joule's layout               0
//   scratch_bytes               bytes of scratch beside its input and output            0
//   in_place                    whether the output may overwrite the input              false
//   kind, description           for reports: "Conv2d", "3x3 s2 BN ReLU6"                -, empty
//   kernel_record               the kernel it runs (kernels/kernel_record.hpp)         -
//   part_names, tensors         the PyTorch tensors it takes (TensorSpec)               none
//   pack(sources, storage)      PyTorch layout to joule layout                          nothing
//   output_quantization         int8: index in `tensors` of the output's scale (its      -1
//                               zero point follows); -1: the input's quantization, or none
//   defines_input_quantization  int8: its output_quantization tensors are its input's    false
//                               too (a network's int8 input), so no layer before it
//                               needs to give one
//   float_tensors, quantize     int8: the float layer's tensors, and how they become    none
//                               this layer's (quantize(floats, outputs): outputs[i] for
//                               tensors[i], null for activation parameters)
//   run(weights, in, out, scratch, context)                                             -
//
// `run` takes the input and output as arrays of their dtypes (const float*, std::int8_t*, ...),
// the weights and scratch as bytes; the layer reads its own layout from them.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "joule/core/cost.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/executor.hpp"
#include "joule/core/pack_sources.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_spec.hpp"
#include "joule/core/text.hpp"

namespace joule::inline JOULE_TARGET {

/// The defaults of the leaf protocol.
struct LeafBase {
  static constexpr DType input_dtype = DType::f32;
  static constexpr DType output_dtype = DType::f32;
  static constexpr std::size_t weight_bytes = 0;
  static constexpr std::size_t scratch_bytes = 0;
  static constexpr bool in_place = false;
  static constexpr Text<48> description{};
  static constexpr std::array<std::string_view, 0> part_names{};
  static constexpr std::array<TensorSpec, 0> tensors{};
  static constexpr int output_quantization = -1;
  static constexpr bool defines_input_quantization = false;
  static void pack(const PackSources&, std::byte*) {}
  static constexpr std::array<TensorSpec, 0> float_tensors{};
  static void quantize(const PackSources&, void* const*) {}
};

template <class T>
concept LeafShapes = requires {
  typename T::input;
  typename T::output;
  requires ShapeType<typename T::input> && ShapeType<typename T::output>;
  { T::input_dtype } -> std::convertible_to<DType>;
  { T::output_dtype } -> std::convertible_to<DType>;
};

template <class T>
concept LeafCosts = requires {
  { T::cost } -> std::convertible_to<Cost>;
  { T::weight_bytes } -> std::convertible_to<std::size_t>;
  { T::scratch_bytes } -> std::convertible_to<std::size_t>;
  { T::in_place } -> std::convertible_to<bool>;
  { T::output_quantization } -> std::convertible_to<int>;
  { T::defines_input_quantization } -> std::convertible_to<bool>;
};

template <class T>
concept LeafNames = requires {
  { T::kind } -> std::convertible_to<std::string_view>;
  { T::description.view() } -> std::convertible_to<std::string_view>;
  { T::kernel_record.name().view() } -> std::convertible_to<std::string_view>;
  requires std::same_as<typename std::remove_cvref_t<decltype(T::part_names)>::value_type,
                        std::string_view>;
  requires std::same_as<typename std::remove_cvref_t<decltype(T::tensors)>::value_type, TensorSpec>;
};

template <class T>
concept LeafPack = requires(const PackSources& sources, std::byte* storage) {
  T::pack(sources, storage);
};

template <class T>
concept LeafRun = LeafShapes<T> &&
    requires(const std::byte* weights, const value_t<T::input_dtype>* in,
             value_t<T::output_dtype>* out, std::byte* scratch, const RunContext& context) {
  T::run(weights, in, out, scratch, context);
};

/// Every member of the leaf protocol.
template <class T>
concept Leaf = LeafShapes<T> && LeafCosts<T> && LeafNames<T> && LeafPack<T> && LeafRun<T>;

/// Instantiated for a node that is not a container: each assertion names a missing part, and the
/// instantiation context names the type.
template <class T>
struct check_leaf {
  static_assert(
      LeafShapes<T>,
      "joule leaf protocol: the bound layer in the instantiation above lacks input/output Shape "
      "types or input_dtype/output_dtype (derive it from joule::LeafBase for the dtypes)");
  static_assert(
      LeafCosts<T>,
      "joule leaf protocol: the bound layer in the instantiation above lacks cost, weight_bytes, "
      "scratch_bytes, in_place, output_quantization or defines_input_quantization");
  static_assert(
      LeafNames<T>,
      "joule leaf protocol: the bound layer in the instantiation above lacks kind, description, "
      "kernel_record, part_names or tensors");
  static_assert(LeafPack<T>,
                "joule leaf protocol: the bound layer in the instantiation above lacks "
                "pack(const PackSources&, std::byte*)");
  static_assert(
      LeafRun<T>,
      "joule leaf protocol: the bound layer in the instantiation above lacks run(const std::byte* "
      "weights, const In* in, Out* out, std::byte* scratch, const RunContext&) for its dtypes");
  static constexpr bool ok = Leaf<T>;
};

/// Bytes of a leaf's input and output tensors.
template <class T>
inline constexpr std::size_t input_bytes = bytes_of(T::input::size, T::input_dtype);
template <class T>
inline constexpr std::size_t output_bytes = bytes_of(T::output::size, T::output_dtype);

}  // namespace joule::inline JOULE_TARGET
