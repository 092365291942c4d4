// The network every level runs: a small MobileNet-style model that touches each kernel family
// (stem convolution, depthwise 3x3 and 5x5 at stride 1 and 2, pointwise with and without the
// residual add, squeeze-excite, pooling, linear) and the activations ReLU6, HardSwish and SiLU.
#pragma once

#include <joule/joule.hpp>

namespace dispatch {

using Net = joule::Network<joule::Shape<64, 64, 3>,
                           joule::Conv2d<16, 3, 2, joule::HardSwish>,
                           joule::InvertedResidual<16, 1, 3, 1>,
                           joule::InvertedResidual<24, 4, 3, 2>,
                           joule::InvertedResidual<24, 6, 5, 1, joule::SqueezeExcite<4>, joule::HardSwish>,
                           joule::InvertedResidual<40, 6, 5, 2, joule::SqueezeExcite<4>, joule::SiLU>,
                           joule::GlobalAvgPool,
                           joule::Linear<10>>;

}  // namespace dispatch
