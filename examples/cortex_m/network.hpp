// The network the Cortex-M example runs: a small MobileNet-style classifier for a CIFAR-sized
// image (32x32 RGB in, 10 classes out), written with joule's public types only. The host
// generator and the firmware both include this file, so both build the same type and agree on
// the weight layout and the arena size.
#pragma once

#include <joule/joule.hpp>

namespace cortex_m {

// Each layer kind the kernels distinguish appears once: a full convolution, a standalone
// depthwise and pointwise pair, a fused inverted residual with squeeze-excite, a strided one, a
// residual 5x5 one, pooling and a linear layer.
using Net = joule::Network<joule::Shape<32, 32, 3>,
                           joule::Conv2d<8, 3, 2, joule::ReLU6>,                      // 16x16x8
                           joule::DepthwiseSeparable<8, 3, 1, joule::ReLU6>,          // 16x16x8
                           joule::InvertedResidual<16, 4, 3, 1, joule::SqueezeExcite<4>,
                                                   joule::HardSwish>,                  // 16x16x16
                           joule::InvertedResidual<24, 4, 3, 2>,                       // 8x8x24
                           joule::InvertedResidual<24, 4, 5, 1>,                       // 8x8x24, residual
                           joule::GlobalAvgPool,                                       // 1x1x24
                           joule::Linear<10>>;                                         // 10 classes

// Budgets a small Cortex-M4 part could hold (256 KiB of SRAM is common; the weights stay in
// flash, the arena is RAM). Checked at compile time, on the host and on the target alike.
static_assert(Net::weight_bytes <= 80 * 1024, "weights must fit 80 KiB of flash");
static_assert(Net::arena_bytes <= 96 * 1024, "activations must fit 96 KiB of RAM");
static_assert(Net::cost.macs < 2'000'000, "about a million multiply-accumulates per image");

/// Identifiers of the generated headers (weights and input), shared by generator and firmware.
inline constexpr const char* weights_identifier = "cortex_m_weights";
inline constexpr const char* input_identifier = "cortex_m_input";

/// Outputs are printed and compared as integers, round(output x 1e9): no printf %f on the target
/// (newlib-nano's would need the heap), and fine enough to show float rounding (a float near 1
/// has an ulp of 1.2e-7).
inline constexpr double output_scale = 1e9;

}  // namespace cortex_m
