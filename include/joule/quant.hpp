// The int8 path: every layer's int8 form and quant::Quantized<Net>. Builds on bare metal like
// joule.hpp (no heap, exceptions or RTTI). Calibration and weight quantization, which run on a
// host, are in <joule/quant/calibrate.hpp> and <joule/quant/quantize_weights.hpp>.
#pragma once

#include "joule/joule.hpp"
#include "joule/quant/activation_table.hpp"
#include "joule/quant/add.hpp"
#include "joule/quant/conv.hpp"
#include "joule/quant/edges.hpp"
#include "joule/quant/fused_inverted_residual.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/int8_edges.hpp"
#include "joule/quant/linear.hpp"
#include "joule/quant/params.hpp"
#include "joule/quant/pool.hpp"
#include "joule/quant/quantized.hpp"
#include "joule/quant/squeeze_excite.hpp"
