// The model zoo: MobileNetV1, V2, V3 and EfficientNet as types.
#pragma once

#include "joule/models/efficientnet.hpp"
#include "joule/models/mobilenet_v1.hpp"
#include "joule/models/mobilenet_v2.hpp"
#include "joule/models/mobilenet_v3.hpp"
