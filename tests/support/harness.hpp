// Running a network in a test: bind random (or given) weights, run on an input, compare.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "joule/graph/bind.hpp"
#include "naive.hpp"
#include "tensor_table.hpp"

namespace testing {

template <class Net>
class Harness {
 public:
  explicit Harness(TensorTable& table)
      : weights_(std::make_unique<typename Net::Weights>()), arena_(std::make_unique<typename Net::Arena>()) {
    const joule::Status status = joule::bind_weights<Net>(table, *weights_);
    INFO(status.message());
    REQUIRE(status.ok());
  }

  std::vector<float> run(const std::vector<float>& input) {
    REQUIRE(input.size() == Net::input::size);
    Net net(*weights_, *arena_);
    std::vector<float> output(Net::output::size);
    net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
                std::span<float, Net::output::size>(output.data(), output.size()));
    return output;
  }
  const typename Net::Weights& weights() const { return *weights_; }

 private:
  std::unique_ptr<typename Net::Weights> weights_;
  std::unique_ptr<typename Net::Arena> arena_;
};

namespace detail {

/// The comparison both relative_error overloads make; `expected(i)` is the oracle's value i.
template <class Expected>
double relative_error(const std::vector<float>& actual, std::size_t expected_size,
                      Expected expected) {
  REQUIRE(actual.size() == expected_size);
  double scale = 1.0;
  double worst = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected(i);
    if (!std::isfinite(a) || !std::isfinite(e)) {
      // Only the same NaN-ness or the same infinity where the oracle has one; anything else is
      // an infinite error (std::max would have dropped a NaN, and a kernel writing NaN passed).
      if (!((std::isnan(a) && std::isnan(e)) || a == e))
        return std::numeric_limits<double>::infinity();
      continue;
    }
    scale = std::max(scale, std::abs(e));
    worst = std::max(worst, std::abs(a - e));
  }
  return worst / scale;
}

}  // namespace detail

/// Largest |actual - expected| relative to max(1, largest finite |expected|); +infinity when
/// `actual` has a NaN or an infinity that `expected` does not have at the same place. Compare as
/// CHECK(error <= tolerance), never as `error > tolerance`, which a NaN would pass.
inline double relative_error(const std::vector<float>& actual, const naive::Tensor& expected) {
  return detail::relative_error(actual, expected.size(),
                                [&](std::size_t i) { return double(expected.values[i]); });
}

inline double relative_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  return detail::relative_error(actual, expected.size(),
                                [&](std::size_t i) { return double(expected[i]); });
}

/// float accumulation against a double oracle over at most a few thousand terms.
inline constexpr double tolerance = 2e-5;

}  // namespace testing
