// A depthwise stride the kernels do not support must not compile, even deep inside a block.
// expect: joule::DepthwiseConv: the stride must be 1 or 2
// expect: InvertedResidual<24, 6, 3, 3
#include <joule/joule.hpp>
using namespace joule;
#ifdef JOULE_COMPILE_FAIL_CONTROL
constexpr int stride = 2;
#else
constexpr int stride = 3;
#endif
using Net = Network<Shape<32, 32, 3>, Conv2d<16, 3, 2>, InvertedResidual<24, 6, 3, stride>>;
static_assert(Net::cost.params > 0);
