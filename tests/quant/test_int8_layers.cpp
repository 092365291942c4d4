// Every int8 layer, bound from random quantized tensors and run through Quantized<Network>, against
// the independent int8 oracle (support/naive_int8.hpp) bit for bit: odd shapes, stride 2 on odd
// inputs, channel counts off every SIMD width, extreme scales and zero points, saturation at both
// ends. Fused blocks equal their unfused layers bit for bit, and every thread count gives the same
// bits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../support/naive_int8.hpp"
#include "../support/quantized_tables.hpp"
#include "../support/tensor_table.hpp"
#include "joule/joule.hpp"
#include "joule/quant.hpp"
#include "joule/runtime/thread_pool.hpp"

using namespace joule;
using testing::QuantizedRanges;
using testing::random_quantized;
using testing::scalar;

namespace {

/// Binds Q from `store` and runs it once on `input` (float, or int8 for an int8-edged network).
template <class Q>
std::vector<typename Q::output_value> run_quantized(
    const io::TensorStore& store, const std::vector<typename Q::input_value>& input,
    int threads = 0, PackOptions options = {}) {
  auto weights = std::make_unique<typename Q::Weights>();
  const Status status = bind_weights<Q>(store, *weights, BindOptions{.pack = options});
  INFO(status.message());
  REQUIRE(status.ok());
  const std::size_t bytes = Q::arena_bytes_for(threads > 0 ? threads : 1);
  std::unique_ptr<std::byte[]> arena(new (std::align_val_t(64)) std::byte[bytes]);
  std::unique_ptr<runtime::ThreadPool> pool =
      threads > 0 ? std::make_unique<runtime::ThreadPool>(threads) : nullptr;
  Q net(std::as_const(*weights).span(), std::span<std::byte>(arena.get(), bytes), pool.get());
  std::vector<typename Q::output_value> output(Q::output::size);
  net.forward(std::span<const typename Q::input_value, Q::input::size>(input.data(), input.size()),
              std::span<typename Q::output_value, Q::output::size>(output.data(), output.size()));
  ::operator delete[](arena.release(), std::align_val_t(64));
  return output;
}

/// The oracle's input: the float input quantized with quant.scale / quant.zero_point.
template <class In>
naive::QTensor quantized_input(const io::TensorStore& store, const std::vector<float>& input) {
  naive::QTensor t(In::height, In::width, In::channels, scalar<float>(store, "quant.scale"),
                   scalar<std::int32_t>(store, "quant.zero_point"));
  for (std::size_t i = 0; i < input.size(); ++i)
    t.q[i] = naive::quantize(input[i], t.scale, t.zero_point);
  return t;
}

naive::OutputSpec output_spec(const io::TensorStore& store, const std::string& conv,
                              const std::string& activation, const std::string& activation_part) {
  naive::OutputSpec out;
  out.scale = scalar<float>(store, conv + ".scale");
  out.zero_point = scalar<std::int32_t>(store, conv + ".zero_point");
  out.activation = activation;
  if (naive::float_activation(activation)) {
    out.activation_scale = scalar<float>(store, activation_part + ".scale");
    out.activation_zero_point = scalar<std::int32_t>(store, activation_part + ".zero_point");
  }
  return out;
}

const std::int8_t* int8s(const io::TensorStore& store, const std::string& name) {
  return store.find(name)->values<std::int8_t>();
}
const float* floats(const io::TensorStore& store, const std::string& name) {
  return store.find(name)->values<float>();
}

/// One convolution with BatchNorm (its tensors at "0.0.*", a table activation's at "0.2.*").
template <class In, class Spec, int Out, int Kernel, int Stride, int Padding, int Dilation,
          int Groups>
void check_conv(std::uint32_t seed, QuantizedRanges ranges = {}) {
  using Net = Network<In, Spec>;
  using Q = quant::Quantized<Net>;
  const io::TensorStore store = random_quantized<Q>(seed, ranges);
  const auto input = testing::random_vector(In::size, seed + 1, -2.0f, 2.0f);
  using Layer = bind_t<Spec, In>;
  const std::string activation(Layer::activation::name);
  const naive::QTensor expected = naive::conv2d_int8(
      quantized_input<In>(store, input), int8s(store, "0.0.weight"),
      floats(store, "0.0.weight_scale"), floats(store, "0.0.bias"), Out, Kernel, Stride, Padding,
      Dilation, Groups, output_spec(store, "0.0", activation, "0.2"));
  INFO("layer " << Layer::kind << " " << Layer::description.view() << " seed " << seed);
  CHECK(run_quantized<Q>(store, input) == naive::dequantize(expected));
}

}  // namespace

