// A grouped convolution whose groups do not divide the input channels must not compile.
// expect: channel mismatch: groups must divide the input channels
// expect: Shape<8, 8, 16>
#include <joule/joule.hpp>
using namespace joule;
#ifdef JOULE_COMPILE_FAIL_CONTROL
constexpr int groups = 4;
#else
constexpr int groups = 3;
#endif
using Net = Network<Shape<8, 8, 16>, Conv2d<24, 3, 1, ReLU, ConvOptions{.groups = groups}>>;
static_assert(Net::cost.params > 0);
