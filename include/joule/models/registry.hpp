// The zoo registry: every model of the zoo, once. The `joule` command, the zoo tests and the
// PyTorch twin (tools/joule_models.py, which reads this file) all take their list from here, in
// this order, so a model added here exists everywhere and a model missing here exists nowhere.
//
// Each family is an X-macro list; JOULE_ZOO_MODELS(X) is all of them. Every entry is
//   X(name, resolution, pytorch, Type...)
//     name        what users type (`joule run mobilenet_v2`), and the PyTorch twin's key
//     resolution  the input's height and width
//     pytorch     the PyTorch builder of the same network: "torchvision.NAME" (torchvision 0.14's
//                 own, weights=None) or "twin.mobilenet_v1(ALPHA)" (tools/joule_models.py)
//     Type        the joule network type (last, so that its commas need no parentheses)
//
//   #define ENTRY(name, resolution, pytorch, ...) check<__VA_ARGS__>(name);
//   JOULE_ZOO_MODELS(ENTRY)
#pragma once

#include "joule/models/efficientnet.hpp"
#include "joule/models/mobilenet_v1.hpp"
#include "joule/models/mobilenet_v2.hpp"
#include "joule/models/mobilenet_v3.hpp"

// clang-format off
#define JOULE_ZOO_MOBILENET_V1(X) \
  X("mobilenet_v1_1.0_224", 224, "twin.mobilenet_v1(1.0)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 1}, .resolution = 224}>) \
  X("mobilenet_v1_1.0_192", 192, "twin.mobilenet_v1(1.0)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 1}, .resolution = 192}>) \
  X("mobilenet_v1_1.0_160", 160, "twin.mobilenet_v1(1.0)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 1}, .resolution = 160}>) \
  X("mobilenet_v1_1.0_128", 128, "twin.mobilenet_v1(1.0)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 1}, .resolution = 128}>) \
  X("mobilenet_v1_0.75_224", 224, "twin.mobilenet_v1(0.75)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {3, 4}, .resolution = 224}>) \
  X("mobilenet_v1_0.75_192", 192, "twin.mobilenet_v1(0.75)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {3, 4}, .resolution = 192}>) \
  X("mobilenet_v1_0.75_160", 160, "twin.mobilenet_v1(0.75)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {3, 4}, .resolution = 160}>) \
  X("mobilenet_v1_0.75_128", 128, "twin.mobilenet_v1(0.75)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {3, 4}, .resolution = 128}>) \
  X("mobilenet_v1_0.5_224", 224, "twin.mobilenet_v1(0.5)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 2}, .resolution = 224}>) \
  X("mobilenet_v1_0.5_192", 192, "twin.mobilenet_v1(0.5)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 2}, .resolution = 192}>) \
  X("mobilenet_v1_0.5_160", 160, "twin.mobilenet_v1(0.5)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 2}, .resolution = 160}>) \
  X("mobilenet_v1_0.5_128", 128, "twin.mobilenet_v1(0.5)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 2}, .resolution = 128}>) \
  X("mobilenet_v1_0.25_224", 224, "twin.mobilenet_v1(0.25)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 224}>) \
  X("mobilenet_v1_0.25_192", 192, "twin.mobilenet_v1(0.25)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 192}>) \
  X("mobilenet_v1_0.25_160", 160, "twin.mobilenet_v1(0.25)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 160}>) \
  X("mobilenet_v1_0.25_128", 128, "twin.mobilenet_v1(0.25)", joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 128}>)

#define JOULE_ZOO_MOBILENET_V2_V3(X) \
  X("mobilenet_v2", 224, "torchvision.mobilenet_v2", joule::models::MobileNetV2<>) \
  X("mobilenet_v3_large", 224, "torchvision.mobilenet_v3_large", joule::models::MobileNetV3<joule::models::mobilenet_v3_large>) \
  X("mobilenet_v3_small", 224, "torchvision.mobilenet_v3_small", joule::models::MobileNetV3<joule::models::mobilenet_v3_small>)

#define JOULE_ZOO_EFFICIENTNET(X) \
  X("efficientnet_b0", 224, "torchvision.efficientnet_b0", joule::models::EfficientNet<joule::models::efficientnet_b0>) \
  X("efficientnet_b1", 240, "torchvision.efficientnet_b1", joule::models::EfficientNet<joule::models::efficientnet_b1>) \
  X("efficientnet_b2", 260, "torchvision.efficientnet_b2", joule::models::EfficientNet<joule::models::efficientnet_b2>) \
  X("efficientnet_b3", 300, "torchvision.efficientnet_b3", joule::models::EfficientNet<joule::models::efficientnet_b3>) \
  X("efficientnet_b4", 380, "torchvision.efficientnet_b4", joule::models::EfficientNet<joule::models::efficientnet_b4>) \
  X("efficientnet_b5", 456, "torchvision.efficientnet_b5", joule::models::EfficientNet<joule::models::efficientnet_b5>) \
  X("efficientnet_b6", 528, "torchvision.efficientnet_b6", joule::models::EfficientNet<joule::models::efficientnet_b6>) \
  X("efficientnet_b7", 600, "torchvision.efficientnet_b7", joule::models::EfficientNet<joule::models::efficientnet_b7>) \
  X("efficientnet_v2_s", 384, "torchvision.efficientnet_v2_s", joule::models::EfficientNetV2<joule::models::efficientnet_v2_s>)

#define JOULE_ZOO_MODELS(X) \
  JOULE_ZOO_MOBILENET_V1(X) \
  JOULE_ZOO_MOBILENET_V2_V3(X) \
  JOULE_ZOO_EFFICIENTNET(X)
// clang-format on
