// The sparse pointwise kernels (kernels/sparse/): the compressed-row format round trip and its
// refusals; the sparse reference against the dense pointwise reference on the densified weights,
// bit for bit; every record of sparse::records against the sparse reference (the SIMD kernel within
// the fp32 SIMD tolerance), over pixel counts around the block and its tail, channel counts off
// the register width, sparsities 0, 50, 90 and 100%, with and without bias and residual, every
// activation and blocks of output channels, nothing written outside the block; splitting the
// pixels or the channels changes no bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "joule/kernels/pointwise/reference.hpp"
#include "joule/kernels/sparse/dispatch.hpp"
#include "kernel_tester.hpp"

namespace sparse = joule::kernels::sparse;
namespace pointwise = joule::kernels::pointwise;
using joule::kernels::KernelRecord;
using sparse::SparseMatrixView;
using testers::Activation;

namespace {

/// Sets the `sparsity` fraction of `matrix` with the smallest magnitudes to zero (ties by index).
void prune(std::vector<float>& matrix, double sparsity) {
  std::vector<std::size_t> order(matrix.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(matrix[a]) < std::abs(matrix[b]);
  });
  const auto pruned = static_cast<std::size_t>(std::llround(sparsity * double(matrix.size())));
  for (std::size_t i = 0; i < pruned; ++i) matrix[order[i]] = 0.0f;
}

/// A dense [out][in] matrix in compressed rows, with the arrays it points into.
struct Compressed {
  std::vector<std::uint32_t> offsets;
  std::vector<std::uint16_t> columns;
  std::vector<float> values;
  SparseMatrixView view;

  Compressed(const std::vector<float>& dense, int out, int in) {
    const std::size_t nonzeros = sparse::count_nonzeros(dense.data(), out, in);
    offsets.resize(std::size_t(out) + 1);
    columns.resize(std::max<std::size_t>(nonzeros, 1));
    values.resize(columns.size());
    const joule::Status status = sparse::compress(dense.data(), out, in, offsets.data(),
                                                  columns.data(), values.data(), nonzeros);
    INFO(status.message());
    REQUIRE(status.ok());
    view = SparseMatrixView{out, in, offsets.data(), columns.data(), values.data()};
  }
};

struct Case {
  int pixels = 1;
  int in = 1;
  int out = 1;
  double sparsity = 0.5;
  bool bias = true;
  bool residual = false;
  Activation activation = Activation::identity;
  int first_channel = 0;
  int last_channel = -1;   // -1: every channel
  int pixel_split = -1;    // also run pixels [0, split) and [split, pixels) apart
  int channel_split = -1;  // also run channels [first, split) and [split, last) apart

  int last() const { return last_channel < 0 ? out : last_channel; }
  std::size_t output_size() const { return std::size_t(pixels) * std::size_t(out); }
  std::string describe(const KernelRecord& k) const {
    std::ostringstream text;
    text << k.name().view() << ": pixels " << pixels << ", in " << in << ", out " << out << " ["
         << first_channel << ", " << last() << "), sparsity " << sparsity << (bias ? ", bias" : "")
         << (residual ? ", residual" : "") << ", " << testers::name(activation);
    if (pixel_split >= 0) text << ", split at pixel " << pixel_split;
    if (channel_split >= 0) text << ", split at channel " << channel_split;
    return text.str();
  }
};

/// Case c's inputs, pruned weights (PyTorch's [out][in]) and their compressed rows.
struct Data {
  std::vector<float> input, dense, bias, residual;
  Compressed matrix;

  static std::vector<float> pruned(const Case& c, std::uint32_t seed) {
    std::vector<float> w = testers::weights(std::size_t(c.out) * std::size_t(c.in), seed);
    prune(w, c.sparsity);
    return w;
  }
  explicit Data(const Case& c)
      : input(testers::inputs(std::size_t(c.pixels) * std::size_t(c.in), seed(c))),
        dense(pruned(c, seed(c) + 1)),
        bias(testers::biases(std::size_t(c.out), seed(c) + 2)),
        residual(testers::inputs(c.output_size(), seed(c) + 3)),
        matrix(dense, c.out, c.in) {}
  static std::uint32_t seed(const Case& c) {
    return testers::seed_of({c.pixels, c.in, c.out, int(c.sparsity * 100)});
  }
};

template <KernelRecord K>
void run(const Case& c, const Data& d, int first, int last, int first_channel, int last_channel,
         std::vector<float>& out) {
  testers::with_activation(c.activation, [&]<class A>() {
    sparse::run_block<K, A>(std::size_t(first), std::size_t(last), first_channel, last_channel,
                            d.matrix.view, d.input.data(), c.bias ? d.bias.data() : nullptr,
                            c.residual ? d.residual.data() : nullptr, out.data());
  });
}

