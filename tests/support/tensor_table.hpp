// TensorTable: named float tensors in PyTorch layout, the test suite's weight source. It fills
// itself with joule's deterministic weights for every tensor a network asks for, and remembers
// which names the network looked up.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "joule/graph/bind.hpp"
#include "joule/graph/deterministic_weights.hpp"
#include "joule/graph/node.hpp"

namespace testing {

class TensorTable {
 public:
  TensorTable() = default;
  TensorTable(TensorTable&&) = default;
  TensorTable& operator=(TensorTable&&) = default;
  TensorTable(const TensorTable&) = delete;  // entries point into their own storage

  void add(const std::string& name, std::vector<std::int64_t> dims, std::vector<float> values) {
    Entry& entry = entries_[name];
    entry.values = std::move(values);
    entry.data.rank = static_cast<int>(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) entry.data.dims[i] = dims[i];
    entry.data.data = entry.values.data();
  }
  void remove(const std::string& name) { entries_.erase(name); }

  const joule::TensorData* find(std::string_view name) {
    looked_up_.emplace(name);
    const auto it = entries_.find(std::string(name));
    return it == entries_.end() ? nullptr : &it->second.data;
  }

  const float* operator[](const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) throw std::out_of_range("TensorTable: no tensor " + name);
    return it->second.values.data();
  }
  std::vector<float>& values(const std::string& name) { return entries_.at(name).values; }
  const std::set<std::string, std::less<>>& looked_up() const { return looked_up_; }
  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& [name, entry] : entries_) result.push_back(name);
    return result;
  }

  /// joule's deterministic PyTorch-like weights (graph/deterministic_weights.hpp) for every
  /// tensor of Net, as a table a test can edit.
  template <class Net>
  static TensorTable deterministic_for(std::uint32_t seed) {
    TensorTable table;
    Net::visit([&](const joule::NodeInfo& node) {
      for (const joule::TensorSpec& spec : node.tensors) {
        const std::string name(joule::tensor_name(node.path, node.part_names[spec.part], spec.name).view());
        std::vector<float> values(spec.elements());
        for (std::size_t i = 0; i < values.size(); ++i)
          values[i] = joule::deterministic_value(seed, spec, name, i);
        table.add(name, std::vector<std::int64_t>(spec.dims.begin(), spec.dims.begin() + spec.rank),
                  std::move(values));
      }
    });
    return table;
  }

 private:
  struct Entry {
    std::vector<float> values;
    joule::TensorData data;
  };
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::string, std::less<>> looked_up_;
};

inline std::vector<float> random_vector(std::size_t count, std::uint32_t seed, float low = -1.0f,
                                        float high = 1.0f) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = distribution(engine);
  return values;
}

}  // namespace testing
