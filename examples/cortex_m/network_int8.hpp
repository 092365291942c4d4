// The Cortex-M example's network in int8: the same layers as network.hpp's Net, with int8 weights
// and activations, float in and float out (joule::quant::Quantized). The host generator
// calibrates and quantizes it from the float network; the int8 firmware runs it.
#pragma once

#include <joule/quant.hpp>

#include "network.hpp"

namespace cortex_m {

using Int8Net = joule::quant::Quantized<Net>;

// A quarter of the float network's bytes, plus what int8 adds: per-channel scales and int32
// biases, activation tables, the float input and output at the edges.
static_assert(Int8Net::weight_bytes <= 32 * 1024, "int8 weights must fit 32 KiB of flash");
static_assert(Int8Net::arena_bytes <= 24 * 1024, "int8 activations must fit 24 KiB of RAM");
static_assert(Int8Net::cost.macs == Net::cost.macs, "the same network");

/// Identifier of the generated int8 weights header.
inline constexpr const char* int8_weights_identifier = "cortex_m_int8_weights";

}  // namespace cortex_m
