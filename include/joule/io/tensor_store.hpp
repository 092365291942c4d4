// TensorStore: named tensors of any DType in PyTorch's layout, owned, in the order they were added;
// a TensorSource for bind_weights. What weight quantization and calibration produce, and what
// write_tensor_store() writes as safetensors (with I8 / I32 / F32 entries). Hosted only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/core/tensor_data.hpp"

namespace joule::inline JOULE_TARGET::io {

class TensorStore {
 public:
  struct Entry {
    std::string name;
    DType dtype = DType::f32;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> bytes;
    TensorData data;
  };

  TensorStore() = default;
  TensorStore(TensorStore&&) = default;
  TensorStore& operator=(TensorStore&&) = default;

  /// Adds a tensor of zeros (or replaces the one of that name) and returns its bytes to fill.
  std::byte* add(const std::string& name, DType dtype, const std::vector<std::int64_t>& shape) {
    std::size_t count = 1;
    for (std::int64_t d : shape) count *= static_cast<std::size_t>(d);
    auto found = by_name_.find(name);
    Entry* entry = nullptr;
    if (found == by_name_.end()) {
      entries_.push_back(std::make_unique<Entry>());
      entry = entries_.back().get();
      by_name_.emplace(name, entry);
    } else {
      entry = found->second;
    }
    entry->name = name;
    entry->dtype = dtype;
    entry->shape = shape;
    // At least one byte, so that an empty tensor's data is not null ("missing").
    entry->bytes.assign(count * size_of(dtype) > 0 ? count * size_of(dtype) : 1, std::byte{0});
    entry->data = TensorData{};
    entry->data.data = entry->bytes.data();
    entry->data.dtype = dtype;
    entry->data.rank = static_cast<int>(shape.size());
    for (std::size_t i = 0; i < shape.size() && i < entry->data.dims.size(); ++i)
      entry->data.dims[i] = shape[i];
    return entry->bytes.data();
  }

  template <class T>
  void add_values(const std::string& name, const std::vector<std::int64_t>& shape, const T* values,
                  std::size_t count) {
    std::byte* bytes = add(name, dtype_of<T>, shape);
    for (std::size_t i = 0; i < count; ++i) reinterpret_cast<T*>(bytes)[i] = values[i];
  }
  /// A rank-0 tensor holding one value (a scale or zero point).
  template <class T>
  void add_scalar(const std::string& name, T value) {
    add_values(name, {}, &value, 1);
  }

  /// The TensorSource interface.
  const TensorData* find(std::string_view name) const {
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : &found->second->data;
  }

  std::size_t size() const { return entries_.size(); }
  const Entry& operator[](std::size_t i) const { return *entries_[i]; }

 private:
  std::vector<std::unique_ptr<Entry>> entries_;
  std::map<std::string, Entry*, std::less<>> by_name_;
};

}  // namespace joule::inline JOULE_TARGET::io
