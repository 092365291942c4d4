// Binding weights by name: errors name the tensor, the layer and both shapes; NaN and Inf are
// refused unless allowed; tensors the network does not use are not looked up.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "../support/harness.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::TensorTable;
using Catch::Matchers::Contains;

namespace {
using Net = Network<Shape<6, 6, 3>, Conv2d<8, 3, 2, ReLU6>, Pointwise<4>, GlobalAvgPool, Linear<2>>;

Status bind(TensorTable& table, BindOptions options = {}) {
  auto weights = std::make_unique<Net::Weights>();
  return bind_weights<Net>(table, *weights, options);
}
}  // namespace

TEST_CASE("binding complete weights succeeds and looks up exactly the network's tensors", "[graph][bind]") {
  TensorTable table = TensorTable::deterministic_for<Net>(401);
  table.add("unused.extra", {3}, {1, 2, 3});
  const Status status = bind(table);
  CHECK(status.ok());
  CHECK(status.message().empty());
  CHECK(table.looked_up().size() == table.names().size() - 1);
  CHECK(table.looked_up().count("unused.extra") == 0);
}

TEST_CASE("a missing tensor is an error naming it, its shape and its layer", "[graph][bind]") {
  TensorTable table = TensorTable::deterministic_for<Net>(402);
  table.remove("1.1.running_var");
  const Status status = bind(table);
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()), Contains("missing tensor '1.1.running_var'") &&
                                                Contains("expected shape [4]") && Contains("layer '1', Pointwise"));
}

TEST_CASE("a tensor of the wrong shape is an error giving both shapes", "[graph][bind]") {
  TensorTable table = TensorTable::deterministic_for<Net>(403);
  table.add("0.0.weight", {8, 3, 5, 5}, std::vector<float>(8 * 3 * 25, 0.1f));
  const Status status = bind(table);
  CHECK(status.code() == ErrorCode::shape_mismatch);
  CHECK_THAT(std::string(status.message()),
             Contains("tensor '0.0.weight': expected shape [8, 3, 3, 3], found [8, 3, 5, 5]"));

  TensorTable flat = TensorTable::deterministic_for<Net>(404);
  flat.add("3.weight", {8}, std::vector<float>(8, 0.1f));  // rank differs
  CHECK_THAT(std::string(bind(flat).message()), Contains("expected shape [2, 4], found [8]"));
}

TEST_CASE("a tensor of a type the source cannot give as float32 is a type error", "[graph][bind]") {
  struct IntegerSource {
    TensorTable table;
    joule::TensorData integer{nullptr, 1, {8}, "I64"};
    const joule::TensorData* find(std::string_view name) {
      return name == "0.1.running_mean" ? &integer : table.find(name);
    }
  };
  IntegerSource source{TensorTable::deterministic_for<Net>(409)};
  auto weights = std::make_unique<Net::Weights>();
  const Status status = bind_weights<Net>(source, *weights);
  CHECK(status.code() == ErrorCode::type_mismatch);
  CHECK_THAT(std::string(status.message()), Contains("tensor '0.1.running_mean' has dtype I64"));
}

TEST_CASE("NaN and Inf weights are refused unless allowed", "[graph][bind]") {
  TensorTable table = TensorTable::deterministic_for<Net>(405);
  table.values("1.0.weight")[5] = std::numeric_limits<float>::quiet_NaN();
  Status status = bind(table);
  CHECK(status.code() == ErrorCode::invalid_value);
  CHECK_THAT(std::string(status.message()), Contains("'1.0.weight' has a non-finite value (NaN) at element 5"));
  CHECK(bind(table, BindOptions{.allow_non_finite = true}).ok());

  TensorTable infinite = TensorTable::deterministic_for<Net>(406);
  infinite.values("3.bias")[1] = -std::numeric_limits<float>::infinity();
  CHECK_THAT(std::string(bind(infinite).message()), Contains("(Inf) at element 1"));
}

TEST_CASE("the first problem is reported with a count of the others", "[graph][bind]") {
  TensorTable table = TensorTable::deterministic_for<Net>(407);
  table.remove("0.1.bias");
  table.remove("3.bias");
  table.remove("3.weight");
  const Status status = bind(table);
  CHECK_THAT(std::string(status.message()), Contains("missing tensor '0.1.bias'") && Contains("(and 2 more problems)"));
}

TEST_CASE("binding packs the same weights whatever the source order", "[graph][bind]") {
  TensorTable a = TensorTable::deterministic_for<Net>(408);
  TensorTable b;
  auto names = a.names();
  std::reverse(names.begin(), names.end());
  for (const std::string& name : names) {
    const auto* data = a.find(name);
    b.add(name, std::vector<std::int64_t>(data->dims.begin(), data->dims.begin() + data->rank), a.values(name));
  }
  auto wa = std::make_unique<Net::Weights>();
  auto wb = std::make_unique<Net::Weights>();
  REQUIRE(bind_weights<Net>(a, *wa).ok());
  REQUIRE(bind_weights<Net>(b, *wb).ok());
  CHECK(std::memcmp(wa->data, wb->data, sizeof(wa->data)) == 0);
}

TEST_CASE("a source may answer every find with the same TensorData", "[graph][bind]") {
  // As a table of compiled-in arrays would: one answer object, refilled on each call.
  struct ReusingSource {
    TensorTable* table;
    TensorData answer;
    const TensorData* find(std::string_view name) {
      const TensorData* found = table->find(name);
      if (found == nullptr) return nullptr;
      answer = *found;
      return &answer;
    }
  };
  TensorTable table = TensorTable::deterministic_for<Net>(409);
  ReusingSource reusing{&table, {}};
  auto expected = std::make_unique<Net::Weights>();
  auto actual = std::make_unique<Net::Weights>();
  REQUIRE(bind_weights<Net>(table, *expected).ok());
  REQUIRE(bind_weights<Net>(reusing, *actual).ok());
  CHECK(std::memcmp(expected->data, actual->data, sizeof(expected->data)) == 0);
}
