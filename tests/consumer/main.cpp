// Uses the library from outside its tree: a small network, its cost, one inference.
#include <joule/joule.hpp>

#include <cmath>
#include <cstdio>

using namespace joule;
using Net = Network<Shape<16, 16, 3>, Conv2d<8, 3, 2, ReLU6>, InvertedResidual<8, 4, 3, 1>, GlobalAvgPool, Linear<3>>;

// Conv 8*3*9 + 16, expand 32*8 + 64, depthwise 32*9 + 64, project 8*32 + 16, linear 24 + 3.
static_assert(Net::cost.params == 232 + 320 + 352 + 272 + 27);

Net::Weights weights{};
Net::Arena arena;

int main() {
  float input[Net::input::size];
  for (std::size_t i = 0; i < Net::input::size; ++i) input[i] = static_cast<float>(i % 5);
  float output[Net::output::size];
  Net net(weights, arena);  // all-zero weights: every output is exactly zero
  net.forward(TensorView<const float, Net::input>(input), TensorView<float, Net::output>(output));
  write_report<Net>([](std::string_view line) { std::printf("%.*s\n", static_cast<int>(line.size()), line.data()); });
  for (float value : output)
    if (value != 0.0f) return 1;
  std::printf("consumer: ok\n");
  return 0;
}
