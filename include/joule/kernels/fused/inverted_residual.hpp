// The fused inverted residual: 1x1 expansion -> KxK depthwise -> 1x1 projection (+ the input),
// computed a tile of output rows at a time, so the expanded tensor never exists whole. The
// expanded rows the depthwise convolution needs live in a ring; the depthwise output rows go
// straight into the projection. For MobileNetV2's second block (tiles of one 56-pixel row) that
// is 207 KB of scratch instead of 5.8 MB of expanded and depthwise tensors written to memory and
// read back. Tiles are tall enough that each matrix product has rows for full register tiles.
//
// Without a projection (blocks whose squeeze-excite needs the whole depthwise output first), the
// depthwise rows are the output. Without an expansion, the depthwise convolution reads the input.
#pragma once

#include <array>
#include <cstddef>

#include "joule/kernels/conv/geometry.hpp"
#include "joule/kernels/depthwise/dispatch.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::fused {

struct InvertedResidualParams {
  /// Over the hidden channels: input height and width are the block's, channels the hidden ones.
  ConvGeometry depthwise;
  int in_channels = 0;
  int out_channels = 0;  // of the projection
  bool expand = false;
  bool project = false;
  bool residual = false;  // add the input to the projection's output
  /// Output rows computed together: enough that each matrix product has rows for full tiles
  /// (a 7x7 map goes whole; a 112-wide one a row at a time).
  int tile_rows = 1;
  const float* expand_weights = nullptr;
  const float* expand_bias = nullptr;
  const float* depthwise_weights = nullptr;
  const float* depthwise_bias = nullptr;
  const float* project_weights = nullptr;
  const float* project_bias = nullptr;
};

/// Output rows per tile: at least 48 output pixels (four of the widest GEMM tiles), within the map.
constexpr int tile_rows_for(const ConvGeometry& g) {
  int rows = (48 + g.out_width - 1) / g.out_width;
  return rows < g.out_height ? rows : g.out_height;
}

/// Expanded input rows one tile of output rows needs.
constexpr int ring_rows(const InvertedResidualParams& p) {
  return (p.tile_rows - 1) * p.depthwise.stride_height + (p.depthwise.kernel_height - 1) * p.depthwise.dilation_height + 1;
}

/// Elements of scratch one worker needs for elements of `element_bytes` bytes: the ring of
/// expanded rows and the depthwise output rows, the second on a 64-byte boundary.
constexpr std::size_t scratch_elements(const InvertedResidualParams& p, std::size_t element_bytes) {
  const std::size_t hidden = static_cast<std::size_t>(p.depthwise.in_channels);
  const std::size_t ring = p.expand ? static_cast<std::size_t>(ring_rows(p)) * p.depthwise.in_width * hidden : 0;
  const std::size_t rows = p.project ? static_cast<std::size_t>(p.tile_rows) * p.depthwise.out_width * hidden : 0;
  const std::size_t per_line = 64 / element_bytes;
  return (ring + per_line - 1) / per_line * per_line + rows;
}

/// Floats of scratch one worker needs: the ring of expanded rows and the depthwise output rows.
constexpr std::size_t scratch_floats(const InvertedResidualParams& p) {
  return scratch_elements(p, sizeof(float));
}

/// The fused kernel for p: SIMD when its depthwise convolution has a SIMD kernel (the expansion
/// and projection run the pointwise kernel of the target either way).
constexpr KernelRecord choose(const InvertedResidualParams& p) {
  return KernelRecord{.op = KernelOp::mbconv_fused,
                      .impl = depthwise::choose(p.depthwise).impl,
                      .kernel = static_cast<std::uint8_t>(p.depthwise.kernel_width),
                      .stride = static_cast<std::uint8_t>(p.depthwise.stride_width),
                      .expand = p.expand,
                      .project = p.project};
}

/// The depthwise kernel a fused record runs its rows with.
constexpr KernelRecord depthwise_kernel(const KernelRecord& fused) {
  return fused.simd() ? depthwise::simd_kernel(fused.kernel, fused.stride)
                      : depthwise::reference_kernel;
}

/// Every fused kernel of this target: each depthwise kernel size and stride, with and without
/// expansion and projection, on each depthwise implementation.
inline constexpr auto records = [] {
  std::array<KernelRecord, depthwise::records.size() * 4> all{};
  std::size_t i = 0;
  for (const KernelRecord& dw : depthwise::records) {
    for (int variant = 0; variant < 4; ++variant) {
      all[i++] = KernelRecord{.op = KernelOp::mbconv_fused,
                              .impl = dw.impl,
                              .kernel = static_cast<std::uint8_t>(dw.simd() ? dw.kernel : 3),
                              .stride = static_cast<std::uint8_t>(dw.simd() ? dw.stride : 1),
                              .expand = (variant & 1) == 0,
                              .project = (variant & 2) == 0};
    }
  }
  return all;
}();

