// Random quantized tensors for an int8 network, as a quantized file would hold them: int8 weights
// over the whole range (-128 included, as PyTorch's observers produce it), positive weight scales,
// float biases, activation scales and zero points drawn from chosen ranges (extreme ones make
// outputs saturate at both ends). Deterministic from the seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "joule/graph/bind.hpp"
#include "joule/io/tensor_store.hpp"

namespace testing {

struct QuantizedRanges {
  float min_scale = 0.005f, max_scale = 0.05f;  // activations
  float min_weight_scale = 0.001f, max_weight_scale = 0.02f;
  int min_zero_point = -128, max_zero_point = 127;
  float bias = 2.0f;  // biases in [-bias, bias]
};

template <class Q>
joule::io::TensorStore random_quantized(std::uint32_t seed, QuantizedRanges r = {}) {
  joule::io::TensorStore store;
  std::mt19937 engine(seed);
  const auto uniform = [&](float low, float high) {
    return std::uniform_real_distribution<float>(low, high)(engine);
  };
  const auto log_uniform = [&](float low, float high) {
    return std::exp(uniform(std::log(low), std::log(high)));
  };
  Q::visit([&](const joule::NodeInfo& node) {
    for (const joule::TensorSpec& spec : node.tensors) {
      const std::string name(
          joule::tensor_name(node.path, node.part_names[spec.part], spec.name).view());
      std::vector<std::int64_t> shape(spec.dims.begin(), spec.dims.begin() + spec.rank);
      std::byte* bytes = store.add(name, spec.dtype, shape);
      for (std::size_t i = 0; i < spec.elements(); ++i) {
        if (spec.dtype == joule::DType::i8) {
          reinterpret_cast<std::int8_t*>(bytes)[i] =
              static_cast<std::int8_t>(std::uniform_int_distribution<int>(-128, 127)(engine));
        } else if (spec.name == "zero_point") {
          reinterpret_cast<std::int32_t*>(bytes)[i] =
              std::uniform_int_distribution<int>(r.min_zero_point, r.max_zero_point)(engine);
        } else if (spec.name == "weight_scale") {
          reinterpret_cast<float*>(bytes)[i] = log_uniform(r.min_weight_scale, r.max_weight_scale);
        } else if (spec.name == "scale") {
          reinterpret_cast<float*>(bytes)[i] = log_uniform(r.min_scale, r.max_scale);
        } else {
          reinterpret_cast<float*>(bytes)[i] = uniform(-r.bias, r.bias);
        }
      }
    }
  });
  return store;
}

/// A scalar of the store.
template <class T>
T scalar(const joule::io::TensorStore& store, const std::string& name) {
  return store.find(name)->template values<T>()[0];
}

}  // namespace testing
