// custom_net.py's SmallNet through tools/to_cpp.py: the costs of the type a user would write by
// hand for it, PyTorch's output.
#include <catch2/catch.hpp>

#include "generated_parity.hpp"
#include "small_net.hpp"

namespace {

using namespace joule;

// SmallNet as written by hand from custom_net.py (names are irrelevant to the costs).
using HandWritten = Network<
    Shape<48, 64, 3>, Conv2d<16, 3, 2, ReLU>,
    Residual<DepthwiseConv<3, 1, ReLU6>, Pointwise<16, Identity, ConvOptions{.bn_eps_log10 = -3}>>,
    BatchNorm<>, Conv2d<32, 3, 2, HardSwish, ConvOptions{.groups = 2, .norm = Norm::bias}>,
    SqueezeExcite<SqueezeSpec{.channels = 8}, ReLU, Sigmoid>,
    InvertedResidual<32, 4, 3, 1, NoSqueezeExcite, ReLU6,
                     BlockOptions{.names = BlockNames::mobilenet_v2}>,
    Conv2d<24, 1, 2, Sigmoid>, DepthwiseConv<5, 2>, Linear<32, SiLU>, Linear<10, Identity, false>>;

static_assert(testing::same_costs<SmallNet, HandWritten>(),
              "the type to_cpp.py wrote for custom_net.py's SmallNet costs differ from the one "
              "written by hand");

}  // namespace

TEST_CASE("to_cpp.py's SmallNet costs what the hand-written type does", "[to_cpp]") {
  CHECK(SmallNet::cost.params == HandWritten::cost.params);
  CHECK(SmallNet::cost.macs == HandWritten::cost.macs);
  CHECK(SmallNet::weight_bytes == HandWritten::weight_bytes);
  CHECK(SmallNet::arena_bytes == HandWritten::arena_bytes);
}

TEST_CASE("to_cpp.py's SmallNet gives PyTorch's output", "[to_cpp][parity]") {
  testing::check_generated_parity<SmallNet>("small_net");
}
