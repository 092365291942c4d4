// Built once per instruction-set level (-march=x86-64, -v2, -v3, -v4): the kernels must name the
// SIMD target JOULE_EXPECTED_TARGET (the test fails if a build silently falls back to scalar
// code), and must compute what the reference kernels compute. The int8 pointwise, depthwise and
// KxK convolution kernels are SIMD exactly at the AVX2 level (x86-64-v3) and equal the reference
// bit for bit at every level.
#include <joule/kernels/conv/dispatch.hpp>
#include <joule/kernels/conv/int8_dispatch.hpp>
#include <joule/kernels/depthwise/dispatch.hpp>
#include <joule/kernels/depthwise/int8_dispatch.hpp>
#include <joule/kernels/linear/dispatch.hpp>
#include <joule/kernels/pointwise/dispatch.hpp>
#include <joule/kernels/pointwise/int8_dispatch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string_view>
#include <vector>

namespace {

int failures = 0;

void check(bool condition, const char* what) {
  if (!condition) {
    ++failures;
    std::printf("FAIL: %s\n", what);
  }
}

std::vector<float> random_values(std::size_t count, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = value(engine);
  return v;
}

bool close(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0, scale = 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // std::max would drop a NaN: a kernel writing NaN must not pass.
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return false;
    worst = std::max(worst, double(std::abs(a[i] - b[i])));
    scale = std::max(scale, double(std::abs(b[i])));
  }
  return worst / scale <= 1e-5;
}

}  // namespace

