#pragma once
// Submission endpoints (part of the route table in routes.cpp).
#include "serve/routes.hpp"

namespace curator::serve {

void add_submission_routes(std::vector<Route>& routes, ServiceContext& ctx);

} // namespace curator::serve
