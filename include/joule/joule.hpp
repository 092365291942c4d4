// joule: energy-efficient neural-network building blocks as static C++20 types.
// The umbrella header: everything that builds on bare metal (no heap, exceptions or RTTI).
#pragma once

#include "joule/core/alignment.hpp"
#include "joule/core/cost.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/make_divisible.hpp"
#include "joule/core/shape.hpp"
#include "joule/core/status.hpp"
#include "joule/core/tensor_view.hpp"

#include "joule/layers/add.hpp"
#include "joule/layers/batch_norm.hpp"
#include "joule/layers/conv2d.hpp"
#include "joule/layers/depthwise_conv.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/layers/linear.hpp"
#include "joule/layers/pointwise.hpp"
#include "joule/layers/squeeze_excite.hpp"

#include "joule/graph/bind.hpp"
#include "joule/graph/deterministic_weights.hpp"
#include "joule/graph/named.hpp"
#include "joule/graph/network.hpp"
#include "joule/graph/report.hpp"
#include "joule/graph/residual.hpp"
#include "joule/graph/sequential.hpp"

#include "joule/blocks/depthwise_separable.hpp"
#include "joule/blocks/fused_mbconv.hpp"
#include "joule/blocks/inverted_residual.hpp"
