// A residual whose body changes the shape cannot add its input back and must not compile.
// expect: joule::Residual: the body changes the shape of its input
// expect: Shape<8, 8, 16>
// expect: Shape<8, 8, 24>
#include <joule/joule.hpp>
using namespace joule;
#ifdef JOULE_COMPILE_FAIL_CONTROL
constexpr int out = 16;
#else
constexpr int out = 24;
#endif
using Net = Network<Shape<8, 8, 16>, Residual<Pointwise<64, ReLU6>, Pointwise<out>>>;
static_assert(Net::cost.params > 0);