TEST_CASE("int8 Conv2d equals the oracle: kernels, strides, groups, dilation, every activation",
          "[quant][layers]") {
  check_conv<Shape<9, 7, 3>, Conv2d<13, 3, 2, ReLU6>, 13, 3, 2, 1, 1, 1>(1);
  check_conv<Shape<8, 8, 6>, Conv2d<10, 3, 1, HardSwish, ConvOptions{.groups = 2}>, 10, 3, 1, 1, 1,
             2>(2);
  check_conv<Shape<11, 5, 4>, Conv2d<7, 5, 2, ReLU>, 7, 5, 2, 2, 1, 1>(3);
  check_conv<Shape<7, 9, 5>, Conv2d<6, 3, 1, Identity, ConvOptions{.dilation = 2}>, 6, 3, 1, 2, 2,
             1>(4);
  check_conv<Shape<6, 6, 8>, Conv2d<9, 1, 1, HardSigmoid>, 9, 1, 1, 0, 1, 1>(5);
}

TEST_CASE("int8 DepthwiseConv equals the oracle for kernels 3/5/7 and strides 1/2 on odd inputs",
          "[quant][layers]") {
  check_conv<Shape<11, 9, 19>, DepthwiseConv<3, 2, ReLU6>, 19, 3, 2, 1, 1, 19>(11);
  check_conv<Shape<10, 7, 17>, DepthwiseConv<3, 1, HardSwish>, 17, 3, 1, 1, 1, 17>(12);
  check_conv<Shape<9, 9, 33>, DepthwiseConv<5, 2, ReLU>, 33, 5, 2, 2, 1, 33>(13);
  check_conv<Shape<8, 11, 5>, DepthwiseConv<5, 1, Identity>, 5, 5, 1, 2, 1, 5>(14);
  check_conv<Shape<13, 13, 7>, DepthwiseConv<7, 2, ReLU6>, 7, 7, 2, 3, 1, 7>(15);
  check_conv<Shape<7, 6, 9>, DepthwiseConv<7, 1, HardSigmoid>, 9, 7, 1, 3, 1, 9>(16);
}

TEST_CASE("int8 Pointwise equals the oracle on channel counts off every SIMD width",
          "[quant][layers]") {
  check_conv<Shape<7, 5, 37>, Pointwise<45, ReLU6>, 45, 1, 1, 0, 1, 1>(21);
  check_conv<Shape<1, 1, 1>, Pointwise<1, Identity>, 1, 1, 1, 0, 1, 1>(22);
  check_conv<Shape<3, 9, 70>, Pointwise<33, HardSwish>, 33, 1, 1, 0, 1, 1>(23);
}