/// The walk over output rows that both precisions share: tiles of p.tile_rows output rows, the
/// expanded input rows they need kept in a ring (each expanded once per worker), one depthwise
/// output row at a time, then one projection over the tile. The arithmetic is `ops`':
///   ops.expand(pixels, in, ring_rows)              pixels input pixels into expanded pixels
///   ops.depthwise_row(rows, out_row)               kernel_height row pointers (null: padding)
///   ops.project(pixels, depthwise_rows, residual, out)   residual null unless p.residual
/// Output rows [first_row, last_row); scratch: scratch_elements(p, sizeof(T)) elements.
template <class T, class Ops>
void inverted_residual_rows(const InvertedResidualParams& p, int first_row, int last_row,
                            const T* input, T* output, T* scratch, const Ops& ops) {
  const ConvGeometry& g = p.depthwise;
  const int hidden = g.in_channels;
  const std::size_t in_row = static_cast<std::size_t>(g.in_width) * p.in_channels;
  const std::size_t hidden_row = static_cast<std::size_t>(g.in_width) * hidden;
  const std::size_t out_row = static_cast<std::size_t>(g.out_width) * hidden;
  const int capacity = ring_rows(p);
  const std::size_t per_line = 64 / sizeof(T);
  T* ring = scratch;
  T* depthwise_rows =
      scratch + (p.expand ? (static_cast<std::size_t>(capacity) * hidden_row + per_line - 1) /
                                per_line * per_line
                          : 0);

  // The ring holds expanded input rows [ring_begin, ring_end), row iy in slot iy % capacity. Tiles
  // move down the map, so each input row is expanded once per worker.
  int ring_begin = 0;
  int ring_end = 0;
  const auto expand_rows = [&](int begin, int end) {
    while (begin < end) {
      // One matrix product over rows whose slots follow each other.
      const int slot = begin % capacity;
      const int count = end - begin < capacity - slot ? end - begin : capacity - slot;
      ops.expand(static_cast<std::size_t>(count) * g.in_width,
                 input + static_cast<std::size_t>(begin) * in_row,
                 ring + static_cast<std::size_t>(slot) * hidden_row);
      begin += count;
    }
  };

  constexpr int max_kernel = 7;
  for (int oy0 = first_row; oy0 < last_row; oy0 += p.tile_rows) {
    const int oy1 = oy0 + p.tile_rows < last_row ? oy0 + p.tile_rows : last_row;
    if (p.expand) {
      // Input rows this tile reads, within the map.
      int need_begin = oy0 * g.stride_height - g.pad_top;
      int need_end = (oy1 - 1) * g.stride_height - g.pad_top + (g.kernel_height - 1) * g.dilation_height + 1;
      if (need_begin < 0) need_begin = 0;
      if (need_end > g.in_height) need_end = g.in_height;
      if (need_begin >= ring_end || need_begin < ring_begin) ring_begin = ring_end = need_begin;
      expand_rows(ring_end > need_begin ? ring_end : need_begin, need_end);
      ring_end = need_end;
      if (ring_end - ring_begin > capacity) ring_begin = ring_end - capacity;
    }
    for (int oy = oy0; oy < oy1; ++oy) {
      const T* rows[max_kernel];
      for (int ky = 0; ky < g.kernel_height; ++ky) {
        const int iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
        if (iy < 0 || iy >= g.in_height) {
          rows[ky] = nullptr;
        } else if (p.expand) {
          rows[ky] = ring + static_cast<std::size_t>(iy % capacity) * hidden_row;
        } else {
          rows[ky] = input + static_cast<std::size_t>(iy) * in_row;
        }
      }
      T* target = p.project ? depthwise_rows + static_cast<std::size_t>(oy - oy0) * out_row
                            : output + static_cast<std::size_t>(oy) * out_row;
      ops.depthwise_row(rows, target);
    }
    if (p.project) {
      // One product over the tile's pixels; a residual block has stride 1 and as many outputs as
      // inputs, so the tile's input pixels are added.
      const std::size_t first_pixel = static_cast<std::size_t>(oy0) * g.out_width;
      const std::size_t pixels = static_cast<std::size_t>(oy1 - oy0) * g.out_width;
      const T* residual = p.residual ? input + first_pixel * p.in_channels : nullptr;
      ops.project(pixels, depthwise_rows, residual, output + first_pixel * p.out_channels);
    }
  }
}

/// The float32 fused kernel: output rows [first_row, last_row), the depthwise rows computed with
/// kernel Depthwise. `scratch` holds scratch_floats(p) floats of this worker.
template <KernelRecord Depthwise, Activation ExpandAct, Activation DepthwiseAct>
void inverted_residual(const InvertedResidualParams& p, int first_row, int last_row,
                       const float* input, float* output, float* scratch) {
  struct Ops {
    const InvertedResidualParams& p;
    void expand(std::size_t pixels, const float* in, float* out) const {
      pointwise::run<pointwise::choose(), ExpandAct>(0, pixels, p.in_channels,
                                                     p.depthwise.in_channels, in, p.expand_weights,
                                                     p.expand_bias, nullptr, out);
    }
    void depthwise_row(const float* const* rows, float* out_row) const {
      depthwise::run_row<Depthwise, DepthwiseAct>(p.depthwise, rows, p.depthwise_weights,
                                                  p.depthwise_bias, out_row);
    }
    void project(std::size_t pixels, const float* in, const float* residual, float* out) const {
      pointwise::run<pointwise::choose(), Identity>(0, pixels, p.depthwise.in_channels,
                                                    p.out_channels, in, p.project_weights,
                                                    p.project_bias, residual, out);
    }
  };
  inverted_residual_rows(p, first_row, last_row, input, output, scratch, Ops{p});
}

}  // namespace joule::inline JOULE_TARGET::kernels::fused
