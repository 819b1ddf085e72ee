#pragma once
// HTML pages (part of the route table in routes.cpp): the contributor form and submission page, sign-in
// (web_pages.cpp); the review queue, admin pages and review media (review_pages.cpp).
#include "serve/routes.hpp"

namespace curator::serve {

void add_web_pages(std::vector<Route>& routes, ServiceContext& ctx);
void add_review_pages(std::vector<Route>& routes, ServiceContext& ctx);
/// JSON mirror of the pages under /api/v1/ (review_api.cpp): session, review queue, decisions, audit.
void add_review_api(std::vector<Route>& routes, ServiceContext& ctx);

} // namespace curator::serve
