// A minimal type list, for blocks whose layers depend on their configuration.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

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

namespace detail {
template <class T, std::size_t>
using always = T;
template <class T, std::size_t... Index>
auto repeat(std::index_sequence<Index...>) -> TypeList<always<T, Index>...>;
template <template <std::size_t> class Make, std::size_t... Index>
auto concat_made(std::index_sequence<Index...>) -> concat_t<Make<Index>...>;
}  // namespace detail

/// TypeList<T, T, ..., T> with Count elements.
template <std::size_t Count, class T>
using repeat_t = decltype(detail::repeat<T>(std::make_index_sequence<Count>{}));

/// concat_t<Make<0>, Make<1>, ..., Make<Count - 1>>: a list built piece by piece, each piece a list.
template <std::size_t Count, template <std::size_t> class Make>
using concat_made_t = decltype(detail::concat_made<Make>(std::make_index_sequence<Count>{}));

}  // namespace joule::inline JOULE_TARGET