TEST_CASE("int8 outputs saturate at both ends, and ReLU6 clamps at the int8 value of 6",
          "[quant][layers]") {
  // Output scales far below what the sums need: most outputs are -128 or 127.
  QuantizedRanges tiny{
      .min_scale = 1e-4f, .max_scale = 2e-4f, .min_weight_scale = 0.05f, .max_weight_scale = 0.1f};
  using Net = Network<Shape<5, 5, 8>, Pointwise<16, Identity>>;
  using Q = quant::Quantized<Net>;
  io::TensorStore store = random_quantized<Q>(31, tiny);
  const auto input = testing::random_vector(Net::input::size, 32, -2.0f, 2.0f);
  const std::vector<float> out = run_quantized<Q>(store, input);
  const float scale = scalar<float>(store, "0.0.scale");
  const int zero = scalar<std::int32_t>(store, "0.0.zero_point");
  CHECK(std::count(out.begin(), out.end(), scale * static_cast<float>(127 - zero)) > 10);
  CHECK(std::count(out.begin(), out.end(), scale * static_cast<float>(-128 - zero)) > 10);
  check_conv<Shape<5, 5, 8>, Pointwise<16, Identity>, 16, 1, 1, 0, 1, 1>(31, tiny);
  // ReLU6 with a scale that puts 6 inside the range: outputs stop at 6.
  QuantizedRanges wide{
      .min_scale = 0.04f, .max_scale = 0.045f, .min_zero_point = -128, .max_zero_point = -120};
  using Relu6 = quant::Quantized<Network<Shape<5, 5, 8>, Pointwise<16, ReLU6>>>;
  store = random_quantized<Relu6>(33, wide);
  const std::vector<float> clamped = run_quantized<Relu6>(store, input);
  CHECK(*std::max_element(clamped.begin(), clamped.end()) <=
        6.0f + scalar<float>(store, "0.0.scale"));
  CHECK(*std::min_element(clamped.begin(), clamped.end()) == 0.0f);
  check_conv<Shape<5, 5, 8>, Pointwise<16, ReLU6>, 16, 1, 1, 0, 1, 1>(33, wide);
}

TEST_CASE("int8 Linear equals the oracle, input in PyTorch's CHW order, with a table activation",
          "[quant][layers]") {
  using Net = Network<Shape<3, 2, 7>, Linear<11, HardSwish>>;
  using Q = quant::Quantized<Net>;
  const io::TensorStore store = random_quantized<Q>(41);
  const auto input = testing::random_vector(Net::input::size, 42, -2.0f, 2.0f);
  const naive::QTensor expected =
      naive::linear_int8(quantized_input<Net::input>(store, input), int8s(store, "0.weight"),
                         floats(store, "0.weight_scale"), floats(store, "0.bias"), 11,
                         output_spec(store, "0", "HardSwish", "0.activation"));
  CHECK(run_quantized<Q>(store, input) == naive::dequantize(expected));
}

TEST_CASE("int8 pooling keeps the input's quantization; the residual sum requantizes both operands",
          "[quant][layers]") {
  using Net = Network<Shape<7, 9, 13>, Residual<Pointwise<13, ReLU>>, GlobalAvgPool>;
  using Q = quant::Quantized<Net>;
  const io::TensorStore store = random_quantized<Q>(51);
  const auto input = testing::random_vector(Net::input::size, 52, -2.0f, 2.0f);
  const naive::QTensor x = quantized_input<Net::input>(store, input);
  const naive::QTensor body = naive::conv2d_int8(
      x, int8s(store, "0.0.0.weight"), floats(store, "0.0.0.weight_scale"),
      floats(store, "0.0.0.bias"), 13, 1, 1, 0, 1, 1, output_spec(store, "0.0.0", "ReLU", ""));
  const naive::QTensor sum = naive::add_int8(x, body, scalar<float>(store, "0.skip_add.scale"),
                                             scalar<std::int32_t>(store, "0.skip_add.zero_point"));
  CHECK(run_quantized<Q>(store, input) == naive::dequantize(naive::average_pool_int8(sum)));
}

TEST_CASE("int8 squeeze-excite equals the oracle: pool, fc1, fc2, gate table, rescale",
          "[quant][layers]") {
  using Net = Network<Shape<5, 6, 24>,
                      SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>>;
  using Q = quant::Quantized<Net>;
  const io::TensorStore store = random_quantized<Q>(61);
  const auto input = testing::random_vector(Net::input::size, 62, -2.0f, 2.0f);
  const naive::QTensor x = quantized_input<Net::input>(store, input);
  const naive::QTensor pooled = naive::average_pool_int8(x);
  const naive::QTensor hidden = naive::conv2d_int8(
      pooled, int8s(store, "0.fc1.weight"), floats(store, "0.fc1.weight_scale"),
      floats(store, "0.fc1.bias"), 8, 1, 1, 0, 1, 1, output_spec(store, "0.fc1", "ReLU", ""));
  const naive::QTensor gate =
      naive::conv2d_int8(hidden, int8s(store, "0.fc2.weight"), floats(store, "0.fc2.weight_scale"),
                         floats(store, "0.fc2.bias"), 24, 1, 1, 0, 1, 1,
                         output_spec(store, "0.fc2", "HardSigmoid", "0.scale_activation"));
  const naive::QTensor out =
      naive::scale_channels_int8(x, gate, scalar<float>(store, "0.skip_mul.scale"),
                                 scalar<std::int32_t>(store, "0.skip_mul.zero_point"));
  CHECK(run_quantized<Q>(store, input) == naive::dequantize(out));
}

