// Building weights in joule's packed layout for kernel-level tests.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "joule/core/pack_sources.hpp"
#include "joule/kernels/gemm/packing.hpp"

namespace testing {

/// A row-major [rows][cols] matrix in the packed panel layout of kernels/gemm/packing.hpp.
inline std::vector<float> pack_matrix(const std::vector<float>& matrix, int rows, int cols) {
  std::vector<float> packed(joule::kernels::gemm::packed_size(rows, cols), 0.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) packed[joule::kernels::gemm::packed_index(r, c, rows)] = matrix[std::size_t(r) * cols + c];
  return packed;
}

/// PyTorch's OIHW convolution weights [out][in / groups][k][k] as the HWIO matrix
/// [k][k][in / groups][out] that joule's convolution kernels take (depthwise: in / groups = 1, the
/// [k][k][channels] layout itself).
inline std::vector<float> oihw_to_hwio(const std::vector<float>& oihw, int out, int in_per_group,
                                       int kernel) {
  std::vector<float> hwio(oihw.size());
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in_per_group; ++i)
      for (int y = 0; y < kernel; ++y)
        for (int x = 0; x < kernel; ++x)
          hwio[((std::size_t(y) * kernel + x) * in_per_group + i) * out + o] =
              oihw[((std::size_t(o) * in_per_group + i) * kernel + y) * kernel + x];
  return hwio;
}

/// Convolution weights as the conv kernels take them: the HWIO matrix, packed.
inline std::vector<float> conv_weights(const std::vector<float>& oihw, int out, int in_per_group,
                                       int kernel) {
  return pack_matrix(oihw_to_hwio(oihw, out, in_per_group, kernel), kernel * kernel * in_per_group,
                     out);
}

/// A per-column vector (a bias) padded to whole panels, as layers store it.
inline std::vector<float> pad_columns(const std::vector<float>& values) {
  std::vector<float> padded(joule::kernels::gemm::padded_cols(static_cast<int>(values.size())), 0.0f);
  for (std::size_t i = 0; i < values.size(); ++i) padded[i] = values[i];
  return padded;
}

/// float32 tensors handed to a layer's pack() directly (shapes unchecked: pack trusts binding).
class FloatSources {
 public:
  FloatSources(std::initializer_list<const float*> tensors) {
    for (const float* t : tensors)
      data_.push_back(joule::TensorData{t, 0, {}, {}, joule::DType::f32});
    for (const joule::TensorData& d : data_) pointers_.push_back(&d);
  }
  FloatSources(const FloatSources&) = delete;
  joule::PackSources sources() const {
    return joule::PackSources{pointers_.data(), pointers_.size()};
  }

 private:
  std::vector<joule::TensorData> data_;
  std::vector<const joule::TensorData*> pointers_;
};

}  // namespace testing