/// The dense pointwise reference on the densified weights, packed as the dense kernels read them.
std::vector<float> dense_reference(const Case& c, const Data& d) {
  const std::vector<float> packed = testing::conv_weights(d.dense, c.out, c.in, 1);
  const std::vector<float> bias = testing::pad_columns(d.bias);
  std::vector<float> out = testers::output_buffer(c.output_size());
  testers::with_activation(c.activation, [&]<class A>() {
    pointwise::reference<A>(std::size_t(c.pixels), c.in, c.out, d.input.data(), packed.data(),
                            c.bias ? bias.data() : nullptr, out.data(),
                            c.residual ? d.residual.data() : nullptr, c.first_channel, c.last());
  });
  return out;
}

/// Whether every float outside channels [first, last) and past the end still holds the sentinel.
bool untouched_outside(const Case& c, const std::vector<float>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int channel = int(i % std::size_t(c.out));
    const bool inside = i < c.output_size() && channel >= c.first_channel && channel < c.last();
    if (!inside && !testers::is_sentinel(out[i])) return false;
  }
  return true;
}

/// One case with record K: the reference record against the dense reference bit for bit, any
/// other record against the reference record within its tolerance; then the splits, bit for bit.
template <KernelRecord K>
bool check_case(const Case& c) {
  const Data d(c);
  const auto what = [&] { return c.describe(K); };
  std::vector<float> expected = testers::output_buffer(c.output_size());
  run<sparse::reference_kernel>(c, d, 0, c.pixels, c.first_channel, c.last(), expected);
  bool passed = true;
  std::vector<float> actual = testers::output_buffer(c.output_size());
  run<K>(c, d, 0, c.pixels, c.first_channel, c.last(), actual);
  if constexpr (K.simd()) {
    passed &= testers::check(testers::compare(actual, expected), testers::tolerance_of<K>(), what);
  } else {
    passed &= testers::check_same_bits(actual, dense_reference(c, d), what);
    if (!untouched_outside(c, actual)) {
      FAIL_CHECK(what() << ": a write outside the channel block");
      passed = false;
    }
  }
  if (c.pixel_split >= 0) {
    std::vector<float> split = testers::output_buffer(c.output_size());
    run<K>(c, d, 0, c.pixel_split, c.first_channel, c.last(), split);
    run<K>(c, d, c.pixel_split, c.pixels, c.first_channel, c.last(), split);
    passed &= testers::check_same_bits(split, actual, what);
  }
  if (c.channel_split >= 0) {
    std::vector<float> split = testers::output_buffer(c.output_size());
    run<K>(c, d, 0, c.pixels, c.first_channel, c.channel_split, split);
    run<K>(c, d, 0, c.pixels, c.channel_split, c.last(), split);
    passed &= testers::check_same_bits(split, actual, what);
  }
  return passed;
}

/// The pixels of one block of record K; for the reference, the widest SIMD block of any target
/// (4 registers of AVX-512's 16 floats), so that it meets the shapes every target's kernel meets.
template <KernelRecord K>
constexpr int block_pixels() {
  return K.simd() ? int(K.tile_rows) : 4 * testers::widest_lanes;
}

constexpr double sparsities[] = {0.0, 0.5, 0.9, 1.0};

}  // namespace

TEST_CASE("sparse format: dense -> compressed rows -> dense gives the matrix back",
          "[kernels][sparse]") {
  for (int rows : {1, 2, 7, 33})
    for (int cols : {1, 3, 16, 65})
      for (double sparsity : {0.0, 0.3, 0.5, 0.9, 0.97, 1.0}) {
        std::vector<float> dense = testers::weights(
            std::size_t(rows) * cols, testers::seed_of({rows, cols, int(sparsity * 100)}));
        prune(dense, sparsity);
        if (rows > 2) std::fill_n(dense.begin() + cols, cols, 0.0f);  // an empty row
        const Compressed m(dense, rows, cols);
        INFO("rows " << rows << ", cols " << cols << ", sparsity " << sparsity);
        CHECK(m.view.nonzeros() == sparse::count_nonzeros(dense.data(), rows, cols));
        CHECK(sparse::validate(m.view).ok());
        std::vector<float> back(dense.size(), 7.0f);
        sparse::densify(m.view, back.data());
        CHECK(back == dense);
        if (sparsity == 1.0) CHECK(m.view.nonzeros() == 0);
        if (sparsity == 0.0 && rows <= 2) CHECK(m.view.nonzeros() == dense.size());
      }
}

