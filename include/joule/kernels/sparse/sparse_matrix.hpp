// The storage of an unstructured-sparse weight matrix (magnitude pruning): compressed rows (CSR),
// one row per output channel, the nonzeros of a row in increasing input-channel order.
//
//   offsets[rows + 1]   row o's nonzeros are [offsets[o], offsets[o + 1]); offsets[0] = 0
//   columns[nonzeros]   the input channel of each nonzero (16 bits: at most 65535 input channels)
//   values[nonzeros]    its weight
//
// Rows by output channel because a 1x1 convolution's output channel o is the dot product of row
// o with a pixel: a kernel walks one row at a time and reads the weights once, in order. The
// dense matrix it comes from is PyTorch's [out][in] row-major layout (Conv2d 1x1 weights with the
// two trailing 1s dropped, or Linear weights), so compress() reads a state-dict tensor as it is.
//
// SparseMatrixView does not own its arrays. A layer keeps them in its weight storage, sized at
// compile time by the number of nonzeros (a template parameter, as SparseStorage below), so that a
// pruned network's memory stays static:
//
//   SparseStorage<Out, In, Nonzeros> storage;         // offsets[Out + 1], columns and values
//   Status status = storage.fill(pytorch_weights);    // [Out][In] floats; refused if it does not
//   fit sparse::run<sparse::choose(), ReLU6>(0, pixels, storage.view(), in, bias, nullptr, out);
//
// Nothing here allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "joule/core/status.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels::sparse {

/// The most input channels a 16-bit column index can name.
inline constexpr int max_columns = 65535;

/// A rows x cols matrix in compressed rows (see the top of this file); rows are output channels,
/// cols input channels. Valid while the three arrays it points into are.
struct SparseMatrixView {
  int rows = 0;
  int cols = 0;
  const std::uint32_t* offsets = nullptr;  // rows + 1
  const std::uint16_t* columns = nullptr;  // nonzeros()
  const float* values = nullptr;           // nonzeros()

  /// The number of stored weights (0 for a view without rows).
  constexpr std::size_t nonzeros() const { return rows > 0 ? offsets[rows] : 0; }
  /// Stored weights over all weights, 0 .. 1.
  constexpr double density() const {
    const double all = static_cast<double>(rows) * cols;
    return all > 0 ? static_cast<double>(nonzeros()) / all : 0.0;
  }
};

/// The weights of a dense [rows][cols] row-major matrix that compress() stores: every value that
/// compares unequal to zero (so -0.0 is dropped and NaN is kept).
constexpr std::size_t count_nonzeros(const float* dense, int rows, int cols) {
  std::size_t count = 0;
  const std::size_t size = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  for (std::size_t i = 0; i < size; ++i) count += dense[i] != 0.0f ? 1 : 0;
  return count;
}

/// Fills offsets[rows + 1] and the first count_nonzeros() entries of columns and values (each of
/// `capacity` entries) from a dense [rows][cols] row-major matrix. Writes nothing and says why
/// when the nonzeros exceed `capacity` or cols exceeds max_columns.
constexpr Status compress(const float* dense, int rows, int cols, std::uint32_t* offsets,
                          std::uint16_t* columns, float* values, std::size_t capacity) {
  if (rows < 0 || cols < 0)
    return Status::error(ErrorCode::invalid_argument, "sparse matrix: negative size");
  if (cols > max_columns) {
    return Status::error(ErrorCode::invalid_argument, "sparse matrix: ")
        .append(cols)
        .append(" input channels, more than the 65535 a 16-bit column index can name");
  }
  const std::size_t nonzeros = count_nonzeros(dense, rows, cols);
  if (nonzeros > capacity || nonzeros > UINT32_MAX) {
    return Status::error(ErrorCode::invalid_argument, "sparse matrix: ")
        .append(static_cast<std::uint64_t>(nonzeros))
        .append(" nonzeros do not fit the storage's ")
        .append(static_cast<std::uint64_t>(capacity))
        .append("; prune more or make the storage larger");
  }
  std::uint32_t next = 0;
  for (int r = 0; r < rows; ++r) {
    offsets[r] = next;
    const float* row = dense + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols);
    for (int c = 0; c < cols; ++c) {
      if (row[c] == 0.0f) continue;
      columns[next] = static_cast<std::uint16_t>(c);
      values[next] = row[c];
      ++next;
    }
  }
  offsets[rows] = next;
  return Status::success();
}

/// The dense [rows][cols] row-major matrix of `matrix`, zeros where nothing is stored.
constexpr void densify(const SparseMatrixView& matrix, float* dense) {
  const std::size_t cols = static_cast<std::size_t>(matrix.cols);
  for (std::size_t i = 0; i < static_cast<std::size_t>(matrix.rows) * cols; ++i) dense[i] = 0.0f;
  for (int r = 0; r < matrix.rows; ++r)
    for (std::uint32_t k = matrix.offsets[r]; k < matrix.offsets[r + 1]; ++k)
      dense[static_cast<std::size_t>(r) * cols + matrix.columns[k]] = matrix.values[k];
}

/// Whether `matrix` is well formed, as the kernels assume: offsets start at 0 and never decrease,
/// and each row's columns increase strictly and stay below cols. For arrays that did not come
/// from compress() (a file, another tool).
constexpr Status validate(const SparseMatrixView& matrix) {
  if (matrix.rows < 0 || matrix.cols < 0 || matrix.cols > max_columns)
    return Status::error(ErrorCode::invalid_argument, "sparse matrix: size out of range");
  if (matrix.rows > 0 && matrix.offsets[0] != 0)
    return Status::error(ErrorCode::format_error, "sparse matrix: offsets[0] is not 0");
  for (int r = 0; r < matrix.rows; ++r) {
    if (matrix.offsets[r + 1] < matrix.offsets[r]) {
      return Status::error(ErrorCode::format_error, "sparse matrix: the offsets decrease at row ")
          .append(r);
    }
    for (std::uint32_t k = matrix.offsets[r]; k < matrix.offsets[r + 1]; ++k) {
      const bool ordered = k == matrix.offsets[r] || matrix.columns[k - 1] < matrix.columns[k];
      if (!ordered || matrix.columns[k] >= matrix.cols) {
        return Status::error(ErrorCode::format_error, "sparse matrix: row ")
            .append(r)
            .append("'s columns are not increasing below the column count");
      }
    }
  }
  return Status::success();
}

/// Static storage for a Rows x Cols matrix of at most Nonzeros weights: what a pruned layer holds
/// (sizeof is known at compile time; no heap).
template <int Rows, int Cols, std::size_t Nonzeros>
struct SparseStorage {
  static_assert(Rows >= 0 && Cols >= 0, "joule: a sparse matrix of negative size");
  static_assert(Cols <= max_columns,
                "joule: a sparse matrix's column index is 16 bits (at most 65535 input channels)");

  std::array<std::uint32_t, Rows + 1> offsets{};
  std::array<std::uint16_t, Nonzeros> columns{};
  std::array<float, Nonzeros> values{};

  /// From a dense [Rows][Cols] row-major matrix; refused (storage unchanged) when it has more
  /// than Nonzeros nonzeros.
  constexpr Status fill(const float* dense) {
    return compress(dense, Rows, Cols, offsets.data(), columns.data(), values.data(), Nonzeros);
  }
  constexpr SparseMatrixView view() const {
    return SparseMatrixView{Rows, Cols, offsets.data(), columns.data(), values.data()};
  }
};

}  // namespace joule::inline JOULE_TARGET::kernels::sparse