int main() {
  using namespace joule::kernels;
  const std::string_view expected = JOULE_EXPECTED_TARGET;
  std::printf("target %.*s, %zu lanes; expected %.*s\n", int(joule::arch::name.size()), joule::arch::name.data(),
              joule::arch::lanes, int(expected.size()), expected.data());
  check(joule::arch::name == expected, "the build targets the expected instruction set");

  ConvGeometry dw;
  dw.in_height = dw.in_width = 13;
  dw.in_channels = dw.out_channels = dw.groups = 37;
  dw.kernel_height = dw.kernel_width = 3;
  dw.stride_height = dw.stride_width = 2;
  dw.pad_top = dw.pad_left = 1;
  dw.out_height = dw.out_width = 7;
  ConvGeometry stem = dw;
  stem.in_channels = 3;
  stem.out_channels = 21;
  stem.groups = 1;

  // The kernels a layer of each shape chooses; names kept alive here: views into temporaries would
  // dangle inside the loop.
  constexpr KernelRecord pointwise_kernel = pointwise::choose();
  constexpr KernelRecord linear_kernel = linear::choose();
  const KernelRecord depthwise_kernel = depthwise::choose(dw);
  const KernelRecord conv_kernel = conv::choose(stem);
  const auto pointwise_name = pointwise_kernel.name();
  const auto depthwise_name = depthwise_kernel.name();
  const auto conv_name = conv_kernel.name();
  const auto linear_name = linear_kernel.name();
  for (std::string_view name : {pointwise_name.view(), depthwise_name.view(), conv_name.view(), linear_name.view()}) {
    std::printf("  %.*s\n", int(name.size()), name.data());
    check(name.ends_with(expected), "every kernel runs the SIMD path");
  }

  // And they agree with the reference.
  const auto in = random_values(13 * 13 * 37, 1);
  const auto dw_weights = random_values(9 * 37, 2), dw_bias = random_values(37, 3);
  std::vector<float> a(7 * 7 * 37), b(7 * 7 * 37);
  with_record<depthwise::records>(depthwise_kernel, [&]<KernelRecord K>() {
    depthwise::run<K, joule::ReLU6>(dw, 0, 7, in.data(), dw_weights.data(), dw_bias.data(),
                                    a.data());
  });
  depthwise::reference<joule::ReLU6>(dw, in.data(), dw_weights.data(), dw_bias.data(), b.data());
  check(close(a, b), "depthwise equals the reference");

  const auto pw_weights = random_values(gemm::packed_size(37, 45), 4), pw_bias = random_values(64, 5);
  std::vector<float> c(169 * 45), d(169 * 45);
  pointwise::run<pointwise_kernel, joule::HardSwish>(0, 169, 37, 45, in.data(), pw_weights.data(),
                                                     pw_bias.data(), nullptr, c.data());
  pointwise::reference<joule::HardSwish>(169, 37, 45, in.data(), pw_weights.data(), pw_bias.data(), d.data());
  check(close(c, d), "pointwise equals the reference");

  const auto conv_weights = random_values(gemm::packed_size(27, 21), 6);
  const auto image = random_values(13 * 13 * 3, 7);
  std::vector<float> e(7 * 7 * 21), f(7 * 7 * 21);
  with_record<conv::records>(conv_kernel, [&]<KernelRecord K>() {
    conv::run<K, joule::SiLU>(stem, 0, 7, image.data(), conv_weights.data(), pw_bias.data(),
                              e.data());
  });
  conv::reference<joule::SiLU>(stem, image.data(), conv_weights.data(), pw_bias.data(), f.data());
  check(close(e, f), "convolution equals the reference");

  constexpr KernelRecord int8_kernel = pointwise::choose_int8();
  const auto int8_name = int8_kernel.name();
  std::printf("  %.*s\n", int(int8_name.view().size()), int8_name.view().data());
  check(int8_kernel.simd() == (expected == "fma3+avx2"), "int8 pointwise is SIMD where AVX2 is");
  std::vector<std::int8_t> q(169 * 37), q_weights(gemm::packed_size(37, 45));
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = static_cast<std::int8_t>(in[i] * 127.0f);
  for (std::size_t i = 0; i < q_weights.size(); ++i)
    q_weights[i] = static_cast<std::int8_t>(pw_weights[i] * 127.0f);
  std::vector<std::int32_t> q_bias(45);
  std::vector<float> multiplier(45);
  for (int o = 0; o < 45; ++o) {
    q_bias[o] = static_cast<std::int32_t>(pw_bias[o] * 3000.0f);
    multiplier[o] = 0.0005f + 0.00001f * float(o);
  }
  Int8Output stage;
  stage.bias = q_bias.data();
  stage.multiplier = multiplier.data();
  stage.zero_point = -7;
  stage.low = -7;
  std::vector<std::int8_t> g(169 * 45), h(169 * 45);
  pointwise::run_int8<int8_kernel>(0, 169, 0, 45, 37, 45, q.data(), 5, q_weights.data(), stage,
                                   g.data());
  pointwise::reference_int8(0, 169, 0, 45, 37, 45, q.data(), 5, q_weights.data(), stage, h.data());
  check(g == h, "int8 pointwise equals the reference bit for bit");

  constexpr KernelRecord int8_depthwise_kernel = depthwise::choose_int8();
  const auto int8_depthwise_name = int8_depthwise_kernel.name();
  std::printf("  %.*s\n", int(int8_depthwise_name.view().size()),
              int8_depthwise_name.view().data());
  check(int8_depthwise_kernel.simd() == (expected == "fma3+avx2"),
        "int8 depthwise is SIMD where AVX2 is");
  std::vector<std::int8_t> dw_q_weights(9 * 37);
  for (std::size_t i = 0; i < dw_q_weights.size(); ++i)
    dw_q_weights[i] = static_cast<std::int8_t>(dw_weights[i] * 127.0f);
  std::vector<std::int8_t> k(7 * 7 * 37), l(7 * 7 * 37);
  depthwise::run_int8<int8_depthwise_kernel>(dw, q.data(), 5, dw_q_weights.data(), stage, k.data(),
                                             0, 7);
  depthwise::reference_int8(dw, q.data(), 5, dw_q_weights.data(), stage, l.data(), 0, 7);
  check(k == l, "int8 depthwise equals the reference bit for bit");

  constexpr KernelRecord int8_conv_kernel = conv::choose_int8();
  const auto int8_conv_name = int8_conv_kernel.name();
  std::printf("  %.*s\n", int(int8_conv_name.view().size()), int8_conv_name.view().data());
  check(int8_conv_kernel.simd() == (expected == "fma3+avx2"),
        "int8 convolution is SIMD where AVX2 is");
  std::vector<std::int8_t> q_image(13 * 13 * 3), q_conv_weights(conv_weights.size());
  for (std::size_t i = 0; i < q_image.size(); ++i)
    q_image[i] = static_cast<std::int8_t>(image[i] * 127.0f);
  for (std::size_t i = 0; i < q_conv_weights.size(); ++i)
    q_conv_weights[i] = static_cast<std::int8_t>(conv_weights[i] * 127.0f);
  std::vector<std::int8_t> m(7 * 7 * 21), n(7 * 7 * 21);
  conv::run_int8<int8_conv_kernel>(stem, q_image.data(), -3, q_conv_weights.data(), stage, m.data(),
                                   0, 7);
  conv::reference_int8(stem, q_image.data(), -3, q_conv_weights.data(), stage, n.data(), 0, 7);
  check(m == n, "int8 convolution equals the reference bit for bit");

  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