TEST_CASE("sparse format: zeros, signed zeros, NaN and empty rows", "[kernels][sparse]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Row 0 empty, row 1 with -0.0 (dropped) and NaN (kept), row 2 dense, row 3 empty.
  const std::vector<float> dense{0.0f, 0.0f,  0.0f, -0.0f, nan,  2.0f,
                                 1.0f, -1.0f, 3.0f, 0.0f,  0.0f, 0.0f};
  sparse::SparseStorage<4, 3, 5> storage;
  REQUIRE(storage.fill(dense.data()).ok());
  const SparseMatrixView v = storage.view();
  CHECK(v.rows == 4);
  CHECK(v.cols == 3);
  CHECK(v.nonzeros() == 5);
  CHECK(std::vector<std::uint32_t>(storage.offsets.begin(), storage.offsets.end()) ==
        std::vector<std::uint32_t>{0, 0, 2, 5, 5});
  CHECK(std::vector<std::uint16_t>(storage.columns.begin(), storage.columns.end()) ==
        std::vector<std::uint16_t>{1, 2, 0, 1, 2});
  CHECK(std::isnan(storage.values[0]));
  CHECK(storage.values[1] == 2.0f);
  CHECK(v.density() == Approx(5.0 / 12.0));
  CHECK(sparse::validate(v).ok());

  // An all-zero matrix: every row empty, no storage needed.
  const std::vector<float> zeros(6, 0.0f);
  sparse::SparseStorage<2, 3, 0> empty;
  REQUIRE(empty.fill(zeros.data()).ok());
  CHECK(empty.view().nonzeros() == 0);
  std::vector<float> back(6, 1.0f);
  sparse::densify(empty.view(), back.data());
  CHECK(back == zeros);
}

TEST_CASE("sparse format: refuses what does not fit, writing nothing", "[kernels][sparse]") {
  const std::vector<float> dense = testers::weights(8 * 5, 11);  // no zeros
  REQUIRE(sparse::count_nonzeros(dense.data(), 8, 5) == 40);
  std::vector<std::uint32_t> offsets(9, 77u);
  std::vector<std::uint16_t> columns(40, 99);
  std::vector<float> values(40, 5.0f);
  const joule::Status refused =
      sparse::compress(dense.data(), 8, 5, offsets.data(), columns.data(), values.data(), 39);
  CHECK(!refused.ok());
  CHECK(refused.code() == joule::ErrorCode::invalid_argument);
  CHECK(std::string(refused.message()).find("40 nonzeros") != std::string::npos);
  CHECK(std::all_of(offsets.begin(), offsets.end(), [](std::uint32_t o) { return o == 77u; }));
  CHECK(std::all_of(columns.begin(), columns.end(), [](std::uint16_t c) { return c == 99; }));
  CHECK(std::all_of(values.begin(), values.end(), [](float x) { return x == 5.0f; }));
  CHECK(
      sparse::compress(dense.data(), 8, 5, offsets.data(), columns.data(), values.data(), 40).ok());

  sparse::SparseStorage<8, 5, 20> small;
  CHECK(!small.fill(dense.data()).ok());
  CHECK(small.offsets[8] == 0);

  // 65535 input channels are the most a 16-bit column names; one more is refused.
  std::vector<float> wide(65536, 0.0f);
  wide[65534] = 1.0f;
  std::uint32_t wide_offsets[2];
  std::uint16_t wide_column[1];
  float wide_value[1];
  REQUIRE(sparse::compress(wide.data(), 1, 65535, wide_offsets, wide_column, wide_value, 1).ok());
  CHECK(wide_column[0] == 65534);
  const joule::Status too_wide =
      sparse::compress(wide.data(), 1, 65536, wide_offsets, wide_column, wide_value, 1);
  CHECK(!too_wide.ok());
  CHECK(std::string(too_wide.message()).find("65536 input channels") != std::string::npos);

  // validate() catches arrays that did not come from compress().
  const std::uint32_t bad_offsets[] = {0, 2};
  const std::uint16_t unordered[] = {3, 1};
  const float two[] = {1.0f, 2.0f};
  CHECK(!sparse::validate(SparseMatrixView{1, 4, bad_offsets, unordered, two}).ok());
  const std::uint16_t out_of_range[] = {1, 4};
  CHECK(!sparse::validate(SparseMatrixView{1, 4, bad_offsets, out_of_range, two}).ok());
}

TEST_CASE("sparse records: the reference first, the SIMD kernel chosen where there is SIMD",
          "[kernels][sparse]") {
  CHECK(sparse::records.front() == sparse::reference_kernel);
  CHECK(sparse::reference_kernel.name().view() == "f32_sppointwise__reference");
#if JOULE_SIMD
  REQUIRE(sparse::records.size() == 2);
  CHECK(sparse::choose().name().view() ==
        "f32_sppointwise_" + std::to_string(sparse::block_vectors * joule::arch::lanes) + "x1__" +
            std::string(joule::arch::name));
#else
  CHECK(sparse::choose() == sparse::reference_kernel);
#endif
}