namespace {
/// A block fused and unfused takes the same tensors (the unfused layers' names) and must give the
/// same bits.
template <class In, template <BlockOptions> class Block>
void check_fused_equals_unfused(std::uint32_t seed) {
  using Fused = quant::Quantized<Network<In, Block<BlockOptions{.fused = true}>>>;
  using Unfused = quant::Quantized<Network<In, Block<BlockOptions{.fused = false}>>>;
  const io::TensorStore store = random_quantized<Unfused>(seed);
  const auto input = testing::random_vector(In::size, seed + 1, -2.0f, 2.0f);
  const std::vector<float> unfused = run_quantized<Unfused>(store, input);
  CHECK(run_quantized<Fused>(store, input) == unfused);
  for (int threads : {1, 2, 3}) {
    INFO(threads << " threads");
    CHECK(run_quantized<Fused>(store, input, threads) == unfused);
  }
}
template <BlockOptions O>
using ResidualExpand = InvertedResidual<24, 6, 3, 1, NoSqueezeExcite, ReLU6, O>;
template <BlockOptions O>
using StridedNoExpand = InvertedResidual<16, 1, 5, 2, NoSqueezeExcite, HardSwish, O>;
template <BlockOptions O>
using WithSqueezeExcite =
    InvertedResidual<24, 4, 5, 1,
                     SqueezeExcite<SqueezeSpec{.divisor = 4, .round_to = 8}, ReLU, HardSigmoid>,
                     HardSwish, O>;
template <BlockOptions O>
using EfficientNetStyle = InvertedResidual<
    32, 6, 3, 2, SqueezeExcite<SqueezeSpec{.divisor = 4, .of_block_input = true}, SiLU, Sigmoid>,
    SiLU, O>;
template <BlockOptions O>
using MobileNetV2Names =
    InvertedResidual<24, 6, 3, 1, NoSqueezeExcite, ReLU6,
                     BlockOptions{.names = BlockNames::mobilenet_v2, .fused = O.fused}>;
}  // namespace

TEST_CASE("int8 fused inverted residuals equal their layers run apart, at any thread count",
          "[quant][fused]") {
  check_fused_equals_unfused<Shape<9, 11, 24>, ResidualExpand>(71);
  check_fused_equals_unfused<Shape<11, 9, 16>, StridedNoExpand>(72);
  check_fused_equals_unfused<Shape<8, 7, 24>, WithSqueezeExcite>(73);
  check_fused_equals_unfused<Shape<9, 9, 16>, EfficientNetStyle>(74);
  check_fused_equals_unfused<Shape<10, 6, 24>, MobileNetV2Names>(75);
}

