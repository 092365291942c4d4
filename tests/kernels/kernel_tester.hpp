// What every kernel tester (tests/kernels/*_tester.hpp) shares: the activations a walk goes
// through, the tile a walk covers for a record, the shape lists of a walk (exact tiles, multiples,
// remainders), deterministic data, output buffers that show a missing or a stray write, and the
// comparisons: a kernel against the reference record, the reference record against the naive
// oracle, a split run against the whole run bit for bit.
//
// The testers follow XNNPACK's microkernel testers: one hand-written tester per kernel family with
// a fluent interface (PointwiseTester().pixels(13).output_channels(17).test<K>()), run over shapes
// chosen from the kernel's tile rather than at random.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/harness.hpp"
#include "joule/arch/facts.hpp"
#include "joule/kernels/elementwise/activation.hpp"
#include "joule/kernels/kernel_record.hpp"

namespace testers {

using joule::kernels::KernelRecord;

// --- Activations -----------------------------------------------------------------------------

enum class Activation : std::uint8_t {
  identity,
  relu,
  relu6,
  hard_swish,
  hard_sigmoid,
  silu,
  sigmoid
};

/// Every activation joule has.
inline constexpr std::array<Activation, 7> all_activations{
    Activation::identity,     Activation::relu, Activation::relu6,  Activation::hard_swish,
    Activation::hard_sigmoid, Activation::silu, Activation::sigmoid};

/// f.template operator()<A>() for the activation type A of `a`.
template <class F>
decltype(auto) with_activation(Activation a, F&& f) {
  switch (a) {
    case Activation::relu:
      return f.template operator()<joule::ReLU>();
    case Activation::relu6:
      return f.template operator()<joule::ReLU6>();
    case Activation::hard_swish:
      return f.template operator()<joule::HardSwish>();
    case Activation::hard_sigmoid:
      return f.template operator()<joule::HardSigmoid>();
    case Activation::silu:
      return f.template operator()<joule::SiLU>();
    case Activation::sigmoid:
      return f.template operator()<joule::Sigmoid>();
    case Activation::identity:
      break;
  }
  return f.template operator()<joule::Identity>();
}

inline std::string_view name(Activation a) {
  return with_activation(a, []<class A>() { return std::string_view(A::name); });
}

/// The activation in the naive oracle's double precision.
inline naive::Function oracle(Activation a) {
  return naive::activation(std::string(name(a)));
}

/// Whether the SIMD form of `a` gives the reference's bits: the clamps do; the others multiply by
/// 1/6 instead of dividing, or compute the logistic by their own polynomial.
inline bool exact_in_simd(Activation a) {
  return a == Activation::identity || a == Activation::relu || a == Activation::relu6;
}

// --- Tiles and shape lists ---------------------------------------------------------------------

/// The widest tile of any target (AVX-512 and NEON: 12 rows; 32 columns, one panel) and the
/// widest register (16 floats): what a walk covers for a record without a tile of its own (a
/// reference kernel), so that the reference meets the shapes every target's kernels meet.
inline constexpr int widest_rows = 12;
inline constexpr int widest_columns = 32;
inline constexpr int widest_lanes = 16;

/// Floats per register of the target's SIMD records.
inline constexpr int lanes = static_cast<int>(joule::arch::Facts<joule::arch::Default>::lanes);

/// Floats per register a walk covers for record K: the target's for a SIMD record.
template <KernelRecord K>
constexpr int lanes_of() {
  return K.simd() ? lanes : widest_lanes;
}

/// 1 .. n.
inline std::vector<int> up_to(int n) {
  std::vector<int> all;
  for (int i = 1; i <= n; ++i) all.push_back(i);
  return all;
}

/// The channel counts a walk over a tile (or register) of `width` columns meets: every remainder
/// 1 .. width + 1, then two to four times the width and one either side, and one past two panels.
inline std::vector<int> channel_counts(int width) {
  std::vector<int> counts = up_to(width + 1);
  for (int multiple = 2; multiple <= 4; ++multiple)
    for (int c : {multiple * width - 1, multiple * width, multiple * width + 1})
      if (c > counts.back()) counts.push_back(c);
  if (counts.back() < 65) counts.push_back(65);
  return counts;
}

/// The row counts a walk over a tile of `rows` rows (then 4, then 1) meets: every count up to
/// rows + 8 (the main tile, the 4-row tile and single rows in every mix), two and three main tiles
/// with each tail.
inline std::vector<int> row_counts(int rows) {
  std::vector<int> counts = up_to(rows + 8);
  for (int c : {2 * rows, 2 * rows + 4, 2 * rows + 7, 3 * rows + 5})
    if (c > counts.back()) counts.push_back(c);
  return counts;
}

// --- Data --------------------------------------------------------------------------------------

/// A seed from a case's parameters, so that every case has its own data and the same every run.
inline std::uint32_t seed_of(std::initializer_list<int> parameters) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (int p : parameters) hash = (hash ^ static_cast<std::uint32_t>(p)) * 16777619u;
  return hash;
}

/// Inputs in [-2, 2], weights in [-1, 1]; biases in [-8, 8], so that sums fall on both sides of
/// every activation's corners (-3, 0, 3, 6).
inline std::vector<float> inputs(std::size_t count, std::uint32_t seed) {
  return testing::random_vector(count, seed, -2.0f, 2.0f);
}
inline std::vector<float> weights(std::size_t count, std::uint32_t seed) {
  return testing::random_vector(count, seed, -1.0f, 1.0f);
}
inline std::vector<float> biases(std::size_t count, std::uint32_t seed) {
  return testing::random_vector(count, seed, -8.0f, 8.0f);
}

