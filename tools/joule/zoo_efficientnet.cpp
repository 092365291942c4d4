// EfficientNet B0-B7 at the paper's resolutions and EfficientNetV2-S at 384, as torchvision builds them.
#include "joule/models/efficientnet.hpp"
#include "model.hpp"

namespace joule::cli {

void add_efficientnet(std::vector<ZooEntry>& zoo) {
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b0>>("efficientnet_b0"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b1>>("efficientnet_b1"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b2>>("efficientnet_b2"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b3>>("efficientnet_b3"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b4>>("efficientnet_b4"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b5>>("efficientnet_b5"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b6>>("efficientnet_b6"));
  zoo.push_back(zoo_entry<models::EfficientNet<models::efficientnet_b7>>("efficientnet_b7"));
  zoo.push_back(zoo_entry<models::EfficientNetV2<models::efficientnet_v2_s>>("efficientnet_v2_s"));
}

}  // namespace joule::cli
