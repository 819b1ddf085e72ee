#pragma once
//! Every HTTP handler, by the file that implements it. Handlers are registered only in the route table
//! (routes.cpp), which states who may call each one and checks it before the handler runs; a handler
//! may check more (a resource's access key, CSRF). Handlers run on HTTP threads: no model work.
#include "serve/routes.hpp"

namespace curator::serve {

using ContextHandler = Response (*)(ServiceContext&, const Request&);
using StreamContextHandler = Response (*)(ServiceContext&, const Request&, BodyReader&);

namespace service_api { // routes.cpp
Response healthz(ServiceContext&, const Request&);
Response readyz(ServiceContext&, const Request&);
Response metrics(ServiceContext&, const Request&);
Response status(ServiceContext&, const Request&);
Response jobs(ServiceContext&, const Request&);
Response job(ServiceContext&, const Request&);
} // namespace service_api

namespace submission_api { // submission_routes.cpp
Response post_submission(ServiceContext&, const Request&, BodyReader&);
Response list_submissions(ServiceContext&, const Request&);
Response get_submission(ServiceContext&, const Request&);
Response thumbnail(ServiceContext&, const Request&);
} // namespace submission_api

namespace dataset_api { // dataset_routes.cpp
Response stats(ServiceContext&, const Request&);
Response snapshots(ServiceContext&, const Request&);
Response snapshot(ServiceContext&, const Request&);
Response manifest(ServiceContext&, const Request&);
} // namespace dataset_api

namespace web_pages { // web_pages.cpp: the contributor form and submission page, sign-in
Response index(ServiceContext&, const Request&);
Response submit(ServiceContext&, const Request&, BodyReader&);
Response submission_page(ServiceContext&, const Request&);
Response login_page(ServiceContext&, const Request&);
Response login(ServiceContext&, const Request&);
Response logout(ServiceContext&, const Request&);
} // namespace web_pages

namespace review_pages { // review_pages.cpp: the review queue, admin pages, review media
Response queue(ServiceContext&, const Request&);
Response item_page(ServiceContext&, const Request&);
Response decide(ServiceContext&, const Request&);
Response admin(ServiceContext&, const Request&);
Response reopen(ServiceContext&, const Request&);
Response audit(ServiceContext&, const Request&);
Response video(ServiceContext&, const Request&);
} // namespace review_pages

namespace review_api { // review_api.cpp: the JSON mirror of the review pages
Response sign_in(ServiceContext&, const Request&);
Response who_am_i(ServiceContext&, const Request&);
Response sign_out(ServiceContext&, const Request&);
Response list_items(ServiceContext&, const Request&);
Response next_item(ServiceContext&, const Request&);
Response get_item(ServiceContext&, const Request&);
Response decide(ServiceContext&, const Request&);
Response reopen(ServiceContext&, const Request&);
Response audit(ServiceContext&, const Request&);
} // namespace review_api

namespace model_api { // model_routes.cpp: publishing and scoring
Response models(ServiceContext&, const Request&);
Response champion(ServiceContext&, const Request&);
Response version(ServiceContext&, const Request&);
Response torchscript(ServiceContext&, const Request&);
Response score(ServiceContext&, const Request&, BodyReader&);
Response models_page(ServiceContext&, const Request&);
/// A page banner with the promotion outlook's sentence when no round can promote; empty when one can.
std::string outlook_banner(ServiceContext&);
} // namespace model_api

namespace dashboard_api { // dashboard_api.cpp: runs, experiments and the faces the pages show
Response runs(ServiceContext&, const Request&);
Response run(ServiceContext&, const Request&);
Response experiments(ServiceContext&, const Request&);
Response experiment(ServiceContext&, const Request&);
Response face_crop(ServiceContext&, const Request&);
} // namespace dashboard_api

namespace dashboard_pages { // dashboard_pages.cpp
Response runs_page(ServiceContext&, const Request&);
Response run_page(ServiceContext&, const Request&);
Response experiment_page(ServiceContext&, const Request&);
Response dataset_page(ServiceContext&, const Request&);
} // namespace dashboard_pages

namespace static_api { // static_routes.cpp: the pages' scripts
Response asset(ServiceContext&, const Request&);
} // namespace static_api

} // namespace curator::serve
