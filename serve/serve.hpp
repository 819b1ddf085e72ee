#pragma once
//! curator::serve — the HTTP face and the daemon: route table, JSON error mapping, metrics, status, and
//! the Daemon that wires the store, job workers and server together. Depends on every other module;
//! nothing depends on serve except the curator executable.
#include "serve/daemon.hpp"
#include "serve/http_server.hpp"
#include "serve/http_types.hpp"
#include "serve/metrics.hpp"
#include "serve/routes.hpp"
#include "serve/status_report.hpp"