TEST_CASE("sparse pointwise: every record, pixels around the block and its tails",
          "[kernels][sparse]") {
  joule::kernels::for_each_record<sparse::records>([]<KernelRecord K>() {
    const int block = block_pixels<K>();
    for (int pixels : testers::row_counts(block))
      for (double sparsity : sparsities) {
        Case c;
        c.pixels = pixels;
        c.in = 19;
        c.out = 13;
        c.sparsity = sparsity;
        c.residual = pixels % 2 == 0;
        c.pixel_split = pixels / 3;
        CHECK(check_case<K>(c));
      }
  });
}

TEST_CASE("sparse pointwise: every record, channel counts off the register width",
          "[kernels][sparse]") {
  joule::kernels::for_each_record<sparse::records>([]<KernelRecord K>() {
    const int block = block_pixels<K>();
    const std::vector<int> counts = testers::channel_counts(testers::lanes_of<K>());
    for (int in : counts)
      for (int out : counts)
        for (double sparsity : {0.5, 0.9}) {
          Case c;
          c.pixels = block + testers::lanes_of<K>() + 3;  // a block, a register and a partial one
          c.in = in;
          c.out = out;
          c.sparsity = sparsity;
          c.bias = (in + out) % 3 != 0;
          c.residual = (in + out) % 2 == 0;
          c.activation = Activation::relu6;
          CHECK(check_case<K>(c));
        }
  });
}

TEST_CASE("sparse pointwise: every record, every activation, bias and residual on and off",
          "[kernels][sparse]") {
  joule::kernels::for_each_record<sparse::records>([]<KernelRecord K>() {
    testers::Range range;
    for (Activation a : testers::all_activations)
      for (bool bias : {false, true})
        for (bool residual : {false, true})
          for (double sparsity : sparsities) {
            Case c;
            c.pixels = block_pixels<K>() + 5;
            c.in = 24;
            c.out = 37;
            c.sparsity = sparsity;
            c.bias = bias;
            c.residual = residual;
            c.activation = a;
            CHECK(check_case<K>(c));
            if (a == Activation::identity && bias) {
              const Data d(c);
              std::vector<float> out = testers::output_buffer(c.output_size());
              run<K>(c, d, 0, c.pixels, 0, c.out, out);
              range.add(out);
            }
          }
    INFO("identity outputs in [" << range.lowest << ", " << range.highest << "]");
    CHECK(range.crosses_corners());
  });
}

TEST_CASE("sparse pointwise: every record, blocks of output channels, the rest untouched",
          "[kernels][sparse]") {
  joule::kernels::for_each_record<sparse::records>([]<KernelRecord K>() {
    const int lanes = testers::lanes_of<K>();
    const int out = 4 * lanes + 3;
    for (int first : {0, 1, lanes - 1, lanes, lanes + 5, 2 * lanes})
      for (int last : {first + 1, first + lanes - 1, first + lanes, first + lanes + 2, out}) {
        if (last > out || last <= first) continue;
        Case c;
        c.pixels = block_pixels<K>() + 9;
        c.in = 21;
        c.out = out;
        c.sparsity = 0.7;
        c.residual = true;
        c.activation = Activation::hard_swish;
        c.first_channel = first;
        c.last_channel = last;
        c.channel_split = (first + last) / 2;
        c.pixel_split = 7;
        CHECK(check_case<K>(c));
      }
  });
}

TEST_CASE("sparse pointwise: every record, more input channels than one chunk of the buffer",
          "[kernels][sparse]") {
  // The SIMD buffer holds 4096 floats: 128 input channels of a 32-pixel block, 256 of a 16-pixel
  // one, 512 of 8 pixels (on AVX2); 65535 is the most a column index names.
  joule::kernels::for_each_record<sparse::records>([]<KernelRecord K>() {
    const int block = block_pixels<K>();
    for (int in : {127, 128, 129, 257, 300, 513, 1100})
      for (double sparsity : {0.0, 0.5, 0.95}) {
        Case c;
        c.pixels = block + block / 2 + 11;
        c.in = in;
        c.out = 19;
        c.sparsity = sparsity;
        c.residual = true;
        c.activation = Activation::relu;
        c.pixel_split = block / 2 + 3;
        CHECK(check_case<K>(c));
      }
    Case wide;
    wide.pixels = 9;
    wide.in = 65535;
    wide.out = 3;
    wide.sparsity = 0.99;
    wide.residual = true;
    CHECK(check_case<K>(wide));
  });
}
