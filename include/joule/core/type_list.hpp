// A minimal type list, for blocks whose layers depend on their configuration.
#pragma once

#include <type_traits>

namespace joule {

template <class... T>
struct TypeList {};

namespace detail {
template <class... Lists>
struct concat;
template <>
struct concat<> {
  using type = TypeList<>;
};
template <class... A>
struct concat<TypeList<A...>> {
  using type = TypeList<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<TypeList<A...>, TypeList<B...>, Rest...> {
  using type = typename concat<TypeList<A..., B...>, Rest...>::type;
};
template <template <class...> class Target, class List>
struct apply;
template <template <class...> class Target, class... T>
struct apply<Target, TypeList<T...>> {
  using type = Target<T...>;
};
}  // namespace detail

template <class... Lists>
using concat_t = typename detail::concat<Lists...>::type;

/// TypeList<T> when Condition holds, else the empty list.
template <bool Condition, class T>
using optional_t = std::conditional_t<Condition, TypeList<T>, TypeList<>>;

/// Target<T...> for List = TypeList<T...>.
template <template <class...> class Target, class List>
using apply_t = typename detail::apply<Target, List>::type;

}  // namespace joule
