#pragma once
// Model publishing and scoring endpoints (part of the route table in routes.cpp).
#include "serve/routes.hpp"

namespace curator::serve {

void add_model_routes(std::vector<Route>& routes, ServiceContext& ctx);

} // namespace curator::serve
