// DeterministicWeights: PyTorch-like weights for every tensor a network takes, the same on every
// host and target, made while binding without the heap. Tests, examples, firmware and `joule bench`
// all use it, so every "random" network in the project has the same statistics:
//
//   convolution and linear weights   uniform in +-sqrt(3 / fan-in) (unit variance through a layer)
//   BatchNorm weight and running_var uniform in [0.5, 1.5) (a variance must be positive)
//   every other vector               uniform in +-0.25 (biases, BatchNorm bias and mean)
//
// and for the tensors of an int8 network (quant::Quantized<Net>), the same layers quantized:
//
//   int8 weights                     uniform in [-127, 127]
//   weight_scale                     sqrt(3 / fan-in) / 127 (the float weights' range), the fan-in
//                                    being the int8 weight's just before it
//   an activation's scale, zero point  8 / 255 and 0 (the range [-4.3, 4.2]); 1 / 256 and -128
//                                    for a gate (scale_activation), whose values are in [0, 1]
//
// so that int8 networks can be run and timed, and their bits compared across targets, without
// calibration (their outputs mean nothing, but are the same everywhere).
//
// Element i of a tensor depends only on the seed, the tensor's full name and i (a counter-based
// generator: SplitMix64 of a hash of the three), not on the order tensors are asked for, and not
// on <random>, whose distributions differ between standard libraries.
//
//   auto source = std::make_unique<DeterministicWeights<Net::max_source_elements>>(seed);
//   Status status = bind_weights<Net>(*source, weights);
//
// The buffer holds the tensors of one layer at a time (Net::max_source_elements floats).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "joule/core/pack_sources.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_data.hpp"
#include "joule/core/tensor_spec.hpp"

namespace joule::inline JOULE_TARGET {

namespace detail {
/// FNV-1a, 64-bit: the name's part of the counter.
constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

/// SplitMix64's output function (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a bijection that mixes every input bit into every output bit.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace detail

/// Element `index` of the tensor `spec` named `name`, for `seed`.
inline float deterministic_value(std::uint32_t seed, const TensorSpec& spec, std::string_view name,
                                 std::size_t index) {
  const std::uint64_t bits =
      detail::splitmix64(detail::fnv1a(name) ^ (static_cast<std::uint64_t>(seed) << 32) ^
                         detail::splitmix64(static_cast<std::uint64_t>(index)));
  // 24 random bits: exactly representable, uniform in [0, 1).
  const float unit = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
  if (spec.name == "running_var" || (spec.rank == 1 && spec.name == "weight")) return 0.5f + unit;
  const float centered = 2.0f * unit - 1.0f;
  if (spec.rank >= 2) {
    const double fan_in = static_cast<double>(spec.elements()) / static_cast<double>(spec.dims[0]);
    return centered * static_cast<float>(std::sqrt(3.0 / fan_in));
  }
  return 0.25f * centered;
}

/// The bits of element `index` of the int8 network's tensor `spec` (a weight, a weight scale, an
/// activation's scale or zero point), for `seed`.
inline void deterministic_quantized(std::uint32_t seed, const TensorSpec& spec,
                                    std::string_view name, std::size_t index, double fan_in,
                                    void* value) {
  const std::uint64_t bits =
      detail::splitmix64(detail::fnv1a(name) ^ (static_cast<std::uint64_t>(seed) << 32) ^
                         detail::splitmix64(static_cast<std::uint64_t>(index)));
  const bool gate = name.find("scale_activation.") != std::string_view::npos;
  if (spec.dtype == DType::i8) {
    static_cast<std::int8_t*>(value)[index] =
        static_cast<std::int8_t>(static_cast<int>(bits % 255) - 127);
  } else if (spec.name == "zero_point") {
    static_cast<std::int32_t*>(value)[index] = gate ? -128 : 0;
  } else if (spec.name == "scale") {
    static_cast<float*>(value)[index] = gate ? 1.0f / 256.0f : 8.0f / 255.0f;
  } else if (spec.name == "weight_scale") {
    static_cast<float*>(value)[index] = static_cast<float>(std::sqrt(3.0 / fan_in) / 127.0);
  } else {
    static_cast<float*>(value)[index] = deterministic_value(seed, spec, name, index);
  }
}

/// A TensorMaker (graph/bind.hpp) holding up to Elements floats: one layer's tensors at a time.
template <std::size_t Elements>
class DeterministicWeights {
 public:
  explicit DeterministicWeights(std::uint32_t seed) : seed_(seed) {}

  /// Tensor `index` of a layer (index 0 starts the next layer, reusing the buffer).
  const TensorData* make(const TensorSpec& spec, std::string_view name, std::size_t index) {
    if (index == 0) used_ = 0;
    if (index >= max_layer_tensors) return nullptr;
    TensorData& answer = answers_[index];
    answer = TensorData{};
    answer.rank = spec.rank;
    for (int i = 0; i < spec.rank; ++i)
      answer.dims[static_cast<std::size_t>(i)] = spec.dims[static_cast<std::size_t>(i)];
    // In floats, whatever the dtype (int8 tensors take a quarter of what they are given).
    const std::size_t count = spec.elements();
    if (count > Elements - used_) {
      answer.unsupported_dtype =
          "none (the layer's tensors do not fit DeterministicWeights<N>; N = "
          "Net::max_source_elements)";
      return &answer;
    }
    float* values = values_ + used_;
    if (spec.dtype == DType::i8 && spec.rank >= 2) {
      fan_in_ = static_cast<double>(count) / static_cast<double>(spec.dims[0]);
    }
    if (spec.dtype == DType::f32 && spec.name != "scale" && spec.name != "weight_scale") {
      for (std::size_t i = 0; i < count; ++i) values[i] = deterministic_value(seed_, spec, name, i);
    } else {
      for (std::size_t i = 0; i < count; ++i)
        deterministic_quantized(seed_, spec, name, i, fan_in_, values);
    }
    used_ += count;
    answer.data = values;
    answer.dtype = spec.dtype;
    return &answer;
  }

 private:
  std::uint32_t seed_;
  std::size_t used_ = 0;
  double fan_in_ = 1.0;  // of the last int8 weight made
  TensorData answers_[max_layer_tensors];
  float values_[Elements > 0 ? Elements : 1];
};

}  // namespace joule::inline JOULE_TARGET
