// MobileNetV2 and MobileNetV3 Large / Small, as torchvision builds them.
#include "joule/models/mobilenet_v2.hpp"
#include "joule/models/mobilenet_v3.hpp"
#include "model.hpp"

namespace joule::cli {

void add_mobilenet_v2_v3(std::vector<ZooEntry>& zoo) {
  zoo.push_back(zoo_entry<models::MobileNetV2<>>("mobilenet_v2"));
  zoo.push_back(zoo_entry<models::MobileNetV3<models::mobilenet_v3_large>>("mobilenet_v3_large"));
  zoo.push_back(zoo_entry<models::MobileNetV3<models::mobilenet_v3_small>>("mobilenet_v3_small"));
}

}  // namespace joule::cli
