#pragma once
// Dataset endpoints (part of the route table in routes.cpp): per-source stats and snapshots.
#include "serve/routes.hpp"

namespace curator::serve {

void add_dataset_routes(std::vector<Route>& routes, ServiceContext& ctx);

} // namespace curator::serve
