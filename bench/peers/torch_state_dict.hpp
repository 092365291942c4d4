// StateDict: named float tensors in PyTorch's layout, standing in for a torchvision state_dict.
// The peers read their weights from it by torchvision's names, so that a peer and joule can be
// given the very same tensors.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace joule::peers {

struct TorchTensor {
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};

class StateDict {
 public:
  void add(std::string name, std::vector<std::int64_t> dims, std::vector<float> values) {
    tensors_[std::move(name)] = TorchTensor{std::move(dims), std::move(values)};
  }

  const TorchTensor* find(std::string_view name) const {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }

  /// The tensor's values; throws, naming the tensor, when it is missing or has other dims, so that
  /// a builder never reads a tensor of the wrong shape.
  const std::vector<float>& require(const std::string& name, const std::vector<std::int64_t>& dims) const {
    const TorchTensor* tensor = find(name);
    if (tensor == nullptr) throw std::runtime_error("state dict has no tensor '" + name + "'");
    if (tensor->dims != dims) throw std::runtime_error("tensor '" + name + "' has unexpected dims");
    return tensor->values;
  }

  const std::map<std::string, TorchTensor, std::less<>>& tensors() const { return tensors_; }

 private:
  std::map<std::string, TorchTensor, std::less<>> tensors_;
};

}  // namespace joule::peers
