#pragma once
// The engine factories are templates over the precision, defined once per backend and
// instantiated for float and double.
#include <memory>

/// Instantiates `name<Real>(const Arg&) -> std::unique_ptr<Base<Real>>` for float and double.
#define NETRL_INSTANTIATE_FACTORY(name, Base, Arg)               \
  template std::unique_ptr<Base<float>> name<float>(const Arg&); \
  template std::unique_ptr<Base<double>> name<double>(const Arg&)

/// Defines that factory as making an Impl<Real> from its argument, and instantiates it.
#define NETRL_ENGINE_FACTORY(name, Base, Impl, Arg)         \
  template <class Real>                                     \
  std::unique_ptr<Base<Real>> name(const Arg& arg) {        \
    return std::make_unique<Impl<Real>>(arg);               \
  }                                                         \
  NETRL_INSTANTIATE_FACTORY(name, Base, Arg)
