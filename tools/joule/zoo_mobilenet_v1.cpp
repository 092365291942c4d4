// MobileNetV1 at every width multiplier and resolution of the paper's Table 6 and 7 grid.
#include "joule/models/mobilenet_v1.hpp"
#include "model.hpp"

namespace joule::cli {
namespace {

template <int Num, int Den>
void add_resolutions(std::vector<ZooEntry>& zoo, const std::string& alpha) {
  constexpr models::Ratio a{Num, Den};
  zoo.push_back(zoo_entry<models::MobileNetV1<models::MobileNetV1Config{.alpha = a, .resolution = 224}>>(
      "mobilenet_v1_" + alpha + "_224"));
  zoo.push_back(zoo_entry<models::MobileNetV1<models::MobileNetV1Config{.alpha = a, .resolution = 192}>>(
      "mobilenet_v1_" + alpha + "_192"));
  zoo.push_back(zoo_entry<models::MobileNetV1<models::MobileNetV1Config{.alpha = a, .resolution = 160}>>(
      "mobilenet_v1_" + alpha + "_160"));
  zoo.push_back(zoo_entry<models::MobileNetV1<models::MobileNetV1Config{.alpha = a, .resolution = 128}>>(
      "mobilenet_v1_" + alpha + "_128"));
}

}  // namespace

void add_mobilenet_v1(std::vector<ZooEntry>& zoo) {
  add_resolutions<1, 1>(zoo, "1.0");
  add_resolutions<3, 4>(zoo, "0.75");
  add_resolutions<1, 2>(zoo, "0.5");
  add_resolutions<1, 4>(zoo, "0.25");
}

}  // namespace joule::cli
