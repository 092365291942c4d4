// Naming. By default a container names its children by index ("0", "1", ...), as nn.Sequential
// does, so a custom network's tensors are "3.block.0.0.weight" and so on. Named and PartNames
// give the names a PyTorch model uses instead, so that its state_dict binds as it is.
#pragma once

#include <array>
#include <string_view>

#include "joule/core/fixed_string.hpp"
#include "joule/core/layer.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// Named<"features", L>: L under the path segment "features" instead of its index. The segment
/// may contain dots ("classifier.1") or be empty (L's contents sit at the parent's path).
template <FixedString Name, LayerSpecType L>
struct Named : LayerSpec {
  template <ShapeType In, class P = Float32>
  struct bind : bind_t<L, In, P> {
    static constexpr std::string_view segment = Name.view();
  };
};

/// PartNames<L, "2", "3">: a leaf layer's parts under other names. For a convolution with
/// BatchNorm the parts are the convolution and the BatchNorm ("0" and "1" by default);
/// torchvision's MobileNetV2 projection, for one, keeps them as siblings "conv.2" and "conv.3".
/// Parts past the names given keep their own (an int8 convolution may have an activation part after
/// them).
template <LayerSpecType L, FixedString... Names>
struct PartNames : LayerSpec {
  template <ShapeType In, class P = Float32>
  struct bind : bind_t<L, In, P> {
    using renamed = bind_t<L, In, P>;
    static_assert(sizeof...(Names) > 0 && sizeof...(Names) <= renamed::part_names.size(),
                  "joule::PartNames: give one to as many names as the layer has parts");
    static constexpr auto part_names = [] {
      std::array<std::string_view, renamed::part_names.size()> names = renamed::part_names;
      const std::string_view given[] = {Names.view()...};
      for (std::size_t i = 0; i < sizeof...(Names); ++i) names[i] = given[i];
      return names;
    }();
  };
};

}  // namespace joule::inline JOULE_TARGET
