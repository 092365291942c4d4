// Core through graph built with -fno-exceptions -fno-rtti: binding weights and running a network
// must not allocate. operator new and malloc are replaced by counters (malloc through the
// linker's --wrap, so only calls from this program count, not the C library's own), and the
// network's output through its arena plan must equal its layers run one by one in separate
// buffers. Exit status 0 only if both hold.
#include <joule/joule.hpp>
#include <joule/quant.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

#if defined(__cpp_exceptions) || defined(__GXX_RTTI)
#error "this test must be built with -fno-exceptions -fno-rtti"
#endif

namespace {
int allocations = 0;
}

void* operator new(std::size_t) {
  ++allocations;
  std::abort();
}
void* operator new[](std::size_t) {
  ++allocations;
  std::abort();
}
void operator delete(void*) noexcept {}
void operator delete[](void*) noexcept {}
void operator delete(void*, std::size_t) noexcept {}
void operator delete[](void*, std::size_t) noexcept {}

extern "C" {
void* __real_malloc(std::size_t);
void* __wrap_malloc(std::size_t size) {
  ++allocations;
  return __real_malloc(size);
}
void* __real_calloc(std::size_t, std::size_t);
void* __wrap_calloc(std::size_t count, std::size_t size) {
  ++allocations;
  return __real_calloc(count, size);
}
}

using namespace joule;
using Net = Network<Shape<6, 6, 3>, Conv2d<8, 3, 2, ReLU6>,
                    Residual<Pointwise<16, ReLU6>, DepthwiseConv<3, 1, ReLU6>, SqueezeExcite<4>, Pointwise<8>>,
                    GlobalAvgPool, Linear<4>>;

// joule's deterministic weights, made while binding in fixed storage.
DeterministicWeights<Net::max_source_elements> source(12345u);

// The same network in int8, its tensors made the same way.
using Q = quant::Quantized<Net>;
DeterministicWeights<Q::max_source_elements> quantized_source(12345u);
Q::Weights quantized_weights;
Q::Arena quantized_arena;
float quantized_output[Q::output::size];
Net::Weights weights;
Net::Arena arena;
float input[Net::input::size];
float output[Net::output::size];

// Separate buffers for the layer-by-layer run.
alignas(64) float conv_out[3 * 3 * 8];
alignas(64) float expanded[3 * 3 * 16];
alignas(64) float depthwise_out[3 * 3 * 16];
alignas(64) float se_out[3 * 3 * 16];
alignas(64) float se_scratch[64];
alignas(64) float projected[3 * 3 * 8];
alignas(64) float pooled[8];
alignas(64) float expected[4];

int main() {
  const Status status = bind_weights<Net>(source, weights);
  if (!status.ok()) {
    std::printf("bind failed: %s\n", status.c_str());
    return 1;
  }
  for (std::size_t i = 0; i < Net::input::size; ++i) input[i] = static_cast<float>(i % 7) / 7.0f - 0.4f;
  Net net(weights, arena);
  net.forward(TensorView<const float, Net::input>(input), TensorView<float, Net::output>(output));

  using R = Net::root;
  using Body = R::nth<1>::body;
  const std::byte* w = weights.data;
  const RunContext serial;
  std::byte* scratch = reinterpret_cast<std::byte*>(se_scratch);
  R::nth<0>::run(w + R::weight_offsets[0], input, conv_out, nullptr, serial);
  const std::byte* body_weights = w + R::weight_offsets[1];
  Body::nth<0>::run(body_weights + Body::weight_offsets[0], conv_out, expanded, nullptr, serial);
  Body::nth<1>::run(body_weights + Body::weight_offsets[1], expanded, depthwise_out, nullptr, serial);
  Body::nth<2>::run(body_weights + Body::weight_offsets[2], depthwise_out, se_out, scratch, serial);
  Body::nth<3>::run(body_weights + Body::weight_offsets[3], se_out, projected, nullptr, serial);
  for (std::size_t i = 0; i < 3 * 3 * 8; ++i) projected[i] += conv_out[i];
  R::nth<2>::run(w + R::weight_offsets[2], projected, pooled, nullptr, serial);
  R::nth<3>::run(w + R::weight_offsets[3], pooled, expected, nullptr, serial);

  int mismatches = 0;
  for (std::size_t i = 0; i < Net::output::size; ++i) {
    if (!(std::fabs(output[i] - expected[i]) <= 1e-6f * (1.0f + std::fabs(expected[i])))) ++mismatches;
  }
  // int8: binding (tables and requantization parameters included) and running allocate nothing.
  if (const Status q = bind_weights<Q>(quantized_source, quantized_weights); !q.ok()) {
    std::printf("int8 bind failed: %s\n", q.c_str());
    return 1;
  }
  Q quantized(quantized_weights, quantized_arena);
  quantized.forward(TensorView<const float, Q::input>(input),
                    TensorView<float, Q::output>(quantized_output));
  const int counted = allocations;
  std::printf(
      "no-exceptions/no-RTTI build: %d allocations, %d mismatches, output[0]=%f, arena %zu bytes; "
      "int8 output[0]=%f, "
      "arena %zu bytes\n",
      counted, mismatches, static_cast<double>(output[0]), Net::arena_bytes,
      static_cast<double>(quantized_output[0]), Q::arena_bytes);
  return counted == 0 && mismatches == 0 ? 0 : 1;
}