TEST_CASE("int8 in and out: the float-edged network's bits, both quantizations readable",
          "[quant][edges]") {
  using Net = Network<Shape<9, 11, 3>, Conv2d<8, 3, 2, ReLU6>, InvertedResidual<8, 6, 3, 1>,
                      GlobalAvgPool, Linear<5>>;
  using Q = quant::Quantized<Net>;
  using Q8 = quant::Quantized<Net, quant::Edges::int8>;
  STATIC_REQUIRE(Q8::input_dtype == DType::i8);
  STATIC_REQUIRE(Q8::output_dtype == DType::i8);
  STATIC_REQUIRE(Q8::cost.macs == Q::cost.macs);
  STATIC_REQUIRE(Q8::weight_bytes == Q::weight_bytes);
  // No float input or output: the edges move nothing (test_int8_zoo.cpp: the smaller arena).
  STATIC_REQUIRE(Q8::cost.activation_read_bytes ==
                 Q::cost.activation_read_bytes - 4 * Net::input::size - Net::output::size);
  STATIC_REQUIRE(Q8::arena_bytes <= Q::arena_bytes);

  const io::TensorStore store = random_quantized<Q>(91);
  auto weights = std::make_unique<Q8::Weights>();
  REQUIRE(bind_weights<Q8>(store, *weights).ok());
  const QuantParams in = quant::input_quantization<Q8>(std::as_const(*weights).span());
  const QuantParams out = quant::output_quantization<Q8>(std::as_const(*weights).span());
  CHECK(in.scale == scalar<float>(store, "quant.scale"));
  CHECK(in.zero_point == scalar<std::int32_t>(store, "quant.zero_point"));
  CHECK(out.scale == scalar<float>(store, "3.scale"));
  CHECK(out.zero_point == scalar<std::int32_t>(store, "3.zero_point"));

  // The float network quantizes its input and dequantizes its logits; given the same int8 input,
  // the int8-edged one gives the int8 logits behind them, at every thread count.
  const auto input = testing::random_vector(Net::input::size, 92, -2.0f, 2.0f);
  std::vector<std::int8_t> q_input(input.size());
  kernels::elementwise::quantize(input.size(), input.data(), 1.0f / in.scale, in.zero_point,
                                 q_input.data());
  const std::vector<float> expected = run_quantized<Q>(store, input);
  for (int threads : {0, 2}) {
    INFO(threads << " threads");
    const std::vector<std::int8_t> logits = run_quantized<Q8>(store, q_input, threads);
    std::vector<float> real(logits.size());
    kernels::elementwise::dequantize(logits.size(), logits.data(), out.scale, out.zero_point,
                                     real.data());
    CHECK(real == expected);
  }
  Q8::visit([&](const NodeInfo& n) {
    if (n.leaf) CHECK(n.kernel.rfind("i8_", 0) == 0);
  });
}

TEST_CASE("int8 binding refuses bad quantization tensors, naming them", "[quant][bind]") {
  using Net = Network<Shape<5, 5, 8>, Pointwise<16, ReLU6>, GlobalAvgPool, Linear<3>>;
  using Q = quant::Quantized<Net>;
  auto weights = std::make_unique<Q::Weights>();
  const auto refused = [&](const io::TensorStore& store, const std::string& fragment) {
    const Status status = bind_weights<Q>(store, *weights);
    INFO(status.message());
    CHECK(!status.ok());
    CHECK(std::string(status.message()).find(fragment) != std::string::npos);
  };
  io::TensorStore store = random_quantized<Q>(81);
  store.add_scalar("0.0.scale", 0.0f);
  refused(store, "tensor '0.0.scale' holds a scale that is not positive and finite");
  store = random_quantized<Q>(81);
  store.add_scalar("quant.scale", std::numeric_limits<float>::quiet_NaN());
  refused(store, "quant.scale");
  store = random_quantized<Q>(81);
  store.add_scalar("2.zero_point", std::int32_t{200});
  refused(store, "tensor '2.zero_point' holds the zero point 200, outside int8's range");
  store = random_quantized<Q>(81);
  reinterpret_cast<float*>(store.add("0.0.weight_scale", DType::f32, {16}))[3] = -1.0f;
  refused(store, "tensor '0.0.weight_scale' holds a scale that is not positive");
  store = random_quantized<Q>(81);
  store.add("0.0.weight", DType::f32, {16, 8, 1, 1});
  refused(store, "tensor '0.0.weight' has dtype float32, expected int8");
  // A file for another network: its tensors have other shapes.
  using Other =
      quant::Quantized<Network<Shape<5, 5, 8>, Pointwise<12, ReLU6>, GlobalAvgPool, Linear<3>>>;
  refused(random_quantized<Other>(82),
          "tensor '0.0.weight': expected shape [16, 8, 1, 1], found [12, 8, 1, 1]");
}

