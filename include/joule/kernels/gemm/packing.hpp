// The weight layout of every layer that mixes channels (pointwise, KxK convolutions, linear,
// squeeze-excite's two small layers): a [rows][cols] matrix (rows = taps x input channels,
// cols = output channels) stored as panels of 32 columns, each panel [rows][32], the last one
// padded with zeros:
//
//   element (r, c) at (c / 32) * rows * 32 + r * 32 + c % 32
//
// A SIMD tile reads one panel front to back, so weights stream from memory in order, and never
// needs a partial load. 32 columns is two AVX-512 registers, four AVX2 and eight SSE or NEON
// registers, so the layout does not depend on the target: weights packed on a host run anywhere.
#pragma once

#include <cstddef>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::gemm {

inline constexpr int panel_width = 32;

constexpr std::size_t padded_cols(int cols) {
  return (static_cast<std::size_t>(cols) + panel_width - 1) / panel_width * panel_width;
}

/// Floats a packed [rows][cols] matrix takes.
constexpr std::size_t packed_size(int rows, int cols) { return static_cast<std::size_t>(rows) * padded_cols(cols); }

constexpr std::size_t packed_index(int row, int col, int rows) {
  return static_cast<std::size_t>(col / panel_width) * static_cast<std::size_t>(rows) * panel_width +
         static_cast<std::size_t>(row) * panel_width + static_cast<std::size_t>(col % panel_width);
}

}  // namespace joule::inline JOULE_TARGET::kernels::gemm