/// The range of the values a walk's Identity cases produced; the walk checks that it crosses
/// every activation's corners, so that no clamp went untested.
struct Range {
  double lowest = 0.0;
  double highest = 0.0;
  void add(const std::vector<float>& values);
  bool crosses_corners() const { return lowest < -3.0 && highest > 6.0; }
};

// --- Outputs -----------------------------------------------------------------------------------

/// What no kernel writes: a quiet NaN with a payload no arithmetic produces.
inline constexpr std::uint32_t sentinel_bits = 0x7fc05a5au;
inline float sentinel() {
  return std::bit_cast<float>(sentinel_bits);
}
inline bool is_sentinel(float v) {
  return std::bit_cast<std::uint32_t>(v) == sentinel_bits;
}

/// Floats after every output that no kernel may write: more than the widest register.
inline constexpr std::size_t guard_floats = 64;

/// An output of `size` floats and its guard, all sentinels.
inline std::vector<float> output_buffer(std::size_t size) {
  return std::vector<float>(size + guard_floats, sentinel());
}

inline void Range::add(const std::vector<float>& values) {
  for (float v : values) {
    if (is_sentinel(v)) continue;
    lowest = v < lowest ? v : lowest;
    highest = v > highest ? v : highest;
  }
}

// --- Comparisons -------------------------------------------------------------------------------

struct Mismatch {
  double error = 0.0;     // testing::relative_error over the outputs written
  std::size_t stray = 0;  // writes where nothing may be written (past the end, other channels)
};

/// `actual` against `expected`, which holds the sentinel wherever nothing may be written: there
/// `actual` must hold it too, bit for bit; elsewhere the relative error counts (a NaN, an
/// infinity or a missing write there is an infinite error).
inline Mismatch compare(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  Mismatch m;
  std::vector<float> written, oracle_values;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (is_sentinel(expected[i])) {
      m.stray += is_sentinel(actual[i]) ? 0 : 1;
    } else {
      written.push_back(actual[i]);
      oracle_values.push_back(expected[i]);
    }
  }
  m.error = testing::relative_error(written, oracle_values);
  return m;
}

/// The naive oracle's values in an output buffer: `values` at the places `written` says, the
/// sentinel elsewhere and in the guard.
template <class Written>
std::vector<float> expected_buffer(const naive::Tensor& values, Written written) {
  std::vector<float> buffer = output_buffer(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (written(i)) buffer[i] = static_cast<float>(values.values[i]);
  return buffer;
}

/// Fails (without stopping the walk) when the mismatch exceeds `tolerance`; the message names
/// the case (`what()`), computed only then. Written as !(error <= tolerance): NaN fails.
template <class What>
bool check(const Mismatch& m, double tolerance, What what) {
  if (m.stray == 0 && m.error <= tolerance) return true;
  FAIL_CHECK(what() << ": relative error " << m.error << " (tolerance " << tolerance << "), "
                    << m.stray << " stray writes");
  return false;
}

/// Fails when the two runs' buffers differ in any bit.
template <class What>
bool check_same_bits(const std::vector<float>& a, const std::vector<float>& b, What what) {
  if (a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0)
    return true;
  FAIL_CHECK(what() << ": the two runs differ in some bit");
  return false;
}

/// The tolerance of record K against its oracle: the reference record against the naive oracle
/// (float sums against double), any other against the reference record.
template <KernelRecord K>
constexpr double tolerance_of() {
  return K.simd() ? 1e-5 : testing::tolerance;
}

/// What a tester's test() found: whether the case passed, and its output for the walk's Range.
struct Outcome {
  bool passed = true;
  std::vector<float> output;
};

/// The checks every tester makes of one case of `out_size` floats whose work is `parts` rows,
/// pixels or panels: record K over all of it against the reference record `Reference` (the
/// reference record against `oracle_buffer()`, the naive oracle's expected_buffer), then, when
/// `split` >= 0, parts [0, split) and [split, parts) apart against the whole run, bit for bit.
/// `run.template operator()<R>(first, last, out)` runs record R over parts [first, last).
template <KernelRecord K, KernelRecord Reference, class Run, class OracleBuffer, class What>
Outcome check_case(std::size_t out_size, int parts, int split, const Run& run,
                   const OracleBuffer& oracle_buffer, const What& what) {
  std::vector<float> expected;
  if constexpr (K.simd()) {
    expected = output_buffer(out_size);
    run.template operator()<Reference>(0, parts, expected);
  } else {
    expected = oracle_buffer();
  }
  Outcome outcome;
  outcome.output = output_buffer(out_size);
  run.template operator()<K>(0, parts, outcome.output);
  outcome.passed = check(compare(outcome.output, expected), tolerance_of<K>(), what);
  if (split >= 0) {
    std::vector<float> parts_apart = output_buffer(out_size);
    run.template operator()<K>(0, split, parts_apart);
    run.template operator()<K>(split, parts, parts_apart);
    outcome.passed &= check_same_bits(parts_apart, outcome.output, what);
  }
  return outcome;
}

}  // namespace testers