TEST_CASE("the int8 network reports int8 costs and bytes with the float network's names and counts",
          "[quant]") {
  using Net = Network<Shape<9, 9, 3>, Conv2d<8, 3, 2, ReLU6>, InvertedResidual<8, 6, 3, 1>,
                      GlobalAvgPool, Linear<5>>;
  using Q = quant::Quantized<Net>;
  STATIC_REQUIRE(Q::cost.params == Net::cost.params);
  STATIC_REQUIRE(Q::cost.macs == Net::cost.macs);
  STATIC_REQUIRE(Q::input_dtype == DType::f32);
  STATIC_REQUIRE(Q::output_dtype == DType::f32);
  STATIC_REQUIRE(Q::weight_bytes < Net::weight_bytes);
  // Activations are a quarter of the bytes, but for the float input and output.
  STATIC_REQUIRE(Q::cost.activation_write_bytes < Net::cost.activation_write_bytes / 2);
  std::vector<std::string> float_names, int8_names;
  Net::visit([&](const NodeInfo& n) {
    if (n.leaf && n.weight_bytes > 0) float_names.emplace_back(n.path);
  });
  Q::visit([&](const NodeInfo& n) {
    if (n.leaf && !n.tensors.empty() && n.kind != "Quantize") int8_names.emplace_back(n.path);
    if (n.leaf) CHECK(n.kernel.rfind("i8_", 0) == 0);
  });
  CHECK(int8_names == float_names);
}

TEST_CASE("requantization rounds half to even and clamps, as specified", "[quant][requantize]") {
  // Exact ties: acc * 0.5 = n + 0.5.
  CHECK(kernels::requantize(5, 0.5f, 0, -128, 127) == 2);
  CHECK(kernels::requantize(7, 0.5f, 0, -128, 127) == 4);
  CHECK(kernels::requantize(-5, 0.5f, 0, -128, 127) == -2);
  CHECK(kernels::requantize(-7, 0.5f, 0, -128, 127) == -4);
  CHECK(kernels::requantize(3, 0.5f, 10, -128, 127) == 12);
  // Clamps, whatever the size of the sum.
  CHECK(kernels::requantize(2000000000, 1.0f, 0, -128, 127) == 127);
  CHECK(kernels::requantize(-2000000000, 1.0f, 5, -20, 127) == -20);
  // The input quantization: ties to even too, NaN to the lowest value.
  CHECK(quant::quantize_value(2.5f, QuantParams{1.0f, 0}) == 2);
  CHECK(quant::quantize_value(-3.5f, QuantParams{1.0f, 1}) == -3);
  CHECK(quant::quantize_value(std::numeric_limits<float>::quiet_NaN(), QuantParams{1.0f, 0}) ==
        -128);
  CHECK(quant::quantize_value(1e30f, QuantParams{1e-3f, 0}) == 127);
}

TEST_CASE("activation tables: the portable exponential and the tables against double precision",
          "[quant][tables]") {
  for (double x = -80.0; x <= 80.0; x += 0.37) {
    INFO("x " << x);
    CHECK(std::abs(quant::detail::exp_basic(x) / std::exp(x) - 1.0) < 1e-14);
  }
  // Each table entry within one output step of the exact activation, rounded once.
  const QuantParams in{0.05f, -3};
  const auto within_one_step = [&]<class Act>(QuantParams out, double (*f)(double)) {
    std::int8_t table[256];
    quant::build_table<Act>(in, out, table);
    for (int q = -128; q <= 127; ++q) {
      const double y = f(static_cast<double>(in.scale) * (q - in.zero_point));
      const double exact =
          std::min(127.0, std::max(-128.0, std::nearbyint(y / out.scale) + out.zero_point));
      INFO(Act::name << " q " << q);
      CHECK(std::abs(table[q + 128] - exact) <= 1.0);
    }
  };
  within_one_step.operator()<SiLU>(QuantParams{0.03f, -100},
                                   [](double x) { return x / (1.0 + std::exp(-x)); });
  within_one_step.operator()<Sigmoid>(QuantParams{1.0f / 256, -128},
                                      [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
  within_one_step.operator()<HardSwish>(QuantParams{0.03f, -110}, [](double x) {
    return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
  });
  within_one_step.operator()<HardSigmoid>(QuantParams{1.0f / 256, -128}, [](double x) {
    return std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
  });
}
